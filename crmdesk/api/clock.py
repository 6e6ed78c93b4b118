"""Time sources for the rate limiter and the retry loop: the real one and a manual one.

The limiter never calls ``time`` or ``asyncio.sleep`` directly, so tests and simulations
can drive it with ``ManualClock`` and check its schedule exactly, without waiting.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Protocol


class TimerHandle(Protocol):
    """Something that can be cancelled (``asyncio.TimerHandle`` is one)."""

    def cancel(self) -> None:
        """Stop the callback from running."""


class Clock(Protocol):
    """A monotonic clock, the wall clock (epoch seconds), timers and sleeps."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""

    def time(self) -> float:
        """Seconds since the epoch (to read ``X-Ratelimit-Reset``)."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` on the event loop after ``delay`` seconds."""

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""


class SystemClock:
    """The real clock, with timers on the running asyncio loop."""

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    def time(self) -> float:
        """``time.time()``."""
        return time.time()

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """``loop.call_later`` on the running loop."""
        return asyncio.get_running_loop().call_later(max(delay, 0.0), callback)

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep``."""
        await asyncio.sleep(max(seconds, 0.0))


class _ManualTimer:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """A clock that only moves when told to (``advance``); for tests and simulations.

    Timers and sleeps fire in time order during ``advance``; futures they resolve wake their
    coroutines on the next turn of the event loop, so tests ``await asyncio.sleep(0)`` (or
    use ``run_for``) to let woken coroutines run.
    """

    def __init__(self, start: float = 1000.0, epoch: float = 1_750_000_000.0) -> None:
        self._now = start
        self._epoch_offset = epoch - start
        self._timers: list[tuple[float, int, _ManualTimer, Callable[[], None]]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        """The current manual time."""
        return self._now

    def time(self) -> float:
        """The manual time as epoch seconds."""
        return self._now + self._epoch_offset

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Schedule ``callback`` at now + ``delay``."""
        handle = _ManualTimer()
        heapq.heappush(
            self._timers, (self._now + max(delay, 0.0), next(self._seq), handle, callback)
        )
        return handle

    async def sleep(self, seconds: float) -> None:
        """Wait until the clock has been advanced by ``seconds``."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        self.call_later(seconds, wake)
        await future

    def next_deadline(self) -> float | None:
        """When the earliest pending timer fires, or None."""
        while self._timers and self._timers[0][2].cancelled:
            heapq.heappop(self._timers)
        return self._timers[0][0] if self._timers else None

    def advance(self, seconds: float) -> None:
        """Move time forward, firing every timer that falls due, in order."""
        target = self._now + seconds
        while True:
            deadline = self.next_deadline()
            if deadline is None or deadline > target:
                break
            _, _, _handle, callback = heapq.heappop(self._timers)
            self._now = max(self._now, deadline)
            callback()
        self._now = target

    async def run_for(self, seconds: float, *, settle: int = 10) -> None:
        """Advance ``seconds``, timer by timer, letting woken coroutines run in between."""
        end = self._now + seconds
        while True:
            for _ in range(settle):
                await asyncio.sleep(0)
            deadline = self.next_deadline()
            if deadline is None or deadline > end:
                break
            self.advance(max(deadline - self._now, 0.0))
        self.advance(max(end - self._now, 0.0))
        for _ in range(settle):
            await asyncio.sleep(0)
