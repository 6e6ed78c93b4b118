"""The record editor in the main window over a real store and EditService: an editor per
field type, checks with red messages that keep what was typed, saving only what changed,
creating, deleting with Undo, and the server's complaints next to their fields."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import FieldError
from crmdesk.domain.outbox import OpKind, OpState
from crmdesk.domain.sync_status import RecordSync
from crmdesk.services import edit_form
from crmdesk.services.conflict_view import ConflictViews
from crmdesk.services.edit_form import EditFormService
from crmdesk.services.edits import EditService
from crmdesk.services.events import EventBus
from crmdesk.services.queue_view import QueueView
from crmdesk.ui.field_editors import (
    BoolEditor,
    ChoiceEditor,
    DateEditor,
    LineEditor,
    LongTextEditor,
    MultiEditor,
    PercentEditor,
    RecordPicker,
)
from crmdesk.ui.main_window import EventBridge, MainWindow
from crmdesk.ui.record_editor import RecordEditor
from crmdesk.ui.settings import UiSettings
from tests.ui.qt_helpers import answer_question

D, P, C = Entity.DEAL, Entity.PERSON, Entity.COMPANY


@pytest.fixture
def window(qtbot, qloop, browse, store, tmp_path: Path) -> Iterator[MainWindow]:
    bridge = EventBridge()
    bus = EventBus()
    edits = EditService(store, bus)
    workspace = SimpleNamespace(
        bus=bus,
        edits=edits,
        forms=EditFormService(store),
        queue=QueueView(store),
        conflict_views=ConflictViews(store),
        sync=SimpleNamespace(sync_now=None),
        set_key=None,
    )
    shown = MainWindow(browse, UiSettings(tmp_path / "ui.ini"), "Test", "acct", bridge=bridge)
    shown.show()
    qloop.run(shown.page.settled())
    shown.attach_sync(workspace, bridge)
    yield shown
    # an editor left with typing would ask before the window closes (a modal box)
    for page in shown.pages.values():
        qloop.run(page.settled())
        editing = getattr(page, "editing", None)
        if editing is not None and editing.editor is not None:
            editing.editor.cancel()
    shown.close()  # not qtbot.addWidget: it closes the window before this teardown
    shown.deleteLater()


def _select(qloop, window: MainWindow, entity: Entity, record_id: int):
    page = window.show_page(entity)
    qloop.run(page.settled())
    page.show_record(record_id)
    qloop.run(page.settled())
    assert page.current_id() == record_id
    return page


def _row(page, record_id: int):
    for row in range(page.model.rowCount()):
        if page.model.id_at(row) == record_id:
            return page.model.row_at(row)
    return None


def _press(qtbot, widget, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    widget.activateWindow()
    widget.setFocus()
    qtbot.keyClick(widget, key, modifier)


def test_f2_opens_an_editor_per_field_type(qtbot, qloop, window):
    page = _select(qloop, window, D, 7)
    _press(qtbot, page.table, Qt.Key.Key_F2)
    editor = page.detail.editor
    assert isinstance(editor, RecordEditor)
    kinds = {name: type(e) for name, e in editor.editors.items()}
    assert kinds["name"] is LineEditor
    assert kinds["summary"] is LongTextEditor
    assert kinds["value"] is LineEditor
    assert kinds["probability"] is PercentEditor
    assert kinds["expected_close_date"] is DateEditor
    assert kinds["closed_time"] is DateEditor
    assert kinds["is_archived"] is BoolEditor
    assert kinds["deal_stage_id"] is ChoiceEditor
    assert kinds["custom_label_12"] is ChoiceEditor  # a dropdown custom field
    assert kinds["person_ids"] is MultiEditor
    value = editor.editors["value"]
    assert value.findChild(type(editor.form_error), "currencySymbol").text() == "$"
    assert value.text() == "700.00"
    assert editor.editors["deal_stage_id"].combo.currentText() == "Won (100%)"
    assert editor.editors["expected_close_date"].text() == "2026-08-15"
    # the Edit button of the detail pane is there once the editor is closed again
    _press(qtbot, editor.editors["name"].line, Qt.Key.Key_Escape)
    assert page.detail.editor is None
    assert page.detail.findChild(QPushButton, "editButton") is not None


def test_save_sends_only_the_changed_fields_and_the_row_shows_pending(qtbot, qloop, window, store):
    page = _select(qloop, window, D, 7)
    editor = page.editing.edit()
    editor.editors["value"].line.setText("1,234.5")
    editor.editors["probability"].spin.setValue(40)
    editor.editors["expected_close_date"].set_text("")  # cleared
    _press(qtbot, editor.editors["value"].line, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qloop.run(editor.settled())
    assert page.detail.editor is None  # back to the record
    entries = store.read().outbox.entries(entity=D, record_id=7)
    assert [e.kind for e in entries] == [OpKind.UPDATE]
    assert dict(entries[0].patch) == {
        "value": "1234.5",
        "probability": 40,
        "expected_close_date": None,
    }
    qloop.run(page.settled())
    assert _row(page, 7).sync is RecordSync.PENDING
    assert page.detail.field_text("probability") == "40%"


def test_bad_values_are_shown_in_red_by_their_fields_and_nothing_typed_is_lost(
    qtbot, qloop, window, store
):
    page = _select(qloop, window, D, 7)
    editor = page.editing.edit()
    editor.editors["name"].line.setText("   ")
    editor.editors["value"].line.setText("lots")
    editor.editors["custom_label_11"].line.setText("Net 90")
    assert qloop.run(editor.save_now()) is False
    assert editor.error_text("name") == "Name is required"
    assert editor.error_text("value") == "Value must be an amount, like 1250.50"
    assert editor.error_text("custom_label_11") == ""
    assert editor.findChild(type(editor.form_error), "error_value").isVisible()
    assert page.detail.editor is editor  # still open, with every typed value
    assert editor.editors["value"].text() == "lots"
    assert editor.editors["custom_label_11"].text() == "Net 90"
    assert store.read().outbox.entries(entity=D, record_id=7) == []
    # fixing the value hides its message; a second save goes through
    editor.editors["name"].line.setText("Fixed name")
    editor.editors["value"].line.setText("99")
    assert qloop.run(editor.save_now()) is True
    patch = store.read().outbox.entries(entity=D, record_id=7)[0].patch
    assert dict(patch) == {"name": "Fixed name", "value": "99", "custom_label_11": "Net 90"}


def test_a_person_needs_a_first_or_last_name(qloop, window):
    page = _select(qloop, window, P, 3)
    editor = page.editing.edit()
    editor.editors["first_name"].line.setText("")
    editor.editors["last_name"].line.setText("")
    assert qloop.run(editor.save_now()) is False
    assert editor.error_text("last_name") == "A person needs a first or last name"


def test_ctrl_n_creates_a_record_that_shows_at_once_not_yet_synced(qtbot, qloop, window, store):
    page = window.show_page(C)
    qloop.run(page.settled())
    _press(qtbot, page.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    editor = page.detail.editor
    assert editor is not None
    assert editor.record_id is None
    assert qloop.run(editor.save_now()) is False  # a company needs its name
    assert editor.error_text("name") == "Name is required"
    editor.editors["name"].line.setText("Zeta Widgets")
    editor.editors["custom_label_31"].line.setText("250")
    assert qloop.run(editor.save_now()) is True
    qloop.run(page.settled())
    new_id = page.current_id()
    assert new_id is not None
    assert new_id < 0
    assert _row(page, new_id).sync is RecordSync.NOT_CREATED
    assert page.detail.detail.title == "Zeta Widgets"
    assert page.count_label.text() == "7 companies"
    created = store.read().outbox.entries(entity=C, record_id=new_id)
    assert [e.kind for e in created] == [OpKind.CREATE]


def test_delete_asks_removes_the_row_and_undo_brings_it_back(qtbot, qloop, window, store):
    page = _select(qloop, window, D, 7)
    window.record_menu.delete_action.trigger()
    assert _row(page, 7) is not None  # nothing happens before the answer
    asked = answer_question(window, "deleteQuestion", QMessageBox.StandardButton.Yes)
    qloop.run(page.editing.settled())
    qloop.run(page.settled())
    assert "Initech Rollout 7" in asked
    assert _row(page, 7) is None
    assert page.count_label.text() == "59 deals"
    undo = window.record_menu.undo
    assert undo.available
    assert undo.label.text() == "“Initech Rollout 7” deleted."
    assert undo.strip.isVisible()
    qtbot.mouseClick(undo.button, Qt.MouseButton.LeftButton)
    qloop.run(undo.settled())
    qloop.run(page.settled())
    assert _row(page, 7) is not None
    assert store.read().outbox.entries(entity=D, record_id=7) == []


def test_cancelling_the_question_deletes_nothing(qloop, window, store):
    page = _select(qloop, window, D, 7)
    window.record_menu.delete_action.trigger()
    answer_question(window, "deleteQuestion", QMessageBox.StandardButton.Cancel)
    qloop.run(page.settled())
    assert _row(page, 7) is not None
    assert store.read().outbox.entries() == []


def test_edit_record_shows_the_servers_field_errors(qloop, window, store):
    edits = window.edits
    op_id = qloop.run(edits.update(D, 7, {"company_id": 999}))
    store.write_sync(
        lambda s: s.outbox.park(
            op_id, OpState.NEEDS_ATTENTION, "refused", [FieldError("company", "is invalid")]
        )
    )
    editor = window.edit_record(D, 7)
    qloop.run(window.page.settled())
    assert window.page.detail.editor is editor
    assert editor.error_text("company_id") == "Company is invalid"
    assert editor.editors["company_id"].text() == "999"  # the refused value, to fix


def test_large_tables_are_picked_by_typing(qloop, window, store, monkeypatch):
    monkeypatch.setattr(edit_form, "LIST_LIMIT", 3)
    page = _select(qloop, window, D, 7)
    editor = page.editing.edit()
    picker = editor.editors["company_id"]
    assert isinstance(picker, RecordPicker)
    assert picker.line.text() == "Globex"
    picker.line.setText("")
    picker.line.textEdited.emit("initech")
    assert picker._found.stringList() == ["Initech"]
    picker.line.setText("Initech")
    picker.line.completer().activated[str].emit("Initech")
    assert picker.text() == "3"
    picker.line.textEdited.emit("Initech Ltd")  # typed on: no record chosen any more
    assert qloop.run(editor.save_now()) is False
    assert "choose a name from the list" in editor.error_text("company_id")
    picker.choose(None)
    people = editor.editors["person_ids"]
    assert people.text() == "8"
    people.picker.line.textEdited.emit("smith")
    label = people.picker._found.stringList()[0]
    people.picker.line.completer().activated[str].emit(label)
    assert len(people.checked_ids()) == 2
    assert qloop.run(editor.save_now()) is True
    patch = store.read().outbox.entries(entity=D, record_id=7)[0].patch
    assert patch["company_id"] is None
    assert len(patch["person_ids"]) == 2


def _cell(page, record_id: int, key: str):
    for row in range(page.model.rowCount()):
        if page.model.id_at(row) == record_id:
            return page.model.index(row, page.model.column_of(key))
    raise AssertionError(record_id)


def test_a_deal_value_is_edited_in_its_cell(qtbot, qloop, window, store):
    page = _select(qloop, window, D, 7)
    page.table.setCurrentIndex(_cell(page, 7, "value"))
    _press(qtbot, page.table, Qt.Key.Key_F2, Qt.KeyboardModifier.ShiftModifier)
    line = page.editing.inline.line
    assert line is not None
    assert line.text() == "700.00"
    line.setText("2,500")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    qloop.run(page.editing.inline.settled())
    qloop.run(page.settled())
    assert page.editing.inline.line is None
    assert [dict(e.patch) for e in store.read().outbox.entries()] == [{"value": "2500"}]
    row = _row(page, 7)
    assert row.text[page.model.column_of("value")] == "$2,500.00"
    assert row.sync is RecordSync.PENDING


def test_escape_leaves_a_cell_unchanged_and_other_columns_are_not_edited_inline(
    qtbot, qloop, window, store
):
    page = _select(qloop, window, D, 7)
    page.table.setCurrentIndex(_cell(page, 7, "name"))
    line = page.editing.inline.start()
    line.setText("Changed my mind")
    qtbot.keyClick(line, Qt.Key.Key_Escape)
    assert page.editing.inline.line is None
    page.table.setCurrentIndex(_cell(page, 7, "stage"))
    assert page.editing.inline.start() is None
    qloop.run(page.settled())
    assert store.read().outbox.entries() == []


def test_a_bad_cell_value_opens_the_record_editor_with_the_typed_text(qtbot, qloop, window, store):
    page = _select(qloop, window, D, 7)
    page.table.setCurrentIndex(_cell(page, 7, "value"))
    line = page.editing.inline.start()
    line.setText("seven hundred")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    qloop.run(page.editing.inline.settled())
    editor = page.detail.editor
    assert editor is not None
    assert editor.editors["value"].text() == "seven hundred"
    assert editor.error_text("value") == "Value must be an amount, like 1250.50"
    assert store.read().outbox.entries() == []
    editor.cancel()


def test_a_record_never_synced_is_dropped_and_undo_brings_it_back(
    qtbot, qloop, window, store, qtmodeltester
):
    page = window.show_page(C)
    qloop.run(page.settled())
    editor = page.editing.new()
    editor.editors["name"].line.setText("Short-lived Ltd")
    assert qloop.run(editor.save_now()) is True
    qloop.run(page.settled())
    new_id = page.current_id()
    assert new_id < 0
    qloop.run(page.editing.delete_now(new_id, "Short-lived Ltd"))
    qloop.run(page.settled())
    assert _row(page, new_id) is None
    assert store.read().outbox.entries(entity=C) == []  # nothing to tell the server
    qtmodeltester.check(page.model)
    window.record_menu.undo.button.click()
    qloop.run(window.record_menu.undo.settled())
    qloop.run(page.settled())
    assert _row(page, new_id).sync is RecordSync.NOT_CREATED
    assert [e.kind for e in store.read().outbox.entries(entity=C)] == [OpKind.CREATE]
    qtmodeltester.check(page.model)


def test_the_stages_offered_follow_the_pipeline_chosen(qloop, window, store):
    from crmdesk.domain.records import LookupItem

    def pipelines(s):
        s.lookups.replace(
            "deal_pipelines",
            [LookupItem("deal_pipelines", 10, "Sales"), LookupItem("deal_pipelines", 20, "Trials")],
        )
        s.lookups.replace(
            "deal_stages",
            [
                LookupItem("deal_stages", 4, "Won", percent=100, parent_id=10),
                LookupItem("deal_stages", 5, "Trial running", percent=30, parent_id=20),
            ],
        )

    store.write_sync(pipelines)
    page = _select(qloop, window, D, 7)
    editor = page.editing.edit()
    stage = editor.editors["deal_stage_id"]
    assert stage.combo.currentText() == "Won (100%)"
    pipeline = editor.editors["deal_pipeline_id"]
    pipeline.combo.setCurrentIndex(pipeline.combo.findData("20"))
    labels = [stage.combo.itemText(i) for i in range(stage.combo.count())]
    assert labels == ["—", "Trial running (30%)"]
    assert stage.text() == ""  # Won is not a stage of that pipeline
    stage.combo.setCurrentIndex(stage.combo.findData("5"))
    assert qloop.run(editor.save_now()) is True
    patch = dict(store.read().outbox.entries(entity=D, record_id=7)[0].patch)
    assert patch == {"deal_pipeline_id": 20, "deal_stage_id": 5}


def test_an_empty_date_opens_its_calendar_on_this_month(qloop, window):
    from PySide6.QtCore import QDate

    page = _select(qloop, window, D, 7)
    editor = page.editing.edit()
    closed = editor.editors["closed_time"]
    assert closed.text() == ""
    calendar = closed.edit.calendarWidget()
    assert calendar.yearShown() == QDate.currentDate().year()


def test_closing_the_window_with_unsaved_typing_asks_first(qtbot, qloop, window, store):
    page = _select(qloop, window, D, 7)
    editor = page.editing.edit()
    editor.editors["name"].line.setText("Typed, not saved")
    assert window.close() is False  # the question is open; nothing closes before it
    assert window.close() is False  # asked again: the same box, not a second one
    asked = answer_question(window, "unsavedCloseQuestion", QMessageBox.StandardButton.Cancel)
    assert "not saved" in asked
    assert window.isVisible()  # Cancel: the window and the typing stay
    assert editor.editors["name"].text() == "Typed, not saved"
    # a second editor elsewhere is refused while this one has changes
    assert page.editing.edit(8) is None
    closed = []
    window.closed.connect(lambda: closed.append(True))
    window.close()
    answer_question(window, "unsavedCloseQuestion", QMessageBox.StandardButton.Save)
    qloop.run(window.record_menu._closing.wait())
    assert dict(store.read().outbox.entries()[0].patch) == {"name": "Typed, not saved"}
    # the saved typing is now a change waiting to be sent: the window says so before it
    # closes (the pending changes guard), and closes when told to
    box = window.findChild(QMessageBox, "pendingCloseBox")
    assert box is not None
    assert box.isVisible()
    assert "1 change is waiting" in box.text()
    box.findChild(QPushButton, "closeAnyway").click()
    qtbot.waitUntil(lambda: closed == [True], timeout=5000)


def test_discarding_unsaved_typing_closes_without_queueing_it(qtbot, qloop, window, store):
    page = _select(qloop, window, D, 7)
    editor = page.editing.edit()
    editor.editors["name"].line.setText("Typed, then thrown away")
    closed = []
    window.closed.connect(lambda: closed.append(True))
    assert window.close() is False
    answer_question(window, "unsavedCloseQuestion", QMessageBox.StandardButton.Discard)
    qtbot.waitUntil(lambda: closed == [True], timeout=5000)  # nothing waits: no 2nd question
    assert store.read().outbox.entries() == []
    assert store.read().records.get(D, 7).data["name"] != "Typed, then thrown away"


def test_undo_of_a_delete_the_sync_already_sent_says_so_in_words(qtbot, qloop, window, store):
    page = _select(qloop, window, D, 7)
    window.record_menu.delete_action.trigger()
    answer_question(window, "deleteQuestion", QMessageBox.StandardButton.Yes)
    qloop.run(page.editing.settled())
    qloop.run(page.settled())
    (sent,) = store.read().outbox.entries(entity=D, record_id=7)
    store.write_sync(lambda s: s.outbox.confirm(sent.op_id, None))  # the server took it
    undo = window.record_menu.undo
    qtbot.mouseClick(undo.button, Qt.MouseButton.LeftButton)
    qloop.run(undo.settled())
    message = window.status.currentMessage()
    assert (
        message
        == "“Initech Rollout 7” was already deleted on the server; it cannot be undone here."
    )
    assert sent.op_id not in message
    assert _row(page, 7) is None
