"""The column chooser: tick the columns to show, drag them into order."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crmdesk.services.table_types import Column


class ColumnChooser(QDialog):
    """Edits a column layout. Open it with ``open()``; read ``chosen_layout()`` when accepted."""

    def __init__(
        self,
        columns: Sequence[Column],
        layout: Sequence[tuple[str, int | None]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Columns")
        self.setObjectName("columnChooser")
        self._columns = {c.key: c for c in columns if c.key != "sync"}
        self._widths = dict(layout)
        hint = QLabel("Tick the columns to show; drag them to change their order.")
        hint.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self._fill([k for k, _ in layout])
        reset = QPushButton("Reset to default")
        reset.clicked.connect(
            lambda: self._fill([c.key for c in columns if c.visible], reset_widths=True)
        )
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.addButton(reset, QDialogButtonBox.ButtonRole.ResetRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(hint)
        box.addWidget(self.list, 1)
        box.addWidget(buttons)
        self.resize(320, 420)

    def _fill(self, shown: Sequence[str], reset_widths: bool = False) -> None:
        if reset_widths:
            self._widths = {}
        self.list.clear()
        order = [k for k in shown if k in self._columns]
        order += [k for k in self._columns if k not in order]
        for key in order:
            item = QListWidgetItem(self._columns[key].title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsUserCheckable
                | Qt.ItemFlag.ItemIsDragEnabled
            )
            item.setCheckState(Qt.CheckState.Checked if key in shown else Qt.CheckState.Unchecked)
            self.list.addItem(item)

    def set_checked(self, key: str, checked: bool) -> None:
        """Tick or untick a column (tests)."""
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == key:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def move_column(self, key: str, row: int) -> None:
        """Move a column to position ``row`` (tests; people drag)."""
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == key:
                item = self.list.takeItem(i)
                self.list.insertItem(row, item)
                return

    def chosen_layout(self) -> list[tuple[str, int | None]]:
        """The chosen columns in order, with their previous widths where known."""
        chosen = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                key = item.data(Qt.ItemDataRole.UserRole)
                chosen.append((key, self._widths.get(key)))
        return chosen
