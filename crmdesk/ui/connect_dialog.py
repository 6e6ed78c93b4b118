"""The connect dialog: account name, server URL, API key, "test connection", and whether to
remember the key in the system keyring or keep it for this session only.

Never modal-``exec``'d: it is opened with ``open()``/``show()`` and reports through
``connected(account, who)``. The key field is a password field and the key is never shown
or logged.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crmdesk.services.accounts import DEFAULT_BASE_URL
from crmdesk.services.connect_types import WhoAmI
from crmdesk.ui.icons import app_icon
from crmdesk.ui.tasks import LatestTask


class ConnectDialog(QDialog):
    """Adds an account. ``connect`` is a ConnectService (passed in by the app)."""

    connected = Signal(object, object)  # Account, WhoAmI
    #: A test or connect attempt finished (tests wait on it): ok, message.
    checked = Signal(bool, str)

    def __init__(self, connect, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectDialog")
        self.setWindowTitle("Connect to Pipeline CRM")
        self.setWindowIcon(app_icon())
        self.service = connect
        self._task = LatestTask(self._problem)
        title = QLabel("Connect your Pipeline CRM account", self)
        title.setObjectName("connectTitle")
        help_text = QLabel(
            "Your API key is in Pipeline CRM under your profile → API. crmdesk keeps it in "
            "the system keyring, never in a file.",
            self,
        )
        help_text.setObjectName("connectHelp")
        help_text.setWordWrap(True)
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. Work")
        self.base_url = QLineEdit(DEFAULT_BASE_URL, self)
        self.api_key = QLineEdit(self)
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText("paste the key here")
        self.api_key.setInputMethodHints(
            Qt.InputMethodHint.ImhHiddenText | Qt.InputMethodHint.ImhNoPredictiveText
        )
        reveal = QAction("Show", self.api_key)
        reveal.setCheckable(True)
        reveal.setToolTip("Show or hide the key")
        reveal.toggled.connect(
            lambda on: self.api_key.setEchoMode(
                QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
            )
        )
        self.api_key.addAction(reveal, QLineEdit.ActionPosition.TrailingPosition)
        self.remember = QCheckBox("Remember the key in the system keyring", self)
        self.remember.setChecked(True)
        self.keyring_note = QLabel(self)
        self.keyring_note.setObjectName("connectHelp")
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setTextFormat(Qt.TextFormat.PlainText)
        self.keyring_note.hide()
        self.outcome = QLabel(self)
        self.outcome.setObjectName("connectResult")
        self.outcome.setWordWrap(True)
        self.outcome.setTextFormat(Qt.TextFormat.PlainText)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Account name", self.name)
        form.addRow("Server URL", self.base_url)
        form.addRow("API key", self.api_key)
        form.addRow("", self.remember)
        form.addRow("", self.keyring_note)
        self.test_button = QPushButton("Test connection", self)
        self.test_button.clicked.connect(self.test_connection)
        self.buttons = QDialogButtonBox(self)
        self.connect_button = self.buttons.addButton(
            "Connect", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.accepted.connect(self.connect_account)
        self.buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(title)
        box.addWidget(help_text)
        box.addSpacing(6)
        box.addLayout(form)
        box.addWidget(self.outcome)
        box.addStretch(1)
        box.addWidget(self.buttons)
        self.resize(520, 360)
        self._keyring_task = LatestTask(self._problem)

    def start(self) -> None:
        """Show the dialog (non-modal) and look at the keyring."""
        self.show()
        self.name.setFocus()
        self._keyring_task.start(self._check_keyring())

    async def _check_keyring(self) -> None:
        status = await self.service.keyring()
        if not status.usable:
            self.remember.setChecked(False)
            self.remember.setEnabled(False)
            self.keyring_note.setText(
                f"{status.advice} The key will be kept for this session only."
            )
            self.keyring_note.show()

    # -------------------------------------------------------------- actions

    def _busy(self, busy: bool, text: str = "") -> None:
        for widget in (
            self.test_button,
            self.connect_button,
            self.name,
            self.base_url,
            self.api_key,
        ):
            widget.setEnabled(not busy)
        if busy:
            self._show(text, "")

    def _show(self, text: str, state: str) -> None:
        self.outcome.setText(text)
        self.outcome.setProperty("state", state)
        self.outcome.style().unpolish(self.outcome)
        self.outcome.style().polish(self.outcome)

    def _problem(self, error) -> None:
        self._busy(False)
        self._show(str(error), "error")
        self.checked.emit(False, str(error))

    def test_connection(self) -> None:
        """Ask the server who the key belongs to."""
        self._busy(True, "Connecting…")
        self._task.start(self._test())

    async def _test(self) -> None:
        try:
            who: WhoAmI = await self.service.test(self.base_url.text(), self.api_key.text())
        finally:
            self._busy(False)
        text = f"Connected as {who.describe()}."
        self._show(text, "ok")
        self.checked.emit(True, text)

    def connect_account(self) -> None:
        """Check the key, keep it, add the account, then close."""
        self._busy(True, "Connecting…")
        self._task.start(self._connect())

    async def _connect(self) -> None:
        try:
            account, who = await self.service.add(
                self.name.text(),
                self.base_url.text(),
                self.api_key.text(),
                remember=self.remember.isChecked(),
            )
        finally:
            self._busy(False)
        self.api_key.clear()
        text = f"Connected as {who.describe()}."
        self._show(text, "ok")
        self.checked.emit(True, text)
        self.connected.emit(account, who)
        self.accept()

    async def settled(self) -> None:
        """Wait for a test or connect in flight (tests)."""
        await self._keyring_task.wait()
        await self._task.wait()
