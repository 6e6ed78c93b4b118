"""Client-side pacing for the API's "10 calls per 5 seconds" limit, shared per account.

Two readings of the limit, one limiter:

* ``LimitMode.BUCKET`` (default): the server behaves like a token bucket of 10 refilled at
  2 per second (what the recorded ``X-Ratelimit-*`` headers show). The client runs its own
  bucket at the same rate but keeps ``reserve`` tokens of the server's bucket unused, so
  network jitter (a request arriving a little early) never empties the server's bucket.
* ``LimitMode.WINDOW``: the server allows at most 10 calls in any sliding 5-second window
  (the changelog's words taken literally). The client keeps a log of its last 10 calls and
  counts each from the moment its *reply* arrived, which is never earlier than the moment
  the server counted it, so jitter cannot push 11 calls into one server window.

Both modes also obey the server: a reply with ``X-Ratelimit-Remaining: 0`` holds every
request until ``X-Ratelimit-Reset``; a lower ``Remaining`` than the client expects (another
app using the same key) shrinks the client's bucket; a 429 pauses everything for
``Retry-After`` (or the reset, or one period). Waiters are served by priority, then in
arrival order, so an interactive request (open a record) overtakes a long background pull.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import contextvars
import heapq
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from crmdesk.api.clock import Clock, SystemClock, TimerHandle


class LimitMode(StrEnum):
    """How the server is assumed to count calls."""

    BUCKET = "bucket"
    WINDOW = "window"


class Priority(IntEnum):
    """Who waits for a slot; lower goes first."""

    INTERACTIVE = 0  # a person is waiting for this (open a record, save an edit)
    NORMAL = 1
    BACKGROUND = 2  # bulk pulls and sweeps


_priority: contextvars.ContextVar[Priority] = contextvars.ContextVar(
    "crmdesk_api_priority", default=Priority.NORMAL
)


def current_priority() -> Priority:
    """The priority requests made in this context get by default."""
    return _priority.get()


@contextlib.contextmanager
def using_priority(priority: Priority) -> Iterator[None]:
    """Give requests made inside this block (and tasks started in it) ``priority``."""
    token = _priority.set(priority)
    try:
        yield
    finally:
        _priority.reset(token)


_EPSILON = 1e-9
_DEFAULT_MAX_PAUSE = 60.0
_HOLD_MARGIN = 0.005
_MIN_TIMER = 0.001

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*$")


@dataclass(frozen=True, slots=True)
class RatePolicy:
    """The limit to pace for: ``calls`` per ``period`` seconds, counted the ``mode`` way."""

    calls: int = 10
    period: float = 5.0
    mode: LimitMode = LimitMode.BUCKET
    reserve: int = 2  # bucket mode: server tokens left unused as a cushion for jitter
    window_margin: float = 0.02  # window mode: seconds added after a reply
    max_pause: float = (
        _DEFAULT_MAX_PAUSE  # longest wait taken from Retry-After / Reset (clock skew guard)
    )

    def __post_init__(self) -> None:
        if self.calls < 1 or self.period <= 0:
            raise ValueError(f"invalid rate limit {self.calls}/{self.period}")
        if not 0 <= self.reserve < self.calls:
            raise ValueError(f"reserve must be below {self.calls}")

    @classmethod
    def parse(cls, spec: str, mode: LimitMode | str = LimitMode.BUCKET) -> RatePolicy:
        """A policy from ``"10/5"`` (calls/seconds)."""
        match = _SPEC.match(spec)
        if match is None:
            raise ValueError(f"rate limit must look like 10/5, not {spec!r}")
        calls, period = int(match.group(1)), float(match.group(2))
        return cls(calls=calls, period=period, mode=LimitMode(mode), reserve=min(2, calls - 1))

    @property
    def rate(self) -> float:
        """Sustained calls per second."""
        return self.calls / self.period

    @property
    def burst(self) -> int:
        """Calls the client may send back to back when idle."""
        return self.calls - self.reserve if self.mode is LimitMode.BUCKET else self.calls


@dataclass(slots=True)
class LimiterStats:
    """What the limiter did: slots granted, pauses the server imposed."""

    granted: int = 0
    server_pauses: int = 0  # Remaining hit 0, or a 429
    rate_limited: int = 0  # 429 replies observed


class Permit:
    """The right to send one request; report the reply with ``finish`` (exactly once)."""

    __slots__ = ("_finished", "_limiter")

    def __init__(self, limiter: RateLimiter | None) -> None:
        self._limiter = limiter
        self._finished = False

    def finish(
        self,
        status: int | None = None,
        *,
        remaining: int | None = None,
        reset: float | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Tell the limiter how the request ended (status None: no reply at all)."""
        if self._finished:
            return
        self._finished = True
        if self._limiter is not None:
            self._limiter._observe(status, remaining, reset, retry_after)


