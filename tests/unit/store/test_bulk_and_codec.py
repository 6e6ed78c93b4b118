"""Bulk loads (indexes built at the end), record blobs, skipped identical pulls, and the
integrity check of large files (in the background)."""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crmdesk.domain.entities import Entity
from crmdesk.domain.money import parse_decimal
from crmdesk.store import Filter, Sort, Store, StoreCorruptError, TableQuery, bulk
from crmdesk.store import integrity as integrity_module
from crmdesk.store.codec import JsonCodec
from crmdesk.store.columns import DEALS, day_number, epoch
from crmdesk.store.records import _WRITERS
from crmdesk.store.schema import migrate
from tests.unit.store.conftest import deal, later, person

D = Entity.DEAL


def _schema(path: Path) -> set[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
        ).fetchall()
    finally:
        conn.close()
    return {(name, sql) for name, sql in rows}


def _fts_ok(path: Path, table: str) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
    finally:
        conn.close()


def test_bulk_load_drops_sort_and_search_indexes_then_builds_them_again(
    store: Store, db_path: Path
) -> None:
    store.write_sync(lambda s: s.records.upsert_server(D, [deal(1, "Early bird")]))
    before = _schema(db_path)
    assert store.write_sync(lambda s: s.records.begin_bulk(D)) is True
    assert store.write_sync(lambda s: s.records.begin_bulk(D)) is False  # already under way
    during = _schema(db_path)
    dropped = {name for name, _ in before - during}
    assert "deals_by_name" in dropped
    assert "deals_fts_insert" in dropped
    assert "deals_company_id" not in dropped  # foreign keys and filters keep their index
    assert "deals_by_status" not in dropped  # so do sort indexes of columns with few values
    assert store.read().records.in_bulk() == [D]

    pages = [[deal(i, f"Bulk deal {i}") for i in range(p, p + 50)] for p in range(2, 202, 50)]
    for page in pages:
        store.write_sync(lambda s, b=page: s.records.upsert_server(D, b), durable=False)
    # the row a local edit changes and the row a pull renames while the triggers are off
    store.write_sync(lambda s: s.edits.update(D, 1, {"name": "Renamed locally"}))
    store.write_sync(
        lambda s: s.records.upsert_server(
            D, [later(deal(5, "Bulk deal 5"), "2026/02/01 10:00:00 -0000", name="Zebra five")]
        )
    )
    reader = store.read()
    # meanwhile everything still answers, sorted (without an index) and counted
    rowset = reader.tables.open(TableQuery(D, sort=Sort("name")))
    assert rowset.count == 201
    assert reader.tables.window(rowset, 0, 1)[0][2] == "Bulk deal 10"  # type: ignore[index]

    store.end_bulk_sync(D)
    assert _schema(db_path) == before
    assert reader.records.in_bulk() == []
    _fts_ok(db_path, "deals_fts")
    assert sorted(reader.search.ids(D, "bulk deal 17")) == [17, *range(170, 180)]
    assert reader.search.ids(D, "renamed") == [1]
    assert reader.search.ids(D, "early") == []
    assert reader.search.ids(D, "zebra") == [5]
    assert 5 not in reader.search.ids(D, "Bulk deal 5")
    text = reader.tables.open(TableQuery(D, Filter(text="bulk deal 1"), Sort("name")))
    assert text.count == 110  # 10-19, 100-199


def test_end_bulk_builds_one_piece_per_transaction(store: Store, aloop: Any) -> None:
    async def scenario() -> None:
        await store.write(lambda s: s.records.begin_bulk(Entity.PERSON))
        await store.write(
            lambda s: s.records.upsert_server(Entity.PERSON, [person(1, "Ann", "Smith")]),
            durable=False,
        )
        steps: list[bool] = []
        while more := await store.write(lambda s: s.records.bulk_step(Entity.PERSON)):
            steps.append(more)
        # one per sort index (the owner's stays: few values); the search index comes last
        assert len(steps) == 5
        assert store.read().search.ids(Entity.PERSON, "smi") == [1]
        await store.write(lambda s: s.records.begin_bulk(Entity.PERSON))
        await store.end_bulk(Entity.PERSON)
        assert store.read().records.in_bulk() == []

    aloop.run(scenario())


