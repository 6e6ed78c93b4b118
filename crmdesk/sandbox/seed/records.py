"""Generated companies, people and deals, inserted in bulk.

Everything derives from ``random.Random(seed)`` and the anchor time, so one seed and one
anchor date always give the same data. Ids are assigned here (from the table bases) so
rows can reference each other without reading anything back.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crmdesk.sandbox.db import Database
from crmdesk.sandbox.schema import ID_BASES
from crmdesk.sandbox.seed import words
from crmdesk.sandbox.seed.defaults import DAY, Seeded

BATCH = 20_000


@dataclass(slots=True)
class Generated:
    """What the record generator made (for calendar entries and documents)."""

    company_ids: range = range(0)
    person_ids: range = range(0)
    deal_ids: range = range(0)
    deal_company: dict[int, int | None] = field(default_factory=dict)
    deal_contact: dict[int, int | None] = field(default_factory=dict)
    deal_created: list[int] = field(default_factory=list)


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def insert_many(
    db: Database, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    sql = f"INSERT INTO {table} ({','.join(columns)}) VALUES ({','.join('?' * len(columns))})"
    for start in range(0, len(rows), BATCH):
        db.conn.executemany(sql, rows[start : start + BATCH])


def _custom_values(
    rng: random.Random,
    labels: list[dict[str, Any]],
    entries: dict[int, list[int]],
    anchor: int,
    fill: float,
) -> str:
    values: dict[str, Any] = {}
    for label in labels:
        if rng.random() >= fill:
            continue
        kind = label["field_type"]
        key = str(label["id"])
        if kind == "text":
            values[key] = rng.choice(
                (
                    "Net 30",
                    "Net 60",
                    "Prepaid annually",
                    "Call before noon",
                    "Prefers e-mail",
                    "Renewal in spring",
                )
            )
        elif kind == "boolean":
            values[key] = rng.random() < 0.5
        elif kind == "currency":
            values[key] = f"{rng.randrange(2, 400) * 25}.0"
        elif kind == "numeric":
            values[key] = f"{rng.randrange(1, 500)}.0"
        elif kind == "date":
            values[key] = _iso(anchor + rng.randrange(-700, 200) * DAY)
        elif kind == "dropdown" and entries[label["id"]]:
            values[key] = rng.choice(entries[label["id"]])
        elif kind == "multi_select" and entries[label["id"]]:
            values[key] = sorted(rng.sample(entries[label["id"]], rng.randint(1, 2)))
    return _dumps(values)


def pick_owner(rng: random.Random, users: list[int]) -> int:
    # The admin and the basic user own most records; the rest share the remainder.
    roll = rng.random()
    if roll < 0.4 or len(users) == 1:
        return users[0]
    if roll < 0.7:
        return users[1]
    return rng.choice(users)


def seed_records(
    db: Database, seed: int, counts: dict[str, int], seeded: Seeded, anchor: int
) -> Generated:
    """Insert companies, people, deals, notes and comments."""
    rng = random.Random(f"records:{seed}")
    out = Generated()
    users = seeded.user_ids
    span = 1000 * DAY

    def created_updated() -> tuple[int, int]:
        created = anchor - rng.randrange(2 * DAY, span)
        updated = created + int((anchor - created) * rng.random() ** 2)
        return created, updated

    # ------------------------------------------------------------------ companies
    n = counts["companies"]
    base = ID_BASES["companies"]
    out.company_ids = range(base, base + n)
    company_domain: dict[int, str] = {}
    company_city: dict[int, tuple[str, str, str]] = {}
    tags = seeded.of("company_tags")
    rows: list[tuple[Any, ...]] = []
    heads, tails, suffixes = words.COMPANY_HEADS, words.COMPANY_TAILS, words.COMPANY_SUFFIXES
    for index, new_company in enumerate(out.company_ids):
        head = heads[index % len(heads)]
        tail = tails[(index // len(heads) + index * 7) % len(tails)]
        suffix = suffixes[(index // (len(heads) * len(tails))) % len(suffixes)]
        name = f"{head} {tail}{suffix}"
        domain = (head + tail).lower().replace(" ", "").replace("&", "")[:24] + ".example"
        company_domain[new_company] = domain
        city = rng.choice(words.CITIES)
        company_city[new_company] = city
        created, updated = created_updated()
        owner = pick_owner(rng, users)
        rows.append(
            (
                new_company,
                name,
                f"{tail} company based in {city[0]}.",
                f"info@{domain}",
                f"www.{domain}",
                f"({rng.randint(200, 989)}) 555-{rng.randint(1000, 9999)}",
                "Main",
                f"{rng.randint(10, 9999)} {rng.choice(words.STREETS)}",
                city[0],
                city[1],
                city[2],
                "United States",
                owner,
                owner,
                owner,
                created,
                updated,
                int(rng.random() < 0.3),
                _dumps(sorted(rng.sample(tags, 1))) if rng.random() < 0.2 else "[]",
                _custom_values(
                    rng,
                    seeded.labels["company"],
                    seeded.entries,
                    anchor,
                    1.0 if index == 0 else 0.5,
                ),
            )
        )
    insert_many(
        db,
        "companies",
        (
            "id",
            "name",
            "description",
            "email",
            "web",
            "phone1",
            "phone1_desc",
            "address_1",
            "city",
            "state",
            "postal_code",
            "country",
            "owner_id",
            "created_by_user_id",
            "updated_by_user_id",
            "created_at",
            "updated_at",
            "is_customer",
            "tag_ids",
            "custom_fields",
        ),
        rows,
    )

    # ------------------------------------------------------------------ people
    n = counts["people"]
    base = ID_BASES["people"]
    out.person_ids = range(base, base + n)
    people_of: dict[int, list[int]] = {}
    statuses = seeded.of("lead_statuses")
    sources = seeded.of("lead_sources")
    people_tags = seeded.of("predefined_contacts_tags")
    first_names, last_names = words.FIRST_NAMES, words.LAST_NAMES
    rows = []
    company_list = list(out.company_ids)
    for index, person_id in enumerate(out.person_ids):
        first = first_names[rng.randrange(len(first_names))]
        last = last_names[rng.randrange(len(last_names))]
        company_id: int | None = (
            rng.choice(company_list) if company_list and rng.random() < 0.85 else None
        )
        if company_id is not None:
            people_of.setdefault(company_id, []).append(person_id)
            domain = company_domain[company_id]
            city = company_city[company_id]
        else:
            domain = rng.choice(("gmail.example", "mail.example", "outlook.example"))
            city = rng.choice(words.CITIES)
        lead = rng.random() < 0.15
        created, updated = created_updated()
        owner = pick_owner(rng, users)
        handle = f"{first}.{last}".lower().replace(" ", "")
        rows.append(
            (
                person_id,
                "Lead" if lead else "Contact",
                first,
                last,
                rng.choice(words.POSITIONS),
                f"{handle}@{domain}",
                f"({rng.randint(200, 989)}) 555-{rng.randint(1000, 9999)}",
                f"({rng.randint(200, 989)}) 555-{rng.randint(1000, 9999)}"
                if rng.random() < 0.6
                else None,
                f"{rng.randint(10, 9999)} {rng.choice(words.STREETS)}",
                city[0],
                city[1],
                city[2],
                "United States",
                owner,
                owner,
                owner,
                created,
                updated,
                company_id,
                rng.choice(statuses) if lead or rng.random() < 0.3 else None,
                rng.choice(sources) if rng.random() < 0.7 else None,
                _dumps(sorted(rng.sample(people_tags, 1))) if rng.random() < 0.15 else "[]",
                _custom_values(
                    rng, seeded.labels["person"], seeded.entries, anchor, 1.0 if index == 0 else 0.4
                ),
                int(rng.random() < 0.1),
            )
        )
    insert_many(
        db,
        "people",
        (
            "id",
            "type",
            "first_name",
            "last_name",
            "position",
            "email",
            "phone",
            "mobile",
            "work_address_1",
            "work_city",
            "work_state",
            "work_postal_code",
            "work_country",
            "user_id",
            "created_by_user_id",
            "updated_by_user_id",
            "created_at",
            "updated_at",
            "company_id",
            "lead_status_id",
            "lead_source_id",
            "tag_ids",
            "custom_fields",
            "is_key_contact",
        ),
        rows,
    )

    # ------------------------------------------------------------------ deals
    n = counts["deals"]
    base = ID_BASES["deals"]
    out.deal_ids = range(base, base + n)
    stage_ids = seeded.ids["deal_stages"]
    stages = [
        (stage_ids[name], percent)
        for name, percent in (
            ("Qualified", 10),
            ("Request for Info", 25),
            ("Presentation", 50),
            ("Negotiation", 75),
            ("Won", 100),
            ("Lost", 0),
        )
    ]
    stage_weights = (25, 20, 15, 10, 18, 12)
    pipeline = seeded.of("deal_pipelines")[0]
    won_reasons, loss_reasons = seeded.of("deal_won_reasons"), seeded.of("deal_loss_reasons")
    revenue_types, lines = seeded.of("revenue_types"), seeded.of("product_lines")
    deal_tags = seeded.of("deal_tags")
    rows = []
    links: list[tuple[int, int]] = []
    person_list = list(out.person_ids)
    for index, deal_id in enumerate(out.deal_ids):
        company_id = rng.choice(company_list) if company_list and rng.random() < 0.9 else None
        candidates = people_of.get(company_id, []) if company_id is not None else []
        contact: int | None
        if candidates:
            contact = rng.choice(candidates)
        elif person_list and rng.random() < 0.5:
            contact = rng.choice(person_list)
        else:
            contact = None
        stage_id, percent = rng.choices(stages, stage_weights)[0]
        created, updated = created_updated()
        closed = None
        if percent in (0, 100):
            closed = created + int((updated - created) * rng.random())
            close_date = _iso(closed)
        else:
            close_date = _iso(anchor + rng.randrange(-20, 150) * DAY)
        value_cents = max(5, int(rng.lognormvariate(8.3, 1.0) / 50) * 50) * 100
        owner = pick_owner(rng, users)
        title = words.PRODUCTS[rng.randrange(len(words.PRODUCTS))]
        prefix = (
            words.COMPANY_HEADS[(company_id - ID_BASES["companies"]) % len(words.COMPANY_HEADS)]
            if company_id
            else words.LAST_NAMES[rng.randrange(len(words.LAST_NAMES))]
        )
        rows.append(
            (
                deal_id,
                f"{prefix} - {title}",
                None if rng.random() < 0.7 else f"{title} for {prefix}.",
                owner,
                owner,
                owner,
                created,
                updated,
                rng.choice(seeded.of("lead_sources")) if rng.random() < 0.6 else None,
                contact,
                company_id,
                pipeline,
                stage_id,
                rng.choice((1, 2, 3, None)),
                percent,
                value_cents,
                close_date,
                closed,
                rng.choice(loss_reasons) if percent == 0 else None,
                rng.choice(won_reasons) if percent == 100 else None,
                rng.choice(revenue_types) if rng.random() < 0.5 else None,
                _dumps(sorted(rng.sample(users, 1))) if rng.random() < 0.1 else "[]",
                _dumps(sorted(rng.sample(deal_tags, 1))) if rng.random() < 0.1 else "[]",
                _dumps(sorted(rng.sample(lines, 1))) if rng.random() < 0.2 else "[]",
                _custom_values(
                    rng, seeded.labels["deal"], seeded.entries, anchor, 1.0 if index == 0 else 0.35
                ),
                updated - rng.randrange(0, max(1, updated - created + 1)),
            )
        )
        out.deal_company[deal_id] = company_id
        out.deal_contact[deal_id] = contact
        out.deal_created.append(created)
        if contact is not None:
            links.append((deal_id, contact))
            if len(candidates) > 1 and rng.random() < 0.25:
                other = rng.choice(candidates)
                if other != contact:
                    links.append((deal_id, other))
    insert_many(
        db,
        "deals",
        (
            "id",
            "name",
            "summary",
            "user_id",
            "created_by_user_id",
            "updated_by_user_id",
            "created_at",
            "updated_at",
            "source_id",
            "primary_contact_id",
            "company_id",
            "deal_pipeline_id",
            "deal_stage_id",
            "status",
            "probability",
            "value_cents",
            "expected_close_date",
            "closed_time",
            "deal_loss_reason_id",
            "deal_won_reason_id",
            "revenue_type_id",
            "shared_user_ids",
            "tag_ids",
            "product_line_ids",
            "custom_fields",
            "stage_changed_at",
        ),
        rows,
    )
    insert_many(db, "deal_people", ("deal_id", "person_id"), links)
    rows = []

    return out


def anchor_epoch(anchor_date: Any) -> int:
    """Epoch second of the anchor day's midnight (UTC)."""
    return int(
        datetime(anchor_date.year, anchor_date.month, anchor_date.day, tzinfo=UTC).timestamp()
    )


__all__ = ["Generated", "anchor_epoch", "seed_records", "timedelta"]
