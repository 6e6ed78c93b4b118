"""The rate limiter on a manual clock: burst, pace, priorities, server feedback, and
simulated servers (token bucket and strict sliding window) with network jitter."""

from __future__ import annotations

import asyncio
import itertools
import math
import random
from collections import deque

import pytest

from crmdesk.api.clock import ManualClock
from crmdesk.api.ratelimit import (
    LimitMode,
    Priority,
    RateLimiter,
    RatePolicy,
    current_priority,
    using_priority,
)


def make(mode: LimitMode = LimitMode.BUCKET, **kw) -> tuple[ManualClock, RateLimiter]:
    clock = ManualClock()
    return clock, RateLimiter(RatePolicy(mode=mode, **kw), clock)


async def grant_times(clock: ManualClock, limiter: RateLimiter, n: int, horizon: float) -> list:
    times: list[float] = []

    async def one() -> None:
        permit = await limiter.acquire()
        times.append(clock.monotonic())
        permit.finish(200)

    tasks = [asyncio.ensure_future(one()) for _ in range(n)]
    await clock.run_for(horizon)
    assert all(t.done() for t in tasks)
    return [t - 1000.0 for t in times]


def test_policy_parse_and_validation():
    policy = RatePolicy.parse("10/5")
    assert (policy.calls, policy.period, policy.rate, policy.burst) == (10, 5.0, 2.0, 8)
    assert RatePolicy.parse("10/5", "window").burst == 10
    assert RatePolicy.parse("3/1").reserve == 2
    with pytest.raises(ValueError, match="10/5"):
        RatePolicy.parse("ten per five")
    with pytest.raises(ValueError, match="invalid rate limit"):
        RatePolicy(calls=0)


def test_bucket_bursts_then_paces_at_the_rate(aloop):
    clock, limiter = make()
    times = aloop.run(grant_times(clock, limiter, 20, 10.0))
    assert times[:8] == [0.0] * 8  # burst = 10 minus the reserve of 2
    gaps = [b - a for a, b in itertools.pairwise(times[8:])]
    assert times[8] == pytest.approx(0.5)
    assert all(g == pytest.approx(0.5) for g in gaps)


def test_window_mode_counts_from_the_reply(aloop):
    clock, limiter = make(LimitMode.WINDOW, window_margin=0.0)

    async def scenario() -> list[float]:
        sent: list[float] = []

        async def one(latency: float) -> None:
            permit = await limiter.acquire()
            sent.append(clock.monotonic())
            await clock.sleep(latency)
            permit.finish(200)

        tasks = [asyncio.ensure_future(one(0.2)) for _ in range(12)]
        await clock.run_for(12.0)
        assert all(t.done() for t in tasks)
        return [t - 1000.0 for t in sent]

    sent = aloop.run(scenario())
    assert sent[:10] == [0.0] * 10
    # the 11th waits until 5 s after the first *reply* (sent 0, replied 0.2)
    assert sent[10] == pytest.approx(5.2)


def test_window_mode_waits_for_in_flight_replies(aloop):
    clock, limiter = make(LimitMode.WINDOW, calls=2, period=1.0, reserve=0)

    async def scenario() -> None:
        first = await limiter.acquire()
        await limiter.acquire()
        third = asyncio.ensure_future(limiter.acquire())
        await clock.run_for(10.0)
        assert not third.done()  # both slots still in flight: no timer can free one
        first.finish(200)
        await clock.run_for(0.5)
        assert not third.done()
        await clock.run_for(0.6)
        assert third.done()
        third.result().finish(200)

    aloop.run(scenario())


