"""The filter strip above a table: one compact button per filter, each opening a popup.

Owner, stage, status, source (deals), lead source/status and type (people), customer
(companies) are multi-choice lists; value, expected close and modified are ranges. The bar
edits a ``Filter``; the page turns it into a new query.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from crmdesk.domain.timefmt import parse_date
from crmdesk.services.table_types import Choice, Filter, FilterChoices
from crmdesk.ui.icons import dot_icon


class _FilterButton(QToolButton):
    changed = Signal()

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self.setObjectName("filterButton")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setText(label)

    def _show_state(self, summary: str) -> None:
        self.setText(f"{self.label}: {summary}" if summary else self.label)
        self.setProperty("active", bool(summary))
        self.style().unpolish(self)
        self.style().polish(self)


class _ChoiceList(QListWidget):
    """A list whose rows toggle on click, Space or Enter."""

    def keyPressEvent(self, event) -> None:
        item = self.currentItem()
        if item is not None and event.key() in (
            Qt.Key.Key_Space,
            Qt.Key.Key_Return,
            Qt.Key.Key_Enter,
        ):
            self.itemClicked.emit(item)
            event.accept()
            return
        super().keyPressEvent(event)


class ChoiceButton(_FilterButton):
    """A multi-choice filter: a checkable list in a popup."""

    def __init__(self, label: str, choices: tuple[Choice, ...], parent: QWidget | None = None):
        super().__init__(label, parent)
        self.choices = choices
        self._list = _ChoiceList()
        self._list.setObjectName("choiceList")
        self._list.setTextElideMode(Qt.TextElideMode.ElideRight)
        for choice in choices:
            item = QListWidgetItem(choice.name)
            item.setData(Qt.ItemDataRole.UserRole, choice.id)
            # not user-checkable: a click anywhere on the row toggles it (see _item_clicked)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            if choice.colour:
                item.setIcon(dot_icon(choice.colour))
            self._list.addItem(item)
        rows = min(len(choices), 12)
        self._list.setMinimumWidth(220)
        self._list.setFixedHeight(max(1, rows) * self._list.sizeHintForRow(0) + 8)
        self._list.itemChanged.connect(self._item_changed)
        self._list.itemClicked.connect(self._item_clicked)
        menu = QMenu(self)
        action = QWidgetAction(menu)
        action.setDefaultWidget(self._list)
        menu.addAction(action)
        menu.addSeparator()
        menu.addAction("Clear", self._clear)
        self.setMenu(menu)
        self._quiet = False

    def _item_clicked(self, item: QListWidgetItem) -> None:
        checked = item.checkState() == Qt.CheckState.Checked
        item.setCheckState(Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked)

    def _clear(self) -> None:
        self.set_selected(())
        self.changed.emit()

    def _item_changed(self, _item: QListWidgetItem) -> None:
        self._refresh()
        if not self._quiet:
            self.changed.emit()

    def selected(self) -> tuple:
        """Ids of the checked choices, in list order."""
        return tuple(
            self._list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self._list.count())
            if self._list.item(i).checkState() == Qt.CheckState.Checked
        )

    def set_selected(self, ids) -> None:
        """Check exactly ``ids`` (without emitting ``changed``)."""
        wanted = set(ids)
        self._quiet = True
        try:
            for i in range(self._list.count()):
                item = self._list.item(i)
                on = item.data(Qt.ItemDataRole.UserRole) in wanted
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        finally:
            self._quiet = False
        self._refresh()

    def _refresh(self) -> None:
        chosen = self.selected()
        names = [c.name for c in self.choices if c.id in chosen]
        summary = names[0] if len(names) == 1 else (f"{len(names)} selected" if names else "")
        self._show_state(summary)


class RangeButton(_FilterButton):
    """A from/to filter for numbers or dates; either end may stay empty."""

    def __init__(self, label: str, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(label, parent)
        self.kind = kind  # "number" | "date"
        panel = QWidget()
        panel.setObjectName("rangePanel")
        grid = QGridLayout(panel)
        hint = "e.g. 5000" if kind == "number" else "YYYY-MM-DD"
        self._low = QLineEdit()
        self._high = QLineEdit()
        for edit in (self._low, self._high):
            edit.setPlaceholderText(hint)
            edit.setClearButtonEnabled(True)
            edit.returnPressed.connect(self._apply)
        self._error = QLabel()
        self._error.setObjectName("fieldError")
        self._error.setTextFormat(Qt.TextFormat.PlainText)
        self._error.hide()
        apply = QPushButton("Apply")
        apply.setDefault(True)
        apply.clicked.connect(self._apply)
        clear = QPushButton("Clear")
        clear.clicked.connect(self._clear)
        grid.addWidget(QLabel("From"), 0, 0)
        grid.addWidget(self._low, 0, 1)
        grid.addWidget(QLabel("To"), 1, 0)
        grid.addWidget(self._high, 1, 1)
        grid.addWidget(self._error, 2, 0, 1, 2)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(clear)
        buttons.addWidget(apply)
        grid.addLayout(buttons, 3, 0, 1, 2)
        self._menu = QMenu(self)
        action = QWidgetAction(self._menu)
        action.setDefaultWidget(panel)
        self._menu.addAction(action)
        self._menu.aboutToShow.connect(self._low.setFocus)
        self.setMenu(self._menu)
        self._value: tuple = (None, None)

    def _parse(self, text: str):
        text = text.strip()
        if not text:
            return None
        if self.kind == "number":
            return float(text.replace(",", "").lstrip("$€£"))
        return parse_date(text)

    def _apply(self) -> None:
        try:
            low, high = self._parse(self._low.text()), self._parse(self._high.text())
        except ValueError:
            expected = "a number, like 5000" if self.kind == "number" else "a date like 2026-03-31"
            self._error.setText(f"Enter {expected}.")
            self._error.show()
            return
        if low is not None and high is not None and low > high:
            low, high = high, low
        self._error.hide()
        self.set_value(low, high)
        self._menu.close()
        self.changed.emit()

    def _clear(self) -> None:
        self.set_value(None, None)
        self._menu.close()
        self.changed.emit()

    def value(self) -> tuple:
        """(low, high); either may be None."""
        return self._value

    def set_value(self, low, high) -> None:
        """Show a range (without emitting ``changed``)."""
        self._value = (low, high)
        show = self._show
        self._low.setText(show(low))
        self._high.setText(show(high))
        if low is None and high is None:
            summary = ""
        elif high is None:
            summary = f"≥ {show(low)}"
        elif low is None:
            summary = f"≤ {show(high)}"
        else:
            summary = f"{show(low)} – {show(high)}"
        self._show_state(summary)

    def _show(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
        return value.isoformat()


class FilterBar(QWidget):
    """The filters of one entity's table; ``changed`` fires when any of them changes."""

    changed = Signal()

    def __init__(self, choices: FilterChoices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self._choices: dict[str, ChoiceButton] = {}
        self._ranges: dict[str, RangeButton] = {}
        for name, label, options in (
            ("owner_ids", "Owner", choices.owners),
            ("stage_ids", "Stage", choices.stages),
            ("statuses", "Status", choices.statuses),
            ("source_ids", "Source", choices.sources),
            ("person_types", "Type", choices.person_types),
            ("lead_status_ids", "Lead status", choices.lead_statuses),
            ("lead_source_ids", "Lead source", choices.lead_sources),
        ):
            if options:
                button = ChoiceButton(label, options, self)
                button.changed.connect(self.changed)
                self._choices[name] = button
                layout.addWidget(button)
        if choices.customer:
            customer = ChoiceButton(
                "Customer", (Choice("yes", "Customers"), Choice("no", "Not customers")), self
            )
            customer.changed.connect(self.changed)
            self._choices["is_customer"] = customer
            layout.addWidget(customer)
        ranges = []
        if choices.value_range:
            ranges.append(("value", "Value", "number"))
        if choices.close_range:
            ranges.append(("close", "Expected close", "date"))
        ranges.append(("modified", "Modified", "date"))
        for name, label, kind in ranges:
            span = RangeButton(label, kind, self)
            span.changed.connect(self.changed)
            self._ranges[name] = span
            layout.addWidget(span)
        self._clear = QToolButton(self)
        self._clear.setObjectName("clearFilters")
        self._clear.setText("Clear filters")
        self._clear.clicked.connect(self.clear)
        layout.addWidget(self._clear)
        layout.addStretch(1)

    def buttons(self) -> dict[str, QToolButton]:
        """The filter buttons by filter name (tests drive them)."""
        found: dict[str, QToolButton] = {}
        found.update(self._choices)
        found.update(self._ranges)
        return found

    def clear(self) -> None:
        """Remove every filter (search text is not the bar's)."""
        self.set_filter(Filter())
        self.changed.emit()

    def set_filter(self, value: Filter) -> None:
        """Show ``value``'s filters (without emitting ``changed``)."""
        for name, choice in self._choices.items():
            if name == "is_customer":
                choice.set_selected(
                    () if value.is_customer is None else ("yes" if value.is_customer else "no",)
                )
            else:
                choice.set_selected(getattr(value, name))
        pairs = {
            "value": (value.value_min, value.value_max),
            "close": (value.close_from, value.close_to),
            "modified": (
                value.modified_from.date() if value.modified_from else None,
                value.modified_to.date() if value.modified_to else None,
            ),
        }
        for name, span in self._ranges.items():
            span.set_value(*pairs[name])
        self._clear.setEnabled(bool(value.without_text().active_count))

    def apply_to(self, base: Filter) -> Filter:
        """``base`` (its search text kept) with the bar's filters."""
        values: dict = {}
        for name, choice in self._choices.items():
            chosen = choice.selected()
            if name == "is_customer":
                values[name] = chosen[0] == "yes" if len(chosen) == 1 else None
            else:
                values[name] = tuple(chosen)
        if "value" in self._ranges:
            values["value_min"], values["value_max"] = self._ranges["value"].value()
        if "close" in self._ranges:
            values["close_from"], values["close_to"] = self._ranges["close"].value()
        low, high = self._ranges["modified"].value()
        values["modified_from"] = _day_start(low)
        values["modified_to"] = _day_end(high)
        result = replace(base, **values)
        self._clear.setEnabled(bool(result.without_text().active_count))
        return result


def _day_start(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time.min).astimezone()


def _day_end(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time.max).astimezone()
