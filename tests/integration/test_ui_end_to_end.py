"""The window against the real sandbox over loopback HTTP: the first sync fills the
tables, search finds a record, the detail pane shows it, an edit on the server arrives
with "Sync now" and refreshes only its row."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from crmdesk.app.gui import run_account
from crmdesk.domain.entities import Entity
from crmdesk.domain.sync_status import Connection
from crmdesk.services.accounts import AccountRegistry
from crmdesk.services.paths import default_paths
from crmdesk.services.secrets import SecretStore
from tests.ui.qt_helpers import next_signal

pytestmark = pytest.mark.slow


async def _synced(window, after=None, limit: float = 60.0):
    """Wait for the end of a sync run (idle, with a last sync time later than ``after``);
    returns that time."""
    status = window.status.status

    def done(status) -> bool:
        return (
            status is not None
            and status.connection is Connection.IDLE
            and status.last_sync is not None
            and (after is None or status.last_sync > after)
        )

    while not done(status):
        (status,) = await next_signal(window.bridge.status_changed, limit)
    return status.last_sync


def test_first_sync_search_detail_and_a_server_edit(qapp, qloop, sandbox, tmp_path: Path):
    import httpx

    qapp.setQuitOnLastWindowClosed(False)  # as crmdesk.app.gui sets it
    paths = default_paths(tmp_path / "profile").ensure()
    registry = AccountRegistry(paths.accounts_file)
    account = registry.add("Sandbox", sandbox.base_url)
    secrets = SecretStore(environ={})

    async def scenario() -> dict:
        await secrets.put(account.id, sandbox.admin_key, remember=False)
        opened: asyncio.Future = asyncio.get_running_loop().create_future()
        run = asyncio.ensure_future(
            run_account(
                paths,
                registry,
                secrets,
                account,
                client_options={"rate_limit": None},
                on_window=opened.set_result,
            )
        )
        window = await asyncio.wait_for(opened, 30)
        page = window.page
        seen: dict = {"title": window.windowTitle()}
        first_sync = await _synced(window)
        await page.settled()
        seen["deals"] = page.model.rowCount()
        first = page.model.row_at(0)
        name = first.text[page.model.column_of("name")]
        seen["name"] = name
        page.search.setText(name)
        page.search.returnPressed.emit()
        await page.settled()
        seen["found"] = [page.model.row_at(r).id for r in range(page.model.rowCount())]
        seen["detail"] = page.detail.detail.title if page.detail.detail else None
        # someone renames the deal on the server; "Sync now" brings it in
        async with httpx.AsyncClient() as http:
            reply = await http.put(
                f"{sandbox.base_url}/deals/{first.id}",
                params={"api_key": sandbox.user_key},
                json={"deal": {"name": f"{name} (renamed)"}},
            )
            reply.raise_for_status()
        page.search.clear()
        await page.settled()
        changed = []
        page.model.dataChanged.connect(lambda top, bottom: changed.append(top.row()))
        window.sync_now()
        await _synced(window, after=first_sync)
        await page.settled()
        row = next(r for r in range(page.model.rowCount()) if page.model.id_at(r) == first.id)
        seen["renamed"] = page.model.row_at(row).text[page.model.column_of("name")]
        seen["refreshed_rows"] = sorted(set(changed))
        seen["people"] = window.show_page(Entity.PERSON).model.rowCount()
        await window.page.settled()
        seen["people"] = window.page.model.rowCount()
        window.close()
        seen["exit"] = await run
        return seen

    try:
        seen = qloop.run(scenario(), timeout=120)
    finally:
        qapp.setQuitOnLastWindowClosed(True)
    assert seen["title"] == "crmdesk - Sandbox"
    assert seen["deals"] == 12
    assert first_id_found(seen)
    assert seen["detail"] == seen["name"]
    assert seen["renamed"] == f"{seen['name']} (renamed)"
    assert seen["refreshed_rows"]
    assert seen["people"] == 10
    assert seen["exit"] == 0
    assert registry.get("Sandbox").user_name == "Dana Whitfield"


def first_id_found(seen: dict) -> bool:
    return len(seen["found"]) >= 1


def test_a_second_run_paints_from_the_local_store_then_syncs(qapp, qloop, sandbox, tmp_path: Path):
    qapp.setQuitOnLastWindowClosed(False)
    paths = default_paths(tmp_path / "profile").ensure()
    registry = AccountRegistry(paths.accounts_file)
    account = registry.add("Sandbox", sandbox.base_url)
    secrets = SecretStore(environ={})

    async def one_run(edit: bool) -> dict:
        opened: asyncio.Future = asyncio.get_running_loop().create_future()
        run = asyncio.ensure_future(
            run_account(
                paths,
                registry,
                secrets,
                registry.get("Sandbox"),
                client_options={"rate_limit": None},
                on_window=opened.set_result,
            )
        )
        window = await asyncio.wait_for(opened, 30)
        seen = {"at_open": window.page.model.rowCount()}
        await window.page.settled()
        seen["first_paint"] = window.page.model.rowCount()
        seen["sync_enabled_at_paint"] = window.sync_action.isEnabled()
        await _synced(window)
        await window.page.settled()
        seen["synced"] = window.page.model.rowCount()
        seen["sync_enabled"] = window.sync_action.isEnabled()
        window.close()
        seen["exit"] = await run
        return seen

    async def scenario() -> tuple[dict, dict]:
        await secrets.put(account.id, sandbox.admin_key, remember=False)
        return await one_run(False), await one_run(False)

    try:
        first, second = qloop.run(scenario(), timeout=120)
    finally:
        qapp.setQuitOnLastWindowClosed(True)
    assert first["synced"] == 12
    assert second["first_paint"] == 12  # from the local store, before any network
    assert second["sync_enabled"]
    assert second["exit"] == 0


def test_closing_the_window_while_it_starts_ends_the_run(qapp, qloop, sandbox, tmp_path: Path):
    qapp.setQuitOnLastWindowClosed(False)
    paths = default_paths(tmp_path / "profile").ensure()
    registry = AccountRegistry(paths.accounts_file)
    account = registry.set_user(registry.add("Sandbox", sandbox.base_url), 1, "Dana")
    secrets = SecretStore(environ={})

    async def scenario() -> int:
        await secrets.put(account.id, sandbox.admin_key, remember=False)
        return await run_account(
            paths, registry, secrets, account, on_window=lambda window: window.close()
        )

    try:
        assert qloop.run(scenario(), timeout=30) == 0
    finally:
        qapp.setQuitOnLastWindowClosed(True)
