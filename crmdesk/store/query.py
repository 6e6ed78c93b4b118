"""The query layer of the deals, people and companies tables.

A ``TableQuery`` (entity + filter + sort) becomes SQL over indexed columns; nothing is
materialised in Python objects beyond the rows of one window. ``Tables.open`` counts the
rows and returns a ``RowSet``; ``window(rowset, offset, limit)`` reads one window. Until
``load_ids`` has run (call it off the GUI thread: ~0.2 s per million rows), a window is
an indexed ``LIMIT/OFFSET`` read, which costs O(offset) index steps (a few ms at a depth
of one million); afterwards the RowSet holds the sorted ids as one compact array (8 bytes
a row) and any window is a primary-key lookup. Every sortable column has an index; the
tie-breaker is always the id, so an order is total and stable.
"""

from __future__ import annotations

import array
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from crmdesk.domain.entities import BROWSABLE, Entity
from crmdesk.domain.records import SavedSearch
from crmdesk.domain.sync_status import RecordSync
from crmdesk.store.columns import TABLES, day_number, epoch
from crmdesk.store.search import fts_query

if TYPE_CHECKING:
    from crmdesk.store.session import Session

#: Sort key -> indexed column, per entity. Only these sorts are offered: each has an index.
SORT_COLUMNS: dict[Entity, dict[str, str]] = {
    Entity.DEAL: {
        "name": "name",
        "value": "value",
        "stage": "stage_pos",
        "status": "status",
        "probability": "probability",
        "close_date": "close_date",
        "owner": "owner_name",
        "company": "company_name",
        "created_at": "created_at",
        "updated_at": "updated_at",
    },
    Entity.PERSON: {
        "name": "name",
        "email": "email",
        "company": "company_name",
        "owner": "owner_name",
        "created_at": "created_at",
        "updated_at": "updated_at",
    },
    Entity.COMPANY: {
        "name": "name",
        "city": "city",
        "owner": "owner_name",
        "created_at": "created_at",
        "updated_at": "updated_at",
    },
}


def _lookup_name(kind: str, column: str) -> str:
    return f"(SELECT name FROM lookups WHERE kind = '{kind}' AND id = t.{column})"


#: The columns of a window row, per entity: (key, SQL expression). Rows are tuples in this
#: order; ``id`` and ``sync`` always come first.
WINDOW_COLUMNS: dict[Entity, tuple[tuple[str, str], ...]] = {
    Entity.DEAL: (
        ("id", "t.id"),
        ("sync", "t.sync"),
        ("name", "t.name"),
        ("value", "t.value"),
        ("currency", "t.currency"),
        ("stage_id", "t.stage_id"),
        ("stage", _lookup_name("deal_stages", "stage_id")),
        ("stage_percent", "t.stage_pos"),
        ("status_id", "t.status"),
        ("status", _lookup_name("deal_statuses", "status")),
        ("probability", "t.probability"),
        ("close_date", "t.close_date"),
        ("owner_id", "t.owner_id"),
        ("owner", "t.owner_name"),
        ("company_id", "t.company_id"),
        ("company", "t.company_name"),
        ("source", _lookup_name("lead_sources", "source_id")),
        ("created_at", "t.created_at"),
        ("updated_at", "t.updated_at"),
    ),
    Entity.PERSON: (
        ("id", "t.id"),
        ("sync", "t.sync"),
        ("name", "t.name"),
        ("type", "t.type"),
        ("position", "t.position"),
        ("email", "t.email"),
        ("phone", "t.phone"),
        ("city", "t.city"),
        ("company_id", "t.company_id"),
        ("company", "t.company_name"),
        ("owner_id", "t.owner_id"),
        ("owner", "t.owner_name"),
        ("lead_status", _lookup_name("lead_statuses", "lead_status_id")),
        ("lead_source", _lookup_name("lead_sources", "lead_source_id")),
        ("created_at", "t.created_at"),
        ("updated_at", "t.updated_at"),
    ),
    Entity.COMPANY: (
        ("id", "t.id"),
        ("sync", "t.sync"),
        ("name", "t.name"),
        ("email", "t.email"),
        ("phone", "t.phone"),
        ("web", "t.web"),
        ("city", "t.city"),
        ("country", "t.country"),
        ("owner_id", "t.owner_id"),
        ("owner", "t.owner_name"),
        ("is_customer", "t.is_customer"),
        ("created_at", "t.created_at"),
        ("updated_at", "t.updated_at"),
    ),
}


