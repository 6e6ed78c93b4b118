"""A table page against a real store: search-as-you-type, stale queries, sorting, filters,
saved views, column chooser persistence, export, detail pane, select all."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path
from typing import Any

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from crmdesk.domain.entities import Entity
from crmdesk.services.table_types import Filter, Sort
from crmdesk.ui.entity_page import EntityPage
from crmdesk.ui.settings import UiSettings
from crmdesk.ui.table_model import DISPLAY
from tests.ui.qt_helpers import next_signal


class Spy:
    """The browse service, counting ``open`` calls; ``hold`` makes the next open wait."""

    def __init__(self, browse: Any) -> None:
        self._browse = browse
        self.opened: list[str] = []
        self.cancelled: list[str] = []
        self.hold: asyncio.Event | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browse, name)

    async def open(self, spec):
        self.opened.append(spec.filter.text)
        hold, self.hold = self.hold, None
        try:
            if hold is not None:
                await hold.wait()
            return await self._browse.open(spec)
        except asyncio.CancelledError:
            self.cancelled.append(spec.filter.text)
            raise


@pytest.fixture
def settings(tmp_path: Path) -> UiSettings:
    return UiSettings(tmp_path / "ui.ini")


def _page(qtbot, browse, settings, entity=Entity.DEAL, account="acct") -> EntityPage:
    page = EntityPage(entity, browse, settings, account)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    return page


def _texts(page: EntityPage, key: str, rows: int | None = None) -> list[str]:
    column = page.model.column_of(key)
    count = page.model.rowCount() if rows is None else rows
    return [page.model.data(page.model.index(r, column), DISPLAY) for r in range(count)]


def test_the_page_loads_rows_and_shows_the_first_record(qtbot, qloop, browse, settings):
    page = _page(qtbot, browse, settings)

    async def scenario() -> None:
        page.activate()
        await page.settled()

    qloop.run(scenario())
    assert page.model.rowCount() == 60
    assert page.count_label.text() == "60 deals"
    assert page.detail.detail is not None
    assert page.detail.detail.id == page.current_id()


def test_search_as_you_type_folds_a_burst_of_keys(qtbot, qloop, browse, settings):
    spy = Spy(browse)
    page = _page(qtbot, spy, settings, Entity.PERSON)

    async def scenario() -> None:
        page.activate()
        await page.settled()
        spy.opened.clear()
        qtbot.keyClicks(page.search, "ann smi")
        await next_signal(page.rows_shown)
        await page.settled()

    qloop.run(scenario())
    # the first key searches at once; the rest of the burst is folded into one search
    assert spy.opened == ["a", "ann smi"]
    assert _texts(page, "name") == ["Ann Smith"]
    assert page.count_label.text() == "1 person matches"


def test_a_newer_search_cancels_the_stale_one(qtbot, qloop, browse, settings):
    spy = Spy(browse)
    page = _page(qtbot, spy, settings, Entity.PERSON)

    async def scenario() -> None:
        page.activate()
        await page.settled()
        spy.hold = asyncio.Event()  # the first search hangs
        page.search.setText("ann")
        page.search.returnPressed.emit()
        await asyncio.sleep(0)
        page.search.setText("ben")
        page.search.returnPressed.emit()
        await page.settled()

    qloop.run(scenario())
    assert spy.opened[-2:] == ["ann", "ben"]
    assert spy.cancelled == ["ann"]
    names = _texts(page, "name")
    assert names
    assert all(name.startswith("Ben ") for name in names)
    assert len(names) == 3  # people 1, 9 and 17


def test_a_header_click_sorts_in_sql_both_ways(qtbot, qloop, browse, settings):
    page = _page(qtbot, browse, settings)

    async def scenario() -> None:
        page.activate()
        await page.settled()
        header = page.table.horizontalHeader()
        column = page.model.column_of("value")
        qtbot.mouseClick(
            header.viewport(),
            Qt.MouseButton.LeftButton,
            pos=header.rect().topLeft() + _section_centre(header, column),
        )
        await page.settled()

    qloop.run(scenario())
    first = page.spec.sort
    values = _texts(page, "value", 3)
    assert first.key == "value"
    expected = ["$6,000.00", "$5,900.00", "$5,800.00"]
    assert values == (expected if first.descending else ["$100.00", "$200.00", "$300.00"])
    assert page.table.horizontalHeader().sortIndicatorSection() == page.model.column_of("value")


def _section_centre(header, logical):
    from PySide6.QtCore import QPoint

    return QPoint(header.sectionViewportPosition(logical) + header.sectionSize(logical) // 2, 5)


def test_filters_from_the_bar_narrow_the_table(qtbot, qloop, browse, settings):
    page = _page(qtbot, browse, settings)

    async def scenario() -> None:
        page.activate()
        await page.settled()
        owner = page.filters.buttons()["owner_ids"]
        owner.set_selected((2,))
        owner.changed.emit()
        await page.settled()
        value = page.filters.buttons()["value"]
        value.set_value(1000.0, 3000.0)
        value.changed.emit()
        await page.settled()

    qloop.run(scenario())
    assert page.spec.filter.owner_ids == (2,)
    assert page.spec.filter.value_min == 1000.0
    assert set(_texts(page, "owner")) == {"Bob Basic"}
    assert page.model.rowCount() == 7  # owner 2 = ids 1, 4, 7...: 12, 15, ..., 30
    assert page.filter_toggle.text() == "Filters (2)"
    assert owner_text(page) == "Owner: Bob Basic"


def owner_text(page: EntityPage) -> str:
    return page.filters.buttons()["owner_ids"].text()


def test_applying_an_account_saved_search_sets_filter_sort_and_columns(
    qtbot, qloop, browse, settings
):
    page = _page(qtbot, browse, settings)

    async def scenario() -> None:
        page.activate()
        await page.settled()
        page.apply_view(browse.saved_views(Entity.DEAL)[0])
        await page.settled()

    qloop.run(scenario())
    assert page.views.text() == "Won deals"
    assert page.model.rowCount() == 15
    assert [k for k, _ in page.table.column_layout()] == ["sync", "name", "value"]
    assert _texts(page, "value", 1) == ["$5,900.00"]
    assert set(_texts(page, "stage")) == {"Won (100%)"}


def test_a_saved_local_view_comes_back_in_a_new_page(qtbot, qloop, browse, settings):
    page = _page(qtbot, browse, settings)

    async def scenario() -> None:
        page.activate()
        await page.settled()
        page.set_filter(Filter(stage_ids=(2,)))
        page.sort_by("close_date", False)
        await page.settled()
        page.save_view("Qualified by close")

    qloop.run(scenario())
    other = _page(qtbot, browse, settings)

    async def reopen() -> None:
        other.activate()
        await other.settled()
        mine = [v for v in browse.saved_views(Entity.DEAL) if v.name == "Qualified by close"]
        other.apply_view(mine[0])
        await other.settled()

    qloop.run(reopen())
    assert other.spec.filter.stage_ids == (2,)
    assert other.spec.sort == Sort("close_date", False)
    assert other.model.rowCount() == 15


def test_the_column_layout_is_remembered_per_entity_and_account(qtbot, qloop, browse, settings):
    page = _page(qtbot, browse, settings)
    page.choose_columns()
    chooser = page._chooser
    chooser.set_checked("owner", False)
    chooser.set_checked("probability", True)
    chooser.move_column("value", 0)
    chooser.accept()
    page.save_state()
    layout = page.table.column_layout()
    keys = [k for k, _ in layout]
    assert keys[:3] == ["sync", "value", "name"]
    assert "owner" not in keys
    assert "probability" in keys

    again = _page(qtbot, browse, settings)
    assert again.table.column_layout() == layout
    elsewhere = _page(qtbot, browse, settings, account="another")
    assert "owner" in [k for k, _ in elsewhere.table.column_layout()]
    people = _page(qtbot, browse, settings, Entity.PERSON)
    assert [k for k, _ in people.table.column_layout()][1] == "name"


def test_export_writes_the_visible_columns_of_the_filtered_view(
    qtbot, qloop, browse, settings, tmp_path
):
    page = _page(qtbot, browse, settings)
    target = tmp_path / "export.csv"

    async def scenario() -> None:
        page.activate()
        await page.settled()
        page.table.apply_column_layout([("company", None), ("name", None), ("value", None)])
        page.set_filter(Filter(text="acme"))
        await page.settled()
        await page.export_to(target)

    qloop.run(scenario())
    rows = list(csv.reader(target.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["Company", "Deal", "Value"]
    assert len(rows) - 1 == page.model.rowCount()
    assert all("Acme" in row[0] + row[1] for row in rows[1:])


def test_the_detail_pane_follows_the_selection_and_shows_plain_text(
    qtbot, qloop, browse, settings, store
):
    store.write_sync(lambda s: s.edits.update(Entity.DEAL, 3, {"name": "<b>bold</b> <img src=x>"}))
    page = _page(qtbot, browse, settings)

    async def scenario() -> None:
        page.activate()
        await page.settled()
        page.show_record(3)
        await page.settled()

    qloop.run(scenario())
    assert page.current_id() == 3
    detail = page.detail
    assert detail.detail.title == "<b>bold</b> <img src=x>"
    titles = [w for w in detail.findChildren(QLabel) if w.objectName() == "detailTitle"]
    assert titles[0].textFormat() == Qt.TextFormat.PlainText
    assert titles[0].text() == "<b>bold</b> <img src=x>"
    assert detail.field_text("custom_label_12") == "South"
    assert detail.related_titles(Entity.COMPANY) == ["Umbrella"]


def test_show_record_clears_a_filter_that_hides_it(qtbot, qloop, browse, settings):
    page = _page(qtbot, browse, settings)

    async def scenario() -> None:
        page.activate()
        await page.settled()
        page.set_filter(Filter(owner_ids=(1,)))
        await page.settled()
        page.show_record(1)  # owner 2: hidden by the filter
        await page.settled()

    qloop.run(scenario())
    assert page.spec.filter == Filter()
    assert page.current_id() == 1


def test_select_all_selects_every_row_as_one_range(qtbot, qloop, browse, settings):
    page = _page(qtbot, browse, settings)

    async def scenario() -> None:
        page.activate()
        await page.settled()

    qloop.run(scenario())
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert page.table.selected_ranges() == [(0, 59)]
    assert page.count_label.text() == "60 selected · 60 deals"


def test_live_changes_refresh_changed_rows_and_pick_up_new_ones(
    qtbot, qloop, browse, settings, store
):
    page = _page(qtbot, browse, settings)

    async def scenario() -> None:
        page.activate()
        await page.settled()
        page.sort_by("value", False)
        await page.settled()
        store.write_sync(lambda s: s.edits.update(Entity.DEAL, 2, {"name": "Renamed"}))
        page.apply_changes(frozenset({2}), reset=False)
        new = store.write_sync(
            lambda s: s.edits.create(Entity.DEAL, {"name": "Brand new", "value": "1"})
        )
        page.apply_changes(frozenset({new}), reset=False)
        await next_signal(page.count_changed)
        await page.settled()

    qloop.run(scenario())
    assert page.model.rowCount() == 61
    assert "Renamed" in _texts(page, "name")
    assert "Brand new" in _texts(page, "name")
