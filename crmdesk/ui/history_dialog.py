"""A record's lost values (the losing side of a conflict, a discarded change) with Restore.

Restoring brings the value back as a new local edit, queued like any other (EditService
``restore``). Non-modal: ``open()``, never ``exec()``.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import CrmError
from crmdesk.ui.detail_pane import plain_label
from crmdesk.ui.tasks import LatestTask

COLUMNS = ("Field", "Value", "Why it was kept", "When", "")


class HistoryDialog(QDialog):
    """The lost values of one record; ``restored(label, value)`` after a Restore."""

    restored = Signal(str, str)

    def __init__(self, edits, views, entity: Entity, record_id: int, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("historyDialog")
        self.edits = edits
        self.views = views
        self.entity = entity
        self.record_id = record_id
        self._task = LatestTask(self._failed)
        self.setWindowTitle("History")
        self.intro = plain_label("", "historyIntro")
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("historyTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.message = plain_label("", "dialogMessage")
        self.message.hide()
        close = QPushButton("Close", self)
        close.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(close)
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 16, 18, 14)
        box.addWidget(self.intro)
        box.addWidget(self.table, 1)
        box.addWidget(self.message)
        box.addLayout(row)
        self.buttons: dict[int, QPushButton] = {}
        self.reload()
        self.resize(720, 360)

    def reload(self) -> None:
        """Read the record's lost values again."""
        self.values = self.views.lost_values(self.entity, self.record_id)
        noun = self.entity.label.lower()
        self.intro.setText(
            f"Values of this {noun} that lost to another (a conflict you resolved, a change "
            "you discarded). Restore brings one back as a new change, sent with the next sync."
            if self.values
            else f"This {noun} has no lost values."
        )
        self.table.setRowCount(len(self.values))
        self.buttons = {}
        for row, value in enumerate(self.values):
            for column, text in enumerate((value.label, value.value, value.reason, value.when)):
                item = QTableWidgetItem(text)  # items are plain text
                item.setToolTip(text)
                self.table.setItem(row, column, item)
            button = QPushButton("Restored" if value.restored else "Restore", self.table)
            button.setObjectName(f"restore_{value.history_id}")
            button.setToolTip(f"Set {value.label} to {value.value} again")
            button.clicked.connect(lambda _=False, v=value: self.restore(v.history_id))
            self.table.setCellWidget(row, len(COLUMNS) - 1, button)
            self.buttons[value.history_id] = button
        self.table.resizeRowsToContents()

    def refresh(self) -> None:
        """The record changed: list its lost values again (not while restoring)."""
        if not self._task.running:
            self.reload()

    def restore(self, history_id: int) -> None:
        """Restore one lost value (a new local edit)."""
        value = next(v for v in self.values if v.history_id == history_id)
        for button in self.buttons.values():
            button.setEnabled(False)
        self._task.start(self._restore(value))

    async def _restore(self, value) -> None:
        await self.edits.restore(value.history_id, initiator=self)
        self.reload()
        self.message.setProperty("state", "")
        self.message.setText(
            f"{value.label} is {value.value} again; it goes out with the next sync."
        )
        self.message.show()
        self.restored.emit(value.label, value.value)

    def _failed(self, error: CrmError) -> None:
        self.reload()
        self.message.setProperty("state", "error")
        self.message.setText(f"The value could not be restored: {error}")
        self.message.show()
