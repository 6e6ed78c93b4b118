"""The Pending Changes panel: every change waiting to be sent, in words, with what can be
done about it (Retry now, Edit, Discard - with Undo -, Open record, Resolve…).

The rows come from the queue view service (``workspace.queue``); the panel reloads them
when records or the sync status change while it is shown. The window's optional editor
and conflict dialogs (``edit_record``, ``resolve_conflict``, ``resolve_deleted``) are used
when the window has them; otherwise the record is opened and the status bar says why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from crmdesk.domain.errors import CrmError
from crmdesk.domain.outbox import OpState
from crmdesk.services.queue_types import QueueItem, QueueState
from crmdesk.ui.style import table_palette
from crmdesk.ui.tasks import LatestTask

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1  # the row's QueueItem
KEY_ROLE = Qt.ItemDataRole.UserRole + 2  # a stable key of the row (op id / conflict)

COLUMNS = (
    ("record", "Record"),
    ("kind", "Kind"),
    ("changes", "Changes"),
    ("state", "State"),
    ("made", "Made"),
)
_ATTENTION = (QueueState.NEEDS_ATTENTION, QueueState.CONFLICT, QueueState.DELETED_ON_SERVER)

Index = QModelIndex | QPersistentModelIndex


def row_key(item: QueueItem) -> str:
    """A key that stays the same while the row's change is queued."""
    return item.op_id or f"conflict:{item.entity.value}:{item.record_id}"


