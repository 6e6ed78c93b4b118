"""Store figures, each beside a baseline measured in the same run.

    python -m bench store [--rows=1000000] [--runs=3] [--page=200] [--bulk=1]

* first sync: API-shaped deal pages (200 per transaction, ``durable=False`` as the sync
  engine stores pulls) through ``begin_bulk`` / ``upsert_server`` / ``end_bulk`` (index
  and search-index build included), vs plain ``executemany`` of the same rows as JSON text
  into a bare table, page by page in the same loop (so both see the same noise);
* incremental pulls into the full store (half updates of random rows, half new rows), the
  same way against the bare table;
* peak memory of the process during the load;
* opening the full store (integrity check included) vs a bare ``sqlite3.connect`` + read;
* local edit durability latency (update + outbox row, fsync'd) p50/p99;
* FTS prefix search p95 over deals + people + companies vs a ``LIKE '%x%'`` scan;
* first page after a sort by every sortable deal column (and whether SQLite uses an index),
  window fetches at random depth (OFFSET and id array), count;
* disk per deal including the search index (every ``deals*`` object, from ``dbstat``).

Records come from ``bench/records.py``; generating them is not timed.
"""

from __future__ import annotations

import array
import json
import random
import resource
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.records import pages
from crmdesk.domain.entities import Entity
from crmdesk.store import SORT_COLUMNS, Filter, Sort, Store, TableQuery
from crmdesk.store.records import Records