def test_a_bulk_load_cut_short_is_finished_by_the_next_open(db_path: Path) -> None:
    with Store.open(db_path) as store:
        before = _schema(db_path)
        store.write_sync(lambda s: s.records.begin_bulk(D))
        store.write_sync(lambda s: s.records.upsert_server(D, [deal(7, "Orphan load")]))
        store.write_sync(lambda s: s.records.bulk_step(D))  # one index back, then "crash"
    with Store.open(db_path) as store:
        # the open queued the rest on the writer: the next write runs after the first piece
        store.write_sync(lambda s: s.edits.update(D, 7, {"name": "Orphan edited"}))
        store.write_sync(lambda s: None)  # drain: pieces re-queue behind writes
        for _ in range(20):
            if not store.read().records.in_bulk():
                break
            store.write_sync(lambda s: None)
        assert store.read().records.in_bulk() == []
        assert store.read().search.ids(D, "orphan edited") == [7]
    assert _schema(db_path) == before


def test_records_round_trip_through_every_blob_format(store: Store) -> None:
    page = [deal(i, f"Round {i}", custom_fields={"custom_label_7": i}) for i in range(1, 40)]
    odd = {"id": 99, "name": "Odd", "nested": {"deep": [1, None, "ü"]}, "flag": True}
    store.write_sync(lambda s: s.records.upsert_server(D, [*page, odd]))
    reader = store.read()
    got = reader.records.get_many(D, [1, 20, 39, 99])
    assert got[20].server == page[19]
    assert list(got[20].server or {}) == list(page[19])  # key order kept
    assert got[99].server == odd
    # blobs: the shaped form, far smaller than the JSON
    blob = reader.conn.execute("SELECT server FROM deals WHERE id = 20").fetchone()[0]
    assert blob[0] == 0x02
    assert len(blob) < len(json.dumps(page[19])) / 3

    codec = JsonCodec(reader.conn)
    # older forms stay readable: plain JSON and the whole object deflated
    assert codec.decode(json.dumps(odd).encode()) == odd
    packer = zlib.compressobj(3, zlib.DEFLATED, -14)
    whole = bytes((0x01, 0)) + packer.compress(json.dumps(odd).encode()) + packer.flush()
    assert codec.decode(whole) == odd
    with pytest.raises(ValueError, match="format"):
        codec.decode(b"\x09junk")


def test_keys_that_are_not_text_are_stored_as_a_whole_object(store: Store) -> None:
    record: dict[Any, Any] = {"id": 5, "name": "Numbered", 3: "three"}
    store.write_sync(lambda s: s.records.upsert_server(D, [record]))
    reader = store.read()
    blob = reader.conn.execute("SELECT server FROM deals WHERE id = 5").fetchone()[0]
    assert blob[0] == 0x01
    assert reader.records.get(D, 5).server == {"id": 5, "name": "Numbered", "3": "three"}  # type: ignore[union-attr]


def test_a_rolled_back_write_leaves_no_dictionary_or_shape_in_use(store: Store) -> None:
    page = [deal(i, f"Roll {i}", brand_new_key=i) for i in range(1, 30)]

    def fails(s: Any) -> None:
        s.records.upsert_server(D, page)
        raise RuntimeError("abandoned")

    with pytest.raises(RuntimeError):
        store.write_sync(fails)
    store.write_sync(lambda s: s.records.upsert_server(D, page[:3]))
    other = Store.open(store.path)  # a fresh connection decodes what was committed
    try:
        assert other.read().records.get(D, 2).server == page[1]  # type: ignore[union-attr]
    finally:
        other.close()


def test_a_pull_of_an_identical_copy_does_not_rewrite_the_row(store: Store) -> None:
    store.write_sync(lambda s: s.records.upsert_server(D, [deal(1, "Same")]))

    def rows_written(s: Any, record: dict[str, Any]) -> int:
        before = s.conn.total_changes
        s.records.upsert_server(D, [record])
        return int(s.conn.total_changes - before)

    assert store.write_sync(lambda s: rows_written(s, deal(1, "Same"))) == 0
    older = deal(1, "Older", updated_at="2025/01/01 10:00:00 -0000")
    assert store.write_sync(lambda s: rows_written(s, older)) == 0
    # a different copy with the same timestamp still lands
    store.write_sync(lambda s: s.records.upsert_server(D, [deal(1, "Changed")]))
    assert store.read().records.get(D, 1).data["name"] == "Changed"  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["5000.0", "12", " 7.25 ", "1_000", "-0.5", "1e3", "0"])
def test_money_fast_path_matches_the_decimal_path(text: str) -> None:
    decimal = parse_decimal(text)
    assert decimal is not None
    assert DEALS.columns[1].get({"value": text}) == float(decimal)


@pytest.mark.parametrize("text", ["nan", "inf", "-Infinity", "1,5x", "", "abc"])
def test_money_that_is_not_a_finite_number_has_no_column_value(text: str) -> None:
    assert DEALS.columns[1].get({"value": text}) is None


def test_money_with_thousands_separators_and_decimals() -> None:
    assert DEALS.columns[1].get({"value": "1,250.50"}) == 1250.5
    assert DEALS.columns[1].get({"value": Decimal("3.5")}) == 3.5
    assert DEALS.columns[1].get({"value": 4}) == 4.0


