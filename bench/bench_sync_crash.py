"""SIGKILL a syncing crmdesk 100 times at random moments; count what was lost or doubled.

Two kinds of child process, chosen at random for each kill, against one sandbox child
(limit off, every write delayed a little so that kills land with requests in flight):

* **edits + pushes**: local creates (unique names) and updates (increasing values), each
  printed once acknowledged (the edit's transaction committed), with a sync run after every
  few edits - so kills land inside edits, pushes and the pulls that open each run;
* **bulk pull**: a first full sync of a few thousand deals into a second store (a bulk load
  with its index builds), started over once complete.

Between kills: ``PRAGMA integrity_check`` of the store the child used. At the end a clean
sync of each store, then against the server: every acknowledged create exists exactly once
(lost = missing, duplicate = more than once), every deal holds its last acknowledged value
or a later one, and the bulk store holds every deal. The baseline beside the figures: how
many edits were acknowledged (what could have been lost) and how many kills found a
request in flight.

    python -m bench sync_crash --kills=100
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench.sandbox_proc import RunningSandbox, sandbox_process
from crmdesk.api import PipelineClient
from crmdesk.services.paths import default_paths
from crmdesk.services.workspace import Workspace

EDITS_CHILD = r"""
import asyncio, random, sys
from crmdesk.domain.entities import Entity
from crmdesk.services.paths import default_paths
from crmdesk.services.workspace import Workspace

async def main(url, key, data, kill):
    ws = await Workspace.open_url(default_paths(data), url, key,
                                  client_options={"rate_limit": None})
    rng = random.Random(kill)
    deals = list(ws.store.read().records.server_ids(Entity.DEAL))[:40]
    n = 0
    while True:
        for _ in range(rng.randint(1, 6)):
            n += 1
            if rng.random() < 0.4:
                name = f"crash-{kill}-{n}"
                await ws.edits.create(Entity.COMPANY, {"name": name})
                print("C", name, flush=True)
            else:
                deal = rng.choice(deals)
                value = f"v-{kill:04d}-{n:05d}"
                await ws.edits.update(Entity.DEAL, deal, {"summary": value})
                print("U", deal, value, flush=True)
        await ws.engine.sync()
        print("S", flush=True)

asyncio.run(main(*sys.argv[1:4], int(sys.argv[4])))
"""

BULK_CHILD = r"""
import asyncio, sys
from crmdesk.services.paths import default_paths
from crmdesk.services.workspace import Workspace

async def main(url, key, data):
    ws = await Workspace.open_url(default_paths(data), url, key,
                                  client_options={"rate_limit": None})
    report = await ws.engine.sync()
    print("DONE" if report.complete else "STOPPED", flush=True)
    await ws.close()

asyncio.run(main(*sys.argv[1:4]))
"""


class Child:
    """A child process whose stdout lines are collected on a thread as they come."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.strip())

    def kill(self) -> bool:
        """SIGKILL; True if it was still running."""
        alive = self.process.poll() is None
        if alive:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._reader.join()
        return alive


def integrity(path: Path) -> tuple[bool, int]:
    """(integrity_check passed, entries left in flight)."""
    if not path.exists():
        return True, 0
    with contextlib.closing(sqlite3.connect(path)) as conn:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        sending = conn.execute("SELECT count(*) FROM outbox WHERE state = 'sending'").fetchone()
    return ok, int(sending[0])


async def final_sync(sb: RunningSandbox, data: Path) -> bool:
    """A clean sync of the store in ``data``; True when it completed."""
    ws = await Workspace.open_url(
        default_paths(data), sb.base_url, sb.admin_key, client_options={"rate_limit": None}
    )
    try:
        report = await ws.engine.sync()
        return report.complete and not ws.store.read().outbox.entries()
    finally:
        await ws.close()


async def server_state(sb: RunningSandbox) -> tuple[Counter[str], dict[int, str], int]:
    """Company names (counted), deal summaries, and the number of deals on the server."""
    async with PipelineClient(sb.base_url, sb.admin_key, rate_limit=None) as client:
        companies = Counter(c.name for c in await client.companies.list().all())
        deals = await client.deals.list().all()
    return companies, {d.id: str(d.raw.get("summary")) for d in deals}, len(deals)