@dataclass(frozen=True, slots=True)
class Filter:
    """What rows a table shows. Empty fields do not filter; ranges are inclusive."""

    text: str = ""  # search-as-you-type (FTS prefix match)
    owner_ids: tuple[int, ...] = ()
    stage_ids: tuple[int, ...] = ()  # deals
    statuses: tuple[int, ...] = ()  # deals
    source_ids: tuple[int, ...] = ()  # deals: lead source of the deal
    lead_source_ids: tuple[int, ...] = ()  # people
    lead_status_ids: tuple[int, ...] = ()  # people
    person_types: tuple[str, ...] = ()  # people: "Contact" / "Lead"
    company_ids: tuple[int, ...] = ()  # deals, people
    is_customer: bool | None = None  # companies
    value_min: float | None = None  # deals
    value_max: float | None = None
    close_from: date | None = None  # deals: expected close
    close_to: date | None = None
    modified_from: datetime | None = None
    modified_to: datetime | None = None
    sync: tuple[RecordSync, ...] = ()  # e.g. only rows with pending changes


@dataclass(frozen=True, slots=True)
class Sort:
    """Order by one sortable column (``SORT_COLUMNS``), ties by id."""

    key: str = "name"
    descending: bool = False


@dataclass(frozen=True, slots=True)
class TableQuery:
    """Entity + filter + sort: everything that decides a table's rows and their order."""

    entity: Entity
    filter: Filter = Filter()
    sort: Sort = Sort()


@dataclass(slots=True)
class RowSet:
    """The rows of a TableQuery as counted at ``open``; ``ids`` once loaded.

    The order is a snapshot: rows added later appear after a re-open; a row deleted since
    comes back as ``None`` from ``window``. Row contents are always current.
    """

    query: TableQuery
    count: int
    ids: array.array[int] | None = field(default=None, repr=False)
    #: Windows walk the sort index and test each row against the search matches (many
    #: matches), instead of looking every match up and sorting them all (few matches).
    scan: bool = False


@dataclass(frozen=True, slots=True)
class Selection:
    """Selected rows as a predicate: all rows of ``query`` except ``ids`` (``all``), or
    exactly ``ids``. "Select all" at a million rows is one small object, not a list."""

    query: TableQuery
    all: bool = False
    ids: frozenset[int] = frozenset()


#: Above this many search matches a window walks the sort index (it meets a page of
#: matches after ~page x rows/matches index entries) instead of sorting every match;
#: at a million deals and 118,000 matches that is 12 ms instead of 120 ms.
SCAN_ABOVE = 5_000


def _where(query: TableQuery, scan: bool = False) -> tuple[str, list[Any]]:
    entity, f = query.entity, query.filter
    table = TABLES[entity]
    names = set(table.column_names)
    clauses: list[str] = []
    args: list[Any] = []

    def one_of(column: str, values: Sequence[Any], label: str) -> None:
        if not values:
            return
        if column not in names:
            raise ValueError(f"{entity.plural_label} cannot be filtered by {label}")
        clauses.append(f"t.{column} IN ({','.join('?' * len(values))})")
        args.extend(values)

    def between(column: str, low: Any, high: Any, label: str) -> None:
        if low is None and high is None:
            return
        if column not in names:
            raise ValueError(f"{entity.plural_label} cannot be filtered by {label}")
        if low is not None:
            clauses.append(f"t.{column} >= ?")
            args.append(low)
        if high is not None:
            clauses.append(f"t.{column} <= ?")
            args.append(high)

    one_of("owner_id", f.owner_ids, "owner")
    one_of("stage_id", f.stage_ids, "stage")
    one_of("status", f.statuses, "status")
    one_of("source_id", f.source_ids, "source")
    one_of("lead_source_id", f.lead_source_ids, "lead source")
    one_of("lead_status_id", f.lead_status_ids, "lead status")
    one_of("type", f.person_types, "type")
    one_of("company_id", f.company_ids, "company")
    if f.is_customer is not None:
        one_of("is_customer", [int(f.is_customer)], "customer")
    between("value", f.value_min, f.value_max, "value")
    between(
        "close_date",
        None if f.close_from is None else day_number(f.close_from.isoformat()),
        None if f.close_to is None else day_number(f.close_to.isoformat()),
        "expected close",
    )
    between(
        "updated_at",
        None if f.modified_from is None else int(f.modified_from.timestamp()),
        None if f.modified_to is None else int(f.modified_to.timestamp()),
        "modified",
    )
    if f.sync:
        synced = RecordSync.SYNCED in f.sync
        others = [s.value for s in f.sync if s is not RecordSync.SYNCED]
        parts = (["t.sync IS NULL"] if synced else []) + (
            [f"t.sync IN ({','.join('?' * len(others))})"] if others else []
        )
        clauses.append("(" + " OR ".join(parts) + ")")
        args.extend(others)
    match = fts_query(f.text)
    if match is not None and table.fts:
        # "+t.id" keeps SQLite from driving the query by the match list, so that the
        # ORDER BY index drives it and LIMIT stops early
        clauses.append(
            f"{'+' if scan else ''}t.id IN "
            f"(SELECT rowid FROM {table.fts_table} WHERE {table.fts_table} MATCH ?)"
        )
        args.append(match)
    return (" AND ".join(clauses) or "1"), args