def test_timestamps_and_days_parse_the_same_with_the_caches() -> None:
    for _ in range(2):  # the second round answers from the caches
        assert epoch("2026/08/05 09:01:14 -0400") == 1785934874
        assert epoch("2026/08/05 09:01:14 +0200") == 1785913274
        assert epoch("2026/02/30 09:01:14 -0400") is None
        assert day_number("2026/08/05") == 20260805
        assert day_number("2026-8-5") == 20260805
        assert day_number("2026/02/30") is None


def test_row_parameters_match_the_column_specs() -> None:
    record = deal(3, "Spec", company={"id": 9, "name": "Acme"}, company_id=9)
    row = _WRITERS[D].params(3, b"s", None, None, None, record)
    values = DEALS.extract(record)
    assert row[:5] == [3, b"s", None, None, None]
    assert row[5 : 5 + len(values)] == list(values)
    assert row[5 + len(values) :] == [9, "Acme", record["user_id"], "U 2", 1 + 3 % 3, 10]


def _scribble(path: Path) -> None:
    """Overwrite a leaf page of the deals table: opening reads the header and schema only,
    so only a full check (or a query that reads the page) can notice."""
    conn = sqlite3.connect(path)
    try:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        (page,) = conn.execute(
            "SELECT pageno FROM dbstat WHERE name = 'deals' AND pagetype = 'leaf' "
            "ORDER BY pageno LIMIT 1 OFFSET 3"
        ).fetchone()
    finally:
        conn.close()
    with path.open("r+b") as handle:
        handle.seek((page - 1) * size)
        handle.write(os.urandom(size))


def _filled(db_path: Path) -> None:
    with Store.open(db_path) as store:
        page = [deal(i, f"Deal number {i} " + "x" * 200) for i in range(1, 400)]
        store.write_sync(lambda s: s.records.upsert_server(D, page))


def test_a_large_file_is_checked_in_the_background(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _filled(db_path)
    monkeypatch.setattr(integrity_module, "CHECK_DELAY_S", 0.0)
    monkeypatch.setattr("crmdesk.store.store.needs_full_check_now", lambda path: False)
    _scribble(db_path)
    store = Store.open(db_path)  # the cheap check passes: the schema reads
    try:
        with pytest.raises(StoreCorruptError, match="damaged"):
            store.integrity.result(timeout=30)
    finally:
        store.close()


def test_a_sound_large_file_passes_and_is_not_checked_again_soon(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _filled(db_path)
    monkeypatch.setattr("crmdesk.store.integrity.CHECK_DELAY_S", 0.0)
    monkeypatch.setattr("crmdesk.store.store.needs_full_check_now", lambda path: False)
    with Store.open(db_path) as store:
        assert store.integrity.result(timeout=30) is None
        store.write_sync(lambda s: None)  # the check's note reaches the writer
        store.write_sync(lambda s: None)
    with Store.open(db_path) as store:
        assert store.integrity.done()  # checked recently and closed cleanly: no check
        assert store.integrity.result() is None


def test_small_files_are_still_checked_during_open(db_path: Path) -> None:
    _filled(db_path)
    _scribble(db_path)
    with pytest.raises(StoreCorruptError, match="damaged"):
        Store.open(db_path)


def test_upgrade_to_leaner_search_indexes_keeps_search_and_a_bulk_load(db_path: Path) -> None:
    fresh_path = db_path.parent.parent / "fresh" / "store.db"
    Store.open(fresh_path).close()
    # a version-3 store: two deals indexed by the old search index, then a bulk load
    # under way (its triggers dropped) with a third deal stored meanwhile
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path, isolation_level=None)
    migrate(conn, target=3)
    insert = "INSERT INTO deals (id, name, server) VALUES (?, ?, ?)"
    for rid, name in ((1, "Gamma ray"), (2, "Beta test")):
        conn.execute(insert, (rid, name, json.dumps(deal(rid, name)).encode()))
    conn.execute("BEGIN")
    assert bulk.begin(conn, D)
    conn.execute("COMMIT")
    conn.execute(insert, (3, "Delta wave", json.dumps(deal(3, "Delta wave")).encode()))
    conn.close()
    with Store.open(db_path) as store:
        reader = store.read()
        assert reader.search.ids(D, "g") == [1]  # rebuilt from the table by the upgrade
        store.end_bulk_sync(D)
        assert reader.search.ids(D, "del wa") == [3]
        assert reader.records.get(D, 2).data["name"] == "Beta test"  # type: ignore[union-attr]
    assert _schema(db_path) == _schema(fresh_path)
    _fts_ok(db_path, "deals_fts")


def test_checkpoints_are_spaced_out_only_while_a_bulk_load_runs(store: Store) -> None:
    def autocheckpoint(s: Any) -> int:
        return int(s.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])

    assert store.write_sync(autocheckpoint) == 1000
    store.write_sync(lambda s: s.records.begin_bulk(D))
    store.write_sync(lambda s: s.records.begin_bulk(Entity.COMPANY))
    assert store.write_sync(autocheckpoint) == 10_000
    store.end_bulk_sync(D)
    assert store.write_sync(autocheckpoint) == 10_000  # companies still loading
    store.end_bulk_sync(Entity.COMPANY)
    assert store.write_sync(autocheckpoint) == 1000