class RateLimiter:
    """Paces requests of one account; share one instance between everything using its key.

    ``policy=None`` switches the client's own pacing off; the server's explicit signals
    (a 429's ``Retry-After``, ``Remaining: 0``) still pause every request.
    Must be used from one event loop.
    """

    def __init__(self, policy: RatePolicy | None = None, clock: Clock | None = None) -> None:
        self.policy = policy
        self.clock: Clock = clock or SystemClock()
        self.stats = LimiterStats()
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._timer: TimerHandle | None = None
        now = self.clock.monotonic()
        self._tokens = float(policy.burst) if policy else 0.0
        self._stamp = now
        self._paused_until = now
        self._inflight = 0
        self._replied: list[float] = []  # window mode: reply times, sorted
        self._max_pause = policy.max_pause if policy else _DEFAULT_MAX_PAUSE

    def __repr__(self) -> str:
        policy = self.policy
        what = "off" if policy is None else f"{policy.calls}/{policy.period:g}s {policy.mode}"
        return f"<RateLimiter {what} waiting={len(self._waiters)}>"

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot now."""
        return sum(1 for _, _, f in self._waiters if not f.done())

    async def acquire(self, priority: Priority | None = None) -> Permit:
        """Wait for a slot; ``priority`` defaults to the context's (``using_priority``)."""
        if self.policy is None and self._paused_until <= self.clock.monotonic():
            self._take()  # nothing to wait for: skip the queue
            return Permit(self)
        rank = int(current_priority() if priority is None else priority)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (rank, next(self._seq), future))
        self._dispatch()
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._refund()  # granted in the same turn we were cancelled: give it back
            raise
        return Permit(self)

    def pause(self, seconds: float) -> None:
        """Hold every request for ``seconds`` (clamped to ``max_pause``)."""
        seconds = min(max(seconds, 0.0), self._max_pause)
        self._paused_until = max(self._paused_until, self.clock.monotonic() + seconds)
        self.stats.server_pauses += 1
        self._dispatch()

    # ------------------------------------------------------------------ internals

    def _refill(self, now: float) -> None:
        policy = self.policy
        assert policy is not None
        if now > self._stamp:
            self._tokens = min(
                float(policy.burst), self._tokens + (now - self._stamp) * policy.rate
            )
            self._stamp = now

    def _delay(self, now: float) -> float:
        """Seconds until one more request may go (0 when it may go now)."""
        policy = self.policy
        wait = self._paused_until - now
        if policy is None:
            return wait
        if policy.mode is LimitMode.BUCKET:
            self._refill(now)
            if self._tokens < 1.0 - _EPSILON:
                wait = max(wait, (1.0 - self._tokens) / policy.rate)
            return wait
        horizon = policy.period + policy.window_margin
        while self._replied and self._replied[0] + horizon <= now:
            del self._replied[0]
        if self._inflight + len(self._replied) >= policy.calls:
            if not self._replied:
                return float("inf")  # every slot is in flight: the next reply frees one
            wait = max(wait, self._replied[0] + horizon - now)
        return wait

    def _take(self) -> None:
        if self.policy is not None and self.policy.mode is LimitMode.BUCKET:
            self._tokens -= 1.0
        self._inflight += 1
        self.stats.granted += 1

    def _refund(self) -> None:
        if self.policy is not None and self.policy.mode is LimitMode.BUCKET:
            self._tokens += 1.0
        self._inflight -= 1
        self.stats.granted -= 1
        self._dispatch()

    def _dispatch(self) -> None:
        """Grant slots to waiters that may go now; arm one timer for the next."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        now = self.clock.monotonic()
        while self._waiters:
            future = self._waiters[0][2]
            if future.done():  # cancelled while waiting
                heapq.heappop(self._waiters)
                continue
            delay = self._delay(now)
            if delay > _EPSILON:
                if delay != float("inf"):
                    # never a near-zero timer: float rounding could make it spin in place
                    self._timer = self.clock.call_later(max(delay, _MIN_TIMER), self._on_timer)
                return
            heapq.heappop(self._waiters)
            self._take()
            future.set_result(None)

    def _on_timer(self) -> None:
        self._timer = None
        self._dispatch()

    def _observe(
        self,
        status: int | None,
        remaining: int | None,
        reset: float | None,
        retry_after: float | None,
    ) -> None:
        policy = self.policy
        now = self.clock.monotonic()
        self._inflight -= 1
        bucket = policy is not None and policy.mode is LimitMode.BUCKET
        if policy is not None and policy.mode is LimitMode.WINDOW:
            bisect.insort(self._replied, now)
        until_reset = None if reset is None else reset - self.clock.time()
        if status == 429:
            self.stats.rate_limited += 1
            wait = retry_after if retry_after is not None else until_reset
            self._hold(now, (policy.period if policy else 1.0) if wait is None else wait)
            if bucket:
                self._refill(now)
                self._tokens = min(self._tokens, 0.0)
        elif remaining is not None:
            if remaining <= 0:
                fallback = 1.0 / policy.rate if policy else 1.0
                self._hold(now, fallback if until_reset is None else until_reset)
            if bucket:
                assert policy is not None
                self._refill(now)
                self._tokens = min(self._tokens, float(remaining - policy.reserve))
        self._dispatch()

    def _hold(self, now: float, seconds: float) -> None:
        # a few ms past the server's moment: the wall and monotonic clocks drift apart
        seconds = min(max(seconds, 0.0) + _HOLD_MARGIN, self._max_pause)
        if now + seconds > self._paused_until:
            self._paused_until = now + seconds
            self.stats.server_pauses += 1
