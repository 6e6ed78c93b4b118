"""A process SIGKILLed in the middle of local edits loses no acknowledged edit.

The child makes edits and prints each one's number only after ``write_sync`` returned
(the edit is acknowledged); the parent kills it at once. The long version with 100 kills
during edits and bulk pulls is ``bench/bench_store_crash.py``.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from crmdesk.domain.entities import Entity
from crmdesk.store import Store

CHILD = r"""
import sys
from crmdesk.domain.entities import Entity
from crmdesk.store import Store
store = Store.open(sys.argv[1], check=False)
start = int(sys.argv[2])
n = start
while True:
    store.write_sync(lambda s, n=n: s.edits.create(Entity.DEAL, {"name": f"edit {n}"}))
    if n % 7 == 0:
        page = [{"id": 10_000 + n * 10 + i, "name": f"pulled {n} {i}"} for i in range(50)]
        store.write_sync(lambda s: s.records.upsert_server(Entity.DEAL, page), durable=False)
    print(n, flush=True)
    n += 1
"""


def run_and_kill(path: Path, start: int, acks: int) -> list[int]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    seen = []
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(start)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    ) as child:  # closes the pipe on the way out
        assert child.stdout is not None
        for line in child.stdout:
            seen.append(int(line))
            if len(seen) >= acks:
                break
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    return seen


def test_sigkill_mid_edits_loses_no_acknowledged_edit(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    with Store.open(path):
        pass
    acknowledged: list[int] = []
    for round_ in range(3):
        acknowledged += run_and_kill(path, round_ * 1000, acks=20 + round_ * 15)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with Store.open(path) as store:
        names = {e.patch["name"] for e in store.read().outbox.entries()}
        missing = [n for n in acknowledged if f"edit {n}" not in names]
        assert missing == []
        for entry in store.read().outbox.entries():
            assert store.read().records.get(Entity.DEAL, entry.record_id) is not None
