"""One table page (deals, people or companies): search, filters, saved views, columns,
export, the table, and the detail pane beside it.

Every change of what the table shows (search text, a filter, a sort, a view) becomes a new
``ViewSpec`` and one background query; a newer query cancels an older one, so typing fast
never queues stale work. The table first shows rows by SQL offset, then, once the ids are
ordered in the background, by id (instant jumps, positions, selections by id).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import CrmError
from crmdesk.services.table_types import Filter, Sort, ViewSpec
from crmdesk.ui.detail_pane import DetailPane
from crmdesk.ui.page_tools import DEFAULT_SORT, PageTools
from crmdesk.ui.settings import UiSettings
from crmdesk.ui.table_model import RecordTableModel
from crmdesk.ui.table_view import RecordTableView
from crmdesk.ui.tasks import LatestTask
from crmdesk.ui.views_menu import ViewsButton

if TYPE_CHECKING:
    from crmdesk.ui.filter_bar import FilterBar

SEARCH_DEBOUNCE_MS = 60
DETAIL_DEBOUNCE_MS = 60
RECOUNT_DEBOUNCE_MS = 400


async def _fired(timer: QTimer) -> None:
    """Wait for an active single-shot timer to fire (returns at once if it is idle)."""
    if not timer.isActive():
        return
    fired = asyncio.get_running_loop().create_future()

    def done() -> None:
        if not fired.done():
            fired.set_result(None)

    timer.timeout.connect(done)
    try:
        if timer.isActive():
            await fired
    finally:
        timer.timeout.disconnect(done)


class EntityPage(PageTools, QWidget):
    """The page of one entity. ``browse`` is a BrowseService (passed in, never imported)."""

    #: A short message for the status bar.
    message = Signal(str)
    #: The row count text changed ("1,234 deals").
    count_changed = Signal(str)
    #: Open a record of another page: (entity, id).
    navigate = Signal(object, int)
    #: Rows of a new query are on screen (benchmarks and tests time it).
    rows_shown = Signal()

    def __init__(
        self,
        entity: Entity,
        browse,
        settings: UiSettings,
        account_key: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"page_{entity.value}")
        self.entity = entity
        self.browse = browse
        self.settings = settings
        self.account_key = account_key
        self.spec = ViewSpec(entity, sort=DEFAULT_SORT[entity])
        self.loaded = False
        self.last_query_ms = 0.0
        self._query = LatestTask(self._show_error)
        self._detail_task = LatestTask(self._show_error)
        self._recount_task = LatestTask(self._show_error)
        self._side_task = LatestTask(self._show_error)
        self._reload_force = False
        self._reload_again = False
        self._shown_id: int | None = None

        self.model = RecordTableModel(
            browse.columns(entity),
            browse.window,
            lambda raw: browse.format_row(entity, raw),
            self,
        )
        self.table = RecordTableView(self)
        self.table.setModel(self.model)
        self.detail = DetailPane(self)
        self._filters: FilterBar | None = None  # built when first needed
        self.views = ViewsButton(entity, lambda: browse.saved_views(entity), self)
        self._build_layout()
        self._connect()
        self._restore_columns()
        self._show_sort()

    # -------------------------------------------------------------- construction

    def _build_layout(self) -> None:
        self.search = QLineEdit(self)
        self.search.setObjectName("searchField")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(f"Search {self.entity.plural_label.lower()}…  (Ctrl+F)")
        self.filter_toggle = QToolButton(self)
        self.filter_toggle.setObjectName("filterToggle")
        self.filter_toggle.setText("Filters")
        self.filter_toggle.setCheckable(True)
        self.filter_toggle.setToolTip("Show the filters")
        self.columns_button = QToolButton(self)
        self.columns_button.setText("Columns")
        self.columns_button.setToolTip("Choose, order and size the columns")
        self.export_button = QToolButton(self)
        self.export_button.setText("Export")
        self.export_button.setToolTip("Export this view as CSV (Ctrl+E)")
        self.count_label = QLabel(self)
        self.count_label.setObjectName("countLabel")
        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        top.addSpacing(6)
        top.addWidget(self.views)
        top.addWidget(self.filter_toggle)
        top.addWidget(self.columns_button)
        top.addWidget(self.export_button)
        header = QVBoxLayout()
        header.setContentsMargins(10, 8, 10, 6)
        header.setSpacing(6)
        header.addLayout(top)
        self._header = header
        self.splitter = QSplitter(self)
        self.splitter.setObjectName(f"splitter_{self.entity.value}")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([980, 290])
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addLayout(header)
        box.addWidget(self.splitter, 1)
        escape = QAction(self.search)
        escape.setShortcut(QKeySequence("Escape"))
        escape.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        escape.triggered.connect(self.search.clear)
        self.search.addAction(escape)

    def _connect(self) -> None:
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self._search_cooled)
        self._detail_timer = QTimer(self, singleShot=True, interval=DETAIL_DEBOUNCE_MS)
        self._detail_timer.timeout.connect(self._load_detail)
        self._layout_timer = QTimer(self, singleShot=True, interval=400)
        self._layout_timer.timeout.connect(self._save_columns)
        self._recount_timer = QTimer(self, singleShot=True, interval=RECOUNT_DEBOUNCE_MS)
        self._recount_timer.timeout.connect(self._reload_due)
        self.search.textChanged.connect(self._text_edited)
        self.search.returnPressed.connect(self._search_now)
        self.filter_toggle.toggled.connect(lambda on: self.filters.setVisible(on))
        self.columns_button.clicked.connect(self.choose_columns)
        self.export_button.clicked.connect(self.ask_export)
        self.views.chosen.connect(self.apply_view)
        self.views.save_requested.connect(self.save_view)
        self.views.delete_requested.connect(self.delete_view)
        self.model.sort_requested.connect(self.sort_by)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._detail_timer.start())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._emit_count())
        self.table.open_requested.connect(self._open_row)
        self.table.columns_requested.connect(self.choose_columns)
        self.table.layout_changed.connect(self._layout_timer.start)
        self.detail.navigate.connect(self.navigate)
        self.search.installEventFilter(self)

    @property
    def filters(self) -> FilterBar:
        """The filter strip (built on first use: it reads the filter choices)."""
        if self._filters is None:
            from crmdesk.ui.filter_bar import FilterBar

            bar = FilterBar(self.browse.filter_choices(self.entity), self)
            bar.set_filter(self.spec.filter)
            bar.setVisible(self.filter_toggle.isChecked())
            bar.changed.connect(self._filters_changed)
            self._header.addWidget(bar)
            self._filters = bar
        return self._filters

    def reload_choices(self) -> None:
        """Rebuild the filter strip from the account's lists after a sync changed them (a
        new stage, owner or source); the filters in force and the strip's state stay."""
        old = self._filters
        if old is None:
            return  # built from fresh choices when first needed
        self._filters = None
        self._header.removeWidget(old)
        old.hide()
        old.deleteLater()
        self.filters  # noqa: B018 - builds the strip again, with the current filter shown

    def eventFilter(self, watched, event) -> bool:
        # Down arrow in the search field moves to the results.
        if (
            watched is self.search
            and event.type() == event.Type.KeyPress
            and event.key() == Qt.Key.Key_Down
            and self.model.rowCount()
        ):
            self.table.setFocus()
            if self.table.current_row() < 0:
                self.table.select_row(0)
            return True
        return super().eventFilter(watched, event)

    # -------------------------------------------------------------- queries

    def activate(self) -> None:
        """Load the table the first time the page is shown."""
        if not self.loaded:
            self.loaded = True
            self.requery()

    def requery(self, keep_id: int | None = None) -> asyncio.Task:
        """Run the current spec (cancelling a query still running)."""
        self._recount_timer.stop()
        self._recount_task.cancel()
        self._reload_force = self._reload_again = False
        keep = keep_id if keep_id is not None else self.current_id()
        return self._query.start(self._run(self.spec, keep))

    async def _run(self, spec: ViewSpec, keep: int | None) -> None:
        started = time.perf_counter()
        source = await self.browse.open(spec)
        self.model.set_source(source, source.count)
        self._show_sort()
        self._emit_count()
        self.last_query_ms = (time.perf_counter() - started) * 1000
        self.rows_shown.emit()
        kept = keep is not None and source.ordered and self._select_id(keep)
        if not kept and self.model.rowCount():
            self.table.select_row(0)
        if not source.ordered:
            ordered = await self.browse.order(source)
            self.model.replace_source(ordered, ordered.count)
            self._emit_count()
            if keep is not None:
                self._select_id(keep)

    def _select_id(self, record_id: int) -> bool:
        source = self.model.source
        position = None if source is None else self.browse.position(source, record_id)
        if position is None:
            return False
        self.table.select_row(position)
        return True

    # Search-as-you-type: the first keystroke after a pause searches at once; keystrokes
    # that follow within SEARCH_DEBOUNCE_MS of each other are folded into one search after
    # the last of them; and a newer search cancels an older one still running (SQLite
    # stops it mid-statement), so a fast typist never waits for stale results.

    def _text_edited(self, _text: str) -> None:
        if not self._search_timer.isActive():
            self._run_search()
        self._search_timer.start()

    def _search_cooled(self) -> None:
        self._run_search()

    def _search_now(self) -> None:
        self._search_timer.stop()
        self._run_search()

    def _run_search(self) -> bool:
        text = self.search.text()
        if text == self.spec.filter.text:
            return False
        self.spec = replace(self.spec, filter=replace(self.spec.filter, text=text))
        self.requery()
        return True

    def _filters_changed(self) -> None:
        self.spec = replace(self.spec, filter=self.filters.apply_to(self.spec.filter))
        self._show_filter_count()
        self.views.set_current(self.views.current)  # keep the name
        self.requery()

    def sort_by(self, key: str, descending: bool) -> None:
        """Order the table by a sortable column."""
        self.spec = replace(self.spec, sort=Sort(key, descending))
        self.requery()

    def set_filter(self, value: Filter) -> None:
        """Show rows matching ``value`` (search text included)."""
        self.spec = replace(self.spec, filter=value)
        self._sync_controls()
        self.requery()

    def _sync_controls(self) -> None:
        self.search.blockSignals(True)
        self.search.setText(self.spec.filter.text)
        self.search.blockSignals(False)
        if self._filters is not None or self.spec.filter.without_text().active_count:
            self.filters.set_filter(self.spec.filter)
        self._show_filter_count()

    def _show_filter_count(self) -> None:
        count = self.spec.filter.without_text().active_count
        self.filter_toggle.setText(f"Filters ({count})" if count else "Filters")
        self.filter_toggle.setProperty("active", bool(count))
        self.filter_toggle.style().unpolish(self.filter_toggle)
        self.filter_toggle.style().polish(self.filter_toggle)
        if count and not self.filter_toggle.isChecked():
            self.filter_toggle.setChecked(True)

    def _show_sort(self) -> None:
        self.table.show_sort(self.spec.sort.key, self.spec.sort.descending)

    def _emit_count(self) -> None:
        count = self.model.rowCount()
        noun = self.entity.plural_label.lower() if count != 1 else self.entity.label.lower()
        narrowed = bool(self.spec.filter.text or self.spec.filter.active_count)
        text = f"{count:,} {noun}" + (" match" if narrowed and count != 1 else "")
        text += " matches" if narrowed and count == 1 else ""
        selected = self.table.selected_count() if self.table.selectionModel() else 0
        if selected > 1:
            text = f"{selected:,} selected · {text}"
        self.count_label.setText(text)
        self.count_changed.emit(text)

    # -------------------------------------------------------------- details and navigation

    def current_id(self) -> int | None:
        """Id of the current row, if any."""
        row = self.table.current_row()
        return None if row < 0 else self.model.id_at(row)

    def _open_row(self, row: int) -> None:
        if self.detail.isHidden():
            self.detail.show()
        self._detail_timer.stop()
        self._load_detail()
        self.detail.setFocus()

    def _load_detail(self) -> None:
        record_id = self.current_id()
        if record_id is None:
            return
        self._detail_task.start(self._show_detail(record_id))

    async def _show_detail(self, record_id: int) -> None:
        detail = await self.browse.detail(self.entity, record_id)
        self._shown_id = record_id
        self.detail.show_detail(detail)

    def show_record(self, record_id: int) -> None:
        """Select and show a record; filters and search are cleared if they hide it."""
        if self._select_id(record_id):
            self._detail_timer.stop()
            self._load_detail()
            return
        self._side_task.start(self._show_record(record_id))

    async def _show_record(self, record_id: int) -> None:
        await self._query.wait()
        if self._select_id(record_id):
            return
        if self.spec.filter != Filter():
            self.spec = replace(self.spec, filter=Filter())
            self._sync_controls()
            self.views.set_current(None)
            await self.requery(keep_id=record_id)
            if self._select_id(record_id):
                return
        self._shown_id = record_id
        self.detail.show_detail(await self.browse.detail(self.entity, record_id))

    # -------------------------------------------------------------- live changes

    # Live changes never reset the view: changed rows that are on screen are re-read at
    # once, and the same view is re-opened in the background at most every
    # RECOUNT_DEBOUNCE_MS (rows added or removed, or a wholesale change during a first
    # sync) and swapped in keeping the scroll position and the selection. A reload that
    # is running is never cancelled by the next change: that one waits its turn, so a
    # stream of changes cannot starve the reloads.

    def apply_changes(self, ids: frozenset[int], reset: bool) -> None:
        """Records of this entity changed (a sync, an edit): refresh what is shown."""
        if not self.loaded:
            return
        self._reload_force |= reset
        if ids:
            self.model.refresh_ids(ids)
            # A row that vanished (a delete, a local id replaced by the server's) or a
            # record created here changes which rows the view holds even when the count
            # stays the same (one created, one deleted): re-read the view then.
            if self.model.vanished or any(i < 0 for i in ids):
                self._reload_force = True
            if self._shown_id in ids:
                self._detail_task.start(self._show_detail(self._shown_id))
        if not self._recount_timer.isActive():
            self._recount_timer.start()

    def _reload_due(self) -> None:
        if self._recount_task.running or self._query.running:
            self._reload_again = True
            return
        force, self._reload_force = self._reload_force, False
        self._recount_task.start(self._reload(force))

    async def _reload(self, force: bool) -> None:
        """Re-open the same view and swap it in (keeping scroll and selection) when rows
        were added or removed, or always with ``force``."""
        try:
            keep = self.current_id()
            source = await self.browse.open(self.spec)
            if force or source.count != self.model.rowCount():
                if not source.ordered:
                    source = await self.browse.order(source)
                self.model.replace_source(source, source.count)
                self._emit_count()
                if keep is not None:
                    self._select_id(keep)
                if self.table.current_row() < 0 and self.model.rowCount():
                    self.table.select_row(0)  # rows arrived (a first sync): show one
                elif self._shown_id is not None:
                    self._detail_timer.start()
        finally:
            if self._reload_again:
                self._reload_again = False
                self._recount_timer.start()

    async def settled(self) -> None:
        """Wait until debounce timers, queries, detail loads and refreshes in flight are
        done (tests and benchmarks)."""
        timers = (self._search_timer, self._recount_timer, self._detail_timer)
        tasks = (self._query, self._side_task, self._recount_task, self._detail_task)
        while any(t.isActive() for t in timers) or any(t.running for t in tasks):
            for timer in timers:
                await _fired(timer)
            for task in tasks:
                await task.wait()

    # -------------------------------------------------------------- errors

    def _show_error(self, error: CrmError) -> None:
        self.message.emit(str(error))

    def shutdown(self) -> None:
        """Stop background work (the window is closing)."""
        for timer in (self._search_timer, self._detail_timer, self._recount_timer):
            timer.stop()
        for task in (self._query, self._detail_task, self._recount_task, self._side_task):
            task.cancel()
        self.save_state()
