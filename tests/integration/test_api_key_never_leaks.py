"""The API key never shows up in logs (ours, httpx's, httpcore's, at DEBUG), exception
messages, reprs or tracebacks - during real calls that succeed and calls that fail."""

from __future__ import annotations

import asyncio
import io
import logging
import traceback
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crmdesk.api import PipelineClient, RetryPolicy
from crmdesk.api.redaction import format_exception

KEY = "sk-live-Sentinel-9f8e7d6c5b4a3210"
WRONG_KEY = "sk-wrong-Sentinel-0a1b2c3d4e5f"
LOGGERS = ("", "httpx", "httpcore", "crmdesk", "uvicorn", "asyncio")


@pytest.fixture
def debug_logs() -> Iterator[io.StringIO]:
    """Everything logged anywhere at DEBUG, formatted with exception text."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    root.addHandler(handler)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def test_the_key_appears_nowhere(sandbox_factory, aloop, debug_logs):
    sb = sandbox_factory(admin_key=KEY, rate_limit="20/1")
    errors: list[BaseException] = []
    texts: list[str] = []
    fast = RetryPolicy(attempts=2, base=0.01, cap=0.02)
    log = logging.getLogger("crmdesk.test")

    async def capture(call: Any) -> None:
        try:
            await call
        except Exception as exc:
            errors.append(exc)
            log.exception("call failed")  # what an app's error handler would do

    async def scenario() -> None:
        async with PipelineClient(sb.base_url, KEY, app_key="app-key-123456", retry=fast) as client:
            texts.extend([repr(client), repr(client.transport), repr(client.limiter)])
            profile = await client.profile.get()
            assert profile.user.raw["api_key"] == KEY  # the server does send it back...
            texts.append(repr(profile))
            log.debug("profile JSON: %s", profile.user.raw)  # ...and someone logs it
            async for _deal in client.deals.list(per_page=5):
                pass
            await capture(client.deals.get(1))  # 404
            await capture(client.deals.create({"summary": "no name"}))  # 422
            sb.set_faults(error_rate=1.0, methods=["GET"])
            await capture(client.deals.list().first_page())  # 5xx after retries
            sb.set_faults(drop_rate=1.0, methods=["GET"])
            await capture(client.deals.get(55000001))  # dropped connection
            sb.set_faults(drop_after_commit_rate=1.0, methods=["POST"])
            await capture(client.notes.create({"content": "lost reply"}))  # unknown outcome
            sb.set_faults(latency_ms=300)
            await capture(client.people.list().first_page())
            sb.set_faults()
            await asyncio.gather(*(client.profile.get() for _ in range(3)))
        async with PipelineClient(
            sb.base_url,
            WRONG_KEY,
            rate_limit=None,
            retry=fast,
            timeout=httpx.Timeout(5.0, read=0.1),
        ) as stranger:
            texts.append(repr(stranger))
            await capture(stranger.profile.get())  # 401

    aloop.run(scenario())

    kinds = {type(e).__name__ for e in errors}
    assert kinds >= {
        "NotFoundError",
        "UnprocessableError",
        "ServerError",
        "NetworkError",
        "UnknownOutcomeError",
        "AuthenticationError",
    }
    for error in errors:
        texts.extend(
            [
                str(error),
                repr(error),
                format_exception(error),
                "".join(traceback.format_exception(error)),
            ]
        )  # even unredacted
        texts.extend(str(value) for value in vars(error).values())
    logged = debug_logs.getvalue()
    assert "HTTP Request: GET" in logged  # httpx's own INFO lines were captured
    assert "receive_response_headers" in logged  # and httpcore's DEBUG traces
    assert "api_key=***" in logged
    everything = "\n".join([logged, *texts])
    for secret in (KEY, WRONG_KEY, "app-key-123456"):
        assert secret not in everything
