"""The main window: a shell of navigation, pages, menus, shortcuts and the status bar.

Features live in their own modules (``entity_page``, ``detail_pane``, ``global_search``,
``status_bar``...). Services arrive through the constructor from ``crmdesk.app``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from crmdesk.domain.changes import ChangeSet
from crmdesk.domain.entities import BROWSABLE, Entity
from crmdesk.domain.errors import CrmError
from crmdesk.domain.sync_status import SyncStatus
from crmdesk.ui.entity_page import EntityPage

if TYPE_CHECKING:
    from crmdesk.ui.global_search import GlobalSearch
from crmdesk.ui.icons import app_icon
from crmdesk.ui.record_dialogs import RecordDialogs
from crmdesk.ui.settings import UiSettings
from crmdesk.ui.status_bar import StatusBar
from crmdesk.ui.tasks import LatestTask


class EventBridge(QObject):
    """Turns the services' event callbacks into Qt signals (the app wires it)."""

    status_changed = Signal(object)  # SyncStatus
    records_changed = Signal(object)  # ChangeSet

    def publish_status(self, status: SyncStatus) -> None:
        """Callback for sync status events."""
        self.status_changed.emit(status)

    def publish_changes(self, changes: ChangeSet) -> None:
        """Callback for change sets."""
        self.records_changed.emit(changes)


