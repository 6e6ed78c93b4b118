"""The browse service over a real store: counts, sorting, search, filters, cancellation,
saved views, record details and CSV export."""

from __future__ import annotations

import asyncio
import csv
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path

import pytest

from crmdesk.domain.entities import Entity
from crmdesk.domain.sync_status import RecordSync
from crmdesk.services.browse import BrowseService, to_store_query
from crmdesk.services.export import ExportError
from crmdesk.services.table_types import Filter, Sort, ViewOrigin, ViewSpec
from crmdesk.services.view_library import ViewLibrary
from crmdesk.store import Filter as StoreFilter
from crmdesk.store import Store
from tests.account_data import open_filled

D, P, C = Entity.DEAL, Entity.PERSON, Entity.COMPANY


@pytest.fixture
def store(tmp_path: Path):
    opened = open_filled(tmp_path / "store.db")
    yield opened
    opened.close()


@pytest.fixture
def browse(store: Store, tmp_path: Path):
    service = BrowseService(store, tmp_path / "views.json")
    yield service
    service.close()


def _all(browse: BrowseService, aloop, spec: ViewSpec):
    source = aloop.run(browse.open(spec))
    return source, browse.rows(source, 0, source.count)


def _column(browse: BrowseService, entity: Entity, key: str) -> int:
    return [c.key for c in browse.columns(entity)].index(key)


def test_the_service_filter_has_exactly_the_store_filter_fields():
    assert [f.name for f in fields(Filter)] == [f.name for f in fields(StoreFilter)]


def test_counts_and_formatted_rows(browse, aloop):
    source, rows = _all(browse, aloop, ViewSpec(D, sort=Sort("value")))
    assert source.count == 60
    assert source.ordered  # small sets are ordered at once
    first = rows[0]
    assert first is not None
    value, stage, close = (_column(browse, D, k) for k in ("value", "stage", "close_date"))
    assert first.text[value] == "$100.00"
    assert first.text[stage] == "Qualified (10%)"
    assert first.text[close] == "02/15/2026"  # the profile's "us" date format
    assert dict(first.swatches)[_column(browse, D, "status")] == "#f0ad4e"  # Yellow


@pytest.mark.parametrize("entity", [D, P, C])
def test_every_sortable_column_sorts_both_ways_without_losing_rows(browse, aloop, entity):
    for key in sorted(browse.sortable(entity)):
        ids = {}
        for descending in (False, True):
            source, rows = _all(browse, aloop, ViewSpec(entity, sort=Sort(key, descending)))
            ids[descending] = [r.id for r in rows if r is not None]
            assert len(ids[descending]) == source.count
        # ties break by id in the sort's direction, so descending is the exact reverse
        assert ids[True] == ids[False][::-1], key


def test_sort_by_value_is_numeric_not_textual(browse, aloop):
    _, rows = _all(browse, aloop, ViewSpec(D, sort=Sort("value", descending=True)))
    assert [r.id for r in rows[:3] if r] == [60, 59, 58]


def test_an_unsortable_key_is_refused(browse, aloop):
    with pytest.raises(ValueError, match="cannot be sorted"):
        aloop.run(browse.open(ViewSpec(P, sort=Sort("phone"))))


def test_search_text_matches_word_prefixes(browse, aloop):
    source, rows = _all(browse, aloop, ViewSpec(P, Filter(text="ann smi")))
    names = {r.text[_column(browse, P, "name")] for r in rows if r}
    assert names == {"Ann Smith"}
    assert source.count == 1
    # people are found by phone digits and email too
    phone = aloop.run(browse.open(ViewSpec(P, Filter(text="0100007"))))
    assert phone.count == 1


def test_filters_narrow_the_rows(browse, aloop):
    def count(entity: Entity, **values) -> int:
        return aloop.run(browse.open(ViewSpec(entity, Filter(**values)))).count

    assert count(D, owner_ids=(1,)) == 20
    assert count(D, stage_ids=(4,)) == 15
    assert count(D, statuses=(1, 2)) == 40
    assert count(D, value_min=1000.0, value_max=2000.0) == 11  # deals 10..20
    assert count(D, close_from=date(2026, 3, 1), close_to=date(2026, 3, 31)) == 5
    assert count(D, owner_ids=(1,), stage_ids=(4,)) == 5
    assert count(P, lead_status_ids=(1,)) == 12
    assert count(P, person_types=("Lead",)) == 8
    assert count(C, is_customer=True) == 3
    modified = datetime.fromisoformat("2026-01-20T00:00:00+00:00")
    assert count(C, modified_from=modified) == 0
    assert count(C, modified_to=modified) == 6


