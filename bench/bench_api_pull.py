"""A full pull of N deals (default 20,000) through the API client, against the sandbox.

Three figures, each with its baseline from the same run:

1. Parsing throughput (client overhead): the pages' raw bytes are fetched once, then timed
   through ``json.loads`` alone (baseline) and through ``json.loads`` + envelope + typed
   ``Deal`` records. Target: >= 20,000 deal records/s.
2. The same pull end to end with the sandbox's limit off (HTTP + sandbox + parsing), for
   context.
3. The pull with the sandbox's limit on (10 per 5 s), as a ratio of the limit's bound:
   the first 10 pages at once, then 2 pages per second -> (pages - 10) / 2 seconds.
   Target: ratio >= 0.95, zero 429s, no request sent while the last reply said
   ``Remaining: 0`` before its reset.

    python -m bench api_pull --deals 20000 --runs 3 --modes bucket,window
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

import httpx

from bench.sandbox_proc import RunningSandbox, sandbox_process
from crmdesk.api import Exchange, LimitMode, PipelineClient, RatePolicy
from crmdesk.api.parsing import RecordParser, envelope

PER_PAGE = 200


def compliance_problems(exchanges: list[Exchange]) -> int:
    """Requests sent while the latest reply said Remaining 0 and its Reset was still ahead."""
    replies = sorted((e for e in exchanges if e.status is not None), key=lambda e: e.replied_at)
    bad = 0
    index = 0
    last: Exchange | None = None
    for exchange in sorted(exchanges, key=lambda e: e.sent_at):
        while index < len(replies) and replies[index].replied_at <= exchange.sent_at:
            last = replies[index]
            index += 1
        if last is not None and last.remaining == 0 and last.reset is not None:
            bad += exchange.sent_at < last.reset
    return bad


def fetch_raw_pages(sb: RunningSandbox) -> list[bytes]:
    """Every page of deals as the bytes the server sent."""
    pages: list[bytes] = []
    with httpx.Client(base_url=sb.base_url, params={"api_key": sb.admin_key}, timeout=60) as web:
        number, last = 1, 1
        while number <= last:
            reply = web.get("/deals", params={"page": number, "per_page": PER_PAGE})
            reply.raise_for_status()
            pages.append(reply.content)
            last = json.loads(reply.content)["pagination"]["pages"]
            number += 1
    return pages


async def load_parser(sb: RunningSandbox) -> RecordParser:
    parser = RecordParser()
    async with PipelineClient(sb.base_url, sb.admin_key, rate_limit=None, parser=parser) as c:
        await c.custom_fields.load_types()
    return parser


def time_parsing(pages: list[bytes], parser: RecordParser) -> tuple[float, float, int]:
    """Seconds for json.loads of every page, and for json.loads + typed records."""
    started = time.perf_counter()
    for content in pages:
        json.loads(content)
    json_only = time.perf_counter() - started
    started = time.perf_counter()
    count = 0
    deal = parser.deal
    for content in pages:
        entries = envelope(json.loads(content)).entries
        count += len([deal(raw) for raw in entries])
    return json_only, time.perf_counter() - started, count


async def pull(sb: RunningSandbox, policy: RatePolicy | None) -> dict[str, Any]:
    """Pull every deal with the client; elapsed time, counts and limiter behaviour."""
    seen: list[Exchange] = []
    async with PipelineClient(
        sb.base_url, sb.admin_key, rate_limit=policy, observer=seen.append
    ) as client:
        started = time.perf_counter()
        count = 0
        async for _deal in client.deals.list(per_page=PER_PAGE, concurrency=4):
            count += 1
        elapsed = time.perf_counter() - started
        stats = client.stats.snapshot()
    return {
        "records": count,
        "seconds": elapsed,
        "requests": stats["requests"],
        "rate_limited": stats["rate_limited"],
        "violations": compliance_problems(seen),
    }


def main(argv: list[str]) -> int:
    options = argparse.ArgumentParser(prog="bench api_pull")
    options.add_argument("--deals", type=int, default=20_000)
    options.add_argument("--runs", type=int, default=3)
    options.add_argument("--parse-runs", type=int, default=5)
    options.add_argument("--modes", default="bucket", help="bucket,window")
    options.add_argument("--skip-limited", action="store_true")
    args = options.parse_args(argv)

    with sandbox_process(
        "--scale", "tiny", "--deals", str(args.deals), "--rate-limit", "off"
    ) as sb:
        print(f"sandbox with {args.deals} deals up in {sb.seconds_to_start:.1f} s")
        pages = fetch_raw_pages(sb)
        parser = asyncio.run(load_parser(sb))
        size = sum(len(p) for p in pages)
        print(f"{len(pages)} pages, {size / 1e6:.1f} MB of JSON\n")

        print("1. parsing (limit off): json.loads alone vs json.loads + typed Deal records")
        print(f"{'run':>4} {'json.loads rec/s':>18} {'parsed rec/s':>14} {'parsed/json':>12}")
        parsed_rates = []
        for run in range(1, args.parse_runs + 1):
            json_only, full, count = time_parsing(pages, parser)
            parsed_rates.append(count / full)
            print(
                f"{run:>4} {count / json_only:>18,.0f} {count / full:>14,.0f}"
                f" {json_only / full:>12.2f}"
            )
        print(
            f"     median parsed: {statistics.median(parsed_rates):,.0f} records/s "
            "(target >= 20,000)\n"
        )

        print("2. end-to-end pull, limit off (HTTP + sandbox + parsing)")
        for run in range(1, args.runs + 1):
            result = asyncio.run(pull(sb, None))
            print(
                f"{run:>4} {result['records']:>7} records in {result['seconds']:6.2f} s"
                f" = {result['records'] / result['seconds']:>9,.0f} records/s,"
                f" {result['requests']} requests"
            )
        if args.skip_limited:
            return 0

        page_count = len(pages)
        bound = max(page_count - 10, 0) / 2.0
        print(
            f"\n3. pull with the limit on (10/5): bound = ({page_count} - 10) / 2 = {bound:.1f} s"
        )
        print(
            f"{'mode':>7} {'run':>4} {'seconds':>8} {'ratio':>6} {'429s':>5} {'violations':>10}"
            f" {'requests':>8}"
        )
        worst = 1.0
        for mode in args.modes.split(","):
            for run in range(1, args.runs + 1):
                sb.set_rate_limit("10/5", mode)  # a fresh, full server bucket per run
                result = asyncio.run(pull(sb, RatePolicy(mode=LimitMode(mode))))
                ratio = bound / result["seconds"] if result["seconds"] else 0.0
                worst = min(worst, ratio)
                print(
                    f"{mode:>7} {run:>4} {result['seconds']:>8.2f} {ratio:>6.3f}"
                    f" {result['rate_limited']:>5} {result['violations']:>10}"
                    f" {result['requests']:>8}"
                )
        print(f"worst ratio {worst:.3f} (target >= 0.95)")
    return 0