def test_an_update_sets_only_the_columns_that_change(store: Store, db_path: Path) -> None:
    """SQLite rewrites the index entry of every column an UPDATE sets: a pulled copy or an
    edit that changes one field must not touch the other indexes (measured in WAL frames)."""
    page = [deal(i, f"Deal {i}") for i in range(1, 400)]
    store.write_sync(lambda s: s.records.upsert_server(D, page))
    store.write_sync(lambda s: s.conn.execute("PRAGMA wal_autocheckpoint = 0"))  # WAL only grows
    wal = db_path.with_name(db_path.name + "-wal")

    def frames_after(fn: Any) -> int:
        start = wal.stat().st_size
        store.write_sync(fn, durable=False)
        return (wal.stat().st_size - start) // 4120

    newer = [later(r, "2026/03/01 10:00:00 -0000", summary="changed") for r in page[100:300:10]]
    pulled = frames_after(lambda s: s.records.upsert_server(D, newer))
    renamed = [later(r, "2026/03/02 10:00:00 -0000", name=f"Zed {r['id']}") for r in newer]
    with_name = frames_after(lambda s: s.records.upsert_server(D, renamed))
    assert pulled < with_name  # the name's index and search index only when it changes
    reader = store.read()
    assert reader.records.get(D, 101).data["summary"] == "changed"  # type: ignore[union-attr]
    assert reader.search.ids(D, "zed 101") == [101]
    assert reader.search.ids(D, "deal 101") == []
    rowset = reader.tables.open(TableQuery(D, sort=Sort("updated_at", descending=True)))
    assert reader.tables.window(rowset, 0, 1)[0][0] in {r["id"] for r in renamed}  # type: ignore[index]
    # an edit marks the row and changes its name column, nothing else
    edit = frames_after(lambda s: s.edits.update(D, 5, {"value": "7"}))
    assert edit < pulled
    assert reader.records.get(D, 5).sync == "pending"  # type: ignore[union-attr]
    assert reader.tables.count(TableQuery(D, Filter(value_min=6.5, value_max=7.5))) == 1


def test_search_windows_agree_with_the_full_listing(store: Store) -> None:
    words = ["Alpha", "Beta", "Alder", "Gamma"]
    page = [deal(i, f"{words[i % 4]} {i}", value=f"{(i * 37) % 101}.0") for i in range(1, 401)]
    store.write_sync(lambda s: s.records.upsert_server(D, page))
    tables = store.read().tables
    for text, sort in (("al", Sort("name")), ("a", Sort("value", True)), ("alp 1", Sort("name"))):
        query = TableQuery(D, Filter(text=text), sort)
        rowset = tables.open(query)
        expected = [r[0] for r in tables.window(tables.load_ids(tables.open(query)), 0, 400)]  # type: ignore[index]
        assert rowset.count == len(expected)
        got = [r[0] for r in tables.window(rowset, 0, 5) + tables.window(rowset, 5, 5)]  # type: ignore[index]
        assert got == expected[:10]
    both = tables.open(TableQuery(D, Filter(text="al", value_min=50)))
    assert both.count == sum(
        1 for r in page if r["name"].startswith("Al") and float(r["value"]) >= 50
    )


def test_searches_survive_the_writer_rebuilding_indexes_under_them(store: Store) -> None:
    """The end of a first sync rebuilds the search index and its triggers while the
    window may be searching; a reader must never see "vtable constructor failed"."""
    import threading

    store.write_sync(
        lambda s: s.records.upsert_server(D, [deal(i, f"Gamma {i}") for i in range(1, 300)])
    )
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            store.write_sync(lambda s: s.records.begin_bulk(D), durable=False)
            store.end_bulk_sync(D)

    writer = threading.Thread(target=churn)
    writer.start()
    try:
        reader = store.read()
        found = [len(reader.search.ids(D, "gam", limit=5)) for _ in range(3000)]
    finally:
        stop.set()
        writer.join()
    assert found == [5] * 3000