def test_a_cancelled_query_stops_and_the_service_keeps_working(browse, aloop):
    async def scenario() -> int:
        task = asyncio.ensure_future(browse.open(ViewSpec(D, Filter(text="acme"))))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return (await browse.open(ViewSpec(D))).count

    assert aloop.run(scenario()) == 60


def test_large_sets_are_ordered_later_and_then_give_positions(tmp_path, aloop, monkeypatch):
    import crmdesk.services.browse as module

    monkeypatch.setattr(module, "EAGER_ORDER_LIMIT", 10)
    store = open_filled(tmp_path / "big.db", deals=50)
    browse = BrowseService(store, tmp_path / "views.json")
    try:
        source = aloop.run(browse.open(ViewSpec(D, sort=Sort("value", descending=True))))
        assert not source.ordered
        assert browse.position(source, 50) is None
        by_offset = browse.rows(source, 10, 5)
        ordered = aloop.run(browse.order(source))
        assert ordered.ordered
        assert ordered.count == 50
        assert browse.rows(ordered, 10, 5) == by_offset
        assert browse.position(ordered, 50) == 0
        assert browse.ids(ordered, 0, 3) == [50, 49, 48]
    finally:
        browse.close()
        store.close()


def test_local_edits_show_their_sync_marker(browse, store, aloop):
    store.write_sync(lambda s: s.edits.update(D, 7, {"name": "Edited here"}))
    _, rows = _all(browse, aloop, ViewSpec(D, Filter(text="edited")))
    assert [(r.id, r.sync) for r in rows if r] == [(7, RecordSync.PENDING)]
    pending = aloop.run(browse.open(ViewSpec(D, Filter(sync=(RecordSync.PENDING,)))))
    assert pending.count == 1


# ------------------------------------------------------------------ saved views


def test_account_saved_searches_become_views(browse, aloop):
    deals = browse.saved_views(D)
    assert [(v.name, v.origin) for v in deals] == [("Won deals", ViewOrigin.ACCOUNT)]
    view = deals[0]
    assert view.spec.filter.stage_ids == (4,)
    assert view.spec.sort == Sort("value", descending=True)
    assert view.spec.columns == ("sync", "name", "value")
    assert aloop.run(browse.open(view.spec)).count == 15
    people = browse.saved_views(P)
    assert people[0].unmapped == ("mystery_condition",)


def test_local_views_are_saved_replaced_and_deleted(browse, tmp_path):
    spec = ViewSpec(
        D, Filter(owner_ids=(2,), close_from=date(2026, 1, 1)), Sort("owner"), ("name",)
    )
    saved = browse.save_view("Bob's deals", spec)
    again = browse.save_view("Bob's deals", ViewSpec(D, Filter(owner_ids=(3,))))
    assert again.id == saved.id
    reopened = ViewLibrary(tmp_path / "views.json")
    assert [(v.name, v.spec.filter.owner_ids) for v in reopened.views(D)] == [("Bob's deals", (3,))]
    assert reopened.views(P) == []
    assert browse.delete_view(saved.id)
    assert ViewLibrary(tmp_path / "views.json").views(D) == []


def test_a_view_spec_survives_the_json_round_trip(tmp_path):
    library = ViewLibrary(tmp_path / "v.json")
    spec = ViewSpec(
        D,
        Filter(
            text="acme",
            stage_ids=(1, 2),
            value_min=10.5,
            close_to=date(2026, 5, 1),
            modified_from=datetime.fromisoformat("2026-01-02T03:04:05+01:00"),
            sync=(RecordSync.CONFLICT,),
        ),
        Sort("close_date", True),
        ("sync", "name", "value"),
    )
    library.save("All of it", spec)
    assert ViewLibrary(tmp_path / "v.json").views(D)[0].spec == spec


def test_a_damaged_views_file_is_set_aside_not_fatal(tmp_path):
    path = tmp_path / "views.json"
    path.write_text("{not json", encoding="utf-8")
    assert ViewLibrary(path).views(D) == []
    assert (tmp_path / "views.damaged.json").read_text(encoding="utf-8") == "{not json"


