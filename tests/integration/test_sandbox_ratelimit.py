"""The sandbox's rate limiter over HTTP: headers, token bucket, sliding window, 429."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest


def call(sb: Any, key: str | None = None) -> httpx.Response:
    """One cheap API call."""
    return httpx.get(f"{sb.base_url}/profile", params={"api_key": key or sb.admin_key})


def wait_for_success(sb: Any, deadline: float) -> tuple[httpx.Response, float]:
    """Poll until a call is allowed again (429s cost nothing); returns it and its time."""
    while time.monotonic() < deadline:
        response = call(sb)
        if response.status_code != 429:
            return response, time.monotonic()
    raise AssertionError("the limiter never let a call through")


def test_every_response_carries_the_headers(sandbox_factory: Any) -> None:
    sb = sandbox_factory(rate_limit="10/5")
    first, second = call(sb), call(sb)
    missing = httpx.get(f"{sb.base_url}/deals/1", params={"api_key": sb.admin_key})
    assert missing.status_code == 404
    for response in (first, second, missing):
        assert response.headers["x-ratelimit-limit"] == "10"
        assert int(response.headers["x-ratelimit-reset"]) >= int(time.time()) - 1
    assert int(first.headers["x-ratelimit-remaining"]) == 9
    assert int(second.headers["x-ratelimit-remaining"]) == 8


def test_bucket_allows_a_burst_then_429_then_refills(sandbox_factory: Any) -> None:
    sb = sandbox_factory(rate_limit="4/2")  # 4 tokens, refilled at 2 per second
    burst_start = time.monotonic()
    burst = [call(sb) for _ in range(4)]
    assert [r.status_code for r in burst] == [200] * 4
    assert [int(r.headers["x-ratelimit-remaining"]) for r in burst] == [3, 2, 1, 0]
    refused = call(sb)
    refused_at = time.monotonic()
    assert refused.status_code == 429
    assert refused.json() == {"error": "Rate limit exceeded"}
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["x-ratelimit-remaining"] == "0"
    allowed, allowed_at = wait_for_success(sb, time.monotonic() + 5)
    assert allowed.status_code == 200
    # A fifth call needs a token refilled since the full bucket's first call (>= 0.5 s;
    # timed from the burst's start, not from the 429 reply, which a loaded machine delays),
    # and it comes well before a whole window passed.
    assert allowed_at - burst_start >= 0.5
    assert allowed_at - refused_at < 2.0


def test_keys_have_separate_buckets(sandbox_factory: Any) -> None:
    sb = sandbox_factory(rate_limit="2/5")
    assert [call(sb).status_code for _ in range(3)] == [200, 200, 429]
    assert call(sb, sb.user_key).status_code == 200


def test_window_mode_never_allows_more_than_n_per_window(sandbox_factory: Any) -> None:
    sb = sandbox_factory(rate_limit="3/1", rate_limit_mode="window")
    allowed: list[float] = []
    stop = time.monotonic() + 2.5
    while time.monotonic() < stop:
        response = call(sb)
        if response.status_code == 200:
            allowed.append(time.monotonic())
        else:
            assert response.status_code == 429
            assert int(response.headers["retry-after"]) >= 1
    assert len(allowed) >= 6  # it does refill
    for index, started in enumerate(allowed):
        within = [t for t in allowed[index:] if t - started < 0.95]
        assert len(within) <= 3


def test_window_mode_waits_for_the_oldest_call_to_leave(sandbox_factory: Any) -> None:
    sb = sandbox_factory(rate_limit="2/1", rate_limit_mode="window")
    first_at = time.monotonic()
    assert [call(sb).status_code for _ in range(3)] == [200, 200, 429]
    _, allowed_at = wait_for_success(sb, time.monotonic() + 5)
    # A bucket would refill a token after 0.5 s; the window holds until the first call
    # is a full second old.
    assert allowed_at - first_at >= 0.95


def test_limit_can_change_and_switch_off_at_run_time(sandbox_factory: Any) -> None:
    sb = sandbox_factory(rate_limit="1/60")
    assert [call(sb).status_code for _ in range(2)] == [200, 429]
    sb.set_rate_limit(None)
    assert all(call(sb).status_code == 200 for _ in range(15))
    control = httpx.put(f"{sb.control_url}/rate_limit", json={"rate_limit": "1/60"})
    assert control.status_code == 200
    assert [call(sb).status_code for _ in range(2)] == [200, 429]


@pytest.mark.parametrize("spec", ["ten", "0/5", "5/0"])
def test_bad_rate_limit_spec_is_refused(spec: str) -> None:
    from crmdesk.sandbox import RateLimit

    with pytest.raises(ValueError, match="rate limit"):
        RateLimit.parse(spec)


def test_window_reset_is_never_later_than_the_moment_the_slot_frees(
    sandbox_factory: Any,
) -> None:
    # A client that waits for Reset after "Remaining 0" must not be held back longer than
    # the window itself; a Reset rounded up would cost it a second per window.
    sb = sandbox_factory(rate_limit="3/2", rate_limit_mode="window")
    first = call(sb)
    first_done = time.time()
    replies = [call(sb) for _ in range(2)]
    assert [r.status_code for r in (first, *replies)] == [200, 200, 200]
    last = replies[-1]
    assert last.headers["x-ratelimit-remaining"] == "0"
    # The first call was accepted before its reply arrived, so its slot frees before
    # first_done + 2 s; Reset (whole seconds) may not be later than that.
    assert int(last.headers["x-ratelimit-reset"]) <= first_done + 2
