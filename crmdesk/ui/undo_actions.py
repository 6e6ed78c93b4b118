"""Edit > Undo / Redo of local edits not yet sent, with text saying what they take back.

The actions are window shortcuts; a focused line or text editor still gets Ctrl+Z for its
own text, because Qt offers it the key first (ShortcutOverride) and editors accept Undo.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from crmdesk.ui.tasks import LatestTask


class UndoActions(QObject):
    """Owns the Undo and Redo actions of a window; ``attach(edits)`` enables them."""

    def __init__(self, window: QWidget, menu: QMenu, show_message: Any, show_error: Any) -> None:
        super().__init__(window)
        self.edits: Any = None
        self._show_message = show_message
        self._task = LatestTask(self._failed)
        self._show_error = show_error
        self.undo = QAction("Undo", window)
        self.undo.setObjectName("undoAction")
        self.undo.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        self.undo.triggered.connect(self.trigger_undo)
        self.redo = QAction("Redo", window)
        self.redo.setObjectName("redoAction")
        self.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo.triggered.connect(self.trigger_redo)
        for action in (self.undo, self.redo):
            menu.addAction(action)
            window.addAction(action)
        self.update()

    def attach(self, edits: Any) -> None:
        """Undo the edits of this EditService from now on."""
        self.edits = edits
        self.update()

    def update(self, *_args: object) -> None:
        """Refresh the texts and enabled states (after any change)."""
        edits = self.edits
        busy = self._task.running
        self.undo.setEnabled(edits is not None and edits.can_undo and not busy)
        self.redo.setEnabled(edits is not None and edits.can_redo and not busy)
        self.undo.setText(edits.undo_text() if edits is not None else "Undo")
        self.redo.setText(edits.redo_text() if edits is not None else "Redo")

    def trigger_undo(self) -> None:
        """Take back the last local edit (if any)."""
        if self.edits is not None and self.edits.can_undo and not self._task.running:
            self._task.start(self._run(self.edits.undo_last, "Undone"))
            self.update()

    def trigger_redo(self) -> None:
        """Do the last undone edit again (if any)."""
        if self.edits is not None and self.edits.can_redo and not self._task.running:
            self._task.start(self._run(self.edits.redo_last, "Redone"))
            self.update()

    async def _run(self, step_fn: Any, verb: str) -> None:
        try:
            step = await step_fn(initiator=None)
            if step is not None:
                self._show_message(f"{verb}: {step.description}.")
        finally:
            self._task_done()

    def _task_done(self) -> None:
        # the task is still "running" while its coroutine returns: update once it is done
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, self.update)

    def _failed(self, error: Exception) -> None:
        self._show_error(error)
        self.update()
