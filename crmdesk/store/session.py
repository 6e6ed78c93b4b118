"""A session: one connection plus the repositories that work through it.

``Store.write`` hands the writer's session to a function inside a transaction;
``Store.read`` returns the calling thread's read-only session. Repositories are created
lazily and hold no state of their own beyond caches tied to this connection.
"""

from __future__ import annotations

import sqlite3
import time
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmdesk.domain.entities import Entity
from crmdesk.domain.fields import FieldSet, custom_field_spec
from crmdesk.store.codec import JsonCodec

if TYPE_CHECKING:
    from crmdesk.store.conflicts import Conflicts
    from crmdesk.store.edits import Edits
    from crmdesk.store.ledger import Ledger
    from crmdesk.store.lookups import Lookups, SyncState
    from crmdesk.store.outbox import Outbox
    from crmdesk.store.query import Tables
    from crmdesk.store.records import Records
    from crmdesk.store.search import Search


class Session:
    """Repositories bound to one sqlite3 connection (use it on that connection's thread)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.codec = JsonCodec(conn)
        self._fieldsets: dict[Entity, FieldSet] = {}
        self._labels_version: Any = None

    @cached_property
    def records(self) -> Records:
        """Record rows (server JSON, effective JSON, markers)."""
        from crmdesk.store.records import Records

        return Records(self)

    @cached_property
    def edits(self) -> Edits:
        """Local edits: create, update, delete, discard and undo (the user's side)."""
        from crmdesk.store.edits import Edits

        return Edits(self)

    @cached_property
    def outbox(self) -> Outbox:
        """The queue of local changes (the sync engine's side)."""
        from crmdesk.store.outbox import Outbox

        return Outbox(self)

    @cached_property
    def conflicts(self) -> Conflicts:
        """Conflicts and the history of chosen-away values."""
        from crmdesk.store.conflicts import Conflicts

        return Conflicts(self)

    @cached_property
    def ledger(self) -> Ledger:
        """The create ledger (local id -> server id)."""
        from crmdesk.store.ledger import Ledger

        return Ledger(self)

    @cached_property
    def lookups(self) -> Lookups:
        """Lookup lists, custom field labels, saved searches, profile/account."""
        from crmdesk.store.lookups import Lookups

        return Lookups(self)

    @cached_property
    def sync_state(self) -> SyncState:
        """Sync cursors and engine bookkeeping."""
        from crmdesk.store.lookups import SyncState

        return SyncState(self)

    @cached_property
    def tables(self) -> Tables:
        """The query layer of the deals/people/companies tables."""
        from crmdesk.store.query import Tables

        return Tables(self)

    @cached_property
    def search(self) -> Search:
        """Full-text search."""
        from crmdesk.store.search import Search

        return Search(self)

    def fieldset(self, entity: Entity) -> FieldSet:
        """Standard plus custom fields of ``entity`` (from the stored labels)."""
        # Labels change on the writer's connection; a reader's cache must notice.
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'labels_version'").fetchone()
        version = None if row is None else row[0]
        if version != self._labels_version:
            self._fieldsets.clear()
            self._labels_version = version
        found = self._fieldsets.get(entity)
        if found is None:
            rows = self.conn.execute(
                "SELECT id, name, field_type, is_required, group_id FROM custom_field_labels "
                "WHERE entity = ? ORDER BY position, id",
                (entity.value,),
            ).fetchall()
            custom = tuple(
                custom_field_spec(i, n, t, required=bool(r), group_id=g) for i, n, t, r, g in rows
            )
            found = self._fieldsets[entity] = FieldSet(entity, custom)
        return found

    def forget_fieldsets(self) -> None:
        """Drop this session's cached field sets (after a rollback)."""
        self._fieldsets.clear()
        self._labels_version = None

    def labels_changed(self) -> None:
        """Custom field labels were written: every session's next ``fieldset`` reads them
        again (call inside the write transaction)."""
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('labels_version', 1) "
            "ON CONFLICT (key) DO UPDATE SET value = value + 1"
        )
        self.forget_fieldsets()

    def new_local_id(self) -> int:
        """A fresh negative id, unique across every entity of this database."""
        row = self.conn.execute(
            "UPDATE meta SET value = value - 1 WHERE key = 'next_local_id' RETURNING value"
        ).fetchone()
        return int(row[0]) + 1

    @staticmethod
    def now() -> float:
        """Wall-clock time in epoch seconds (the store's timestamps)."""
        return time.time()
