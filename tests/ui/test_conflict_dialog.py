"""The conflict, history and deleted-on-server dialogs over a real store and EditService,
and how the detail pane and the main window open them."""

from __future__ import annotations

from pathlib import Path

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QRadioButton

from crmdesk.domain.changes import ChangeCause, ChangeSet
from crmdesk.domain.entities import Entity
from crmdesk.domain.outbox import Resolution
from crmdesk.domain.sync_status import RecordSync
from crmdesk.services.conflict_view import ConflictViews
from crmdesk.services.edits import EditService
from crmdesk.services.events import EventBus
from crmdesk.store import Store
from crmdesk.ui.conflict_dialog import KEPT_NOTE, ConflictDialog
from crmdesk.ui.deleted_dialog import DeletedDialog
from crmdesk.ui.history_dialog import HistoryDialog
from crmdesk.ui.main_window import EventBridge, MainWindow
from crmdesk.ui.settings import UiSettings
from tests.conflict_support import delete_on_server, make_conflict
from tests.ui.qt_helpers import next_signal

D = Entity.DEAL


@pytest.fixture
def edits(store: Store) -> EditService:
    return EditService(store, EventBus())


@pytest.fixture
def views(store: Store) -> ConflictViews:
    return ConflictViews(store)


def _conflict(store: Store, rid: int = 5) -> None:
    """Deal 5 ($500, owner Cleo): I set value and owner and rename it; Bob changes value
    and owner on the server."""
    make_conflict(
        store,
        rid,
        {"value": "1250.5", "user_id": 1, "name": "Mine"},
        {"value": "990", "user_id": 2},
    )


def _open(qtbot, cls, edits, views, rid: int):
    dialog = cls(edits, views, D, rid)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def _texts(dialog, name: str) -> list[str]:
    return [label.text() for label in dialog.findChildren(QLabel, name)]


def test_the_dialog_shows_each_field_three_ways_and_who_changed_it(qtbot, store, edits, views):
    _conflict(store)
    dialog = _open(qtbot, ConflictDialog, edits, views, 5)
    assert dialog.isVisible()
    assert dialog.findChild(QLabel, "mineText_value").text() == "$1,250.50"
    assert dialog.findChild(QLabel, "theirsText_value").text() == "$990.00"
    assert dialog.findChild(QLabel, "mineText_user_id").text() == "Ann Admin"
    assert dialog.findChild(QLabel, "theirsText_user_id").text() == "Bob Basic"
    assert sorted(_texts(dialog, "conflictOriginal")) == ["$500.00", "Cleo Closer"]
    # one author and moment for every field: said once, above the fields
    assert _texts(dialog, "conflictIntro") == [
        "2 fields were changed both here and on the server by Bob Basic "
        "(02/20/2026 03:30 PM). Choose which value to keep for each."
    ]
    assert _texts(dialog, "conflictWho") == []
    assert _texts(dialog, "mergedField") == ["Name: Mine  (yours, being sent)"]
    assert _texts(dialog, "conflictNote") == [KEPT_NOTE]
    # nothing is decided for the person: Apply waits for a choice on every field
    assert not dialog.apply_button.isEnabled()
    dialog.findChild(QRadioButton, "mine_value").setChecked(True)
    assert not dialog.apply_button.isEnabled()
    qtbot.mouseClick(dialog.findChild(QLabel, "theirsText_user_id"), Qt.MouseButton.LeftButton)
    assert dialog.findChild(QRadioButton, "theirs_user_id").isChecked()
    assert dialog.findChild(QLabel, "theirsText_user_id").property("chosen") is True
    assert not dialog.findChild(QLabel, "mineText_user_id").property("chosen")
    assert dialog.apply_button.isEnabled()


def test_fields_changed_by_different_people_say_who_changed_each(qtbot, store, edits, views):
    make_conflict(store, 8, {"value": "10"}, {"value": "20"}, by=2)
    make_conflict(
        store, 8, {"summary": "mine"}, {"summary": "theirs"}, by=3, at="2026/02/21 09:05:00 -0000"
    )
    dialog = _open(qtbot, ConflictDialog, edits, views, 8)
    assert _texts(dialog, "conflictWho") == [
        "Changed by Bob Basic, 02/20/2026 03:30 PM",
        "Changed by Cleo Closer, 02/21/2026 09:05 AM",
    ]
    assert _texts(dialog, "conflictIntro")[0].startswith(
        "2 fields were changed both here and on the server. "
    )


