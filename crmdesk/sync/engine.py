"""The two-way sync engine of one account: one run = settle, pull, push.

    engine = SyncEngine(store, client, publisher)
    report = await engine.sync()          # the whole thing
    report = await engine.sync(pull=False)  # push only (after a local edit)

A run:

1. settles entries left *sending* by a crash or a lost reply (creates are looked up on
   the server by fingerprint before anything is sent again);
2. pulls the account's lookup lists when they are older than an hour (or when asked);
3. pulls records: a first full listing of each entity (with progress, resumable), then
   incremental pulls by ``*_modified`` and the server's deletions (or an id sweep);
4. pushes the outbox in order, one request per change, re-pulling the entities with
   queued updates every ``refresh_every`` seconds during a long push so that conflict
   detection works from a fresh server copy (the window between that pull and our PUT
   cannot be closed: the API has no If-Match).

Runs never overlap (a lock). Errors end a run with a typed ``SyncStopped`` reason in the
report - offline, paused (key refused), server, local - and never lose a queued change.
Every change set and status snapshot goes to the ``Publisher`` on the loop's thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from crmdesk.api import PipelineClient
from crmdesk.api.errors import (
    ApiError,
    AuthenticationError,
    TransportError,
)
from crmdesk.api.redaction import redact
from crmdesk.domain.changes import ChangeSet
from crmdesk.domain.entities import Entity
from crmdesk.domain.outbox import OpKind, OpState, OutboxEntry
from crmdesk.domain.sync_status import Connection, SyncStatus
from crmdesk.store import Store
from crmdesk.store.errors import StoreError
from crmdesk.sync.options import SyncOptions
from crmdesk.sync.publisher import NullPublisher, Publisher
from crmdesk.sync.pull import Puller
from crmdesk.sync.push import Pusher
from crmdesk.sync.report import StopReason, SyncReport, SyncStopped
from crmdesk.sync.wire import SYNCED, Wire

log = logging.getLogger("crmdesk.sync")

_CONNECTION = {
    StopReason.OFFLINE: Connection.OFFLINE,
    StopReason.PAUSED: Connection.PAUSED,
}


class SyncEngine:
    """Moves one account's data both ways between its store and the server."""

    def __init__(
        self,
        store: Store,
        client: PipelineClient | None,
        publisher: Publisher | None = None,
        options: SyncOptions | None = None,
    ) -> None:
        """``client`` None: no key yet (runs stop as paused until ``use_client``)."""
        self.store = store
        self.options = options or SyncOptions()
        self.publisher: Publisher = publisher or NullPublisher()
        self._lock = asyncio.Lock()
        self._stopping = False
        self._status = SyncStatus()
        self._last_status = 0.0
        self._last_pull = 0.0
        self._me: int | None = None
        self._report: SyncReport | None = None
        self._progress: dict[Entity, tuple[int, int]] = {}
        self.client: PipelineClient | None = None
        if client is not None:
            self.use_client(client)

    # ------------------------------------------------------------------ set-up

    def use_client(self, client: PipelineClient | None) -> None:
        """Talk through ``client`` from the next run on (a new key, or None: no key)."""
        self.client = client
        if client is None:
            return
        wire = Wire(client)
        self._wire = wire
        self._puller = Puller(
            self.store,
            wire,
            client,
            self.options,
            self._publish_changes,
            lambda: self._stopping,
        )
        self._pusher = Pusher(
            self.store,
            wire,
            client,
            self.options,
            self._publish_changes,
            lambda: self._me,
            self._puller.zone,
        )

    async def swap_client(self, client: PipelineClient) -> None:
        """``use_client`` once no run is in progress (a run keeps the client it started with)."""
        async with self._lock:
            self.use_client(client)

    @property
    def status(self) -> SyncStatus:
        """The latest status snapshot."""
        return self._status

    @property
    def running(self) -> bool:
        """True while a run is in progress."""
        return self._lock.locked()

    def stop(self) -> None:
        """Ask the current run to end after the request in flight (a graceful close)."""
        self._stopping = True

    # ------------------------------------------------------------------ publishing

    def _publish_changes(self, changes: ChangeSet) -> None:
        try:
            self.publisher.publish_changes(changes)
        except Exception:  # a subscriber's bug must not stop the sync
            log.exception("publishing a change set failed")

    async def refresh_status(self, **changes: Any) -> SyncStatus:
        """Re-read the queue counts and publish a status snapshot (``changes`` applied)."""
        counts = await self.store.call(lambda s: s.outbox.counts())
        fields = {
            "pending": counts.total,
            "needs_attention": counts.needs_attention + counts.deleted_on_server,
            "conflicts": counts.open_conflicts,
            **changes,
        }
        status = SyncStatus(
            connection=fields.get("connection", self._status.connection),
            phase=fields.get("phase", self._status.phase),
            progress=fields.get("progress", self._status.progress),
            pending=fields["pending"],
            needs_attention=fields["needs_attention"],
            conflicts=fields["conflicts"],
            last_sync=fields.get("last_sync", self._status.last_sync),
            last_error=fields.get("last_error", self._status.last_error),
        )
        self._set_status(status)
        return status

    def _set_status(self, status: SyncStatus) -> None:
        self._status = status
        self._last_status = time.monotonic()
        try:
            self.publisher.publish_status(status)
        except Exception:
            log.exception("publishing the sync status failed")

    async def _phase(
        self, phase: str, progress: float | None = None, *, force: bool = True
    ) -> None:
        if not force and time.monotonic() - self._last_status < self.options.status_every:
            return
        await self.refresh_status(phase=phase, progress=progress)

    def _first_sync_progress(self, entity: Entity, done: int, total: int) -> None:
        self._progress[entity] = (done, total)
        if time.monotonic() - self._last_status < self.options.status_every:
            return
        all_done = sum(d for d, _ in self._progress.values())
        all_total = sum(t for _, t in self._progress.values())
        fraction = all_done / all_total if all_total else None
        phase = f"Downloading {entity.plural_label.lower()} ({done:,} of {total:,})"
        self._set_status(
            SyncStatus(
                connection=Connection.SYNCING,
                phase=phase,
                progress=fraction,
                pending=self._status.pending,
                needs_attention=self._status.needs_attention,
                conflicts=self._status.conflicts,
                last_sync=self._status.last_sync,
                last_error=self._status.last_error,
            )
        )

    # ------------------------------------------------------------------ a run

    async def sync(
        self,
        *,
        pull: bool = True,
        push: bool = True,
        sweep: bool = False,
        account: bool = False,
    ) -> SyncReport:
        """One run (see the module docstring); never raises for network or server trouble:
        the report says how far it got and why it stopped."""
        async with self._lock:
            self._stopping = False
            report = SyncReport()
            self._report = report
            started = time.monotonic()
            client = self.client
            before = client.stats.snapshot() if client is not None else {}
            try:
                if client is None:
                    raise SyncStopped(
                        StopReason.PAUSED,
                        "There is no API key for this account: enter it to sync.",
                    )
                await self.refresh_status(connection=Connection.SYNCING, phase="Connecting")
                await self._run(report, pull=pull, push=push, sweep=sweep, account=account)
                report.complete = True
            except SyncStopped as stop:
                report.stopped, report.error = stop.reason, str(stop)
            except AuthenticationError as error:
                report.stopped = StopReason.PAUSED
                report.error = (
                    f"The server no longer accepts this account's API key ({redact(str(error))})."
                    " Changes wait until a new key is entered."
                )
            except TransportError as error:
                report.stopped = StopReason.OFFLINE
                report.error = f"The server cannot be reached ({redact(str(error))})."
            except ApiError as error:
                report.stopped = StopReason.SERVER
                report.error = f"The server failed: {redact(str(error))}"
            except StoreError as error:
                report.stopped = StopReason.LOCAL
                report.error = str(error)
            finally:
                self._report = None
                self._progress.clear()
                report.seconds = time.monotonic() - started
                if client is not None:
                    after = client.stats.snapshot()
                    report.requests = after["requests"] - before.get("requests", 0)
                    report.rate_limited = after["rate_limited"] - before.get("rate_limited", 0)
            await self._finish(report)
            return report

    async def _finish(self, report: SyncReport) -> None:
        if report.stopped is not None and report.stopped is not StopReason.STOPPED:
            log.warning("sync stopped (%s): %s", report.stopped.value, report.error)
        connection = Connection.IDLE
        if report.stopped is not None:
            connection = _CONNECTION.get(report.stopped, Connection.IDLE)
        try:
            status = await self.refresh_status(
                connection=connection,
                phase="",
                progress=None,
                last_sync=datetime.now(UTC) if report.complete else self._status.last_sync,
                last_error=report.error,
            )
            report.pending = status.pending
        except StoreError as error:  # the store is closing or broken: say so, keep going
            report.error = report.error or str(error)

    async def _run(
        self, report: SyncReport, *, pull: bool, push: bool, sweep: bool, account: bool
    ) -> None:
        profile = await self.store.call(lambda s: s.lookups.get("profile"))
        if profile is not None and isinstance(profile.get("id"), int):
            self._me = int(profile["id"])
        await self._phase("Checking unfinished changes")
        await self._pusher.resolve_in_doubt(report)
        if account or profile is None or (pull and await self._puller.account_due()):
            await self._phase("Downloading account settings")
            await self._puller.account()
            profile = await self.store.call(lambda s: s.lookups.get("profile"))
            if profile is not None and isinstance(profile.get("id"), int):
                self._me = int(profile["id"])
        if pull:
            await self._pull(report, sweep=sweep)
        if push:
            await self._phase("Sending changes")
            await self._pusher.push(
                report, before_each=self._refresh_if_due, stopping=lambda: self._stopping
            )

    async def _pull(self, report: SyncReport, *, sweep: bool) -> None:
        needed = await self._puller.first_sync_needed()
        for entity in needed:
            total, done = await self._puller.prime(entity)
            self._progress[entity] = (done, total)
        for entity in SYNCED:
            if self._stopping:
                raise SyncStopped(StopReason.STOPPED, "Sync stopped.")
            if entity in needed:
                await self._puller.full(entity, report, self._first_sync_progress)
            else:
                await self._phase(f"Checking {entity.plural_label.lower()}")
                await self._puller.incremental(entity, report)
        self._last_pull = time.monotonic()
        # The deleted-records endpoint is tried until the server says it has none.
        try_endpoint = await self._puller.deleted_endpoint() is not False
        for entity in SYNCED:
            if entity in needed and not sweep:
                continue
            listed = False
            if try_endpoint:
                listed = try_endpoint = await self._puller.deletions(entity, report)
            if sweep or await self._puller.sweep_due(entity, endpoint=listed):
                await self._phase(f"Looking for deleted {entity.plural_label.lower()}")
                await self._puller.sweep(entity, report)
        if needed:
            await self._phase("Optimizing the local database")
            await self.store.optimize()

    async def _refresh_if_due(self, entry: OutboxEntry) -> None:
        """Before an update goes out, make sure the server copy is recent enough."""
        await self._phase("Sending changes", force=False)
        if entry.kind is not OpKind.UPDATE:
            return
        if time.monotonic() - self._last_pull < self.options.refresh_every:
            return
        report = self._report or SyncReport()

        def pending_entities(session: Any) -> set[Entity]:
            return {
                e.entity
                for e in session.outbox.entries(states=[OpState.PENDING])
                if e.kind is OpKind.UPDATE
            }

        wanted = await self.store.call(pending_entities)
        if Entity.COMMENT in wanted:
            wanted.add(Entity.NOTE)  # comments arrive inside their notes
        for entity in SYNCED:
            if entity in wanted:
                await self._puller.incremental(entity, report, overlap=self.options.refresh_overlap)
        self._last_pull = time.monotonic()
