"""Opening, upgrading and failing: migrations on a real file, full disk, bad files."""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from crmdesk.domain.entities import Entity
from crmdesk.store import (
    Store,
    StoreCorruptError,
    StoreFullError,
    StoreReadOnlyError,
    StoreVersionError,
)
from crmdesk.store.columns import TABLES
from crmdesk.store.schema import LATEST, migrate, version_of
from tests.unit.store.conftest import deal


def test_new_database_is_current_wal_and_matches_the_column_specs(db_path: Path) -> None:
    with Store.open(db_path):
        pass
    conn = sqlite3.connect(db_path)
    assert version_of(conn) == LATEST
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    for table in TABLES.values():
        names = [r[1] for r in conn.execute(f"PRAGMA table_info({table.table})")]
        assert names == ["id", "sync", "gone", *table.column_names, "server", "local"]
    conn.close()


def test_upgrade_from_version_1_in_place_keeps_data_and_queue(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path, isolation_level=None)
    migrate(conn, target=1)
    assert version_of(conn) == 1
    # what a version-1 crmdesk left behind: a deal and a queued rename
    conn.execute(
        "INSERT INTO deals (id, name, server) VALUES (1, 'Old', ?)",
        (json.dumps(deal(1, "Old")).encode(),),
    )
    conn.execute(
        "INSERT INTO outbox (op_id, entity, record_id, kind, patch, base, base_updated_at, "
        "state, created_at) VALUES ('op-1', 'deal', 1, 'update', '{\"name\": \"New\"}', "
        "'{\"name\": \"Old\"}', NULL, 'pending', 0)"
    )
    assert "conflicts" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()

    with Store.open(db_path) as store:
        reader = store.read()
        (entry,) = reader.outbox.entries()
        assert entry.op_id == "op-1"
        assert entry.field_errors == ()
        assert reader.conflicts.open_conflicts() == []
        # the upgraded database works: the old entry takes more edits
        store.write_sync(lambda s: s.records.refresh(Entity.DEAL, 1))
        store.write_sync(lambda s: s.edits.update(Entity.DEAL, 1, {"value": "7"}))
        (entry,) = reader.outbox.entries()
        assert dict(entry.patch) == {"name": "New", "value": "7"}
        assert reader.records.get(Entity.DEAL, 1).data["name"] == "New"  # type: ignore[union-attr]
    conn = sqlite3.connect(db_path)
    assert version_of(conn) == LATEST
    conn.close()


def test_a_database_from_a_newer_crmdesk_is_refused(db_path: Path) -> None:
    with Store.open(db_path):
        pass
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.close()
    with pytest.raises(StoreVersionError, match="newer crmdesk"):
        Store.open(db_path)


def test_a_corrupt_file_is_reported_at_open(db_path: Path) -> None:
    with Store.open(db_path) as store:
        page = [deal(i, f"Deal number {i} " + "x" * 200) for i in range(1, 400)]
        store.write_sync(lambda s: s.records.upsert_server(Entity.DEAL, page))
    size = db_path.stat().st_size
    with db_path.open("r+b") as handle:  # scribble over the middle of the file
        handle.seek(size // 2)
        handle.write(os.urandom(8192))
    with pytest.raises(StoreCorruptError, match="damaged"):
        Store.open(db_path)


def test_a_file_that_is_not_a_database_is_reported_and_left_closed(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not sqlite" * 100)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for _ in range(3):
            with pytest.raises(StoreCorruptError):
                Store.open(db_path)
        gc.collect()
    leaked = [w for w in caught if "unclosed database" in str(w.message)]
    assert leaked == []


def test_full_disk_rejects_the_edit_and_leaves_nothing_partial(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.write_sync(lambda s: s.records.upsert_server(Entity.DEAL, [deal(1)]))

        def cap(s):
            pages = s.conn.execute("PRAGMA page_count").fetchone()[0]
            s.conn.execute(f"PRAGMA max_page_count = {pages}")

        store.write_sync(cap)

        def big_edit(s):
            s.edits.update(Entity.DEAL, 1, {"summary": "y" * 50_000})
            s.records.upsert_server(Entity.DEAL, [deal(i, "z" * 3000) for i in range(2, 200)])

        with pytest.raises(StoreFullError, match="full"):
            store.write_sync(big_edit)
        reader = store.read()
        assert reader.outbox.entries() == []
        assert reader.records.get(Entity.DEAL, 1).data.get("summary") is None  # type: ignore[union-attr]
        assert reader.records.count(Entity.DEAL) == 1
        # once there is room again the same edit goes through
        store.write_sync(lambda s: s.conn.execute("PRAGMA max_page_count = 1073741823"))
        store.write_sync(lambda s: s.edits.update(Entity.DEAL, 1, {"summary": "ok"}))
        assert len(reader.outbox.entries()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_database_gives_a_clear_error(db_path: Path) -> None:
    with Store.open(db_path):
        pass
    db_path.chmod(0o444)
    db_path.parent.chmod(0o555)
    try:
        with pytest.raises(StoreReadOnlyError), Store.open(db_path) as store:
            store.write_sync(lambda s: s.edits.create(Entity.DEAL, {"name": "x"}))
    finally:
        db_path.parent.chmod(0o755)
        db_path.chmod(0o644)


def test_read_only_file_even_for_root(db_path: Path) -> None:
    with Store.open(db_path) as store:

        def readonly(s):
            s.conn.execute("PRAGMA query_only = 1")
            s.edits.create(Entity.DEAL, {"name": "x"})

        with pytest.raises(StoreReadOnlyError, match="cannot be written"):
            store.write_sync(readonly)


LOCKED_CHILD = r"""
import sqlite3, sys
from crmdesk.domain.entities import Entity
from crmdesk.store import Store, StoreLockedError
with Store.open(sys.argv[1]) as store:
    other = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
    other.execute("BEGIN EXCLUSIVE")

    def quick(s):
        s.conn.execute("PRAGMA busy_timeout = 50")
        s.edits.create(Entity.DEAL, {"name": "x"})

    try:
        store.write_sync(quick)
    except StoreLockedError as error:
        print("locked:", error)
    other.execute("ROLLBACK")
    other.close()
    store.write_sync(lambda s: s.edits.create(Entity.DEAL, {"name": "after"}))
    print("entries:", len(store.read().outbox.entries()))
"""


def test_a_locked_database_gives_a_clear_error(db_path: Path) -> None:
    # In a child process: in this suite a lock wait here was followed by a segfault in
    # QCoreApplication::notifyInternal2 (a Qt timer left by an earlier qasync test fired
    # on a dead receiver); the store's behaviour is the same either way.
    with Store.open(db_path):
        pass
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    result = subprocess.run(
        [sys.executable, "-c", LOCKED_CHILD, str(db_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "locked: The local database" in result.stdout
    assert "is locked by another program" in result.stdout
    assert "entries: 1" in result.stdout
