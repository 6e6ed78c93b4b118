"""When and how the database file is checked for damage.

``PRAGMA quick_check`` reads the whole file: ~0.1 s for a small account, 1.3-10 s for a
million deals on this machine, far too long for every start. So a file up to
``CHECK_NOW_BYTES`` is checked at open as before; a larger one gets a cheap check at open
(the header and the schema must read) and a full check on its own connection in the
background, at most every ``CHECK_EVERY_S`` or after a session that did not close cleanly
(its write-ahead log was left behind). Damage the check finds fails ``Store.integrity``
with the same plain-words StoreCorruptError; damage met by any query raises it too.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from crmdesk.store.connection import connect, quick_check
from crmdesk.store.errors import StoreError, translate

CHECK_NOW_BYTES = 64 * 1024 * 1024
CHECK_EVERY_S = 7 * 24 * 3600.0
CHECK_DELAY_S = 10.0  # let the first window paint before reading the whole file


def left_unclean(path: Path) -> bool:
    """True if the last session on ``path`` left its write-ahead log behind (a crash or
    a kill: a clean close of the last connection removes it)."""
    wal = path.with_name(path.name + "-wal")
    try:
        return wal.stat().st_size > 0
    except OSError:
        return False


def needs_full_check_now(path: Path) -> bool:
    """True if the file is small enough to check at open."""
    try:
        return path.stat().st_size <= CHECK_NOW_BYTES
    except OSError:
        return True


def cheap_check(conn: sqlite3.Connection, path: Path) -> None:
    """StoreCorruptError unless the header and the schema of the database read."""
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as error:
        raise translate(error, str(path)) from error


class BackgroundCheck:
    """A quick_check on its own read connection and thread; ``result`` says how it went."""

    def __init__(self, path: Path, on_ok: Callable[[], None], delay: float | None = None):
        self.result: Future[None] = Future()
        self._path = path
        self._on_ok = on_ok
        self._delay = CHECK_DELAY_S if delay is None else delay
        self._stop = threading.Event()
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="crmdesk-check", daemon=True)

    def start(self) -> None:
        """Begin (after the delay)."""
        self._thread.start()

    def stop(self) -> None:
        """Abandon the check (the store closes) and wait for the thread."""
        self._stop.set()
        with self._lock:
            if self._conn is not None:
                self._conn.interrupt()
        self._thread.join()
        self.result.cancel()

    def _run(self) -> None:
        if self._stop.wait(self._delay):
            return
        try:
            conn = connect(self._path, writer=False)
        except StoreError as error:
            self.result.set_exception(error)
            return
        with self._lock:
            self._conn = conn
        try:
            quick_check(conn, self._path)
        except StoreError as error:
            if not self._stop.is_set():  # else: interrupted by stop()
                self.result.set_exception(error)
            return
        finally:
            with self._lock:
                self._conn = None
            conn.close()
        self.result.set_result(None)
        self._on_ok()
