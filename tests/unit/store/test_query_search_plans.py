"""Searches with many matches walk the sort index instead of sorting every match; both
plans must give the same rows in the same order, and the text-only count must equal the
general count."""

from __future__ import annotations

from pathlib import Path

import pytest

import crmdesk.store.query as query_module
from crmdesk.domain.entities import Entity
from crmdesk.store import Filter, Sort, Store, TableQuery
from tests.account_data import open_filled


@pytest.fixture
def filled(tmp_path: Path):
    store = open_filled(tmp_path / "s.db", deals=400, people=60, companies=12)
    yield store
    store.close()


@pytest.mark.parametrize("text", ["a", "acme", "acme ren", "glob 3", "zzz"])
@pytest.mark.parametrize("key", ["updated_at", "value", "name", "company"])
def test_scan_and_lookup_plans_agree(filled: Store, monkeypatch, text: str, key: str):
    tables = filled.read().tables
    for descending in (False, True):
        query = TableQuery(Entity.DEAL, Filter(text=text), Sort(key, descending))
        monkeypatch.setattr(query_module, "SCAN_ABOVE", 10**9)
        looked_up = tables.open(query)
        monkeypatch.setattr(query_module, "SCAN_ABOVE", 0)
        scanned = tables.open(query)
        assert scanned.count == looked_up.count
        assert scanned.scan == (scanned.count > 0)
        assert not looked_up.scan
        for offset in (0, 7, max(0, looked_up.count - 5)):
            assert tables.window(scanned, offset, 20) == tables.window(looked_up, offset, 20)
        full = tables.load_ids(tables.open(query))
        assert list(full.ids or []) == [row[0] for row in tables.window(looked_up, 0, 10_000)]


def test_the_text_only_count_equals_the_general_count(filled: Store):
    tables = filled.read().tables
    for text in ("a", "acme", "initech pilot", "0100007", "nothing-like-this"):
        for entity in (Entity.DEAL, Entity.PERSON, Entity.COMPANY):
            query = TableQuery(entity, Filter(text=text))
            general = tables.count(TableQuery(entity, Filter(text=text, owner_ids=(1, 2, 3))))
            assert tables.count(query) >= general
            source = f"FROM {entity.collection} AS t WHERE " + query_module._where(query)[0]
            expected = (
                filled.read()
                .conn.execute(f"SELECT count(*) {source}", query_module._where(query)[1])
                .fetchone()[0]
            )
            assert tables.count(query) == expected
