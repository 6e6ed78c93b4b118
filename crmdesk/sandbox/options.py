"""Start-up options of the sandbox: data scale, keys, rate limit, faults, limits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Scale = Literal["tiny", "demo", "large"]
RateLimitMode = Literal["bucket", "window"]

DEFAULT_ADMIN_KEY = "sandbox-admin-key"
DEFAULT_USER_KEY = "sandbox-user-key"

#: Record counts of each scale (deals, people, companies, notes).
SCALES: dict[str, dict[str, int]] = {
    "tiny": {"deals": 12, "people": 10, "companies": 5, "notes": 12},
    "demo": {"deals": 2400, "people": 1500, "companies": 450, "notes": 6000},
    "large": {"deals": 100_000, "people": 50_000, "companies": 20_000, "notes": 200_000},
}

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``calls`` per ``seconds``: a bucket of ``calls`` refilled at calls/seconds."""

    calls: int
    seconds: float

    @classmethod
    def parse(cls, spec: str | RateLimit | None) -> RateLimit | None:
        """``"10/5"`` -> RateLimit(10, 5.0); None, ``"off"`` or ``""`` -> None (no limit)."""
        if spec is None or isinstance(spec, RateLimit):
            return spec
        if spec.strip().lower() in ("", "off", "none", "0"):
            return None
        match = _RATE.match(spec)
        if match is None or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
            raise ValueError(f"rate limit must look like 10/5 (calls/seconds) or off: {spec!r}")
        return cls(int(match.group(1)), float(match.group(2)))

    def __str__(self) -> str:
        return f"{self.calls}/{self.seconds:g}"


@dataclass(frozen=True, slots=True)
class Faults:
    """Injected failures. Rates are probabilities per request (0.0 .. 1.0).

    ``drop_rate`` closes the connection before the request is handled;
    ``drop_after_commit_rate`` handles a write (POST/PUT/PATCH/DELETE) and commits it, then
    closes the connection without answering (the "lost acknowledgement");
    ``truncate_rate`` handles the request (a write commits) and answers 200 with the JSON
    body cut in half, as a proxy or a crashed app server may ("malformed reply").
    ``methods`` / ``path_prefix`` narrow which API requests are affected
    (e.g. ``methods=("POST",)``, ``path_prefix="/deals"``; paths are relative to /api/v3).
    """

    latency_ms: float = 0.0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503)
    drop_rate: float = 0.0
    drop_after_commit_rate: float = 0.0
    truncate_rate: float = 0.0
    methods: tuple[str, ...] = ()
    path_prefix: str = ""

    def __post_init__(self) -> None:
        for name in ("error_rate", "drop_rate", "drop_after_commit_rate", "truncate_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value!r}")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if not self.error_statuses or any(not 400 <= s <= 599 for s in self.error_statuses):
            raise ValueError("error_statuses must be HTTP error codes (400..599)")

    @property
    def active(self) -> bool:
        """True if any fault is switched on."""
        return bool(
            self.latency_ms
            or self.error_rate
            or self.drop_rate
            or self.drop_after_commit_rate
            or self.truncate_rate
        )


@dataclass(frozen=True, slots=True)
class SandboxOptions:
    """Everything the sandbox needs to start. ``db=":memory:"`` keeps data in RAM only."""

    scale: Scale = "tiny"
    seed: int = 1
    db: str = ":memory:"
    host: str = "127.0.0.1"
    port: int = 0
    rate_limit: RateLimit | None = RateLimit(10, 5.0)
    rate_limit_mode: RateLimitMode = "bucket"
    admin_key: str = DEFAULT_ADMIN_KEY
    user_key: str = DEFAULT_USER_KEY
    deals: int | None = None
    people: int | None = None
    companies: int | None = None
    notes: int | None = None
    faults: Faults = field(default_factory=Faults)
    fault_seed: int | None = None
    #: Largest accepted upload (multipart file or fetched URL), in bytes.
    upload_limit: int = 25 * 1024 * 1024
    #: Seconds a URL-created document stays "pending" before it is fetched.
    document_fetch_delay: float = 0.0
    #: The day seeded data is dated around (default: today, UTC). Same seed + same anchor
    #: date = the same data.
    anchor_date: date | None = None
    #: Serve ``/<entity>/deleted?since=`` (emulation of an endpoint seen only in a 2015 fork).
    deleted_endpoint: bool = True
    #: Keys given explicitly replace the stored ones when an existing --db is reopened.
    keys_explicit: bool = False

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {self.scale!r}")
        if self.rate_limit_mode not in ("bucket", "window"):
            raise ValueError("rate_limit_mode must be 'bucket' or 'window'")
        if not self.admin_key or not self.user_key or self.admin_key == self.user_key:
            raise ValueError("admin_key and user_key must be two different non-empty keys")
        for name in ("deals", "people", "companies", "notes"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 5_000_000:
                raise ValueError(f"{name} must be between 0 and 5,000,000")

    def count(self, name: str) -> int:
        """Number of ``name`` records to generate (explicit count, else the scale's)."""
        explicit = getattr(self, name)
        return int(explicit) if explicit is not None else SCALES[self.scale][name]
