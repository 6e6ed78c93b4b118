"""Draining queued edits with the rate limit on, against its floor; and coalescing.

1. **Drain**: N deals (default 1,000) each get one queued field edit; one sync run sends
   them. Floor (the baseline, from the limit): every PUT needs a slot, 10 at once then 2
   per second -> (N - 10) / 2 s; the run also pulls first (one request per collection
   and its deletions) and re-pulls the collections with queued updates every 30 s, which
   count against it. Target (issue 5): within 5% of the floor (500 s for 1,000).
   A bare loop of PUTs through the client alone (no store, no engine) is timed on a
   slice of the same deals as a second baseline.
2. **Coalescing**: M deals (default 50) each edited K times (default 5) in the same field
   before a sync: requests for them = M (one PUT per record), with the final values.

    python -m bench sync_drain --edits=1000 --bare=100
    python -m bench sync_drain --edits=200 --runs=3
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.sandbox_proc import RunningSandbox, sandbox_process
from crmdesk.api import Exchange, PipelineClient, RatePolicy
from crmdesk.domain.entities import Entity
from crmdesk.store import Store
from crmdesk.sync import SyncEngine


def floor_seconds(requests: int, policy: RatePolicy) -> float:
    """Least time ``requests`` take under the bucket (full at the start)."""
    return max(0.0, (requests - policy.calls) / policy.rate)


async def first_sync(sb: RunningSandbox, path: Path) -> list[int]:
    """Pull the account into a new store (limit off); the deal ids."""
    store = Store.open(path)
    try:
        async with PipelineClient(sb.base_url, sb.admin_key, rate_limit=None) as client:
            report = await SyncEngine(store, client).sync()
            assert report.complete, report.error
        return list(store.read().records.server_ids(Entity.DEAL))
    finally:
        store.close()


async def drain(sb: RunningSandbox, path: Path, ids: list[int], times: int, tag: str) -> Any:
    """Queue ``times`` edits of one field on each deal, then one sync run with the limit."""
    store = Store.open(path)
    puts: Counter[str] = Counter()
    try:
        for n in range(times):
            for i, deal_id in enumerate(ids):
                value = f"{tag} {i} #{n}"
                await store.write(
                    lambda s, d=deal_id, v=value: s.edits.update(Entity.DEAL, d, {"summary": v})
                )
        queued = len(store.read().outbox.entries())

        def count(exchange: Exchange) -> None:
            if exchange.method == "PUT":
                puts[exchange.path] += 1

        sb.set_rate_limit("10/5")
        async with PipelineClient(sb.base_url, sb.admin_key, observer=count) as client:
            started = time.perf_counter()
            report = await SyncEngine(store, client).sync()
            seconds = time.perf_counter() - started
        assert report.complete, report.error
        return {
            "queued": queued,
            "seconds": seconds,
            "requests": report.requests,
            "puts": sum(puts.values()),
            "max_puts_per_record": max(puts.values(), default=0),
            "rate_limited": report.rate_limited,
            "left": len(store.read().outbox.entries()),
        }
    finally:
        store.close()


async def bare_puts(sb: RunningSandbox, ids: list[int]) -> float:
    """Seconds for one PUT per deal through the client alone, limit on."""
    sb.set_rate_limit("10/5")
    async with PipelineClient(sb.base_url, sb.admin_key) as client:
        started = time.perf_counter()
        for i, deal_id in enumerate(ids):
            await client.deals.update(deal_id, {"summary": f"bare {i}"})
        return time.perf_counter() - started


async def check_values(sb: RunningSandbox, ids: list[int], tag: str, last: int) -> int:
    """How many deals do not hold the last queued value."""
    wrong = 0
    async with PipelineClient(sb.base_url, sb.admin_key, rate_limit=None) as client:
        found = {d.id: d.raw.get("summary") for d in await client.deals.list().all()}
    for i, deal_id in enumerate(ids):
        wrong += found.get(deal_id) != f"{tag} {i} #{last}"
    return wrong


def main(argv: list[str]) -> int:
    options = argparse.ArgumentParser(prog="bench sync_drain")
    options.add_argument("--edits", type=int, default=1000)
    options.add_argument("--runs", type=int, default=1)
    options.add_argument("--bare", type=int, default=100, help="PUTs in the bare baseline")
    options.add_argument("--coalesce", type=int, default=50, help="records edited repeatedly")
    options.add_argument("--times", type=int, default=5, help="edits per coalesced record")
    args = options.parse_args(argv)
    policy = RatePolicy()
    deals = args.edits + args.bare + args.coalesce
    with (
        sandbox_process("--scale", "tiny", "--deals", str(deals), "--rate-limit", "off") as sb,
        tempfile.TemporaryDirectory(prefix="crmdesk-bench-drain-") as scratch,
    ):
        path = Path(scratch) / "store.db"
        ids = asyncio.run(first_sync(sb, path))
        drained, bare_ids = ids[: args.edits], ids[args.edits : args.edits + args.bare]
        coalesced = ids[args.edits + args.bare : deals]

        if bare_ids:
            bare = asyncio.run(bare_puts(sb, bare_ids))
            floor = floor_seconds(len(bare_ids), policy)
            print(
                f"baseline: {len(bare_ids)} bare PUTs in {bare:.1f} s (floor {floor:.1f} s, "
                f"floor/bare {floor / bare:.3f})\n"
            )
        print(f"1. drain {args.edits} queued edits, limit 10/5")
        print(
            f"{'run':>3} {'queued':>7} {'floor s':>8} {'sync s':>8} {'sync/floor':>10}"
            f" {'requests':>9} {'PUTs':>6} {'429s':>5} {'left':>5} {'wrong':>6}"
        )
        ratios = []
        for run in range(1, args.runs + 1):
            sb.set_rate_limit(None)
            tag = f"drain{run}"
            result = asyncio.run(drain(sb, path, drained, 1, tag))
            floor = floor_seconds(args.edits, policy)
            ratio = result["seconds"] / floor
            ratios.append(ratio)
            sb.set_rate_limit(None)
            wrong = asyncio.run(check_values(sb, drained, tag, 0))
            print(
                f"{run:>3} {result['queued']:>7} {floor:>8.1f} {result['seconds']:>8.1f}"
                f" {ratio:>10.3f} {result['requests']:>9} {result['puts']:>6}"
                f" {result['rate_limited']:>5} {result['left']:>5} {wrong:>6}",
                flush=True,
            )
        print(f"   median sync/floor {statistics.median(ratios):.3f} (target <= 1.05)\n")

        print(f"2. coalescing: {len(coalesced)} deals x {args.times} edits of one field")
        sb.set_rate_limit(None)
        result = asyncio.run(drain(sb, path, coalesced, args.times, "coalesce"))
        sb.set_rate_limit(None)
        wrong = asyncio.run(check_values(sb, coalesced, "coalesce", args.times - 1))
        print(
            f"   edits {len(coalesced) * args.times}, queued entries {result['queued']}, "
            f"PUTs {result['puts']} (baseline: one per record = {len(coalesced)}), "
            f"most PUTs for one record {result['max_puts_per_record']}, wrong values {wrong}"
        )
    return 0
