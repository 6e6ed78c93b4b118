"""The main window: keyboard, global search, remembered geometry, status bar and live
change events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from crmdesk.domain.changes import ChangeCause, ChangeSet
from crmdesk.domain.entities import Entity
from crmdesk.domain.sync_status import Connection, SyncStatus
from crmdesk.ui.main_window import EventBridge, MainWindow
from crmdesk.ui.settings import UiSettings
from crmdesk.ui.style import apply_style, stylesheet, tokens
from tests.ui.qt_helpers import next_signal


@pytest.fixture
def ui_ini(tmp_path: Path) -> Path:
    return tmp_path / "ui.ini"


def _window(qtbot, browse, ui_ini: Path, **kwargs) -> MainWindow:
    window = MainWindow(browse, UiSettings(ui_ini), "Test account", "acct", **kwargs)
    qtbot.addWidget(window)
    window.show()
    return window


def _shortcut(qtbot, window: MainWindow, key, modifier=Qt.KeyboardModifier.ControlModifier):
    window.activateWindow()
    window.page.table.setFocus()
    qtbot.keyClick(window.page.table, key, modifier)


def test_title_icon_and_pages(qtbot, qloop, browse, ui_ini):
    window = _window(qtbot, browse, ui_ini)
    qloop.run(window.page.settled())
    assert window.windowTitle() == "crmdesk - Test account"
    assert not window.windowIcon().isNull()
    assert window.page.entity is Entity.DEAL
    assert window.status.rows.text() == "60 deals"
    assert not window.sync_action.isEnabled()  # no sync service given


def test_ctrl_numbers_switch_entities_and_load_them_once(qtbot, qloop, browse, ui_ini):
    window = _window(qtbot, browse, ui_ini)

    async def scenario() -> None:
        await window.page.settled()
        _shortcut(qtbot, window, Qt.Key.Key_2)
        await window.page.settled()
        assert window.page.entity is Entity.PERSON
        assert window.status.rows.text() == "24 people"
        _shortcut(qtbot, window, Qt.Key.Key_3)
        await window.page.settled()
        assert window.page.entity is Entity.COMPANY
        _shortcut(qtbot, window, Qt.Key.Key_1)
        await window.page.settled()

    qloop.run(scenario())
    assert window.page.entity is Entity.DEAL
    assert all(page.loaded for page in window.pages.values())


def test_ctrl_f_focuses_the_table_search(qtbot, qloop, browse, ui_ini):
    window = _window(qtbot, browse, ui_ini)
    qloop.run(window.page.settled())
    _shortcut(qtbot, window, Qt.Key.Key_F)
    assert QApplication.focusWidget() is window.page.search


def test_ctrl_k_finds_a_person_and_enter_opens_it(qtbot, qloop, browse, ui_ini):
    window = _window(qtbot, browse, ui_ini)

    async def scenario() -> None:
        await window.page.settled()
        _shortcut(qtbot, window, Qt.Key.Key_K)
        assert window.search_box.isVisible()
        qtbot.keyClicks(window.search_box.field, "hana tanaka")
        await next_signal(window.search_box.results_shown)
        qtbot.keyClick(window.search_box.field, Qt.Key.Key_Return)
        await window.page.settled()

    qloop.run(scenario())
    assert not window.search_box.isVisible()
    assert window.page.entity is Entity.PERSON
    assert window.page.detail.detail is not None
    assert window.page.detail.detail.title == "Hana Tanaka"
    assert window.page.current_id() == window.page.detail.detail.id


def test_a_related_link_in_the_detail_opens_that_record(qtbot, qloop, browse, ui_ini):
    window = _window(qtbot, browse, ui_ini)

    async def scenario() -> None:
        await window.page.settled()
        window.page.show_record(5)
        await window.page.settled()
        window.page.detail.navigate.emit(Entity.COMPANY, 6)
        await window.page.settled()

    qloop.run(scenario())
    assert window.page.entity is Entity.COMPANY
    assert window.page.current_id() == 6


def test_geometry_splitters_and_page_are_remembered(qtbot, qloop, browse, ui_ini):
    window = _window(qtbot, browse, ui_ini)
    qloop.run(window.page.settled())
    window.resize(720, 540)
    window.show_page(Entity.COMPANY)
    qloop.run(window.page.settled())
    window.pages[Entity.COMPANY].splitter.setSizes([300, 280])
    sizes = window.pages[Entity.COMPANY].splitter.sizes()
    window.close()

    again = _window(qtbot, browse, ui_ini)
    qloop.run(again.page.settled())
    assert again.page.entity is Entity.COMPANY
    assert (again.width(), again.height()) == (720, 540)
    assert again.pages[Entity.COMPANY].splitter.sizes() == sizes


def test_the_status_bar_shows_sync_state_from_the_bridge(qtbot, qloop, browse, ui_ini):
    bridge = EventBridge()
    window = _window(qtbot, browse, ui_ini, bridge=bridge)
    qloop.run(window.page.settled())
    assert window.status.connection.text() == "Local data"
    bridge.publish_status(
        SyncStatus(Connection.SYNCING, phase="Pulling deals", progress=0.25, pending=3)
    )
    assert window.status.connection.text() == "Syncing"
    assert not window.status.progress.isHidden()
    assert window.status.progress.value() == 250
    assert window.status.pending.text() == "3 changes waiting"
    earlier = datetime.now(UTC) - timedelta(minutes=5)
    bridge.publish_status(
        SyncStatus(Connection.OFFLINE, last_sync=earlier, last_error="No network")
    )
    assert window.status.connection.text() == "Offline"
    assert window.status.progress.isHidden()
    assert window.status.phase.text() == "No network"
    assert window.status.last_sync.text() == "Last sync: 5 min ago"


def test_a_change_event_refreshes_only_the_changed_rows(qtbot, qloop, browse, ui_ini, store):
    bridge = EventBridge()
    window = _window(qtbot, browse, ui_ini, bridge=bridge)
    page = window.page
    qloop.run(page.settled())
    shown = page.model.id_at(2)  # a row on screen (its block is cached)
    fetches = page.model.fetches
    store.write_sync(lambda s: s.edits.update(Entity.DEAL, shown, {"name": "Pulled name"}))
    changed = []
    page.model.dataChanged.connect(lambda top, bottom: changed.append((top.row(), bottom.row())))
    bridge.publish_changes(ChangeSet.of(Entity.DEAL, [shown], ChangeCause.PULL))
    qloop.run(page.settled())
    assert changed == [(2, 2)]
    assert page.model.data(page.model.index(2, page.model.column_of("name")), 0) == "Pulled name"
    assert page.model.fetches == fetches + 1  # one block re-read, nothing else


def test_f5_asks_the_sync_service(qtbot, qloop, browse, ui_ini):
    calls = []

    async def sync_now() -> None:
        calls.append("sync")

    window = _window(qtbot, browse, ui_ini, sync_now=sync_now)

    async def scenario() -> None:
        await window.page.settled()
        _shortcut(qtbot, window, Qt.Key.Key_F5, Qt.KeyboardModifier.NoModifier)
        await window._sync_task.wait()

    qloop.run(scenario())
    assert calls == ["sync"]


@pytest.mark.parametrize("dark", [False, True])
def test_the_stylesheet_fills_every_token_in_both_themes(qapp, dark):
    from crmdesk.ui.style import dark_palette, light_palette

    palette = dark_palette() if dark else light_palette()
    sheet = stylesheet(palette, dark)
    assert "@" not in sheet.replace("@tokens", "")
    assert tokens(palette, dark)["text"] != tokens(palette, dark)["base"]


def test_apply_style_follows_the_requested_theme(qapp):
    assert apply_style(qapp, "dark") is True
    assert qapp.palette().color(qapp.palette().ColorRole.Base).lightness() < 80
    assert apply_style(qapp, "light") is False
    assert qapp.palette().color(qapp.palette().ColorRole.Base).lightness() > 200
    qapp.setStyleSheet("")


def test_filter_choices_follow_lists_a_sync_changed(qtbot, qloop, browse, ui_ini, store):
    from crmdesk.domain.records import LookupItem
    from crmdesk.services.table_types import Filter

    bridge = EventBridge()
    window = _window(qtbot, browse, ui_ini, bridge=bridge)
    page = window.page
    qloop.run(page.settled())
    owner = page.filters.buttons()["owner_ids"].choices[0].id
    page.set_filter(Filter(owner_ids=(owner,)))
    qloop.run(page.settled())
    shown = page.model.rowCount()
    stages = store.read().lookups.items("deal_stages")
    added = LookupItem("deal_stages", 990_001, "Negotiation round two", percent=85)
    store.write_sync(lambda s: s.lookups.replace("deal_stages", [*stages, added]))
    before = page.filters.buttons()["stage_ids"].choices
    assert "Negotiation round two (85%)" not in [c.name for c in before]

    bridge.publish_changes(ChangeSet({}, ChangeCause.PULL, lookups=True))
    qloop.run(page.settled())

    names = [c.name for c in page.filters.buttons()["stage_ids"].choices]
    assert "Negotiation round two (85%)" in names
    assert page.filters.buttons()["owner_ids"].selected() == (owner,)  # still filtered
    assert page.spec.filter.owner_ids == (owner,)
    assert page.model.rowCount() == shown


def test_one_created_and_one_deleted_leave_no_blank_row(qtbot, qloop, browse, ui_ini, store):
    # The count stays the same, yet the view's rows changed: the page must re-read them.
    bridge = EventBridge()
    window = _window(qtbot, browse, ui_ini, bridge=bridge)
    page = window.page
    qloop.run(page.settled())
    count = page.model.rowCount()
    gone = page.model.id_at(1)  # a row on screen (its block is cached)
    new_id = store.write_sync(
        lambda s: s.edits.create(Entity.DEAL, {"name": "Aardvark replacement deal"})
    )
    store.write_sync(lambda s: s.edits.delete(Entity.DEAL, gone))
    bridge.publish_changes(ChangeSet.of(Entity.DEAL, [new_id, gone], ChangeCause.LOCAL_EDIT))
    qloop.run(page.settled())
    assert page.model.rowCount() == count
    ids = [page.model.id_at(row) for row in range(count)]
    assert gone not in ids
    assert new_id in ids
    assert all(page.model.row_at(row) is not None for row in range(count))  # no blank row
