"""Browsing an account's tables: counts, formatted row windows, sorting, filters, search,
saved views, record details and CSV export, thin over the store's query layer.

Threading: queries that can take long (counting a filter, ordering a million ids, search,
export, details) run on one background reader thread with its own read connection, and a
newer request cancels an older one mid-statement (SQLite progress handler). Row windows
are small indexed reads and run on the caller's thread (the GUI thread), so the table's
``data()`` never waits on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from crmdesk.domain.entities import BROWSABLE, Entity
from crmdesk.services.columns import TABLE_COLUMNS, RowFormatter
from crmdesk.services.formatting import DisplayFormats, stage_colour
from crmdesk.services.table_types import (
    Choice,
    Column,
    DisplayRow,
    ExportResult,
    Filter,
    FilterChoices,
    RecordDetail,
    SavedView,
    SearchHit,
    Sort,
    ViewOrigin,
    ViewSpec,
)
from crmdesk.services.view_library import ViewLibrary
from crmdesk.store import (
    SORT_COLUMNS,
    RowSet,
    Session,
    Store,
    TableQuery,
    query_from_saved_search,
)
from crmdesk.store import Filter as StoreFilter
from crmdesk.store import Sort as StoreSort
from crmdesk.store.errors import StoreError, translate

T = TypeVar("T")

#: Below this many rows the ids are loaded together with the count (cheap, and it makes
#: positions known at once).
EAGER_ORDER_LIMIT = 50_000
_PROGRESS_STEPS = 5_000  # SQLite VM steps between cancellation checks


@dataclass(eq=False, slots=True)
class RowSource:
    """The rows of a view as counted when it was opened: pass it back to the service.

    ``ordered`` is True once every row's id and position is known (after ``order``), which
    makes windows primary-key lookups and enables positions and selections by id.
    """

    spec: ViewSpec
    count: int
    _rowset: RowSet

    @property
    def ordered(self) -> bool:
        """True when ids and positions are known."""
        return self._rowset.ids is not None


#: SQLite page cache of the read connections this service opens: row windows touch a few
#: pages (the GUI thread's connection), counts and orderings more (the reader thread's).
WINDOW_CACHE_KIB = 4_096
READER_CACHE_KIB = 8_192
_sized: weakref.WeakSet[Session] = weakref.WeakSet()


def _session(store: Store, cache_kib: int) -> Session:
    """The calling thread's read session, its page cache sized once."""
    session = store.read()
    if session not in _sized:
        session.conn.execute(f"PRAGMA cache_size = -{cache_kib}")
        _sized.add(session)
    return session


class QueryCancelled(Exception):
    """A background query was superseded and stopped."""


class _Ticket:
    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False


class _Reader:
    """One background thread with its own read connection; its queries can be cancelled."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crmdesk-browse")
        self._closed = False

    async def run(self, fn: Callable[[Session], T]) -> T:
        ticket = _Ticket()

        def work() -> T:
            if ticket.cancelled:
                raise QueryCancelled
            session = _session(self._store, READER_CACHE_KIB)
            session.conn.set_progress_handler(lambda: int(ticket.cancelled), _PROGRESS_STEPS)
            try:
                return fn(session)
            except sqlite3.Error as error:
                if ticket.cancelled:
                    raise QueryCancelled from None
                raise translate(error, str(self._store.path)) from error
            finally:
                session.conn.set_progress_handler(None, 0)

        if self._closed:
            raise StoreError("The account is closed.")
        future = self._executor.submit(work)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            ticket.cancelled = True
            raise
        except QueryCancelled:
            raise asyncio.CancelledError from None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self._executor.submit(self._store.close_reader).result()
        self._executor.shutdown(wait=True)


def to_store_query(spec: ViewSpec) -> TableQuery:
    """The store's query for a view spec (entity, filter, sort)."""
    values = {f.name: getattr(spec.filter, f.name) for f in fields(spec.filter)}
    return TableQuery(
        spec.entity, StoreFilter(**values), StoreSort(spec.sort.key, spec.sort.descending)
    )


def _from_store_filter(value: StoreFilter) -> Filter:
    return Filter(**{f.name: getattr(value, f.name) for f in fields(value)})


