"""The status bar: connection state, sync progress, last sync, pending changes, row count."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from crmdesk.domain.sync_status import Connection, SyncStatus

_STATES = {
    Connection.IDLE: ("Online", "online"),
    Connection.SYNCING: ("Syncing", "syncing"),
    Connection.OFFLINE: ("Offline", "offline"),
    Connection.PAUSED: ("Sync paused: the API key was refused", "paused"),
}


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """ "just now", "5 min ago", "3 h ago", or the date."""
    if when is None:
        return "never"
    now = now or datetime.now(when.tzinfo)
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def _chip(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class StatusBar(QStatusBar):
    """Shows a ``SyncStatus`` and the current table's row count."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.setSizeGripEnabled(True)
        self.connection = _chip("connectionChip")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("syncProgress")
        self.progress.setFixedWidth(140)
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.phase = _chip("syncPhase")
        self.last_sync = _chip("lastSync")
        self.pending = _chip("pendingChip")
        self.rows = _chip("rowCount")
        self.addWidget(self.connection)
        self.addWidget(self.progress)
        self.addWidget(self.phase)
        self.addPermanentWidget(self.rows)
        self.addPermanentWidget(self.pending)
        self.addPermanentWidget(self.last_sync)
        self.status: SyncStatus | None = None
        self._ticker = QTimer(self, interval=30_000)
        self._ticker.timeout.connect(self._show_last_sync)
        self._ticker.start()
        self.show_local_only()

    def show_local_only(self) -> None:
        """No sync engine: the data shown is what the local database has."""
        self.status = None
        self.connection.setText("Local data")
        self.connection.setProperty("state", "local")
        self._repolish(self.connection)
        self.progress.hide()
        self.phase.clear()
        self.pending.clear()
        self.last_sync.clear()

    def show_status(self, status: SyncStatus) -> None:
        """Show the sync engine's state."""
        self.status = status
        text, state = _STATES.get(status.connection, ("", ""))
        self.connection.setText(text)
        self.connection.setProperty("state", state)
        self._repolish(self.connection)
        syncing = status.connection is Connection.SYNCING
        self.progress.setVisible(syncing)
        if syncing:
            if status.progress is None:
                self.progress.setRange(0, 0)  # busy indicator
            else:
                self.progress.setRange(0, 1000)
                self.progress.setValue(int(status.progress * 1000))
        phase = status.phase if syncing else ""
        if status.last_error and status.connection in (Connection.OFFLINE, Connection.PAUSED):
            phase = status.last_error
        self.phase.setText(phase)
        parts = []
        if status.pending:
            parts.append(f"{status.pending:,} change{'s' if status.pending != 1 else ''} waiting")
        if status.conflicts:
            parts.append(f"{status.conflicts} conflict{'s' if status.conflicts != 1 else ''}")
        if status.needs_attention:
            parts.append(f"{status.needs_attention} refused")
        self.pending.setText(" · ".join(parts))
        self.pending.setProperty(
            "state", "attention" if status.conflicts or status.needs_attention else ""
        )
        self._repolish(self.pending)
        self._show_last_sync()

    def _show_last_sync(self) -> None:
        if self.status is None:
            return
        self.last_sync.setText(f"Last sync: {ago(self.status.last_sync)}")

    def show_rows(self, text: str) -> None:
        """The current table's row count text."""
        self.rows.setText(text)

    @staticmethod
    def _repolish(widget: QWidget) -> None:
        widget.style().unpolish(widget)
        widget.style().polish(widget)
