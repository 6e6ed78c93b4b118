"""SIGKILL loop: kill a process editing and bulk-storing at random moments.

    python -m bench store_crash [--kills=100]

Reports acknowledged edits lost (must be 0) and integrity-check failures (must be 0),
beside the number of acknowledged edits (the baseline: what could have been lost).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from crmdesk.store import Store

CHILD = r"""
import sys
from crmdesk.domain.entities import Entity
from crmdesk.store import Store
store = Store.open(sys.argv[1], check=False)
n = int(sys.argv[2])
while True:
    store.write_sync(lambda s, n=n: s.edits.create(Entity.DEAL, {"name": f"edit {n}"}))
    print(n, flush=True)
    page = [{"id": 1 + (n * 200 + i) % 50000, "name": f"pulled {n} {i}",
             "updated_at": "2026/01/01 10:00:00 -0000"} for i in range(200)]
    store.write_sync(lambda s: s.records.upsert_server(Entity.DEAL, page), durable=False)
    n += 1
"""


def main(argv: list[str]) -> int:
    kills = next((int(a.split("=")[1]) for a in argv if a.startswith("--kills=")), 100)
    path = Path(tempfile.mkdtemp(prefix="crmdesk-bench-crash-")) / "store.db"
    Store.open(path).close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    rng = random.Random(7)
    acknowledged: list[int] = []
    integrity_failures = 0
    for k in range(kills):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), str(k * 100_000)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert child.stdout is not None
        deadline = time.monotonic() + rng.uniform(0.3, 1.5)
        first = child.stdout.readline()  # the store is open and editing
        if first:
            acknowledged.append(int(first))
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            acknowledged.append(int(line))
        child.send_signal(signal.SIGKILL)
        child.wait()
        # lines printed before the kill but not yet read were acknowledged too
        acknowledged += [int(x) for x in child.stdout.read().split()]
        conn = sqlite3.connect(path)
        integrity_failures += conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok"
        conn.close()
    with Store.open(path) as store:
        names = {e.patch.get("name") for e in store.read().outbox.entries()}
    lost = [n for n in acknowledged if f"edit {n}" not in names]
    print(
        f"kills {kills}: acknowledged edits {len(acknowledged):,} | lost {len(lost)} | "
        f"integrity failures {integrity_failures}"
    )
    return 1 if lost or integrity_failures else 0
