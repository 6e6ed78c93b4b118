"""The record editor: the detail pane's sections with an editor per field.

Saving checks first (required fields, numbers, dates, names picked from the lists), shows
every problem in red under its field, and keeps every typed value when anything is wrong.
Only the fields that were changed are sent, through ``EditService.update`` (or ``create``
for a new record), which returns at once: the change is queued, the row shows it pending.
``edits`` and ``forms`` are the EditService and EditFormService (passed in, not imported).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crmdesk.domain.errors import CrmError, FieldValueError, UnknownFieldError, ValidationError
from crmdesk.domain.fields import FieldType
from crmdesk.services.form_types import EditForm
from crmdesk.ui.detail_pane import LABEL_WIDTH, plain_label
from crmdesk.ui.field_editors import ChoiceEditor, FieldEditor, make_editor
from crmdesk.ui.tasks import LatestTask


def sentence(label: str, message: str) -> str:
    """``is required`` under "Name" reads "Name is required"; full sentences stay."""
    if message[:1].islower():
        return f"{label} {message}"
    return message


class RecordEditor(QWidget):
    """Edits one record (or a new one). ``saved(entity, id)`` once the change is queued
    (the new local id for a create); ``cancelled`` on Cancel or Esc."""

    saved = Signal(object, int)
    cancelled = Signal()

    def __init__(self, form: EditForm, edits, forms, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordEditor")
        self.form = form
        self.entity = form.entity
        self.record_id = form.record_id
        self._edits = edits
        self._forms = forms
        self._task = LatestTask(self._show_form_error)
        self.editors: dict[str, FieldEditor] = {}
        self._errors: dict[str, QLabel] = {}
        self._original: dict[str, str] = {}
        self._build()
        for name, message in ((f.name, f.error) for f in form.fields if f.error):
            self.show_error(name, sentence(form.field(name).spec.label, message))

    # -------------------------------------------------------------- construction

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 16)
        layout.setSpacing(6)
        kind = "NEW " if self.record_id is None else "EDIT "
        layout.addWidget(plain_label(kind + self.entity.label.upper(), "detailKind"))
        layout.addWidget(plain_label(self.form.title, "detailTitle"))
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        self.save_button = QPushButton("Save", self)
        self.save_button.setObjectName("saveButton")
        self.save_button.setToolTip("Save the changes (Ctrl+S); they are sent when online")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Leave without saving (Esc)")
        self.cancel_button.clicked.connect(self.cancel)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.form_error = plain_label("", "formError")
        self.form_error.setProperty("state", "needs_attention")
        self.form_error.setVisible(bool(self.form.errors))
        self.form_error.setText("\n".join(self.form.errors))
        layout.addWidget(self.form_error)
        for section in self.form.sections:
            layout.addSpacing(8)
            layout.addWidget(plain_label(section.title, "sectionTitle"))
            rows = QFormLayout()
            rows.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            rows.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            # a narrow pane puts a label above its field instead of cutting the field off
            rows.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
            rows.setHorizontalSpacing(14)
            rows.setVerticalSpacing(5)
            for field in section.fields:
                label = field.spec.label + (" *" if field.spec.required else "")
                title = plain_label(label, "fieldLabel", wrap=False)
                title.setMinimumWidth(LABEL_WIDTH)
                editor = make_editor(field, self.form.currency, self._forms, self)
                title.setBuddy(editor.focus_widget())
                error = plain_label("", "fieldError")
                error.setObjectName(f"error_{field.name}")
                error.setProperty("fieldError", True)
                error.hide()
                cell = QVBoxLayout()
                cell.setSpacing(2)
                cell.addWidget(editor)
                cell.addWidget(error)
                rows.addRow(title, cell)
                self.editors[field.name] = editor
                self._errors[field.name] = error
                self._original[field.name] = editor.text()
                editor.changed.connect(lambda n=field.name: self._edited(n))
            layout.addLayout(rows)
        layout.addStretch(1)
        pipeline = self.editors.get("deal_pipeline_id")
        if pipeline is not None:
            pipeline.changed.connect(self._pipeline_changed)
        for keys, slot in (
            (QKeySequence.StandardKey.Save, self.save),
            (QKeySequence("Escape"), self.cancel),
        ):
            action = QAction(self)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

    def _pipeline_changed(self) -> None:
        stage = self.editors.get("deal_stage_id")
        if isinstance(stage, ChoiceEditor):
            text = self.editors["deal_pipeline_id"].text()
            stage.set_options(self._forms.stages(int(text) if text else None))

    def focus_first(self) -> None:
        """Put the cursor in the first field (or the first one with an error)."""
        wrong = next((n for n, label in self._errors.items() if not label.isHidden()), None)
        name = wrong or next(iter(self.editors), None)
        if name is not None:
            self.editors[name].focus_widget().setFocus()

    # -------------------------------------------------------------- errors

    def show_error(self, name: str, message: str) -> None:
        """A problem in red under field ``name`` (at the top if the form lacks it)."""
        label = self._errors.get(name)
        if label is None:
            self._show_form_error(message)
            return
        label.setText(message)
        label.show()

    def error_text(self, name: str) -> str:
        """The problem shown under a field ("" when none; tests and accessibility)."""
        label = self._errors.get(name)
        return "" if label is None or label.isHidden() else label.text()

    def _show_form_error(self, error: CrmError | str) -> None:
        text = str(error)
        current = self.form_error.text()
        self.form_error.setText(f"{current}\n{text}" if current else text)
        self.form_error.show()

    def _clear_errors(self) -> None:
        for label in self._errors.values():
            label.hide()
            label.clear()
        self.form_error.clear()
        self.form_error.hide()

    def _edited(self, name: str) -> None:
        label = self._errors.get(name)
        if label is not None and not label.isHidden():
            label.hide()  # the person is fixing it

    # -------------------------------------------------------------- saving

    def changed_texts(self) -> dict[str, str]:
        """``{field: text}`` of the fields whose text differs from the start."""
        return {
            name: editor.text()
            for name, editor in self.editors.items()
            if editor.text() != self._original[name]
        }

    def _patch(self) -> dict | None:
        """The changed fields as wire values, or None after showing what is wrong."""
        problems: dict[str, str] = {}
        texts = self.changed_texts()
        if self.record_id is None:  # a new record: required fields must be filled in
            for name, editor in self.editors.items():
                if editor.field.spec.required and not editor.text().strip():
                    problems[name] = f"{editor.field.spec.label} is required"
        patch: dict = {}
        for name, text in texts.items():
            spec = self.editors[name].field.spec
            problem = self.editors[name].problem()
            if problem:
                problems[name] = sentence(spec.label, problem)
                continue
            try:
                patch.update(self._edits.parse(self.entity, {name: text}))
            except (FieldValueError, UnknownFieldError) as error:
                message = getattr(error, "message", str(error))
                problems[name] = sentence(spec.label, message)
        if self.record_id is None:  # an unticked box of a new record is simply not sent
            patch = {
                n: v
                for n, v in patch.items()
                if not (self.editors[n].field.spec.type is FieldType.BOOLEAN and v is False)
            }
        for name, message in problems.items():
            self.show_error(name, message)
        if problems:
            self.focus_first()
            return None
        return patch

    def save(self) -> None:
        """Check and queue the changes (Ctrl+S)."""
        self._task.start(self.save_now())

    async def save_now(self) -> bool:
        """Check and queue the changes; True when they were queued (or nothing changed)."""
        self._clear_errors()
        patch = self._patch()
        if patch is None:
            return False
        try:
            if self.record_id is None:
                record_id = await self._edits.create(self.entity, patch, initiator=self)
            else:
                record_id = self.record_id
                if patch:
                    await self._edits.update(self.entity, record_id, patch, initiator=self)
        except ValidationError as error:
            for problem in error.errors:
                spec = self.editors.get(problem.field)
                label = spec.field.spec.label if spec is not None else problem.field
                self.show_error(problem.field, sentence(label, problem.message))
            self.focus_first()
            return False
        except CrmError as error:
            self._show_form_error(error)
            return False
        self.saved.emit(self.entity, record_id)
        return True

    def cancel(self) -> None:
        """Leave without saving (Esc)."""
        self._task.cancel()
        self.cancelled.emit()

    async def settled(self) -> None:
        """Wait for a save in flight (tests)."""
        await self._task.wait()