def main(argv: list[str]) -> int:
    options = argparse.ArgumentParser(prog="bench sync_crash")
    options.add_argument("--kills", type=int, default=100)
    options.add_argument("--deals", type=int, default=20000)
    options.add_argument("--seed", type=int, default=11)
    args = options.parse_args(argv)
    rng = random.Random(args.seed)
    scratch = Path(tempfile.mkdtemp(prefix="crmdesk-bench-sync-crash-"))
    edits_dir, bulk_dir = scratch / "edits", scratch / "bulk"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    acknowledged_creates: list[str] = []
    last_update: dict[int, str] = {}
    acknowledged = 0
    integrity_failures = in_flight = kills_edits = kills_bulk = bulk_done = 0
    started = time.perf_counter()
    try:
        with sandbox_process(
            "--scale", "tiny", "--deals", str(args.deals), "--rate-limit", "off",
            "--db", str(scratch / "server.db"),
        ) as sb:  # fmt: skip
            assert asyncio.run(final_sync(sb, edits_dir)), "the first sync failed"
            sb.set_faults(latency_ms=15, methods=["POST", "PUT", "DELETE"])
            for kill in range(args.kills):
                bulk = rng.random() < 0.3
                if bulk:
                    child = Child([BULK_CHILD, sb.base_url, sb.admin_key, str(bulk_dir)], env)
                else:
                    child = Child(
                        [EDITS_CHILD, sb.base_url, sb.admin_key, str(edits_dir), str(kill)], env
                    )
                deadline = time.monotonic() + rng.uniform(0.6, 3.0)
                while time.monotonic() < deadline and child.process.poll() is None:
                    time.sleep(0.01)  # a random moment: the child's output does not decide it
                child.kill()
                for line in child.lines:
                    parts = line.split()
                    if parts[:1] == ["C"]:
                        acknowledged_creates.append(parts[1])
                        acknowledged += 1
                    elif parts[:1] == ["U"]:
                        last_update[int(parts[1])] = parts[2]
                        acknowledged += 1
                    elif parts[:1] == ["DONE"]:
                        bulk_done += 1
                        shutil.rmtree(bulk_dir, ignore_errors=True)  # start the next one over
                database = next((bulk_dir if bulk else edits_dir).rglob("store.db"), None)
                ok, sending = integrity(database) if database else (True, 0)
                integrity_failures += not ok
                in_flight += sending > 0
                kills_bulk += bulk
                kills_edits += not bulk
            sb.set_faults()
            edits_synced = asyncio.run(final_sync(sb, edits_dir))
            bulk_synced = asyncio.run(final_sync(sb, bulk_dir))
            companies, summaries, deal_count = asyncio.run(server_state(sb))
            bulk_db = next(bulk_dir.rglob("store.db"))
            with contextlib.closing(sqlite3.connect(bulk_db)) as conn:
                bulk_deals = conn.execute("SELECT count(*) FROM deals").fetchone()[0]
                bulk_ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    lost_creates = sum(companies[name] == 0 for name in acknowledged_creates)
    duplicates = sum(companies[name] > 1 for name in acknowledged_creates)
    lost_updates = sum(summaries.get(deal, "") < value for deal, value in last_update.items())
    print(
        f"kills {args.kills} ({kills_edits} during edits and pushes, {kills_bulk} during bulk "
        f"pulls; {in_flight} with a request in flight) in {time.perf_counter() - started:.0f} s"
    )
    print(
        f"baseline: acknowledged edits {acknowledged:,} ({len(acknowledged_creates)} creates, "
        f"{len(last_update)} deals updated); bulk first syncs completed {bulk_done}"
    )
    print(
        f"lost acknowledged edits {lost_creates + lost_updates} (creates {lost_creates}, "
        f"updates {lost_updates}) | duplicates on the server {duplicates} | "
        f"integrity failures {integrity_failures + (not bulk_ok)}"
    )
    print(
        f"final clean syncs complete: edits store {edits_synced}, bulk store {bulk_synced} "
        f"({bulk_deals:,} of {deal_count:,} deals)"
    )
    bad = lost_creates + lost_updates + duplicates + integrity_failures + (not bulk_ok)
    bad += (not edits_synced) + (not bulk_synced) + (bulk_deals != deal_count)
    return 1 if bad else 0
