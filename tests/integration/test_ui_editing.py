"""Editing in the real app window against the real sandbox over loopback: an edit and a
create made while the server is down show at once, survive a restart of the app and
reach the server once it is back (the new record gets its server id, the selection
follows); a value the server refuses (422) shows next to its field; delete, then undo."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from PySide6.QtWidgets import QMessageBox

from crmdesk.domain.entities import Entity
from crmdesk.domain.outbox import OpState
from crmdesk.domain.sync_status import Connection, RecordSync
from tests.integration.ui_app import AppRun, status_until, synced
from tests.ui.qt_helpers import answer_question

pytestmark = pytest.mark.slow


def _row(page, record_id: int):
    for row in range(page.model.rowCount()):
        if page.model.id_at(row) == record_id:
            return page.model.row_at(row)
    return None


def _server(sandbox, path: str) -> dict:
    reply = httpx.get(f"{sandbox.base_url}{path}", params={"api_key": sandbox.admin_key})
    reply.raise_for_status()
    return reply.json()


def test_offline_edit_and_create_survive_and_reach_the_server(
    qapp, qloop, sandbox_factory, tmp_path: Path
):
    db = str(tmp_path / "crm.db")
    server = sandbox_factory(db=db)
    app = AppRun(server.base_url, tmp_path / "profile")
    qapp.setQuitOnLastWindowClosed(False)

    async def scenario() -> dict:
        nonlocal server
        seen: dict = {}
        window = await app.open(server.admin_key)
        await synced(window)
        page = window.page
        await page.settled()
        deal = page.model.row_at(0)
        port = server.port
        await asyncio.to_thread(server.stop)  # the server is gone
        # an edit: the row shows pending at once, the status bar counts it
        page.show_record(deal.id)
        await page.settled()
        editor = page.editing.edit()
        editor.editors["name"].line.setText("Edited offline")
        editor.editors["probability"].spin.setValue(35)
        assert await editor.save_now()
        await page.settled()
        seen["edit_marker"] = _row(page, deal.id).sync
        status = await status_until(window, lambda s: s.pending >= 1)
        seen["pending_text"] = window.status.pending.text()
        del status
        # a create: a new row, selected, marked not yet synced
        companies = window.show_page(Entity.COMPANY)
        await companies.settled()
        before = companies.model.rowCount()
        editor = companies.editing.new()
        editor.editors["name"].line.setText("Offline Holdings")
        assert await editor.save_now()
        await companies.settled()
        local_id = companies.current_id()
        seen["local_id"] = local_id
        seen["create_marker"] = _row(companies, local_id).sync
        seen["rows_after_create"] = companies.model.rowCount() - before
        # the app is closed and opened again, still offline: both changes are there
        seen["exit_offline"] = await app.close()
        window = await app.open()
        page = window.show_page(Entity.DEAL)
        await page.settled()
        seen["edit_marker_again"] = _row(page, deal.id).sync
        seen["name_again"] = _row(page, deal.id).text[page.model.column_of("name")]
        # the server comes back; a sync sends both
        server = await asyncio.to_thread(sandbox_factory, db=db, port=port)
        companies = window.show_page(Entity.COMPANY)
        await companies.settled()
        companies.show_record(local_id)
        await companies.settled()
        before_sync = window.status.status.last_sync if window.status.status else None
        window.sync_now()
        await status_until(
            window,
            lambda s: (
                s.connection is Connection.IDLE
                and s.pending == 0
                and s.last_sync is not None
                and (before_sync is None or s.last_sync > before_sync)
            ),
            60,
        )
        await companies.settled()
        seen["server_id"] = companies.current_id()
        seen["create_marker_synced"] = _row(companies, seen["server_id"]).sync
        seen["selected_title"] = companies.detail.detail.title
        page = window.show_page(Entity.DEAL)
        await page.settled()
        seen["edit_marker_synced"] = _row(page, deal.id).sync
        seen["deal_id"] = deal.id
        seen["exit"] = await app.close()
        return seen

    try:
        seen = qloop.run(scenario(), timeout=150)
    finally:
        qapp.setQuitOnLastWindowClosed(True)
    assert seen["edit_marker"] is RecordSync.PENDING
    assert "1 change waiting" in seen["pending_text"]
    assert seen["local_id"] < 0
    assert seen["create_marker"] is RecordSync.NOT_CREATED
    assert seen["rows_after_create"] == 1
    assert seen["edit_marker_again"] is RecordSync.PENDING
    assert seen["name_again"] == "Edited offline"
    assert seen["server_id"] > 0
    assert seen["create_marker_synced"] is RecordSync.SYNCED
    assert seen["selected_title"] == "Offline Holdings"
    assert seen["edit_marker_synced"] is RecordSync.SYNCED
    assert seen["exit"] == 0
    on_server = _server(server, f"/deals/{seen['deal_id']}")
    assert on_server["name"] == "Edited offline"
    assert on_server["probability"] == 35
    assert _server(server, f"/companies/{seen['server_id']}")["name"] == "Offline Holdings"


def test_a_refused_value_shows_by_its_field_and_delete_can_be_undone(
    qapp, qloop, sandbox, tmp_path: Path
):
    app = AppRun(sandbox.base_url, tmp_path / "profile")
    qapp.setQuitOnLastWindowClosed(False)

    async def scenario() -> dict:
        seen: dict = {}
        window = await app.open(sandbox.admin_key)
        first = await synced(window)
        page = window.page
        await page.settled()
        deal = page.model.row_at(1)
        # a company the server does not have: the sandbox answers 422 "Company is invalid"
        await window.edits.update(Entity.DEAL, deal.id, {"company_id": 987654})
        window.sync_now()
        await status_until(window, lambda s: s.needs_attention >= 1, 60)
        refused = window.edits.outbox(Entity.DEAL, deal.id)
        seen["state"] = refused[0].state
        editor = window.edit_record(Entity.DEAL, deal.id)
        await page.settled()
        seen["editor_open"] = page.detail.editor is editor
        seen["company_error"] = editor.error_text("company_id")
        seen["error_shown"] = editor.findChild(
            type(editor.form_error), "error_company_id"
        ).isVisible()
        # fixing the field in the editor sends the fix in place of the refused change
        editor.editors["company_id"].set_text("")
        assert await editor.save_now()
        window.sync_now()
        await status_until(window, lambda s: s.needs_attention == 0 and s.pending == 0, 60)
        seen["fixed_queue"] = window.edits.outbox(Entity.DEAL, deal.id)
        seen["fixed_id"] = deal.id
        # delete, then undo: the row leaves at once and comes back
        other = page.model.row_at(2)
        page.show_record(other.id)
        await page.settled()
        before = page.model.rowCount()
        window.record_menu.delete_action.trigger()
        answer_question(window, "deleteQuestion", QMessageBox.StandardButton.Yes)
        await page.editing.settled()
        await page.settled()
        seen["gone"] = _row(page, other.id) is None
        seen["rows_after_delete"] = before - page.model.rowCount()
        undo = window.record_menu.undo
        seen["offered"] = undo.available
        undo.button.click()
        await undo.settled()
        await page.settled()
        seen["back"] = _row(page, other.id) is not None
        seen["queued_for_other"] = window.edits.outbox(Entity.DEAL, other.id)
        window.sync_now()
        await synced(window, after=first)
        seen["other_id"] = other.id
        seen["exit"] = await app.close()
        return seen

    try:
        seen = qloop.run(scenario(), timeout=120)
    finally:
        qapp.setQuitOnLastWindowClosed(True)
    assert seen["state"] is OpState.NEEDS_ATTENTION
    assert seen["editor_open"]
    assert seen["company_error"] == "Company is invalid"
    assert seen["error_shown"]
    assert seen["fixed_queue"] == []
    assert _server(sandbox, f"/deals/{seen['fixed_id']}")["company_id"] is None
    assert seen["gone"]
    assert seen["rows_after_delete"] == 1
    assert seen["offered"]
    assert seen["back"]
    assert seen["queued_for_other"] == []
    assert _server(sandbox, f"/deals/{seen['other_id']}")["id"] == seen["other_id"]
    assert seen["exit"] == 0
