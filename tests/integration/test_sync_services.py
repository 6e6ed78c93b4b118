"""Workspace, event bus, edit service and sync service together, against the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from crmdesk.api import RetryPolicy
from crmdesk.domain.changes import ChangeCause, ChangeSet
from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import UnknownFieldError, ValidationError
from crmdesk.domain.fields import FieldValueError
from crmdesk.domain.sync_status import Connection, SyncStatus
from crmdesk.services.accounts import AccountRegistry
from crmdesk.services.events import EventBus
from crmdesk.services.paths import default_paths
from crmdesk.services.secrets import SecretStore
from crmdesk.services.workspace import Workspace, WorkspaceError
from crmdesk.store import UnknownRecordError
from crmdesk.sync import StopReason
from tests.integration.sync_support import OPTIONS, server_record

CLIENT = {"rate_limit": None, "retry": RetryPolicy(attempts=2, base=0.01, cap=0.02)}


async def status_where(
    bus: EventBus, predicate: Callable[[SyncStatus], bool], what: str, wait: float = 10.0
) -> SyncStatus:
    """The first status published on ``bus`` (or the current one) that satisfies ``predicate``."""
    if predicate(bus.status):
        return bus.status
    found: asyncio.Future[SyncStatus] = asyncio.get_running_loop().create_future()

    def check(status: SyncStatus) -> None:
        if predicate(status) and not found.done():
            found.set_result(status)

    unsubscribe = bus.subscribe_status(check)
    try:
        return await asyncio.wait_for(found, wait)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None
    finally:
        unsubscribe()


def test_workspace_opens_syncs_edits_and_closes(sandbox, aloop, tmp_path: Path):
    paths = default_paths(tmp_path / "profile").ensure()
    registry = AccountRegistry(paths.accounts_file)
    secrets = SecretStore(environ={})

    async def scenario() -> None:
        account = registry.add("Sandbox", sandbox.base_url)
        await secrets.put(account.id, sandbox.admin_key)
        ws = await Workspace.open(
            paths,
            account,
            secrets=secrets,
            registry=registry,
            client_options=CLIENT,
            sync_options=OPTIONS,
        )
        statuses: list[SyncStatus] = []
        changes: list[ChangeSet] = []
        ws.bus.subscribe_status(statuses.append)
        ws.bus.subscribe_changes(changes.append)
        try:
            assert registry.get("Sandbox").user_id == ws.user_id
            assert ws.directory == paths.account_dir(account.base_url, ws.user_id)
            ws.sync.push_delay = 0.05
            ws.sync.start()
            await status_where(ws.bus, lambda s: s.last_sync is not None, "the first sync")
            assert statuses[0].connection is Connection.SYNCING
            deal_id = ws.store.read().records.server_ids(Entity.DEAL)[0]

            marker = object()
            patch = ws.edits.parse(Entity.DEAL, {"Name": "Via the service", "value": "1,250.50"})
            assert patch == {"name": "Via the service", "value": "1250.5"}
            await ws.edits.update(Entity.DEAL, deal_id, patch, initiator=marker)
            mine = [c for c in changes if c.initiator is marker]
            assert mine
            assert mine[0].cause is ChangeCause.LOCAL_EDIT
            await status_where(ws.bus, lambda s: s.pending == 1, "the pending count")
            await status_where(ws.bus, lambda s: s.pending == 0, "the automatic push")
            copy = await server_record(sandbox, Entity.DEAL, deal_id)
            assert (copy["name"], copy["value"]) == ("Via the service", "1250.5")

            report = await ws.sync.sync_now()
            assert report.complete
            assert report.pushed == 0

            with pytest.raises(UnknownFieldError, match="did you mean"):
                ws.edits.parse(Entity.DEAL, {"nam": "x"})
            with pytest.raises(FieldValueError, match="must be an amount"):
                ws.edits.parse(Entity.DEAL, {"value": "lots"})
            with pytest.raises(ValidationError, match="Name is required"):
                await ws.edits.create(Entity.DEAL, {"summary": "no name"})
            with pytest.raises(ValidationError, match="Name is required"):
                await ws.edits.update(Entity.DEAL, deal_id, {"name": ""})
            with pytest.raises(UnknownRecordError):
                await ws.edits.update(Entity.DEAL, 999_999, {"name": "x"})
            assert ws.edits.outbox() == []
        finally:
            await ws.close()
        assert not ws.sync.running

        # Reopened offline-capable: the user id is known, the same store is found.
        again = await Workspace.open(
            paths, registry.get("Sandbox"), secrets=secrets, client_options=CLIENT
        )
        try:
            assert again.directory == ws.directory
            assert again.store.read().records.count(Entity.DEAL) > 0
        finally:
            await again.close()

    aloop.run(scenario())


def test_workspace_without_key_is_paused_until_set_key(sandbox, aloop, tmp_path: Path):
    paths = default_paths(tmp_path / "profile").ensure()
    registry = AccountRegistry(paths.accounts_file)
    secrets = SecretStore(environ={})

    async def scenario() -> None:
        account = registry.add("Sandbox", sandbox.base_url)
        with pytest.raises(WorkspaceError, match="no API key"):
            await Workspace.open(paths, account, secrets=secrets, registry=registry)
        await secrets.put(account.id, sandbox.admin_key)
        ws = await Workspace.open(
            paths, account, secrets=secrets, registry=registry, client_options=CLIENT
        )
        await ws.close()
        await secrets.forget(account.id)
        ws = await Workspace.open(
            paths, registry.get("Sandbox"), secrets=secrets, client_options=CLIENT
        )
        try:
            assert not ws.has_key
            ws.sync.start()
            await status_where(ws.bus, lambda s: s.connection is Connection.PAUSED, "the pause")
            assert "no API key" in (ws.bus.status.last_error or "")
            with pytest.raises(WorkspaceError, match="not to the user"):
                await ws.set_key(sandbox.user_key)  # the second user's key: refused
            await ws.set_key(sandbox.admin_key, remember=False)
            await status_where(ws.bus, lambda s: s.last_sync is not None, "the resumed sync")
            assert ws.bus.status.connection is Connection.IDLE
        finally:
            await ws.close()

    aloop.run(scenario())


def test_open_url_remembers_the_user_without_the_key(sandbox, aloop, tmp_path: Path):
    paths = default_paths(tmp_path / "profile").ensure()

    async def scenario() -> None:
        ws = await Workspace.open_url(
            paths, sandbox.base_url, sandbox.admin_key, client_options=CLIENT
        )
        directory = ws.directory
        await ws.close()
        index = (paths.data_dir / "keys.json").read_text()
        assert sandbox.admin_key not in index
        sandbox.stop()  # offline now: the index finds the same store
        ws = await Workspace.open_url(
            paths, sandbox.base_url, sandbox.admin_key, client_options=CLIENT
        )
        assert ws.directory == directory
        await ws.close()
        with pytest.raises(WorkspaceError, match="Cannot reach"):
            await Workspace.open_url(
                paths, sandbox.base_url, "another-key-123456", client_options=CLIENT
            )

    aloop.run(scenario())


def test_the_service_notices_the_server_coming_back(sandbox_factory, aloop, tmp_path: Path):
    first = sandbox_factory(db=str(tmp_path / "server.db"))
    port = int(first.base_url.rsplit(":", 1)[1].split("/")[0])
    paths = default_paths(tmp_path / "profile").ensure()

    async def scenario() -> None:
        ws = await Workspace.open_url(
            paths, first.base_url, first.admin_key, client_options=CLIENT, sync_options=OPTIONS
        )
        try:
            ws.sync.offline_retry = (0.05, 0.2)
            ws.sync.push_delay = 0.0
            ws.sync.start()
            await status_where(ws.bus, lambda s: s.last_sync is not None, "the first sync")
            first.stop()
            deal_id = ws.store.read().records.server_ids(Entity.DEAL)[0]
            await ws.edits.update(Entity.DEAL, deal_id, {"name": "Made while offline"})
            offline = await status_where(
                ws.bus, lambda s: s.connection is Connection.OFFLINE, "offline"
            )
            assert offline.pending == 1
            assert "cannot be reached" in (offline.last_error or "")
            again = sandbox_factory(db=str(tmp_path / "server.db"), port=port)
            back = await status_where(
                ws.bus,
                lambda s: s.connection is Connection.IDLE and s.pending == 0,
                "back online with the change sent",
            )
            assert back.last_error is None
            assert (await server_record(again, Entity.DEAL, deal_id))["name"] == (
                "Made while offline"
            )
        finally:
            await ws.close()

    aloop.run(scenario())


def test_an_unexpected_failure_is_reported_and_syncing_goes_on(sandbox, aloop, tmp_path: Path):
    paths = default_paths(tmp_path / "profile").ensure()

    async def scenario() -> None:
        ws = await Workspace.open_url(
            paths, sandbox.base_url, sandbox.admin_key, client_options=CLIENT
        )
        real = ws.engine.sync
        calls: list[int] = []

        async def flaky(**options):  # the first run hits a bug
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("a bug in the engine")
            return await real(**options)

        ws.engine.sync = flaky  # type: ignore[method-assign]
        try:
            ws.sync.start()
            failed = await status_where(
                ws.bus, lambda s: "a bug in the engine" in (s.last_error or ""), "the report"
            )
            assert failed.connection is Connection.IDLE
            report = await ws.sync.sync_now()
            assert report.complete
            assert ws.bus.status.last_error is None
        finally:
            await ws.close()

    aloop.run(scenario())


def test_closing_during_a_first_sync_stops_at_a_page_and_resumes(
    sandbox_factory, aloop, tmp_path: Path
):
    sandbox = sandbox_factory(deals=3000, people=5, companies=5, notes=5)
    sandbox.set_faults(latency_ms=20, methods=["GET"], path_prefix="/deals")
    paths = default_paths(tmp_path / "profile").ensure()
    options = replace(OPTIONS, status_every=0.0, page_concurrency=1)

    async def scenario() -> None:
        ws = await Workspace.open_url(
            paths, sandbox.base_url, sandbox.admin_key, client_options=CLIENT, sync_options=options
        )
        try:
            ws.sync.start()
            await status_where(ws.bus, lambda s: "deals (400 of" in s.phase, "some deals")
        finally:
            await ws.close()
        report = ws.sync.last_report
        assert report is not None
        assert report.stopped is StopReason.STOPPED
        stored = report.pulled["deals"]
        assert 400 <= stored < 3000
        sandbox.set_faults()
        ws = await Workspace.open_url(
            paths, sandbox.base_url, sandbox.admin_key, client_options=CLIENT, sync_options=options
        )
        try:
            report = await ws.engine.sync()
            assert report.complete, report.error
            assert report.pulled["deals"] == 3000 - stored, "resumed after the last page"
            assert ws.store.read().records.count(Entity.DEAL) == 3000
        finally:
            await ws.close()

    aloop.run(scenario())
