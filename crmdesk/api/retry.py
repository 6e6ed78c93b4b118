"""When to send a request again, and how long to wait first.

Idempotent calls (GET, PUT, DELETE) are retried on connect errors, timeouts, dropped
connections, 5xx and 429, with bounded exponential backoff and jitter. POST is retried only
when it is certain the server never saw it (the connection was never made) or refused it
outright (429); any other failure after sending is an unknown outcome for the caller.
The wait after a 429 is the rate limiter's business (it pauses every request, not one).
"""

from __future__ import annotations

import email.utils
import math
import random
from dataclasses import dataclass, field

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"})
RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with "equal jitter" backoff: ``d/2 + U(0, d/2)``, ``d = base·2^n``."""

    attempts: int = 5  # tries in all for one failing call (first try included)
    rate_limited_attempts: int = 8  # tries when the server keeps answering 429
    base: float = 0.5
    cap: float = 8.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first retry)."""
        ceiling = min(self.cap, self.base * 2.0 ** max(retry - 1, 0))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    @classmethod
    def none(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(attempts=1, rate_limited_attempts=1)


def is_idempotent(method: str) -> bool:
    """True for methods that may be sent twice with the effect of once."""
    return method.upper() in IDEMPOTENT


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date).

    ``now`` is the wall clock (epoch seconds) for the date form. None if absent or garbled.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - now
    if math.isnan(seconds):
        return None
    return max(seconds, 0.0)


def parse_number(value: str | None) -> float | None:
    """A header's number (int or float text), or None if absent or garbled."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return None if math.isnan(number) else number
