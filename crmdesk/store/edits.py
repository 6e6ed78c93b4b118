"""Local edits: what the user does, each one transaction (row change + outbox entry).

Rules:
* An update stores only the fields that really change the effective record, with their
  *base* values (what the user saw) and the server ``updated_at`` the user edited.
* Repeated edits of a record fold into its still-unsent update (or create) at the tail of
  its queue, keeping the earliest base values; a field edited back to its base drops out,
  and an update left empty disappears. Editing a change the server refused (needs
  attention) folds into it and queues it again.
* Deleting a record that the server has never seen (its create not sent yet, or refused)
  just drops it; otherwise a delete entry is queued, unsent updates of the record are
  folded into it, and the row leaves the tables at once (the entry keeps a snapshot so
  that discarding it brings the row back).
* Discarding a queued change returns an undo token; every discarded value is also kept in
  the history. Discarding a create also discards what waits on it (a note on that deal).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from crmdesk.domain.entities import Entity
from crmdesk.domain.fields import JSON, same_value
from crmdesk.domain.outbox import OpKind, OpState
from crmdesk.domain.patch import changed_only, coalesce, read_field, read_fields
from crmdesk.store.errors import StoreError, UnknownOperationError
from crmdesk.store.ledger import CreateState, fingerprint
from crmdesk.store.outbox import REF_FIELDS, local_refs, replace_ref
from crmdesk.store.records import is_older

if TYPE_CHECKING:
    from crmdesk.store.session import Session

_ROW = (
    "seq, op_id, entity, record_id, kind, patch, base, base_updated_at, state, attempts, "
    "next_attempt_at, last_error, created_at, sent_at, parent_id, deps, snapshot, field_errors"
)


class Edits:
    """The user's side of the outbox. Call inside ``Store.write``."""

    def __init__(self, session: Session) -> None:
        self._s = session
        self._conn: sqlite3.Connection = session.conn

    # -------------------------------------------------------------- create / update / delete

    def create(
        self, entity: Entity, values: Mapping[str, JSON], *, parent_id: int | None = None
    ) -> int:
        """A new record made here; returns its local (negative) id.

        ``parent_id`` names a record the new one hangs off that is not among its fields
        (a comment's note). The entry waits until every local parent exists on the server.
        """
        rid = self._s.new_local_id()
        patch = self._current_ids({k: v for k, v in values.items() if k != "id"})
        if parent_id is not None:
            parent_id = self._s.ledger.current_id(parent_id)
        op_id = self._s.outbox.append(
            entity, rid, OpKind.CREATE, patch, {}, None, parent_id=parent_id
        )
        self._s.ledger.add(rid, entity, op_id, fingerprint(entity, patch, parent_id))
        self._s.records.refresh(entity, rid)
        return rid

    def update(self, entity: Entity, rid: int, patch: Mapping[str, JSON]) -> str | None:
        """Apply ``patch`` to record ``rid`` and queue it; returns the op_id it went into,
        or None when nothing changed."""
        record = self._s.records.require(entity, rid)
        rid = record.id
        fields = self._s.fieldset(entity)
        changed = changed_only(record.data, self._current_ids(patch), fields)
        if not changed:
            return None
        tail = self._tail(entity, rid)
        if (
            tail is not None
            and tail["kind"] in ("create", "update")
            and tail["state"]
            in (
                "pending",
                "needs_attention",
                "deleted_on_server",
            )
        ):
            op_id = self._fold(tail, record.data, changed)
        else:
            state = (
                OpState.DELETED_ON_SERVER if record.sync == "deleted_on_server" else OpState.PENDING
            )
            server = record.server or {}
            op_id = self._s.outbox.append(
                entity,
                rid,
                OpKind.UPDATE,
                changed,
                read_fields(record.data, changed),
                server.get("updated_at") if isinstance(server.get("updated_at"), str) else None,
                state=state,
            )
        self._s.records.refresh(entity, rid)
        return op_id

    def _current_ids(self, values: Mapping[str, JSON]) -> dict[str, JSON]:
        """``values`` with every local id whose create was confirmed replaced by its server
        id: an edit made on a screen that still shows the local id must not wait for a
        parent that will never be created again."""
        ledger = self._s.ledger
        out = dict(values)
        for name, value in values.items():
            if name in REF_FIELDS:
                for old in local_refs(value):
                    out[name] = replace_ref(out[name], old, ledger.current_id(old))
        return out

    def _tail(self, entity: Entity, rid: int) -> dict[str, Any] | None:
        row = self._conn.execute(
            "SELECT op_id, kind, state, patch, base FROM outbox WHERE entity = ? AND record_id = ? "
            "ORDER BY seq DESC LIMIT 1",
            (entity.value, rid),
        ).fetchone()
        if row is None:
            return None
        return dict(zip(("op_id", "kind", "state", "patch", "base"), row, strict=True))

    def _fold(
        self, tail: dict[str, Any], effective: Mapping[str, Any], changed: Mapping[str, JSON]
    ) -> str | None:
        """Fold ``changed`` into the unsent tail entry, keeping its earliest base values."""
        op_id: str = tail["op_id"]
        patch = coalesce(json.loads(tail["patch"]), changed)
        base = json.loads(tail["base"])
        extra: dict[str, Any] = {}
        if tail["state"] == "needs_attention":
            extra = {
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": None,
                "last_error": None,
                "field_errors": None,
            }
        if tail["kind"] == "update":
            entity = self._entity_of(op_id)
            fields = self._s.fieldset(entity)
            for name in changed:
                base.setdefault(name, read_field(effective, name))
            patch = {
                k: v for k, v in patch.items() if not same_value(fields.get(k), v, base.get(k))
            }
            base = {k: v for k, v in base.items() if k in patch}
            if not patch:
                self._s.outbox.remove(op_id)
                return None
        self._s.outbox.rewrite(op_id, patch, base, **extra)
        return op_id

    def _entity_of(self, op_id: str) -> Entity:
        row = self._conn.execute("SELECT entity FROM outbox WHERE op_id = ?", (op_id,)).fetchone()
        return Entity(row[0])

    def delete(self, entity: Entity, rid: int) -> str | int | None:
        """Delete record ``rid``. Returns the delete entry's op_id, or - for a record the
        server never saw - the undo token of dropping it."""
        record = self._s.records.require(entity, rid)
        rid = record.id
        rows = self._rows("entity = ? AND record_id = ?", (entity.value, rid))
        if rows and _never_created(rows[0]):
            return self.discard(rows[0]["op_id"])
        folded = [r for r in rows if r["kind"] == "update" and r["state"] != "sending"]
        for row in folded:
            self._s.outbox.remove(row["op_id"])
        gone = self._conn.execute(
            f"SELECT gone FROM {_table(entity)} WHERE id = ?", (rid,)
        ).fetchone()
        snapshot = {
            "server": record.server,
            "gone": gone[0] if gone else None,
            "entries": folded,
        }
        server = record.server or {}
        op_id = self._s.outbox.append(
            entity,
            rid,
            OpKind.DELETE,
            {},
            {},
            server.get("updated_at") if isinstance(server.get("updated_at"), str) else None,
            snapshot=snapshot,
        )
        self._s.records.refresh(entity, rid)
        return op_id

    def keep_server_copy(
        self, entity: Entity, rid: int, server: Mapping[str, Any], *, merge: bool = False
    ) -> None:
        """Keep a server copy of ``rid`` that arrived while its delete waits (a pull, or the
        reply to an update sent before the delete) in the delete's snapshot: the row has
        left the tables, and discarding the delete must bring back the server's current
        record, not the one the user deleted. ``merge`` lays it over the kept copy."""
        rows = self._conn.execute(
            "SELECT op_id, snapshot FROM outbox WHERE entity = ? AND record_id = ? "
            "AND kind = 'delete' AND snapshot IS NOT NULL",
            (entity.value, rid),
        ).fetchall()
        for op_id, text in rows:
            snapshot = json.loads(text)
            kept = snapshot.get("server")
            if is_older(server, kept):
                continue
            snapshot["server"] = {**(kept or {}), **server} if merge else dict(server)
            self._conn.execute(
                "UPDATE outbox SET snapshot = ? WHERE op_id = ?", (json.dumps(snapshot), op_id)
            )

    # -------------------------------------------------------------- discard and undo

    def _rows(self, where: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        names = [n.strip() for n in _ROW.split(",")]
        sql = f"SELECT {_ROW} FROM outbox WHERE {where} ORDER BY seq"
        return [dict(zip(names, r, strict=True)) for r in self._conn.execute(sql, args)]

    def discard(self, op_id: str) -> int:
        """Drop a queued change and undo its local effect; returns an undo token.

        A create takes the record's later changes and everything waiting on the record
        with it. A delete brings the row back. An entry being sent cannot be discarded.
        """
        rows = self._rows("op_id = ?", (op_id,))
        if not rows:
            raise UnknownOperationError(f"There is no queued change {op_id}.")
        if rows[0]["state"] == "sending":
            raise StoreError("This change is being sent right now; wait for the outcome.")
        removed: list[dict[str, Any]] = []
        restored: list[str] = []
        self._collect(rows[0], removed)
        for row in removed:
            self._s.outbox.remove(row["op_id"])
        token = int(
            self._conn.execute(
                "INSERT INTO undo_log (created_at, payload) VALUES (?, '{}')", (self._s.now(),)
            ).lastrowid
            or 0
        )
        touched: set[tuple[Entity, int]] = set()
        for row in removed:
            entity, rid = Entity(row["entity"]), row["record_id"]
            touched.add((entity, rid))
            if row["kind"] == "create":
                self._s.ledger.set_state(rid, CreateState.DISCARDED)
                self._s.records.delete_row(entity, rid)
                touched.discard((entity, rid))
            if row["kind"] == "delete" and row["snapshot"]:
                restored += self._restore_deleted(entity, rid, json.loads(row["snapshot"]))
            for name, value in json.loads(row["patch"]).items():
                self._history(entity, rid, name, value, "discarded", token)
        for entity, rid in touched:
            self._s.records.refresh(entity, rid)
        payload = {"removed": removed, "restored": restored, "gone": self._drop_gone(touched)}
        self._conn.execute(
            "UPDATE undo_log SET payload = ? WHERE token = ?", (json.dumps(payload), token)
        )
        return token

    def _drop_gone(self, touched: set[tuple[Entity, int]]) -> list[dict[str, Any]]:
        """Remove rows deleted on the server that nothing local keeps any more (their last
        change was discarded), as a pull removes such rows; returns them for undo."""
        dropped = []
        for entity, rid in touched:
            row = self._conn.execute(
                f"SELECT gone FROM {_table(entity)} WHERE id = ?", (rid,)
            ).fetchone()
            if (
                row is None
                or not row[0]
                or self._rows("entity = ? AND record_id = ?", (entity.value, rid))
            ):
                continue
            if self._conn.execute(
                "SELECT 1 FROM conflicts WHERE entity = ? AND record_id = ? AND state = 'open'",
                (entity.value, rid),
            ).fetchone():
                continue
            record = self._s.records.get(entity, rid)
            server = dict(record.server) if record is not None and record.server else None
            dropped.append({"entity": entity.value, "id": rid, "server": server})
            self._s.records.delete_row(entity, rid)
        return dropped

    def _collect(self, row: dict[str, Any], into: list[dict[str, Any]]) -> None:
        if any(r["op_id"] == row["op_id"] for r in into):
            return
        into.append(row)
        if row["kind"] != "create":
            return
        rid = row["record_id"]
        for later in self._rows(
            "entity = ? AND record_id = ? AND seq > ?", (row["entity"], rid, row["seq"])
        ):
            self._collect(later, into)
        for child in self._rows("deps IS NOT NULL", ()):
            if rid in json.loads(child["deps"]):
                self._collect(child, into)

    def _restore_deleted(self, entity: Entity, rid: int, snapshot: dict[str, Any]) -> list[str]:
        self._s.records.set_server(entity, rid, snapshot.get("server"))
        if snapshot.get("gone"):
            self._conn.execute(f"UPDATE {_table(entity)} SET gone = 1 WHERE id = ?", (rid,))
        restored = []
        for entry in snapshot.get("entries", []):
            self._insert_row(entry)
            restored.append(entry["op_id"])
        return restored

    def _insert_row(self, row: dict[str, Any]) -> None:
        names = list(row)
        self._conn.execute(
            f"INSERT INTO outbox ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [row[n] for n in names],
        )

    def _history(
        self, entity: Entity, rid: int, name: str, value: JSON, reason: str, token: int | None
    ) -> None:
        self._conn.execute(
            "INSERT INTO history (entity, record_id, field, value, reason, created_at, undo_token)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (entity.value, rid, name, json.dumps(value), reason, self._s.now(), token),
        )

    def undo(self, token: int) -> None:
        """Undo a discard: the entries come back in their old queue positions."""
        row = self._conn.execute(
            "SELECT payload FROM undo_log WHERE token = ?", (token,)
        ).fetchone()
        if row is None:
            raise UnknownOperationError(f"Nothing to undo for token {token}.")
        payload = json.loads(row[0])
        for op_id in payload["restored"]:
            self._s.outbox.remove(op_id)
        for row in payload.get("gone", []):
            gone_entity = Entity(row["entity"])
            self._s.records.set_server(gone_entity, row["id"], row["server"])
            self._conn.execute(
                f"UPDATE {_table(gone_entity)} SET gone = 1 WHERE id = ?", (row["id"],)
            )
        touched: set[tuple[Entity, int]] = set()
        for entry in payload["removed"]:
            self._insert_row(entry)
            entity = Entity(entry["entity"])
            touched.add((entity, entry["record_id"]))
            if entry["kind"] == "create":
                self._s.ledger.set_state(entry["record_id"], CreateState.QUEUED)
        self._conn.execute("DELETE FROM history WHERE undo_token = ?", (token,))
        self._conn.execute("DELETE FROM undo_log WHERE token = ?", (token,))
        for entity, rid in touched:
            self._s.records.refresh(entity, rid)

    def recreate(self, entity: Entity, rid: int) -> int:
        """A record deleted on the server becomes a new local create with its current
        values (and a new local id); its parked changes fold into that create."""
        record = self._s.records.require(entity, rid)
        rid = record.id
        fields = self._s.fieldset(entity)
        values = {
            spec.name: read_field(record.data, spec.name)
            for spec in fields
            if spec.editable and read_field(record.data, spec.name) is not None
        }
        for row in self._rows("entity = ? AND record_id = ?", (entity.value, rid)):
            if row["state"] == "sending":
                raise StoreError("A change of this record is being sent; wait for the outcome.")
            self._s.outbox.remove(row["op_id"])
        self._conn.execute(
            "UPDATE conflicts SET state = 'resolved', resolution = 'recreated', resolved_at = ? "
            "WHERE entity = ? AND record_id = ? AND state = 'open'",
            (self._s.now(), entity.value, rid),
        )
        self._s.records.delete_row(entity, rid)
        return self.create(entity, values)


def _never_created(row: Mapping[str, Any]) -> bool:
    """True for a create the server cannot have: never sent, or refused (a refusal is an
    answer, so unlike a lost reply it leaves no doubt)."""
    if row["kind"] != "create":
        return False
    return row["state"] == "needs_attention" or (row["state"] == "pending" and not row["attempts"])


def _table(entity: Entity) -> str:
    from crmdesk.store.columns import TABLES

    return TABLES[entity].table
