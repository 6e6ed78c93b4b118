"""Asking for a new API key when the server refused the old one (sync is paused)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from crmdesk.ui.tasks import LatestTask

SetKey = Callable[[str, bool], Coroutine[Any, Any, None]]


class KeyDialog(QDialog):
    """Enter a new API key for the open account; ``done_ok`` after it was accepted."""

    done_ok = Signal()

    def __init__(self, set_key: SetKey, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("API key")
        self._set_key = set_key
        text = QLabel(
            "The server no longer accepts the API key of this account, so syncing is paused "
            "(your changes stay queued here). Paste the current key from Pipeline CRM.",
            self,
        )
        text.setWordWrap(True)
        self.key = QLineEdit(self)
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = QCheckBox("Remember the key in the system keyring", self)
        self.remember.setChecked(True)
        self.message = QLabel(self)
        self.message.setObjectName("connectResult")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        self._buttons = buttons
        box = QVBoxLayout(self)
        for widget in (text, self.key, self.remember, self.message, buttons):
            box.addWidget(widget)
        self._task = LatestTask(self._failed)
        self.resize(460, 220)

    def _failed(self, error) -> None:
        self._buttons.setEnabled(True)
        self.message.setProperty("state", "error")
        self.message.setText(str(error))
        self.message.style().polish(self.message)

    def _submit(self) -> None:
        self._buttons.setEnabled(False)
        self.message.setText("Checking the key…")
        self._task.start(self._apply(self.key.text(), self.remember.isChecked()))

    async def _apply(self, key: str, remember: bool) -> None:
        await self._set_key(key, remember)
        self.key.clear()
        self.done_ok.emit()
        self.accept()
