"""One editor widget per field type, all speaking the same language: ``text()`` is what
``EditService.parse`` reads (``1250.50``, ``2026-03-31``, ``yes``, an id, ``3,8``) and
``set_text`` puts such a text back. ``problem()`` names what cannot be saved before any
parsing (a typed name that matches no record).

The form service (``crmdesk.services.edit_form``) gives each field its starting text and
choices; record and lookup names come from it, never from the store directly.
"""

from __future__ import annotations

from PySide6.QtCore import QDate, QDateTime, QSignalBlocker, QStringListModel, Qt, QTime, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateEdit,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crmdesk.domain.fields import FieldType
from crmdesk.services.form_types import Currency, FormField, Option
from crmdesk.ui.style import is_dark, tokens

_EMPTY_DATE = QDate(1900, 1, 1)  # the date editors' "no date" (shown as a dash)
_NONE = "—"
_ID = Qt.ItemDataRole.UserRole


def _lift(widget: QWidget) -> None:
    """Give a spin or date box a field colour a shade off the pane's in a dark theme:
    Fusion draws their frame darker than the window, which vanishes on the dark base
    (a stylesheet border would drop their arrows)."""
    palette = widget.palette()
    if is_dark(palette):
        palette.setColor(QPalette.ColorRole.Base, QColor(tokens(palette, True)["hover"]))
        widget.setPalette(palette)


class FieldEditor(QWidget):
    """Base of the editors; ``changed`` fires on every edit."""

    changed = Signal()

    def __init__(self, field: FormField, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.setObjectName(f"edit_{field.name}")
        self._box = QHBoxLayout(self)
        self._box.setContentsMargins(0, 0, 0, 0)
        self._box.setSpacing(4)

    def text(self) -> str:
        raise NotImplementedError

    def set_text(self, text: str) -> None:
        raise NotImplementedError

    def problem(self) -> str:
        """Why the editor's content cannot be saved as it is ("" when it can)."""
        return ""

    def focus_widget(self) -> QWidget:
        """The widget that takes the keyboard focus."""
        return self


class LineEditor(FieldEditor):
    """Text, numbers and money (with the currency's symbol before the amount)."""

    def __init__(self, field: FormField, currency: Currency | None = None, parent=None) -> None:
        super().__init__(field, parent)
        self.line = QLineEdit(self)
        self.line.setObjectName("fieldInput")
        kind = field.spec.type
        if kind is FieldType.MONEY and currency is not None:
            symbol = QLabel(currency.symbol or currency.code or "", self)
            symbol.setObjectName("currencySymbol")
            symbol.setTextFormat(Qt.TextFormat.PlainText)
            self._box.addWidget(symbol)
            self.line.setPlaceholderText(
                "0." + "0" * currency.decimals if currency.decimals else "0"
            )
        if kind in (FieldType.MONEY, FieldType.DECIMAL, FieldType.INTEGER):
            self.line.setAlignment(Qt.AlignmentFlag.AlignRight)
        self._box.addWidget(self.line, 1)
        self.line.setText(field.text)
        self.line.textEdited.connect(lambda _: self.changed.emit())

    def text(self) -> str:
        return self.line.text()

    def set_text(self, text: str) -> None:
        self.line.setText(text)

    def focus_widget(self) -> QWidget:
        return self.line


class LongTextEditor(FieldEditor):
    """Several lines of text (Tab leaves the field)."""

    def __init__(self, field: FormField, parent=None) -> None:
        super().__init__(field, parent)
        self.edit = QPlainTextEdit(self)
        self.edit.setTabChangesFocus(True)
        self.edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.edit.setPlainText(field.text)
        self.edit.textChanged.connect(self.changed)
        self._box.addWidget(self.edit, 1)

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)

    def focus_widget(self) -> QWidget:
        return self.edit


class PercentEditor(FieldEditor):
    """0..100 %, or none (the dash below 0)."""

    def __init__(self, field: FormField, parent=None) -> None:
        super().__init__(field, parent)
        self.spin = QSpinBox(self)
        self.spin.setRange(-1, 100)
        self.spin.setSpecialValueText(_NONE)
        self.spin.setSuffix("%")
        _lift(self.spin)
        self.set_text(field.text)
        self.spin.valueChanged.connect(lambda _: self.changed.emit())
        self._box.addWidget(self.spin)
        self._box.addStretch(1)

    def text(self) -> str:
        value = self.spin.value()
        return "" if value < 0 else str(value)

    def set_text(self, text: str) -> None:
        try:
            self.spin.setValue(int(text.rstrip("%")) if text.strip() else -1)
        except ValueError:
            self.spin.setValue(-1)

    def focus_widget(self) -> QWidget:
        return self.spin


