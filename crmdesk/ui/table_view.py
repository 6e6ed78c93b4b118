"""The table widget: fixed row height, movable/hideable columns, select-all in one range.

Two measured traps are avoided here. Rows have a fixed height (sizing rows to contents asks
the model for every row). The horizontal header gets a selection model of its own: sharing
the view's made Qt ask ``isColumnSelected`` after every selection change, which walks every
row of the model (8 million Python calls, 20 s, for "select all" at a million rows).
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHeaderView,
    QMenu,
    QTableView,
    QWidget,
)

from crmdesk.ui.icons import ICON_SIZE
from crmdesk.ui.row_delegate import RowDelegate
from crmdesk.ui.style import table_palette
from crmdesk.ui.table_model import RecordTableModel


class RecordTableView(QTableView):
    """A table of records; ``open_requested(row)`` fires on Enter or a double click."""

    open_requested = Signal(int)
    #: The header's context menu asked for the column chooser.
    columns_requested = Signal()
    #: Columns were shown, hidden, moved or resized (save the layout).
    layout_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordTable")
        self.setPalette(table_palette(QApplication.palette()))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setShowGrid(False)
        self.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        self.setAlternatingRowColors(True)
        self.setCornerButtonEnabled(False)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        rows.setMinimumSectionSize(rows.defaultSectionSize())
        header = self.horizontalHeader()
        header.setSectionsMovable(True)
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(24)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        header.sortIndicatorChanged.connect(self._sort_clicked)
        self._sort = (-1, Qt.SortOrder.AscendingOrder)
        header.sectionMoved.connect(lambda *_: self.layout_changed.emit())
        header.sectionResized.connect(lambda *_: self.layout_changed.emit())
        self.doubleClicked.connect(lambda index: self.open_requested.emit(index.row()))
        self._header_selection: QItemSelectionModel | None = None
        select_all = QAction("Select all", self)
        select_all.setShortcut(QKeySequence.StandardKey.SelectAll)
        select_all.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        select_all.triggered.connect(self.select_all_rows)
        self.addAction(select_all)

    def record_model(self) -> RecordTableModel:
        """The model shown (always a RecordTableModel)."""
        model = self.model()
        assert isinstance(model, RecordTableModel)
        return model

    def setModel(self, model) -> None:
        super().setModel(model)
        if isinstance(model, RecordTableModel):
            self._delegate = RowDelegate(model, self)
            self._delegate.alternate = self.alternatingRowColors()
            self.setItemDelegate(self._delegate)
            self.selectionModel().currentRowChanged.connect(self._current_row_changed)
        # See the module docstring: the header must not share the view's selection.
        self._header_selection = QItemSelectionModel(model, self)
        self.horizontalHeader().setSelectionModel(self._header_selection)
        sync = model.column_of("sync") if isinstance(model, RecordTableModel) else -1
        if sync >= 0:
            self.horizontalHeader().setSectionResizeMode(sync, QHeaderView.ResizeMode.Fixed)

    def _current_row_changed(self, current, _previous) -> None:
        self._delegate.current_row = current.row() if current.isValid() else -1

    # -------------------------------------------------------------- sorting

    def show_sort(self, key: str, descending: bool) -> None:
        """Put the sort indicator on column ``key`` (without asking for a sort)."""
        column = self.record_model().column_of(key)
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        self._sort = (column, order)
        header = self.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(column, order)
        header.blockSignals(False)

    def _sort_clicked(self, logical: int, order: Qt.SortOrder) -> None:
        model = self.record_model()
        if 0 <= logical < len(model.columns) and model.columns[logical].sortable:
            self._sort = (logical, order)
            model.sort(logical, order)
            return
        # no index behind this column: put the indicator back where the order really is
        header = self.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(*self._sort)
        header.blockSignals(False)

    # -------------------------------------------------------------- selection

    def select_all_rows(self) -> None:
        """Select every row as one range (O(1), whatever the row count)."""
        model = self.model()
        if model is None or model.rowCount() == 0:
            return
        last_column = model.columnCount() - 1
        selection = QItemSelection(
            model.index(0, 0), model.index(model.rowCount() - 1, last_column)
        )
        self.selectionModel().select(
            selection,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

    def selectAll(self) -> None:
        self.select_all_rows()

    def selected_ranges(self) -> list[tuple[int, int]]:
        """Selected rows as sorted, merged (first, last) ranges; cheap at any size."""
        selection = self.selectionModel().selection()
        spans = sorted((r.top(), r.bottom()) for r in selection.toList())
        merged: list[tuple[int, int]] = []
        for top, bottom in spans:
            if merged and top <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(bottom, merged[-1][1]))
            else:
                merged.append((top, bottom))
        return merged

    def selected_count(self) -> int:
        """How many rows are selected."""
        return sum(bottom - top + 1 for top, bottom in self.selected_ranges())

    def select_row(self, row: int) -> None:
        """Make ``row`` the current, only selected row and scroll it into view."""
        model = self.model()
        if model is None or not 0 <= row < model.rowCount():
            return
        index = model.index(row, max(0, self.horizontalHeader().logicalIndexAt(0)))
        self.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)

    def current_row(self) -> int:
        """Row of the current index (-1 when none)."""
        index = self.currentIndex()
        return index.row() if index.isValid() else -1

    # -------------------------------------------------------------- columns

    def column_layout(self) -> list[tuple[str, int]]:
        """Visible columns in visual order as (key, width)."""
        model = self.record_model()
        header = self.horizontalHeader()
        layout = []
        for visual in range(header.count()):
            logical = header.logicalIndex(visual)
            if not header.isSectionHidden(logical):
                layout.append((model.columns[logical].key, header.sectionSize(logical)))
        return layout

    def apply_column_layout(self, layout: list[tuple[str, int | None]]) -> None:
        """Show exactly ``layout``'s columns, in its order, with its widths (None keeps the
        current or default width). Unknown keys are ignored; the sync marker stays first."""
        model = self.record_model()
        header = self.horizontalHeader()
        wanted = [(k, w) for k, w in layout if model.column_of(k) >= 0]
        if not wanted:
            return
        keys = [k for k, _ in wanted]
        if "sync" in [c.key for c in model.columns] and "sync" not in keys:
            wanted.insert(0, ("sync", None))
        header.blockSignals(True)
        try:
            for visual, (key, width) in enumerate(wanted):
                logical = model.column_of(key)
                header.showSection(logical)
                header.moveSection(header.visualIndex(logical), visual)
                column = model.columns[logical]
                header.resizeSection(logical, width if width else column.width)
            shown = {k for k, _ in wanted}
            for logical, column in enumerate(model.columns):
                if column.key not in shown:
                    header.hideSection(logical)
        finally:
            header.blockSignals(False)
        header.viewport().update()
        self.layout_changed.emit()

    def default_layout(self) -> list[tuple[str, int | None]]:
        """The table's default columns."""
        return [(c.key, c.width) for c in self.record_model().columns if c.visible]

    def _header_menu(self, pos) -> None:
        model = self.record_model()
        header = self.horizontalHeader()
        menu = QMenu(self)
        for logical, column in enumerate(model.columns):
            if column.key == "sync":
                continue
            action = menu.addAction(column.title)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(logical))
            action.toggled.connect(lambda on, lg=logical: self._toggle_column(lg, on))
        menu.addSeparator()
        menu.addAction("Choose columns…", self.columns_requested.emit)
        menu.addAction("Reset columns", lambda: self.apply_column_layout(self.default_layout()))
        menu.popup(header.mapToGlobal(pos))

    def _toggle_column(self, logical: int, shown: bool) -> None:
        header = self.horizontalHeader()
        visible = sum(not header.isSectionHidden(i) for i in range(header.count()))
        if not shown and visible <= 2:
            return  # keep at least one real column besides the sync marker
        header.setSectionHidden(logical, not shown)
        self.layout_changed.emit()

    # -------------------------------------------------------------- keyboard

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.current_row() >= 0:
            self.open_requested.emit(self.current_row())
            event.accept()
            return
        super().keyPressEvent(event)
