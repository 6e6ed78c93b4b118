"""Conflicts and deletions on the server, end to end: the real app window on a sandbox over
loopback HTTP, the other user's changes made with the sandbox's second key, resolved in the
dialogs the detail pane opens, with the outcome checked on the server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from PySide6.QtWidgets import QLabel, QPushButton, QRadioButton

from crmdesk.domain.entities import Entity
from crmdesk.domain.sync_status import RecordSync
from tests.integration.sync_support import server_record
from tests.integration.ui_app import AppRun, synced
from tests.ui.qt_helpers import next_signal

pytestmark = pytest.mark.slow

D = Entity.DEAL


class App(AppRun):
    """The app window of one account on the sandbox, and the other user's hands."""

    def __init__(self, sandbox: Any, tmp_path: Path) -> None:
        super().__init__(sandbox.base_url, tmp_path / "profile")
        self.sandbox = sandbox

    async def open(self, api_key: str | None = None) -> Any:
        window = await super().open(api_key or self.sandbox.admin_key)
        await self.synced()
        await window.page.settled()
        return window

    async def synced(self, after: Any = None, limit: float = 60.0) -> Any:
        """Wait for the end of a sync run later than ``after``; returns its time."""
        return await synced(self.window, after, limit)

    async def sync(self) -> None:
        """F5, and wait for that run to end."""
        # F5 is ignored while the window's previous sync request is still settling
        await self.window._sync_task.wait()
        before = self.window.status.status.last_sync
        self.window.sync_now()
        assert self.window._sync_task.running
        await self.synced(after=before)
        await self.window.page.settled()

    async def other_user(self, method: str, rid: int, body: dict | None = None) -> None:
        """The second user changes (or deletes) deal ``rid`` on the server."""
        async with httpx.AsyncClient() as http:
            reply = await http.request(
                method,
                f"{self.sandbox.base_url}/deals/{rid}",
                params={"api_key": self.sandbox.user_key},
                json={"deal": body} if body is not None else None,
            )
            reply.raise_for_status()

    async def other_user_name(self) -> str:
        async with httpx.AsyncClient() as http:
            reply = await http.get(
                f"{self.sandbox.base_url}/profile", params={"api_key": self.sandbox.user_key}
            )
        user = reply.json()
        user = user.get("user", user)
        return f"{user['first_name']} {user['last_name']}"

    def record(self, rid: int) -> Any:
        return self.window.edits._store.read().records.get(D, rid)

    async def show(self, rid: int) -> Any:
        """Open deal ``rid`` in the detail pane."""
        self.window.open_record(D, rid)
        await self.window.page.settled()
        detail = self.window.page.detail
        assert detail.detail is not None
        assert detail.detail.id == rid
        return detail

    async def click_resolve(self, rid: int, kind: str) -> Any:
        """The detail pane's Resolve… button; returns the dialog it opened."""
        pane = await self.show(rid)
        button = pane.findChild(QPushButton, "resolveButton")
        assert button is not None, pane.findChild(QLabel, "syncNote")
        button.click()
        return self.window.record_dialogs.open_dialogs[(kind, D, rid)]

    def deal_ids(self) -> list[int]:
        page = self.window.page
        return [page.model.id_at(r) for r in range(page.model.rowCount())]


async def _conflict(app: App, rid: int, field: str, mine: Any, theirs: Any) -> None:
    """The other user changes ``field`` on the server, I change it here; the sync (pull,
    then push) finds both."""
    await app.other_user("PUT", rid, {field: theirs})
    await app.window.edits.update(D, rid, {field: mine})
    await app.sync()
    assert app.record(rid).sync is RecordSync.CONFLICT


def _run(qapp, qloop, scenario) -> Any:
    qapp.setQuitOnLastWindowClosed(False)  # as crmdesk.app.gui sets it
    try:
        return qloop.run(scenario, timeout=150)
    finally:
        qapp.setQuitOnLastWindowClosed(True)


