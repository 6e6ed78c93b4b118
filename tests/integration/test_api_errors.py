"""Each typed error, and retries under injected faults, against the sandbox over loopback."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
import pytest

from crmdesk.api import (
    ApiTimeoutError,
    AuthenticationError,
    Exchange,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    PipelineClient,
    ProtocolError,
    RateLimitedError,
    RetryPolicy,
    ServerError,
    TransportError,
    UnknownOutcomeError,
    UnprocessableError,
)
from crmdesk.api.pagination import Listing
from crmdesk.domain.errors import FieldError, ValidationError

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.04)


def client_for(sb: Any, key: str | None = None, **options: Any) -> PipelineClient:
    options.setdefault("rate_limit", None)
    options.setdefault("retry", FAST)
    return PipelineClient(sb.base_url, key or sb.admin_key, **options)


def test_status_errors_are_typed(sandbox, aloop):
    async def scenario() -> None:
        async with client_for(sandbox, "not-a-real-key-123") as stranger:
            with pytest.raises(AuthenticationError) as auth:
                await stranger.profile.get()
            assert auth.value.status == 401
            assert "Unknown api_key" in str(auth.value)
        async with client_for(sandbox, sandbox.user_key) as basic:
            with pytest.raises(ForbiddenError) as forbidden:
                await basic.admin.deal_tags.create({"name": "x"})
            assert forbidden.value.status == 403
        async with client_for(sandbox) as client:
            with pytest.raises(NotFoundError) as missing:
                await client.deals.get(999_999_999)
            assert (missing.value.status, missing.value.method, missing.value.path) == (
                404,
                "GET",
                "deals/999999999",
            )
            with pytest.raises(UnprocessableError) as invalid:
                await client.deals.create({"summary": "no name"})
            error = invalid.value
            assert isinstance(error, ValidationError)  # the domain's type, for services
            assert error.status == 422
            assert FieldError("name", "Name can't be blank") in error.errors
            assert "Name can't be blank" in str(error)
            assert client.stats.retries == 0  # none of these is worth a retry

    aloop.run(scenario())


def test_idempotent_calls_retry_through_server_errors_and_drops(sandbox, aloop):
    sandbox.set_faults(error_rate=0.4, drop_rate=0.2, methods=["GET", "PUT"])

    async def scenario() -> None:
        async with client_for(
            sandbox, retry=RetryPolicy(attempts=12, base=0.005, cap=0.02)
        ) as client:
            deals = await client.deals.list(per_page=5).all()
            assert len(deals) == 12
            for deal in deals[:5]:
                assert (await client.deals.get(deal.id)).id == deal.id
                updated = await client.deals.update(deal.id, {"summary": "retried"})
                assert updated.summary == "retried"
            assert client.stats.retries > 0
            assert client.stats.server_errors + client.stats.network_errors == client.stats.retries

    aloop.run(scenario())


def test_server_errors_after_the_last_retry(sandbox, aloop):
    sandbox.set_faults(error_rate=1.0, error_statuses=[503], methods=["GET"])

    async def scenario() -> None:
        async with client_for(sandbox) as client:
            with pytest.raises(ServerError) as info:
                await client.deals.list().all()
            assert info.value.status == 503
            assert info.value.retryable
            assert "<html>" in info.value.body  # the HTML error page, kept for diagnosis
            assert client.stats.requests == FAST.attempts

    aloop.run(scenario())


def test_a_post_that_fails_on_the_server_is_never_resent(sandbox, aloop):
    sandbox.set_faults(error_rate=1.0, methods=["POST"])

    async def scenario() -> None:
        async with client_for(sandbox) as client:
            with pytest.raises(UnknownOutcomeError) as info:
                await client.deals.create({"name": "maybe"})
            assert info.value.status in (500, 502, 503)
            assert not isinstance(info.value, TransportError)
            assert client.stats.requests == 1

    aloop.run(scenario())


def test_a_post_whose_reply_is_lost_after_commit_is_unknown_not_retried(sandbox, aloop):
    sandbox.set_faults(drop_after_commit_rate=1.0, methods=["POST"])

    async def scenario() -> None:
        async with client_for(sandbox) as client:
            with pytest.raises(UnknownOutcomeError):
                await client.deals.create({"name": "landed anyway"})
            assert client.stats.requests == 1
            assert client.stats.unknown_outcomes == 1
            # the sync engine's check: it did land, exactly once
            found = await client.deals.list(conditions={"deal_name": "landed anyway"}).all()
            assert len(found) == 1

    aloop.run(scenario())


def test_timeouts(sandbox, aloop):
    sandbox.set_faults(latency_ms=400)

    async def scenario() -> None:
        timeout = httpx.Timeout(5.0, read=0.1)
        async with client_for(sandbox, timeout=timeout) as client:
            with pytest.raises(ApiTimeoutError):
                await client.deals.get(1)
            assert client.stats.requests == FAST.attempts
            with pytest.raises(UnknownOutcomeError, match="ReadTimeout"):
                await client.notes.create({"content": "slow"})
            assert client.stats.requests == FAST.attempts + 1

    aloop.run(scenario())


def test_nothing_listening_is_a_network_error_even_for_post(aloop):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = PipelineClient(
        f"http://127.0.0.1:{port}/api/v3", "key-123456", rate_limit=None, retry=FAST
    )

    async def scenario() -> None:
        async with client:
            with pytest.raises(NetworkError, match="could not connect"):
                await client.deals.create({"name": "never sent"})
            # never connected, so the POST was safely retried
            assert client.stats.requests == FAST.attempts

    aloop.run(scenario())


def test_429_is_retried_after_the_servers_pause(sandbox, aloop):
    sandbox.set_rate_limit("3/1")

    async def scenario() -> None:
        # pacing off and 8 at once: the server's 429s must be absorbed by the retry loop
        async with client_for(sandbox) as client:
            profiles = await asyncio.gather(*(client.profile.get() for _ in range(8)))
            assert len({p.user.id for p in profiles}) == 1
            assert client.stats.rate_limited > 0
            assert client.stats.requests == 8 + client.stats.rate_limited
        async with client_for(sandbox, retry=RetryPolicy.none()) as impatient:
            results = await asyncio.gather(
                *(impatient.profile.get() for _ in range(5)), return_exceptions=True
            )
            refused = [r for r in results if isinstance(r, RateLimitedError)]
            assert refused
            assert all(r.status == 429 and r.retry_after is not None for r in refused)

    aloop.run(scenario())


def test_a_reply_of_the_wrong_shape_is_a_protocol_error(sandbox, aloop):
    async def scenario() -> None:
        async with client_for(sandbox) as client:
            profile_as_list = Listing(client.transport, "profile", client.parser.deal)
            with pytest.raises(ProtocolError, match="entries") as info:
                await profile_as_list.first_page()
            assert (info.value.method, info.value.path) == ("GET", "profile")
            with pytest.raises(ProtocolError, match="no usable id") as info:
                await client.deals._call("GET", "deals", client.parser.deal, wrapper="deal")
            assert info.value.path == "deals"

    aloop.run(scenario())


def test_a_200_html_page_is_a_protocol_error(sandbox, aloop):
    page = httpx.post(
        f"{sandbox.control_url}/files",
        params={"name": "login.html", "content_type": "text/html"},
        content=b"<!DOCTYPE html><html><body>Please log in</body></html>",
    )
    url = page.json()["url"]
    base, name = url.rsplit("/", 1)

    async def scenario() -> None:
        # a captive portal or proxy answering 200 with HTML instead of the API's JSON
        async with PipelineClient(base, "key-123456", rate_limit=None, retry=FAST) as client:
            with pytest.raises(ProtocolError, match="not valid JSON") as info:
                await client.transport.request("GET", name)
            assert "text/html" in str(info.value)
            assert client.stats.requests == 1  # a wrong reply is not retried

    aloop.run(scenario())


def test_a_delete_whose_reply_was_lost_is_done_when_the_retry_finds_nothing(sandbox, aloop):
    def first_reply_lost_only(exchange: Exchange) -> None:
        if exchange.method == "DELETE" and exchange.status is None:
            sandbox.set_faults()  # the retry goes through

    async def scenario() -> None:
        async with client_for(sandbox, observer=first_reply_lost_only) as client:
            deal = await client.deals.create({"name": "to go"})
            sandbox.set_faults(drop_after_commit_rate=1.0, methods=["DELETE"])
            await client.deals.delete(deal.id)  # applied, reply lost, retried: 404 = done
            assert client.stats.network_errors == 1
            with pytest.raises(NotFoundError):
                await client.deals.get(deal.id)
            with pytest.raises(NotFoundError):  # a plain 404 on a first try stays an error
                await client.deals.delete(deal.id)

    aloop.run(scenario())


def test_a_reply_cut_short_is_a_protocol_error_and_a_cut_post_is_not_resent(sandbox, aloop):
    from crmdesk.api.errors import ProtocolError

    sandbox.set_faults(truncate_rate=1.0)

    async def scenario() -> None:
        async with client_for(sandbox) as client:
            with pytest.raises(ProtocolError) as read:
                await client.deals.list().all()
            assert "not valid JSON" in str(read.value)
            assert "sandbox-" not in str(read.value)  # the key never shows
            before = client.stats.requests
            with pytest.raises(ProtocolError):
                await client.deals.create({"name": "cut reply"})
            assert client.stats.requests == before + 1  # a POST is never sent twice
        sandbox.set_faults()
        async with client_for(sandbox) as client:
            found = await client.deals.list(conditions={"deal_name": "cut reply"}).all()
            assert len(found) == 1

    aloop.run(scenario())