class DateEditor(FieldEditor):
    """A date (calendar popup) or a date and time; the × clears it."""

    def __init__(self, field: FormField, with_time: bool = False, parent=None) -> None:
        super().__init__(field, parent)
        self.with_time = with_time
        self.edit = QDateTimeEdit(self) if with_time else QDateEdit(self)
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat("yyyy-MM-dd HH:mm" if with_time else "yyyy-MM-dd")
        self.edit.setMinimumDate(_EMPTY_DATE)
        self.edit.setSpecialValueText(_NONE)
        _lift(self.edit)
        clear = QToolButton(self)
        clear.setObjectName("clearDate")
        clear.setText("×")
        clear.setToolTip("No date")
        clear.setAutoRaise(True)
        clear.clicked.connect(self._clear)
        self._box.addWidget(self.edit, 1)
        self._box.addWidget(clear)
        self.set_text(field.text)
        self.edit.dateTimeChanged.connect(self._edited)

    def _clear(self) -> None:
        self.set_text("")
        self.changed.emit()

    def _edited(self, _value) -> None:
        self.changed.emit()

    def text(self) -> str:
        if self.edit.date() == _EMPTY_DATE:
            return ""
        if self.with_time:
            return self.edit.dateTime().toString("yyyy-MM-dd HH:mm")
        return self.edit.date().toString("yyyy-MM-dd")

    def set_text(self, text: str) -> None:
        with QSignalBlocker(self.edit):
            if not text.strip():
                self.edit.setDate(_EMPTY_DATE)
                self.edit.setTime(QTime(0, 0))
                # the calendar of an empty date opens on this month, not on January 1900
                today = QDate.currentDate()
                self.edit.calendarWidget().setCurrentPage(today.year(), today.month())
                return
            if self.with_time:
                found = QDateTime.fromString(text.strip(), "yyyy-MM-dd HH:mm")
                if found.isValid():
                    self.edit.setDateTime(found)
                return
            day = QDate.fromString(text.strip(), "yyyy-MM-dd")
            if day.isValid():
                self.edit.setDate(day)

    def focus_widget(self) -> QWidget:
        return self.edit


class BoolEditor(FieldEditor):
    """A yes/no box."""

    def __init__(self, field: FormField, parent=None) -> None:
        super().__init__(field, parent)
        self.box = QCheckBox(self)
        self.box.setChecked(field.text == "yes")
        self.box.toggled.connect(lambda _: self.changed.emit())
        self._box.addWidget(self.box)
        self._box.addStretch(1)

    def text(self) -> str:
        return "yes" if self.box.isChecked() else "no"

    def set_text(self, text: str) -> None:
        self.box.setChecked(text.strip().lower() in ("yes", "true", "1"))

    def focus_widget(self) -> QWidget:
        return self.box


class ChoiceEditor(FieldEditor):
    """A dropdown of the field's options (a dash for none unless it is required)."""

    def __init__(self, field: FormField, parent=None) -> None:
        super().__init__(field, parent)
        self.combo = QComboBox(self)
        self.combo.setObjectName("fieldChoice")
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setMinimumContentsLength(6)
        self.set_options(field.options or (), field.text)
        self.combo.currentIndexChanged.connect(lambda _: self.changed.emit())
        self._box.addWidget(self.combo, 1)

    def set_options(self, options, text: str | None = None) -> None:
        """Replace the choices, keeping the current one when it is still there (none
        when ``text`` is None and it is not)."""
        keep = text
        if keep is None:
            current = self.text()
            keep = current if any(str(o.value) == current for o in options) else ""
        with QSignalBlocker(self.combo):
            self.combo.clear()
            if not self.field.spec.required:
                self.combo.addItem(_NONE, "")
            for option in options:
                self.combo.addItem(option.label, str(option.value))
            self._select(keep)

    def _select(self, text: str) -> None:
        at = self.combo.findData(text)
        if at < 0 and text:  # a value the lists do not know (yet): keep it, by id
            self.combo.addItem(f"#{text}", text)
            at = self.combo.count() - 1
        self.combo.setCurrentIndex(max(at, 0))

    def text(self) -> str:
        data = self.combo.currentData()
        return "" if data is None else str(data)

    def set_text(self, text: str) -> None:
        self._select(text)

    def focus_widget(self) -> QWidget:
        return self.combo


