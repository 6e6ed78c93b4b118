"""Side effects between records: next calendar entry, activity dates, cascades, bumps.

EMULATION (not documented by the real service, chosen to keep clients honest):
* a change of ``next_entry_*`` or of a link (people on a deal, a cleared company) moves the
  affected record's ``updated_at``, so an incremental pull sees the new values;
* deleting a deal, person or company deletes the notes, calendar entries and documents whose
  primary association it is (tombstoned like any delete) and clears other references to it.
"""

from __future__ import annotations

from collections.abc import Iterable

from crmdesk.sandbox.clock import local_date, zone
from crmdesk.sandbox.db import Database
from crmdesk.sandbox.http import Ctx

ASSOCIATION_TABLES = {"Deal": "deals", "Person": "people", "Company": "companies"}
TABLE_ASSOCIATIONS = {table: kind for kind, table in ASSOCIATION_TABLES.items()}
NOTE_COLUMNS = {"Deal": "deal_id", "Person": "person_id", "Company": "company_id"}


def bump(ctx: Ctx, table: str, ids: Iterable[int]) -> None:
    """Move ``updated_at`` of some rows forward (always by at least one second)."""
    wanted = sorted({int(i) for i in ids if i is not None})
    if not wanted:
        return
    now = ctx.state.stamp()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        ctx.state.db.conn.execute(
            f"UPDATE {table} SET updated_at = CASE WHEN updated_at >= ? THEN updated_at + 1"
            f" ELSE ? END WHERE id IN ({','.join('?' * len(chunk))})",
            [now, now, *chunk],
        )


def next_entry_values(db: Database, kind: str, record_id: int) -> tuple[object, ...]:
    """(id, name, due date, all_day) of the nearest open calendar entry of a record.

    EMULATION: "nearest" = the earliest incomplete, active entry, overdue ones included;
    entries without a date ("someday") come last.
    """
    found = db.conn.execute(
        "SELECT id, name, type, due_date, start_at, all_day, owner_id FROM calendar_entries"
        " WHERE association_type = ? AND association_id = ? AND complete = 0 AND active = 1"
        " ORDER BY sort_at IS NULL, sort_at, id LIMIT 1",
        (kind, record_id),
    ).fetchone()
    if found is None:
        return (None, None, None, None)
    entry_id, name, entry_type, due_date, start_at, all_day, owner_id = found
    if entry_type == "CalendarEvent" and start_at is not None:
        owner = db.row("SELECT time_zone FROM users WHERE id = ?", (owner_id,))
        due_date = local_date(start_at, zone(owner["time_zone"] if owner else None)).isoformat()
    return (entry_id, name, due_date, int(bool(all_day)))


def refresh_next_entry(ctx: Ctx, kind: str | None, record_id: int | None) -> None:
    """Recompute ``next_entry_*`` of one deal/person/company; bump it if they changed."""
    if kind not in ASSOCIATION_TABLES or record_id is None:
        return
    table = ASSOCIATION_TABLES[kind]
    db = ctx.state.db
    current = db.conn.execute(
        f"SELECT next_entry_id, next_entry_name, next_entry_due, next_entry_all_day"
        f" FROM {table} WHERE id = ?",
        (record_id,),
    ).fetchone()
    if current is None:
        return
    wanted = next_entry_values(db, kind, record_id)
    if tuple(current) != wanted:
        db.conn.execute(
            f"UPDATE {table} SET next_entry_id = ?, next_entry_name = ?, next_entry_due = ?,"
            f" next_entry_all_day = ? WHERE id = ?",
            (*wanted, record_id),
        )
        bump(ctx, table, [record_id])


