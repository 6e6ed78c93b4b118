"""Wire formats of the domain: timestamps, dates, money, field input and normalisation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import FieldValueError, UnknownFieldError
from crmdesk.domain.fields import (
    FieldSet,
    FieldType,
    check_record,
    custom_field_spec,
    normalize,
    parse_input,
    same_value,
)
from crmdesk.domain.money import decimal_to_wire, parse_decimal
from crmdesk.domain.timefmt import format_timestamp, parse_date, parse_timestamp

EDT = timezone(timedelta(hours=-4))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026/08/05 09:01:14 -0400", datetime(2026, 8, 5, 9, 1, 14, tzinfo=EDT)),
        ("2026-08-05 13:01:14 +0000", datetime(2026, 8, 5, 13, 1, 14, tzinfo=UTC)),
        ("2023-05-25T16:55:27.530Z", datetime(2023, 5, 25, 16, 55, 27, 530000, tzinfo=UTC)),
        ("2026-08-05 13:01:14", datetime(2026, 8, 5, 13, 1, 14, tzinfo=UTC)),
        ("2012/02/07 15:26:10 -05:00", datetime(2012, 2, 7, 20, 26, 10, tzinfo=UTC)),
    ],
)
def test_timestamps_in_every_api_form_parse_to_the_same_instant(text, expected):
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2026/13/40 10:00:00 -0400", "5"])
def test_bad_timestamps_raise_value_error(text):
    with pytest.raises(ValueError, match=r"timestamp|month|day"):
        parse_timestamp(text)


def test_timestamp_round_trips_through_the_api_format():
    moment = datetime(2026, 11, 28, 17, 5, 0, tzinfo=UTC)
    text = format_timestamp(moment, EDT)
    assert text == "2026/11/28 13:05:00 -0400"
    assert parse_timestamp(text) == moment


def test_dates_accept_both_separators_and_ignore_a_time_part():
    assert parse_date("2026/08/05") == parse_date("2026-08-05") == date(2026, 8, 5)
    assert parse_date("2026/08/05 00:00:00 -0400") == date(2026, 8, 5)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5000.0", Decimal("5000.0")), (0, Decimal(0)), ("93200.0", Decimal("93200")), (None, None)],
)
def test_money_parses_decimal_strings_and_integers(value, expected):
    assert parse_decimal(value) == expected


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-inf", "12abc", True, [1]])
def test_money_rejects_what_is_not_a_finite_number(value):
    with pytest.raises(ValueError, match="number"):
        parse_decimal(value)


def test_decimal_to_wire_has_no_exponent_and_no_trailing_zeros():
    assert decimal_to_wire(Decimal("5000.00")) == "5000"
    assert decimal_to_wire(Decimal("1E+3")) == "1000"
    assert decimal_to_wire(Decimal("12.50")) == "12.5"
    assert decimal_to_wire(Decimal("-0.0")) == "0"


DEALS = FieldSet(
    Entity.DEAL,
    (
        custom_field_spec(7, "Renewal", "date"),
        custom_field_spec(8, "Region", "dropdown"),
        custom_field_spec(9, "Products", "multi_select"),
        custom_field_spec(10, "Mystery", "formula"),
    ),
)


def test_server_and_client_spellings_of_a_value_compare_equal():
    assert same_value(DEALS.spec("value"), "5000.0", "5000")
    assert same_value(DEALS.spec("value"), 5000, "5000.00")
    assert same_value(DEALS.spec("expected_close_date"), "2026/08/05", "2026-08-05")
    assert same_value(DEALS.spec("summary"), "", None)
    assert same_value(DEALS.spec("person_ids"), [3, 1], [1, 3])
    assert same_value(DEALS.spec("custom_label_7"), "2026/01/02", "2026-01-02")
    assert not same_value(DEALS.spec("value"), "5000", "5000.01")


def test_normalize_keeps_unparseable_server_values_instead_of_raising():
    assert normalize(DEALS.spec("value"), "n/a") == "n/a"
    assert normalize(DEALS.spec("expected_close_date"), "soon") == "soon"


def test_parse_input_gives_wire_values():
    assert parse_input(DEALS.spec("value"), " 1,250.50 ") == "1250.5"
    assert parse_input(DEALS.spec("probability"), "40%") == 40
    assert parse_input(DEALS.spec("expected_close_date"), "2026/03/31") == "2026-03-31"
    assert parse_input(DEALS.spec("closed_time"), "2026-03-31 14:30") == "2026-03-31 14:30:00 +0000"
    assert parse_input(DEALS.spec("is_archived"), "yes") is True
    assert parse_input(DEALS.spec("person_ids"), "4, 5") == [4, 5]
    assert parse_input(DEALS.spec("summary"), "") is None
    assert parse_input(DEALS.spec("person_ids"), "") == []


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("value", "lots", "must be an amount"),
        ("probability", "140", "between 0 and 100"),
        ("expected_close_date", "31/03/2026", "must be a date"),
        ("name", "  ", "is required"),
        ("custom_label_10", "x", "cannot be edited"),
    ],
)
def test_parse_input_rejects_bad_values_with_a_message_naming_the_field(field, text, message):
    with pytest.raises(FieldValueError, match=message) as info:
        parse_input(DEALS.spec(field), text)
    assert info.value.field == field


def test_choices_match_case_insensitively_and_reject_others():
    people = FieldSet(Entity.PERSON)
    assert parse_input(people.spec("type"), "lead") == "Lead"
    with pytest.raises(FieldValueError, match="Contact, Lead"):
        parse_input(people.spec("type"), "prospect")


def test_unknown_fields_are_named_with_suggestions():
    with pytest.raises(UnknownFieldError, match="did you mean") as info:
        DEALS.spec("stage")
    assert "deal_stage_id" in str(info.value)
    assert DEALS.find("expected close").name == "expected_close_date"


def test_custom_field_types_map_to_field_types():
    assert DEALS.spec("custom_label_8").type is FieldType.REF
    assert DEALS.spec("custom_label_9").type is FieldType.REF_LIST
    assert DEALS.spec("custom_label_10").editable is False


def test_record_rules_catch_missing_names_and_event_times():
    assert [e.field for e in check_record(Entity.DEAL, {"name": " "}, DEALS)] == ["name"]
    people = FieldSet(Entity.PERSON)
    assert [e.field for e in check_record(Entity.PERSON, {"email": "a@b"}, people)] == ["last_name"]
    entries = FieldSet(Entity.CALENDAR_ENTRY)
    errors = check_record(Entity.CALENDAR_ENTRY, {"type": "CalendarEvent", "name": "x"}, entries)
    assert {e.field for e in errors} == {"start_time", "end_time"}


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2))
def test_any_decimal_survives_the_wire_round_trip(amount):
    assert parse_decimal(decimal_to_wire(amount)) == amount
