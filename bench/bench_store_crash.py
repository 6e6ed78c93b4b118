"""SIGKILL loop: kill a process editing, bulk-storing and bulk-loading at random moments.

    python -m bench store_crash [--kills=100]

Reports acknowledged edits lost (must be 0) and integrity-check failures (must be 0),
beside the number of acknowledged edits (the baseline: what could have been lost). Some
kills land inside a bulk load (indexes dropped, being rebuilt); at the end the store must
have every index of a fresh store back and its search indexes must pass FTS5's own check.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

from crmdesk.domain.entities import Entity
from crmdesk.store import Store

CHILD = r"""
import sys
from crmdesk.domain.entities import Entity
from crmdesk.store import Store
store = Store.open(sys.argv[1], check=False)
n = int(sys.argv[2])
def page(n, size=200):
    return [{"id": 1 + (n * size + i) % 50000, "name": f"pulled {n} {i}",
             "company": {"id": i % 7, "name": f"Co {i % 7}"},
             "updated_at": "2026/01/01 10:00:00 -0000"} for i in range(size)]
while True:
    store.write_sync(lambda s, n=n: s.edits.create(Entity.DEAL, {"name": f"edit {n}"}))
    print(n, flush=True)
    store.write_sync(lambda s, p=page(n): s.records.upsert_server(Entity.DEAL, p), durable=False)
    if n % 5 == 0:  # a first sync in miniature: bulk mode, pages, indexes rebuilt
        store.write_sync(lambda s: s.records.begin_bulk(Entity.DEAL))
        for k in range(5):
            store.write_sync(
                lambda s, p=page(n * 10 + k, 500): s.records.upsert_server(Entity.DEAL, p),
                durable=False,
            )
        store.end_bulk_sync(Entity.DEAL)
    n += 1
"""


def _collect(stream: IO[str], into: list[int]) -> None:
    for line in stream:
        into.append(int(line))


def _schema(path: Path) -> set[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return set(
            conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
            ).fetchall()
        )
    finally:
        conn.close()


def main(argv: list[str]) -> int:
    kills = next((int(a.split("=")[1]) for a in argv if a.startswith("--kills=")), 100)
    path = Path(tempfile.mkdtemp(prefix="crmdesk-bench-crash-")) / "store.db"
    Store.open(path).close()
    fresh = _schema(path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    rng = random.Random(7)
    acknowledged: list[int] = []
    integrity_failures = 0
    in_bulk = 0
    for k in range(kills):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), str(k * 100_000)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert child.stdout is not None
        lines: list[int] = []
        reader = threading.Thread(target=_collect, args=(child.stdout, lines), daemon=True)
        reader.start()
        # the kill moment is independent of what the child prints: any point of an edit,
        # a pulled page or a bulk load (start-up takes ~0.3 s of it)
        time.sleep(rng.uniform(0.4, 1.5))
        child.send_signal(signal.SIGKILL)
        child.wait()
        reader.join()
        acknowledged += lines  # every line printed was an acknowledged (committed) edit
        conn = sqlite3.connect(path)
        integrity_failures += conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok"
        in_bulk += conn.execute("SELECT count(*) FROM meta WHERE key LIKE 'bulk:%'").fetchone()[0]
        conn.close()
    with Store.open(path) as store:
        names = {e.patch.get("name") for e in store.read().outbox.entries()}
        store.end_bulk_sync(Entity.DEAL)  # waits for what the open resumed, if anything
    lost = [n for n in acknowledged if f"edit {n}" not in names]
    missing = sorted(name for name, _ in fresh - _schema(path))
    conn = sqlite3.connect(path)
    fts_failures = 0
    for table in ("deals_fts", "people_fts", "companies_fts"):
        try:
            conn.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
        except sqlite3.DatabaseError:
            fts_failures += 1
    conn.close()
    print(
        f"kills {kills}: acknowledged edits {len(acknowledged):,} | lost {len(lost)} | "
        f"integrity failures {integrity_failures} | kills inside a bulk load {in_bulk} | "
        f"indexes missing at the end {missing or 0} | search index check "
        f"failures {fts_failures}"
    )
    return 1 if lost or integrity_failures or missing or fts_failures else 0
