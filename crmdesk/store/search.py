"""Full-text search over names, emails, phones, company names and note text (FTS5).

User input never reaches FTS5's query syntax: it is cut into word tokens the way the
index's tokenizer cuts text, and each token becomes a quoted prefix term, so quotes,
``*``, ``NEAR(``, ``OR``, ``-`` or unmatched brackets are plain text and cannot raise.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crmdesk.domain.entities import BROWSABLE, Entity
from crmdesk.store.columns import TABLES

if TYPE_CHECKING:
    from crmdesk.store.session import Session

# Letters and digits, as FTS5's unicode61 tokenizer sees words ("_" separates).
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
MAX_TOKENS = 12


def fts_query(text: str) -> str | None:
    """An FTS5 MATCH expression: every word of ``text`` as a quoted prefix term (AND).

    None when ``text`` has no word characters at all (show everything, not nothing).
    """
    tokens = _TOKEN.findall(text or "")[:MAX_TOKENS]
    if not tokens:
        return None
    return " ".join(f'"{token}"*' for token in tokens)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One record found by the global search."""

    entity: Entity
    id: int
    title: str
    subtitle: str


_TITLES = {
    Entity.DEAL: ("name", "company_name"),
    Entity.PERSON: ("name", "company_name"),
    Entity.COMPANY: ("name", "city"),
}


class Search:
    """Runs searches through the FTS5 indexes."""

    def __init__(self, session: Session) -> None:
        self._conn: sqlite3.Connection = session.conn

    def ids(self, entity: Entity, text: str, limit: int = 200) -> list[int]:
        """Ids of ``entity`` records matching ``text`` (prefix search), up to ``limit``."""
        query = fts_query(text)
        table = TABLES[entity]
        if query is None or not table.fts:
            return []
        sql = f"SELECT rowid FROM {table.fts_table} WHERE {table.fts_table} MATCH ? LIMIT ?"
        return [row[0] for row in self._conn.execute(sql, (query, limit))]

    def everywhere(self, text: str, limit: int = 10) -> list[SearchHit]:
        """The global search (Ctrl+K): up to ``limit`` deals, people and companies each,
        names that start with the first word first."""
        query = fts_query(text)
        if query is None:
            return []
        first = _TOKEN.findall(text)[0].lower()
        hits: list[SearchHit] = []
        for entity in BROWSABLE:
            table = TABLES[entity]
            title, subtitle = _TITLES[entity]
            sql = (
                f"SELECT t.id, t.{title}, t.{subtitle} FROM {table.table} AS t "
                f"WHERE t.id IN (SELECT rowid FROM {table.fts_table} "
                f"WHERE {table.fts_table} MATCH ? LIMIT ?)"
            )
            rows = self._conn.execute(sql, (query, limit * 5)).fetchall()
            rows.sort(
                key=lambda r: (
                    not str(r[1] or "").lower().startswith(first),
                    str(r[1] or "").lower(),
                )
            )
            hits += [SearchHit(entity, r[0], r[1] or "", r[2] or "") for r in rows[:limit]]
        return hits
