"""Query encoding (Rails nested conditions, modified-since in the user's zone) and the
retry policy's arithmetic."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from crmdesk.api.params import (
    DateRange,
    Range,
    conditions_params,
    format_from_date,
    modified_since,
    user_zone,
)
from crmdesk.api.resources.base import list_params
from crmdesk.api.retry import RetryPolicy, is_idempotent, parse_number, parse_retry_after
from crmdesk.domain.entities import Entity


def test_conditions_render_as_rails_nested_params():
    pairs = conditions_params(
        {
            "deal_name": "Acme",
            "deal_stage": [2, 3],
            "deal_value": Range(500, Decimal("1000.50")),
            "deal_created": DateRange(date(2026, 1, 1), None),
            "deal_modified": {"from_date": "2026-08-05 09:00:00"},
            "including_inactive": True,
            "skipped": None,
        }
    )
    assert pairs == [
        ("conditions[deal_name]", "Acme"),
        ("conditions[deal_stage][]", "2"),
        ("conditions[deal_stage][]", "3"),
        ("conditions[deal_value][from]", "500"),
        ("conditions[deal_value][to]", "1000.5"),
        ("conditions[deal_created][from_date]", "2026-01-01"),
        ("conditions[deal_modified][from_date]", "2026-08-05 09:00:00"),
        ("conditions[including_inactive]", "true"),
    ]


def test_list_params_add_sort_filters_and_extras():
    pairs = list_params(
        {"person_owner": [7]},
        "-people.updated_at",
        {"company_id": 12, "deal_id": None, "attrs": ["id", "name"]},
        {"totals": True},
    )
    assert pairs == [
        ("conditions[person_owner][]", "7"),
        ("sort", "-people.updated_at"),
        ("company_id", "12"),
        ("attrs", "id,name"),
        ("totals", "true"),
    ]


def test_from_date_is_rendered_in_the_users_zone():
    moment = datetime(2026, 8, 5, 13, 1, 14, tzinfo=UTC)
    assert format_from_date(moment, "America/New_York") == "2026-08-05 09:01:14"
    assert format_from_date(moment, "Asia/Kolkata") == "2026-08-05 18:31:14"
    assert format_from_date(moment, None) == "2026-08-05 13:01:14"
    assert format_from_date(moment, "Not/AZone") == "2026-08-05 13:01:14"
    assert user_zone("Europe/Paris").utcoffset(datetime(2026, 1, 1)) is not None
    with pytest.raises(ValueError, match="aware"):
        format_from_date(datetime(2026, 8, 5), "UTC")


def test_modified_since_uses_the_entitys_condition():
    moment = datetime(2026, 8, 5, 13, 0, tzinfo=UTC)
    assert modified_since(Entity.NOTE, moment, "UTC") == {
        "activity_modified": {"from_date": "2026-08-05 13:00:00"}
    }
    bounded = modified_since(Entity.DEAL, moment, "UTC", until=moment)
    assert bounded["deal_modified"]["to_date"] == "2026-08-05 13:00:00"
    with pytest.raises(ValueError, match="no modified condition"):
        modified_since(Entity.USER, moment, "UTC")


def test_backoff_grows_with_jitter_and_is_capped():
    policy = RetryPolicy(base=0.5, cap=8.0, rng=random.Random(3))
    for retry, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (9, 8.0)]:
        samples = [policy.backoff(retry) for _ in range(200)]
        assert min(samples) >= ceiling / 2
        assert max(samples) <= ceiling
        assert max(samples) - min(samples) > ceiling / 10  # jittered, not fixed


def test_idempotent_methods():
    assert is_idempotent("get")
    assert is_idempotent("PUT")
    assert is_idempotent("DELETE")
    assert not is_idempotent("POST")


def test_retry_after_forms():
    now = 1_700_000_000.0
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("1.5", now) == 1.5
    assert parse_retry_after("-3", now) == 0.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:30 GMT", now) == pytest.approx(10.0)
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_number("12") == 12.0
    assert parse_number("x") is None
    assert parse_number("nan") is None
