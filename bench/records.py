"""API-shaped records for the store benchmarks (deals, people, companies, users, lookups).

The sandbox's seed generator had not landed on main when these benchmarks were written, so
this is a small stand-in: deterministic (seeded), shaped like the list responses described
in ``shared/api/pipelinedeals-v3.md`` (section 4), with the embedded convenience objects and
the many null keys a real list page carries, so JSON sizes are realistic.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

FIRST = [
    "Ann",
    "Bob",
    "Carla",
    "Dmitri",
    "Eve",
    "Farah",
    "Gus",
    "Hana",
    "Ivan",
    "Jo",
    "Kemal",
    "Lena",
    "Milo",
    "Nadia",
    "Omar",
    "Pia",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Xavier",
    "Yara",
    "Zoe",
    "Ahmed",
    "Beatriz",
    "Chen",
    "Dolores",
    "Emeka",
    "Freya",
]
LAST = [
    "Smith",
    "Jones",
    "Novak",
    "Garcia",
    "Okafor",
    "Tanaka",
    "Müller",
    "Rossi",
    "Dubois",
    "Kowalski",
    "Silva",
    "Nguyen",
    "Andersson",
    "Haddad",
    "Petrov",
    "Oconnor",
    "Schmidt",
    "Laurent",
    "Costa",
    "Ivanova",
    "Kim",
    "Patel",
    "Moreau",
    "Berg",
]
WORDS = [
    "Acme",
    "Global",
    "Northwind",
    "Contoso",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Globex",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Wonka",
    "Aperture",
    "Blue",
    "Sun",
    "Gringotts",
    "Oscorp",
    "Massive",
    "Dynamic",
]
PRODUCTS = [
    "Renewal",
    "Upgrade",
    "Pilot",
    "Licence",
    "Rollout",
    "Support",
    "Expansion",
    "Migration",
    "Audit",
]
CITIES = [
    "Berlin",
    "Lagos",
    "Osaka",
    "Lima",
    "Austin",
    "Leeds",
    "Porto",
    "Pune",
    "Quito",
    "Oslo",
    "Dakar",
    "Perth",
]

STAGES = [
    (1, "Lost", 0),
    (2, "Qualified", 10),
    (3, "Request for Info", 25),
    (4, "Presentation", 50),
]
STAGES += [(5, "Negotiation", 75), (6, "Won", 100)]
STATUSES = [(1, "Red", "#e00"), (2, "Yellow", "#ee0"), (3, "Green", "#0c0")]
SOURCES = [(1, "Cold Call"), (2, "Import"), (3, "Referral"), (4, "Trade Show"), (5, "Website")]
LEAD_STATUSES = [(1, "Hot"), (2, "Warm"), (3, "Cold"), (4, "Follow-up")]
USERS = 25


def _ts(rng: random.Random) -> str:
    return (
        f"20{rng.randint(20, 26)}/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d} "
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d} -0400"
    )


def _date(rng: random.Random) -> str:
    return f"20{rng.randint(24, 28)}/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}"


def _person_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)


def _mini_user(uid: int) -> dict[str, Any]:
    return {"id": uid, "first_name": FIRST[uid % len(FIRST)], "last_name": LAST[uid % len(LAST)]}


def users() -> list[dict[str, Any]]:
    """The account's users."""
    return [
        {
            **_mini_user(uid),
            "email": f"user{uid}@example.com",
            "level": 3 if uid == 1 else 1,
            "is_account_admin": uid == 1,
            "time_zone": "America/New_York",
            "updated_at": "2026/01/05 10:00:00 -0400",
        }
        for uid in range(1, USERS + 1)
    ]


def company_name(cid: int) -> str:
    """A company's name, derived from its id so deals and people can embed it."""
    rng = random.Random(cid * 7919)
    return f"{rng.choice(WORDS)} {rng.choice(WORDS)} {cid}"