def test_interactive_requests_overtake_background_waiters(aloop):
    clock, limiter = make()

    async def scenario() -> list[str]:
        order: list[str] = []

        async def one(name: str, priority: Priority) -> None:
            permit = await limiter.acquire(priority)
            order.append(name)
            permit.finish(200)

        for _ in range(8):
            (await limiter.acquire()).finish(200)  # drain the burst
        background = [asyncio.ensure_future(one(f"bg{i}", Priority.BACKGROUND)) for i in range(5)]
        await clock.run_for(0.6)  # bg0 went at 0.5
        with using_priority(Priority.INTERACTIVE):
            urgent = asyncio.ensure_future(one("open-record", current_priority()))
        await clock.run_for(5.0)
        assert urgent.done()
        assert all(t.done() for t in background)
        return order

    order = aloop.run(scenario())
    assert order[:2] == ["bg0", "open-record"]


def test_remaining_zero_holds_everything_until_reset(aloop):
    clock, limiter = make()

    async def scenario() -> float:
        permit = await limiter.acquire()
        permit.finish(200, remaining=0, reset=clock.time() + 2.0)
        waiter = asyncio.ensure_future(limiter.acquire())
        await clock.run_for(1.9)
        assert not waiter.done()
        await clock.run_for(0.2)
        assert waiter.done()
        waiter.result().finish(200)
        return limiter.stats.server_pauses

    assert aloop.run(scenario()) == 1


def test_low_remaining_shrinks_the_bucket(aloop):
    clock, limiter = make()

    async def scenario() -> int:
        permit = await limiter.acquire()
        # another app used the key: the server has 3 left, so only 1 more may go now
        permit.finish(200, remaining=3, reset=clock.time() + 1)
        granted = 0
        for _ in range(5):
            waiter = asyncio.ensure_future(limiter.acquire())
            await clock.run_for(0)
            if not waiter.done():
                waiter.cancel()
                await asyncio.gather(waiter, return_exceptions=True)
                break
            waiter.result().finish(200)
            granted += 1
        return granted

    assert aloop.run(scenario()) == 1


def test_429_pauses_for_retry_after_and_counts(aloop):
    clock, limiter = make()

    async def scenario() -> None:
        permit = await limiter.acquire()
        permit.finish(429, retry_after=3.0)
        waiter = asyncio.ensure_future(limiter.acquire())
        await clock.run_for(2.9)
        assert not waiter.done()
        await clock.run_for(0.2)
        assert waiter.done()
        waiter.result().finish(200)

    aloop.run(scenario())
    assert limiter.stats.rate_limited == 1


def test_absurd_retry_after_is_clamped(aloop):
    clock, limiter = make(max_pause=10.0)

    async def scenario() -> None:
        (await limiter.acquire()).finish(429, retry_after=86400.0)
        waiter = asyncio.ensure_future(limiter.acquire())
        await clock.run_for(10.1)
        assert waiter.done()
        waiter.result().finish(200)

    aloop.run(scenario())


def test_a_cancelled_waiter_does_not_block_or_consume(aloop):
    clock, limiter = make(calls=2, period=1.0, reserve=1)

    async def scenario() -> None:
        (await limiter.acquire()).finish(200)  # burst of 1 used
        doomed = asyncio.ensure_future(limiter.acquire())
        after = asyncio.ensure_future(limiter.acquire())
        await clock.run_for(0.1)
        doomed.cancel()
        await asyncio.gather(doomed, return_exceptions=True)
        await clock.run_for(0.45)  # one token at 0.5
        assert after.done()
        after.result().finish(200)

    aloop.run(scenario())


def test_disabled_limiter_grants_at_once_but_obeys_a_429(aloop):
    clock = ManualClock()
    limiter = RateLimiter(None, clock)

    async def scenario() -> None:
        for _ in range(100):
            (await limiter.acquire()).finish(200, remaining=5)
        (await limiter.acquire()).finish(429, retry_after=2.0)
        waiter = asyncio.ensure_future(limiter.acquire())
        await clock.run_for(1.9)
        assert not waiter.done()
        await clock.run_for(0.2)
        assert waiter.done()
        waiter.result().finish(200)

    aloop.run(scenario(), timeout=5)
    assert limiter.stats.granted == 102


