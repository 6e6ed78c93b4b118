"""The store of one account: one SQLite file, one writer thread, per-thread readers.

sqlite3 connections are bound to the thread that made them. The write connection lives
on a dedicated single-thread executor: ``await store.write(fn)`` runs ``fn(session)``
there inside one ``BEGIN IMMEDIATE`` transaction (all or nothing) and returns its result
to the event loop. ``store.read()`` gives the calling thread its own read-only session,
for small indexed reads straight from the GUI thread (table windows); WAL lets readers
run while the writer commits.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from crmdesk.domain.entities import Entity
from crmdesk.store import bulk
from crmdesk.store.connection import check_sqlite, connect, quick_check
from crmdesk.store.errors import StoreError, translate
from crmdesk.store.integrity import (
    CHECK_EVERY_S,
    BackgroundCheck,
    cheap_check,
    left_unclean,
    needs_full_check_now,
)
from crmdesk.store.schema import migrate
from crmdesk.store.session import Session

T = TypeVar("T")


class Store:
    """One account's local database. Open with ``Store.open(path)``; close when done."""

    def __init__(self, path: Path, synchronous: str = "FULL") -> None:
        self.path = Path(path)
        self._synchronous = synchronous
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crmdesk-store")
        self._writer: Session | None = None
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._durable = True
        self._check: BackgroundCheck | None = None
        #: How the integrity check of this open went: done at once for a file checked
        #: during ``open`` (or not checked); for a large file it completes when the
        #: background check does, failing with StoreCorruptError if it found damage.
        self.integrity: Future[None] = Future()

    @classmethod
    def open(cls, path: Path | str, *, check: bool = True, synchronous: str = "FULL") -> Store:
        """Open (creating or upgrading) the database at ``path``.

        Checks SQLite for FTS5, upgrades an older schema in place, and with ``check`` runs
        ``PRAGMA quick_check`` so a damaged file is reported now, in plain words - for a
        large file (a quick_check of a million deals takes seconds) only a cheap check
        now and the full one in the background, reported by ``integrity`` (see
        ``integrity.py``). ``synchronous`` FULL makes a committed edit survive power
        loss too; NORMAL only an application crash.
        """
        check_sqlite()
        store = cls(Path(path), synchronous)
        try:
            background = store._executor.submit(store._open_writer, check).result()
        except BaseException:
            store.close()
            raise
        if background:
            store._check = BackgroundCheck(store.path, store._checked)
            store._check.result.add_done_callback(store._forward_check)
            store._check.start()
        else:
            store.integrity.set_result(None)
        return store

    def _open_writer(self, check: bool) -> bool:
        """Open the writer; True if a full check should run in the background."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        small = needs_full_check_now(self.path)
        unclean = left_unclean(self.path)
        conn = connect(self.path, writer=True, synchronous=self._synchronous)
        try:
            if check and small:
                quick_check(conn, self.path)
            elif check:
                cheap_check(conn, self.path)
            migrate(conn)
            last = conn.execute("SELECT value FROM meta WHERE key = 'last_check'").fetchone()
        except sqlite3.Error as error:
            conn.close()
            raise translate(error, str(self.path)) from error
        except BaseException:
            conn.close()
            raise
        self._writer = Session(conn, self.path)
        # A bulk load cut short by a crash: build its indexes, between the caller's writes.
        for entity in bulk.pending(conn):
            self._executor.submit(self._resume_bulk, entity)
        due = last is None or time.time() - float(last[0]) > CHECK_EVERY_S
        return check and not small and (unclean or due)

    def _checked(self) -> None:
        # Runs on the check thread once the file passed: remember when, on the writer.
        def note(session: Session) -> None:
            session.conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_check', ?)",
                (time.time(),),
            )

        try:
            if not self._closed:
                self._executor.submit(self._run, note, False)
        except RuntimeError:
            pass  # closing: the executor takes no more work; the next open checks again

    def _forward_check(self, done: Future[None]) -> None:
        if done.cancelled():
            self.integrity.cancel()
        elif done.exception() is not None:
            self.integrity.set_exception(done.exception())
        else:
            self.integrity.set_result(None)

    # -------------------------------------------------------------- writes

    def _run(self, fn: Callable[[Session], T], durable: bool = True) -> T:
        session = self._writer
        if session is None:
            raise StoreError("The store is closed.")
        conn = session.conn
        try:
            if durable != self._durable:
                # Pulled data can be pulled again: it need not wait for the disk. A local
                # edit must; its fsync also covers every earlier transaction in the WAL.
                level = self._synchronous if durable else "NORMAL"
                conn.execute(f"PRAGMA synchronous = {level}")
                self._durable = durable
            conn.execute("BEGIN IMMEDIATE")
            result = fn(session)
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            session.forget_fieldsets()
            session.codec.forget()
            raise translate(error, str(self.path)) from error
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            session.forget_fieldsets()
            session.codec.forget()
            raise
        return result

    async def write(self, fn: Callable[[Session], T], *, durable: bool = True) -> T:
        """Run ``fn(session)`` in one write transaction on the writer thread.

        Commits when ``fn`` returns, rolls everything back when it raises (sqlite3 errors
        come out as typed StoreErrors, e.g. StoreFullError). Cancelling the caller does
        not cancel a transaction already started. ``durable=False`` (for pulled pages,
        which can be pulled again) skips the fsync: the commit still survives a crash of
        the application, though not a power cut.
        """
        return await asyncio.wrap_future(self._submit(self._run, fn, durable))

    def write_sync(self, fn: Callable[[Session], T], *, durable: bool = True) -> T:
        """``write`` for code without an event loop (command line, tests, benchmarks)."""
        done: Future[T] = self._submit(self._run, fn, durable)
        return done.result()

    def _submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue ``fn`` on the writer thread; StoreError once the store is closed."""
        if self._closed:
            raise StoreError("The store is closed.")
        try:
            return self._executor.submit(fn, *args)
        except RuntimeError:  # closed meanwhile, by another thread
            raise StoreError("The store is closed.") from None

    async def end_bulk(self, entity: Entity) -> None:
        """End a bulk load begun with ``records.begin_bulk``: build the sort indexes and
        the search index again, one piece per transaction (local edits are not held up
        for the whole build, which takes seconds at a million rows)."""
        while await self.write(lambda s: s.records.bulk_step(entity), durable=False):
            pass

    def end_bulk_sync(self, entity: Entity) -> None:
        """``end_bulk`` for code without an event loop."""
        while self.write_sync(lambda s: s.records.bulk_step(entity), durable=False):
            pass

    def _resume_bulk(self, entity: Entity) -> None:
        # One piece per executor job: writes queued meanwhile run in between.
        try:
            more = self._run(lambda s: s.records.bulk_step(entity), durable=False)
        except StoreError:
            return  # left in meta: the next open tries again
        if more and not self._closed:
            self._executor.submit(self._resume_bulk, entity)

    async def optimize(self) -> None:
        """Refresh the query planner's statistics (after a first sync or a big pull) so
        that filters and sorts pick the right index."""

        def run(session: Session) -> None:
            session.conn.execute("PRAGMA analysis_limit = 2000")
            session.conn.execute("ANALYZE")

        await self.call(run)

    async def call(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` on the writer thread without opening a transaction (reads
        that may take long, e.g. ``tables.load_ids``, off the GUI thread)."""

        def run() -> T:
            if self._writer is None:
                raise StoreError("The store is closed.")
            try:
                return fn(self._writer)
            except sqlite3.Error as error:
                raise translate(error, str(self.path)) from error

        return await asyncio.wrap_future(self._submit(run))

    # -------------------------------------------------------------- reads

    def read(self) -> Session:
        """The calling thread's read-only session (opened on first use)."""
        if self._closed:
            raise StoreError("The store is closed.")
        session: Session | None = getattr(self._local, "session", None)
        if session is None:
            conn = connect(self.path, writer=False)
            with self._lock:
                self._readers.append(conn)
            session = Session(conn, self.path)
            self._local.session = session
        return session

    def close_reader(self) -> None:
        """Close the calling thread's read connection (worker threads that end)."""
        session: Session | None = getattr(self._local, "session", None)
        if session is not None:
            with self._lock:
                if session.conn in self._readers:
                    self._readers.remove(session.conn)
            session.conn.close()
            self._local.session = None

    # -------------------------------------------------------------- lifetime

    def close(self) -> None:
        """Close the writer (after queued writes finish) and this thread's reader.

        Readers opened by other threads are closed by those threads (``close_reader``) or
        when they are garbage collected.
        """
        if self._closed:
            return
        self._closed = True
        if self._check is not None:
            self._check.stop()
        elif not self.integrity.done():
            self.integrity.cancel()
        self.close_reader()

        def shut() -> None:
            if self._writer is not None:
                try:
                    self._writer.conn.execute("PRAGMA optimize")
                except sqlite3.Error:
                    pass
                self._writer.conn.close()
                self._writer = None

        try:
            self._executor.submit(shut).result()
        finally:
            self._executor.shutdown(wait=True)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