class MainWindow(QMainWindow):
    """The window of one account; ``closed`` fires once it has been closed."""

    closed = Signal()
    #: ConflictViews (what the conflict dialogs show) once attach_sync ran
    conflict_views: Any = None
    #: the EditService, once the account's workspace is up (a bare database stays read-only)
    editing_ready = Signal(object)

    def __init__(
        self,
        browse,
        settings: UiSettings,
        account_name: str,
        account_key: str,
        *,
        bridge: EventBridge | None = None,
        sync_now: Callable[[], Coroutine[Any, Any, object]] | None = None,
        set_key: Callable[[str, bool], Coroutine[Any, Any, None]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"crmdesk - {account_name}")
        self.setWindowIcon(app_icon())
        self.browse = browse
        self.settings = settings
        self._sync_now = sync_now
        self._set_key = set_key
        self._sync_task = LatestTask(self.show_error)
        self._account_key = account_key
        self.edits: Any = None  # EditService once attach_sync ran; None: read-only
        self.record_dialogs = RecordDialogs(self)
        self.forms: Any = None  # EditFormService (what the record editor reads), likewise
        # Pages are built when first shown: only the first one stands between launch and
        # the first painted table.
        self.pages: dict[Entity, EntityPage] = {}
        self.stack = QStackedWidget(self)
        self.nav = QButtonGroup(self)
        self.nav.setExclusive(True)
        sidebar = self._build_sidebar(account_name)
        central = QWidget(self)
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(sidebar)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self._search_box: GlobalSearch | None = None
        self._build_actions()
        self.bridge = bridge
        if bridge is not None:
            bridge.status_changed.connect(self.status.show_status)
            bridge.records_changed.connect(self.apply_changes)
        self._restore()

    # -------------------------------------------------------------- construction

    def _build_sidebar(self, account_name: str) -> QWidget:
        sidebar = QFrame(self)
        sidebar.setObjectName("sidebar")
        box = QVBoxLayout(sidebar)
        box.setContentsMargins(8, 12, 8, 12)
        box.setSpacing(4)
        title = QLabel("crmdesk", sidebar)
        title.setObjectName("brand")
        account = QLabel(account_name, sidebar)
        account.setObjectName("accountName")
        account.setTextFormat(Qt.TextFormat.PlainText)
        account.setWordWrap(True)
        box.addWidget(title)
        box.addWidget(account)
        box.addSpacing(14)
        for number, entity in enumerate(BROWSABLE, 1):
            button = QPushButton(entity.plural_label, sidebar)
            button.setObjectName(f"nav_{entity.value}")
            button.setProperty("nav", True)
            button.setCheckable(True)
            button.setToolTip(f"{entity.plural_label} (Ctrl+{number})")
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _=False, e=entity: self.show_page(e))
            self.nav.addButton(button, number)
            box.addWidget(button)
        box.addStretch(1)
        hint = QLabel("Ctrl+K  search everywhere", sidebar)
        hint.setObjectName("sidebarHint")
        hint.setWordWrap(True)
        box.addWidget(hint)
        sidebar.setFixedWidth(126)
        return sidebar

    def _action(self, text: str, shortcut, slot, menu) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action("&Export view as CSV…", "Ctrl+E", lambda: self.page.ask_export(), file_menu)
        file_menu.addSeparator()
        self._action("&Quit", QKeySequence.StandardKey.Quit, self.close, file_menu)
        self._build_edit_menu(bar)
        view_menu = bar.addMenu("&View")
        for number, entity in enumerate(BROWSABLE, 1):
            self._action(
                entity.plural_label,
                f"Ctrl+{number}",
                lambda _=False, e=entity: self.show_page(e),
                view_menu,
            )
        view_menu.addSeparator()
        self._action("&Search this table", "Ctrl+F", self.focus_search, view_menu)
        self._action("Search &everywhere…", "Ctrl+K", self.search_everywhere, view_menu)
        self._action("&Columns…", None, lambda: self.page.choose_columns(), view_menu)
        self.detail_action = self._action("&Detail pane", "F9", self.toggle_detail, view_menu)
        self.detail_action.setCheckable(True)
        sync_menu = bar.addMenu("&Sync")
        self.sync_action = self._action("Sync &now", "F5", self.sync_now, sync_menu)
        self.sync_action.setEnabled(self._sync_now is not None)
        self.key_action = self._action("Enter &API key…", None, self.ask_key, sync_menu)
        self.key_action.setEnabled(self._set_key is not None)
        from crmdesk.ui.record_actions import RecordMenu

        self.record_menu = RecordMenu(self)

    def _restore(self) -> None:
        geometry = self.settings.geometry("geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            screen = self.screen().availableGeometry()
            self.resize(min(1440, screen.width()), min(900, screen.height()))
        state = self.settings.geometry("state")
        if state is not None:
            self.restoreState(state)
        self.detail_action.setChecked(self.settings.detail_visible())
        self.show_page(self.settings.last_entity())

    def page_for(self, entity: Entity) -> EntityPage:
        """The page of ``entity``, built on first use."""
        page = self.pages.get(entity)
        if page is None:
            page = EntityPage(entity, self.browse, self.settings, self._account_key, self.stack)
            page.message.connect(self.show_message)
            page.count_changed.connect(self._count_changed)
            page.navigate.connect(self.open_record)
            self.record_dialogs.connect_page(page)
            saved = self.settings.geometry(f"splitter_{entity.value}")
            if saved is not None:
                page.splitter.restoreState(saved)
            page.detail.setVisible(self.detail_action.isChecked())
            self.pages[entity] = page
            self.stack.addWidget(page)
            self._enable_editing(page)
        return page

    def _enable_editing(self, page: EntityPage) -> None:
        from crmdesk.ui.record_actions import EDITABLE_PAGES, PageEditing

        if self.edits is None or self.forms is None or page.entity not in EDITABLE_PAGES:
            return
        if getattr(page, "editing", None) is None:
            editing = PageEditing(page, self.edits, self.forms, self.record_menu.undo)
            editing.message.connect(self.show_message)
            page.editing = editing  # type: ignore[attr-defined]

    # -------------------------------------------------------------- navigation

    @property
    def page(self) -> EntityPage:
        """The page shown."""
        widget = self.stack.currentWidget()
        assert isinstance(widget, EntityPage)
        return widget

    def show_page(self, entity: Entity) -> EntityPage:
        """Switch to an entity's table (loading it the first time)."""
        page = self.page_for(entity)
        self.stack.setCurrentWidget(page)
        self.nav.button(BROWSABLE.index(entity) + 1).setChecked(True)
        page.activate()
        self.status.show_rows(page.count_label.text())
        self.record_menu.page_shown(entity, getattr(page, "editing", None))
        return page

    def edit_record(self, entity: Entity, record_id: int) -> Any:
        """Open a record in the editor, with the server's complaints (a refused change)
        next to their fields; returns the editor (None when editing is not available)."""
        page = self.show_page(entity)
        editing = getattr(page, "editing", None)
        if editing is None:
            self.show_message("Editing is available once the account is open.")
            return None
        page.show_record(record_id)
        return editing.edit(record_id)

    def open_record(self, entity: Entity, record_id: int) -> None:
        """Show a record: its page, its row, its details."""
        page = self.show_page(entity)
        page.show_record(record_id)
        page.table.setFocus()

    def focus_search(self) -> None:
        """Ctrl+F: the current table's search field."""
        self.page.search.setFocus()
        self.page.search.selectAll()

    @property
    def search_box(self) -> GlobalSearch:
        """The global search box (built on first use)."""
        if self._search_box is None:
            from crmdesk.ui.global_search import GlobalSearch

            self._search_box = GlobalSearch(self.browse, self)
            self._search_box.chosen.connect(self.open_record)
        return self._search_box

    def search_everywhere(self) -> None:
        """Ctrl+K: the global search box."""
        self.search_box.start()

    def toggle_detail(self, visible: bool) -> None:
        """Show or hide the detail pane (every page)."""
        for page in self.pages.values():
            page.detail.setVisible(visible)
        self.settings.set_detail_visible(visible)

    def _count_changed(self, text: str) -> None:
        if self.sender() is self.page:
            self.status.show_rows(text)

    def show_message(self, text: str) -> None:
        """A transient message in the status bar."""
        self.status.showMessage(text, 8000)

    # -------------------------------------------------------------- sync

    def sync_now(self) -> None:
        """F5: ask the sync service for a sync (once; a sync already asked for runs on)."""
        if self._sync_now is None or self._sync_task.running:
            return
        self._sync_task.start(self._sync_now())

    def attach_sync(self, workspace, bridge: EventBridge) -> None:
        """Connect a sync service that came up after the window (F5, keys, events)."""
        unsubscribe = [
            workspace.bus.subscribe_status(bridge.publish_status),
            workspace.bus.subscribe_changes(bridge.publish_changes),
        ]
        self.closed.connect(lambda: [stop() for stop in unsubscribe])

        async def sync_now() -> None:
            await workspace.sync.sync_now()

        async def set_key(key: str, remember: bool) -> None:
            await workspace.set_key(key, remember=remember)

        self._sync_now = sync_now
        self._set_key = set_key
        self.sync_action.setEnabled(True)
        self.key_action.setEnabled(True)
        self.edits = workspace.edits
        self.conflict_views = workspace.conflict_views
        self._attach_pending(workspace, bridge)
        self.forms = getattr(workspace, "forms", None)
        for page in self.pages.values():
            self._enable_editing(page)
        self.record_menu.page_shown(self.page.entity, getattr(self.page, "editing", None))
        self.editing_ready.emit(workspace.edits)
        bridge.publish_status(workspace.bus.status)

    def ask_key(self) -> None:
        """Ask for a new API key (after the server refused the old one)."""
        if self._set_key is None:
            return
        from crmdesk.ui.key_dialog import KeyDialog

        dialog = KeyDialog(self._set_key, self)
        dialog.done_ok.connect(lambda: self.show_message("The new API key works; syncing."))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def apply_changes(self, changes: ChangeSet) -> None:
        """Refresh the rows a change set touched (only those)."""
        if changes.lookups:
            self.browse.reload_settings()
            for page in self.pages.values():
                page.reload_choices()
        for entity, page in self.pages.items():
            if changes.touches(entity):
                page.apply_changes(changes.ids_of(entity), entity in changes.reset)
                editing = getattr(page, "editing", None)
                if editing is not None:
                    editing.follow(changes)

    def show_error(self, error: CrmError) -> None:
        """An error the person can act on, in the status bar."""
        self.show_message(str(error))

    # -------------------------------------------------------------- conflicts and deletions

    def resolve_conflict(self, entity: Entity, record_id: int) -> Any:
        """The conflict dialog of a record: mine or theirs, field by field."""
        return self.record_dialogs.resolve_conflict(entity, record_id)

    def resolve_deleted(self, entity: Entity, record_id: int) -> Any:
        """The dialog of a record deleted on the server: recreate it, or discard my changes."""
        return self.record_dialogs.resolve_deleted(entity, record_id)

    def show_history(self, entity: Entity, record_id: int) -> Any:
        """The record's lost values, to restore."""
        return self.record_dialogs.show_history(entity, record_id)

    # -------------------------------------------------------------- closing

    def save_state(self) -> None:
        """Remember geometry, splitters, columns and the page shown."""
        self.settings.set_geometry("geometry", self.saveGeometry())
        self.settings.set_geometry("state", self.saveState())
        for entity, page in self.pages.items():
            self.settings.set_geometry(f"splitter_{entity.value}", page.splitter.saveState())
            page.save_state()
        self.settings.set_last_entity(self.page.entity)
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        # unsaved typing in an editor first (saving it queues one more change), then the
        # question about changes waiting to be sent
        if not self.record_menu.confirm_close() or not self._may_close():
            event.ignore()
            return
        self.save_state()
        for page in self.pages.values():
            page.shutdown()
        if self._search_box is not None:
            self._search_box.close()
        super().closeEvent(event)
        self.closed.emit()

    # -------------------------------------------------------------- offline queue
    # Pending Changes panel, Edit > Undo/Redo, the paused-key banner and the question
    # before closing with changes waiting (see pending_panel, undo_actions, key_banner).

    def _build_edit_menu(self, bar) -> None:
        from crmdesk.ui.undo_actions import UndoActions

        menu = next((a.menu() for a in bar.actions() if a.text() == "&Edit"), None)
        if menu is None:
            menu = bar.addMenu("&Edit")
        self.undo_actions = UndoActions(self, menu, self.show_message, self.show_error)

    def _attach_pending(self, workspace, bridge: EventBridge) -> None:
        from PySide6.QtWidgets import QMenu

        from crmdesk.ui.key_banner import CloseGuard, KeyBanner, install_banner
        from crmdesk.ui.pending_panel import ClickFilter, PendingPanel, pending_dock

        self.undo_actions.attach(workspace.edits)
        bridge.records_changed.connect(self.undo_actions.update)
        self.pending_panel = PendingPanel(
            self, workspace.edits, workspace.queue, lambda: getattr(self.browse, "formats", None)
        )
        self.pending_panel.message.connect(self.show_message)
        self.pending_dock = pending_dock(self.pending_panel, self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.pending_dock)
        self.pending_dock.hide()
        for signal in (bridge.records_changed, bridge.status_changed):
            signal.connect(self.pending_panel.schedule_refresh)
        toggle = self.pending_dock.toggleViewAction()
        toggle.setText("&Pending changes")
        toggle.setShortcut(QKeySequence("Ctrl+Shift+P"))
        view = next((a.menu() for a in self.menuBar().actions() if a.text() == "&View"), None)
        if isinstance(view, QMenu):
            view.addAction(toggle)
        self.addAction(toggle)
        ClickFilter(self.status.pending, self.toggle_pending)
        self.key_banner = KeyBanner(self.ask_key, self)
        install_banner(self, self.key_banner)
        bridge.status_changed.connect(self.key_banner.show_status)
        self.close_guard = CloseGuard(self, workspace.edits)

    def toggle_pending(self) -> None:
        """Show or hide the Pending Changes panel (the status bar's pending chip)."""
        dock = getattr(self, "pending_dock", None)
        if dock is not None:
            dock.setVisible(not dock.isVisible())

    def _may_close(self) -> bool:
        guard = getattr(self, "close_guard", None)
        return guard is None or guard.allow()
