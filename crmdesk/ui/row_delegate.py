"""The table's item delegate: one Python call per painted cell instead of seven.

Qt's delegate asks the model for seven roles per cell (text, icon, font, alignment,
colours, check state), each a C++->Python ``data()`` call. This one overrides
``initStyleOption`` and reads the model's formatted row directly: one crossing per cell,
no focus rectangle on the current cell (rows are selected whole), and icon-only columns
(status colour chips) centred.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from crmdesk.ui.table_model import RecordTableModel

_HAS_DISPLAY = QStyleOptionViewItem.ViewItemFeature.HasDisplay
_HAS_DECORATION = QStyleOptionViewItem.ViewItemFeature.HasDecoration
_NO_FOCUS = ~QStyle.StateFlag.State_HasFocus
_CENTRE = Qt.AlignmentFlag.AlignCenter


class RowDelegate(QStyledItemDelegate):
    """Paints the cells of a RecordTableModel from its formatted rows."""

    def __init__(self, model: RecordTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._align = [Qt.AlignmentFlag(value) for value in model.alignments()]
        self._icon_only = [c.icon_only for c in model.columns]

    def initStyleOption(self, option, index) -> None:
        option.index = index
        option.state = option.state & _NO_FOCUS
        option.styleObject = None  # no per-item animations (as Qt's own delegate)
        found = self._model.row_at(index.row())
        if found is None:
            return
        column = index.column()
        icon = self._model.icon_at(found, column)
        if icon is not None:
            option.features = option.features | _HAS_DECORATION
            option.icon = icon
        if self._icon_only[column]:
            option.decorationAlignment = _CENTRE
            return
        text = found.text[column]
        if text:
            option.features = option.features | _HAS_DISPLAY
            option.text = text
            option.displayAlignment = self._align[column]
