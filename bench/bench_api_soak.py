"""A long soak of the API client against the sandbox's rate limit, in both limit modes.

For each mode (token bucket, strict sliding window) the sandbox enforces 10 calls per 5 s
and the client runs a matching ``RatePolicy``; several workers keep asking for pages,
records and the profile (with a few updates) for ``--seconds`` (default 600). Reported
per mode: requests, 429 replies (target 0), requests sent while the last reply said
``Remaining: 0`` and its reset had not passed (target 0), and the sustained rate after
the first period (target >= 1.9 requests/s; the limit's ceiling is 2.0).

    python -m bench api_soak --seconds=60            # a quick run
    python -m bench api_soak --modes=window --seconds=600
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from typing import Any

from bench.bench_api_pull import compliance_problems
from bench.sandbox_proc import RunningSandbox, sandbox_process
from crmdesk.api import Exchange, LimitMode, PipelineClient, Priority, RatePolicy


async def soak(sb: RunningSandbox, mode: str, seconds: float, workers: int) -> dict[str, Any]:
    """Run the workload for ``seconds``; what the client saw."""
    seen: list[Exchange] = []
    rng = random.Random(7)
    stop = time.monotonic() + seconds
    async with PipelineClient(
        sb.base_url,
        sb.admin_key,
        rate_limit=RatePolicy(mode=LimitMode(mode)),
        observer=seen.append,
    ) as client:
        first = await client.deals.list(per_page=50).first_page()
        deal_ids = [d.id for d in first.entries]

        async def worker(number: int) -> None:
            priority = Priority.BACKGROUND if number else Priority.INTERACTIVE
            while time.monotonic() < stop:
                roll = rng.random()
                if roll < 0.5:
                    page = rng.randint(1, max(first.pages, 1))
                    await client.deals.list(per_page=50, priority=priority).page(page)
                elif roll < 0.8:
                    await client.deals.get(rng.choice(deal_ids), priority=priority)
                elif roll < 0.95:
                    await client.profile.get(priority=priority)
                else:
                    await client.deals.update(rng.choice(deal_ids), {"summary": f"soak {roll:.6f}"})

        await asyncio.gather(*(worker(n) for n in range(workers)))
        stats = client.stats.snapshot()
    start = min(e.sent_at for e in seen)
    end = max(e.replied_at for e in seen)
    steady = [e for e in seen if e.sent_at >= start + 5.0]
    return {
        "requests": stats["requests"],
        "rate_limited": stats["rate_limited"],
        "violations": compliance_problems(seen),
        "overall_rate": len(seen) / (end - start),
        "steady_rate": len(steady) / max(end - (start + 5.0), 1e-9),
        "seconds": end - start,
        "zero_remaining_replies": sum(1 for e in seen if e.remaining == 0),
    }


def main(argv: list[str]) -> int:
    options = argparse.ArgumentParser(prog="bench api_soak")
    options.add_argument("--seconds", type=float, default=600.0)
    options.add_argument("--modes", default="bucket,window")
    options.add_argument("--workers", type=int, default=4)
    args = options.parse_args(argv)
    print(f"soak: {args.seconds:.0f} s per mode, {args.workers} workers, limit 10 per 5 s")
    print(
        f"{'mode':>7} {'seconds':>8} {'requests':>8} {'429s':>5} {'violations':>10}"
        f" {'req/s':>6} {'steady req/s':>12} {'ceiling':>7} {'ratio':>6} {'Remaining=0':>11}"
    )
    for mode in args.modes.split(","):
        with sandbox_process(
            "--scale", "tiny", "--deals", "2000", "--rate-limit", "10/5", "--rate-limit-mode", mode
        ) as sb:
            result = asyncio.run(soak(sb, mode, args.seconds, args.workers))
        print(
            f"{mode:>7} {result['seconds']:>8.1f} {result['requests']:>8} "
            f"{result['rate_limited']:>5} {result['violations']:>10} "
            f"{result['overall_rate']:>6.3f} {result['steady_rate']:>12.3f} {2.0:>7.1f} "
            f"{result['steady_rate'] / 2.0:>6.3f} {result['zero_remaining_replies']:>11}"
        )
    print("targets: 0 429s, 0 violations, steady >= 1.9 req/s")
    return 0
