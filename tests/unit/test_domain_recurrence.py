"""String edits of RRULE / EXDATE for "this occurrence only" and "this and following"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from crmdesk.domain.recurrence import (
    add_exdate,
    end_series_before,
    exdate_values,
    ical_value,
    rrule_parts,
)

NY = timezone(timedelta(hours=-4))


def test_ical_values():
    assert ical_value(date(2026, 8, 5)) == "20260805"
    assert ical_value(datetime(2026, 8, 5, 9, 0, tzinfo=NY)) == "20260805T130000Z"
    assert ical_value(datetime(2026, 8, 5, 9, 0, tzinfo=NY), "floating") == "20260805T090000"
    with pytest.raises(ValueError, match="aware"):
        ical_value(datetime(2026, 8, 5, 9, 0))


@pytest.mark.parametrize(
    ("before", "when", "after"),
    [
        (None, datetime(2026, 8, 5, 9, tzinfo=NY), "20260805T130000Z"),
        ("", date(2026, 8, 5), "20260805"),
        (
            "20260729T130000Z",
            datetime(2026, 8, 5, 9, tzinfo=NY),
            "20260729T130000Z,20260805T130000Z",
        ),
        (
            "EXDATE:20260729T130000Z",
            datetime(2026, 8, 5, 9, tzinfo=NY),
            "EXDATE:20260729T130000Z,20260805T130000Z",
        ),
        ("EXDATE;VALUE=DATE:20260729", date(2026, 8, 5), "EXDATE;VALUE=DATE:20260729,20260805"),
        # a floating list (the sandbox's own form) gets an unambiguous UTC instant
        ("20260729T090000", datetime(2026, 8, 5, 9, tzinfo=NY), "20260729T090000,20260805T130000Z"),
        ("20260729", date(2026, 8, 5), "20260729,20260805"),
        (
            "EXDATE:20260729T130000Z",
            date(2026, 8, 5),
            "EXDATE:20260729T130000Z\nEXDATE;VALUE=DATE:20260805",
        ),
        (
            "EXDATE;VALUE=DATE:20260729",
            datetime(2026, 8, 5, 9, tzinfo=NY),
            "EXDATE;VALUE=DATE:20260729\nEXDATE:20260805T130000Z",
        ),
    ],
)
def test_add_exdate_keeps_the_layout(before, when, after):
    assert add_exdate(before, when) == after


def test_add_exdate_is_idempotent():
    once = add_exdate("20260729", date(2026, 8, 5))
    assert add_exdate(once, date(2026, 8, 5)) == once
    assert exdate_values("EXDATE:1,2\nEXDATE;VALUE=DATE:3") == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("rule", "when", "after"),
    [
        (
            "FREQ=WEEKLY;BYDAY=MO",
            datetime(2026, 8, 10, 9, tzinfo=NY),
            "FREQ=WEEKLY;BYDAY=MO;UNTIL=20260810T125959Z",
        ),
        ("RRULE:FREQ=DAILY;COUNT=30", date(2026, 8, 10), "RRULE:FREQ=DAILY;UNTIL=20260809"),
        (
            "FREQ=DAILY;UNTIL=20261231",
            datetime(2026, 8, 10, 9, tzinfo=NY),
            "FREQ=DAILY;UNTIL=20260809",
        ),
        (
            "FREQ=DAILY;UNTIL=20261231T090000",
            datetime(2026, 8, 10, 9, tzinfo=NY),
            "FREQ=DAILY;UNTIL=20260810T085959",
        ),
        (
            "DTSTART:20260801T090000Z\nRRULE:FREQ=DAILY",
            datetime(2026, 8, 10, 9, tzinfo=UTC),
            "DTSTART:20260801T090000Z\nRRULE:FREQ=DAILY;UNTIL=20260810T085959Z",
        ),
    ],
)
def test_end_series_before(rule, when, after):
    assert end_series_before(rule, when) == after


def test_end_series_before_rejects_non_rules():
    with pytest.raises(ValueError, match="not a recurrence rule"):
        end_series_before("every monday", date(2026, 8, 10))
    assert rrule_parts("rrule:freq=daily;interval=2") == (
        "rrule:",
        [("FREQ", "daily"), ("INTERVAL", "2")],
    )
