"""The table model: Qt's model tester, bounded cache, refresh of changed rows, sort requests."""

from __future__ import annotations

import pytest

from crmdesk.domain.entities import Entity
from crmdesk.domain.sync_status import RecordSync
from crmdesk.services.table_types import Filter, Sort, ViewSpec
from crmdesk.ui.table_model import BLOCK, DISPLAY, ID_ROLE, MAX_BLOCKS, RecordTableModel


def _model(qloop, browse, spec: ViewSpec, lazy: bool = True) -> RecordTableModel:
    if lazy:  # raw rows, formatted on first use (what the app does)
        model = RecordTableModel(
            browse.columns(spec.entity),
            browse.window,
            lambda raw: browse.format_row(spec.entity, raw),
        )
    else:
        model = RecordTableModel(browse.columns(spec.entity), browse.rows)
    source = qloop.run(browse.open(spec))
    model.set_source(source, source.count)
    return model


@pytest.mark.parametrize("lazy", [True, False])
def test_deals_model_passes_qt_model_tester(qtmodeltester, qloop, browse, lazy):
    model = _model(qloop, browse, ViewSpec(Entity.DEAL), lazy)
    qtmodeltester.check(model, force_py=False)
    assert model.rowCount() == 60


def test_people_and_companies_models_pass_qt_model_tester(qtmodeltester, qloop, browse):
    for entity in (Entity.PERSON, Entity.COMPANY):
        model = _model(qloop, browse, ViewSpec(entity))
        qtmodeltester.check(model, force_py=False)
        assert model.rowCount() > 0


def test_rows_come_formatted_in_the_asked_order(qloop, browse):
    model = _model(qloop, browse, ViewSpec(Entity.DEAL, sort=Sort("value", descending=True)))
    value = model.column_of("value")
    assert model.data(model.index(0, value), DISPLAY) == "$6,000.00"
    assert model.data(model.index(59, value), DISPLAY) == "$100.00"
    assert model.data(model.index(0, 0), ID_ROLE) == 60


def test_the_block_cache_stays_bounded(qloop, tmp_path):
    from crmdesk.services.browse import BrowseService
    from tests.account_data import open_filled

    store = open_filled(tmp_path / "big.db", deals=BLOCK * (MAX_BLOCKS + 10))
    service = BrowseService(store, tmp_path / "views.json")
    try:
        model = _model(qloop, service, ViewSpec(Entity.DEAL, sort=Sort("name")))
        for row in range(0, model.rowCount(), BLOCK):
            assert model.data(model.index(row, 1), DISPLAY)
        assert model.cached_rows() <= MAX_BLOCKS * BLOCK
        assert model.fetches == MAX_BLOCKS + 10
    finally:
        service.close()
        store.close()


def test_refresh_ids_rereads_only_the_changed_cached_rows(qloop, browse, store):
    model = _model(qloop, browse, ViewSpec(Entity.DEAL, sort=Sort("value")))
    name = model.column_of("name")
    assert model.data(model.index(4, name), DISPLAY) == "Acme Upgrade 5"
    store.write_sync(lambda s: s.edits.update(Entity.DEAL, 5, {"name": "Renamed deal"}))
    changed = []
    model.dataChanged.connect(lambda top, bottom: changed.append((top.row(), bottom.row())))
    assert model.refresh_ids([5, 999]) == 1
    assert changed == [(4, 4)]
    assert model.data(model.index(4, name), DISPLAY) == "Renamed deal"
    assert model.row_at(4).sync is RecordSync.PENDING


def test_a_header_click_asks_for_a_sort_only_on_sortable_columns(qloop, browse):
    model = _model(qloop, browse, ViewSpec(Entity.PERSON, Filter()))
    asked = []
    model.sort_requested.connect(lambda key, desc: asked.append((key, desc)))
    from PySide6.QtCore import Qt

    model.sort(model.column_of("email"), Qt.SortOrder.DescendingOrder)
    model.sort(model.column_of("phone"), Qt.SortOrder.AscendingOrder)  # no index: ignored
    assert asked == [("email", True)]