# ---------------------------------------------------------------- simulated servers


class BucketServer:
    """Token bucket 10 / 2 per s; Remaining = floor(tokens); Reset = next token (ceil s)."""

    def __init__(self, clock: ManualClock, capacity: int = 10, rate: float = 2.0) -> None:
        self.clock, self.capacity, self.rate = clock, capacity, rate
        self.tokens, self.stamp = float(capacity), clock.monotonic()
        self.rejected = 0

    def handle(self) -> tuple[int, int, float, float | None]:
        now = self.clock.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            status, retry = 200, None
        else:
            self.rejected += 1
            status, retry = 429, (1 - self.tokens) / self.rate
        next_token = 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate
        reset = math.ceil(self.clock.time() + next_token)
        return status, math.floor(self.tokens), reset, retry


class WindowServer:
    """At most ``calls`` arrivals in any sliding ``period``; fractional Reset."""

    def __init__(self, clock: ManualClock, calls: int = 10, period: float = 5.0) -> None:
        self.clock, self.calls, self.period = clock, calls, period
        self.arrivals: deque[float] = deque()
        self.rejected = 0

    def handle(self) -> tuple[int, int, float, float | None]:
        now = self.clock.monotonic()
        while self.arrivals and self.arrivals[0] <= now - self.period:
            self.arrivals.popleft()
        if len(self.arrivals) >= self.calls:
            self.rejected += 1
            wait = self.arrivals[0] + self.period - now
            return 429, 0, self.clock.time() + wait, wait
        self.arrivals.append(now)
        reset = self.arrivals[0] + self.period - now
        return 200, self.calls - len(self.arrivals), self.clock.time() + reset, None


async def simulate(clock, limiter, server, *, workers: int, seconds: float, seed: int):
    rng = random.Random(seed)
    done = 0
    stop = clock.monotonic() + seconds

    async def worker() -> None:
        nonlocal done
        while clock.monotonic() < stop:
            permit = await limiter.acquire()
            await clock.sleep(rng.uniform(0.001, 0.150))  # uplink jitter
            status, remaining, reset, retry = server.handle()
            await clock.sleep(rng.uniform(0.001, 0.150))  # downlink
            permit.finish(status, remaining=remaining, reset=reset, retry_after=retry)
            done += status == 200

    tasks = [asyncio.ensure_future(worker()) for _ in range(workers)]
    await clock.run_for(seconds + 30)
    assert all(t.done() for t in tasks)
    return done


@pytest.mark.parametrize(("seed", "reserve"), [(1, 2), (2, 2), (3, 1), (4, 0)])
def test_bucket_mode_never_trips_a_bucket_server(aloop, seed, reserve):
    clock = ManualClock()
    limiter = RateLimiter(RatePolicy(reserve=reserve), clock)
    server = BucketServer(clock)
    done = aloop.run(simulate(clock, limiter, server, workers=6, seconds=120, seed=seed))
    assert server.rejected == 0
    assert done / 120 >= 1.9  # sustained rate near the 2/s bound


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_window_mode_never_trips_a_sliding_window_server(aloop, seed):
    clock = ManualClock()
    limiter = RateLimiter(RatePolicy(mode=LimitMode.WINDOW), clock)
    server = WindowServer(clock)
    done = aloop.run(simulate(clock, limiter, server, workers=6, seconds=120, seed=seed))
    assert server.rejected == 0
    assert done / 120 >= 1.85


def test_a_naive_full_bucket_does_trip_a_window_server(aloop):
    """The reason window mode exists: a bucket that bursts 10 then refills lets 11+ calls
    into some 5-second window."""
    clock = ManualClock()
    limiter = RateLimiter(RatePolicy(reserve=0), clock)
    server = WindowServer(clock)
    aloop.run(simulate(clock, limiter, server, workers=6, seconds=30, seed=1))
    assert server.rejected > 0
