"""Per-key rate limiting: a token bucket (default) or a strict sliding window.

The recorded ``X-Ratelimit-*`` headers behave like a bucket of 10 refilled at 2 per second;
the changelog's words ("up to 10 calls ... within a 5 second period") read literally are a
sliding window. Both are offered so a client can be proven against either reading.
EMULATION: the over-limit answer (429, ``{"error": "Rate limit exceeded"}``, Retry-After)
was never recorded; it follows the reference's section 8 item 3.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from crmdesk.sandbox.options import RateLimit


@dataclass(frozen=True, slots=True)
class Decision:
    """Outcome of one call: allowed or not, and the header values to send."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # epoch seconds
    retry_after: int  # seconds; 0 when allowed

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The ``X-Ratelimit-*`` (and, when refused, ``Retry-After``) headers."""
        headers = [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(self.reset).encode()),
        ]
        if not self.allowed:
            headers.append((b"retry-after", str(self.retry_after).encode()))
        return headers


#: Header values while the limit is switched off: plenty left, so no client waits.
UNLIMITED = 1_000_000


def _UNLIMITED(wall: float) -> Decision:
    return Decision(True, UNLIMITED, UNLIMITED, int(wall), 0)


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, tokens: float, updated: float) -> None:
        self.tokens = tokens
        self.updated = updated


class RateLimiter:
    """Decides per key whether a call may proceed; thread-compatible, loop-thread only."""

    def __init__(
        self,
        limit: RateLimit | None,
        mode: str = "bucket",
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.mode = mode
        self._clock = clock
        self._wall = wall
        self._buckets: dict[str, _Bucket] = {}
        self._windows: dict[str, deque[float]] = {}

    def configure(self, limit: RateLimit | None, mode: str | None = None) -> None:
        """Change the limit (and mode) at run time; counters start afresh."""
        self.limit = limit
        if mode is not None:
            self.mode = mode
        self._buckets.clear()
        self._windows.clear()

    def check(self, key: str) -> Decision:
        """Account one call of ``key``."""
        limit = self.limit
        now = self._clock()
        wall = self._wall()
        if limit is None:
            return _UNLIMITED(wall)
        if self.mode == "window":
            return self._window(key, limit, now, wall)
        return self._bucket(key, limit, now, wall)

    def peek(self) -> Decision:
        """Headers for a response that is not charged to any key (e.g. an unknown key)."""
        limit = self.limit
        wall = self._wall()
        if limit is None:
            return _UNLIMITED(wall)
        return Decision(True, limit.calls, limit.calls, int(wall), 0)

    def _bucket(self, key: str, limit: RateLimit, now: float, wall: float) -> Decision:
        rate = limit.calls / limit.seconds
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(limit.calls), now)
        bucket.tokens = min(float(limit.calls), bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        allowed = bucket.tokens >= 1.0
        if allowed:
            bucket.tokens -= 1.0
        # Reset: when the next token arrives (the recorded headers show about now + 1 s).
        missing = 1.0 - (bucket.tokens - math.floor(bucket.tokens))
        until_token = missing / rate if bucket.tokens < limit.calls else 0.0
        retry = 0 if allowed else max(1, math.ceil((1.0 - bucket.tokens) / rate))
        return Decision(
            allowed,
            limit.calls,
            math.floor(bucket.tokens),
            math.ceil(wall + until_token),
            retry,
        )

    def _window(self, key: str, limit: RateLimit, now: float, wall: float) -> Decision:
        calls = self._windows.setdefault(key, deque())
        while calls and calls[0] <= now - limit.seconds:
            calls.popleft()
        allowed = len(calls) < limit.calls
        if allowed:
            calls.append(now)
        oldest_expires = (calls[0] + limit.seconds - now) if calls else 0.0
        retry = 0 if allowed else max(1, math.ceil(oldest_expires))
        # EMULATION: Reset is whole epoch seconds as recorded, rounded DOWN here: the slot
        # frees within that second. Rounding up would make every reply of a full window say
        # "Remaining 0 until a second too late" and cap a client that honours the headers
        # at about 10 calls per 6 s instead of 10 per 5 s.
        return Decision(
            allowed,
            limit.calls,
            limit.calls - len(calls),
            math.floor(wall + oldest_expires),
            retry,
        )
