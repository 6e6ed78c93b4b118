"""Shared set-up of the sync tests: a store file, a client, an engine and the services over
them, talking to a real sandbox over loopback HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from crmdesk.api import PipelineClient, RetryPolicy
from crmdesk.domain.changes import ChangeSet
from crmdesk.domain.entities import Entity
from crmdesk.domain.sync_status import SyncStatus
from crmdesk.services.edits import EditService
from crmdesk.services.events import EventBus
from crmdesk.store import Store
from crmdesk.sync import SyncEngine, SyncOptions

FAST = RetryPolicy(attempts=2, base=0.01, cap=0.02)
OPTIONS = SyncOptions(in_doubt_settle=0.0, overlap=timedelta(minutes=5))


@dataclass
class Rig:
    """One local account against a sandbox."""

    store: Store
    client: PipelineClient | None
    engine: SyncEngine
    edits: EditService
    bus: EventBus
    changes: list[ChangeSet] = field(default_factory=list)
    statuses: list[SyncStatus] = field(default_factory=list)

    def record(self, entity: Entity, rid: int) -> Any:
        """The stored record (effective JSON, server JSON, marker)."""
        return self.store.read().records.get(entity, rid)

    def entries(self) -> list[Any]:
        """The outbox, in order."""
        return self.store.read().outbox.entries()

    def ids(self, entity: Entity) -> list[int]:
        """Server ids of ``entity`` the store knows."""
        return list(self.store.read().records.server_ids(entity))


def client_for(sandbox: Any, key: str | None = None, **options: Any) -> PipelineClient:
    """A client of the sandbox without rate limiting and with quick retries."""
    options.setdefault("rate_limit", None)
    options.setdefault("retry", FAST)
    return PipelineClient(sandbox.base_url, key or sandbox.admin_key, **options)


@contextlib.asynccontextmanager
async def rig(
    sandbox: Any | None,
    path: Path,
    *,
    key: str | None = None,
    options: SyncOptions = OPTIONS,
    base_url: str | None = None,
) -> AsyncIterator[Rig]:
    """A store at ``path`` with an engine and an edit service; closed on exit."""
    store = Store.open(path)
    client: PipelineClient | None = None
    if sandbox is not None or base_url is not None:
        url = base_url or sandbox.base_url
        client = PipelineClient(url, key or sandbox.admin_key, rate_limit=None, retry=FAST)
        client.open()
    bus = EventBus()
    setup = Rig(
        store, client, SyncEngine(store, client, bus, options), EditService(store, bus), bus
    )
    bus.subscribe_changes(setup.changes.append)
    bus.subscribe_status(setup.statuses.append)
    try:
        yield setup
    finally:
        if setup.engine.client is not None:
            await setup.engine.client.aclose()
        if client is not None:
            await client.aclose()
        store.close()


async def server_record(sandbox: Any, entity: Entity, rid: int) -> dict[str, Any]:
    """The record as the server has it now (raw JSON)."""
    async with client_for(sandbox) as client:
        body = await client.transport.request("GET", f"{entity.collection}/{rid}")
    return body.get(entity.wrapper, body) if "id" not in body else body


async def server_find(sandbox: Any, entity: Entity, **conditions: Any) -> list[dict[str, Any]]:
    """Records on the server matching ``conditions`` (raw JSON)."""
    async with client_for(sandbox) as client:
        resource = client.by_entity(entity)
        return [dict(r.raw) for r in await resource.list(conditions=conditions).all()]


KEY_VAR = "CRMDESK_TEST_KEY"


class Cli:
    """Runs ``python -m crmdesk`` against one sandbox and one data directory."""

    def __init__(self, sandbox: Any, data_dir: Path, key: str | None = None) -> None:
        self.sandbox = sandbox
        self.data_dir = data_dir
        self.env = {**os.environ, KEY_VAR: key or sandbox.admin_key}
        self.env.pop("CRMDESK_API_KEY", None)

    def account(self) -> list[str]:
        return [
            "--base-url",
            self.sandbox.base_url,
            "--api-key-env",
            KEY_VAR,
            "--data-dir",
            str(self.data_dir),
            "--rate-limit",
            "off",
        ]

    def run(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "crmdesk", *args],
            capture_output=True,
            text=True,
            env=env or self.env,
            timeout=60,
            check=False,
        )

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout.strip().splitlines()[-1])
