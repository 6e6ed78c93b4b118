"""The deals/people/companies table model: the true row count, rows from a bounded cache of
formatted blocks, and nothing else.

``data()`` is on the hot path of every repaint (about seven calls per visible cell): it
compares the role as a plain int first, answers from the block the previous call used
when it can, and never queries anything. A cache miss fetches one block of ``BLOCK`` raw
rows through the browse service (an indexed read, under a millisecond); a row is
formatted the first time a cell of it is asked for, so a jump formats only what shows.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from crmdesk.domain.errors import CrmError
from crmdesk.domain.sync_status import RecordSync
from crmdesk.services.table_types import Align, Column, DisplayRow
from crmdesk.ui.icons import SYNC_MARKERS, dot_icon, sync_icon

log = logging.getLogger(__name__)

BLOCK_SHIFT = 5
BLOCK = 1 << BLOCK_SHIFT  # 32 rows per block: about one screen
BLOCK_MASK = BLOCK - 1
MAX_BLOCKS = 192  # ~6,000 rows cached: many screens of scroll-back, bounded memory

# Roles as plain ints: PySide6 passes ints, and an int compare is far cheaper than enum
# arithmetic on every call.
DISPLAY = 0
DECORATION = 1
TOOLTIP = 3
ALIGNMENT = 7
ID_ROLE = 256  # Qt.UserRole: the record id of the row
SYNC_ROLE = 257  # the row's RecordSync

_ALIGN = {
    Align.LEFT: int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
    Align.RIGHT: int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
    Align.CENTER: int(Qt.AlignmentFlag.AlignCenter),
}

#: fetch(source, offset, limit) -> rows: DisplayRows, or raw rows that ``format_row`` turns
#: into DisplayRows on first use; None for a row deleted since.
Fetch = Callable[[object, int, int], Sequence[Any]]
FormatRow = Callable[[Any], DisplayRow]

_EMPTY_BLOCK: list[Any] = [None] * BLOCK
_DECORATED = frozenset({"sync", "stage", "status", "lead_status"})


class RecordTableModel(QAbstractTableModel):
    """Rows of one table view. ``fetch(source, offset, limit)`` returns formatted rows."""

    #: A header click asked for a new order: (column key, descending).
    sort_requested = Signal(str, bool)

    def __init__(
        self,
        columns: Sequence[Column],
        fetch: Fetch,
        format_row: FormatRow | None = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.columns = tuple(columns)
        self._fetch = fetch
        self._format = format_row
        self._source: object | None = None
        self._count = 0
        self._ncols = len(self.columns)
        self._blocks: OrderedDict[int, list[Any]] = OrderedDict()
        self._hot_no = -1
        self._hot: list[Any] = _EMPTY_BLOCK
        self._align = [_ALIGN[c.align] for c in self.columns]
        self._sync_col = next((i for i, c in enumerate(self.columns) if c.key == "sync"), -1)
        # columns that can carry an icon: the sync marker and the colour swatches
        self._decorated = [c.key in _DECORATED for c in self.columns]
        self._icon_only = [c.icon_only for c in self.columns]
        self._any_icon_only = any(self._icon_only)
        self.fetches = 0  # block fetches so far (benchmarks and tests read it)
        self.vanished = 0  # rows the last refresh_ids found gone

    # -------------------------------------------------------------- source

    @property
    def source(self) -> object | None:
        """The row source shown (a ``RowSource`` of the browse service)."""
        return self._source

    def set_source(self, source: object, count: int) -> None:
        """Show a new set of rows (a new filter or order): the view starts over."""
        self.beginResetModel()
        self._source = source
        self._count = count
        self._drop_cache()
        self.endResetModel()

    def replace_source(self, source: object, count: int) -> None:
        """Show fresher rows of the same view, keeping the view's scroll position and
        selection: rows are added or removed at the end, then everything is re-read."""
        if count > self._count:
            self.beginInsertRows(QModelIndex(), self._count, count - 1)
            self._source, self._count = source, count
            self._drop_cache()
            self.endInsertRows()
        elif count < self._count:
            self.beginRemoveRows(QModelIndex(), count, self._count - 1)
            self._source, self._count = source, count
            self._drop_cache()
            self.endRemoveRows()
        else:
            self._source = source
            self._drop_cache()
        if self._count:
            self.dataChanged.emit(self.index(0, 0), self.index(self._count - 1, self._ncols - 1))

    def refresh_ids(self, ids: Iterable[int]) -> int:
        """Re-read the cached rows of these records (they changed); returns how many rows
        were refreshed. Rows not in the cache are read fresh when they are next shown.

        ``vanished`` counts the refreshed rows that came back empty (deleted, or a local id
        the server replaced): the view's rows are stale then, even if its count is not."""
        wanted = set(ids)
        self.vanished = 0
        if not wanted or self._source is None:
            return 0
        refreshed = 0
        for number, block in list(self._blocks.items()):
            hits = [
                i
                for i in range(BLOCK)
                if (row := self._formatted(block, i)) is not None and row.id in wanted
            ]
            if not hits:
                continue
            fresh = self._load(number)
            self.vanished += sum(1 for i in hits if fresh[i] is None)
            self._blocks[number] = fresh
            if number == self._hot_no:
                self._hot = fresh
            first = number * BLOCK
            self.dataChanged.emit(
                self.index(first + min(hits), 0), self.index(first + max(hits), self._ncols - 1)
            )
            refreshed += len(hits)
        return refreshed

    def _drop_cache(self) -> None:
        self._blocks.clear()
        self._hot_no = -1
        self._hot = _EMPTY_BLOCK

    def _formatted(self, block: list[Any], at: int) -> DisplayRow | None:
        found = block[at]
        if found is None or found.__class__ is DisplayRow:
            return found
        assert self._format is not None
        formatted = block[at] = self._format(found)
        return formatted

    def _load(self, number: int) -> list[Any]:
        self.fetches += 1
        try:
            rows = list(self._fetch(self._source, number * BLOCK, BLOCK))
        except CrmError as error:
            log.warning("Reading rows %d.. failed: %s", number * BLOCK, error)
            rows = []
        if len(rows) < BLOCK:
            rows.extend([None] * (BLOCK - len(rows)))
        return rows

    def _block(self, number: int) -> list[Any]:
        if number < 0:  # an invalid index (row -1)
            return _EMPTY_BLOCK
        block = self._blocks.get(number)
        if block is None:
            block = self._load(number)
            self._blocks[number] = block
            if len(self._blocks) > MAX_BLOCKS:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(number)
        self._hot_no = number
        self._hot = block
        return block

    def row_at(self, row: int) -> DisplayRow | None:
        """The display row at ``row`` (fetching its block if needed)."""
        if not 0 <= row < self._count:
            return None
        number = row >> BLOCK_SHIFT
        block = self._hot if number == self._hot_no else self._block(number)
        return self._formatted(block, row & BLOCK_MASK)

    def id_at(self, row: int) -> int | None:
        """The record id at ``row``."""
        found = self.row_at(row)
        return None if found is None else found.id

    def icon_at(self, found: DisplayRow, column: int):
        """The icon of a cell: the sync marker, a colour chip, or None."""
        if not self._decorated[column]:
            return None
        if column == self._sync_col:
            return sync_icon(found.sync)
        for at, colour in found.swatches:
            if at == column:
                return dot_icon(colour)
        return None

    def alignments(self) -> list[int]:
        """Each column's text alignment (Qt alignment flags as ints)."""
        return list(self._align)

    def cached_rows(self) -> int:
        """Rows held in the cache now (bounded by MAX_BLOCKS * BLOCK)."""
        return len(self._blocks) * BLOCK

    def column_of(self, key: str) -> int:
        """Model column of a column key (-1 if absent)."""
        for i, column in enumerate(self.columns):
            if column.key == key:
                return i
        return -1

    # -------------------------------------------------------------- Qt overrides

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._ncols

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0):
        if role == DISPLAY:
            row = index.row()
            number = row >> BLOCK_SHIFT
            block = self._hot if number == self._hot_no else self._block(number)
            found = block[row & BLOCK_MASK]
            if found.__class__ is not DisplayRow:
                if found is None:
                    return None
                found = self._formatted(block, row & BLOCK_MASK)
            column = index.column()
            if self._any_icon_only and self._icon_only[column]:
                return None
            return found.text[column]
        if role == DECORATION:
            column = index.column()
            if column < 0 or not self._decorated[column]:
                return None
            found = self.row_at(index.row())
            return None if found is None else self.icon_at(found, column)
        if role == ALIGNMENT:
            column = index.column()
            return None if column < 0 else self._align[column]
        if role == TOOLTIP:
            column = index.column()
            if column < 0 or (column != self._sync_col and not self._icon_only[column]):
                return None
            found = self.row_at(index.row())
            if found is None:
                return None
            if column != self._sync_col:
                return found.text[column] or None
            marker = SYNC_MARKERS.get(found.sync)
            return None if marker is None else marker[1]
        if role == ID_ROLE:
            found = self.row_at(index.row())
            return None if found is None else found.id
        if role == SYNC_ROLE:
            found = self.row_at(index.row())
            return None if found is None else found.sync.value
        return None

    def headerData(self, section: int, orientation, role: int = 0):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self._ncols:
            return None
        column = self.columns[section]
        if role == DISPLAY:
            return column.title
        if role == TOOLTIP:
            return column.tooltip or column.title or None
        if role == ALIGNMENT:
            return self._align[section]
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < self._ncols and self.columns[column].sortable:
            self.sort_requested.emit(
                self.columns[column].key, order == Qt.SortOrder.DescendingOrder
            )


def sync_text(state: RecordSync) -> str:
    """What a sync marker means, in words ("" for synced)."""
    marker = SYNC_MARKERS.get(state)
    return "" if marker is None else marker[1]
