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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from crmdesk.store.connection import check_sqlite, connect, quick_check
from crmdesk.store.errors import StoreError, translate
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

    @classmethod
    def open(cls, path: Path | str, *, check: bool = True, synchronous: str = "FULL") -> Store:
        """Open (creating or upgrading) the database at ``path``.

        Checks SQLite for FTS5, upgrades an older schema in place, and with ``check`` runs
        ``PRAGMA quick_check`` so a damaged file is reported now, in plain words.
        ``synchronous`` FULL makes a committed edit survive power loss too; NORMAL only
        an application crash.
        """
        check_sqlite()
        store = cls(Path(path), synchronous)
        try:
            store._executor.submit(store._open_writer, check).result()
        except BaseException:
            store.close()
            raise
        return store

    def _open_writer(self, check: bool) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(self.path, writer=True, synchronous=self._synchronous)
        try:
            if check:
                quick_check(conn, self.path)
            migrate(conn)
        except sqlite3.Error as error:
            conn.close()
            raise translate(error, str(self.path)) from error
        except BaseException:
            conn.close()
            raise
        self._writer = Session(conn, self.path)

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
            raise translate(error, str(self.path)) from error
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            session.forget_fieldsets()
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
        return await asyncio.wrap_future(self._executor.submit(self._run, fn, durable))

    def write_sync(self, fn: Callable[[Session], T], *, durable: bool = True) -> T:
        """``write`` for code without an event loop (command line, tests, benchmarks)."""
        return self._executor.submit(self._run, fn, durable).result()

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

        return await asyncio.wrap_future(self._executor.submit(run))

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
