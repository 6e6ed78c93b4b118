"""An in-memory copy of the small tables (users, lookups), rebuilt after admin writes.

Lists and shapes read users, stages, sources, tags and custom field labels on every
request; keeping them in dicts makes a 200-record page cheap to render.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from crmdesk.sandbox.db import Database, Row
from crmdesk.sandbox.lookups import KINDS

#: Currencies the account can use (there is no currencies endpoint; they appear in
#: /account and on records).
CURRENCIES: tuple[Row, ...] = (
    {"id": 1, "name": "US Dollar", "code": "USD", "symbol": "$", "decimal_places": 2},
    {"id": 2, "name": "Euro", "code": "EUR", "symbol": "€", "decimal_places": 2},
    {"id": 3, "name": "British Pound", "code": "GBP", "symbol": "£", "decimal_places": 2},
    {"id": 4, "name": "Canadian Dollar", "code": "CAD", "symbol": "$", "decimal_places": 2},
    {"id": 5, "name": "Australian Dollar", "code": "AUD", "symbol": "$", "decimal_places": 2},
    {"id": 6, "name": "Kenyan Shilling", "code": "KES", "symbol": "KSh", "decimal_places": 2},
)

#: Tables a REF field may point at (the rest are lookup kinds).
RECORD_TABLES = frozenset(
    {"deals", "people", "companies", "notes", "calendar_entries", "documents", "comments"}
)


def _sort_key(order: tuple[str, ...]) -> Any:
    def key(row: Row) -> tuple[Any, ...]:
        values = []
        for name in order:
            value = row.get(name)
            values.append((value is None, value if value is not None else 0))
        return tuple(values)

    return key


class Catalog:
    """Users and lookup rows by id; ``version`` changes whenever they are reloaded."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.version = 0
        self.users: dict[int, Row] = {}
        self.user_ids_by_key: dict[str, int] = {}
        self.lookups: dict[str, dict[int, Row]] = {}
        self.settings: Row = {}
        self.reload()

    def reload(self) -> None:
        """Read users and every lookup row again."""
        self.users = {row["id"]: row for row in self.db.rows("SELECT * FROM users ORDER BY id")}
        self.user_ids_by_key = {row["api_key"]: row["id"] for row in self.users.values()}
        grouped: dict[str, list[Row]] = {kind: [] for kind in KINDS}
        for raw in self.db.rows("SELECT * FROM lookups ORDER BY id"):
            row = json.loads(raw["data"])
            row["id"] = raw["id"]
            row["created_at"] = raw["created_at"]
            row["updated_at"] = raw["updated_at"]
            grouped.setdefault(raw["kind"], []).append(row)
        self.lookups = {
            kind: {row["id"]: row for row in sorted(rows, key=_sort_key(KINDS[kind].order))}
            if kind in KINDS
            else {row["id"]: row for row in rows}
            for kind, rows in grouped.items()
        }
        self._labels: dict[str, list[Row]] = {}
        stored = self.db.meta_json("account")
        self.settings = stored if isinstance(stored, dict) else {}
        self.version += 1

    # ------------------------------------------------------------------ queries
    def rows(self, kind: str) -> list[Row]:
        """Rows of a lookup kind in list order."""
        return list(self.lookups.get(kind, {}).values())

    def lookup(self, kind: str, row_id: int | None) -> Row | None:
        """One lookup row, or None."""
        if row_id is None:
            return None
        return self.lookups.get(kind, {}).get(row_id)

    def exists(self, ref: str, row_id: int) -> bool:
        """True if ``row_id`` exists in table or lookup kind ``ref``."""
        if ref == "users":
            return row_id in self.users
        if ref in RECORD_TABLES:
            return self.db.scalar(f"SELECT 1 FROM {ref} WHERE id = ?", (row_id,)) is not None
        return row_id in self.lookups.get(ref, {})

    def user_mini(self, user_id: int | None, avatar: bool = False) -> Row | None:
        """``{id, first_name, last_name}`` of a user (plus ``avatar_thumb_url``)."""
        user = self.users.get(user_id) if user_id is not None else None
        if user is None:
            return None
        mini: Row = {
            "id": user["id"],
            "first_name": user["first_name"],
            "last_name": user["last_name"],
        }
        if avatar:
            mini["avatar_thumb_url"] = None
        return mini

    def users_mini(self, ids: Iterable[int]) -> list[Row]:
        """Mini objects of several users (unknown ids left out)."""
        return [m for m in (self.user_mini(i) for i in ids) if m is not None]

    def active_user_ids(self) -> list[int]:
        """Ids of users that are not deactivated."""
        return [uid for uid, user in self.users.items() if user["deleted_at"] is None]

    def custom_labels(self, entity: str) -> list[Row]:
        """Custom field labels of ``deal``, ``person`` or ``company`` in position order."""
        found = self._labels.get(entity)
        if found is None:
            found = [r for r in self.rows("custom_field_labels") if r.get("entity") == entity]
            self._labels[entity] = found
        return found

    def dropdown_entries(self, label_id: int) -> list[Row]:
        """Dropdown entries of a custom field label."""
        return [
            row
            for row in self.rows("custom_field_label_dropdown_entries")
            if row.get("custom_field_label_id") == label_id
        ]

    def currency(self, currency_id: int | None = None) -> Row:
        """A currency by id (the account's when None)."""
        wanted = currency_id if currency_id is not None else self.account_currency_id()
        for currency in CURRENCIES:
            if currency["id"] == wanted:
                return currency
        return CURRENCIES[0]

    def account_currency_id(self) -> int:
        """Id of the account's currency."""
        return int(self.settings.get("currency_id", 1))