def test_a_conflict_resolved_mine_then_theirs_with_a_restore(qapp, qloop, sandbox, tmp_path: Path):
    app = App(sandbox, tmp_path)

    async def scenario() -> dict:
        seen: dict = {}
        await app.open()
        first, second = app.deal_ids()[:2]
        # mine: the server ends with my value
        await _conflict(app, first, "name", "Mine wins", "Theirs loses")
        dialog = await app.click_resolve(first, "conflict")
        seen["theirs_shown"] = dialog.findChild(QLabel, "theirsText_name").text()
        seen["who"] = dialog.findChild(QLabel, "conflictIntro").text()
        seen["other_user"] = await app.other_user_name()
        dialog.findChild(QRadioButton, "mine_name").setChecked(True)
        dialog.apply_button.click()
        await next_signal(dialog.resolved, 10)
        await app.sync()
        seen["server_mine"] = (await server_record(sandbox, D, first))["name"]
        seen["first_sync"] = app.record(first).sync
        # theirs: local shows theirs, the history keeps mine, Restore queues it again
        await _conflict(app, second, "summary", "my summary", "their summary")
        dialog = await app.click_resolve(second, "conflict")
        dialog.all_theirs.click()
        dialog.apply_button.click()
        await next_signal(dialog.resolved, 10)
        await app.window.page.settled()
        pane = await app.show(second)
        seen["local_theirs"] = pane.field_text("summary")
        seen["queue_after_theirs"] = app.window.edits.outbox(D, second)
        link = pane.findChild(QLabel, "historyLink")
        assert link is not None
        link.clicked.emit()
        history = app.window.record_dialogs.open_dialogs[("history", D, second)]
        seen["history"] = [(v.label, v.value) for v in history.values]
        history.buttons[history.values[0].history_id].click()
        await next_signal(history.restored, 10)
        seen["restored"] = app.record(second).data.get("summary")
        seen["restored_sync"] = app.record(second).sync
        seen["queued"] = [dict(e.patch) for e in app.window.edits.outbox(D, second)]
        history.reject()
        seen["exit"] = await app.close()
        return seen

    seen = _run(qapp, qloop, scenario())
    assert seen["theirs_shown"] == "Theirs loses"
    assert f"on the server by {seen['other_user']} (" in seen["who"]
    assert seen["server_mine"] == "Mine wins"
    assert seen["first_sync"] is RecordSync.SYNCED
    assert seen["local_theirs"] == "their summary"
    assert seen["queue_after_theirs"] == []
    assert seen["history"] == [("Summary", "my summary")]
    assert seen["restored"] == "my summary"
    assert seen["restored_sync"] is RecordSync.PENDING
    assert seen["queued"] == [{"summary": "my summary"}]
    assert seen["exit"] == 0


def test_a_disjoint_edit_merges_without_asking(qapp, qloop, sandbox, tmp_path: Path):
    app = App(sandbox, tmp_path)

    async def scenario() -> dict:
        await app.open()
        rid = app.deal_ids()[2]
        await app.other_user("PUT", rid, {"name": "Renamed by the other user"})
        await app.window.edits.update(D, rid, {"value": "4321.5"})
        await app.sync()
        seen = {
            "server": await server_record(sandbox, D, rid),
            "conflicts": app.window.edits.conflicts(),
            "dialogs": dict(app.window.record_dialogs.open_dialogs),
            "sync": app.record(rid).sync,
            "local": dict(app.record(rid).data),
            "queue": app.window.edits.outbox(),
        }
        pane = await app.show(rid)
        seen["resolve_button"] = pane.findChild(QPushButton, "resolveButton")
        seen["exit"] = await app.close()
        return seen

    seen = _run(qapp, qloop, scenario())
    assert seen["server"]["name"] == "Renamed by the other user"
    assert float(seen["server"]["value"]) == 4321.5
    assert seen["conflicts"] == []
    assert seen["dialogs"] == {}
    assert seen["resolve_button"] is None
    assert seen["sync"] is RecordSync.SYNCED
    assert seen["local"]["name"] == "Renamed by the other user"
    assert seen["queue"] == []
    assert seen["exit"] == 0


def test_a_record_deleted_on_the_server_recreated_or_discarded(
    qapp, qloop, sandbox, tmp_path: Path
):
    app = App(sandbox, tmp_path)

    async def scenario() -> dict:
        seen: dict = {}
        await app.open()
        kept, dropped = app.deal_ids()[3:5]
        for rid, value in ((kept, "777"), (dropped, "888")):
            await app.window.edits.update(D, rid, {"value": value, "summary": f"mine {rid}"})
            await app.other_user("DELETE", rid)
        await app.sync()
        seen["marks"] = [app.record(kept).sync, app.record(dropped).sync]
        # recreate: a new record on the server with my values
        dialog = await app.click_resolve(kept, "deleted")
        dialog.recreate_button.click()
        _entity, new_id = await next_signal(dialog.recreated, 10)
        await app.sync()
        seen["old_row"] = app.record(kept)
        remapped = app.window.edits._store.read().ledger.current_id(new_id)
        seen["new_id"] = remapped
        seen["server_new"] = await server_record(sandbox, D, remapped)
        # discard: the record goes, the queue empties
        dialog = await app.click_resolve(dropped, "deleted")
        dialog.discard_button.click()
        await next_signal(dialog.discarded, 10)
        seen["undo_offered"] = dialog.undo_button.isVisible()
        seen["dropped_at_once"] = app.record(dropped)  # gone before any sync
        dialog.reject()
        await app.sync()
        seen["dropped_row"] = app.record(dropped)
        seen["queue"] = app.window.edits.outbox()
        seen["ids"] = app.deal_ids()
        seen["exit"] = await app.close()
        seen["kept"], seen["dropped"] = kept, dropped
        return seen

    seen = _run(qapp, qloop, scenario())
    assert seen["marks"] == [RecordSync.DELETED_ON_SERVER, RecordSync.DELETED_ON_SERVER]
    assert seen["old_row"] is None
    assert seen["new_id"] > 0
    assert seen["new_id"] != seen["kept"]
    assert float(seen["server_new"]["value"]) == 777
    assert seen["server_new"]["summary"] == f"mine {seen['kept']}"
    assert seen["undo_offered"]
    assert seen["dropped_at_once"] is None
    assert seen["dropped_row"] is None
    assert seen["queue"] == []
    assert seen["dropped"] not in seen["ids"]
    assert seen["new_id"] in seen["ids"]
    assert seen["exit"] == 0
