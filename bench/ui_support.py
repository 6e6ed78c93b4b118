"""Helpers of the UI benchmarks: a cached 1M-deal database, percentiles, memory, and the
child process that measures cold start (``python -m bench.ui_support child MODE DB``)."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.records import SOURCES, STAGES, STATUSES, pages, users
from crmdesk.domain.entities import Entity
from crmdesk.domain.records import LookupItem
from crmdesk.store import Store
from crmdesk.store.schema import LATEST

CACHE = Path(os.environ.get("CRMDESK_BENCH_DIR", "/tmp/crmdesk-bench"))


def option(argv: list[str], name: str, default: str) -> str:
    """The value of ``--name=value`` in ``argv`` (``default`` when absent)."""
    for arg in argv:
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
    return default


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(values: list[float]) -> str:
    """ "p50 a / p95 b / p99 c / max d ms"."""
    return (
        f"p50 {pct(values, 0.5):.1f} / p95 {pct(values, 0.95):.1f} / "
        f"p99 {pct(values, 0.99):.1f} / max {max(values):.1f} ms"
    )


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def deal_db(rows: int) -> Path:
    """A store holding ``rows`` deals (plus users and lookups), built once and cached."""
    path = CACHE / f"ui-{rows}-v{LATEST}.db"
    marker = path.with_suffix(".ready")
    if marker.exists() and path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    for old in CACHE.glob(f"ui-{rows}-*"):
        old.unlink()
    print(f"filling {path} with {rows:,} deals (cached for later runs)…", flush=True)
    started = time.perf_counter()
    store = Store.open(path, check=False, synchronous="NORMAL")
    try:

        def lookups(s: Any) -> None:
            s.records.upsert_server(Entity.USER, users())
            s.lookups.replace(
                "deal_stages",
                [LookupItem("deal_stages", i, n, percent=p) for i, n, p in STAGES],  # type: ignore[arg-type]
            )
            s.lookups.replace(
                "deal_statuses",
                [LookupItem("deal_statuses", i, n, hex_color=c) for i, n, c in STATUSES],  # type: ignore[arg-type]
            )
            s.lookups.replace(
                "lead_sources",
                [LookupItem("lead_sources", i, n) for i, n in SOURCES],  # type: ignore[arg-type]
            )
            s.lookups.put("profile", {"id": 1, "date_format": "us", "time_format": "US"})

        store.write_sync(lookups)
        # the store's bulk load, as a first sync stores pages (indexes built at the end)
        store.write_sync(lambda s: s.records.begin_bulk(Entity.DEAL))
        for batch in pages("deals", rows, page=1000, seed=1):
            store.write_sync(
                lambda s, b=batch: s.records.upsert_server(Entity.DEAL, b), durable=False
            )
        store.end_bulk_sync(Entity.DEAL)
        store.write_sync(lambda s: s.conn.execute("ANALYZE"))
    finally:
        store.close()
    marker.write_text(str(rows))
    print(f"filled in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def median(values: list[float]) -> float:
    """The median."""
    return statistics.median(values)


# ------------------------------------------------------------------ the cold-start child


def _child(mode: str, db: str, config: str) -> int:
    """Start like the app does, print ``monotonic()`` once the first rows are painted."""
    if mode == "bare":
        from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

        app = QApplication([sys.argv[0]])
        window = QMainWindow()
        window.setCentralWidget(QLabel("hello"))
        window.resize(1280, 800)
        painted = _on_first_paint(window, lambda: True)
        window.show()
        while not (painted and painted[0]):
            app.processEvents()
        print(f"{time.monotonic():.6f} {rss_mb():.1f}", flush=True)
        return 0
    if mode == "memory":
        return _memory_child(db, config)
    from crmdesk.app.gui import create_application, run_account, run_on_qasync
    from crmdesk.services.accounts import AccountRegistry
    from crmdesk.services.paths import default_paths

    app = create_application("light")

    async def main() -> int:
        # the real path of `crmdesk` for an account used before, offline (nothing listens
        # on port 9): local store, window, first paint; then the workspace comes up
        import asyncio

        paths = default_paths(Path(config)).ensure()
        registry = AccountRegistry(paths.accounts_file)
        account = registry.list()[0]
        done = asyncio.Event()

        def watch(window: Any) -> None:
            table = window.page.table
            _on_first_paint(table.viewport(), lambda: table.model().rowCount() > 0, done.set)
            asyncio.get_running_loop().call_soon(lambda: None)
            watched.append(window)

        watched: list[Any] = []
        run = asyncio.ensure_future(run_account(paths, registry, None, account, on_window=watch))
        await done.wait()
        print(f"{time.monotonic():.6f} {rss_mb():.1f}", flush=True)
        watched[0].close()
        return await run

    _ = app
    return run_on_qasync(main())


def _memory_child(db: str, config: str) -> int:
    """Open the table over ``db``, scroll it end to end, print the resident memory."""
    from crmdesk.app.gui import create_application, open_store_window, run_on_qasync

    app = create_application("light")

    async def main() -> int:
        window, close = open_store_window(Path(db), Path(config))
        window.resize(1280, 800)
        page = window.page
        await page.settled()
        opened = rss_mb()
        view = page.table
        bar = view.verticalScrollBar()
        steps = 2000
        for i in range(steps + 1):
            bar.setValue(bar.maximum() * i // steps)
            app.processEvents()
            view.viewport().repaint()
        await page.settled()
        print(f"{opened:.1f} {rss_mb():.1f} {page.model.cached_rows()}", flush=True)
        window.close()
        await page.settled()
        close()
        return 0

    return run_on_qasync(main())


def account_profile(db: Path) -> Path:
    """A profile whose one account (offline: its server is port 9 on loopback) has ``db``
    as its local store, linked into place."""
    from crmdesk.services.accounts import AccountRegistry
    from crmdesk.services.paths import default_paths

    root = Path(tempfile.mkdtemp(prefix="crmdesk-bench-profile-"))
    paths = default_paths(root).ensure()
    registry = AccountRegistry(paths.accounts_file)
    account = registry.add("Bench", "http://127.0.0.1:9/api/v3")
    account = registry.set_user(account, 1, "Bench User")
    registry.mark_used(account)
    folder = paths.account_dir(account.base_url, 1)
    folder.mkdir(parents=True)
    (folder / "store.db").symlink_to(db)
    return root


def _on_first_paint(widget: Any, ready: Any, then: Any = None) -> list[bool]:
    """A list that becomes [True] after ``widget``'s first paint once ``ready()``."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    flag: list[bool] = []

    class Watch(QObject):
        def eventFilter(self, watched: Any, event: Any) -> bool:
            if event.type() == QEvent.Type.Paint and not flag and ready():
                flag.append(False)

                def painted() -> None:
                    flag[0] = True
                    if then is not None:
                        then()

                QTimer.singleShot(0, painted)  # after this paint event is handled
            return False

    watch = Watch(widget)
    widget.installEventFilter(watch)
    return flag


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "child":
        sys.exit(_child(sys.argv[2], *sys.argv[3:5]))