def note_activity(
    ctx: Ctx, deal_id: int | None, person_id: int | None, company_id: int | None, at: int
) -> None:
    """Record an activity (a note) on its records: first and last activity dates."""
    db = ctx.state.db
    for table, record_id in (("deals", deal_id), ("people", person_id), ("companies", company_id)):
        if record_id is None:
            continue
        db.conn.execute(
            f"UPDATE {table} SET first_activity_at = COALESCE(first_activity_at, ?),"
            f" last_activity_at = MAX(COALESCE(last_activity_at, 0), ?) WHERE id = ?",
            (at, at, record_id),
        )


def primary_of(
    deal_id: int | None, person_id: int | None, company_id: int | None
) -> tuple[str | None, int | None]:
    """The primary association of a note or document: deal, else person, else company."""
    if deal_id is not None:
        return "Deal", deal_id
    if person_id is not None:
        return "Person", person_id
    if company_id is not None:
        return "Company", company_id
    return None, None


def cascade_delete(ctx: Ctx, kind: str, record_id: int) -> None:
    """Remove or unlink what hangs off a deal, person or company being deleted."""
    db = ctx.state.db
    at = ctx.state.stamp()
    column = NOTE_COLUMNS[kind]
    for table, entity in (("notes", "note"), ("documents", "document")):
        rows = db.rows(
            f"SELECT id, deal_id, person_id, company_id FROM {table} WHERE {column} = ?",
            (record_id,),
        )
        unlink = []
        for row in rows:
            primary = primary_of(row["deal_id"], row["person_id"], row["company_id"])
            if primary == (kind, record_id):
                if table == "notes":
                    db.conn.execute("DELETE FROM comments WHERE note_id = ?", (row["id"],))
                db.delete(table, row["id"], entity, at)
            else:
                unlink.append(row["id"])
        if unlink:
            marks = ",".join("?" * len(unlink))
            db.conn.execute(f"UPDATE {table} SET {column} = NULL WHERE id IN ({marks})", unlink)
            bump(ctx, table, unlink)
    entries = db.rows(
        "SELECT id FROM calendar_entries WHERE association_type = ? AND association_id = ?",
        (kind, record_id),
    )
    for entry in entries:
        db.delete("calendar_entries", entry["id"], "calendar_entry", at)
    documents_of_entries = [e["id"] for e in entries]
    if documents_of_entries:
        marks = ",".join("?" * len(documents_of_entries))
        db.conn.execute(
            f"UPDATE documents SET calendar_entry_id = NULL WHERE calendar_entry_id IN ({marks})",
            documents_of_entries,
        )
    if kind == "Company":
        for table in ("people", "deals"):
            ids = [
                r[0]
                for r in db.conn.execute(
                    f"SELECT id FROM {table} WHERE company_id = ?", (record_id,)
                )
            ]
            db.conn.execute(
                f"UPDATE {table} SET company_id = NULL WHERE company_id = ?", (record_id,)
            )
            bump(ctx, table, ids)
        db.conn.execute(
            "UPDATE calendar_entries SET company_id = NULL WHERE company_id = ?", (record_id,)
        )
    elif kind == "Person":
        deal_ids = [
            r[0]
            for r in db.conn.execute(
                "SELECT deal_id FROM deal_people WHERE person_id = ?", (record_id,)
            )
        ]
        contact_of = [
            r[0]
            for r in db.conn.execute(
                "SELECT id FROM deals WHERE primary_contact_id = ?", (record_id,)
            )
        ]
        db.conn.execute("DELETE FROM deal_people WHERE person_id = ?", (record_id,))
        db.conn.execute(
            "UPDATE deals SET primary_contact_id = NULL WHERE primary_contact_id = ?",
            (record_id,),
        )
        bump(ctx, "deals", deal_ids + contact_of)
    elif kind == "Deal":
        person_ids = [
            r[0]
            for r in db.conn.execute(
                "SELECT person_id FROM deal_people WHERE deal_id = ?", (record_id,)
            )
        ]
        db.conn.execute("DELETE FROM deal_people WHERE deal_id = ?", (record_id,))
        bump(ctx, "people", person_ids)
