"""The detail pane beside a table: the selected record's fields, its custom fields grouped
by their custom field groups, and links to related records.

CRM text is always shown as plain text (a name like ``<img src=x>`` is just text); the few
links (email, web, phone) escape their text before it enters a rich-text label. Editing
swaps the pane's content for a record editor (``open_editor``); while it is open, records
shown meanwhile are remembered and appear when it closes, so nothing typed is replaced.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from crmdesk.domain.entities import Entity
from crmdesk.domain.sync_status import RecordSync
from crmdesk.services.table_types import DetailField, RecordDetail

LABEL_WIDTH = 112
#: Sync states the person resolves from the detail pane, with the button's tooltip.
RESOLVABLE = {
    RecordSync.CONFLICT: "Choose, field by field, your value or the server's",
    RecordSync.DELETED_ON_SERVER: "Recreate it as a new record, or discard your changes",
}


def plain_label(text: str, object_name: str = "", *, wrap: bool = True) -> QLabel:
    """A label that never interprets its text as markup."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setWordWrap(wrap)
    if object_name:
        label.setObjectName(object_name)
    return label


def _value_label(field: DetailField) -> QLabel:
    if field.link:
        label = QLabel()
        label.setTextFormat(Qt.TextFormat.RichText)
        # zero-width spaces after @ . / let a long address wrap instead of being cut
        shown = html.escape(field.text)
        for mark in ("@", ".", "/"):
            shown = shown.replace(mark, mark + "\u200b")
        label.setText(f'<a href="{html.escape(field.link)}">{shown}</a>')
        label.setOpenExternalLinks(True)
        label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextBrowserInteraction
            | Qt.TextInteractionFlag.TextSelectableByMouse
        )
    else:
        label = plain_label(field.text)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setObjectName(f"value_{field.name}")
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return label


class LinkLabel(QLabel):
    """A one-line plain-text link that elides to the pane's width (a button would force
    the pane wider than the window); click, Enter or Space opens it."""

    clicked = Signal()

    def __init__(self, text: str, tooltip: str = "") -> None:
        super().__init__()
        self.setObjectName("relatedLink")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setToolTip(tooltip or text)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.full_text = text
        self.setText(text)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        elided = self.fontMetrics().elidedText(
            self.full_text, Qt.TextElideMode.ElideRight, max(10, self.width() - 4)
        )
        if elided != self.text():
            self.setText(elided)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.clicked.emit()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit()
            return
        super().keyPressEvent(event)


