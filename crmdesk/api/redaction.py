"""Keep API keys out of logs, exception texts and crash reports.

The API authenticates with ``?api_key=...`` in the query string, so every URL is a secret,
and httpx/httpcore put full URLs in their own log records (``HTTP Request: GET <url>`` at
INFO) and in exception messages. Three layers keep the key out:

* ``redact(text)`` rewrites key-like query parameters, JSON/dict entries and bearer tokens
  to ``***``, and replaces every registered secret (``register_secret``) wherever it occurs.
* ``install_log_redaction()`` wraps the logging record factory, so every record of every
  logger (httpx and httpcore included, whatever handler prints it) is scrubbed when it is
  created; ``RedactingFilter`` does the same for a handler. ``PipelineClient`` calls
  ``install_log_redaction`` when it opens.
* The client builds its own exceptions from method + path and never chains httpx's.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
import urllib.parse
from typing import Any

MASK = "***"

_PARAM_NAMES = r"api_key|app_key|account_key|access_token|refresh_token|token|password|secret"
_QUERY = re.compile(rf"(?i)\b({_PARAM_NAMES})(=|%3D)([^&\s'\"#<>,;)\]]+)")
_QUOTED = re.compile(rf"""(?i)(["']({_PARAM_NAMES})["']\s*[:=]\s*)(["'])(.*?)(\3)""")
_BEARER = re.compile(r"(?i)\b(bearer|token)\s+([A-Za-z0-9._~+/=-]{8,})")

_secrets: frozenset[str] = frozenset()  # replaced, never mutated: readers need no lock
_secrets_lock = threading.Lock()
_MIN_SECRET = 6  # shorter strings would blank out ordinary words


def register_secret(secret: str) -> None:
    """Mask ``secret`` (and its URL-encoded form) wherever it appears from now on."""
    if not secret or len(secret) < _MIN_SECRET:
        return
    global _secrets
    with _secrets_lock:
        forms = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}
        _secrets = _secrets | forms


def redact(text: str) -> str:
    """``text`` with API keys, tokens and registered secrets replaced by ``***``."""
    if not text:
        return text
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    text = _QUERY.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _QUOTED.sub(lambda m: f"{m.group(1)}{m.group(3)}{MASK}{m.group(5)}", text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)


def format_exception(error: BaseException) -> str:
    """A redacted traceback of ``error`` (with its chain), for crash reports and dialogs."""
    return redact("".join(traceback.format_exception(error)))


def scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact a log record in place: message, arguments, exception and stack text."""
    if getattr(record, "_crmdesk_redacted", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a bad format string must not hide the record
        message = f"{record.msg!r} % {record.args!r}"
    cleaned = redact(message)
    if cleaned != message or record.args:
        record.msg = cleaned
        record.args = None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._crmdesk_redacted = True
    return record


class RedactingFilter(logging.Filter):
    """A logging filter (for handlers or loggers) that redacts and never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
        return True


_install_lock = threading.Lock()


def install_log_redaction() -> None:
    """Scrub every log record at creation, whatever logger or handler; idempotent.

    Also puts a ``RedactingFilter`` on the root logger's handlers that exist now, for
    records created before this call or by another record factory installed later.
    """
    with _install_lock:
        factory = logging.getLogRecordFactory()
        if not getattr(factory, "_crmdesk_redacting", False):

            def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
                return scrub_record(factory(*args, **kwargs))

            redacting_factory._crmdesk_redacting = True  # type: ignore[attr-defined]
            logging.setLogRecordFactory(redacting_factory)
        for handler in logging.getLogger().handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
