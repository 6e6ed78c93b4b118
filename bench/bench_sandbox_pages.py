"""Sandbox speed: a 200-deal page (filters, sort) at ``large`` scale, beside baselines.

    python -m bench sandbox_pages [--deals=100000] [--repeat=40] [--million]

* data generation time of the scale (target: ``large`` in under 60 s);
* p50/p95 of ``GET /deals`` pages with filters and sort, over real HTTP on loopback
  (target: p50 under 30 ms at ``large`` scale), next to two baselines served by the same
  uvicorn/h11 stack in the same run: a bare Starlette endpoint returning the same JSON list
  (serialised per request) and one returning the pre-encoded bytes (the HTTP floor);
* p50 of one deal by id and of an update, for client benchmarks that lean on them;
* ``--million``: generation time and page p50 with 1,000,000 deals.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crmdesk.sandbox import Sandbox
from crmdesk.sandbox.runner import bind_socket

TARGET_P50_MS = 30.0
TARGET_GENERATION_S = 60.0


def _opt(argv: list[str], name: str, default: int) -> int:
    for arg in argv:
        if arg.startswith(f"--{name}="):
            return int(arg.split("=", 1)[1])
    return default


def _timed(call: Callable[[], httpx.Response], repeat: int) -> list[float]:
    call()  # warm caches and the connection
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = call()
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"unexpected {response.status_code}: {response.text[:200]}")
    return times


def _p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Baseline:
    """A bare Starlette app on the same server stack, serving a fixed JSON body."""

    def __init__(self, body: dict[str, Any], raw: bytes) -> None:
        async def encoded(request: Request) -> Response:
            return JSONResponse(body)

        async def floor(request: Request) -> Response:
            return Response(raw, media_type="application/json")

        app = Starlette(routes=[Route("/json", encoded), Route("/bytes", floor)])
        self.sock = bind_socket("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_config=None, lifespan="off", http="h11", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def measure(sb: Sandbox, repeat: int, label: str) -> list[tuple[str, float, float]]:
    """p50/p95 (ms) of each page query against ``sb``."""
    api = httpx.Client(base_url=sb.base_url, params={"api_key": sb.admin_key}, timeout=60)
    stages = [s["id"] for s in api.get("/admin/deal_stages").json()["entries"]]
    total = api.get("/deals", params={"per_page": 1}).json()["pagination"]["total"]
    middle = max(1, total // 400)
    queries = {
        "default order, page 1": {},
        "2 stages, sort name": {"conditions[deal_stage][]": stages[2:4], "sort": "deals.name"},
        "value range, -value, deep page": {
            "conditions[deal_value][from]": 1000,
            "conditions[deal_value][to]": 20000,
            "sort": "-deals.value",
            "page": middle,
        },
        "modified since, owner, -updated": {
            "conditions[deal_modified][from_date]": "2020-01-01",
            "conditions[deal_owner][]": [api.get("/profile").json()["id"]],
            "sort": "-deals.updated_at",
            "page": 3,
        },
        "exp_close range, sort close date": {
            "conditions[exp_close][from_date]": "2020-01-01",
            "sort": "deals.expected_close_date",
            "page": middle // 2 or 1,
        },
    }
    rows = []
    for name, params in queries.items():
        times = _timed(lambda p=params: api.get("/deals", params=p), repeat)  # type: ignore[misc]
        rows.append((f"{label}: {name}", _p(times, 0.5), _p(times, 0.95)))
    deal = api.get("/deals", params={"per_page": 1}).json()["entries"][0]["id"]
    times = _timed(lambda: api.get(f"/deals/{deal}"), repeat)
    rows.append((f"{label}: one deal by id", _p(times, 0.5), _p(times, 0.95)))
    times = _timed(
        lambda: api.put(f"/deals/{deal}", json={"deal": {"summary": str(time.time())}}), repeat
    )
    rows.append((f"{label}: update one deal", _p(times, 0.5), _p(times, 0.95)))
    api.close()
    return rows


def main(argv: list[str]) -> int:
    deals = _opt(argv, "deals", 0)
    repeat = _opt(argv, "repeat", 40)
    options: dict[str, Any] = {"scale": "large", "rate_limit": None, "seed": 1}
    if deals:
        options["deals"] = deals
    started = time.perf_counter()
    sb = Sandbox.start(**options)
    generated = time.perf_counter() - started
    counts = httpx.get(f"{sb.control_url}/health").json()["counts"]
    print(
        f"generation: {generated:.1f} s for {counts}  (target < {TARGET_GENERATION_S:.0f} s"
        f" at large scale: {'met' if generated < TARGET_GENERATION_S else 'MISSED'})"
    )
    try:
        page = httpx.get(f"{sb.base_url}/deals", params={"api_key": sb.admin_key}).json()
        raw = httpx.get(f"{sb.base_url}/deals", params={"api_key": sb.admin_key}).content
        baseline = Baseline(page, raw)
        rows = measure(sb, repeat, "sandbox")
        with httpx.Client(base_url=f"http://127.0.0.1:{baseline.port}") as plain:
            json_times = _timed(lambda: plain.get("/json"), repeat)
            bytes_times = _timed(lambda: plain.get("/bytes"), repeat)
        baseline.stop()
    finally:
        sb.stop()
    base50 = _p(json_times, 0.5)
    print(f"\n{'query (200 per page)':48} {'p50 ms':>8} {'p95 ms':>8} {'x baseline':>11}")
    print(
        f"{'baseline: bare Starlette, same JSON':48} {base50:8.2f} {_p(json_times, 0.95):8.2f}"
        f" {1.0:11.2f}"
    )
    print(
        f"{'floor: bare Starlette, pre-encoded bytes':48} {_p(bytes_times, 0.5):8.2f}"
        f" {_p(bytes_times, 0.95):8.2f} {_p(bytes_times, 0.5) / base50:11.2f}"
    )
    for name, p50, p95 in rows:
        print(f"{name:48} {p50:8.2f} {p95:8.2f} {p50 / base50:11.2f}")
    pages = [p50 for name, p50, _ in rows if "deal" not in name.split(": ")[1][:8]]
    worst = max(p50 for name, p50, _ in rows[:5])
    print(
        f"\nworst page p50 {worst:.1f} ms (target < {TARGET_P50_MS:.0f} ms:"
        f" {'met' if worst < TARGET_P50_MS else 'MISSED'}); median of pages"
        f" {statistics.median(pages):.1f} ms; {repeat} runs each"
    )
    if "--million" in argv:
        started = time.perf_counter()
        big = Sandbox.start(scale="large", deals=1_000_000, rate_limit=None)
        print(f"\n1,000,000 deals generated in {time.perf_counter() - started:.1f} s")
        try:
            for name, p50, p95 in measure(big, max(10, repeat // 2), "1M deals")[:5]:
                print(f"{name:48} {p50:8.2f} {p95:8.2f} {p50 / base50:11.2f}")
        finally:
            big.stop()
    return 0