def test_apply_resolves_per_field_and_keeps_the_losers(qtbot, qloop, store, edits, views):
    _conflict(store)
    dialog = _open(qtbot, ConflictDialog, edits, views, 5)
    dialog.findChild(QRadioButton, "mine_value").setChecked(True)
    dialog.findChild(QRadioButton, "theirs_user_id").setChecked(True)

    async def scenario() -> tuple:
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
        return await next_signal(dialog.resolved)

    assert qloop.run(scenario()) == (2,)
    assert edits.conflicts(D, 5) == []
    record = store.read().records.get(D, 5)
    assert record.data["value"] == "1250.5"  # mine, queued again on top of theirs
    assert record.data["user_id"] == 2  # theirs
    assert any(e.patch.get("value") == "1250.5" for e in edits.outbox(D, 5))
    lost = {(h.field, h.value) for h in edits.history(D, 5)}
    assert lost == {("value", "990"), ("user_id", 1)}
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)


def test_all_theirs_then_history_restores_mine_as_a_pending_edit(qtbot, qloop, store, edits, views):
    _conflict(store)
    dialog = _open(qtbot, ConflictDialog, edits, views, 5)
    qtbot.mouseClick(dialog.all_theirs, Qt.MouseButton.LeftButton)
    assert all(c.theirs.isChecked() for c in dialog.choices)

    async def resolve() -> None:
        dialog.apply()
        await next_signal(dialog.resolved)

    qloop.run(resolve())
    assert store.read().records.get(D, 5).data["value"] == "990"
    history = _open(qtbot, HistoryDialog, edits, views, 5)
    assert history.table.rowCount() == 2
    rows = {history.table.item(r, 0).text(): r for r in range(2)}
    assert history.table.item(rows["Value"], 1).text() == "$1,250.50"
    value_id = next(v.history_id for v in history.values if v.field == "value")

    async def restore() -> tuple:
        qtbot.mouseClick(history.buttons[value_id], Qt.MouseButton.LeftButton)
        return await next_signal(history.restored)

    assert qloop.run(restore()) == ("Value", "$1,250.50")
    record = store.read().records.get(D, 5)
    assert record.data["value"] == "1250.5"
    assert record.sync is RecordSync.PENDING
    assert history.buttons[value_id].text() == "Restored"


def test_an_open_dialog_follows_its_record_keeping_the_choices_made(
    qtbot, qloop, store, browse, edits, views, tmp_path: Path
):
    bridge = EventBridge()
    window = MainWindow(browse, UiSettings(tmp_path / "ui.ini"), "Test", "acct", bridge=bridge)
    qtbot.addWidget(window)
    qloop.run(window.page.settled())
    window.edits, window.conflict_views = edits, views
    make_conflict(store, 8, {"value": "10"}, {"value": "20"})
    dialog = window.resolve_conflict(D, 8)
    dialog.choose_all(Resolution.THEIRS)
    # a later sync finds the summary in conflict too
    make_conflict(
        store, 8, {"summary": "mine"}, {"summary": "theirs"}, at="2026/02/21 09:05:00 -0000"
    )
    bridge.publish_changes(ChangeSet.of(D, [8], ChangeCause.CONFLICT))
    assert [c.field.field for c in dialog.choices] == ["value", "summary"]
    assert [c.choice for c in dialog.choices] == [Resolution.THEIRS, None]
    assert not dialog.apply_button.isEnabled()
    bridge.publish_changes(ChangeSet.of(D, [9], ChangeCause.CONFLICT))  # another record
    dialog.reject()
    bridge.publish_changes(ChangeSet.of(D, [8], ChangeCause.CONFLICT))  # closed: no-op
    window.close()


def test_crm_text_is_shown_as_plain_text(qtbot, store, edits, views):
    make_conflict(store, 7, {"summary": "<b>mine</b>"}, {"summary": "<img src=x>"})
    dialog = _open(qtbot, ConflictDialog, edits, views, 7)
    assert dialog.findChild(QLabel, "theirsText_summary").text() == "<img src=x>"
    for label in dialog.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText


def test_a_failed_resolution_keeps_the_dialog_open_with_the_reason(
    qtbot, qloop, store, edits, views
):
    _conflict(store)
    dialog = _open(qtbot, ConflictDialog, edits, views, 5)
    dialog.choose_all(Resolution.MINE)
    # meanwhile the conflicts were resolved elsewhere (the CLI, another window)
    for conflict in edits.conflicts(D, 5):
        store.write_sync(lambda s, c=conflict.id: s.conflicts.resolve(c, Resolution.THEIRS))

    async def scenario() -> None:
        dialog.apply()
        await dialog._task.wait()

    qloop.run(scenario())
    assert dialog.isVisible()
    assert "Not every choice could be applied" in dialog.message.text()
    assert dialog.choices == []  # nothing left to resolve