def _order(query: TableQuery) -> str:
    columns = SORT_COLUMNS[query.entity]
    if query.sort.key not in columns:
        raise ValueError(
            f"{query.entity.plural_label} cannot be sorted by {query.sort.key!r}; "
            f"sortable: {', '.join(columns)}"
        )
    direction = "DESC" if query.sort.descending else "ASC"
    return f"t.{columns[query.sort.key]} {direction}, t.id {direction}"


class Tables:
    """Counts, windows, id lists, exports and selections of table queries."""

    def __init__(self, session: Session) -> None:
        self._conn: sqlite3.Connection = session.conn

    @staticmethod
    def columns(entity: Entity) -> tuple[str, ...]:
        """Keys of a window row's values, in order."""
        return tuple(key for key, _ in WINDOW_COLUMNS[entity])

    def _from(self, query: TableQuery, scan: bool = False) -> tuple[str, list[Any]]:
        if query.entity not in BROWSABLE:
            raise ValueError(f"{query.entity.plural_label} have no table")
        where, args = _where(query, scan)
        return f"FROM {TABLES[query.entity].table} AS t WHERE {where}", args

    def count(self, query: TableQuery) -> int:
        """Rows matching ``query``."""
        table = TABLES[query.entity]
        match = fts_query(query.filter.text)
        if match is not None and table.fts and replace(query.filter, text="") == Filter():
            # search text alone: count the index's matches, without a lookup per match
            sql = f"SELECT count(*) FROM {table.fts_table} WHERE {table.fts_table} MATCH ?"
            return int(self._conn.execute(sql, (match,)).fetchone()[0])
        source, args = self._from(query)
        return int(self._conn.execute(f"SELECT count(*) {source}", args).fetchone()[0])

    def open(self, query: TableQuery) -> RowSet:
        """Count the rows of ``query`` (ids are loaded later by ``load_ids``)."""
        _order(query)  # reject an unsortable key before anything is shown
        count = self.count(query)
        scan = count > SCAN_ABOVE and fts_query(query.filter.text) is not None
        return RowSet(query, count, scan=scan)

    def window(self, rowset: RowSet, offset: int, limit: int) -> list[tuple[Any, ...] | None]:
        """Rows ``offset`` .. ``offset + limit`` of ``rowset`` as tuples (``columns``)."""
        if offset < 0 or limit <= 0:
            return []
        select = ", ".join(sql for _, sql in WINDOW_COLUMNS[rowset.query.entity])
        if rowset.ids is not None:
            ids = rowset.ids[offset : offset + limit].tolist()
            return self._rows_by_id(rowset.query.entity, select, ids)
        source, args = self._from(rowset.query, rowset.scan)
        sql = f"SELECT {select} {source} ORDER BY {_order(rowset.query)} LIMIT ? OFFSET ?"
        return list(self._conn.execute(sql, [*args, limit, offset]))

    def _rows_by_id(
        self, entity: Entity, select: str, ids: list[int]
    ) -> list[tuple[Any, ...] | None]:
        if not ids:
            return []
        table = TABLES[entity].table
        sql = f"SELECT {select} FROM {table} AS t WHERE t.id IN ({','.join('?' * len(ids))})"
        found = {row[0]: row for row in self._conn.execute(sql, ids)}
        return [found.get(i) for i in ids]

    def ids(self, query: TableQuery) -> Iterator[int]:
        """Ids of ``query`` in order, streamed."""
        source, args = self._from(query)
        cursor = self._conn.execute(f"SELECT t.id {source} ORDER BY {_order(query)}", args)
        while batch := cursor.fetchmany(4096):
            for row in batch:
                yield row[0]

    def load_ids(self, rowset: RowSet) -> RowSet:
        """Fill ``rowset.ids`` (and refresh its count) with one indexed scan."""
        ids = array.array("q")
        source, args = self._from(rowset.query)
        cursor = self._conn.execute(f"SELECT t.id {source} ORDER BY {_order(rowset.query)}", args)
        while batch := cursor.fetchmany(65536):
            ids.extend(row[0] for row in batch)
        rowset.ids = ids
        rowset.count = len(ids)
        return rowset

    def position(self, rowset: RowSet, rid: int) -> int | None:
        """Row number of ``rid`` in a rowset with loaded ids (to keep a selection)."""
        if rowset.ids is None:
            return None
        try:
            return rowset.ids.index(rid)
        except ValueError:
            return None

    def export(
        self, query: TableQuery, keys: Sequence[str] | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """Every row of ``query`` in order, as tuples of the ``keys`` columns (all window
        columns by default), streamed in batches for CSV export."""
        available = dict(WINDOW_COLUMNS[query.entity])
        wanted = list(keys) if keys is not None else list(available)
        unknown = [k for k in wanted if k not in available]
        if unknown:
            raise ValueError(f"unknown column(s): {', '.join(unknown)}")
        source, args = self._from(query)
        sql = f"SELECT {', '.join(available[k] for k in wanted)} {source} ORDER BY {_order(query)}"
        cursor = self._conn.execute(sql, args)
        while batch := cursor.fetchmany(2048):
            yield from batch

    def selection_count(self, selection: Selection) -> int:
        """Rows in a selection."""
        if not selection.all:
            return len(selection.ids)
        total = self.count(selection.query)
        if not selection.ids:
            return total
        source, args = self._from(selection.query)
        excluded = list(selection.ids)
        sql = f"SELECT count(*) {source} AND t.id IN ({','.join('?' * len(excluded))})"
        return total - int(self._conn.execute(sql, [*args, *excluded]).fetchone()[0])

    def selection_ids(self, selection: Selection) -> Iterator[int]:
        """Ids in a selection, streamed in table order."""
        for rid in self.ids(selection.query):
            if selection.all != (rid in selection.ids):
                yield rid


# ------------------------------------------------------------------ saved searches

_OWNER_KEYS = {"deal_owner", "person_owner", "company_owner", "owner_id"}
_TABLE_ENTITY = {"deals": Entity.DEAL, "people": Entity.PERSON, "companies": Entity.COMPANY}


def _ids(value: Any) -> tuple[int, ...]:
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            continue
    return tuple(out)


def _range(value: Any, low: str, high: str) -> tuple[Any, Any]:
    if not isinstance(value, dict):
        return None, None
    return value.get(low), value.get(high)


def _day(text: Any) -> date | None:
    if not isinstance(text, str):
        return None
    number = day_number(text)
    return None if number is None else date(number // 10000, number // 100 % 100, number % 100)


def _moment(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    seconds = epoch(text if " " in text or "T" in text else f"{text} 00:00:00")
    return None if seconds is None else datetime.fromtimestamp(seconds).astimezone()


def _number(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None


def query_from_saved_search(search: SavedSearch) -> tuple[TableQuery, tuple[str, ...]]:
    """The table query a saved search stands for, plus the condition keys that have no
    local equivalent (the UI says the view is applied in part)."""
    entity = _TABLE_ENTITY.get(search.search_type)
    if entity is None:
        raise ValueError(f"saved searches of type {search.search_type!r} have no table")
    values: dict[str, Any] = {}
    unmapped: list[str] = []
    for key, value in search.query.items():
        if key in _OWNER_KEYS:
            values["owner_ids"] = _ids(value)
        elif key == "deal_stage":
            values["stage_ids"] = _ids(value)
        elif key in ("deal_status", "status"):
            values["statuses"] = _ids(value)
        elif key == "deal_source":
            values["source_ids"] = _ids(value)
        elif key == "lead_source":
            values["lead_source_ids"] = _ids(value)
        elif key in ("person_status", "lead_status"):
            values["lead_status_ids"] = _ids(value)
        elif key == "person_type":
            values["person_types"] = tuple(
                v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)
            )
        elif key == "deal_value":
            low, high = _range(value, "from", "to")
            values["value_min"], values["value_max"] = _number(low), _number(high)
        elif key == "exp_close":
            low, high = _range(value, "from_date", "to_date")
            values["close_from"], values["close_to"] = _day(low), _day(high)
        elif key in ("deal_modified", "person_modified", "company_modified"):
            low, high = _range(value, "from_date", "to_date")
            values["modified_from"], values["modified_to"] = _moment(low), _moment(high)
        elif key == "company_is_customer":
            flags = value if isinstance(value, list) else [value]
            values["is_customer"] = any(str(v).lower() in ("yes", "true", "1") for v in flags)
        elif key in ("deal_name", "person_name", "company_name", "person_full_name") and isinstance(
            value, str
        ):
            values["text"] = value
        else:
            unmapped.append(key)
    sort = Sort()
    if search.sort:
        descending = search.sort.startswith("-")
        column = search.sort.lstrip("-").split(".")[-1].split(" ")[0]
        sort_key = {
            "updated_at": "updated_at",
            "created_at": "created_at",
            "name": "name",
            "value": "value",
            "expected_close_date": "close_date",
        }.get(column)
        if sort_key is not None and sort_key in SORT_COLUMNS[entity]:
            sort = Sort(sort_key, descending)
    return TableQuery(entity, Filter(**values), sort), tuple(unmapped)
