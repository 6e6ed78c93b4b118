"""Patches and the three-way merge rules of queued changes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crmdesk.domain.changes import ChangeCause, ChangeSet
from crmdesk.domain.entities import Entity
from crmdesk.domain.fields import FieldSet, custom_field_spec
from crmdesk.domain.merge import three_way_merge
from crmdesk.domain.patch import apply_patch, changed_only, coalesce, read_field, wire_body

DEALS = FieldSet(Entity.DEAL, (custom_field_spec(3, "Region", "dropdown"),))

SERVER = {
    "id": 1,
    "name": "Big deal",
    "value": "5000.0",
    "expected_close_date": "2026/08/05",
    "custom_fields": {"custom_label_3": 11},
}


def test_wire_body_wraps_in_the_singular_name_and_nests_custom_fields():
    body = wire_body(Entity.DEAL, {"name": "X", "custom_label_3": 12})
    assert body == {"deal": {"name": "X", "custom_fields": {"custom_label_3": 12}}}


def test_apply_patch_overlays_without_touching_the_original():
    patched = apply_patch(SERVER, {"value": "6000", "custom_label_3": 12})
    assert patched["value"] == "6000"
    assert patched["custom_fields"] == {"custom_label_3": 12}
    assert SERVER["custom_fields"] == {"custom_label_3": 11}
    assert read_field(patched, "custom_label_3") == 12


def test_changed_only_drops_fields_that_already_hold_the_value():
    patch = {"value": "5000", "expected_close_date": "2026-08-05", "name": "Bigger deal"}
    assert changed_only(SERVER, patch, DEALS) == {"name": "Bigger deal"}


def test_coalesce_keeps_the_latest_value_of_each_field():
    assert coalesce({"name": "a", "value": "1"}, {"name": "b"}) == {"name": "b", "value": "1"}


def test_untouched_server_gets_my_change():
    result = three_way_merge({"value": "5000.0"}, {"value": "7000"}, SERVER, DEALS)
    assert result.to_send == {"value": "7000"}
    assert result.clean


def test_disjoint_edits_merge_without_conflict():
    theirs = {**SERVER, "name": "Renamed by Bob"}
    result = three_way_merge({"value": "5000.0"}, {"value": "7000"}, theirs, DEALS)
    assert result.to_send == {"value": "7000"}
    assert result.clean


def test_same_field_changed_on_both_sides_is_a_conflict_and_is_not_sent():
    theirs = {**SERVER, "value": "5500.0"}
    mine = {"value": "7000", "name": "Mine"}
    result = three_way_merge({"value": "5000.0", "name": "Big deal"}, mine, theirs, DEALS)
    assert result.to_send == {"name": "Mine"}
    (conflict,) = result.conflicts
    assert (conflict.field, conflict.base, conflict.mine, conflict.theirs) == (
        "value",
        "5000.0",
        "7000",
        "5500.0",
    )


def test_same_change_on_both_sides_is_already_there():
    theirs = {**SERVER, "custom_fields": {"custom_label_3": 12}}
    result = three_way_merge({"custom_label_3": 11}, {"custom_label_3": 12}, theirs, DEALS)
    assert result.to_send == {}
    assert result.already_there == ("custom_label_3",)
    assert result.clean


values = st.one_of(st.none(), st.sampled_from(["1", "2", "3"]))


@given(base=values, mine=values, theirs=values)
def test_merge_never_overwrites_a_server_change_silently(base, mine, theirs):
    result = three_way_merge({"value": base}, {"value": mine}, {"value": theirs}, DEALS)
    if "value" in result.to_send:
        assert theirs == base  # we only send over a value the server did not change
    if theirs not in (base, mine):
        assert [c.field for c in result.conflicts] == ["value"]
    # every field of mine is accounted for exactly once
    accounted = [*result.to_send, *(c.field for c in result.conflicts), *result.already_there]
    assert accounted == ["value"]


def test_change_sets_say_what_changed():
    changes = ChangeSet.of(Entity.DEAL, [1, 2], ChangeCause.PULL)
    assert changes.touches(Entity.DEAL)
    assert not changes.touches(Entity.PERSON)
    assert changes.ids_of(Entity.DEAL) == frozenset({1, 2})
