"""Editing on the table pages: Edit (F2) and New (Ctrl+N) open the record editor in the
detail pane, Delete asks, then removes the row at once and offers Undo in the status bar.

``PageEditing`` serves one page; ``RecordMenu`` is the main window's Record menu, acting
on the page shown. Both receive the EditService (``edits``) and EditFormService
(``forms``) once the workspace is up; before that (a bare database) the menu is disabled.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QStatusBar,
    QWidget,
)

from crmdesk.domain.changes import ChangeSet
from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import CrmError
from crmdesk.domain.outbox import OpState
from crmdesk.ui.errors import ask
from crmdesk.ui.record_editor import RecordEditor
from crmdesk.ui.tasks import LatestTask

EDITABLE_PAGES = (Entity.DEAL, Entity.PERSON, Entity.COMPANY)
UNDO_SECONDS = 12
#: The detail pane is widened to this while a record is edited (a form needs the room).
EDITOR_WIDTH = 470

UndoFn = Callable[[], Coroutine[Any, Any, object]]


class UndoOffer(QObject):
    """ "“Acme” deleted. [Undo]" in the status bar for a few seconds after a delete.

    A strip of its own beside the permanent chips, not a temporary message with a normal
    widget: QStatusBar paints a temporary message under any normal widget shown during it
    (the connection chip, this button), and the text became unreadable."""

    def __init__(self, bar: QStatusBar, on_error: Callable[[CrmError], None]) -> None:
        super().__init__(bar)
        self._bar = bar
        self.strip = QWidget(bar)
        self.strip.setObjectName("undoOffer")
        row = QHBoxLayout(self.strip)
        row.setContentsMargins(0, 0, 6, 0)
        row.setSpacing(6)
        self.label = QLabel(self.strip)
        self.label.setObjectName("undoText")
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # a record's name is CRM text
        self.button = QPushButton("Undo", self.strip)
        self.button.setObjectName("undoButton")
        self.button.setFlat(True)
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.button.clicked.connect(self._undo)
        row.addWidget(self.label)
        row.addWidget(self.button)
        bar.insertPermanentWidget(0, self.strip)
        self.strip.hide()
        self._timer = QTimer(self, singleShot=True, interval=UNDO_SECONDS * 1000)
        self._timer.timeout.connect(self.withdraw)
        self._undo_fn: UndoFn | None = None
        self._task = LatestTask(on_error)

    def offer(self, text: str, undo: UndoFn) -> None:
        """Say ``text`` with an Undo button that runs ``undo``."""
        self._undo_fn = undo
        self.label.setText(text)
        self.strip.show()
        self._timer.start()

    def withdraw(self) -> None:
        """No more Undo."""
        self._undo_fn = None
        self._timer.stop()
        self.strip.hide()

    @property
    def available(self) -> bool:
        """True while the button is offered."""
        return self._undo_fn is not None

    def _undo(self) -> None:
        undo = self._undo_fn
        self.withdraw()
        if undo is not None:
            self._task.start(self._run(undo))

    async def _run(self, undo: UndoFn) -> None:
        await undo()
        self._bar.showMessage("Undone.", 4000)

    async def settled(self) -> None:
        """Wait for an undo in flight (tests)."""
        await self._task.wait()


class PageEditing(QObject):
    """The editor, creation and deletion on one entity page."""

    message = Signal(str)

    def __init__(self, page, edits, forms, undo: UndoOffer) -> None:
        super().__init__(page)
        self.page = page
        self.entity: Entity = page.entity
        self.edits = edits
        self.forms = forms
        self._undo = undo
        self._task = LatestTask(self._error)
        self._sizes: list[int] | None = None  # the splitter before the editor widened it
        page.detail.editable = True
        page.detail.edit_requested.connect(lambda _entity, rid: self.edit(rid))
        if page.detail.detail is not None:  # show the Edit button on the record shown
            page.detail.show_detail(page.detail.detail)
        from crmdesk.ui.inline_edit import InlineEditing

        self.inline = InlineEditing(self)

    @property
    def editor(self) -> RecordEditor | None:
        """The editor open in the detail pane, if any."""
        editor = self.page.detail.editor
        return editor if isinstance(editor, RecordEditor) else None

    def _error(self, error: CrmError) -> None:
        self.message.emit(str(error))

    # -------------------------------------------------------------- edit and create

    def edit(self, record_id: int | None = None) -> RecordEditor | None:
        """Open a record (the current row by default) in the editor; None when there is
        no such record or another record's editor has unsaved changes."""
        rid = self.page.current_id() if record_id is None else record_id
        if rid is None:
            self.message.emit(f"Select a {self.entity.label.lower()} to edit.")
            return None
        editor = self.editor
        if editor is not None and editor.record_id == rid:
            editor.focus_first()
            return editor
        form = self.forms.form(self.entity, rid)
        if form is None:
            self.message.emit("This record is no longer in the local database.")
            return None
        return self._open(form)

    def new(self) -> RecordEditor | None:
        """Open an empty editor for a new record (None while another one has changes)."""
        return self._open(self.forms.form(self.entity))

    def _open(self, form) -> RecordEditor | None:
        if self.editor is not None:
            if self.editor.changed_texts():
                # a second editor would drop what was typed in the first: keep the first
                self.editor.focus_first()
                self.message.emit("Save or cancel the record being edited first.")
                return None
            self.close()  # nothing typed there: just move on
        detail = self.page.detail
        if detail.isHidden():
            detail.show()
        editor = RecordEditor(form, self.edits, self.forms)
        editor.saved.connect(self._saved)
        editor.cancelled.connect(self.close)
        sizes = self.page.splitter.sizes()
        if len(sizes) == 2 and 0 < sizes[1] < EDITOR_WIDTH and sum(sizes) > 2 * EDITOR_WIDTH:
            self._sizes = sizes
            self.page.splitter.setSizes([sum(sizes) - EDITOR_WIDTH, EDITOR_WIDTH])
        detail.open_editor(editor)
        editor.focus_first()
        return editor

    def close(self) -> None:
        """Back to the record view (the pane at its width before)."""
        self.page.detail.close_editor()
        if self._sizes is not None:
            self.page.splitter.setSizes(self._sizes)
            self._sizes = None
        self.page.table.setFocus()

    def _saved(self, entity: Entity, record_id: int) -> None:
        editor = self.editor
        created = editor is not None and editor.record_id is None
        self.close()
        if created:
            self.message.emit(f"{entity.label} created here; it is not yet synced.")
            self.page.requery(keep_id=record_id)
        else:
            self.message.emit("Saved here; the change is sent with the next sync.")

    def follow(self, changes: ChangeSet) -> None:
        """The server confirmed new records: the selection and the editor follow their
        new ids."""
        if not changes.remapped:
            return
        editor = self.editor
        if editor is not None and editor.record_id is not None:
            editor.record_id = changes.remapped.get(editor.record_id, editor.record_id)
        current = self.page.current_id()
        if current is not None and current in changes.remapped:
            self.page.requery(keep_id=changes.remapped[current])

    # -------------------------------------------------------------- delete

    def delete(self, confirm: bool = True) -> None:
        """Delete the current record (after asking)."""
        row = self.page.table.current_row()
        rid = self.page.current_id()
        if rid is None:
            return
        found = self.page.model.row_at(row)
        name_column = self.page.model.column_of("name")
        name = found.text[name_column] if found is not None and name_column >= 0 else ""
        neighbour = self.page.model.id_at(row + 1) or self.page.model.id_at(row - 1)
        if not confirm:
            self._task.start(self.delete_now(rid, name, neighbour))
            return
        what = f"{self.entity.label.lower()} “{name}”" if name else self.entity.label.lower()

        def answered(choice: QMessageBox.StandardButton) -> None:
            if choice == QMessageBox.StandardButton.Yes:
                self._task.start(self.delete_now(rid, name, neighbour))

        ask(
            self.page,
            "deleteQuestion",
            f"Delete {self.entity.label.lower()}",
            f"Delete the {what}?\nThe server deletes it at the next sync; until then you can undo.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
            answered,
        )

    async def delete_now(
        self, record_id: int, name: str = "", neighbour: int | None = None
    ) -> None:
        """Queue the delete, take the row out, offer Undo."""
        editor = self.editor
        if editor is not None and editor.record_id == record_id:
            self.close()
        result = await self.edits.delete(self.entity, record_id, initiator=self)
        self.page.requery(keep_id=neighbour)
        what = f"“{name}”" if name else f"The {self.entity.label.lower()}"
        if isinstance(result, str):  # the queued delete: discarding it brings the row back

            async def undo() -> object:
                # the sync may have sent it meanwhile (online that takes a second or two)
                queued = self.edits.outbox(self.entity, record_id)
                if not any(e.op_id == result and e.state is not OpState.SENDING for e in queued):
                    raise CrmError(
                        f"{what} was already deleted on the server; it cannot be undone here."
                    )
                return await self.edits.discard(result)
        elif isinstance(result, int):  # never synced: the drop has an undo token

            async def undo() -> object:
                return await self.edits.undo(result)
        else:
            self.message.emit(f"{what} was deleted.")
            return
        self._undo.offer(f"{what} deleted.", undo)

    async def settled(self) -> None:
        """Wait for a delete in flight (tests)."""
        await self._task.wait()