class PendingModel(QAbstractTableModel):
    """The queued changes as a table (one row per ``QueueItem``)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[QueueItem] = []
        self._bold = QFont()
        self._bold.setBold(True)

    def set_items(self, items: list[QueueItem]) -> None:
        """Show ``items`` (the view keeps its selection by key, see PendingPanel)."""
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def item(self, row: int) -> QueueItem | None:
        """The item of ``row`` or None."""
        return self._items[row] if 0 <= row < len(self._items) else None

    def row_of(self, key: str) -> int | None:
        """The row whose key is ``key``."""
        return next((r for r, i in enumerate(self._items) if row_key(i) == key), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section][1]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self.item(index.row())
        if item is None or not 0 <= index.column() < len(COLUMNS):
            return None
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(item, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "changes":
                return "\n".join(c.text for c in item.changes) or item.changes_text
            if key == "state":
                return "\n".join(t for t in (item.state_text, item.detail) if t)
            return self._text(item, key)
        if role == Qt.ItemDataRole.FontRole and key == "state" and item.state in _ATTENTION:
            return self._bold
        if role == ITEM_ROLE:
            return item
        if role == KEY_ROLE:
            return row_key(item)
        return None

    @staticmethod
    def _text(item: QueueItem, key: str) -> str:
        if key == "record":
            return f"{item.title} ({item.entity.label.lower()})"
        if key == "kind":
            return item.kind_text
        if key == "changes":
            return item.changes_text
        if key == "state":
            return item.state_text
        return item.made_text


class PendingPanel(QWidget):
    """The table of queued changes and its actions; ``message`` goes to the status bar."""

    message = Signal(str)

    def __init__(
        self,
        window: Any,
        edits: Any,
        queue: Any,
        formats: Callable[[], Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pendingPanel")
        self.window_ = window
        self.edits = edits
        self.queue = queue
        self._formats = formats or (lambda: None)
        self._task = LatestTask(self._failed)
        self._load = LatestTask()
        self._undo_token: int | None = None
        self.summary = QLabel(self)
        self.summary.setObjectName("pendingSummary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.model = PendingModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("pendingTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        self.table.setPalette(table_palette(QApplication.palette()))
        for column, width in enumerate((240, 70, 360, 340, 80)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.open_record())
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.retry_button = self._button("Retry now", "pendingRetry", self.retry_now)
        self.edit_button = self._button("Edit…", "pendingEdit", self.edit)
        self.discard_button = self._button("Discard", "pendingDiscard", self.discard)
        self.open_button = self._button("Open record", "pendingOpen", self.open_record)
        self.resolve_button = self._button("Resolve…", "pendingResolve", self.resolve)
        self.undo_note = QLabel(self)
        self.undo_note.setObjectName("pendingUndoNote")
        self.undo_note.setTextFormat(Qt.TextFormat.PlainText)
        self.undo_button = self._button("Undo", "pendingUndo", self.undo_discard)
        self.undo_note.hide()
        self.undo_button.hide()
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (
            self.retry_button,
            self.edit_button,
            self.discard_button,
            self.open_button,
            self.resolve_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.undo_note)
        buttons.addWidget(self.undo_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(8, 6, 8, 8)
        box.setSpacing(6)
        box.addWidget(self.summary)
        box.addWidget(self.table, 1)
        box.addLayout(buttons)
        # Refreshes are coalesced: one sync run publishes many change sets.
        self._refresh_timer = QTimer(self, singleShot=True, interval=250)
        self._refresh_timer.timeout.connect(self.refresh)
        self._update_buttons()

    def _button(self, text: str, name: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.clicked.connect(lambda _=False: slot())
        return button

    # -------------------------------------------------------------- rows

    def schedule_refresh(self, *_args: object) -> None:
        """Reload soon (coalesced); only while the panel can be seen."""
        if self.isVisible():
            self._refresh_timer.start()

    def refresh(self) -> None:
        """Reload the rows (read off the GUI thread; ``settled`` waits for it)."""
        self._load.start(self.reload())

    async def settled(self) -> None:
        """Wait until the rows asked for are shown."""
        await self._load.wait()

    async def reload(self) -> None:
        """Read the queue and show it, keeping the selected row selected."""
        try:
            items = await self.queue.load(self._formats())
        except CrmError:  # the store closed under a late refresh (the window is closing)
            return
        current = self.current()
        key = row_key(current) if current is not None else None
        self.model.set_items(items)
        waiting = sum(1 for i in items if i.op_id)
        conflicts = len(items) - waiting
        if not items:
            self.summary.setText("Nothing is waiting: every change has been sent.")
        else:
            parts = [f"{waiting} change{'s' if waiting != 1 else ''} waiting"]
            if conflicts:
                parts.append(f"{conflicts} record{'s' if conflicts != 1 else ''} in conflict")
            self.summary.setText(
                ", ".join(parts) + " - saved on this computer, sent when the server can be reached."
            )
        row = self.model.row_of(key) if key is not None else None
        if row is not None:
            self.table.selectRow(row)
        self._update_buttons()

    def current(self) -> QueueItem | None:
        """The selected item, or None."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.item(rows[0].row()) if rows else None

    def select(self, row: int) -> None:
        """Select ``row`` (tests, keyboard)."""
        self.table.selectRow(row)

    def _update_buttons(self, *_args: object) -> None:
        item = self.current()
        self.retry_button.setEnabled(item is not None and item.can_retry)
        self.discard_button.setEnabled(item is not None and item.can_discard)
        self.edit_button.setEnabled(
            item is not None and item.can_open and item.state is not QueueState.SENDING
        )
        self.open_button.setEnabled(item is not None and item.can_open)
        self.resolve_button.setEnabled(item is not None and item.can_resolve)

    # -------------------------------------------------------------- actions

    def _failed(self, error: Exception) -> None:
        self.message.emit(str(error))
        self.refresh()

    def retry_now(self) -> None:
        """Send the selected change now."""
        item = self.current()
        if item is not None and item.can_retry:
            self._task.start(self._retry(item))

    def _gone(self, item: QueueItem) -> bool:
        """True when the sync sent ``item`` since the panel was drawn (or is sending it):
        said in words, instead of the store's "no queued change <uuid>"."""
        queued = self.edits.outbox(item.entity, item.record_id)
        if any(e.op_id == item.op_id and e.state is not OpState.SENDING for e in queued):
            return False
        self.message.emit(
            f"The change to “{item.title}” was sent to the server meanwhile; "
            "there is nothing left to do with it here."
        )
        return True

    async def _retry(self, item: QueueItem) -> None:
        if self._gone(item):
            await self.reload()
            return
        await self.edits.retry_now(item.op_id, initiator=self)
        self.message.emit(f"Sending the change to “{item.title}” now.")
        await self.reload()

    def discard(self) -> None:
        """Drop the selected change (its local effect is undone); offers Undo."""
        item = self.current()
        if item is not None and item.can_discard:
            self._task.start(self._discard(item))

    async def _discard(self, item: QueueItem) -> None:
        if self._gone(item):
            await self.reload()
            return
        token = await self.edits.discard(item.op_id, initiator=self)
        self._undo_token = token
        what = f"{item.kind_text.lower()} to “{item.title}”"
        if item.kind_text == "New":
            what = f"new {item.entity.label.lower()} “{item.title}”"
        self.undo_note.setText(f"Discarded the {what}.")
        self.undo_note.show()
        self.undo_button.show()
        self.message.emit(f"Discarded the {what}. Undo in the Pending changes panel.")
        await self.reload()

    def undo_discard(self) -> None:
        """Bring the last discarded change back."""
        if self._undo_token is not None:
            token, self._undo_token = self._undo_token, None
            self.undo_note.hide()
            self.undo_button.hide()
            self._task.start(self._undo(token))

    async def _undo(self, token: int) -> None:
        await self.edits.undo(token, initiator=self)
        self.message.emit("The discarded change is back in the queue.")
        await self.reload()

    def open_record(self) -> None:
        """Show the selected change's record in its table."""
        item = self.current()
        if item is not None and item.can_open:
            self.window_.open_record(item.entity, item.record_id)

    def edit(self) -> None:
        """Edit the record (the window's editor when it has one)."""
        item = self.current()
        if item is None or not item.can_open:
            return
        editor = getattr(self.window_, "edit_record", None)
        if callable(editor):
            editor(item.entity, item.record_id)
        else:
            self.window_.open_record(item.entity, item.record_id)
            self.message.emit("Change the values in the detail pane.")

    def resolve(self) -> None:
        """Open the conflict (or deleted-on-server) dialog of the selected record."""
        item = self.current()
        if item is None or not item.can_resolve:
            return
        name = "resolve_conflict" if item.state is QueueState.CONFLICT else "resolve_deleted"
        dialog = getattr(self.window_, name, None)
        if callable(dialog):
            dialog(item.entity, item.record_id)
            return
        if item.can_open:
            self.window_.open_record(item.entity, item.record_id)
        self.message.emit("This version of crmdesk cannot resolve it here yet; discard or wait.")


class ClickFilter(QObject):
    """Calls ``on_click`` when a widget (the status bar's pending chip) is clicked."""

    def __init__(self, widget: QWidget, on_click: Callable[[], None]) -> None:
        super().__init__(widget)
        self._on_click = on_click
        widget.installEventFilter(self)
        widget.setCursor(Qt.CursorShape.PointingHandCursor)
        widget.setToolTip("Show the pending changes (Ctrl+Shift+P)")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseButtonRelease:
            self._on_click()
            return True
        return False


def pending_dock(panel: PendingPanel, parent: QWidget) -> QDockWidget:
    """The panel in a dock at the bottom of the window (hidden until asked for)."""
    dock = QDockWidget("Pending changes", parent)
    dock.setObjectName("pendingDock")
    dock.setWidget(panel)
    dock.setAllowedAreas(
        Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.TopDockWidgetArea
    )
    dock.visibilityChanged.connect(lambda shown: panel.refresh() if shown else None)
    return dock
