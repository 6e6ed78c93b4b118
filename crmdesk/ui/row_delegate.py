"""The table's item delegate: one Python call per painted cell instead of seven.

Qt's delegate asks the model for seven roles per cell (text, icon, font, alignment,
colours, check state), each a C++->Python ``data()`` call. This one overrides
``initStyleOption`` and reads the model's formatted row directly: one crossing per cell,
no focus rectangle on the current cell (rows are selected whole), and icon-only columns
(status colour chips) centred.

PySide6 flag arithmetic runs through Python's ``enum`` machinery (about a microsecond per
operation), so the feature sets are precomputed and the focus flag is only touched on the
current row.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from crmdesk.ui.table_model import RecordTableModel

_F = QStyleOptionViewItem.ViewItemFeature
# [has icon][alternate row] for cells with text, and the same for icon-only cells
_WITH_TEXT = (
    (_F.HasDisplay, _F.HasDisplay | _F.Alternate),
    (_F.HasDisplay | _F.HasDecoration, _F.HasDisplay | _F.HasDecoration | _F.Alternate),
)
_ICON_ONLY = (_F.HasDecoration, _F.HasDecoration | _F.Alternate)
_PLAIN = (_F.None_, _F.Alternate)
_NO_FOCUS = ~QStyle.StateFlag.State_HasFocus
_CENTRE = Qt.AlignmentFlag.AlignCenter


class RowDelegate(QStyledItemDelegate):
    """Paints the cells of a RecordTableModel from its formatted rows."""

    def __init__(self, model: RecordTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._align = [Qt.AlignmentFlag(value) for value in model.alignments()]
        self._icon_only = [c.icon_only for c in model.columns]
        self.current_row = -1  # the view keeps it up to date (the focus frame is drawn there)
        self.alternate = True  # the view's alternatingRowColors

    def initStyleOption(self, option, index) -> None:
        option.index = index
        option.styleObject = None  # no per-item animations (as Qt's own delegate)
        row = index.row()
        if row == self.current_row:
            option.state = option.state & _NO_FOCUS
        found = self._model.row_at(row)
        odd = 1 if self.alternate and row & 1 else 0
        if found is None:
            option.features = _PLAIN[odd]
            return
        column = index.column()
        icon = self._model.icon_at(found, column)
        if icon is not None:
            option.icon = icon
        if self._icon_only[column]:
            option.features = _ICON_ONLY[odd] if icon is not None else _PLAIN[odd]
            option.decorationAlignment = _CENTRE
            return
        text = found.text[column]
        if text:
            option.features = _WITH_TEXT[icon is not None][odd]
            option.text = text
            option.displayAlignment = self._align[column]
        else:
            option.features = _ICON_ONLY[odd] if icon is not None else _PLAIN[odd]
