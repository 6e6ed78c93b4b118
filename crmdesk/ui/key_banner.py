"""Offline-first reassurance in the window: a banner while sync is paused because the API
key was refused, and the question before closing with changes still waiting.

Both are non-blocking: the banner is a strip above the pages, and the close question is a
window-modal box opened with ``open()`` (tests answer it through ``CloseGuard.ask``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crmdesk.domain.sync_status import Connection, SyncStatus

_BANNER_STYLE = """
#keyBanner { background: #fff4d6; border-bottom: 1px solid #e5c46b; }
#keyBanner QLabel { color: #4a3b08; }
"""


class KeyBanner(QFrame):
    """ "Sync is paused: the key was refused ... [Enter API key…]"; shown while paused."""

    def __init__(self, ask_key: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("keyBanner")
        self.setStyleSheet(_BANNER_STYLE)
        self.text = QLabel(self)
        self.text.setObjectName("keyBannerText")
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setWordWrap(True)
        self.button = QPushButton("Enter API key…", self)
        self.button.setObjectName("keyBannerButton")
        self.button.clicked.connect(lambda _=False: ask_key())
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 12, 6)
        row.addWidget(self.text, 1)
        row.addWidget(self.button)
        self.hide()

    def show_status(self, status: SyncStatus) -> None:
        """Show while the key is refused, hide as soon as sync runs again."""
        if status.connection is not Connection.PAUSED:
            self.hide()
            return
        waiting = status.pending + status.needs_attention
        queued = (
            f"Your {waiting} queued change{'s' if waiting != 1 else ''} stay"
            f"{'s' if waiting == 1 else ''} saved on this computer"
            if waiting
            else "Changes you make are saved on this computer"
        )
        self.text.setText(
            "Syncing is paused: the server refused the API key. "
            f"{queued} - nothing is dropped. Enter the current key to send them."
        )
        self.show()


def install_banner(window: QMainWindow, banner: QWidget) -> None:
    """Put ``banner`` above the window's central widget (which keeps all it had)."""
    central = window.takeCentralWidget()
    holder = QWidget(window)
    holder.setObjectName("centralHolder")
    column = QVBoxLayout(holder)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(0)
    column.addWidget(banner)
    if central is not None:
        column.addWidget(central, 1)
    window.setCentralWidget(holder)


Answer = Callable[[bool], None]


class CloseGuard:
    """Asks before a window with queued changes closes. ``ask(count, answer)`` shows the
    question; replace it in tests. ``allow()`` is True when the window may close now."""

    def __init__(self, window: QMainWindow, edits: Any) -> None:
        self._window = window
        self._edits = edits
        self.confirmed = False
        self.box: QMessageBox | None = None
        self.ask: Callable[[int, Answer], None] = self._ask_with_box

    def waiting(self) -> int:
        """How many changes are queued (0 if that cannot be read)."""
        try:
            return int(self._edits.counts().total)
        except Exception:  # a store closing under us must not keep the window open
            return 0

    def allow(self) -> bool:
        """True to close now; otherwise the question is asked (and False returned)."""
        if self.confirmed:
            return True
        count = self.waiting()
        if count == 0:
            return True
        self.ask(count, self._answered)
        return False

    def _answered(self, close: bool) -> None:
        if close:
            self.confirmed = True
            # not from inside the refused closeEvent that may have asked
            QTimer.singleShot(0, self._window.close)

    @staticmethod
    def text(count: int) -> str:
        """The question's text."""
        changes = f"{count} change{'s are' if count != 1 else ' is'}"
        return (
            f"{changes} waiting to be sent to the server.\n\n"
            f"{'They are' if count != 1 else 'It is'} saved on this computer and will be sent "
            "the next time you open crmdesk and the server can be reached."
        )

    def _ask_with_box(self, count: int, answer: Answer) -> None:
        if self.box is not None:
            self.box.raise_()
            return
        box = QMessageBox(self._window)
        box.setObjectName("pendingCloseBox")
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle("Changes waiting")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(self.text(count))
        close = box.addButton("Close anyway", QMessageBox.ButtonRole.AcceptRole)
        close.setObjectName("closeAnyway")
        keep = box.addButton("Keep open", QMessageBox.ButtonRole.RejectRole)
        keep.setObjectName("keepOpen")
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)

        def finished(_result: int) -> None:
            self.box = None
            box.deleteLater()
            answer(box.clickedButton() is close)

        box.finished.connect(finished)
        self.box = box
        box.open()
