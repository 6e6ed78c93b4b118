"""JSON shapes of the reference -> typed records; tolerance for missing, extra and odd keys;
wrong shapes -> RecordShapeError (a ProtocolError); envelopes and error bodies."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from crmdesk.api import parsing
from crmdesk.api.errors import ProtocolError
from crmdesk.api.parsing import RecordParser, RecordShapeError, envelope, field_errors, unwrap
from crmdesk.api.parsing.values import custom_value, timestamp
from crmdesk.api.resources.calendar import destroyed_ids
from crmdesk.domain.errors import FieldError
from crmdesk.domain.records import CustomFieldLabel

EDT = timezone(timedelta(hours=-4))

DEAL = {
    "id": 55383602,
    "name": "Big order",
    "summary": None,
    "user_id": 843757,
    "user": {"id": 843757, "first_name": "Ann", "last_name": "Lee"},
    "created_at": "2026/08/05 09:01:14 -0400",
    "updated_at": "2026/08/06 10:00:00 +0530",
    "updated_by_user": {"id": 9, "first_name": "B", "last_name": "C"},
    "source": {"id": 4, "name": "Referral"},
    "person_ids": [1, 2],
    "company": {"id": 77, "name": "Acme", "is_customer": False},
    "company_id": 77,
    "deal_pipeline": {"id": 3, "name": "Sales", "default": True},
    "deal_stage_id": 2599196,
    "status": 2,
    "probability": 10,
    "value": "5000.0",
    "value_in_cents": 500000,
    "currency": {"code": "KES", "symbol": "KSh", "name": "Kenyan Shilling"},
    "expected_close_date": "2026/09/30",
    "closed_time": None,
    "is_archived": False,
    "tag_ids": [],
    "shared_user_ids": [5],
    "next_entry_id": 12,
    "next_entry_name": "Call back",
    "next_entry_due": "2026/08/07",
    "custom_fields": {
        "custom_label_1": "1234.50",
        "custom_label_2": "2026/08/05",
        "custom_label_3": 17,
        "custom_label_4": [3, 4],
        "custom_label_5": True,
        "custom_label_6": "free text",
        "custom_label_7": None,
    },
    "some_future_key": {"nested": [1, 2, 3]},
}

TYPES = {
    "custom_label_1": "currency",
    "custom_label_2": "date",
    "custom_label_3": "dropdown",
    "custom_label_4": "multi_select",
    "custom_label_5": "boolean",
    "custom_label_6": "text",
    "custom_label_7": "numeric",
}


def test_deal_from_a_recorded_shape():
    deal = RecordParser(TYPES).deal(DEAL)
    assert deal.id == 55383602
    assert deal.name == "Big order"
    assert deal.value == Decimal("5000.0")
    assert deal.currency is not None
    assert deal.currency.code == "KES"
    assert deal.created_at == datetime(2026, 8, 5, 9, 1, 14, tzinfo=EDT)
    assert deal.updated_at is not None
    assert deal.updated_at.utcoffset() == timedelta(hours=5, minutes=30)
    assert deal.source_id == 4
    assert deal.deal_pipeline_id == 3
    assert deal.deal_stage_id == 2599196
    assert deal.company_id == 77
    assert deal.company_name == "Acme"
    assert deal.person_ids == (1, 2)
    assert deal.shared_user_ids == (5,)
    assert deal.expected_close_date == date(2026, 9, 30)
    assert deal.next_entry_due == date(2026, 8, 7)
    assert deal.updated_by_user_id == 9
    assert deal.custom_fields == {
        "custom_label_1": Decimal("1234.50"),
        "custom_label_2": date(2026, 8, 5),
        "custom_label_3": 17,
        "custom_label_4": (3, 4),
        "custom_label_5": True,
        "custom_label_6": "free text",
        "custom_label_7": None,
    }
    assert deal.raw is DEAL  # the store keeps the server's JSON as it came


def test_parser_learns_types_from_labels():
    parser = RecordParser()
    untyped = parser.deal(DEAL)
    assert untyped.custom_fields["custom_label_1"] == "1234.50"  # kept as sent
    parser.use_labels([CustomFieldLabel(id=1, entity="deal", name="Fee", field_type="currency")])
    assert parser.deal(DEAL).custom_fields["custom_label_1"] == Decimal("1234.50")


def test_missing_keys_take_defaults_and_odd_values_become_none():
    deal = RecordParser().deal(
        {
            "id": "42",
            "value": "lots",
            "created_at": "yesterday",
            "probability": True,
            "person_ids": [1, "2", None, "x"],
            "custom_fields": "not a mapping",
        }
    )
    assert deal.id == 42
    assert deal.name == ""
    assert deal.value is None
    assert deal.created_at is None
    assert deal.probability is None
    assert deal.person_ids == (1, 2)
    assert deal.custom_fields == {}


def test_2013_deal_uses_value_in_cents():
    deal = RecordParser().deal({"id": 1, "name": "old", "value_in_cents": 123456})
    assert deal.value == Decimal("1234.56")


@pytest.mark.parametrize("bad", [None, [], "deal", 7, {"name": "no id"}, {"id": None}, {"id": "x"}])
def test_wrong_shapes_raise_a_protocol_error(bad):
    with pytest.raises(RecordShapeError) as info:
        RecordParser().deal(bad)
    assert isinstance(info.value, ProtocolError)


def test_person_company_note_comment():
    parser = RecordParser()
    person = parser.person(
        {
            "id": 1,
            "first_name": "Ann",
            "last_name": "Lee",
            "company": {"id": 5, "name": "Acme"},
            "lead_status": {"id": 8, "name": "Hot", "hex_color": "f00"},
            "predefined_contacts_tag_ids": [3],
            "deal_ids": [10],
            "type": "Lead",
        }
    )
    assert (person.full_name, person.company_id, person.company_name) == ("Ann Lee", 5, "Acme")
    assert (person.lead_status_id, person.tag_ids, person.deal_ids, person.type) == (
        8,
        (3,),
        (10,),
        "Lead",
    )
    company = parser.company(
        {
            "id": 5,
            "name": "Acme",
            "owner": {"id": 3},
            "total_pipeline": 0,
            "won_deals_total": "93200.0",
        }
    )
    assert company.owner_id == 3
    assert company.total_pipeline == Decimal(0)
    assert company.won_deals_total == Decimal("93200.0")
    note = parser.note(
        {
            "id": 9,
            "content": "hi",
            "deal": {"id": 4, "name": "d"},
            "is_sent_message": None,
            "note_category": {"id": 2, "name": "Call"},
            "notify_user_ids": [1],
        }
    )
    assert (note.deal_id, note.note_category_id, note.is_sent_message, note.notify_user_ids) == (
        4,
        2,
        None,
        (1,),
    )
    comment = parser.comment({"id": 3, "note_id": 9, "comment": "ok", "user": {"id": 1}})
    assert (comment.note_id, comment.user_id, comment.comment) == (9, 1, "ok")


def test_calendar_entries_task_and_event():
    parser = RecordParser()
    task = parser.calendar_entry(
        {
            "id": 1,
            "type": "CalendarTask",
            "name": "t",
            "start_time": "2026/08/07",
            "due_date": None,
            "active": None,
            "base_entry_id": 7,
            "part_of_recurring_series": True,
        }
    )
    assert task.is_task
    assert task.start_time is None
    assert task.due_date == date(2026, 8, 7)
    assert task.active is True
    assert task.base_entry_id == 7
    assert task.part_of_recurring_series
    event = parser.calendar_entry(
        {
            "id": 2,
            "type": "CalendarEvent",
            "name": "e",
            "start_time": "2026/08/07 09:00:00 -0400",
            "end_time": "2026/08/07 10:00:00 -0400",
            "rrule": "FREQ=WEEKLY",
            "exdate": "",
        }
    )
    assert event.start_time == datetime(2026, 8, 7, 9, tzinfo=EDT)
    assert event.rrule == "FREQ=WEEKLY"
    assert event.exdate is None


def test_document_states():
    parser = RecordParser()
    assert parser.document({"id": 1, "title": "a", "upload_status": 2}).upload_state == "complete"
    failed = parser.document(
        {
            "id": 2,
            "title": "b",
            "upload_state": "error",
            "upload_status_error_message": "404",
            "size_in_k": 12.95,
        }
    )
    assert (failed.upload_state, failed.upload_error, failed.size_in_k) == ("error", "404", 12.95)


def test_users_profile_account_lookups_labels_searches():
    user = RecordParser().user(
        {
            "id": 1,
            "full_name": "Ann Lee",
            "deleted_at": "2026/01/01 00:00:00 +0000",
            "time_zone": "America/New_York",
            "level": 3,
            "is_account_admin": True,
            "api_key": "never-logged",
        }
    )
    assert (user.first_name, user.last_name, user.active, user.time_zone) == (
        "Ann",
        "Lee",
        False,
        "America/New_York",
    )
    profile = parsing.profile({"id": 1, "account_id": 9, "first_name": "A", "date_format": "us"})
    assert profile.account_id == 9
    assert profile.user.first_name == "A"
    account = parsing.account(
        {
            "id": 9,
            "company_name": "Acme",
            "deal_stages": [
                {"id": 1, "name": "Won", "percent": 100, "deal_pipeline_id": 3},
                {"name": "broken"},
            ],
            "lead_sources": {"entries": [{"id": 2, "name": "Web"}]},
            "deal_custom_field_labels": [{"id": 11, "name": "Fee", "field_type": "currency"}],
            "users": [{"id": 1, "first_name": "A"}],
            "currencies": [{"id": 1, "name": "USD"}],
            "calendar_entry_recurring_end_date_months": 12,
        }
    )
    stage = account.lookups["deal_stages"][0]
    assert (stage.kind, stage.percent, stage.parent_id) == ("deal_stages", 100, 3)
    assert len(account.lookups["deal_stages"]) == 1  # the broken row is skipped
    assert account.lookups["lead_sources"][0].name == "Web"
    assert account.custom_field_labels[0].entity == "deal"
    assert account.users[0].id == 1
    assert account.currencies[0].name == "USD"
    assert account.recurring_end_date_months == 12
    label = parsing.custom_field_label(
        {
            "id": 4,
            "type": "PersonCustomFieldLabel",
            "field_type": "dropdown",
            "custom_field_label_dropdown_entries": [
                {"id": 40, "name": "A", "custom_field_label_id": 4}
            ],
        }
    )
    assert label.entity == "person"
    assert label.dropdown_entries[0].parent_id == 4
    search = parsing.saved_search(
        {
            "id": 5,
            "name": "Mine",
            "search_type": "companies",
            "query": {"company_owner": [1]},
            "columns": ["name", 3],
            "sort": "-companies.updated_at",
        }
    )
    assert search.query == {"company_owner": [1]}
    assert search.columns == ("name",)


def test_envelope_shapes():
    page = envelope(
        {
            "entries": [1, 2],
            "pagination": {"page": 2, "pages": 3, "per_page": 2, "total": 6, "page_var": "page"},
        }
    )
    assert (page.page, page.pages, page.total, page.paginated) == (2, 3, 6, True)
    lines = envelope({"entries": [{"id": 1}]})  # /admin/product_lines: no pagination
    assert (lines.pages, lines.total, lines.paginated) == (1, 1, False)
    hooks = envelope({"webhooks": [{"id": 1}]})
    assert hooks.entries == [{"id": 1}]
    assert envelope({"entries": [], "pagination": {"total": 401, "per_page": 200}}).pages == 3
    assert envelope({"entries": [], "totals": {"deal_value": 5}, "pagination": {}}).totals == {
        "deal_value": 5
    }
    for bad in ("<html>", None, {"entries": "x"}, {"a": [1], "b": [2]}):
        with pytest.raises(RecordShapeError):
            envelope(bad)


def test_unwrap():
    assert unwrap({"deal": {"id": 1}}, "deal") == {"id": 1}
    assert unwrap({"id": 1, "deal": {"id": 2}}, "deal") == {"id": 1, "deal": {"id": 2}}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            [{"humanized_field": "Name", "field": "name", "msg": "can't be blank"}],
            [FieldError("name", "Name can't be blank")],
        ),
        (
            [{"humanized_field": "Base", "field": "base", "msg": "Bad login"}],
            [FieldError("base", "Bad login")],
        ),
        (
            {"errors": {"value": ["is not a number", "is too big"]}},
            [FieldError("value", "Value is not a number"), FieldError("value", "Value is too big")],
        ),
        ({"errors": ["Name is required"]}, [FieldError("base", "Name is required")]),
        ({"error": "Unknown api_key"}, [FieldError("base", "Unknown api_key")]),
        (
            {"errors": [{"field": "start_time", "msg": "is required"}]},
            [FieldError("start_time", "Start time is required")],
        ),
        ("<html>oops</html>", [FieldError("base", "<html>oops</html>")]),
        (None, []),
    ],
)
def test_field_errors_from_every_known_body(body, expected):
    assert field_errors(body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (None, (5,)),
        ([], (5,)),
        ([7, 5, 6], (7, 5, 6)),
        ([7, 6], (5, 7, 6)),
        ({"success": True}, (5,)),
        ([{"id": 8}, "9", True], (5, 8, 9)),
    ],
)
def test_destroyed_ids_for_every_reply_form(body, expected):
    assert destroyed_ids(body, 5) == expected


def test_timestamp_forms_and_custom_value_fallbacks():
    assert timestamp("2026-08-05T13:01:14.530Z") == datetime(
        2026, 8, 5, 13, 1, 14, 530000, tzinfo=UTC
    )
    assert timestamp("2026/02/30 09:00:00 -0400") is None
    assert timestamp(12345) is None
    assert custom_value("23.0", "numeric") == Decimal("23.0")
    assert custom_value(5, "multi_select") == ()
    assert custom_value({"x": 1}, None) is None
    assert custom_value([1, 2], "mystery") == (1, 2)


def test_a_page_of_deals_survives_json_roundtrip():
    body = json.loads(
        json.dumps(
            {
                "entries": [DEAL] * 3,
                "pagination": {"page": 1, "pages": 1, "per_page": 200, "total": 3},
            }
        )
    )
    env = envelope(body)
    deals = [RecordParser(TYPES).deal(raw) for raw in env.entries]
    assert [d.id for d in deals] == [DEAL["id"]] * 3
