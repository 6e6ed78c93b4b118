"""Saving an edit in the window of a large account, beside the bare store write.

    python -m bench ui_edit [--rows=100000] [--runs=30]

* save: Save in the record editor (parse, check, one store transaction with its outbox
  row, the change event, the row re-read and repainted with its pending marker) - what
  the person waits for; the view's debounced recount (400 ms later, off the GUI thread)
  is not part of it - vs ``EditService.update`` alone (the same transaction and event, no
  window) on the same database, alternating so both see the same noise;
* undo: Ctrl+Z of that unsent edit (the change taken back and the row repainted) vs the
  same bare update writing the old value back.

Edits go to a copy of the cached benchmark database (``bench/ui_support.deal_db``), so the
cache stays as it was. Nothing is sent anywhere: there is no server in this benchmark.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench.ui_support import deal_db, option, summary


def main(argv: list[str]) -> int:
    rows = int(option(argv, "rows", "100000"))
    runs = int(option(argv, "runs", "30"))
    cached = deal_db(rows)
    work = Path(tempfile.mkdtemp(prefix="crmdesk-bench-edit-"))
    db = work / "store.db"
    shutil.copyfile(cached, db)
    print(f"rows={rows:,} runs={runs} db copy={db} ({db.stat().st_size / 1e6:.0f} MB)", flush=True)
    from crmdesk.app.gui import create_application, run_on_qasync

    app = create_application("light")
    try:
        run_on_qasync(_measure(app, db, work, runs))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


async def _measure(app: Any, db: Path, work: Path, runs: int) -> int:
    from crmdesk.domain.entities import Entity
    from crmdesk.domain.sync_status import RecordSync
    from crmdesk.services.browse import BrowseService
    from crmdesk.services.conflict_view import ConflictViews
    from crmdesk.services.edit_form import EditFormService
    from crmdesk.services.edits import EditService
    from crmdesk.services.events import EventBus
    from crmdesk.services.queue_view import QueueView
    from crmdesk.store import Store
    from crmdesk.ui.main_window import EventBridge, MainWindow
    from crmdesk.ui.settings import UiSettings

    store = Store.open(db)
    browse = BrowseService(store, work / "views.json")
    bridge = EventBridge()
    bus = EventBus()
    edits = EditService(store, bus)
    workspace = SimpleNamespace(
        bus=bus,
        edits=edits,
        forms=EditFormService(store),
        queue=QueueView(store),
        conflict_views=ConflictViews(store),
        sync=SimpleNamespace(sync_now=None),
        set_key=None,
    )
    window = MainWindow(browse, UiSettings(work / "ui.ini"), "bench", "bench", bridge=bridge)
    window.resize(1280, 800)
    window.show()
    page = window.page
    await page.settled()
    window.attach_sync(workspace, bridge)
    try:
        ids = [page.model.id_at(row) for row in range(min(runs, page.model.rowCount()))]
        save_ms: list[float] = []
        bare_ms: list[float] = []
        undo_ms: list[float] = []
        bare_undo_ms: list[float] = []
        for n, record_id in enumerate(ids):
            page.show_record(record_id)
            await page.settled()
            editor = page.editing.edit()
            old_name = editor.editors["name"].text()
            editor.editors["name"].line.setText(f"{old_name} (edited {n})")
            # what was typed is on screen before Save is pressed (as for a person)
            app.processEvents()
            row = page.table.current_row()
            t0 = time.perf_counter()
            saved = await editor.save_now()
            # the change event refreshed the row before save_now returned
            page.table.viewport().repaint()
            save_ms.append((time.perf_counter() - t0) * 1000)
            assert saved, "the editor refused to save"
            assert page.model.row_at(row).sync is RecordSync.PENDING, "no pending marker"
            await page.settled()  # the debounced recount (400 ms) is not waited for above

            t0 = time.perf_counter()
            window.undo_actions.undo.trigger()
            await window.undo_actions._task.wait()
            page.table.viewport().repaint()
            undo_ms.append((time.perf_counter() - t0) * 1000)
            assert page.model.row_at(row).sync is RecordSync.SYNCED, "undo left a marker"
            await page.settled()

            # the bare service on the same record: the same write and its way back
            t0 = time.perf_counter()
            await edits.update(Entity.DEAL, record_id, {"name": f"{old_name} (bare {n})"})
            bare_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            await edits.update(Entity.DEAL, record_id, {"name": old_name})
            bare_undo_ms.append((time.perf_counter() - t0) * 1000)
            await page.settled()
        left = len(edits.outbox())
        print(f"save in the editor -> row repainted: {summary(save_ms)}")
        print(f"  bare EditService.update:          {summary(bare_ms)}")
        print(f"  ratio (median): {_ratio(save_ms, bare_ms)}")
        print(f"Ctrl+Z of the unsent edit -> row repainted: {summary(undo_ms)}")
        print(f"  bare update writing the old value back:  {summary(bare_undo_ms)}")
        print(f"  ratio (median): {_ratio(undo_ms, bare_undo_ms)}")
        print(f"queued changes left after every edit was taken back: {left} (expected 0)")
    finally:
        for each in window.pages.values():
            await each.settled()
        window.close()
        browse.close()
        store.close()
    return 0


def _ratio(values: list[float], base: list[float]) -> str:
    ordered = sorted(values)
    baseline = sorted(base)
    middle, base_middle = ordered[len(ordered) // 2], baseline[len(baseline) // 2]
    return f"{middle / base_middle:.1f}x" if base_middle > 0 else "n/a"
