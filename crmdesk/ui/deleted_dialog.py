"""A record deleted on the server while I had changes to it: recreate it as a new record
with my values, or discard my changes (with Undo). Non-modal: ``open()``, never ``exec()``.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QVBoxLayout

from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import CrmError
from crmdesk.ui.detail_pane import plain_label
from crmdesk.ui.tasks import LatestTask


class DeletedDialog(QDialog):
    """Recreate or discard; ``recreated(entity, new_id)``, ``discarded(count)``,
    ``restored()`` after Undo."""

    recreated = Signal(object, int)
    discarded = Signal(int)
    restored = Signal()

    def __init__(self, edits, views, entity: Entity, record_id: int, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("deletedDialog")
        self.edits = edits
        self.entity = entity
        self.record_id = record_id
        self.tokens: list[int] = []
        self._task = LatestTask(self._failed)
        view = views.deleted(entity, record_id)
        self.view = view
        noun = entity.label.lower()
        self.setWindowTitle(f"Deleted on the server - {view.title}")
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 16, 18, 14)
        box.setSpacing(8)
        box.addWidget(plain_label(view.title, "dialogTitle"))
        if view.changes:
            intro = (
                f"Someone deleted this {noun} on the server while you had changes to it "
                "here. Your changes:"
            )
        else:
            intro = f"This {noun} was deleted on the server; no change of yours waits for it."
        box.addWidget(plain_label(intro, "conflictIntro"))
        for change in view.changes:
            box.addWidget(plain_label(f"{change.label}: {change.value}", "mergedField"))
        box.addWidget(
            plain_label(
                f"Recreate it as a new {noun} with its values here (the server gives it a new "
                "id), or discard your changes; the local copy then goes too.",
                "conflictNote",
            )
        )
        self.message = plain_label("", "dialogMessage")
        self.message.hide()
        box.addWidget(self.message)
        row = QHBoxLayout()
        self.recreate_button = QPushButton("Recreate as a new record", self)
        self.recreate_button.setObjectName("recreateButton")
        self.recreate_button.clicked.connect(self.recreate)
        self.discard_button = QPushButton("Discard my changes", self)
        self.discard_button.setObjectName("discardButton")
        self.discard_button.setEnabled(bool(view.op_ids))
        self.discard_button.clicked.connect(self.discard)
        self.undo_button = QPushButton("Undo", self)
        self.undo_button.setObjectName("undoButton")
        self.undo_button.hide()
        self.undo_button.clicked.connect(self.undo)
        self.close_button = QPushButton("Cancel", self)
        self.close_button.clicked.connect(self.reject)
        row.addWidget(self.recreate_button)
        row.addWidget(self.discard_button)
        row.addWidget(self.undo_button)
        row.addStretch(1)
        row.addWidget(self.close_button)
        box.addLayout(row)
        self.resize(560, max(self.sizeHint().height(), 180))

    def _busy(self, busy: bool) -> None:
        for button in (self.recreate_button, self.discard_button, self.undo_button):
            button.setEnabled(not busy)

    def recreate(self) -> None:
        """Queue the record as a new create with its current values."""
        self._busy(True)
        self._task.start(self._recreate())

    async def _recreate(self) -> None:
        new_id = await self.edits.recreate(self.entity, self.record_id, initiator=self)
        self.recreated.emit(self.entity, new_id)
        self.accept()

    def discard(self) -> None:
        """Drop my queued changes of the record (Undo stays offered)."""
        self._busy(True)
        self._task.start(self._discard())

    async def _discard(self) -> None:
        # newest first, so that undoing in reverse puts them back in queue order
        for op_id in reversed(self.view.op_ids):
            queued = {e.op_id for e in self.edits.outbox(self.entity, self.record_id)}
            if op_id in queued:  # discarding a create also takes the changes after it
                self.tokens.append(await self.edits.discard(op_id, initiator=self))
        self.message.setProperty("state", "")
        self.message.setText("Your changes were discarded. Undo brings them back.")
        self.message.show()
        self.recreate_button.hide()
        self.discard_button.hide()
        self.undo_button.show()
        self.undo_button.setEnabled(True)
        self.close_button.setText("Close")
        self.discarded.emit(len(self.tokens))

    def undo(self) -> None:
        """Bring the discarded changes back."""
        self._busy(True)
        self._task.start(self._undo())

    async def _undo(self) -> None:
        while self.tokens:
            await self.edits.undo(self.tokens[-1], initiator=self)
            self.tokens.pop()
        self.restored.emit()
        self.accept()

    def _failed(self, error: CrmError) -> None:
        self._busy(False)
        self.message.setProperty("state", "error")
        self.message.setText(str(error))
        self.message.show()
