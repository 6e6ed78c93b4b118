"""A ``crmdesk sync`` killed with SIGKILL in the middle of its push, then run again:
nothing queued is lost and nothing is created twice on the server."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

from crmdesk.domain.entities import Entity
from crmdesk.services.paths import default_paths
from crmdesk.services.workspace import Workspace
from tests.integration.sync_support import Cli, client_for

CREATES = 10
UPDATES = 10


def test_sigkill_mid_push_then_restart_loses_and_duplicates_nothing(
    sandbox_factory, aloop, tmp_path: Path
):
    sandbox = sandbox_factory(db=str(tmp_path / "server.db"))
    data = tmp_path / "data"
    cli = Cli(sandbox, data)
    cli.ok("sync", *cli.account())

    async def queue() -> tuple[dict[int, str], Path]:
        workspace = await Workspace.open_url(
            default_paths(data),
            sandbox.base_url,
            sandbox.admin_key,
            client_options={"rate_limit": None},
        )
        try:
            updates: dict[int, str] = {}
            deals = list(workspace.store.read().records.server_ids(Entity.DEAL))
            for n in range(max(CREATES, UPDATES)):
                if n < CREATES:
                    await workspace.edits.create(Entity.COMPANY, {"name": f"Crash test {n}"})
                if n < UPDATES:
                    updates[deals[n]] = f"Crash update {n}"
                    await workspace.edits.update(Entity.DEAL, deals[n], {"name": updates[deals[n]]})
            return updates, workspace.store.path
        finally:
            await workspace.close()

    updates, database = aloop.run(queue())
    assert len(cli.json("outbox", *cli.account())) == CREATES + UPDATES

    # Every write waits a while on the server, so the kill lands with requests in flight.
    sandbox.set_faults(latency_ms=120, methods=["POST", "PUT"])
    child = subprocess.Popen(
        [sys.executable, "-m", "crmdesk", "sync", "--verbose", *cli.account()],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=cli.env,
    )
    assert child.stderr is not None
    answered = 0
    posting = False
    for line in child.stderr:
        if "crmdesk.api: POST /" in line or "crmdesk.api: PUT /" in line:
            answered += 1
        if "send_request_headers.started" in line:
            posting = "[b'POST']" in line
        if answered >= 3 and posting and "send_request_body.complete" in line:
            break  # a create has just left: its reply is not back yet
    assert child.poll() is None, "the sync ended before it could be killed mid-push"
    child.kill()
    child.wait()
    child.stderr.close()
    sandbox.set_faults()

    with contextlib.closing(sqlite3.connect(database)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        in_flight = conn.execute("SELECT count(*) FROM outbox WHERE state = 'sending'").fetchone()
    assert in_flight[0] == 1, "killed with exactly one change in flight"

    summary = cli.json("sync", *cli.account())
    assert summary["complete"] is True, summary
    assert summary["pushed"] == CREATES + UPDATES - answered
    assert cli.json("outbox", *cli.account()) == []

    async def check() -> None:
        async with client_for(sandbox) as client:
            companies = await client.companies.list().all()
            deals = {d.id: d.name for d in await client.deals.list().all()}
        names = Counter(c.name for c in companies if c.name.startswith("Crash test"))
        assert names == Counter({f"Crash test {n}": 1 for n in range(CREATES)})
        for deal_id, name in updates.items():
            assert deals[deal_id] == name

    aloop.run(check())


def test_sigkill_while_a_lost_create_is_in_doubt_then_restart_adopts_it(
    sandbox_factory, aloop, tmp_path: Path
):
    sandbox = sandbox_factory(db=str(tmp_path / "server.db"))
    cli = Cli(sandbox, tmp_path / "data")
    cli.ok("sync", *cli.account())
    for n in range(3):
        cli.ok("companies", "create", "--set", f"name=In doubt {n}", *cli.account())

    # The create commits on the server, then the connection drops: the child waits a few
    # seconds before looking it up - and is killed while it waits.
    sandbox.set_faults(drop_after_commit_rate=1.0, methods=["POST"])
    child = subprocess.Popen(
        [sys.executable, "-m", "crmdesk", "sync", "--verbose", *cli.account()],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=cli.env,
    )
    assert child.stderr is not None
    for line in child.stderr:
        if "may or may not have completed" in line:
            break
    assert child.poll() is None
    child.kill()
    child.wait()
    child.stderr.close()
    sandbox.set_faults()

    summary = cli.json("sync", *cli.account())
    assert summary["complete"] is True, summary
    assert (summary["adopted"], summary["pushed"]) == (1, 3)

    async def check() -> None:
        async with client_for(sandbox) as client:
            companies = await client.companies.list().all()
        names = Counter(c.name for c in companies if c.name.startswith("In doubt"))
        assert names == Counter({f"In doubt {n}": 1 for n in range(3)})

    aloop.run(check())
