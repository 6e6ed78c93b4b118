"""Resolving a conflict: fields of one record changed here and on the server.

For each field the dialog shows the original value, mine and theirs (who changed it on the
server, and when) with a choice per field, plus "All mine" / "All theirs". Apply resolves
field by field through the EditService; the value that loses is kept in the record's
history (see ``history_dialog``). Fields changed on one side only were merged without
asking and are listed as such. Non-modal: ``open()``, never ``exec()``.

``edits`` is the EditService and ``views`` the ConflictViews service (passed in; ui never
imports the store).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import CrmError
from crmdesk.domain.outbox import Resolution
from crmdesk.ui.detail_pane import plain_label
from crmdesk.ui.tasks import LatestTask

MINE, THEIRS = 1, 2

KEPT_NOTE = (
    "The value you do not keep is not lost: it stays in this record's history "
    "(History… in the detail pane), from where you can restore it."
)


def _when(changed_by: str, changed_at: str) -> str:
    who = changed_by or "someone"
    return f"Changed by {who}" + (f", {changed_at}" if changed_at else "")


class ChoiceLabel(QLabel):
    """A value beside its radio button: wraps (a QRadioButton's text cannot), plain text,
    and a click on it picks the button."""

    def __init__(self, text: str, button: QRadioButton, name: str) -> None:
        super().__init__()
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)
        self.setWordWrap(True)
        self.setObjectName(name)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(120)
        self._button = button
        button.toggled.connect(self._mark)

    def _mark(self, chosen: bool) -> None:
        # the kept value stands out (the stylesheet's [chosen="true"])
        self.setProperty("chosen", chosen)
        self.style().unpolish(self)
        self.style().polish(self)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._button.setChecked(True)
        super().mouseReleaseEvent(event)


def _choice_cell(button: QRadioButton, label: QLabel, caption: str) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(6)
    row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
    column = QVBoxLayout()
    column.setSpacing(1)
    column.addWidget(label)
    if caption:
        column.addWidget(plain_label(caption, "conflictWho"))
    row.addLayout(column, 1)
    return row


class FieldChoice:
    """The widgets of one field in conflict: original, mine, theirs and the choice."""

    def __init__(
        self, parent: QWidget, grid: QGridLayout, row: int, field, *, caption: bool
    ) -> None:
        self.field = field
        self.group = QButtonGroup(parent)
        self.mine = QRadioButton(parent)
        self.mine.setObjectName(f"mine_{field.field}")
        self.mine.setAccessibleName(f"Keep yours: {field.mine}")
        self.theirs = QRadioButton(parent)
        self.theirs.setObjectName(f"theirs_{field.field}")
        self.theirs.setAccessibleName(f"Keep the server's: {field.theirs}")
        self.group.addButton(self.mine, MINE)
        self.group.addButton(self.theirs, THEIRS)
        self.mine_label = ChoiceLabel(field.mine, self.mine, f"mineText_{field.field}")
        self.theirs_label = ChoiceLabel(field.theirs, self.theirs, f"theirsText_{field.field}")
        label = plain_label(field.label, "conflictField")
        original = plain_label(field.original, "conflictOriginal")
        original.setToolTip("The value before either change")
        original.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        top = Qt.AlignmentFlag.AlignTop
        grid.addWidget(label, row, 0, top)
        grid.addWidget(original, row, 1, top)
        grid.addLayout(_choice_cell(self.mine, self.mine_label, ""), row, 2, top)
        who = _when(field.changed_by, field.changed_at) if caption else ""
        grid.addLayout(_choice_cell(self.theirs, self.theirs_label, who), row, 3, top)

    @property
    def choice(self) -> Resolution | None:
        """Mine, theirs, or None while undecided."""
        side = self.group.checkedId()
        return {MINE: Resolution.MINE, THEIRS: Resolution.THEIRS}.get(side)

    def choose(self, resolution: Resolution) -> None:
        """Pick one side."""
        (self.mine if resolution is Resolution.MINE else self.theirs).setChecked(True)


class ConflictDialog(QDialog):
    """Resolve the open conflicts of one record; ``resolved(count)`` after Apply."""

    resolved = Signal(int)
    history_requested = Signal(object, int)

    def __init__(self, edits, views, entity: Entity, record_id: int, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("conflictDialog")
        self.edits = edits
        self.views = views
        self.entity = entity
        self.record_id = record_id
        self.choices: list[FieldChoice] = []
        self._task = LatestTask(self._failed)
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 16, 18, 14)
        box.setSpacing(10)
        self._box = box
        self._holder: QWidget | None = None
        self._body = QVBoxLayout()
        self.message = plain_label("", "dialogMessage")
        self.message.hide()
        box.addWidget(self.message)
        box.addLayout(self._buttons())
        self.reload()
        # as tall as the fields need (a long list scrolls), never a screenful of blank
        self.resize(860, min(max(self.sizeHint().height(), 260), 640))

    def _buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.all_mine = QPushButton("All mine", self)
        self.all_mine.setToolTip("Keep every value you entered here")
        self.all_mine.clicked.connect(lambda: self.choose_all(Resolution.MINE))
        self.all_theirs = QPushButton("All theirs", self)
        self.all_theirs.setToolTip("Keep every value from the server")
        self.all_theirs.clicked.connect(lambda: self.choose_all(Resolution.THEIRS))
        self.history_button = QPushButton("History…", self)
        self.history_button.setToolTip("Values of this record that lost, to restore")
        self.history_button.clicked.connect(
            lambda: self.history_requested.emit(self.entity, self.record_id)
        )
        self.apply_button = QPushButton("Apply", self)
        self.apply_button.setObjectName("applyButton")
        self.apply_button.setDefault(True)
        self.apply_button.clicked.connect(self.apply)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.reject)
        for button in (self.all_mine, self.all_theirs, self.history_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        row.addWidget(self.apply_button)
        return row

    # -------------------------------------------------------------- content

    def reload(self) -> None:
        """Read the record's open conflicts again and rebuild the choices."""
        holder = QWidget(self)
        self._body = QVBoxLayout(holder)
        self._body.setContentsMargins(0, 0, 0, 0)
        self._body.setSpacing(10)
        if self._holder is not None:
            self._box.replaceWidget(self._holder, holder)
            self._holder.deleteLater()
        else:
            self._box.insertWidget(0, holder, 1)
        self._holder = holder
        view = self.views.conflict(self.entity, self.record_id)
        self.view = view
        self.setWindowTitle(f"Resolve conflict - {view.title}")
        self._body.addWidget(plain_label(view.title, "dialogTitle"))
        self.choices = []
        if not view.fields:
            self._body.addWidget(
                plain_label(
                    f"This {self.entity.label.lower()} has no conflicting changes left.",
                    "conflictIntro",
                )
            )
            self._body.addStretch(1)
            self._update_buttons()
            return
        count = len(view.fields)
        noun = "field was" if count == 1 else "fields were"
        # one author and moment for every field (the usual case): say it once, above
        moments = {(f.changed_by, f.changed_at) for f in view.fields}
        common = len(moments) == 1
        who = ""
        if common:
            by, at = moments.pop()
            who = (f" by {by}" if by else "") + (f" ({at})" if at else "")
        intro = (
            f"{count} {noun} changed both here and on the server{who}. "
            "Choose which value to keep for each."
        )
        self._body.addWidget(plain_label(intro, "conflictIntro"))
        self._body.addWidget(self._grid(view, captions=not common), 1)
        if view.merged:
            self._body.addWidget(self._merged(view))
        self._body.addWidget(plain_label(KEPT_NOTE, "conflictNote"))
        self._update_buttons()

    def _grid(self, view, *, captions: bool) -> QScrollArea:
        holder = QWidget()
        holder.setObjectName("conflictGrid")
        grid = QGridLayout(holder)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(10)
        for column, title in enumerate(("Field", "Original", "Yours (here)", "Theirs (server)")):
            grid.addWidget(plain_label(title, "conflictHeader", wrap=False), 0, column)
        for row, field in enumerate(view.fields, 1):
            choice = FieldChoice(holder, grid, row, field, caption=captions)
            choice.group.idToggled.connect(lambda *_: self._update_buttons())
            self.choices.append(choice)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 2)
        grid.setColumnStretch(3, 2)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setSizeAdjustPolicy(QScrollArea.SizeAdjustPolicy.AdjustToContents)
        scroll.setWidget(holder)
        return scroll

    def _merged(self, view) -> QWidget:
        box = QWidget(self)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(
            plain_label("Already merged (changed on one side only):", "conflictHeader")
        )
        for merged in view.merged:
            whose = "yours" if merged.side == "mine" else "the server's"
            line = f"{merged.label}: {merged.value}  ({whose}, {merged.note})"
            layout.addWidget(plain_label(line, "mergedField"))
        return box

    def refresh(self) -> None:
        """The record changed (a sync, another window): show its conflicts now, keeping
        the choices already made."""
        if self._task.running:
            return
        chosen = {c.field.conflict_id: c.choice for c in self.choices if c.choice is not None}
        self.reload()
        for choice in self.choices:
            if choice.field.conflict_id in chosen:
                choice.choose(chosen[choice.field.conflict_id])

    def _update_buttons(self) -> None:
        busy = self._task.running
        decided = bool(self.choices) and all(c.choice is not None for c in self.choices)
        self.apply_button.setEnabled(decided and not busy)
        for button in (self.all_mine, self.all_theirs):
            button.setEnabled(bool(self.choices) and not busy)
        if not self.choices:
            self.cancel_button.setText("Close")

    def choose_all(self, resolution: Resolution) -> None:
        """Pick the same side for every field."""
        for choice in self.choices:
            choice.choose(resolution)

    # -------------------------------------------------------------- applying

    def apply(self) -> None:
        """Resolve every field as chosen (the dialog closes when all went through)."""
        picks = [(c.field.conflict_id, c.choice) for c in self.choices if c.choice is not None]
        if len(picks) != len(self.choices) or not picks:
            return
        self.message.hide()
        self._task.start(self._apply(picks))
        self._update_buttons()

    async def _apply(self, picks: list[tuple[int, Resolution]]) -> None:
        done = 0
        try:
            for conflict_id, resolution in picks:
                await self.edits.resolve(conflict_id, resolution, initiator=self)
                done += 1
        finally:
            if done:
                self.resolved.emit(done)
        self.accept()

    def _failed(self, error: CrmError) -> None:
        # Some fields may have gone through: show what is left, with the reason.
        self.reload()
        self.message.setText(f"Not every choice could be applied: {error}")
        self.message.setProperty("state", "error")
        self.message.show()
        self._update_buttons()
