"""Offline-first editing in the real app window against the real sandbox over loopback:
undo of an unsent edit, a restart with changes waiting, and a refused API key."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from crmdesk.domain.entities import Entity
from crmdesk.domain.sync_status import Connection
from tests.integration.sync_support import FAST, server_find, server_record
from tests.integration.ui_app import AppRun, status_until, synced

pytestmark = pytest.mark.slow

D = Entity.DEAL
NEW_ADMIN_KEY = "replaced-admin-key-0123456789"


class App(AppRun):
    """One crmdesk profile against a sandbox that can be stopped and started again on the
    same port and database file."""

    def __init__(self, qapp, sandbox_factory, tmp_path: Path) -> None:
        self.qapp = qapp
        self.factory = sandbox_factory
        self.db = str(tmp_path / "crm.db")
        self.sandbox = sandbox_factory(db=self.db)
        self.port = self.sandbox.port
        super().__init__(self.sandbox.base_url, tmp_path / "profile", {"retry": FAST})

    def stop_server(self) -> None:
        self.sandbox.stop()

    def start_server(self, **options: Any) -> None:
        self.sandbox = self.factory(db=self.db, port=self.port, **options)


def _ctrl(qtbot, window, key, shift: bool = False) -> None:
    modifiers = Qt.KeyboardModifier.ControlModifier
    if shift:
        modifiers |= Qt.KeyboardModifier.ShiftModifier
    window.activateWindow()
    window.page.table.setFocus()
    qtbot.keyClick(window.page.table, key, modifiers)


def _run(qapp, qloop, scenario, timeout: float = 150):
    qapp.setQuitOnLastWindowClosed(False)  # as crmdesk.app.gui sets it
    try:
        return qloop.run(scenario, timeout=timeout)
    finally:
        qapp.setQuitOnLastWindowClosed(True)


def test_undo_of_an_unsent_edit_leaves_nothing_to_send(
    qapp, qloop, qtbot, sandbox_factory, tmp_path: Path
):
    app = App(qapp, sandbox_factory, tmp_path)

    async def scenario() -> dict:
        window = await app.open(app.sandbox.admin_key)
        first = await synced(window)
        await window.page.settled()
        deal_id = window.page.model.id_at(0)
        assert isinstance(deal_id, int)
        before = await server_record(app.sandbox, D, deal_id)
        app.stop_server()
        await window.edits.update(D, deal_id, {"name": "Typed while offline"})
        await status_until(window, lambda s: s.pending == 1)
        seen = {"chip": window.status.pending.text(), "undo": window.undo_actions.undo.text()}
        _ctrl(qtbot, window, Qt.Key.Key_Z)
        await window.undo_actions._task.wait()
        await status_until(window, lambda s: s.pending == 0)
        seen["chip_after"] = window.status.pending.text()
        seen["queue"] = window.edits.outbox()
        seen["local"] = window.edits._store.read().records.get(D, deal_id).data["name"]
        await window.page.settled()
        row = window.page.model.row_at(0)
        seen["row"] = row.text[window.page.model.column_of("name")]
        app.start_server()
        window.sync_now()
        await synced(window, after=first)
        seen["server"] = (await server_record(app.sandbox, D, deal_id))["name"]
        seen["before"] = before["name"]
        window.close()
        seen["exit"] = await app.run
        return seen

    seen = _run(qapp, qloop, scenario())
    assert seen["chip"] == "1 change waiting"
    assert seen["undo"].startswith("Undo change to Name of “Typed while offline”")
    assert seen["chip_after"] == ""
    assert seen["queue"] == []
    assert seen["local"] == seen["before"]
    assert seen["row"] == seen["before"]
    assert seen["server"] == seen["before"]  # nothing was sent
    assert seen["exit"] == 0


def test_changes_waiting_survive_closing_and_go_out_once_after_a_restart(
    qapp, qloop, sandbox_factory, tmp_path: Path
):
    app = App(qapp, sandbox_factory, tmp_path)

    async def scenario() -> dict:
        window = await app.open(app.sandbox.admin_key)
        await synced(window)
        await window.page.settled()
        deal_id = window.page.model.id_at(0)
        assert isinstance(deal_id, int)
        app.stop_server()
        await window.edits.update(D, deal_id, {"name": "Renamed offline"})
        await window.edits.create(D, {"name": "Created offline"})
        await status_until(window, lambda s: s.pending == 2)
        window.close()
        box = window.findChild(QMessageBox, "pendingCloseBox")
        seen: dict = {"question": box.text() if box is not None else None}
        box.findChild(object, "closeAnyway").click()
        seen["exit"] = await asyncio.wait_for(app.run, 30)
        # the next run, on the same data folder, still has both changes queued
        window = await app.open()
        seen["queued"] = [(e.kind.value, e.patch.get("name")) for e in window.edits.outbox()]
        window.toggle_pending()
        await window.pending_panel.reload()
        seen["panel_rows"] = window.pending_panel.model.rowCount()
        app.start_server()
        window.sync_now()
        await status_until(
            window, lambda s: s.connection is Connection.IDLE and s.pending == 0 and s.last_sync
        )
        seen["server_name"] = (await server_record(app.sandbox, D, deal_id))["name"]
        seen["created"] = len(await server_find(app.sandbox, D, deal_name="Created offline"))
        seen["queue_after"] = window.edits.outbox()
        window.close()  # nothing waits: no question
        seen["exit2"] = await asyncio.wait_for(app.run, 30)
        return seen

    seen = _run(qapp, qloop, scenario())
    assert seen["question"].startswith("2 changes are waiting to be sent to the server.")
    assert "saved on this computer" in seen["question"]
    assert seen["exit"] == 0
    assert sorted(seen["queued"]) == [("create", "Created offline"), ("update", "Renamed offline")]
    assert seen["panel_rows"] == 2
    assert seen["server_name"] == "Renamed offline"
    assert seen["created"] == 1  # exactly one: no duplicate
    assert seen["queue_after"] == []
    assert seen["exit2"] == 0


def test_a_refused_key_pauses_with_a_banner_keeps_the_queue_and_a_new_key_syncs(
    qapp, qloop, qtbot, sandbox_factory, tmp_path: Path
):
    app = App(qapp, sandbox_factory, tmp_path)

    async def scenario() -> dict:
        window = await app.open(app.sandbox.admin_key)
        first = await synced(window)
        await window.page.settled()
        deal_id = window.page.model.id_at(0)
        assert isinstance(deal_id, int)
        # the key is replaced on the server: the old one is refused from now on
        app.stop_server()
        app.start_server(admin_key=NEW_ADMIN_KEY, user_key="replaced-user-key-0123456789")
        await window.edits.update(D, deal_id, {"name": "Waiting for a key"})
        window.sync_now()
        await status_until(window, lambda s: s.connection is Connection.PAUSED)
        banner = window.key_banner
        seen: dict = {"banner": banner.isVisible(), "text": banner.text.text()}
        seen["queued"] = len(window.edits.outbox())
        qtbot.mouseClick(banner.button, Qt.MouseButton.LeftButton)
        dialog = window.findChild(QDialog)
        dialog.key.setText(NEW_ADMIN_KEY)
        dialog.remember.setChecked(False)
        dialog._submit()
        await synced(window, after=first)
        await status_until(window, lambda s: s.connection is Connection.IDLE and s.pending == 0)
        seen["banner_after"] = banner.isVisible()
        seen["server"] = (await server_record(app.sandbox, D, deal_id))["name"]
        window.close()
        seen["exit"] = await asyncio.wait_for(app.run, 30)
        return seen

    seen = _run(qapp, qloop, scenario())
    assert seen["banner"]
    assert "refused the API key" in seen["text"]
    assert "nothing is dropped" in seen["text"]
    assert seen["queued"] == 1
    assert not seen["banner_after"]
    assert seen["server"] == "Waiting for a key"
    assert seen["exit"] == 0
