"""Tunables of the sync engine (defaults fit the real service; tests shrink them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """How far pulls overlap, how often side jobs run, how long in-doubt creates settle."""

    #: Incremental pulls start this long before the cursor: timestamps have one-second
    #: resolution and a transaction stamped earlier may commit after we listed.
    overlap: timedelta = timedelta(minutes=5)
    #: During a long push, the entities with queued updates are pulled again this often,
    #: so a server edit made meanwhile is seen before our PUT (the API has no If-Match).
    refresh_every: float = 30.0
    #: ... starting this long before the previous refresh (short: our own PUTs fall in it).
    refresh_overlap: timedelta = timedelta(seconds=15)
    #: Lookup lists, custom fields, users and saved searches are pulled this often.
    account_every: float = 3600.0
    #: Without a deleted-records endpoint, ghosts are found by listing every id this often.
    sweep_every: float = 6 * 3600.0
    #: A create whose reply was lost is looked up only after this many seconds, so that a
    #: request the server is still handling has landed before we look.
    in_doubt_settle: float = 5.0
    #: The lookup searches records created since the first attempt minus this margin
    #: (clock skew between this computer and the server).
    created_margin: timedelta = timedelta(minutes=15)
    #: Pages fetched at once during a pull (the rate limiter still paces them).
    page_concurrency: int = 4
    #: A reply that cannot be read this many times in a row parks the change.
    protocol_error_limit: int = 5
    #: Status snapshots are published at most this often while a phase runs.
    status_every: float = 0.25