# ------------------------------------------------------------------ details


def test_a_deal_detail_groups_custom_fields_and_links_related_records(browse, aloop):
    detail = aloop.run(browse.detail(D, 5))
    assert detail is not None
    assert detail.title == "Acme Upgrade 5"
    sections = {s.title: {f.label: f.text for f in s.fields} for s in detail.sections}
    assert sections["Contract"] == {"Payment terms": "Net 60", "Region": "South"}
    assert sections["Overview"]["Owner"] == "Cleo Closer"
    assert sections["Overview"]["Stage"] == "Qualified"
    assert sections["Overview"]["Value"] == "$500.00"
    assert "People" not in sections["Overview"]  # listed as related records instead
    related = {g.title: [r.title for r in g.records] for g in detail.related}
    assert related == {"Company": ["Acme Corp 6"], "People": ["Gus Smith"]}


def test_a_company_detail_lists_its_deals_and_people(browse, aloop):
    detail = aloop.run(browse.detail(C, 2))
    assert detail is not None
    groups = {g.title: g for g in detail.related}
    assert len(groups["Deals"].records) == 10
    assert len(groups["People"].records) == 4
    assert {s.title for s in detail.sections} >= {"Overview", "Profile"}
    assert ("Customer", "#3f9c48") in detail.badges


def test_a_missing_record_has_no_detail(browse, aloop):
    assert aloop.run(browse.detail(D, 99_999)) is None


# ------------------------------------------------------------------ export


def test_export_writes_the_view_in_the_given_column_order(browse, aloop, tmp_path):
    target = tmp_path / "won.csv"
    spec = ViewSpec(D, Filter(stage_ids=(4,)), Sort("value", descending=True))
    result = aloop.run(browse.export_csv(spec, ["sync", "value", "name", "updated_at"], target))
    assert result.rows == 15
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, for spreadsheet programs
    rows = list(csv.reader(target.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["Value", "Deal", "Modified"]
    assert rows[1][:2] == ["5900.0", "Wayne Rollout 59"]
    assert rows[1][2] == "01/04/2026 11:00 AM"
    assert len(rows) == 16
    assert list(tmp_path.glob("*.part")) == []


def test_an_export_that_cannot_be_written_says_so_and_leaves_nothing(browse, aloop, tmp_path):
    with pytest.raises(ExportError, match="Cannot write to"):
        aloop.run(browse.export_csv(ViewSpec(D), ["name"], tmp_path / "missing" / "x.csv"))
    with pytest.raises(ExportError, match="Unknown column"):
        aloop.run(browse.export_csv(ViewSpec(D), ["name", "nope"], tmp_path / "x.csv"))
    assert list(tmp_path.glob("*.csv*")) == []


def test_to_store_query_keeps_every_value(tmp_path):
    spec = ViewSpec(D, Filter(text="x", owner_ids=(1,), value_max=5.0), Sort("stage", True))
    query = to_store_query(spec)
    assert query.filter.owner_ids == (1,)
    assert query.filter.value_max == 5.0
    assert query.sort == type(query.sort)("stage", True)


def test_short_moments_show_the_time_today_and_the_date_otherwise():
    from datetime import UTC, timedelta
    from zoneinfo import ZoneInfo

    from crmdesk.services.formatting import DisplayFormats

    zone = ZoneInfo("America/New_York")
    formats = DisplayFormats(date_pattern="%m/%d/%Y", time_pattern="%H:%M", zone=zone)
    now = datetime.now(zone)
    noon_today = now.replace(hour=12, minute=30, second=0, microsecond=0)
    assert formats.moment_short(noon_today.timestamp()) == "12:30"
    earlier = noon_today - timedelta(days=3)
    assert formats.moment_short(earlier.timestamp()) == earlier.strftime("%m/%d/%Y")
    # a second call answers from the cache the same way
    assert formats.moment_short(earlier.timestamp()) == earlier.strftime("%m/%d/%Y")
    later = noon_today + timedelta(days=2)
    assert formats.moment_short(later.timestamp()) == later.strftime("%m/%d/%Y")
    assert formats.moment_short(None) == ""
    assert formats.moment(datetime(2026, 1, 5, 15, 0, tzinfo=UTC).timestamp()) == "01/05/2026 10:00"
