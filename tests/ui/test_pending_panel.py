"""The Pending Changes panel, Edit > Undo/Redo, the paused-key banner and the question
before closing - on a window wired to a real store through the edit service."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox

from crmdesk.domain.entities import Entity
from crmdesk.domain.outbox import OpState
from crmdesk.domain.sync_status import Connection, SyncStatus
from crmdesk.services.conflict_view import ConflictViews
from crmdesk.services.edits import EditService
from crmdesk.services.events import EventBus
from crmdesk.services.queue_types import QueueState
from crmdesk.services.queue_view import QueueView
from crmdesk.ui.main_window import EventBridge, MainWindow
from crmdesk.ui.pending_panel import ITEM_ROLE, PendingModel
from crmdesk.ui.settings import UiSettings

D = Entity.DEAL


class Rig:
    """A window attached to a workspace-like object over the test store."""

    def __init__(self, qtbot, browse, store, tmp_path: Path) -> None:
        self.store = store
        self.bus = EventBus()
        self.retries = 0
        self.keys_asked = 0
        self.edits = EditService(store, self.bus, on_retry=self._retried)
        self.bridge = EventBridge()
        self.window = MainWindow(
            browse, UiSettings(tmp_path / "ui.ini"), "Test", "acct", bridge=self.bridge
        )
        qtbot.addWidget(self.window)
        self.window.show()

        async def sync_now() -> None:
            return None

        async def set_key(key: str, remember: bool = True) -> None:
            return None

        workspace = SimpleNamespace(
            bus=self.bus,
            sync=SimpleNamespace(sync_now=sync_now),
            set_key=set_key,
            edits=self.edits,
            queue=QueueView(store),
            conflict_views=ConflictViews(store),
        )
        self.window.attach_sync(workspace, self.bridge)
        self.panel = self.window.pending_panel

    def _retried(self) -> None:
        self.retries += 1

    def queue(self) -> list:
        return self.store.read().outbox.entries()

    def value(self, rid: int, name: str) -> object:
        record = self.store.read().records.get(D, rid)
        return None if record is None else record.data.get(name)

    def texts(self) -> list[list[str]]:
        model = self.panel.model
        return [
            [model.data(model.index(r, c)) for c in range(model.columnCount())]
            for r in range(model.rowCount())
        ]


@pytest.fixture
def rig(qtbot, qloop, browse, store, tmp_path: Path) -> Rig:
    made = Rig(qtbot, browse, store, tmp_path)
    qloop.run(made.window.page.settled())
    yield made
    made.window.close_guard.confirmed = True  # let the test's teardown close it


def test_the_model_passes_qtmodeltester_with_every_kind_of_row(qtmodeltester, rig, store):
    a = store.write_sync(lambda s: s.edits.update(D, 1, {"value": "1"}))
    store.write_sync(lambda s: s.edits.create(D, {"name": "New one"}))
    store.write_sync(lambda s: s.edits.delete(D, 3))
    store.write_sync(lambda s: s.outbox.park(a, OpState.NEEDS_ATTENTION, "Refused"))
    model = PendingModel()
    model.set_items(QueueView(store).items())
    assert model.rowCount() == 3
    qtmodeltester.check(model)
    model.set_items([])
    qtmodeltester.check(model)


def test_the_chip_and_ctrl_shift_p_show_the_panel_with_the_queue(qtbot, qloop, rig):
    name = rig.value(7, "name")
    qloop.run(rig.edits.update(D, 7, {"value": "999"}))
    assert not rig.window.pending_dock.isVisible()
    qtbot.mouseClick(rig.window.status.pending, Qt.MouseButton.LeftButton)
    assert rig.window.pending_dock.isVisible()
    qloop.run(rig.panel.settled())
    assert rig.texts() == [
        [
            f"{name} (deal)",
            "Change",
            "Value: $700.00 → $999.00",
            "Waiting to be sent",
            rig.texts()[0][4],
        ]
    ]
    assert rig.panel.summary.text().startswith("1 change waiting - saved on this computer")
    rig.window.activateWindow()
    rig.window.page.table.setFocus()
    qtbot.keyClick(
        rig.window.page.table,
        Qt.Key.Key_P,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert not rig.window.pending_dock.isVisible()


def test_retry_discard_with_undo_open_edit_and_resolve(qtbot, qloop, rig, store):
    qloop.run(rig.edits.update(D, 4, {"name": "Renamed"}))
    (entry,) = rig.queue()
    store.write_sync(lambda s: s.outbox.mark_sending(entry.op_id))
    store.write_sync(lambda s: s.outbox.fail(entry.op_id, "No answer", retry_after=600))
    rig.window.toggle_pending()
    qloop.run(rig.panel.reload())
    rig.panel.select(0)
    assert rig.panel.current().state is QueueState.FAILED
    assert rig.panel.retry_button.isEnabled()
    qtbot.mouseClick(rig.panel.retry_button, Qt.MouseButton.LeftButton)
    qloop.run(rig.panel._task.wait())
    assert rig.retries == 1
    assert store.read().outbox.get(entry.op_id).next_attempt_at is None
    # Discard, then Undo from the panel
    rig.panel.select(0)
    qtbot.mouseClick(rig.panel.discard_button, Qt.MouseButton.LeftButton)
    qloop.run(rig.panel._task.wait())
    assert rig.queue() == []
    assert rig.value(4, "name") != "Renamed"
    assert rig.panel.model.rowCount() == 0
    assert rig.panel.undo_button.isVisible()
    assert rig.panel.undo_note.text() == "Discarded the change to “Renamed”."
    qtbot.mouseClick(rig.panel.undo_button, Qt.MouseButton.LeftButton)
    qloop.run(rig.panel._task.wait())
    assert [e.op_id for e in rig.queue()] == [entry.op_id]
    assert rig.value(4, "name") == "Renamed"
    assert not rig.panel.undo_button.isVisible()
    # Open record, Edit (the window's editor when it has one), Resolve…
    rig.panel.select(0)
    qtbot.mouseClick(rig.panel.open_button, Qt.MouseButton.LeftButton)
    qloop.run(rig.window.page.settled())
    assert rig.window.page.detail.detail.id == 4
    edited = []
    rig.window.edit_record = lambda entity, rid: edited.append((entity, rid))
    qtbot.mouseClick(rig.panel.edit_button, Qt.MouseButton.LeftButton)
    assert edited == [(D, 4)]
    store.write_sync(lambda s: s.outbox.park(entry.op_id, OpState.DELETED_ON_SERVER, "HTTP 404"))
    qloop.run(rig.panel.reload())
    assert rig.panel.current().state is QueueState.DELETED_ON_SERVER  # selection kept
    assert not rig.panel.retry_button.isEnabled()
    resolved = []
    rig.window.resolve_deleted = lambda entity, rid: resolved.append((entity, rid))
    qtbot.mouseClick(rig.panel.resolve_button, Qt.MouseButton.LeftButton)
    assert resolved == [(D, 4)]


def test_ctrl_z_undoes_the_last_unsent_edit_and_redo_brings_it_back(qtbot, qloop, rig):
    name = rig.value(7, "name")
    before = rig.value(7, "value")
    undo = rig.window.undo_actions.undo
    redo = rig.window.undo_actions.redo
    assert not undo.isEnabled()
    qloop.run(rig.edits.update(D, 7, {"value": "999"}))
    qloop.run(rig.window.page.settled())
    assert undo.isEnabled()  # records_changed updated it
    assert undo.text() == f"Undo change to Value of “{name}”"
    rig.window.activateWindow()
    rig.window.page.table.setFocus()
    qtbot.keyClick(rig.window.page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qloop.run(rig.window.undo_actions._task.wait())
    assert rig.value(7, "value") == before
    assert rig.queue() == []
    qtbot.waitUntil(lambda: redo.isEnabled(), timeout=2000)
    assert not undo.isEnabled()
    assert redo.text() == f"Redo change to Value of “{name}”"
    assert rig.window.status.currentMessage() == f"Undone: change to Value of “{name}”."
    qtbot.keyClick(
        rig.window.page.table,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qloop.run(rig.window.undo_actions._task.wait())
    assert len(rig.queue()) == 1


def test_a_focused_line_edit_keeps_its_own_ctrl_z(qtbot, qloop, rig):
    qloop.run(rig.edits.update(D, 7, {"value": "999"}))
    rig.window.undo_actions.update()
    search = rig.window.page.search
    rig.window.activateWindow()
    search.setFocus()
    qtbot.keyClicks(search, "abc")
    qtbot.keyClick(search, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(search, QLineEdit)
    assert search.text() == ""  # the editor undid its typing
    assert len(rig.queue()) == 1  # the queued edit was left alone
    assert not rig.window.undo_actions._task.running
    qloop.run(rig.window.page.settled())  # the search typed above ran a query


def test_the_banner_shows_while_the_key_is_refused(qtbot, rig):
    banner = rig.window.key_banner
    asked = []
    rig.window.ask_key = lambda: asked.append(True)  # type: ignore[method-assign]
    rig.bridge.publish_status(SyncStatus(Connection.PAUSED, pending=2))
    assert banner.isVisible()
    assert "refused the API key" in banner.text.text()
    assert "Your 2 queued changes stay saved on this computer - nothing is dropped" in (
        banner.text.text()
    )
    assert (
        banner.geometry().top()
        < rig.window.stack.mapTo(rig.window, rig.window.stack.rect().topLeft()).y()
    )
    rig.bridge.publish_status(SyncStatus(Connection.SYNCING, pending=2))
    assert not banner.isVisible()


def test_closing_with_changes_waiting_asks_first(qtbot, qloop, rig):
    qloop.run(rig.edits.update(D, 7, {"value": "999"}))
    qloop.run(rig.edits.update(D, 8, {"value": "998"}))
    closed = []
    rig.window.closed.connect(lambda: closed.append(True))
    rig.window.close()
    box = rig.window.findChild(QMessageBox, "pendingCloseBox")
    assert box is not None
    assert box.text().startswith("2 changes are waiting to be sent to the server.")
    assert "saved on this computer and will be sent the next time" in box.text()
    box.findChild(object, "keepOpen").click()
    assert rig.window.isVisible()
    assert closed == []
    rig.window.close()
    box = rig.window.findChild(QMessageBox, "pendingCloseBox")
    box.findChild(object, "closeAnyway").click()
    qtbot.waitUntil(lambda: closed == [True], timeout=2000)
    assert len(rig.queue()) == 2  # nothing dropped


def test_the_close_question_can_be_answered_by_a_hook(qtbot, rig, qloop):
    qloop.run(rig.edits.update(D, 7, {"value": "999"}))
    asked = []
    rig.window.close_guard.ask = lambda count, answer: asked.append(count)
    rig.window.close()
    assert asked == [1]
    assert rig.window.isVisible()
    rig.window.close_guard.ask = lambda count, answer: answer(True)
    rig.window.close()
    qtbot.waitUntil(lambda: not rig.window.isVisible(), timeout=2000)


def test_rows_carry_their_items(rig, store, qloop):
    store.write_sync(lambda s: s.edits.update(D, 2, {"value": "5"}))
    qloop.run(rig.panel.reload())
    item = rig.panel.model.data(rig.panel.model.index(0, 0), ITEM_ROLE)
    assert (item.entity, item.record_id) == (D, 2)


def test_an_undo_refused_says_why_in_the_status_bar(qtbot, qloop, rig, store):
    qloop.run(rig.edits.update(D, 7, {"value": "999"}))
    (entry,) = rig.queue()
    store.write_sync(lambda s: s.outbox.mark_sending(entry.op_id))
    rig.window.activateWindow()
    rig.window.page.table.setFocus()
    qtbot.keyClick(rig.window.page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qloop.run(rig.window.undo_actions._task.wait())
    assert "it is being sent right now" in rig.window.status.currentMessage()
    qtbot.waitUntil(lambda: not rig.window.undo_actions.undo.isEnabled(), timeout=2000)
    assert rig.window.undo_actions.undo.text() == "Undo"
    assert len(rig.queue()) == 1


def test_discard_or_retry_of_a_change_the_sync_just_sent_says_so(qtbot, qloop, rig, store):
    qloop.run(rig.edits.update(D, 4, {"name": "Renamed"}))
    (entry,) = rig.queue()
    rig.window.toggle_pending()
    qloop.run(rig.panel.reload())
    rig.panel.select(0)
    store.write_sync(lambda s: s.outbox.confirm(entry.op_id, None))  # sent meanwhile
    for button in (rig.panel.discard_button, rig.panel.retry_button):
        if not button.isEnabled():
            continue
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qloop.run(rig.panel._task.wait())
        message = rig.window.status.currentMessage()
        assert message.startswith("The change to “Renamed” was sent to the server meanwhile")
        assert entry.op_id not in message
        rig.panel.select(0)
    assert rig.panel.model.rowCount() == 0  # the panel caught up
    assert not rig.panel.undo_button.isVisible()  # nothing was discarded
