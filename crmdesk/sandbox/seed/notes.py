"""Seeded notes (activities) with comments, and the activity dates they imply."""

from __future__ import annotations

import random
from typing import Any

from crmdesk.sandbox.db import Database
from crmdesk.sandbox.schema import ID_BASES
from crmdesk.sandbox.seed import words
from crmdesk.sandbox.seed.defaults import DAY, Seeded
from crmdesk.sandbox.seed.records import BATCH, Generated, insert_many, pick_owner


def seed_notes(
    db: Database, seed: int, n: int, out: Generated, seeded: Seeded, anchor: int
) -> None:
    """Insert ``n`` notes (60 % on deals, 30 % on people, 10 % on companies), a fifth of
    them with comments, then set first/last activity dates on their records."""
    rng = random.Random(f"notes:{seed}")
    base = ID_BASES["notes"]
    categories = [
        seeded.ids["note_categories"][name]
        for name in ("Appointment", "Cold Call", "Concerns", "Phone Call", "Voicemail")
    ]
    email_category = seeded.ids["note_categories"]["Email"]
    deals, people, companies = list(out.deal_ids), list(out.person_ids), list(out.company_ids)
    users = seeded.user_ids
    rows: list[tuple[Any, ...]] = []
    comments: list[tuple[Any, ...]] = []
    comment_id = ID_BASES["comments"]
    templates = words.NOTE_TEMPLATES
    for index in range(n):
        note_id = base + index
        roll = rng.random()
        deal_id = person_id = company_id = None
        if deals and (roll < 0.6 or not (people or companies)):
            deal_id = rng.choice(deals)
        elif people and (roll < 0.9 or not companies):
            person_id = rng.choice(people)
        elif companies:
            company_id = rng.choice(companies)
        else:
            break
        if deal_id is not None:
            start = out.deal_created[deal_id - out.deal_ids.start]
            created = start + int((anchor - 60 - start) * rng.random())
        else:
            created = anchor - rng.randrange(3600, 700 * DAY)
        updated = min(
            anchor - 1, created + (rng.randrange(0, 3 * DAY) if rng.random() < 0.1 else 0)
        )
        owner = pick_owner(rng, users)
        email = rng.random() < 0.1
        text = templates[rng.randrange(len(templates))].format(
            first=words.FIRST_NAMES[rng.randrange(len(words.FIRST_NAMES))],
            weekday=rng.choice(words.WEEKDAYS),
            product=rng.choice(words.PRODUCTS).lower(),
            position=rng.choice(words.POSITIONS),
        )
        rows.append(
            (
                note_id,
                "Re: next steps" if email else None,
                text,
                deal_id,
                person_id,
                company_id,
                owner,
                owner,
                email_category if email else rng.choice(categories),
                int(rng.random() < 0.7) if email else None,
                created,
                updated,
            )
        )
        if rng.random() < 0.2 or index == 0:
            for offset in range(rng.randint(1, 2)):
                at = min(anchor - 60, created + (offset + 1) * rng.randrange(600, 2 * DAY))
                comments.append(
                    (
                        comment_id,
                        note_id,
                        rng.choice(users),
                        rng.choice(words.COMMENT_TEMPLATES),
                        at,
                        at,
                    )
                )
                comment_id += 1
        if len(rows) >= BATCH:
            _flush_notes(db, rows, comments)
            rows, comments = [], []
    _flush_notes(db, rows, comments)
    # First and last activity dates of deals, people and companies.
    for table, column in (
        ("deals", "deal_id"),
        ("people", "person_id"),
        ("companies", "company_id"),
    ):
        db.conn.execute(
            f"UPDATE {table} SET first_activity_at = a.first, last_activity_at = a.last"
            f" FROM (SELECT {column} AS rid, MIN(created_at) AS first, MAX(created_at) AS last"
            f" FROM notes WHERE {column} IS NOT NULL GROUP BY {column}) AS a"
            f" WHERE a.rid = {table}.id"
        )


def _flush_notes(
    db: Database, rows: list[tuple[Any, ...]], comments: list[tuple[Any, ...]]
) -> None:
    insert_many(
        db,
        "notes",
        (
            "id",
            "title",
            "content",
            "deal_id",
            "person_id",
            "company_id",
            "user_id",
            "created_by_user_id",
            "note_category_id",
            "is_sent_message",
            "created_at",
            "updated_at",
        ),
        rows,
    )
    insert_many(
        db,
        "comments",
        ("id", "note_id", "user_id", "comment", "created_at", "updated_at"),
        comments,
    )
