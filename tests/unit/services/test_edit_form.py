"""The edit form service over a real store: sections, editor texts that parse back to the
same values, choices, searches, and the server's field errors of a refused change."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import FieldError
from crmdesk.domain.fields import Ref, parse_input, same_value
from crmdesk.domain.outbox import OpState
from crmdesk.domain.records import LookupItem
from crmdesk.services import edit_form
from crmdesk.services.edit_form import EditFormService, Option, currency_of
from crmdesk.services.edits import EditService
from crmdesk.services.events import EventBus
from crmdesk.store import Store
from tests.account_data import open_filled

D, P, C = Entity.DEAL, Entity.PERSON, Entity.COMPANY


@pytest.fixture
def store(tmp_path: Path):
    opened = open_filled(tmp_path / "store.db")
    yield opened
    opened.close()


@pytest.fixture
def forms(store: Store) -> EditFormService:
    return EditFormService(store)


def test_a_deal_form_has_the_detail_panes_sections_and_parseable_texts(forms):
    form = forms.form(D, 7)
    assert form is not None
    assert form.title == "Initech Rollout 7"
    assert [s.title for s in form.sections] == ["Overview", "Contract", "Custom fields"]
    assert [f.name for f in form.sections[1].fields] == ["custom_label_11", "custom_label_12"]
    assert form.currency.symbol == "$"
    assert form.currency.decimals == 2
    texts = {f.name: f.text for f in form.fields}
    assert texts["value"] == "700.00"
    assert texts["expected_close_date"] == "2026-08-15"
    assert texts["deal_stage_id"] == "4"
    assert texts["custom_label_12"] == "502"
    assert texts["is_archived"] == "no"
    # every starting text reads back as the stored value: an untouched field is unchanged
    # (an unset yes/no field starts as "no", and the editor only sends what was changed)
    for found in form.fields:
        if found.value is not None:
            assert same_value(found.spec, parse_input(found.spec, found.text), found.value), (
                found.name
            )


def test_choices_come_from_lookups_users_and_small_tables(forms):
    form = forms.form(D, 7)
    stage = form.field("deal_stage_id")
    assert [o.label for o in stage.options] == [
        "Lost (0%)",
        "Qualified (10%)",
        "Proposal (50%)",
        "Won (100%)",
    ]
    assert [o.label for o in form.field("user_id").options][:3] == [
        "Ann Admin",
        "Bob Basic",
        "Cleo Closer",
    ]
    assert [o.value for o in form.field("custom_label_12").options] == [501, 502]
    assert {o.label for o in form.field("status").options} == {"Red", "Yellow", "Green"}
    # six companies: listed; people are few too in this account
    assert len(form.field("company_id").options) == 6
    person_form = forms.form(P, 3)
    assert [o.value for o in person_form.field("type").options] == ["Contact", "Lead"]
    assert "deal_ids" not in {f.name for f in person_form.fields}


def test_large_tables_are_searched_not_listed(forms, monkeypatch):
    monkeypatch.setattr(edit_form, "LIST_LIMIT", 5)
    form = forms.form(D, 7)
    company = form.field("company_id")
    assert company.options is None
    assert company.search is Ref.COMPANY
    assert company.selected == (Option(2, "Globex"),)
    people = form.field("person_ids")
    assert people.search is Ref.PERSON
    assert [o.value for o in people.selected] == [8]
    found = forms.search(Ref.COMPANY, "glo")
    assert [o.label for o in found] == ["Globex"]
    assert forms.search(Ref.PERSON, "100%") == []  # LIKE wildcards are plain text
    smiths = forms.search(Ref.PERSON, "smith", limit=2)
    assert len(smiths) == 2
    assert all("Smith" in o.label for o in smiths)


def test_stages_follow_the_chosen_pipeline(store, forms):
    def write(s):
        s.lookups.replace(
            "deal_stages",
            [
                LookupItem("deal_stages", 1, "Lead", percent=5, parent_id=10),
                LookupItem("deal_stages", 2, "Won", percent=100, parent_id=10),
                LookupItem("deal_stages", 3, "Trial", percent=30, parent_id=20),
            ],
        )

    store.write_sync(write)
    assert [o.value for o in forms.stages(10)] == [1, 2]
    assert [o.value for o in forms.stages(20)] == [3]
    assert [o.value for o in forms.stages(None)] == [1, 3, 2]


def test_a_new_record_form_is_empty(forms):
    form = forms.form(C)
    assert form.record_id is None
    assert form.title == "New company"
    assert form.field("name").text == ""
    assert form.field("name").spec.required
    assert forms.form(C, 999) is None


def test_the_servers_field_errors_of_a_refused_change_sit_on_their_fields(store, forms, aloop):
    edits = EditService(store, EventBus())
    op_id = aloop.run(edits.update(D, 7, {"deal_stage_id": 3, "value": "1"}))

    def refuse(s):
        s.outbox.park(
            op_id,
            OpState.NEEDS_ATTENTION,
            "The server refused the change",
            [
                FieldError("deal_stage", "is invalid"),
                FieldError("base", "Deal is locked"),
                FieldError("mystery", "odd"),
            ],
        )

    store.write_sync(refuse)
    form = forms.form(D, 7)
    assert form.field("deal_stage_id").error == "is invalid"
    assert form.field("deal_stage_id").text == "3"  # my refused value stays in the editor
    assert form.field("value").error == ""
    assert form.errors == ("Deal is locked", "mystery: odd")
    assert form.refused_op == op_id


def test_a_local_id_whose_create_was_confirmed_opens_the_servers_record(store, forms, aloop):
    edits = EditService(store, EventBus())
    local = aloop.run(edits.create(C, {"name": "Newco"}))
    assert local < 0
    form = forms.form(C, local)
    assert form.title == "Newco"
    assert form.record_id == local


def test_currency_places_and_symbols():
    assert currency_of("jpy").decimals == 0
    assert currency_of("JPY").symbol == "¥"
    assert currency_of("KES").symbol == "KES"
    assert currency_of(None).symbol == ""
