"""Record rows: last server JSON, effective JSON, extracted columns and the sync marker.

The *effective* record is the server's JSON with every open conflict's local value and
every queued local patch laid over it, in queue order. It is stored (``local``) only while
it differs from the server's; its columns are what the tables show, sort and search.
"""

from __future__ import annotations

import array
import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crmdesk.domain.entities import Entity
from crmdesk.domain.outbox import OpKind, OpState
from crmdesk.domain.patch import apply_patch
from crmdesk.domain.sync_status import RecordSync
from crmdesk.store import bulk
from crmdesk.store.columns import TABLES, EntityTable, epoch
from crmdesk.store.errors import UnknownRecordError

if TYPE_CHECKING:
    from crmdesk.store.session import Session

_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as the store has it."""

    entity: Entity
    id: int
    data: Mapping[str, Any]  # effective JSON: server JSON + pending local changes
    server: Mapping[str, Any] | None  # what the server last sent; None if not created there
    sync: RecordSync


@dataclass(frozen=True, slots=True)
class DeletionResult:
    """Outcome of applying server-side deletions."""

    removed: frozenset[int]  # rows deleted locally too
    kept: frozenset[int]  # rows with local changes, now marked deleted-on-server


def is_older(copy: Mapping[str, Any], than: Mapping[str, Any] | None) -> bool:
    """True if server copy ``copy`` is older than ``than`` (by ``updated_at``)."""
    if not than:
        return False
    new_at, old_at = epoch(copy.get("updated_at")), epoch(than.get("updated_at"))
    return new_at is not None and old_at is not None and new_at < old_at


def table_of(entity: Entity) -> EntityTable:
    """The SQL layout of ``entity``."""
    return TABLES[entity]


def _upsert_sql(table: EntityTable, only_newer: bool) -> str:
    names = ["id", "server", "local", "sync", "gone", *table.column_names]
    values = ["?"] * (5 + len(table.columns)) + [f"coalesce({d.lookup}, ?)" for d in table.derived]
    updates = ", ".join(f"{n} = excluded.{n}" for n in names[1:])
    sql = (
        f"INSERT INTO {table.table} ({', '.join(names)}) VALUES ({', '.join(values)}) "
        f"ON CONFLICT(id) DO UPDATE SET {updates}"
    )
    if only_newer:
        t = table.table
        # A copy the row already has (an overlapping pull) changes nothing: skip it.
        sql += (
            f" WHERE ({t}.server IS NOT excluded.server OR {t}.local IS NOT NULL"
            f" OR {t}.sync IS NOT NULL OR {t}.gone IS NOT NULL)"
        )
        if "updated_at" in table.column_names:
            sql += (
                f" AND (excluded.updated_at >= {t}.updated_at OR {t}.updated_at IS NULL"
                " OR excluded.updated_at IS NULL)"
            )
    return sql


class _Writer:
    """Pre-built statements and argument layout for one table."""

    def __init__(self, table: EntityTable) -> None:
        self.table = table
        self.upsert = _upsert_sql(table, only_newer=False)
        self.upsert_newer = _upsert_sql(table, only_newer=True)
        position = {c.name: i for i, c in enumerate(table.columns)}
        self.getters = tuple(c.get for c in table.columns)
        self.derived = tuple((position[d.source], d.fallback) for d in table.derived)
        self.names = ("id", "server", "local", "sync", "gone", *table.column_names)
        self.select = f"SELECT {', '.join(self.names)} FROM {table.table} WHERE id IN "
        self.stamp = 5 + position["updated_at"] if "updated_at" in position else None
        self._updates: dict[tuple[int, ...], str] = {}

    def params(
        self,
        rid: int,
        server: bytes | None,
        local: bytes | None,
        sync: str | None,
        gone: int | None,
        record: Mapping[str, Any],
    ) -> list[Any]:
        # Runs once per stored row: a flat list, no intermediate tuples.
        values = [get(record) for get in self.getters]
        row = [rid, server, local, sync, gone, *values]
        for key, fallback in self.derived:
            row.append(values[key])
            row.append(fallback(record))
        return row

    def write(self, conn: sqlite3.Connection, rows: list[list[Any]], only_newer: bool) -> None:
        """Store ``params`` rows: new ones inserted, existing ones updated in only the
        columns whose value changes. SQLite rewrites the index entries of every column an
        UPDATE sets, changed or not: an edit that set all of a deal's columns rewrote 14
        index pages instead of one or two.

        ``only_newer``: a row is not replaced by an older copy (``updated_at``) nor by the
        very copy it has.
        """
        ids = [row[0] for row in rows]
        current: dict[int, tuple[Any, ...]] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            sql = self.select + f"({','.join('?' * len(chunk))})"
            current.update((found[0], found) for found in conn.execute(sql, chunk))
        if not current or len(set(ids)) < len(ids):
            # all new (a first sync), or one id twice: the statement applies them in turn
            conn.executemany(self.upsert_newer if only_newer else self.upsert, rows)
            return
        fresh = [row for row in rows if row[0] not in current]
        if fresh:
            conn.executemany(self.upsert_newer if only_newer else self.upsert, fresh)
        groups: dict[tuple[int, ...], list[list[Any]]] = {}
        for row in rows:
            old = current.get(row[0])
            if old is None or (only_newer and self._keeps(old, row)):
                continue
            changed, args = self._changes(old, row)
            if changed:
                args.append(row[0])
                groups.setdefault(changed, []).append(args)
        for changed, batch in groups.items():
            conn.executemany(self._update_sql(changed), batch)

    def _keeps(self, old: tuple[Any, ...], row: list[Any]) -> bool:
        """True if ``old`` stays: ``row`` is the very copy it has, or an older one."""
        if old[1] == row[1] and old[2] is None and old[3] is None and old[4] is None:
            return True
        if self.stamp is None:
            return False
        new_at, old_at = row[self.stamp], old[self.stamp]
        return new_at is not None and old_at is not None and new_at < old_at

    def _changes(self, old: tuple[Any, ...], row: list[Any]) -> tuple[tuple[int, ...], list[Any]]:
        """Positions (in ``names``) of the columns to set, and their arguments."""
        plain = 5 + len(self.getters)
        changed = [i for i in range(1, plain) if row[i] != old[i]]
        args = [row[i] for i in changed]
        for k, (source, _) in enumerate(self.derived):
            value, fallback = row[plain + 2 * k], row[plain + 2 * k + 1]
            # Derived values follow renames through triggers; set one again only when its
            # key changed or the record's own copy differs from what the row shows.
            if value != old[5 + source] or fallback != old[plain + k]:
                changed.append(plain + k)
                args += (value, fallback)
        return tuple(changed), args

    def _update_sql(self, changed: tuple[int, ...]) -> str:
        found = self._updates.get(changed)
        if found is None:
            plain = 5 + len(self.getters)
            sets = [
                f"{self.names[i]} = ?"
                if i < plain
                else f"{self.names[i]} = coalesce({self.table.derived[i - plain].lookup}, ?)"
                for i in changed
            ]
            found = f"UPDATE {self.table.table} SET {', '.join(sets)} WHERE id = ?"
            if len(self._updates) < 512:
                self._updates[changed] = found
        return found


_WRITERS = {entity: _Writer(table) for entity, table in TABLES.items()}


def marker(gone: bool, entries: Sequence[tuple[str, str]], conflicts: bool) -> RecordSync | None:
    """The row marker for (kind, state) entries; None means synced."""
    states = {state for _, state in entries}
    if gone or OpState.DELETED_ON_SERVER in states:
        return RecordSync.DELETED_ON_SERVER
    if conflicts:
        return RecordSync.CONFLICT
    if OpState.NEEDS_ATTENTION in states:
        return RecordSync.NEEDS_ATTENTION
    if any(kind == OpKind.CREATE for kind, _ in entries):
        return RecordSync.NOT_CREATED
    return RecordSync.PENDING if entries else None


class Records:
    """Reads and writes record rows. Writes must run inside a store write transaction."""

    def __init__(self, session: Session) -> None:
        self._s = session
        self._conn: sqlite3.Connection = session.conn

    # -------------------------------------------------------------- reads

    def get(self, entity: Entity, rid: int) -> StoredRecord | None:
        """The record ``rid`` of ``entity``, or None."""
        found = self.get_many(entity, [rid])
        return found.get(rid)

    def require(self, entity: Entity, rid: int) -> StoredRecord:
        """The record to change, or UnknownRecordError; a local id whose create the server
        confirmed names the server's record (a screen may not have heard of it yet)."""
        record = self.get(entity, self._s.ledger.current_id(rid))
        if record is None:
            raise UnknownRecordError(f"There is no {entity.label.lower()} with id {rid}.")
        return record

    def get_many(self, entity: Entity, ids: Iterable[int]) -> dict[int, StoredRecord]:
        """Records by id (missing ids are left out)."""
        table = TABLES[entity].table
        codec = self._s.codec
        result: dict[int, StoredRecord] = {}
        wanted = list(ids)
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id, server, local, sync FROM {table} WHERE id IN ({marks})"
            for rid, server_blob, local_blob, sync in self._conn.execute(sql, chunk):
                server = codec.decode(server_blob)
                data = codec.decode(local_blob) if local_blob is not None else server
                result[rid] = StoredRecord(
                    entity, rid, data or {}, server, RecordSync(sync or RecordSync.SYNCED)
                )
        return result

    def related(self, entity: Entity, column: str, value: int) -> list[StoredRecord]:
        """Records whose indexed ``column`` equals ``value`` (e.g. the notes of a deal)."""
        table = TABLES[entity]
        if column not in table.column_names:
            raise ValueError(f"{table.table} has no column {column!r}")
        sql = f"SELECT id FROM {table.table} WHERE {column} = ? ORDER BY id"
        ids = [row[0] for row in self._conn.execute(sql, (value,))]
        found = self.get_many(entity, ids)
        return [found[i] for i in ids if i in found]

    def exists(self, entity: Entity, rid: int) -> bool:
        """True if the row exists."""
        sql = f"SELECT 1 FROM {TABLES[entity].table} WHERE id = ?"
        return self._conn.execute(sql, (rid,)).fetchone() is not None

    def count(self, entity: Entity) -> int:
        """Number of rows of ``entity``."""
        return int(self._conn.execute(f"SELECT count(*) FROM {TABLES[entity].table}").fetchone()[0])

    def server_ids(self, entity: Entity) -> array.array[int]:
        """Ids of the rows that exist on the server as far as we know (for id sweeps)."""
        sql = (
            f"SELECT id FROM {TABLES[entity].table} "
            "WHERE id > 0 AND server IS NOT NULL AND gone IS NULL ORDER BY id"
        )
        return array.array("q", (row[0] for row in self._conn.execute(sql)))

    # -------------------------------------------------------------- server data

    def upsert_server(self, entity: Entity, records: Sequence[Mapping[str, Any]]) -> list[int]:
        """Store records as the server sent them; returns their ids.

        Rows without local changes are replaced in bulk (an older copy never replaces a
        newer one, by ``updated_at``); rows with queued changes or open conflicts get the new
        server JSON with those changes laid over it again, so a pull never overwrites a
        pending local value. Records with a queued local delete are skipped.
        """
        if not records:
            return []
        writer = _WRITERS[entity]
        special = self._special_ids(entity, [int(r["id"]) for r in records])
        deleting = self._deleting_ids(entity) if special else set()
        plain = [r for r in records if int(r["id"]) not in special]
        blobs = self._s.codec.encode_many(entity.value, list(plain))
        rows = [
            writer.params(int(r["id"]), blob, None, None, None, r)
            for r, blob in zip(plain, blobs, strict=True)
        ]
        writer.write(self._conn, rows, only_newer=True)
        for record in records:
            rid = int(record["id"])
            if rid in deleting:
                self._s.edits.keep_server_copy(entity, rid, record)
            elif rid in special:
                self._store_server_copy(entity, rid, record)
        return [int(r["id"]) for r in records]

    def _store_server_copy(self, entity: Entity, rid: int, record: Mapping[str, Any]) -> None:
        table = TABLES[entity].table
        current = self._conn.execute(f"SELECT server FROM {table} WHERE id = ?", (rid,)).fetchone()
        if current is not None and is_older(record, self._s.codec.decode(current[0])):
            return
        blob = self._s.codec.encode(entity.value, record)
        if current is None:
            self._conn.execute(
                _WRITERS[entity].upsert,
                _WRITERS[entity].params(rid, blob, None, None, None, record),
            )
        else:
            self._conn.execute(f"UPDATE {table} SET server = ? WHERE id = ?", (blob, rid))
        self.refresh(entity, rid)

    def set_server(self, entity: Entity, rid: int, record: Mapping[str, Any] | None) -> None:
        """Replace the server JSON of ``rid`` (creating the row if needed), then refresh it."""
        blob = None if record is None else self._s.codec.encode(entity.value, record)
        table = TABLES[entity].table
        cur = self._conn.execute(f"UPDATE {table} SET server = ? WHERE id = ?", (blob, rid))
        if cur.rowcount == 0:
            writer = _WRITERS[entity]
            self._conn.execute(
                writer.upsert, writer.params(rid, blob, None, None, None, record or {"id": rid})
            )
        self.refresh(entity, rid)

    def _special_ids(self, entity: Entity, ids: Sequence[int]) -> set[int]:
        """Ids among ``ids`` with queued changes, open conflicts or a deleted-on-server mark."""
        sql = (
            "SELECT record_id FROM outbox WHERE entity = ?1 "
            "UNION SELECT record_id FROM conflicts WHERE entity = ?1 AND state = 'open'"
        )
        busy = {row[0] for row in self._conn.execute(sql, (entity.value,))}
        return busy.intersection(ids)

    def _deleting_ids(self, entity: Entity) -> set[int]:
        sql = "SELECT record_id FROM outbox WHERE entity = ? AND kind = 'delete'"
        return {row[0] for row in self._conn.execute(sql, (entity.value,))}

    # -------------------------------------------------------------- bulk loads

    def begin_bulk(self, entity: Entity) -> bool:
        """Start a bulk load of ``entity`` (a first full sync): its sort indexes and search
        index are dropped until ``Store.end_bulk`` builds them again, which makes storing
        a large number of pulled pages several times faster. Everything else works as
        usual meanwhile, but sorting scans the table and search misses new rows.
        Returns False if a bulk load of ``entity`` was already under way."""
        return bulk.begin(self._conn, entity)

    def end_bulk(self, entity: Entity) -> None:
        """Build the indexes of a bulk load in this one transaction (prefer
        ``Store.end_bulk``, which lets other writes in between the pieces)."""
        while bulk.step(self._conn, entity):
            pass

    def bulk_step(self, entity: Entity) -> bool:
        """Build the next index of a bulk load of ``entity``; True while more remain."""
        return bulk.step(self._conn, entity)

    def in_bulk(self) -> list[Entity]:
        """Entities with a bulk load not yet ended."""
        return bulk.pending(self._conn)

    # -------------------------------------------------------------- effective rows

    def refresh(self, entity: Entity, rid: int) -> None:
        """Recompute the effective JSON, columns and marker of ``rid`` from its server JSON,
        open conflicts and queued patches (in queue order)."""
        table = TABLES[entity]
        row = self._conn.execute(
            f"SELECT server, gone FROM {table.table} WHERE id = ?", (rid,)
        ).fetchone()
        entries = self._conn.execute(
            "SELECT kind, state, patch FROM outbox WHERE entity = ? AND record_id = ? ORDER BY seq",
            (entity.value, rid),
        ).fetchall()
        if any(kind == OpKind.DELETE for kind, _, _ in entries):
            # The row leaves the tables as soon as the user deletes it (the DELETE entry
            # keeps a snapshot for undo); a pull must not bring it back.
            self._conn.execute(f"DELETE FROM {table.table} WHERE id = ?", (rid,))
            return
        conflicts = self._conn.execute(
            "SELECT field, mine FROM conflicts WHERE entity = ? AND record_id = ? "
            "AND state = 'open' ORDER BY id",
            (entity.value, rid),
        ).fetchall()
        has_create = any(kind == OpKind.CREATE for kind, _, _ in entries)
        if row is None and not has_create:
            return
        server_blob = row[0] if row is not None else None
        gone = row[1] if row is not None else None
        server = self._s.codec.decode(server_blob)
        effective: dict[str, Any] = dict(server or {})
        if conflicts:
            effective = apply_patch(effective, {f: json.loads(m) for f, m in conflicts})
        for _, _, patch in entries:
            effective = apply_patch(effective, json.loads(patch))
        effective["id"] = rid
        changed = bool(entries or conflicts)
        mark = marker(bool(gone), [(k, s) for k, s, _ in entries], bool(conflicts))
        local = self._s.codec.encode(entity.value, effective) if changed else None
        writer = _WRITERS[entity]
        sync = None if mark is None else mark.value
        writer.write(
            self._conn,
            [writer.params(rid, server_blob, local, sync, gone, effective)],
            only_newer=False,
        )

    def delete_row(self, entity: Entity, rid: int) -> None:
        """Remove a row (the search index follows through triggers)."""
        self._conn.execute(f"DELETE FROM {TABLES[entity].table} WHERE id = ?", (rid,))

    def change_id(self, entity: Entity, old: int, new: int) -> None:
        """Give row ``old`` the id ``new``, replacing any row already there."""
        table = TABLES[entity].table
        self._conn.execute(f"DELETE FROM {table} WHERE id = ?", (new,))
        self._conn.execute(f"UPDATE {table} SET id = ? WHERE id = ?", (new, old))

    # -------------------------------------------------------------- server deletions

    def deleted_on_server(self, entity: Entity, ids: Iterable[int]) -> DeletionResult:
        """Apply deletions seen on the server.

        A row with no local changes is removed. A row with queued changes or open conflicts
        is kept and marked deleted-on-server, its waiting changes parked, so nothing the
        user typed is lost (they can recreate the record or discard the changes). A queued
        local delete of the same record is simply done.
        """
        wanted = [i for i in ids if i > 0]
        special = self._special_ids(entity, wanted)
        removed: set[int] = set()
        kept: set[int] = set()
        table = TABLES[entity].table
        for rid in wanted:
            if rid not in special:
                if self._conn.execute(f"DELETE FROM {table} WHERE id = ?", (rid,)).rowcount:
                    removed.add(rid)
                continue
            deleting = self._conn.execute(
                "DELETE FROM outbox WHERE entity = ? AND record_id = ? AND kind = 'delete' "
                "AND state != 'sending'",
                (entity.value, rid),
            ).rowcount
            if deleting:
                removed.add(rid)
                continue
            self._conn.execute(f"UPDATE {table} SET gone = 1 WHERE id = ?", (rid,))
            self._conn.execute(
                "UPDATE outbox SET state = ?, last_error = ? WHERE entity = ? AND record_id = ? "
                "AND state = 'pending'",
                (
                    OpState.DELETED_ON_SERVER.value,
                    "This record was deleted on the server.",
                    entity.value,
                    rid,
                ),
            )
            self.refresh(entity, rid)
            kept.add(rid)
        return DeletionResult(frozenset(removed), frozenset(kept))

    def sweep(self, entity: Entity, live_ids: Iterable[int]) -> DeletionResult:
        """Treat every server-known row whose id is not in ``live_ids`` as deleted there.

        ``live_ids`` is a complete id listing of the entity from the server. Only call it
        after a listing that finished: a partial listing would delete rows that exist.
        """
        live = set(live_ids)
        missing = [rid for rid in self.server_ids(entity) if rid not in live]
        return self.deleted_on_server(entity, missing)