def _opt(argv: list[str], name: str, default: int) -> int:
    for arg in argv:
        if arg.startswith(f"--{name}="):
            return int(arg.split("=", 1)[1])
    return default


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Bare:
    """The baseline: record JSON text into a one-index table, same pages, same pragmas."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, json TEXT)")
        self.seconds = 0.0

    def put(self, batch: list[dict[str, Any]]) -> None:
        t0 = time.perf_counter()
        self.conn.execute("BEGIN")
        self.conn.executemany(
            "INSERT OR REPLACE INTO t VALUES (?, ?)", [(r["id"], json.dumps(r)) for r in batch]
        )
        self.conn.execute("COMMIT")
        self.seconds += time.perf_counter() - t0


def _load(
    store: Store,
    bare: Bare | None,
    entity: Entity,
    batches: Iterator[list[dict[str, Any]]],
    bulk: bool,
) -> tuple[int, float, list[str]]:
    """Store every batch (and give it to ``bare``); rows, seconds and rate per fifth."""
    seconds = 0.0
    rows = 0
    marks: list[str] = []
    t0 = time.perf_counter()
    if bulk:
        store.write_sync(lambda s: s.records.begin_bulk(entity))
    seconds += time.perf_counter() - t0
    for batch in batches:
        t0 = time.perf_counter()
        store.write_sync(lambda s, b=batch: s.records.upsert_server(entity, b), durable=False)
        seconds += time.perf_counter() - t0
        rows += len(batch)
        if bare is not None:
            bare.put(batch)
        if rows % 200_000 == 0:
            marks.append(f"{rows // 1000}k: {rows / seconds:,.0f}/s")
    if bulk:
        # what Store.end_bulk does, piece by piece, to show the longest one (an edit
        # queued meanwhile waits at most that long)
        pieces = []
        while True:
            t0 = time.perf_counter()
            more = store.write_sync(
                lambda s: s.records.bulk_step(entity),
                durable=False,
            )
            pieces.append(time.perf_counter() - t0)
            if not more:
                break
        seconds += sum(pieces)
        marks.append(
            f"end_bulk {sum(pieces):.1f} s in {len(pieces)} pieces: "
            + " ".join(f"{p:.1f}" for p in pieces)
        )
    return rows, seconds, marks


def _shuffled(batches: Iterator[list[dict[str, Any]]], rows: int) -> Iterator[list[dict[str, Any]]]:
    """The same pages with the ids permuted at random (a pull in updated_at order)."""
    ids = array.array("q", range(1, rows + 1))
    random.Random(21).shuffle(ids)
    for batch in batches:
        for record in batch:
            record["id"] = ids[record["id"] - 1]
        yield batch


def _incremental(
    store: Store, bare: Bare, rows: int, count: int
) -> tuple[float, float, float, float]:
    """Pull ``count`` records into the full store, pages of 200, two ways: newer copies of
    stored deals (value, stage and updated_at changed, as an incremental pull brings them)
    and new deals. Rows/s for each, the store's then the bare table's."""
    rng = random.Random(11)
    reader = store.read()
    updated = []
    for _ in range(count // 200):
        ids = list({rng.randint(1, rows) for _ in range(200)})
        found = reader.records.get_many(Entity.DEAL, ids)
        page = []
        for stored in found.values():
            record = dict(stored.server or {})
            record["value"] = f"{rng.randint(1, 5_000_000) / 10:.1f}"
            record["deal_stage_id"] = rng.randint(1, 6)
            record["updated_at"] = "2027/01/01 10:00:00 -0400"
            page.append(record)
        updated.append(page)
    fresh = list(pages("deals", count, seed=13))
    for batch in fresh:
        for record in batch:
            record["id"] += rows + 1_000_000
    rates = []
    for batches in (updated, fresh):
        ours = 0.0
        bare.seconds = 0.0
        n = 0
        for batch in batches:
            t0 = time.perf_counter()
            store.write_sync(
                lambda s, b=batch: s.records.upsert_server(Entity.DEAL, b), durable=False
            )
            ours += time.perf_counter() - t0
            bare.put(batch)
            n += len(batch)
        rates += [n / ours, n / bare.seconds]
    return rates[0], rates[1], rates[2], rates[3]


def _open_times(path: Path, runs: int, rows: int) -> str:
    opens, bares = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        store = Store.open(path)
        store.read().tables.count(TableQuery(Entity.DEAL))
        opens.append((time.perf_counter() - t0) * 1000)
        store.close()
        t0 = time.perf_counter()
        conn = sqlite3.connect(path)
        conn.execute("SELECT count(*) FROM deals").fetchone()
        bares.append((time.perf_counter() - t0) * 1000)
        conn.close()
    return (
        f"open the store ({rows:,} deals) + count: median {_pct(opens, 0.5):.0f} ms, "
        f"max {max(opens):.0f} ms | "
        f"bare connect + count: median {_pct(bares, 0.5):.0f} ms | "
        f"ratio {_pct(opens, 0.5) / max(_pct(bares, 0.5), 0.01):.1f}"
    )


def main(argv: list[str]) -> int:
    rows = _opt(argv, "rows", 1_000_000)
    runs = _opt(argv, "runs", 3)
    page = _opt(argv, "page", 200)
    bulk = bool(_opt(argv, "bulk", 1)) and hasattr(Records, "begin_bulk")
    # --shuffled=1: deal ids arrive in random order (the API's default order is by
    # -updated_at); by default they ascend (a first sync that asks for sort=deals.id)
    shuffled = bool(_opt(argv, "shuffled", 0))
    work = Path(tempfile.mkdtemp(prefix="crmdesk-bench-store-"))
    print(
        f"rows={rows:,} runs={runs} page={page} bulk={bulk} shuffled={shuffled} dir={work}",
        flush=True,
    )

    store = Store.open(work / "store.db", check=False)
    bare = Bare(work / "bare.db")
    rss_before = _rss_mb()
    deal_pages = pages("deals", rows, page=page, seed=1)
    if shuffled:
        deal_pages = _shuffled(deal_pages, rows)
    n, seconds, marks = _load(store, bare, Entity.DEAL, deal_pages, bulk)
    print(
        f"first sync, deals: store {n / seconds:,.0f} rows/s | bare executemany "
        f"{n / bare.seconds:,.0f} rows/s | ratio {bare.seconds / seconds:.2f} "
        f"(target ≥ 20,000) [{'; '.join(marks)}]",
        flush=True,
    )
    for entity, kind, count, seed in (
        (Entity.PERSON, "people", max(1, rows // 5), 2),
        (Entity.COMPANY, "companies", max(1, rows // 10), 3),
    ):
        n, seconds, marks = _load(
            store, None, entity, pages(kind, count, page=page, seed=seed), bulk
        )
        print(f"first sync, {kind}: store {n / seconds:,.0f} rows/s [{'; '.join(marks)}]")
    print(
        f"peak RSS during the loads: {_rss_mb():.0f} MB (before: {rss_before:.0f} MB; "
        "target < 400 MB for a full sync)",
        flush=True,
    )
    upd, upd_base, new, new_base = _incremental(store, bare, rows, 20_000)
    print(
        f"incremental pull into the full store, 20,000 newer copies (3 fields changed): "
        f"store {upd:,.0f} rows/s | bare {upd_base:,.0f} rows/s | ratio {upd / upd_base:.2f}; "
        f"20,000 new deals: store {new:,.0f} rows/s | bare {new_base:,.0f} rows/s | "
        f"ratio {new / new_base:.2f}",
        flush=True,
    )
    bare.conn.close()
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
        f"p99 {_pct(latencies, 0.99):.2f} ms (target p99 < 10 ms)",
        flush=True,
    )
    store.close()
    print(_open_times(work / "store.db", runs, rows), flush=True)
    store = Store.open(work / "store.db")

    reader = store.read()
    words = ["ac", "glo", "ann", "smi", "ren", "upg", "nort", "wayn", "pil", "ber", "5551", "tyr"]
    for run in range(runs):
        fts, single, like = [], [], []
        for word in words * 5:
            t0 = time.perf_counter()
            for entity in (Entity.DEAL, Entity.PERSON, Entity.COMPANY):
                reader.search.ids(entity, word, limit=50)
            fts.append((time.perf_counter() - t0) * 1000)
        for word in "abgnrs5":
            t0 = time.perf_counter()
            for entity in (Entity.DEAL, Entity.PERSON, Entity.COMPANY):
                reader.search.ids(entity, word, limit=50)
            single.append((time.perf_counter() - t0) * 1000)
        for word in words[:4]:
            t0 = time.perf_counter()
            reader.conn.execute(
                "SELECT id FROM deals WHERE name LIKE ? LIMIT 50", (f"%{word}%",)
            ).fetchall()
            like.append((time.perf_counter() - t0) * 1000)
        print(
            f"run {run}: FTS prefix (3 tables, top 50) p95 {_pct(fts, 0.95):.2f} ms | "
            f"LIKE scan (deals only) p95 {_pct(like, 0.95):.2f} ms | ratio "
            f"{_pct(like, 0.95) / _pct(fts, 0.95):.0f}x (target FTS < 20 ms); "
            f"1-letter prefixes max {max(single):.1f} ms",
            flush=True,
        )

    tables = reader.tables
    unindexed = []
    for key, column in SORT_COLUMNS[Entity.DEAL].items():
        plan = " ".join(
            str(r[-1])
            for r in reader.conn.execute(
                f"EXPLAIN QUERY PLAN SELECT id FROM deals AS t ORDER BY t.{column}, t.id LIMIT 100"
            )
        )
        if "TEMP B-TREE" in plan:
            unindexed.append(key)
    print(f"sort keys sorted without an index: {unindexed or 'none'}")
    for run in range(runs):
        line = []
        for key in SORT_COLUMNS[Entity.DEAL]:
            query = TableQuery(Entity.DEAL, Filter(), Sort(key, descending=run % 2 == 1))
            t0 = time.perf_counter()
            rowset = tables.open(query)
            tables.window(rowset, 0, 100)
            line.append((key, (time.perf_counter() - t0) * 1000))
        worst = max(line, key=lambda kv: kv[1])
        print(
            f"run {run}: first page after sort (count + 100 rows): worst {worst[0]} "
            f"{worst[1]:.1f} ms; all: {', '.join(f'{k} {v:.1f}' for k, v in line)} "
            "(target < 300 ms)",
            flush=True,
        )
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
    for text in ("ac", "a", "wayne 12"):
        searched = TableQuery(Entity.DEAL, Filter(text=text), Sort("name"))
        t0 = time.perf_counter()
        rs = tables.open(searched)
        tables.window(rs, 0, 100)
        print(
            f"search-as-you-type {text!r}: count {rs.count:,} + first page sorted by name: "
            f"{(time.perf_counter() - t0) * 1000:.1f} ms"
        )
    t0 = time.perf_counter()
    tables.count(TableQuery(Entity.DEAL))
    print(f"count all deals: {(time.perf_counter() - t0) * 1000:.1f} ms")
    store.close()

    size = sum(p.stat().st_size for p in work.glob("store.db*"))
    conn = sqlite3.connect(work / "store.db")
    per_object: dict[str, int] = dict(
        conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")
    )
    conn.close()
    deal_bytes = sum(
        v for k, v in per_object.items() if k.startswith(("deals", "sqlite_autoindex_deals"))
    )
    print(
        f"disk: {size / 1e6:.0f} MB in all ({rows:,} deals + people + companies); "
        f"deals with their indexes and search index {deal_bytes / rows:.0f} B/deal → "
        f"{deal_bytes / rows:.0f} MB per million (target < 600 MB)"
    )
    print(
        "deals objects:",
        ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in per_object.items() if k.startswith("deals")),
    )
    return 0