class RecordMenu(QObject):
    """The main window's Record menu: New, Edit, Delete on the page shown."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        menu = window.menuBar().addMenu("&Record")
        self.menu = menu
        self.new_action = self._add("&New…", "Ctrl+N", lambda: self._on_page("new"))
        self.edit_action = self._add("&Edit…", "F2", lambda: self._on_page("edit"))
        self.delete_action = self._add(
            "&Delete…", QKeySequence.StandardKey.Delete, lambda: self._on_page("delete")
        )
        self.undo = UndoOffer(window.status, window.show_error)
        self._closing = LatestTask(window.show_error)
        self._question: QMessageBox | None = None  # the unsaved-typing question, while open
        self.set_enabled(False)

    def _add(self, text: str, keys, slot) -> QAction:
        action = QAction(text, self.window)
        action.setShortcut(QKeySequence(keys))
        action.triggered.connect(slot)
        self.menu.addAction(action)
        self.window.addAction(action)
        return action

    def set_enabled(self, enabled: bool) -> None:
        """Editing is available (the workspace is up) on this page, or not."""
        for action in (self.new_action, self.edit_action, self.delete_action):
            action.setEnabled(enabled)

    def page_shown(self, entity: Entity, editing: PageEditing | None) -> None:
        """Name the actions after the page's entity."""
        noun = entity.label.lower()
        self.new_action.setText(f"&New {noun}…")
        self.edit_action.setText(f"&Edit {noun}…")
        self.delete_action.setText(f"&Delete {noun}…")
        self.set_enabled(editing is not None)

    def unsaved(self) -> list[RecordEditor]:
        """Open editors with changes not saved yet."""
        editors = (getattr(p, "editing", None) for p in self.window.pages.values())
        return [
            e.editor for e in editors if e is not None and e.editor and e.editor.changed_texts()
        ]

    def confirm_close(self) -> bool:
        """True when the window may close: no unsaved editor, or the person chose to
        discard. Choosing Save saves them and closes the window once all are queued."""
        dirty = self.unsaved()
        if not dirty:
            return True
        if self._question is not None:  # asked already: the answer is still to come
            self._question.raise_()
            return False
        buttons = QMessageBox.StandardButton

        def answered(choice: QMessageBox.StandardButton) -> None:
            self._question = None
            if choice == buttons.Discard:
                for editor in dirty:
                    editor.cancel()
                QTimer.singleShot(0, self.window.close)  # not inside the refused close
            elif choice == buttons.Save:
                self._closing.start(self._save_then_close(dirty))

        self._question = ask(
            self.window,
            "unsavedCloseQuestion",
            "Unsaved changes",
            "A record being edited has changes that are not saved. Save them?",
            buttons.Save | buttons.Discard | buttons.Cancel,
            buttons.Save,
            answered,
        )
        return False

    async def _save_then_close(self, dirty: list[RecordEditor]) -> None:
        for editor in dirty:
            if not await editor.save_now():
                return  # its problems are shown in red; the window stays open
        self.window.close()

    def _on_page(self, what: str) -> None:
        editing = getattr(self.window.page, "editing", None)
        if editing is None:
            return
        if what == "delete" and editing.editor is not None:
            return  # Delete while a form is open belongs to the form
        getattr(editing, what)()
