"""The client's limiter against the sandbox's real limiter (both modes) over loopback.

The sandbox runs at 10 calls per 1 s instead of per 5 s so the tests stay short; the
shape (burst 10, then the refill rate) is the same as the real limit's.
"""

from __future__ import annotations

import asyncio

import pytest

from crmdesk.api import Exchange, LimitMode, PipelineClient, Priority, RatePolicy


def compliance_problems(exchanges: list[Exchange]) -> list[str]:
    """Requests sent while the last reply said Remaining 0 and its Reset had not passed."""
    problems = []
    replies = sorted((e for e in exchanges if e.status is not None), key=lambda e: e.replied_at)
    for exchange in exchanges:
        before = [r for r in replies if r.replied_at <= exchange.sent_at]
        if not before:
            continue
        last = before[-1]
        if last.remaining == 0 and last.reset is not None and exchange.sent_at < last.reset:
            problems.append(
                f"{exchange.method} /{exchange.path} sent {last.reset - exchange.sent_at:.3f} s "
                "before the reset of a reply with Remaining 0"
            )
    return problems


@pytest.mark.parametrize("mode", ["bucket", "window"])
def test_a_burst_of_50_concurrent_requests_gets_no_429(sandbox_factory, aloop, mode):
    sb = sandbox_factory(rate_limit="10/1", rate_limit_mode=mode)

    async def scenario() -> list[Exchange]:
        seen: list[Exchange] = []
        policy = RatePolicy(calls=10, period=1.0, mode=LimitMode(mode))
        async with PipelineClient(
            sb.base_url, sb.admin_key, rate_limit=policy, observer=seen.append
        ) as client:
            deals = await asyncio.gather(*(client.deals.get(55000001) for _ in range(50)))
            assert {d.id for d in deals} == {55000001}
            assert client.stats.requests == 50
            assert client.stats.rate_limited == 0
        return seen

    seen = aloop.run(scenario())
    assert [e.status for e in seen] == [200] * 50
    assert compliance_problems(seen) == []


def test_an_interactive_request_overtakes_a_background_pull(sandbox_factory, aloop):
    sb = sandbox_factory(rate_limit="10/1", deals=60)

    async def scenario() -> list[Exchange]:
        seen: list[Exchange] = []
        burst_spent = asyncio.Event()

        def observe(exchange: Exchange) -> None:
            seen.append(exchange)
            if len(seen) >= 12:  # the burst is spent; pages now queue for tokens
                burst_spent.set()

        policy = RatePolicy(calls=10, period=1.0)
        async with PipelineClient(
            sb.base_url, sb.admin_key, rate_limit=policy, observer=observe
        ) as client:
            pull = client.deals.list(per_page=2, concurrency=8, priority=Priority.BACKGROUND)
            pulling = asyncio.ensure_future(pull.all())
            await asyncio.wait_for(burst_spent.wait(), 10)
            assert client.limiter.waiting > 0
            profile = await client.profile.get(priority=Priority.INTERACTIVE)
            assert profile.user.id
            assert len(await pulling) == 60
        return seen

    seen = aloop.run(scenario())
    order = [e.path for e in sorted(seen, key=lambda e: e.sent_at)]
    position = order.index("profile")
    # at most one background page (already granted when the profile request queued) before it
    assert position <= 13
    assert order.count("deals") == 30
