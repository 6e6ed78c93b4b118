"""Search everywhere (Ctrl+K): deals, people and companies at once; Enter jumps to one."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import CrmError
from crmdesk.services.table_types import SearchHit
from crmdesk.ui.tasks import LatestTask

DEBOUNCE_MS = 80
_HIT = Qt.ItemDataRole.UserRole


class GlobalSearch(QDialog):
    """A search box over every table; ``chosen(entity, id)`` when a hit is opened."""

    chosen = Signal(object, int)
    #: Results for the current text are on screen (tests wait on it).
    results_shown = Signal()

    def __init__(self, browse, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("globalSearch")
        self.setWindowTitle("Search everywhere")
        # a popup: no title bar, closes on Escape or a click elsewhere, gives focus back
        self.setWindowFlags(Qt.WindowType.Popup | Qt.WindowType.FramelessWindowHint)
        self.browse = browse
        self.field = QLineEdit(self)
        self.field.setObjectName("globalSearchField")
        self.field.setPlaceholderText("Search deals, people and companies…")
        self.field.setClearButtonEnabled(True)
        self.results = QListWidget(self)
        self.results.setObjectName("globalSearchResults")
        self.results.setUniformItemSizes(True)
        self.hint = QLabel("Type a name, a company, an email or a phone number.", self)
        self.hint.setObjectName("searchHint")
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 12, 12, 12)
        box.addWidget(self.field)
        box.addWidget(self.results, 1)
        box.addWidget(self.hint)
        self.resize(560, 420)
        self._task = LatestTask(lambda error: self.hint.setText(str(error)))
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._search)
        self.field.textChanged.connect(lambda _t: self._timer.start())
        self.field.returnPressed.connect(self._open_current)
        self.results.itemActivated.connect(self._open_item)
        self.field.installEventFilter(self)

    def start(self) -> None:
        """Show the box with the previous text selected."""
        self.field.selectAll()
        self.field.setFocus()
        parent = self.parentWidget()
        if parent is not None:
            centre = parent.geometry().center()
            self.move(centre.x() - self.width() // 2, parent.geometry().top() + 80)
        self.show()
        self.raise_()
        self.activateWindow()

    def eventFilter(self, watched, event) -> bool:
        # Up/Down in the field move through the results without leaving the field.
        if (
            watched is self.field
            and event.type() == event.Type.KeyPress
            and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up)
            and self.results.count()
        ):
            step = 1 if event.key() == Qt.Key.Key_Down else -1
            self.results.setCurrentRow(self._next_row(self.results.currentRow(), step))
            return True
        return super().eventFilter(watched, event)

    def _next_row(self, row: int, step: int) -> int:
        count = self.results.count()
        for _ in range(count):
            row = (row + step) % count
            if self.results.item(row).data(_HIT) is not None:
                return row
        return row

    def _search(self) -> None:
        text = self.field.text()
        if not text.strip():
            self._task.cancel()
            self.results.clear()
            self.hint.setText("Type a name, a company, an email or a phone number.")
            return
        self._task.start(self._run(text))

    async def _run(self, text: str) -> None:
        hits = await self.browse.search(text)
        self.show_hits(hits)

    def show_hits(self, hits: list[SearchHit]) -> None:
        """List hits grouped by entity, the first hit current."""
        self.results.clear()
        current = None
        for entity in (Entity.DEAL, Entity.PERSON, Entity.COMPANY):
            group = [h for h in hits if h.entity is entity]
            if not group:
                continue
            header = QListWidgetItem(entity.plural_label.upper())
            header.setFlags(Qt.ItemFlag.NoItemFlags)
            header.setData(Qt.ItemDataRole.AccessibleTextRole, entity.plural_label)
            self.results.addItem(header)
            for hit in group:
                text = hit.title + (f"   —   {hit.subtitle}" if hit.subtitle else "")
                item = QListWidgetItem(text)
                item.setData(_HIT, (hit.entity, hit.id))
                self.results.addItem(item)
                if current is None:
                    current = item
        if current is not None:
            self.results.setCurrentItem(current)
        count = sum(1 for _ in hits)
        self.hint.setText(
            f"{count} found · Enter opens · Esc closes" if count else "Nothing found."
        )
        self.results_shown.emit()

    def _open_current(self) -> None:
        item = self.results.currentItem()
        if item is not None:
            self._open_item(item)

    def _open_item(self, item: QListWidgetItem) -> None:
        hit = item.data(_HIT)
        if hit is None:
            return
        self.hide()
        self.chosen.emit(hit[0], hit[1])

    def error(self, error: CrmError) -> None:
        """Show an error under the results."""
        self.hint.setText(str(error))

    async def settled(self) -> None:
        """Wait for a search in flight (tests)."""
        await self._task.wait()
