"""Editing one cell in the table (Shift+F2, or "Edit cell" in the row menu): a line editor
over the cell; Enter or leaving it saves, Esc cancels.

The table model stays read-only on purpose: an editable model must answer ``flags()`` in
Python for every painted cell, a second C++->Python crossing per cell on the hottest path
(see ``row_delegate``). The editor is an overlay on the viewport instead, started by a key
or a menu. A value that cannot be saved opens the record editor with the typed text and
the message next to the field, so nothing typed is lost.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLineEdit, QMenu

from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import CrmError, FieldValueError, UnknownFieldError, ValidationError
from crmdesk.ui.record_editor import sentence
from crmdesk.ui.tasks import LatestTask

#: table column key -> field, per entity: the columns that show one field as it is typed
INLINE_FIELDS: dict[Entity, dict[str, str]] = {
    Entity.DEAL: {"name": "name", "value": "value", "probability": "probability"},
    Entity.PERSON: {"position": "position"},
    Entity.COMPANY: {"name": "name", "city": "city"},
}


class InlineEditing(QObject):
    """The cell editor of one page; ``editing`` is its PageEditing."""

    def __init__(self, editing) -> None:
        super().__init__(editing)
        self.editing = editing
        self.page = editing.page
        self.table = self.page.table
        self.fields = INLINE_FIELDS.get(self.page.entity, {})
        self.line: QLineEdit | None = None
        self._target: tuple[int, str, str] | None = None  # record id, field, starting text
        self._task = LatestTask(editing._error)
        action = QAction("Edit cell", self.table)
        action.setShortcut(QKeySequence("Shift+F2"))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(self.start)
        self.table.addAction(action)
        viewport = self.table.viewport()
        viewport.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        viewport.customContextMenuRequested.connect(self._menu)

    def _field_at(self, index) -> str | None:
        if not index.isValid():
            return None
        return self.fields.get(self.page.model.columns[index.column()].key)

    def _menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        if self.table.current_row() != index.row():
            self.table.select_row(index.row())
        self.table.setCurrentIndex(index)
        menu = QMenu(self.table)
        cell = menu.addAction("Edit cell", lambda: self.start(index))
        cell.setShortcut(QKeySequence("Shift+F2"))
        cell.setEnabled(self._field_at(index) is not None)
        menu.addAction("Edit…", lambda: self.editing.edit()).setShortcut(QKeySequence("F2"))
        menu.addSeparator()
        menu.addAction("Delete…", lambda: self.editing.delete()).setShortcut(
            QKeySequence(QKeySequence.StandardKey.Delete)
        )
        menu.popup(self.table.viewport().mapToGlobal(pos))

    # -------------------------------------------------------------- the editor

    def start(self, index=None) -> QLineEdit | None:
        """Edit the current cell (or ``index``); the whole record for other columns."""
        index = self.table.currentIndex() if not index or not index.isValid() else index
        field = self._field_at(index)
        if field is None:
            self.editing.message.emit(
                "This column is edited in the record editor (F2); "
                "the name, value and probability of a deal can be edited in the table."
            )
            return None
        record_id = self.page.model.id_at(index.row())
        form = self.editing.forms.form(self.page.entity, record_id) if record_id else None
        if form is None:
            return None
        self.finish(save=False)
        text = form.field(field).text
        line = QLineEdit(self.table.viewport())
        line.setObjectName("inlineEditor")
        line.setFrame(False)
        line.setText(text)
        line.selectAll()
        line.setGeometry(self.table.visualRect(index))
        if field in ("value", "probability"):
            line.setAlignment(Qt.AlignmentFlag.AlignRight)
        line.installEventFilter(self)
        line.returnPressed.connect(lambda: self.finish(save=True))
        line.show()
        line.setFocus()
        self.line = line
        self._target = (record_id, field, text)
        return line

    def eventFilter(self, watched, event) -> bool:
        if watched is self.line:
            if event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape:
                self.finish(save=False)
                return True
            if event.type() == QEvent.Type.FocusOut:
                self.finish(save=True)  # leaving the cell keeps what was typed
        return super().eventFilter(watched, event)

    def finish(self, save: bool) -> None:
        """Close the cell editor, saving its text (Enter, focus out) or not (Esc)."""
        line, target = self.line, self._target
        self.line, self._target = None, None
        if line is None or target is None:
            return
        text = line.text()
        line.removeEventFilter(self)
        line.hide()
        line.deleteLater()
        self.table.setFocus()
        if save and text != target[2]:
            self._task.start(self.save(target[0], target[1], text))

    async def save(self, record_id: int, field: str, text: str) -> bool:
        """Queue one field; a value that cannot be saved opens the record editor."""
        entity = self.page.entity
        try:
            patch = self.editing.edits.parse(entity, {field: text})
            await self.editing.edits.update(entity, record_id, patch)
        except (FieldValueError, UnknownFieldError, ValidationError) as error:
            self._to_editor(record_id, field, text, error)
            return False
        except CrmError as error:
            self.editing.message.emit(str(error))
            return False
        return True

    def _to_editor(self, record_id: int, field: str, text: str, error: CrmError) -> None:
        editor = self.editing.edit(record_id)
        if editor is None or field not in editor.editors:
            self.editing.message.emit(str(error))
            return
        editor.editors[field].set_text(text)
        label = editor.editors[field].field.spec.label
        if isinstance(error, ValidationError):
            for problem in error.errors:
                editor.show_error(problem.field, sentence(label, problem.message))
        else:
            editor.show_error(field, sentence(label, getattr(error, "message", str(error))))
        editor.focus_first()

    async def settled(self) -> None:
        """Wait for a save in flight (tests)."""
        await self._task.wait()
