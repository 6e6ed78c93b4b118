"""Seeded calendar entries (tasks, events, recurring series) and documents with real bytes."""

from __future__ import annotations

import hashlib
import random
import struct
import uuid
import zlib
from datetime import date, datetime, timedelta
from typing import Any

from crmdesk.sandbox.clock import local_date, start_of_day, zone
from crmdesk.sandbox.db import Database
from crmdesk.sandbox.recurrence import expand, horizon
from crmdesk.sandbox.schema import ID_BASES
from crmdesk.sandbox.seed import words
from crmdesk.sandbox.seed.defaults import DAY, Seeded
from crmdesk.sandbox.seed.records import BATCH, Generated

_COLUMNS = (
    "id",
    "type",
    "name",
    "description",
    "owner_id",
    "created_by_user_id",
    "category_id",
    "start_at",
    "end_at",
    "due_date",
    "all_day",
    "complete",
    "completed_at",
    "active",
    "association_type",
    "association_id",
    "company_id",
    "rrule",
    "rdate",
    "exrule",
    "exdate",
    "recurrence_end",
    "base_entry_id",
    "part_of_recurring_series",
    "calendar_entry_priority_id",
    "calendar_entry_status_id",
    "sort_at",
    "created_at",
    "updated_at",
)


def seed_calendar(
    db: Database, seed: int, count: int, out: Generated, seeded: Seeded, anchor: int
) -> None:
    """Insert ``count`` single entries plus a few recurring series, then next entries."""
    rng = random.Random(f"calendar:{seed}")
    zones = {row[0]: zone(row[1]) for row in db.conn.execute("SELECT id, time_zone FROM users")}
    anchor_day = datetime.fromtimestamp(anchor, zone("UTC")).date()
    categories = seeded.ids["event_categories"]
    statuses = seeded.ids["calendar_entry_statuses"]
    todo, done = statuses["To-Do"], statuses["Done"]
    priorities = seeded.of("calendar_entry_priorities")
    deals, people, companies = list(out.deal_ids), list(out.person_ids), list(out.company_ids)
    next_id = [ID_BASES["calendar_entries"]]
    rows: list[tuple[Any, ...]] = []

    def add(values: dict[str, Any]) -> int:
        entry_id = next_id[0]
        next_id[0] += 1
        values["id"] = entry_id
        rows.append(tuple(values.get(name) for name in _COLUMNS))
        if len(rows) >= BATCH:
            _flush(db, rows)
        return entry_id

    def association() -> tuple[str | None, int | None, int | None]:
        roll = rng.random()
        if deals and roll < 0.7:
            deal_id = rng.choice(deals)
            return "Deal", deal_id, out.deal_company.get(deal_id)
        if people and roll < 0.9:
            return "Person", rng.choice(people), None
        if companies:
            company_id = rng.choice(companies)
            return "Company", company_id, company_id
        return None, None, None

    def entry(
        kind: str, name: str, day: date, owner: int, minute: int, length: int
    ) -> dict[str, Any]:
        tz = zones[owner]
        assoc_type, assoc_id, company_id = association()
        created = min(anchor - 3600, start_of_day(day, tz) - rng.randrange(1, 30) * DAY)
        values: dict[str, Any] = {
            "type": kind,
            "name": name,
            "owner_id": owner,
            "created_by_user_id": owner,
            "association_type": assoc_type,
            "association_id": assoc_id,
            "company_id": company_id,
            "active": 1,
            "calendar_entry_priority_id": rng.choice(priorities),
            "created_at": created,
            "updated_at": created,
            "part_of_recurring_series": 0,
        }
        if kind == "CalendarTask":
            values.update(
                due_date=day.isoformat(),
                all_day=1,
                sort_at=start_of_day(day, tz),
                category_id=categories["To-do"] if rng.random() < 0.7 else categories["Call"],
            )
        else:
            start = int(datetime.combine(day, datetime.min.time()).replace(tzinfo=tz).timestamp())
            start += minute * 60
            values.update(
                start_at=start,
                end_at=start + length * 60,
                all_day=0,
                sort_at=start,
                category_id=rng.choice((categories["Appointment"], categories["Call"])),
            )
        past = values["sort_at"] < anchor
        complete = past and rng.random() < 0.8
        values.update(
            complete=int(complete),
            calendar_entry_status_id=done if complete else todo,
            completed_at=values["sort_at"] + 3600 if complete else None,
        )
        if complete:
            values["updated_at"] = max(
                values["created_at"], min(anchor - 1, values["sort_at"] + 3600)
            )
        return values

    users = seeded.user_ids
    for _ in range(count):
        owner = users[0] if rng.random() < 0.4 else rng.choice(users)
        day = anchor_day + timedelta(days=rng.randrange(-60, 90))
        if rng.random() < 0.6:
            add(entry("CalendarTask", rng.choice(words.TASK_NAMES), day, owner, 0, 0))
        else:
            add(
                entry(
                    "CalendarEvent",
                    rng.choice(words.EVENT_NAMES),
                    day,
                    owner,
                    rng.randrange(16, 34) * 30,
                    rng.choice((30, 45, 60, 90)),
                )
            )

    # Recurring series: a weekly meeting with one skipped week, and a monthly task.
    series = max(1, count // 100)
    for index in range(series):
        owner = users[index % len(users)]
        tz = zones[owner]
        monday = anchor_day - timedelta(days=anchor_day.weekday() + 14)
        weekly = entry("CalendarEvent", "Weekly pipeline review", monday, owner, 9 * 60, 45)
        first = datetime.fromtimestamp(weekly["start_at"], tz).replace(tzinfo=None)
        skipped = first + timedelta(days=21)
        weekly.update(
            rrule="FREQ=WEEKLY;BYDAY=MO",
            exdate=skipped.strftime("%Y%m%dT%H%M%S"),
            recurrence_end=(anchor_day + timedelta(days=70)).isoformat(),
            part_of_recurring_series=1,
            complete=0,
            completed_at=None,
            calendar_entry_status_id=todo,
        )
        _series(add, weekly, first, tz, anchor_day, todo, done, anchor)
        start_day = anchor_day.replace(day=1)
        monthly = entry("CalendarTask", "Send monthly sales report", start_day, owner, 0, 0)
        monthly.update(
            rrule="FREQ=MONTHLY;BYMONTHDAY=1",
            part_of_recurring_series=1,
            complete=1,
            calendar_entry_status_id=done,
        )
        _series(
            add,
            monthly,
            datetime.combine(start_day, datetime.min.time()),
            tz,
            anchor_day,
            todo,
            done,
            anchor,
        )
    _flush(db, rows)
    refresh_all_next_entries(db)


def _series(
    add: Any,
    base: dict[str, Any],
    start: datetime,
    tz: Any,
    today: date,
    todo: int,
    done: int,
    anchor: int,
) -> None:
    base_id = add(dict(base))
    months = 12
    until = horizon(start, today, base.get("recurrence_end"), months)
    for moment in expand(
        start,
        rrule=base.get("rrule"),
        rdate=None,
        exrule=None,
        exdate=base.get("exdate"),
        until=until,
        tz=tz,
    ):
        values = {k: v for k, v in base.items() if k not in ("rrule", "exdate", "recurrence_end")}
        values.update(base_entry_id=base_id, part_of_recurring_series=1)
        if base["type"] == "CalendarEvent":
            begin = int(moment.replace(tzinfo=tz).timestamp())
            values.update(
                start_at=begin, end_at=begin + (base["end_at"] - base["start_at"]), sort_at=begin
            )
        else:
            values.update(
                due_date=moment.date().isoformat(), sort_at=start_of_day(moment.date(), tz)
            )
        past = values["sort_at"] < anchor
        values.update(
            complete=int(past),
            completed_at=values["sort_at"] + 3600 if past else None,
            calendar_entry_status_id=done if past else todo,
        )
        add(values)


def _flush(db: Database, rows: list[tuple[Any, ...]]) -> None:
    db.conn.executemany(
        f"INSERT INTO calendar_entries ({','.join(_COLUMNS)})"
        f" VALUES ({','.join('?' * len(_COLUMNS))})",
        rows,
    )
    rows.clear()


def refresh_all_next_entries(db: Database) -> None:
    """Set ``next_entry_*`` of every deal, person and company from the calendar."""
    zones = {row[0]: zone(row[1]) for row in db.conn.execute("SELECT id, time_zone FROM users")}
    found = db.conn.execute(
        "SELECT association_type, association_id, id, name, type, due_date, start_at, all_day,"
        " owner_id FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY association_type,"
        " association_id ORDER BY sort_at IS NULL, sort_at, id) AS rank FROM calendar_entries"
        " WHERE complete = 0 AND active = 1 AND association_id IS NOT NULL) WHERE rank = 1"
    ).fetchall()
    updates: dict[str, list[tuple[Any, ...]]] = {"Deal": [], "Person": [], "Company": []}
    for kind, record_id, entry_id, name, entry_type, due, start, all_day, owner in found:
        if entry_type == "CalendarEvent" and start is not None:
            due = local_date(start, zones.get(owner, zone("UTC"))).isoformat()
        updates[kind].append((entry_id, name, due, int(bool(all_day)), record_id))
    for kind, table in (("Deal", "deals"), ("Person", "people"), ("Company", "companies")):
        db.conn.executemany(
            f"UPDATE {table} SET next_entry_id = ?, next_entry_name = ?, next_entry_due = ?,"
            f" next_entry_all_day = ? WHERE id = ?",
            updates[kind],
        )


# ---------------------------------------------------------------------- documents


def _pdf(text: str) -> bytes:
    """A small, valid one-page PDF showing ``text``."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 18 Tf 72 720 Td ({safe}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body = b"%PDF-1.4\n"
    offsets = []
    for number, content in enumerate(objects, 1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n".encode() + content + b"\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    body += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return body


def _png(red: int, green: int, blue: int, size: int = 32) -> bytes:
    """A small solid-colour PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + bytes((red, green, blue)) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def seed_documents(
    db: Database, seed: int, count: int, out: Generated, seeded: Seeded, anchor: int
) -> None:
    """Insert documents (proposals, price lists, logos) whose bytes are really there."""
    rng = random.Random(f"documents:{seed}")
    tags = seeded.ids["document_tags"]
    deals = list(out.deal_ids)
    companies = list(out.company_ids)
    rows = []
    blobs = []
    for index in range(count):
        document_id = ID_BASES["documents"] + index
        kind = index % 3
        deal_id = rng.choice(deals) if deals and kind != 2 else None
        company_id = rng.choice(companies) if companies and kind == 2 else None
        if kind == 0:
            name = f"Proposal {index + 1}.pdf"
            data = _pdf(f"Proposal {index + 1} - {rng.choice(words.PRODUCTS)}")
            content_type, doc_type, tag = "application/pdf", "pdfs", tags["Proposal"]
        elif kind == 1:
            name = f"Price list {index + 1}.csv"
            lines = ["item,quantity,unit_price"] + [
                f"{rng.choice(words.PRODUCTS)},{rng.randint(1, 20)},{rng.randint(20, 900)}.00"
                for _ in range(rng.randint(3, 8))
            ]
            data = ("\n".join(lines) + "\n").encode()
            content_type, doc_type, tag = "text/csv", "spreadsheets", tags["Quote"]
        else:
            name = f"Logo {index + 1}.png"
            data = _png(rng.randrange(256), rng.randrange(256), rng.randrange(256))
            content_type, doc_type, tag = "image/png", "images", tags["Collateral"]
        key = uuid.UUID(int=rng.getrandbits(128)).hex
        blobs.append((key, name, content_type, data))
        created = anchor - rng.randrange(DAY, 400 * DAY)
        owner = rng.choice(seeded.user_ids)
        rows.append(
            (
                document_id,
                name,
                owner,
                deal_id,
                company_id,
                doc_type,
                2,
                key,
                len(data),
                hashlib.md5(data).hexdigest(),
                f"[{tag}]",
                created,
                created,
            )
        )
    db.conn.executemany(
        "INSERT INTO blobs (key, file_name, content_type, data) VALUES (?, ?, ?, ?)", blobs
    )
    db.conn.executemany(
        "INSERT INTO documents (id, title, owner_id, deal_id, company_id, document_type,"
        " upload_status, blob_key, size_bytes, etag, tag_ids, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
