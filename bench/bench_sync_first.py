"""First full sync of a sandbox account with the rate limit on, as a ratio of the limit's
bound, plus the peak memory of the syncing process.

For each run, against one sandbox child process (10 calls / 5 s, token bucket):

* **bound**: the least time the limit allows for the requests a first sync cannot avoid
  (every page of every synced collection, plus profile, account and saved searches):
  the first 10 at once, then 2 per second -> (requests - 10) / 2 s;
* **baseline**: the same pages fetched by a bare ``Listing`` per collection (the API client
  alone: no store, no engine) - what pacing costs without us;
* **crmdesk sync**: ``crmdesk sync --json`` into an empty data directory, in a child process
  whose peak RSS is read with ``wait4``.

Ratio = bound / measured time (1.0 = the limit is the only thing that costs time). Targets
(issue 5): sync ratio >= 0.9 on the ``large`` scale; peak memory < 400 MB.

    python -m bench sync_first --scale=demo --runs=3
    python -m bench sync_first --scale=large --runs=1      # ~18 minutes
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.sandbox_proc import RunningSandbox, sandbox_process
from crmdesk.api import PipelineClient, RatePolicy
from crmdesk.sync.wire import SYNCED, Wire

ACCOUNT_REQUESTS = 3  # profile, account, saved searches


def bound_seconds(requests: int, policy: RatePolicy) -> float:
    """Least time ``requests`` take under a bucket of ``calls`` refilled at ``rate``/s."""
    return max(0.0, (requests - policy.calls) / policy.rate)


async def bare_listing(sb: RunningSandbox) -> dict[str, Any]:
    """Every page of every synced collection through the client alone."""
    started = time.perf_counter()
    records = pages = 0
    async with PipelineClient(sb.base_url, sb.admin_key) as client:
        wire = Wire(client)
        await client.profile.get()
        await client.account.get()
        await client.searches.list().all()
        for entity in SYNCED:
            async for page in wire.listing(entity, sort=f"{entity.collection}.id").pages():
                records += len(page.entries)
                pages += 1
        requests = client.stats.requests
        limited = client.stats.rate_limited
    return {
        "seconds": time.perf_counter() - started,
        "records": records,
        "pages": pages,
        "requests": requests,
        "rate_limited": limited,
    }


def crmdesk_sync(sb: RunningSandbox, data_dir: Path) -> dict[str, Any]:
    """``crmdesk sync --json`` in a child process: its summary, wall time and peak RSS."""
    env = {**os.environ, "BENCH_KEY": sb.admin_key}
    command = [
        sys.executable, "-m", "crmdesk", "sync", "--json", "--base-url", sb.base_url,
        "--api-key-env", "BENCH_KEY", "--data-dir", str(data_dir),
    ]  # fmt: skip
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out_file, stderr=err_file, env=env)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read().decode(), err_file.read().decode()
    if child.returncode != 0:
        raise RuntimeError(f"crmdesk sync failed ({child.returncode}): {err[-2000:]}")
    summary = json.loads(out.strip().splitlines()[-1])
    summary["wall"] = seconds
    summary["peak_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return summary


def main(argv: list[str]) -> int:
    options = argparse.ArgumentParser(prog="bench sync_first")
    options.add_argument("--scale", default="demo", help="sandbox scale: tiny, demo, large")
    options.add_argument("--runs", type=int, default=3)
    options.add_argument("--skip-baseline", action="store_true")
    args = options.parse_args(argv)
    policy = RatePolicy()
    print(
        f"first sync of the sandbox's {args.scale!r} scale, limit 10/5 (bucket), {args.runs} run(s)"
    )
    with sandbox_process("--scale", args.scale, "--rate-limit", "10/5") as sb:
        print(f"sandbox up in {sb.seconds_to_start:.1f} s\n")
        print(
            f"{'run':>3} {'records':>8} {'pages':>6} {'bound s':>8} {'bare s':>8}"
            f" {'bare ratio':>10} {'sync s':>8} {'sync ratio':>10} {'requests':>9}"
            f" {'429s':>5} {'peak MB':>8}"
        )
        ratios: list[float] = []
        peaks: list[float] = []
        for run in range(1, args.runs + 1):
            bare: dict[str, Any] | None = None
            if not args.skip_baseline:
                sb.set_rate_limit("10/5")  # a full bucket for each phase
                bare = asyncio.run(bare_listing(sb))
            sb.set_rate_limit("10/5")
            with tempfile.TemporaryDirectory(prefix="crmdesk-bench-first-") as scratch:
                result = crmdesk_sync(sb, Path(scratch))
            records = sum(result["pulled"].values())
            pages = (
                bare["pages"]
                if bare
                else sum(math.ceil(n / 200) for n in result["pulled"].values())
            )
            bound = bound_seconds(pages + ACCOUNT_REQUESTS, policy)
            ratio = bound / result["seconds"]
            ratios.append(ratio)
            peaks.append(result["peak_mb"])
            bare_text = (
                f"{bare['seconds']:>8.1f} {bound / bare['seconds']:>10.3f}"
                if bare
                else f"{'-':>8} {'-':>10}"
            )
            print(
                f"{run:>3} {records:>8,} {pages:>6} {bound:>8.1f} {bare_text}"
                f" {result['seconds']:>8.1f} {ratio:>10.3f} {result['requests']:>9}"
                f" {result['rate_limited']:>5} {result['peak_mb']:>8.0f}",
                flush=True,
            )
    print(
        f"\nmedian sync ratio {statistics.median(ratios):.3f} (target >= 0.9 at 'large'); "
        f"peak memory max {max(peaks):.0f} MB (target < 400 MB)"
    )
    return 0
