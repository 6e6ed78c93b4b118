"""Run ``crmdesk-sandbox`` in a child process for a benchmark (its own GIL, its own core).

Not a benchmark itself (no ``bench_`` prefix): shared by the API client's benchmarks.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class RunningSandbox:
    """Where a child sandbox serves, and how to reach its control path."""

    base_url: str
    admin_key: str
    user_key: str
    pid: int
    seconds_to_start: float

    @property
    def control_url(self) -> str:
        """``http://127.0.0.1:<port>/_sandbox``."""
        return self.base_url.removesuffix("/api/v3") + "/_sandbox"

    def set_rate_limit(self, spec: str | None, mode: str = "bucket") -> None:
        """Change (and restart) the server's limiter: ``"10/5"`` or None for off."""
        body = {"rate_limit": spec or "off", "mode": mode}
        httpx.put(f"{self.control_url}/rate_limit", json=body, timeout=10).raise_for_status()

    def set_faults(self, **faults: Any) -> None:
        """Replace the injected faults (none given: all off)."""
        httpx.put(f"{self.control_url}/faults", json=faults, timeout=10).raise_for_status()


@contextmanager
def sandbox_process(*args: str, start_timeout: float = 300.0) -> Iterator[RunningSandbox]:
    """Start ``crmdesk-sandbox --port 0 --json <args>``; stop it on exit."""
    command = [sys.executable, "-m", "crmdesk.sandbox.cli", "--port", "0", "--json", *args]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line:
            raise RuntimeError(f"the sandbox did not start: exit {child.wait(start_timeout)}")
        info = json.loads(line)
        yield RunningSandbox(
            base_url=info["base_url"],
            admin_key=info["api_keys"]["admin"],
            user_key=info["api_keys"]["user"],
            pid=info["pid"],
            seconds_to_start=time.perf_counter() - started,
        )
    finally:
        child.terminate()
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
