"""Store figures, each beside a baseline measured in the same run.

    python -m bench store [--rows=1000000] [--runs=3]

* bulk upsert of API-shaped deal pages (200 per transaction, durable=False as the sync
  engine stores pulls) vs plain ``executemany`` of the same rows into a bare table;
* local edit durability latency (update + outbox row, fsync'd) p50/p99;
* FTS prefix search p95 over deals + people + companies vs a ``LIKE '%x%'`` scan;
* first page after a sort, window fetches at random depth (OFFSET and id array), count;
* disk size per deal including the search index.

Records come from ``bench/records.py`` (a stand-in generator: the sandbox's seed generator
had not landed when this was written).
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.records import pages
from crmdesk.domain.entities import Entity
from crmdesk.store import Filter, Sort, Store, TableQuery


def _opt(argv: list[str], name: str, default: int) -> int:
    for arg in argv:
        if arg.startswith(f"--{name}="):
            return int(arg.split("=", 1)[1])
    return default


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str]) -> int:
    rows = _opt(argv, "rows", 1_000_000)
    runs = _opt(argv, "runs", 3)
    work = Path(tempfile.mkdtemp(prefix="crmdesk-bench-store-"))
    print(f"rows={rows:,} runs={runs} dir={work}")
    deal_pages = list(pages("deals", rows, seed=1))
    people_pages = list(pages("people", max(1, rows // 5), seed=2))
    company_pages = list(pages("companies", max(1, rows // 10), seed=3))

    store = Store.open(work / "store.db", check=False)
    started = time.perf_counter()
    for batch in deal_pages:
        store.write_sync(lambda s, b=batch: s.records.upsert_server(Entity.DEAL, b), durable=False)
    ours = rows / (time.perf_counter() - started)
    for kind, batches in ((Entity.PERSON, people_pages), (Entity.COMPANY, company_pages)):
        for batch in batches:
            store.write_sync(
                lambda s, b=batch, k=kind: s.records.upsert_server(k, b), durable=False
            )
    # baseline: the same rows as JSON text, executemany into a bare table, same batches
    import json

    bare = sqlite3.connect(work / "bare.db", isolation_level=None)
    bare.execute("PRAGMA journal_mode=WAL")
    bare.execute("PRAGMA synchronous=NORMAL")
    bare.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, json TEXT)")
    started = time.perf_counter()
    for batch in deal_pages:
        bare.execute("BEGIN")
        bare.executemany(
            "INSERT OR REPLACE INTO t VALUES (?, ?)", [(r["id"], json.dumps(r)) for r in batch]
        )
        bare.execute("COMMIT")
    baseline = rows / (time.perf_counter() - started)
    print(
        f"bulk upsert: store {ours:,.0f} rows/s | bare executemany {baseline:,.0f} rows/s | "
        f"ratio {ours / baseline:.2f}"
    )
    bare.close()
    store.write_sync(lambda s: s.conn.execute("ANALYZE"))

    # local edit latency (durable: synchronous=FULL)
    rng = random.Random(5)
    latencies = []
    for i in range(2000):
        rid = rng.randint(1, rows)
        t0 = time.perf_counter()
        store.write_sync(lambda s, r=rid, i=i: s.edits.update(Entity.DEAL, r, {"name": f"e{i}"}))
        latencies.append((time.perf_counter() - t0) * 1000)
    print(
        f"local edit (row+outbox, fsync): p50 {_pct(latencies, 0.5):.2f} ms, "
        f"p99 {_pct(latencies, 0.99):.2f} ms (target p99 < 10 ms)"
    )

    reader = store.read()
    words = ["ac", "glo", "ann", "smi", "ren", "upg", "nort", "wayn", "pil", "ber", "5551", "tyr"]
    for run in range(runs):
        fts, like = [], []
        for word in words * 5:
            t0 = time.perf_counter()
            for entity in (Entity.DEAL, Entity.PERSON, Entity.COMPANY):
                reader.search.ids(entity, word, limit=50)
            fts.append((time.perf_counter() - t0) * 1000)
        for word in words[:4]:
            t0 = time.perf_counter()
            reader.conn.execute(
                "SELECT id FROM deals WHERE name LIKE ? LIMIT 50", (f"%{word}%",)
            ).fetchall()
            like.append((time.perf_counter() - t0) * 1000)
        print(
            f"run {run}: FTS prefix (3 tables, top 50) p95 {_pct(fts, 0.95):.2f} ms | "
            f"LIKE scan p95 {_pct(like, 0.95):.2f} ms (target FTS < 20 ms)"
        )

    tables = reader.tables
    for run in range(runs):
        line = []
        for key in ("value", "owner", "close_date", "company", "stage"):
            query = TableQuery(Entity.DEAL, Filter(), Sort(key, descending=run % 2 == 1))
            t0 = time.perf_counter()
            rowset = tables.open(query)
            tables.window(rowset, 0, 100)
            line.append(f"{key} {(time.perf_counter() - t0) * 1000:.1f}")
        print(f"run {run}: first page after sort (count + 100 rows), ms: {', '.join(line)}")
    query = TableQuery(Entity.DEAL, Filter(), Sort("value"))
    rowset = tables.open(query)
    offsets = [rng.randint(0, rows - 100) for _ in range(50)]
    t0 = time.perf_counter()
    for offset in offsets:
        tables.window(rowset, offset, 100)
    offset_ms = (time.perf_counter() - t0) * 1000 / len(offsets)
    t0 = time.perf_counter()
    tables.load_ids(rowset)
    load_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    for offset in offsets:
        tables.window(rowset, offset, 100)
    ids_ms = (time.perf_counter() - t0) * 1000 / len(offsets)
    t0 = time.perf_counter()
    reader.conn.execute("SELECT id FROM deals ORDER BY id LIMIT 100 OFFSET ?", (rows // 2,))
    print(
        f"window of 100 at random depth: OFFSET {offset_ms:.2f} ms | id array {ids_ms:.2f} ms "
        f"(id array built in {load_ms:.0f} ms)"
    )
    filtered = TableQuery(Entity.DEAL, Filter(stage_ids=(2, 3), owner_ids=(1, 2, 3)), Sort("value"))
    t0 = time.perf_counter()
    rs = tables.open(filtered)
    tables.window(rs, 0, 100)
    print(
        f"filtered (stage+owner) count {rs.count:,} + first page: "
        f"{(time.perf_counter() - t0) * 1000:.1f} ms"
    )
    t0 = time.perf_counter()
    tables.count(TableQuery(Entity.DEAL))
    print(f"count all deals: {(time.perf_counter() - t0) * 1000:.1f} ms")
    store.close()

    size = sum(p.stat().st_size for p in work.glob("store.db*"))
    conn = sqlite3.connect(work / "store.db")
    per_table = {}
    try:
        for name, used in conn.execute(
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 8"
        ):
            per_table[name] = used
    except sqlite3.OperationalError:
        pass
    conn.close()
    deal_bytes = sum(v for k, v in per_table.items() if k.startswith("deals"))
    print(
        f"disk: {size / 1e6:.0f} MB in all ({rows:,} deals + people + companies); "
        f"deals ≈ {deal_bytes / rows:.0f} B/deal → {deal_bytes / rows * 1e6 / 1e6:.0f} MB "
        "per million (target < 600 MB)"
    )
    print("largest:", ", ".join(f"{k} {v / 1e6:.0f} MB" for k, v in per_table.items()))
    return 0