def deal(did: int, rng: random.Random, companies: int, people: int) -> dict[str, Any]:
    """One deal as a list page carries it."""
    stage_id, stage_name, percent = rng.choice(STAGES)
    status_id, status_name, colour = rng.choice(STATUSES)
    uid = rng.randint(1, USERS)
    cid = rng.randint(1, companies) if rng.random() < 0.85 else None
    pid = rng.randint(1, people) if rng.random() < 0.7 else None
    source = rng.choice(SOURCES) if rng.random() < 0.6 else None
    value = f"{rng.randint(1, 5_000_000) / 10:.1f}" if rng.random() < 0.9 else None
    first, last = _person_name(rng)
    record: dict[str, Any] = {
        "id": did,
        "name": f"{rng.choice(WORDS)} {rng.choice(PRODUCTS)} {did}",
        "summary": None if rng.random() < 0.7 else f"Follow-up on {rng.choice(PRODUCTS)}",
        "user_id": uid,
        "user": _mini_user(uid),
        "created_at": _ts(rng),
        "updated_at": _ts(rng),
        "created_by_user_id": uid,
        "updated_by_user_id": uid,
        "is_archived": False,
        "is_example": None,
        "is_sample": False,
        "source_id": source[0] if source else None,
        "primary_contact_id": pid,
        "primary_contact": None
        if pid is None
        else {"id": pid, "first_name": first, "last_name": last, "email": f"{first}@x.com"},
        "person_ids": [] if pid is None else [pid],
        "people": [] if pid is None else [{"id": pid, "first_name": first, "last_name": last}],
        "company_id": cid,
        "company": None
        if cid is None
        else {"id": cid, "name": company_name(cid), "is_customer": False},
        "deal_pipeline_id": 1,
        "deal_pipeline": {"id": 1, "name": "Sales Pipeline", "default": True},
        "deal_stage_id": stage_id,
        "deal_stage": {"id": stage_id, "name": stage_name, "percent": percent},
        "status": status_id,
        "deal_status": {"id": status_id, "name": status_name, "hex_color": colour},
        "probability": percent,
        "value": value,
        "value_in_cents": None if value is None else int(float(value) * 100),
        "currency": {"code": "USD", "symbol": "$", "name": "US Dollar"},
        "expected_close_date": _date(rng) if rng.random() < 0.8 else None,
        "expected_close_date_event_id": None,
        "closed_time": None,
        "deal_loss_reason_id": None,
        "deal_loss_reason_notes": None,
        "deal_won_reason_id": None,
        "deal_won_reason_notes": None,
        "revenue_type_id": None,
        "import_id": None,
        "next_entry_id": None,
        "next_entry_name": None,
        "next_entry_due": None,
        "next_entry_all_day": None,
        "address_1": None,
        "address_2": None,
        "city": None,
        "postal_code": None,
        "state": None,
        "country": None,
        "shared_user_ids": [],
        "project_shared_user_ids": [],
        "collaborators": [],
        "date_of_first_activity": None,
        "days_since_last_activity": rng.randint(0, 400),
        "hours_to_first_activity": None,
        "days_in_stage": rng.randint(0, 200),
        "deal_copy": None,
        "custom_fields": {"custom_label_1": None, "custom_label_2": rng.choice([None, "A", "B"])},
        "deal_product_lines_ids": [],
        "tag_ids": [],
    }
    if source:
        record["source"] = {"id": source[0], "name": source[1]}
    return record


def person(pid: int, rng: random.Random, companies: int) -> dict[str, Any]:
    """One person as a list page carries it."""
    first, last = _person_name(rng)
    uid = rng.randint(1, USERS)
    cid = rng.randint(1, companies) if rng.random() < 0.8 else None
    lead = rng.choice(LEAD_STATUSES) if rng.random() < 0.5 else None
    record: dict[str, Any] = {
        "id": pid,
        "type": rng.choice(("Contact", "Lead")),
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}",
        "position": rng.choice((None, "CEO", "Buyer", "Engineer")),
        "summary": None,
        "phone": f"+1 ({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
        "mobile": None,
        "email": f"{first.lower()}.{last.lower()}{pid}@example.com",
        "email2": None,
        "home_email": None,
        "website": None,
        "work_city": rng.choice(CITIES),
        "work_country": None,
        "user_id": uid,
        "user": _mini_user(uid),
        "created_at": _ts(rng),
        "updated_at": _ts(rng),
        "company_id": cid,
        "company_name": None if cid is None else company_name(cid),
        "deal_ids": [],
        "lead_status": None if lead is None else {"id": lead[0], "name": lead[1]},
        "lead_status_id": None if lead is None else lead[0],
        "lead_source_id": None,
        "predefined_contacts_tag_ids": [],
        "custom_fields": {},
        "unsubscribed": False,
        "bounced": False,
        "is_sample": False,
        "total_pipeline": 0,
        "won_deals_total": 0,
    }
    if cid is not None:
        record["company"] = {"id": cid, "name": company_name(cid)}
    return record


def company(cid: int, rng: random.Random) -> dict[str, Any]:
    """One company as a list page carries it."""
    uid = rng.randint(1, USERS)
    return {
        "id": cid,
        "name": company_name(cid),
        "description": None,
        "email": f"info@c{cid}.example.com",
        "web": f"https://c{cid}.example.com",
        "fax": None,
        "address_1": None,
        "city": rng.choice(CITIES),
        "state": None,
        "country": None,
        "phone1": f"+44 20 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
        "phone2": None,
        "owner_id": uid,
        "owner": _mini_user(uid),
        "created_at": _ts(rng),
        "updated_at": _ts(rng),
        "is_customer": rng.random() < 0.2,
        "custom_fields": {},
        "tag_ids": [],
        "shared_user_ids": [],
    }


def pages(kind: str, count: int, page: int = 200, seed: int = 1, **kw: int) -> Iterator[list[Any]]:
    """``count`` records of ``kind`` (deals | people | companies) in pages of ``page``."""
    rng = random.Random(seed)
    companies = kw.get("companies", max(1, count // 5))
    people = kw.get("people", max(1, count // 2))
    for start in range(1, count + 1, page):
        stop = min(count + 1, start + page)
        if kind == "deals":
            yield [deal(i, rng, companies, people) for i in range(start, stop)]
        elif kind == "people":
            yield [person(i, rng, companies) for i in range(start, stop)]
        else:
            yield [company(i, rng) for i in range(start, stop)]
