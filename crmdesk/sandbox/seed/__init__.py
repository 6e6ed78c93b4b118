"""Seeded data: deterministic for a seed and an anchor date, at any scale."""

from __future__ import annotations

from datetime import UTC, datetime

from crmdesk.sandbox.db import Database
from crmdesk.sandbox.options import SandboxOptions
from crmdesk.sandbox.seed.activities import seed_calendar, seed_documents
from crmdesk.sandbox.seed.defaults import seed_account
from crmdesk.sandbox.seed.notes import seed_notes
from crmdesk.sandbox.seed.records import anchor_epoch, seed_records


def seed_database(db: Database, options: SandboxOptions) -> None:
    """Create the schema and fill a fresh database for ``options`` (scale, seed, counts)."""
    anchor_date = options.anchor_date or datetime.now(UTC).date()
    anchor = anchor_epoch(anchor_date)
    db.create_schema()
    counts = {name: options.count(name) for name in ("companies", "people", "deals", "notes")}
    with db.transaction():
        seeded = seed_account(db, options, anchor)
        made = seed_records(db, options.seed, counts, seeded, anchor)
        seed_notes(db, options.seed, counts["notes"], made, seeded, anchor)
        deals = counts["deals"]
        calendar = 8 if options.scale == "tiny" and options.deals is None else max(4, deals // 2)
        seed_calendar(db, options.seed, min(calendar, 50_000), made, seeded, anchor)
        documents = 3 if options.scale == "tiny" and options.deals is None else deals // 40
        seed_documents(db, options.seed, min(max(documents, 3), 500), made, seeded, anchor)
        db.set_meta("scale", options.scale)
        db.set_meta("seed", str(options.seed))
        db.set_meta("anchor_date", anchor_date.isoformat())
        db.set_meta("seeded", "1")
    db.create_indexes()
