"""When to sync: on start, every few minutes, soon after a local edit, on "Sync now".

    service = SyncService(engine)
    service.start()                           # first run now: pull + push
    report = await service.sync_now()         # "Sync now" (sweep=True: look for deletions too)
    service.changes_queued()                  # after a local edit: push in a moment
    await service.stop()

Runs go through the engine one at a time on the event loop. Between runs the service
waits for the earliest of: the periodic interval, a queued change's retry time, a local
edit (push only, after ``push_delay`` so a burst of typing goes out together), or a
request. Offline: runs are retried with growing pauses (``offline_retry``) - each retry is
the connectivity probe, so coming back online is noticed within that pause. Paused (the
key was refused, or there is none): nothing runs until ``key_changed()`` or
``sync_now()``. Status snapshots come from the engine (``engine.status``, and the
publisher it was given - normally the workspace's ``EventBus``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from crmdesk.domain.sync_status import Connection
from crmdesk.sync import StopReason, SyncEngine, SyncReport

log = logging.getLogger("crmdesk.services")


@dataclass(slots=True)
class _Request:
    pull: bool = False
    push: bool = False
    sweep: bool = False
    account: bool = False

    def merge(self, other: _Request) -> None:
        self.pull |= other.pull
        self.push |= other.push
        self.sweep |= other.sweep
        self.account |= other.account

    @property
    def empty(self) -> bool:
        return not (self.pull or self.push)


class SyncService:
    """Schedules the sync runs of one account on the running event loop."""

    def __init__(
        self,
        engine: SyncEngine,
        *,
        interval: float = 300.0,
        push_delay: float = 2.0,
        offline_retry: tuple[float, float] = (5.0, 120.0),
    ) -> None:
        """``interval``: seconds between automatic pulls; ``push_delay``: seconds from a
        local edit to its push; ``offline_retry``: first and longest pause between runs
        while the server cannot be reached."""
        self.engine = engine
        self.interval = interval
        self.push_delay = push_delay
        self.offline_retry = offline_retry
        self._wanted = _Request()
        self._due: float | None = None  # monotonic time the wanted run may start
        self._wake = asyncio.Event()
        self._waiters: list[asyncio.Future[SyncReport]] = []
        self._task: asyncio.Task[None] | None = None
        self._offline_pause: float | None = None  # None: the first pause comes next
        self._paused = False
        self._closing = False
        self._recount = False
        self.last_report: SyncReport | None = None

    # ------------------------------------------------------------------ requests

    @property
    def running(self) -> bool:
        """True between ``start`` and ``stop``."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Begin syncing: a full run now, then on schedule (call inside the loop)."""
        if self.running:
            return
        self._closing = False
        self._request(_Request(pull=True, push=True), delay=0.0)
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="crmdesk-sync")

    def sync_now(self, *, sweep: bool = False, account: bool = False) -> asyncio.Future[SyncReport]:
        """Run a full sync as soon as the current run ends; the future gives its report.

        ``sweep`` also looks for records deleted on the server the slow way (an id
        listing); ``account`` re-reads lookup lists and custom fields. Clears a pause."""
        future: asyncio.Future[SyncReport] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        self._paused = False
        self._offline_pause = None
        self._request(_Request(pull=True, push=True, sweep=sweep, account=account), delay=0.0)
        return future

    def changes_queued(self) -> None:
        """Local changes were queued: push them shortly (and update the pending count)."""
        self._recount = True
        if not self._paused:
            self._request(_Request(push=True), delay=self.push_delay)
        self._wake.set()

    def push_now(self) -> None:
        """ "Retry now" on a queued change: push as soon as the current run ends (a
        paused sync stays paused: only a new key helps there)."""
        self._recount = True
        self._offline_pause = None
        if not self._paused:
            self._request(_Request(push=True), delay=0.0)
        self._wake.set()

    def key_changed(self) -> None:
        """The engine has a new client (a new key): resume and sync now."""
        self._paused = False
        self._offline_pause = None
        self._request(_Request(pull=True, push=True), delay=0.0)

    def _request(self, request: _Request, delay: float) -> None:
        self._wanted.merge(request)
        due = time.monotonic() + delay
        if self._due is None or due < self._due:
            self._due = due
        self._wake.set()

    async def _refresh_counts(self) -> None:
        try:
            await self.engine.refresh_status()
        except Exception:  # the store may be closing
            log.debug("could not refresh the queue counts", exc_info=True)

    # ------------------------------------------------------------------ the loop

    async def _loop(self) -> None:
        while await self._wait_until_due():
            request, self._wanted, self._due = self._wanted, _Request(), None
            waiters, self._waiters = self._waiters, []
            try:
                report = await self.engine.sync(
                    pull=request.pull,
                    push=request.push or request.pull,
                    sweep=request.sweep,
                    account=request.account,
                )
            except Exception as error:  # a bug must not end syncing for the session
                log.exception("a sync run failed unexpectedly")
                report = SyncReport(stopped=StopReason.ERROR, error=f"Sync failed: {error}")
                with contextlib.suppress(Exception):
                    await self.engine.refresh_status(
                        connection=Connection.IDLE,
                        phase="",
                        progress=None,
                        last_error=report.error,
                    )
            self.last_report = report
            for future in waiters:
                if not future.done():
                    future.set_result(report)
            await self._plan_after(report)

    async def _wait_until_due(self) -> bool:
        """Wait for the wanted run's time; False when the service is closing."""
        while not self._closing:
            self._wake.clear()
            if self._recount:
                self._recount = False
                await self._refresh_counts()
            if self._due is not None and not self._paused and not self._wanted.empty:
                delay = self._due - time.monotonic()
                if delay <= 0:
                    return True
            else:
                delay = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
        return False

    async def _plan_after(self, report: SyncReport) -> None:
        if report.stopped is StopReason.PAUSED:
            self._paused = True  # until key_changed() or sync_now()
            return
        if report.stopped is StopReason.OFFLINE:
            pause = self._offline_pause or self.offline_retry[0]
            self._request(_Request(pull=True, push=True), delay=pause)
            self._offline_pause = min(pause * 2, self.offline_retry[1])
            return
        self._offline_pause = None
        delay = self.interval
        if report.stopped in (StopReason.SERVER, StopReason.ERROR):
            delay = min(delay, 60.0)
        self._request(_Request(pull=True, push=True), delay=delay)
        # Queued changes backing off after a failure go out when their time comes.
        try:
            due = await self.engine.store.call(lambda s: s.outbox.next_attempt_at())
        except Exception:  # the store is closing
            return
        if due is not None:
            self._request(_Request(push=True), delay=max(0.0, due.timestamp() - time.time()))

    # ------------------------------------------------------------------ shutdown

    async def stop(self, grace: float = 10.0) -> None:
        """Stop syncing: the run in progress ends after its current request (waiting at
        most ``grace`` seconds, then it is cancelled - a cancelled request is settled at
        the next start, never lost or duplicated)."""
        self._closing = True
        self._wake.set()
        self.engine.stop()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), grace)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for future in self._waiters:
            if not future.done():
                future.cancel()
        self._waiters.clear()