class BrowseService:
    """What the tables, filters, views, detail pane and global search read.

    ``store`` is the account's open store; ``views_path`` the JSON file of locally saved
    views. Call ``close`` before closing the store.
    """

    def __init__(self, store: Store, views_path: Path) -> None:
        self._store = store
        self._reader = _Reader(store)
        self._views = ViewLibrary(views_path)
        self._lock = threading.Lock()
        self._formats = DisplayFormats()
        self._formatters: dict[Entity, RowFormatter] = {}
        self.reload_settings()

    def close(self) -> None:
        """Stop the background reader (the store stays open)."""
        self._reader.close()

    # -------------------------------------------------------------- settings

    @property
    def formats(self) -> DisplayFormats:
        """The user's display formats."""
        return self._formats

    def reload_settings(self) -> None:
        """Re-read the profile, account and colour lookups (after a sync changed them)."""
        session = _session(self._store, WINDOW_CACHE_KIB)
        lookups = session.lookups
        formats = DisplayFormats.from_settings(lookups.get("profile"), lookups.get("account"))
        colours: dict[str, dict[Any, str]] = {
            "deal_statuses": {
                i.id: i.hex_color for i in lookups.items("deal_statuses") if i.hex_color
            },
            "lead_statuses": {
                i.name: i.hex_color for i in lookups.items("lead_statuses") if i.hex_color
            },
        }
        with self._lock:
            self._formats = formats
            self._formatters = {
                entity: RowFormatter(entity, session.tables.columns(entity), formats, colours)
                for entity in BROWSABLE
            }

    def formatter(self, entity: Entity) -> RowFormatter:
        """The row formatter of ``entity``'s table."""
        with self._lock:
            return self._formatters[entity]

    # -------------------------------------------------------------- tables

    @staticmethod
    def columns(entity: Entity) -> tuple[Column, ...]:
        """Every column ``entity``'s table can show, in default order."""
        return TABLE_COLUMNS[entity]

    @staticmethod
    def sortable(entity: Entity) -> frozenset[str]:
        """Column keys the table can sort by (each has an index)."""
        return frozenset(SORT_COLUMNS[entity])

    async def open(self, spec: ViewSpec) -> RowSource:
        """Count the rows of ``spec`` (and order them too when there are few).

        Cancelling the awaiting task stops the query. ValueError for an unsortable key.
        """
        query = to_store_query(spec)

        def work(session: Session) -> RowSet:
            rowset = session.tables.open(query)
            # While a first sync bulk-loads the table its sort indexes are gone: a window by
            # offset would sort the whole table on the GUI thread, so order it here instead.
            if rowset.count <= EAGER_ORDER_LIMIT or query.entity in session.records.in_bulk():
                session.tables.load_ids(rowset)
            return rowset

        rowset = await self._reader.run(work)
        return RowSource(spec, rowset.count, rowset)

    async def order(self, source: RowSource) -> RowSource:
        """A copy of ``source`` with every id and position known (0.2-0.5 s per million
        rows, off the GUI thread). The count may differ if a sync changed the table since."""
        if source.ordered:
            return source
        query = source._rowset.query

        def work(session: Session) -> RowSet:
            return session.tables.load_ids(RowSet(query, source.count))

        rowset = await self._reader.run(work)
        return RowSource(source.spec, rowset.count, rowset)

    def rows(self, source: RowSource, offset: int, limit: int) -> list[DisplayRow | None]:
        """Formatted rows ``offset``..``offset + limit`` (on the calling thread; a few ms).

        A row deleted since the source was opened comes back as None.
        """
        return self.formatter(source.spec.entity).rows(self.window(source, offset, limit))

    def window(self, source: RowSource, offset: int, limit: int) -> list[Any]:
        """Raw rows ``offset``..``offset + limit`` (opaque; ``format_row`` shows one).

        Cheaper than ``rows`` when only some of the rows will be shown.
        """
        session = _session(self._store, WINDOW_CACHE_KIB)
        try:
            return session.tables.window(source._rowset, offset, limit)
        except sqlite3.Error as error:
            raise translate(error, str(self._store.path)) from error

    def format_row(self, entity: Entity, raw: Any) -> DisplayRow:
        """The display row of a raw row from ``window``."""
        return self.formatter(entity).row(raw)

    def ids(self, source: RowSource, start: int, stop: int) -> list[int]:
        """Ids at positions ``start``..``stop`` of an ordered source."""
        if source._rowset.ids is None:
            raise ValueError("the rows are not ordered yet")
        return source._rowset.ids[start:stop].tolist()

    def position(self, source: RowSource, record_id: int) -> int | None:
        """Row number of a record in an ordered source (None if absent or not ordered)."""
        ids = source._rowset.ids
        if ids is None:
            return None
        try:
            return ids.index(record_id)
        except ValueError:
            return None

    # -------------------------------------------------------------- filters and views

    def filter_choices(self, entity: Entity) -> FilterChoices:
        """The options of each filter ``entity``'s table offers."""
        session = _session(self._store, WINDOW_CACHE_KIB)
        lookups = session.lookups
        owners = tuple(
            Choice(i, (n or f"#{i}") + ("" if active else " (inactive)"))
            for i, n, active in session.conn.execute(
                "SELECT id, name, active FROM users ORDER BY active = 0, name COLLATE NOCASE"
            )
        )

        def items(kind: str) -> tuple[Choice, ...]:
            return tuple(Choice(i.id, i.name, i.hex_color) for i in lookups.items(kind))

        if entity is Entity.DEAL:
            stages = tuple(
                Choice(i.id, f"{i.name} ({i.percent or 0}%)", stage_colour(i.percent))
                for i in sorted(lookups.items("deal_stages"), key=lambda i: i.percent or 0)
            )
            return FilterChoices(
                owners=owners,
                stages=stages,
                statuses=items("deal_statuses"),
                sources=items("lead_sources"),
                value_range=True,
                close_range=True,
            )
        if entity is Entity.PERSON:
            return FilterChoices(
                owners=owners,
                lead_sources=items("lead_sources"),
                lead_statuses=items("lead_statuses"),
                person_types=(Choice("Contact", "Contact"), Choice("Lead", "Lead")),
            )
        return FilterChoices(owners=owners, customer=True)

    def saved_views(self, entity: Entity) -> list[SavedView]:
        """The account's saved searches for ``entity``, then the locally saved views."""
        session = _session(self._store, WINDOW_CACHE_KIB)
        views: list[SavedView] = []
        keys = {c.key for c in TABLE_COLUMNS[entity]}
        for search in session.lookups.saved_searches(entity.collection):
            try:
                query, unmapped = query_from_saved_search(search)
            except ValueError:
                continue
            columns = tuple(c for c in search.columns if c in keys)
            spec = ViewSpec(
                entity,
                _from_store_filter(query.filter),
                Sort(query.sort.key, query.sort.descending),
                ("sync", *columns) if columns else (),
            )
            views.append(
                SavedView(f"search:{search.id}", search.name, ViewOrigin.ACCOUNT, spec, unmapped)
            )
        return views + self._views.views(entity)

    def save_view(self, name: str, spec: ViewSpec) -> SavedView:
        """Save a view locally (replacing one of the same name); ViewLibraryError on failure."""
        return self._views.save(name, spec)

    def delete_view(self, view_id: str) -> bool:
        """Delete a locally saved view."""
        return self._views.delete(view_id)

    # -------------------------------------------------------------- search and details

    async def search(self, text: str, limit: int = 8) -> list[SearchHit]:
        """The global search: up to ``limit`` deals, people and companies each."""

        def work(session: Session) -> list[SearchHit]:
            return [
                SearchHit(h.entity, h.id, h.title, h.subtitle)
                for h in session.search.everywhere(text, limit)
            ]

        return await self._reader.run(work)

    async def detail(self, entity: Entity, record_id: int) -> RecordDetail | None:
        """What the detail pane shows for a record (None if the store has no such row)."""
        from crmdesk.services.record_detail import build_detail

        formats = self._formats
        return await self._reader.run(lambda s: build_detail(s, entity, record_id, formats))

    async def check_integrity(self) -> None:
        """Wait for the store's integrity check (a large file is checked in the background
        after opening); StoreCorruptError if it found damage."""
        await asyncio.wrap_future(self._store.integrity)

    # -------------------------------------------------------------- export

    async def export_csv(
        self,
        spec: ViewSpec,
        column_keys: Sequence[str],
        path: Path,
        progress: Callable[[int], None] | None = None,
    ) -> ExportResult:
        """Write every row of ``spec`` to ``path`` as CSV, ``column_keys`` in that order.

        The file appears complete or not at all (written aside, then renamed). Cancelling
        stops the export and leaves no file; a write failure raises ExportError.
        ``progress(rows)`` is called from the reader thread: make it thread-safe.
        """
        from crmdesk.services.export import write_csv

        formatter = self.formatter(spec.entity)
        query = to_store_query(spec)

        def work(session: Session) -> ExportResult:
            rows = write_csv(session, query, formatter, column_keys, path, progress)
            return ExportResult(str(path), rows, tuple(column_keys))

        return await self._reader.run(work)

    @staticmethod
    def with_text(spec: ViewSpec, text: str) -> ViewSpec:
        """``spec`` with the search text replaced."""
        return replace(spec, filter=replace(spec.filter, text=text))