def test_deleted_on_server_recreate_makes_a_new_record(qtbot, qloop, store, edits, views):
    delete_on_server(store, 3, {"value": "42"})
    dialog = _open(qtbot, DeletedDialog, edits, views, 3)
    assert _texts(dialog, "mergedField") == ["Value: $42.00"]

    async def scenario() -> tuple:
        qtbot.mouseClick(dialog.recreate_button, Qt.MouseButton.LeftButton)
        return await next_signal(dialog.recreated)

    entity, new_id = qloop.run(scenario())
    assert (entity, new_id < 0) == (D, True)
    assert store.read().records.get(D, 3) is None
    created = store.read().records.get(D, new_id)
    assert created.data["value"] == "42"
    assert created.sync is RecordSync.NOT_CREATED


def test_deleted_on_server_discard_offers_undo(qtbot, qloop, store, edits, views):
    op = delete_on_server(store, 3, {"value": "42"})
    dialog = _open(qtbot, DeletedDialog, edits, views, 3)

    async def discard() -> tuple:
        qtbot.mouseClick(dialog.discard_button, Qt.MouseButton.LeftButton)
        return await next_signal(dialog.discarded)

    assert qloop.run(discard()) == (1,)
    assert store.read().records.get(D, 3) is None
    assert edits.outbox() == []
    assert dialog.undo_button.isVisible()

    async def undo() -> None:
        qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
        await next_signal(dialog.restored)

    qloop.run(undo())
    assert store.read().records.get(D, 3).sync is RecordSync.DELETED_ON_SERVER
    assert [e.op_id for e in edits.outbox()] == [op]


def test_the_detail_pane_offers_resolve_and_history(qtbot, qloop, store, browse, edits, views):
    from crmdesk.ui.detail_pane import DetailPane

    _conflict(store)
    pane = DetailPane()
    qtbot.addWidget(pane)
    pane.show()
    pane.show_detail(qloop.run(browse.detail(D, 5)))
    assert pane.findChild(QLabel, "syncNote").text().startswith("Changed here and on the server")
    with qtbot.waitSignal(pane.resolve_requested, timeout=1000) as got:
        qtbot.mouseClick(pane.findChild(QPushButton, "resolveButton"), Qt.MouseButton.LeftButton)
    assert got.args == [D, 5, "conflict"]
    assert pane.findChild(QLabel, "historyLink") is None
    for conflict in edits.conflicts(D, 5):
        store.write_sync(lambda s, c=conflict.id: s.conflicts.resolve(c, Resolution.THEIRS))
    pane.show_detail(qloop.run(browse.detail(D, 5)))
    assert pane.findChild(QPushButton, "resolveButton") is None
    link = pane.findChild(QLabel, "historyLink")
    pane.resize(300, 700)
    qtbot.waitUntil(lambda: link.text() == "History…", timeout=1000)  # shown, not elided away
    with qtbot.waitSignal(pane.history_requested, timeout=1000) as got:
        qtbot.mouseClick(link, Qt.MouseButton.LeftButton)
    assert got.args == [D, 5]


def test_the_window_opens_one_dialog_per_record_without_blocking(
    qtbot, qloop, store, browse, edits, views, tmp_path: Path
):
    _conflict(store)
    delete_on_server(store, 3, {"value": "42"})
    window = MainWindow(browse, UiSettings(tmp_path / "ui.ini"), "Test", "acct")
    qtbot.addWidget(window)
    window.show()
    qloop.run(window.page.settled())
    assert window.resolve_conflict(D, 5) is None  # read-only: no edit service yet
    window.edits, window.conflict_views = edits, views
    dialog = window.resolve_conflict(D, 5)
    assert isinstance(dialog, ConflictDialog)
    assert dialog.isVisible()
    assert window.resolve_conflict(D, 5) is dialog
    assert isinstance(window.resolve_deleted(D, 3), DeletedDialog)
    assert isinstance(window.show_history(D, 5), HistoryDialog)
    # the detail pane's button reaches the window
    window.page.detail.resolve_requested.emit(D, 3, "deleted_on_server")
    dialog.choose_all(Resolution.MINE)

    async def apply() -> None:
        dialog.apply()
        await next_signal(dialog.resolved)

    qloop.run(apply())
    assert window.status.currentMessage().startswith("Resolved 2 fields;")
    qtbot.waitUntil(
        lambda: ("conflict", D, 5) not in window.record_dialogs.open_dialogs, timeout=2000
    )
    assert edits.conflicts(D, 5) == []
    window.close()


def test_a_disabled_apply_looks_disabled_in_both_themes():
    from PySide6.QtGui import QPalette

    from crmdesk.ui.style import dark_palette, light_palette

    for palette in (light_palette(), dark_palette()):
        enabled = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText)
        disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
        assert disabled != enabled
