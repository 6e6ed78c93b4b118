"""Table queries: filters, sorts through indexes, windows, search, selections, export."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, date, datetime

import pytest

from crmdesk.domain.entities import Entity
from crmdesk.domain.records import LookupItem, SavedSearch
from crmdesk.domain.sync_status import RecordSync
from crmdesk.store import (
    SORT_COLUMNS,
    Filter,
    Selection,
    Sort,
    Store,
    TableQuery,
    fts_query,
    query_from_saved_search,
)
from tests.unit.store.conftest import company, deal, person

D = Entity.DEAL

HOSTILE = [
    '"',
    '""',
    '"ann',
    "ann*",
    "*",
    "NEAR(ann smith)",
    "ann OR smith",
    "OR",
    "AND",
    "NOT ann",
    "ann -smith",
    "(",
    ")",
    "ann)",
    "{name}: x",
    "name:ann",
    "^ann",
    "a'b",
    "\\",
    "\x00",
    "  ",
    "ann + smith",
    "😀",
    "ann;DROP TABLE deals",
    'NEAR("a" "b", 2)',
    "ann AND (",
    "*ann*",
]


@pytest.fixture
def filled(store: Store) -> Store:
    def fill(s):
        s.records.upsert_server(Entity.COMPANY, [company(1, "Acme Corp"), company(2, "Globex")])
        s.records.upsert_server(
            D,
            [
                deal(
                    i,
                    f"{'Alpha' if i % 2 else 'beta'} deal {i}",
                    value=f"{i * 10}.0",
                    company_id=1 + i % 2,
                    company={"id": 1 + i % 2, "name": "stale"},
                    updated_at=f"2026/01/{i:02d} 10:00:00 -0000",
                )
                for i in range(1, 21)
            ],
        )
        s.records.upsert_server(
            Entity.PERSON,
            [
                person(1, "Ann", "Smith", lead_status_id=5, company_id=1),
                person(2, "Bob", "Müller", lead_source_id=9),
            ],
        )

    store.write_sync(fill)
    return store


def q(**kw) -> TableQuery:
    sort = kw.pop("sort", Sort())
    return TableQuery(D, Filter(**kw), sort)


def test_every_sort_uses_an_index(filled: Store) -> None:
    conn = filled.read().conn
    for entity, columns in SORT_COLUMNS.items():
        for key in columns:
            for desc in (False, True):
                query = TableQuery(entity, Filter(), Sort(key, desc))
                tables = filled.read().tables
                source, args = tables._from(query)
                from crmdesk.store.query import _order

                plan = " ".join(
                    str(r[3])
                    for r in conn.execute(
                        f"EXPLAIN QUERY PLAN SELECT t.id {source} ORDER BY {_order(query)}", args
                    )
                )
                assert "TEMP B-TREE" not in plan, (entity, key, plan)


def test_sorts_and_windows(filled: Store) -> None:
    tables = filled.read().tables
    rowset = tables.open(q(sort=Sort("value", descending=True)))
    assert rowset.count == 20
    window = tables.window(rowset, 0, 3)
    assert [r[0] for r in window] == [20, 19, 18]  # type: ignore[index]
    names = tables.columns(D)
    row = dict(zip(names, window[0], strict=True))  # type: ignore[arg-type]
    assert row["company"] == "Acme Corp"  # derived from the companies table, not the stale copy
    assert row["owner"] == "Ann Admin"
    assert row["stage"] == "Stage 3"
    deep = tables.window(rowset, 18, 10)
    assert [r[0] for r in deep] == [2, 1]  # type: ignore[index]
    tables.load_ids(rowset)
    assert rowset.ids is not None
    assert len(rowset.ids) == 20
    assert tables.window(rowset, 18, 10) == deep
    assert tables.position(rowset, 1) == 19
    by_name = tables.open(q(sort=Sort("name")))
    first = tables.window(by_name, 0, 1)[0]
    assert first[2] == "Alpha deal 1"  # case-insensitive: "Alpha" < "beta" # type: ignore[index]
    with pytest.raises(ValueError, match="cannot be sorted"):
        tables.open(q(sort=Sort("summary")))


def test_filters(filled: Store) -> None:
    tables = filled.read().tables
    assert tables.count(q(owner_ids=(1,))) == 10
    assert tables.count(q(stage_ids=(2,))) == 7
    assert tables.count(q(statuses=(1, 2))) == 13
    assert tables.count(q(value_min=50, value_max=100)) == 6
    assert (
        tables.count(q(close_from=date(2026, 2, 1), close_to=date(2026, 2, 28))) == 3
    )  # ids 1, 10, 19
    assert tables.count(q(modified_from=datetime(2026, 1, 10, tzinfo=UTC))) == 11
    assert tables.count(q(company_ids=(1,))) == 10
    assert tables.count(q(text="alph", owner_ids=(2,))) == 10
    people = filled.read().tables
    assert people.count(TableQuery(Entity.PERSON, Filter(lead_status_ids=(5,)))) == 1
    assert people.count(TableQuery(Entity.PERSON, Filter(lead_source_ids=(9,)))) == 1
    with pytest.raises(ValueError, match="cannot be filtered"):
        tables.count(TableQuery(Entity.COMPANY, Filter(stage_ids=(1,))))
    filled.write_sync(lambda s: s.edits.update(D, 3, {"name": "Changed"}))
    assert tables.count(q(sync=(RecordSync.PENDING,))) == 1
    assert tables.count(q(sync=(RecordSync.SYNCED,))) == 19


def test_search_as_you_type_and_hostile_input(filled: Store) -> None:
    search = filled.read().search
    assert sorted(search.ids(D, "alp de")) == [i for i in range(1, 21) if i % 2]
    assert search.ids(Entity.PERSON, "mull") == [2]  # diacritics folded
    assert search.ids(Entity.PERSON, "ann.smith@exa") == [1]
    assert search.ids(Entity.PERSON, "5551234") == [1, 2]  # phone digits without punctuation
    assert search.ids(Entity.COMPANY, "glob") == [2]
    assert search.ids(D, "acme") != []  # a deal is found by its company name
    tables = filled.read().tables
    for text in HOSTILE:
        assert isinstance(search.ids(D, text), list)
        assert tables.count(q(text=text)) >= 0
        assert isinstance(search.everywhere(text), list)
    assert fts_query("  ") is None
    assert fts_query('"') is None
    assert fts_query('ann" OR *') == '"ann"* "OR"*'


def test_global_search_finds_all_three_kinds(filled: Store) -> None:
    hits = filled.read().search.everywhere("a")
    kinds = {h.entity for h in hits}
    assert kinds == {Entity.DEAL, Entity.PERSON, Entity.COMPANY}
    hits = filled.read().search.everywhere("acme")
    assert hits[0].entity is D or hits[0].title.startswith("Acme")


def test_renames_reach_the_sorted_columns(filled: Store) -> None:
    filled.write_sync(
        lambda s: s.records.upsert_server(
            Entity.COMPANY, [company(1, "Zeta Holdings", updated_at="2026/09/09 10:00:00 -0000")]
        )
    )
    filled.write_sync(
        lambda s: s.lookups.replace(
            "deal_stages", [LookupItem("deal_stages", 1, "Renamed", percent=99)]
        )
    )  # type: ignore[arg-type]
    tables = filled.read().tables
    assert tables.count(q(text="zeta")) == 10
    rowset = tables.open(q(sort=Sort("stage", descending=True)))
    top = dict(zip(tables.columns(D), tables.window(rowset, 0, 1)[0], strict=True))  # type: ignore[arg-type]
    assert top["stage"] == "Renamed"
    assert top["stage_percent"] == 99
    assert filled.read().lookups.names("deal_stages") == {1: "Renamed"}


def test_select_all_is_a_predicate(filled: Store) -> None:
    tables = filled.read().tables
    everything = Selection(q(text="alpha"), all=True, ids=frozenset({1, 3}))
    assert tables.selection_count(everything) == 8
    assert sorted(tables.selection_ids(everything)) == list(range(5, 21, 2))
    some = Selection(q(), ids=frozenset({2, 4}))
    assert tables.selection_count(some) == 2
    assert sorted(tables.selection_ids(some)) == [2, 4]


def test_export_streams_the_current_order_and_columns(filled: Store) -> None:
    rows = list(
        filled.read().tables.export(
            q(value_max=30, sort=Sort("value", True)), ["name", "value", "company"]
        )
    )
    assert rows == [
        ("Alpha deal 3", 30.0, "Globex"),  # company_id 1 + i % 2
        ("beta deal 2", 20.0, "Acme Corp"),
        ("Alpha deal 1", 10.0, "Globex"),
    ]
    with pytest.raises(ValueError, match="unknown column"):
        list(filled.read().tables.export(q(), ["nope"]))


def test_saved_searches_map_to_filters(filled: Store) -> None:
    search = SavedSearch(
        id=3,
        name="Big Ann deals",
        search_type="deals",
        query={
            "deal_owner": [1],
            "deal_value": {"from": "50", "to": "100"},
            "deal_stage": ["2"],
            "person_city": "Leeds",
        },
        sort="-deals.value",
    )
    query, unmapped = query_from_saved_search(search)
    assert query.filter.owner_ids == (1,)
    assert query.filter.stage_ids == (2,)
    assert (query.filter.value_min, query.filter.value_max) == (50.0, 100.0)
    assert query.sort == Sort("value", True)
    assert unmapped == ("person_city",)
    assert list(filled.read().tables.ids(query)) == [10]  # owner 1, stage 2, value 100
    filled.write_sync(lambda s: s.lookups.replace_saved_searches([search]))
    (stored,) = filled.read().lookups.saved_searches("deals")
    assert stored.name == "Big Ann deals"


def test_reads_from_another_thread_while_the_writer_commits(filled: Store, aloop) -> None:
    counts: list[int] = []

    def reader() -> None:
        counts.append(filled.read().tables.count(q()))
        filled.close_reader()

    async def scenario() -> None:
        for i in range(21, 31):
            await filled.write(lambda s, i=i: s.records.upsert_server(D, [deal(i)]), durable=False)
            thread = threading.Thread(target=reader)
            thread.start()
            await asyncio.get_running_loop().run_in_executor(None, thread.join)

    aloop.run(scenario())
    assert counts == list(range(21, 31))
