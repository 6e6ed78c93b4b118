"""Lookup lists, custom field labels, saved searches, singletons and sync cursors."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from crmdesk.domain.records import CustomFieldLabel, LookupItem, SavedSearch

if TYPE_CHECKING:
    from crmdesk.store.session import Session

#: Lookup lists the account carries (``GET /account`` and ``/admin/...``); any other kind
#: name works too, these are the ones the app knows.
LOOKUP_KINDS = (
    "deal_stages",
    "deal_pipelines",
    "deal_statuses",
    "deal_loss_reasons",
    "deal_won_reasons",
    "lead_sources",
    "lead_statuses",
    "note_categories",
    "event_categories",
    "calendar_entry_priorities",
    "calendar_entry_statuses",
    "deal_tags",
    "company_tags",
    "predefined_contacts_tags",
    "document_tags",
    "revenue_types",
    "product_lines",
    "teams",
    "currencies",
    "deal_custom_field_groups",
    "person_custom_field_groups",
    "company_custom_field_groups",
    "custom_field_label_dropdown_entries",
)


class Lookups:
    """Small reference data, replaced wholesale per list when the account is pulled."""

    def __init__(self, session: Session) -> None:
        self._s = session
        self._conn: sqlite3.Connection = session.conn

    def replace(self, kind: str, items: Sequence[LookupItem]) -> None:
        """Make ``items`` the whole ``kind`` list (rows no longer listed are removed)."""
        self._conn.execute(
            f"DELETE FROM lookups WHERE kind = ? AND id NOT IN ({','.join('?' * len(items))})",
            (kind, *[int(i.id) for i in items]),
        )
        self._conn.executemany(
            "INSERT INTO lookups (kind, id, name, position, percent, hex_color, parent_id, json) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(kind, id) DO UPDATE SET "
            "name = excluded.name, position = excluded.position, percent = excluded.percent, "
            "hex_color = excluded.hex_color, parent_id = excluded.parent_id, json = excluded.json",
            [
                (
                    kind,
                    int(i.id),
                    i.name,
                    i.position,
                    i.percent,
                    i.hex_color,
                    i.parent_id,
                    json.dumps(dict(i.raw)),
                )
                for i in items
            ],
        )

    def items(self, kind: str) -> list[LookupItem]:
        """The ``kind`` list in display order (position, then name)."""
        rows = self._conn.execute(
            "SELECT kind, id, name, percent, hex_color, position, parent_id, json FROM lookups "
            "WHERE kind = ? ORDER BY position IS NULL, position, percent, name COLLATE NOCASE",
            (kind,),
        )
        return [
            LookupItem(k, i, n or "", p, h, pos, par, json.loads(j))
            for k, i, n, p, h, pos, par, j in rows
        ]

    def names(self, kind: str) -> dict[int, str]:
        """``{id: name}`` of a list, for display."""
        rows = self._conn.execute("SELECT id, name FROM lookups WHERE kind = ?", (kind,))
        return {i: n or "" for i, n in rows}

    def kinds(self) -> list[str]:
        """The lists the store holds."""
        return [r[0] for r in self._conn.execute("SELECT DISTINCT kind FROM lookups ORDER BY kind")]

    # -------------------------------------------------------------- custom field labels

    def replace_custom_field_labels(self, entity: str, labels: Sequence[CustomFieldLabel]) -> None:
        """Make ``labels`` the whole custom field list of ``entity`` ("deal", "person"...)."""
        self._conn.execute("DELETE FROM custom_field_labels WHERE entity = ?", (entity,))
        self._conn.executemany(
            "INSERT OR REPLACE INTO custom_field_labels (id, entity, name, field_type, position, "
            "is_required, group_id, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    lb.id,
                    entity,
                    lb.name,
                    lb.field_type,
                    lb.position,
                    int(lb.is_required),
                    lb.group_id,
                    json.dumps(dict(lb.raw)),
                )
                for lb in labels
            ],
        )
        entries = [e for label in labels for e in label.dropdown_entries]
        if entries:
            self._conn.executemany(
                "INSERT OR REPLACE INTO lookups (kind, id, name, position, percent, hex_color, "
                "parent_id, json) VALUES ('custom_field_label_dropdown_entries', ?, ?, ?, NULL, "
                "NULL, ?, ?)",
                [
                    (int(e.id), e.name, e.position, e.parent_id, json.dumps(dict(e.raw)))
                    for e in entries
                ],
            )
        self._s.labels_changed()

    def custom_field_labels(self, entity: str) -> list[CustomFieldLabel]:
        """Custom fields of ``entity`` in position order, with their dropdown entries."""
        rows = self._conn.execute(
            "SELECT id, name, field_type, position, is_required, group_id, json "
            "FROM custom_field_labels WHERE entity = ? ORDER BY position, id",
            (entity,),
        ).fetchall()
        entries: dict[int, list[LookupItem]] = {}
        for item in self.items("custom_field_label_dropdown_entries"):
            if item.parent_id is not None:
                entries.setdefault(item.parent_id, []).append(item)
        return [
            CustomFieldLabel(
                id=i,
                entity=entity,
                name=n,
                field_type=t,
                position=p,
                is_required=bool(r),
                group_id=g,
                dropdown_entries=tuple(entries.get(i, ())),
                raw=json.loads(j),
            )
            for i, n, t, p, r, g, j in rows
        ]

    # -------------------------------------------------------------- saved searches

    def replace_saved_searches(self, searches: Sequence[SavedSearch]) -> None:
        """Make ``searches`` the account's whole saved-search list."""
        self._conn.execute("DELETE FROM saved_searches")
        self._conn.executemany(
            "INSERT INTO saved_searches (id, name, search_type, json) VALUES (?, ?, ?, ?)",
            [(s.id, s.name, s.search_type, json.dumps(dict(s.raw))) for s in searches],
        )

    def saved_searches(self, search_type: str | None = None) -> list[SavedSearch]:
        """Saved searches (of one type: "deals", "people", ...), by name."""
        sql = "SELECT id, name, search_type, json FROM saved_searches"
        args: tuple[Any, ...] = ()
        if search_type is not None:
            sql += " WHERE search_type = ?"
            args = (search_type,)
        result = []
        for i, n, t, j in self._conn.execute(sql + " ORDER BY name COLLATE NOCASE", args):
            raw = json.loads(j)
            result.append(
                SavedSearch(
                    id=i,
                    name=n,
                    search_type=t,
                    query=raw.get("query") if isinstance(raw.get("query"), dict) else {},
                    columns=tuple(raw.get("columns") or ()),
                    sort=raw.get("sort"),
                    is_shared=bool(raw.get("is_shared")),
                    user_id=raw.get("user_id"),
                    raw=raw,
                )
            )
        return result

    # -------------------------------------------------------------- singletons

    def put(self, key: str, value: Mapping[str, Any]) -> None:
        """Store a singleton document ("profile", "account")."""
        self._conn.execute(
            "INSERT OR REPLACE INTO singletons (key, json) VALUES (?, ?)",
            (key, json.dumps(dict(value))),
        )

    def get(self, key: str) -> dict[str, Any] | None:
        """A singleton document, or None."""
        row = self._conn.execute("SELECT json FROM singletons WHERE key = ?", (key,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))


class SyncState:
    """Key/value bookkeeping of the sync engine: cursors per entity, sweep times, ..."""

    def __init__(self, session: Session) -> None:
        self._s = session
        self._conn: sqlite3.Connection = session.conn

    def get(self, key: str) -> Any:
        """The JSON value stored under ``key`` (None when unset)."""
        row = self._conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
        return None if row is None or row[0] is None else json.loads(row[0])

    def set(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key`` (same transaction as the data it describes)."""
        self._conn.execute(
            "INSERT OR REPLACE INTO sync_state (key, value, updated_at) VALUES (?, ?, ?)",
            (key, json.dumps(value), self._s.now()),
        )

    def cursor(self, entity: str) -> str | None:
        """The incremental-pull cursor of an entity (the server time to pull from)."""
        value = self.get(f"cursor:{entity}")
        return value if isinstance(value, str) else None

    def set_cursor(self, entity: str, value: str) -> None:
        """Advance the incremental-pull cursor of an entity."""
        self.set(f"cursor:{entity}", value)

    def all(self) -> dict[str, Any]:
        """Every key and value."""
        return {
            k: json.loads(v) for k, v in self._conn.execute("SELECT key, value FROM sync_state")
        }
