"""Everything one running sandbox holds: options, database, caches, limiter, faults."""

from __future__ import annotations

import asyncio
import random
import secrets
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from crmdesk.sandbox.catalog import Catalog
from crmdesk.sandbox.clock import now
from crmdesk.sandbox.db import Database
from crmdesk.sandbox.options import Faults, SandboxOptions
from crmdesk.sandbox.ratelimit import RateLimiter

TransportFinder = Callable[[Any], "asyncio.BaseTransport | None"]


class SandboxState:
    """The shared state of one sandbox server (used on its event-loop thread)."""

    def __init__(self, options: SandboxOptions, db: Database) -> None:
        self.options = options
        self.db = db
        self.catalog = Catalog(db)
        self.limiter = RateLimiter(options.rate_limit, options.rate_limit_mode)
        self.faults: Faults = options.faults
        self.fault_rng = random.Random(options.fault_seed)
        secret = db.meta("link_secret")
        if secret is None:
            secret = secrets.token_hex(16)
            db.set_meta("link_secret", secret)
        self.link_secret = secret.encode()
        self.host = options.host
        self.port = options.port
        self.tasks: set[asyncio.Task[Any]] = set()
        # Document downloads run here, not in the loop's default executor, so a stop never
        # waits for a slow remote server.
        self.fetcher = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sandbox-fetch")
        self.find_transport: TransportFinder = lambda _client: None
        self.upload_limit = options.upload_limit
        self.requests_served = 0

    def stamp(self, previous: int | None = None) -> int:
        """A modification time: now, but always later than ``previous``.

        EMULATION: the real service has one-second timestamps and two edits within a second
        share one ``updated_at``; here every change moves ``updated_at`` forward by at least
        one second so a client can always see that a record changed.
        """
        current = now()
        if previous is not None and current <= previous:
            return previous + 1
        return current

    def spawn(self, job: Coroutine[Any, Any, None]) -> None:
        """Run a background job on the server loop (document fetches); cancelled at stop."""
        task = asyncio.get_running_loop().create_task(job)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def set_faults(self, faults: Faults) -> None:
        """Switch fault injection at run time."""
        self.faults = faults