class RecordPicker(FieldEditor):
    """A person or company typed by name: the completer offers matches as one types."""

    def __init__(self, field: FormField, search, parent=None) -> None:
        super().__init__(field, parent)
        self._search = search  # (text) -> [Option]
        self.line = QLineEdit(self)
        self.line.setObjectName("recordPicker")
        self.line.setPlaceholderText(
            f"Type to find a {field.spec.ref.value}…" if field.spec.ref else ""
        )
        self.line.setClearButtonEnabled(True)
        self._found = QStringListModel(self)
        self._options: dict[str, Option] = {}
        completer = QCompleter(self._found, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.activated[str].connect(self._chosen)  # type: ignore[index]
        self.line.setCompleter(completer)
        self.line.textEdited.connect(self._typed)
        self._box.addWidget(self.line, 1)
        self.chosen: Option | None = field.selected[0] if field.selected else None
        self.line.setText(self.chosen.label if self.chosen else "")

    def _typed(self, text: str) -> None:
        if text.strip():
            self._options = {}
            for option in self._search(text):
                label = option.label
                if label in self._options:  # two people of one name: tell them apart
                    label = f"{label} (#{option.value})"
                self._options[label] = option
            self._found.setStringList(list(self._options))
        if self.chosen is not None and text != self.chosen.label:
            self.chosen = None
        self.changed.emit()

    def _chosen(self, label: str) -> None:
        found = self._options.get(label)
        # keep the label shown (it may carry an #id) so that later typing is noticed
        self.chosen = None if found is None else Option(found.value, label)
        self.changed.emit()

    def choose(self, option: Option | None) -> None:
        """Pick a record (None: none)."""
        self.chosen = option
        self.line.setText(option.label if option else "")
        self.changed.emit()

    def text(self) -> str:
        return "" if self.chosen is None else str(self.chosen.value)

    def set_text(self, text: str) -> None:
        if not text:
            self.choose(None)

    def problem(self) -> str:
        if self.chosen is None and self.line.text().strip():
            return "choose a name from the list that opens as you type"
        return ""

    def focus_widget(self) -> QWidget:
        return self.line


class MultiEditor(FieldEditor):
    """Several choices: a checkable list; searched tables add rows through a picker."""

    def __init__(self, field: FormField, search=None, parent=None) -> None:
        super().__init__(field, parent)
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(3)
        self.list = QListWidget(self)
        self.list.setObjectName("multiChoice")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.list.setUniformItemSizes(True)
        chosen = {int(p) for p in field.text.split(",") if p.strip().lstrip("-").isdigit()}
        options = list(field.options) if field.options is not None else list(field.selected)
        known = {o.value for o in options}
        options += [Option(i, f"#{i}") for i in sorted(chosen - known)]
        for option in options:
            self._add(option, int(option.value) in chosen)
        rows = max(1, min(len(options), 5))
        self.list.setFixedHeight(rows * (self.fontMetrics().height() + 6) + 6)
        self.list.itemChanged.connect(lambda _: self.changed.emit())
        column.addWidget(self.list)
        self.picker: RecordPicker | None = None
        if search is not None:
            self.picker = RecordPicker(field, search, self)
            self.picker.choose(None)
            self.picker.line.setPlaceholderText("Type to add…")
            self.picker.changed.connect(self._picked)
            column.addWidget(self.picker)
            # a searched list with nothing in it yet is just its "Type to add" line
            self.list.setVisible(self.list.count() > 0)
        self._box.addLayout(column, 1)

    def _add(self, option: Option, checked: bool) -> None:
        item = QListWidgetItem(option.label, self.list)
        item.setData(_ID, int(option.value))
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def _picked(self) -> None:
        assert self.picker is not None
        option = self.picker.chosen
        if option is None:
            return
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(_ID) == int(option.value):
                item.setCheckState(Qt.CheckState.Checked)
                break
        else:
            self._add(option, True)
            self.list.show()
            rows = min(self.list.count(), 5)
            self.list.setFixedHeight(rows * (self.fontMetrics().height() + 6) + 6)
        self.picker.choose(None)
        self.changed.emit()

    def checked_ids(self) -> list[int]:
        """Ids of the checked rows, in list order."""
        return [
            self.list.item(r).data(_ID)
            for r in range(self.list.count())
            if self.list.item(r).checkState() == Qt.CheckState.Checked
        ]

    def text(self) -> str:
        return ",".join(str(i) for i in self.checked_ids())

    def set_text(self, text: str) -> None:
        wanted = {int(p) for p in text.split(",") if p.strip().lstrip("-").isdigit()}
        for row in range(self.list.count()):
            item = self.list.item(row)
            state = Qt.CheckState.Checked if item.data(_ID) in wanted else Qt.CheckState.Unchecked
            item.setCheckState(state)

    def focus_widget(self) -> QWidget:
        return self.list


def make_editor(field: FormField, currency: Currency, forms, parent=None) -> FieldEditor:
    """The editor of a field's type (``forms`` answers the record pickers' searches)."""
    kind = field.spec.type
    ref = field.search

    def search(text: str):
        return forms.search(ref, text)

    if kind is FieldType.REF_LIST:
        return MultiEditor(field, search if ref is not None else None, parent)
    if kind is FieldType.REF and ref is not None:
        return RecordPicker(field, search, parent)
    if kind in (FieldType.REF, FieldType.CHOICE) and field.options is not None:
        return ChoiceEditor(field, parent)
    if kind is FieldType.LONG_TEXT:
        return LongTextEditor(field, parent)
    if kind is FieldType.PERCENT:
        return PercentEditor(field, parent)
    if kind in (FieldType.DATE, FieldType.DATETIME):
        return DateEditor(field, kind is FieldType.DATETIME, parent)
    if kind is FieldType.BOOLEAN:
        return BoolEditor(field, parent)
    return LineEditor(field, currency, parent)
