"""Redaction of API keys in text, log records (any logger, any handler) and tracebacks."""

from __future__ import annotations

import io
import logging

import pytest

from crmdesk.api.redaction import (
    RedactingFilter,
    format_exception,
    install_log_redaction,
    redact,
    register_secret,
)

KEY = "sk-Redact-Sentinel-0123456789"


@pytest.fixture(autouse=True)
def _registered():
    register_secret(KEY)


@pytest.mark.parametrize(
    "text",
    [
        f"GET http://h/api/v3/deals?page=2&api_key={KEY}&per_page=200",
        f"GET http://h/api/v3/deals?api_key={KEY}",
        f"<Request('GET', 'http://h/deals.json?app_key=x&api_key={KEY}')>",
        f'{{"user": {{"api_key": "{KEY}", "id": 1}}}}',
        f"{{'api_key': '{KEY}'}}",
        f"Authorization: Bearer {KEY}",
        f"the key is {KEY}, really",
        f"percent-encoded: api_key%3D{KEY.replace('-', '%2D')}",
    ],
)
def test_redact_removes_the_key(text):
    cleaned = redact(text)
    assert KEY not in cleaned
    assert "***" in cleaned


def test_redact_masks_unregistered_keys_in_urls_and_json():
    other = "totally-unregistered-key-42"
    assert other not in redact(f"http://x/deals?api_key={other}&page=1")
    assert redact(f"http://x/deals?api_key={other}&page=1").endswith("api_key=***&page=1")
    assert other not in redact(f'"api_key": "{other}"')
    assert other not in redact(f"account_key={other}")


def test_redact_leaves_ordinary_text_alone():
    text = "GET /api/v3/deals?page=2&per_page=200 -> 200 (31 ms)"
    assert redact(text) == text


def capture(logger_name: str, level: int = logging.DEBUG) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.setLevel(level)
    return logger, stream


def test_installed_factory_scrubs_records_of_every_logger():
    install_log_redaction()
    install_log_redaction()  # idempotent
    logger, stream = capture("httpx.test-child")
    logger.info(
        'HTTP Request: %s %s "%s %d %s"', "GET", f"http://h/x?api_key={KEY}", "HTTP/1.1", 200, "OK"
    )
    logger.debug("args as objects: %r", {"url": f"http://h/?api_key={KEY}"})
    out = stream.getvalue()
    assert KEY not in out
    assert out.count("api_key=***") == 2


def test_exception_text_in_log_records_is_scrubbed():
    install_log_redaction()
    logger, stream = capture("crmdesk.test-exc")
    try:
        raise RuntimeError(f"boom for url 'http://h/deals?api_key={KEY}'")
    except RuntimeError:
        logger.exception("request failed")
    out = stream.getvalue()
    assert "RuntimeError" in out
    assert KEY not in out


def test_filter_on_a_handler_scrubs_records_made_without_the_factory():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "url=%s", (f"?api_key={KEY}",), None)
    handler.handle(record)
    assert KEY not in stream.getvalue()


def test_format_exception_redacts_the_whole_chain():
    try:
        try:
            raise ValueError(f"inner {KEY}")
        except ValueError as inner:
            raise KeyError("outer") from inner
    except KeyError as outer:
        text = format_exception(outer)
    assert "ValueError" in text
    assert KEY not in text


def test_short_strings_are_not_registered_as_secrets():
    register_secret("abc")
    assert redact("abc abc") == "abc abc"
