"""A small, deterministic account for the browse-service and UI tests, written straight into
a real store (the way a pull would store it): users, lookups, custom fields in groups, saved
searches, profile, and API-shaped companies, people and deals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crmdesk.domain.entities import Entity
from crmdesk.domain.records import CustomFieldLabel, LookupItem, SavedSearch
from crmdesk.store import Session, Store

STAGES = [(1, "Lost", 0), (2, "Qualified", 10), (3, "Proposal", 50), (4, "Won", 100)]
STATUSES = [(1, "Red", "#d9534f"), (2, "Yellow", "#f0ad4e"), (3, "Green", "#5cb85c")]
LEAD_STATUSES = [(1, "Hot", "#d9534f"), (2, "Cold", "#5bc0de")]
SOURCES = [(1, "Referral"), (2, "Website")]
USERS = [(1, "Ann", "Admin"), (2, "Bob", "Basic"), (3, "Cleo", "Closer")]
COMPANY_NAMES = ["Acme Corp", "Globex", "Initech", "Umbrella", "Wayne Enterprises"]
FIRST = ["Ann", "Ben", "Chloé", "Dmitri", "Eve", "Farah", "Gus", "Hana"]
LAST = ["Smith", "Novak", "Okafor", "Tanaka", "Müller", "Rossi"]
PRODUCTS = ["Renewal", "Upgrade", "Pilot", "Rollout"]

# custom fields: deal 11 text (group 100 "Contract"), 12 dropdown (group 100),
# 13 currency (no group); person 21 boolean; company 31 numeric (group 300 "Profile")
DEAL_REGION_ENTRIES = [(501, "North"), (502, "South")]


def _ts(day: int, hour: int = 10) -> str:
    return f"2026/01/{day:02d} {hour:02d}:00:00 -0000"


def company(cid: int) -> dict[str, Any]:
    """Company ``cid`` (1-based)."""
    uid = 1 + cid % len(USERS)
    return {
        "id": cid,
        "name": COMPANY_NAMES[(cid - 1) % len(COMPANY_NAMES)]
        + ("" if cid <= len(COMPANY_NAMES) else f" {cid}"),
        "email": f"info@c{cid}.example.com",
        "web": f"c{cid}.example.com",
        "phone1": f"+44 20 7946 {cid:04d}",
        "city": ["Leeds", "Porto", "Osaka"][cid % 3],
        "country": "UK",
        "owner_id": uid,
        "owner": {"id": uid, "first_name": USERS[uid - 1][1], "last_name": USERS[uid - 1][2]},
        "is_customer": cid % 2 == 0,
        "custom_fields": {"custom_label_31": f"{cid * 10}.0"},
        "created_at": _ts(1),
        "updated_at": _ts(1 + cid % 28),
    }


def person(pid: int, companies: int) -> dict[str, Any]:
    """Person ``pid``; works for company ``pid % companies + 1``."""
    first = FIRST[pid % len(FIRST)]
    last = LAST[pid % len(LAST)]
    cid = pid % companies + 1
    uid = 1 + pid % len(USERS)
    lead = LEAD_STATUSES[pid % 2]
    return {
        "id": pid,
        "type": "Lead" if pid % 3 == 0 else "Contact",
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}",
        "position": "Buyer" if pid % 2 else "CEO",
        "email": f"{first.lower()}.{last.lower()}{pid}@example.com",
        "phone": f"+1 (555) 010-{pid:04d}",
        "work_city": "Austin",
        "user_id": uid,
        "user": {"id": uid, "first_name": USERS[uid - 1][1], "last_name": USERS[uid - 1][2]},
        "company_id": cid,
        "company_name": company(cid)["name"],
        "lead_status_id": lead[0],
        "lead_source_id": SOURCES[pid % 2][0],
        "deal_ids": [],
        "custom_fields": {"custom_label_21": pid % 2 == 0},
        "created_at": _ts(2),
        "updated_at": _ts(1 + pid % 28, pid % 24),
    }


def deal(did: int, companies: int, people: int) -> dict[str, Any]:
    """Deal ``did``: value ``did * 100``, stage/status/owner cycling with the id."""
    stage = STAGES[did % len(STAGES)]
    status = STATUSES[did % len(STATUSES)]
    uid = 1 + did % len(USERS)
    cid = did % companies + 1
    pid = did % people + 1
    return {
        "id": did,
        "name": f"{COMPANY_NAMES[did % len(COMPANY_NAMES)].split()[0]} "
        f"{PRODUCTS[did % len(PRODUCTS)]} {did}",
        "summary": None,
        "value": f"{did * 100}.0",
        "currency": {"code": "USD", "symbol": "$"},
        "deal_stage_id": stage[0],
        "deal_stage": {"id": stage[0], "name": stage[1], "percent": stage[2]},
        "status": status[0],
        "probability": stage[2],
        "user_id": uid,
        "user": {"id": uid, "first_name": USERS[uid - 1][1], "last_name": USERS[uid - 1][2]},
        "company_id": cid,
        "company": {"id": cid, "name": company(cid)["name"]},
        "primary_contact_id": pid,
        "person_ids": [pid],
        "source_id": SOURCES[did % 2][0],
        "expected_close_date": f"2026/{1 + did % 12:02d}/15",
        "custom_fields": {
            "custom_label_11": f"Net {30 + did % 3 * 15}",
            "custom_label_12": DEAL_REGION_ENTRIES[did % 2][0],
            "custom_label_13": None,
        },
        "created_at": _ts(3),
        "updated_at": _ts(1 + did % 28, did % 24),
    }


def _lookups(s: Session) -> None:
    s.records.upsert_server(
        Entity.USER,
        [
            {"id": i, "first_name": f, "last_name": la, "email": f"{f.lower()}@example.com"}
            for i, f, la in USERS
        ],
    )
    s.lookups.replace(
        "deal_stages",
        [LookupItem("deal_stages", i, n, percent=p) for i, n, p in STAGES],  # type: ignore[arg-type]
    )
    s.lookups.replace(
        "deal_statuses",
        [LookupItem("deal_statuses", i, n, hex_color=h) for i, n, h in STATUSES],  # type: ignore[arg-type]
    )
    s.lookups.replace(
        "lead_statuses",
        [LookupItem("lead_statuses", i, n, hex_color=h) for i, n, h in LEAD_STATUSES],  # type: ignore[arg-type]
    )
    s.lookups.replace(
        "lead_sources",
        [LookupItem("lead_sources", i, n) for i, n in SOURCES],  # type: ignore[arg-type]
    )
    s.lookups.replace(
        "deal_custom_field_groups",
        [LookupItem("deal_custom_field_groups", 100, "Contract")],  # type: ignore[arg-type]
    )
    s.lookups.replace(
        "company_custom_field_groups",
        [LookupItem("company_custom_field_groups", 300, "Profile")],  # type: ignore[arg-type]
    )
    entries = tuple(
        LookupItem("custom_field_label_dropdown_entries", i, n, position=k, parent_id=12)  # type: ignore[arg-type]
        for k, (i, n) in enumerate(DEAL_REGION_ENTRIES)
    )
    s.lookups.replace_custom_field_labels(
        "deal",
        [
            CustomFieldLabel(11, "deal", "Payment terms", "text", 1, group_id=100),
            CustomFieldLabel(
                12, "deal", "Region", "dropdown", 2, group_id=100, dropdown_entries=entries
            ),
            CustomFieldLabel(13, "deal", "Setup fee", "currency", 3),
        ],
    )
    s.lookups.replace_custom_field_labels(
        "person", [CustomFieldLabel(21, "person", "Newsletter", "boolean", 1)]
    )
    s.lookups.replace_custom_field_labels(
        "company", [CustomFieldLabel(31, "company", "Employees", "numeric", 1, group_id=300)]
    )
    s.lookups.replace_saved_searches(
        [
            SavedSearch(
                7,
                "Won deals",
                "deals",
                {"deal_stage": [4]},
                ("name", "value"),
                "-deals.value",
                raw={
                    "query": {"deal_stage": [4]},
                    "columns": ["name", "value"],
                    "sort": "-deals.value",
                },
            ),
            SavedSearch(
                8,
                "Hot leads",
                "people",
                {"person_status": [1], "mystery_condition": "x"},
                raw={"query": {"person_status": [1], "mystery_condition": "x"}},
            ),
        ]
    )
    s.lookups.put(
        "profile",
        {
            "id": 1,
            "first_name": "Ann",
            "date_format": "us",
            "time_format": "US",
            "time_zone": "UTC",
        },
    )


def fill_account(store: Store, deals: int = 60, people: int = 24, companies: int = 6) -> None:
    """Write the whole account into ``store``."""

    def fill(s: Session) -> None:
        _lookups(s)
        s.records.upsert_server(Entity.COMPANY, [company(i) for i in range(1, companies + 1)])
        s.records.upsert_server(Entity.PERSON, [person(i, companies) for i in range(1, people + 1)])
        for start in range(1, deals + 1, 500):
            batch = [deal(i, companies, people) for i in range(start, min(deals, start + 499) + 1)]
            s.records.upsert_server(Entity.DEAL, batch)

    store.write_sync(fill, durable=False)


def open_filled(path: Path, **counts: int) -> Store:
    """A new store at ``path`` filled by ``fill_account``."""
    store = Store.open(path, check=False)
    fill_account(store, **counts)
    return store