class DetailPane(QScrollArea):
    """Shows one record; ``navigate(entity, id)`` asks to open a related record."""

    navigate = Signal(object, int)
    #: the person asks to resolve a conflict / a deletion on the server: (entity, id, sync)
    resolve_requested = Signal(object, int, str)
    #: the person asks for the record's lost values: (entity, id)
    history_requested = Signal(object, int)
    #: The Edit button was clicked (the record shown).
    edit_requested = Signal(object, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailPane")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(260)
        self.detail: RecordDetail | None = None
        self.editable = False  # an Edit button on records (once editing is available)
        self.editor: QWidget | None = None
        self._parked: tuple[str, object] | None = None  # what to show once editing ends
        self.show_message("Select a row to see its details.")

    # -------------------------------------------------------------- editing

    def open_editor(self, editor: QWidget) -> None:
        """Show ``editor`` instead of the record (the pane owns it from now on)."""
        self._parked = ("detail", self.detail) if self.detail is not None else None
        self.editor = editor
        self.setWidget(editor)
        self.verticalScrollBar().setValue(0)

    def close_editor(self) -> None:
        """Back to the record (or to what was shown meanwhile)."""
        if self.editor is None:
            return
        self.editor = None
        parked, self._parked = self._parked, None
        if parked is None:
            self.show_message("Select a row to see its details.")
        elif parked[0] == "detail":
            self.show_detail(parked[1])  # type: ignore[arg-type]
        else:
            self.show_message(str(parked[1]))

    def _fresh(self) -> QVBoxLayout:
        body = QWidget()
        body.setObjectName("detailBody")
        layout = QVBoxLayout(body)
        layout.setContentsMargins(16, 14, 16, 16)
        layout.setSpacing(6)
        self.setWidget(body)
        return layout

    def show_message(self, text: str) -> None:
        """A placeholder text instead of a record."""
        if self.editor is not None:
            self._parked = ("message", text)
            return
        self.detail = None
        layout = self._fresh()
        layout.addStretch(1)
        message = plain_label(text, "detailPlaceholder")
        message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(message)
        layout.addStretch(2)

    def show_detail(self, detail: RecordDetail | None) -> None:
        """Show a record (None: it no longer exists)."""
        if detail is None:
            self.show_message("This record is no longer in the local database.")
            return
        if self.editor is not None:
            self._parked = ("detail", detail)
            return
        self.detail = detail
        layout = self._fresh()
        kind = plain_label(detail.entity.label.upper(), "detailKind")
        if self.editable:
            top = QHBoxLayout()
            top.addWidget(kind, 1)
            edit = QPushButton("Edit", self)
            edit.setObjectName("editButton")
            edit.setToolTip(f"Edit this {detail.entity.label.lower()} (F2)")
            edit.clicked.connect(lambda: self.edit_requested.emit(detail.entity, detail.id))
            top.addWidget(edit)
            layout.addLayout(top)
        else:
            layout.addWidget(kind)
        layout.addWidget(plain_label(detail.title, "detailTitle"))
        if detail.subtitle:
            layout.addWidget(plain_label(detail.subtitle, "detailSubtitle"))
        if detail.badges:
            row = QHBoxLayout()
            row.setSpacing(6)
            for text, colour in detail.badges:
                chip = plain_label(text, "badge", wrap=False)
                # accent colours come from the account (status/stage colours)
                chip.setStyleSheet(
                    f"background-color: {colour}; color: white; border-radius: 9px;"
                    " padding: 2px 9px; font-size: 8.5pt; font-weight: 600;"
                )
                row.addWidget(chip)
            row.addStretch(1)
            layout.addLayout(row)
        self._add_sync_row(layout, detail)
        for section in detail.sections:
            layout.addSpacing(8)
            layout.addWidget(plain_label(section.title, "sectionTitle"))
            form = QFormLayout()
            form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setHorizontalSpacing(14)
            form.setVerticalSpacing(5)
            for field in section.fields:
                label = plain_label(field.label, "fieldLabel", wrap=False)
                label.setMinimumWidth(LABEL_WIDTH)  # aligns the value column across sections
                form.addRow(label, _value_label(field))
            layout.addLayout(form)
        for group in detail.related:
            layout.addSpacing(8)
            title = group.title + (f"  (+{group.more} more)" if group.more else "")
            layout.addWidget(plain_label(title, "sectionTitle"))
            for record in group.records:
                text = record.title + (f"  ·  {record.subtitle}" if record.subtitle else "")
                link = LinkLabel(text, f"Open {record.entity.label.lower()} {record.title}")
                link.clicked.connect(lambda e=record.entity, i=record.id: self.navigate.emit(e, i))
                layout.addWidget(link)
        layout.addStretch(1)

    def _add_sync_row(self, layout: QVBoxLayout, detail: RecordDetail) -> None:
        """The sync note, with "Resolve…" for a conflict or a deletion on the server, and
        a "History…" link when the record has lost values to restore."""
        note_shown = detail.sync is not RecordSync.SYNCED and bool(detail.sync_note)
        if note_shown:
            note = plain_label(detail.sync_note, "syncNote")
            note.setProperty("state", detail.sync.value)
            layout.addWidget(note)
        row = QHBoxLayout()
        row.setSpacing(8)
        if detail.sync in RESOLVABLE:
            button = QPushButton("Resolve…")
            button.setObjectName("resolveButton")
            button.setToolTip(RESOLVABLE[detail.sync])
            button.clicked.connect(
                lambda: self.resolve_requested.emit(detail.entity, detail.id, detail.sync.value)
            )
            row.addWidget(button)
        if detail.lost_values:
            count = detail.lost_values
            link = LinkLabel(
                "History…", f"{count} lost value{'s' if count != 1 else ''} to look at or restore"
            )
            link.setObjectName("historyLink")
            # short and never elided: as wide as its words (padding included)
            link.setMinimumWidth(link.fontMetrics().horizontalAdvance(link.full_text) + 12)
            link.clicked.connect(lambda: self.history_requested.emit(detail.entity, detail.id))
            row.addWidget(link)
        if row.count():
            row.addStretch(1)
            layout.addLayout(row)

    def field_text(self, name: str) -> str | None:
        """The shown text of field ``name`` (tests and accessibility)."""
        if self.detail is None:
            return None
        for section in self.detail.sections:
            for field in section.fields:
                if field.name == name:
                    return field.text
        return None

    def related_titles(self, entity: Entity) -> list[str]:
        """Titles of the related records of one kind that are shown."""
        if self.detail is None:
            return []
        return [r.title for g in self.detail.related if g.entity is entity for r in g.records]
