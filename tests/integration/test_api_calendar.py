"""Calendar entries against the sandbox: tasks and events, recurring series, the three
ways to delete (one entry, this occurrence only, this and following)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from crmdesk.api import NotFoundError, PipelineClient
from crmdesk.api.resources.calendar import occurrence_time
from crmdesk.domain.records import CalendarEntry


def client_for(sb: Any) -> PipelineClient:
    return PipelineClient(sb.base_url, sb.admin_key, rate_limit=None)


async def series(client: PipelineClient, base_id: int) -> list[CalendarEntry]:
    """The base and its occurrences, in time order."""
    occurrences = await client.calendar_entries.list(conditions={"recurrences_of": base_id}).all()
    base = await client.calendar_entries.get(base_id)
    entries = {e.id: e for e in [base, *occurrences]}
    return sorted(entries.values(), key=occurrence_time)  # type: ignore[arg-type]


def test_tasks_and_events_crud(sandbox, aloop):
    async def scenario() -> None:
        async with client_for(sandbox) as client:
            deal = (await client.deals.list().first_page()).entries[0]
            task = await client.calendar_entries.create(
                {
                    "type": "CalendarTask",
                    "name": "Call back",
                    "due_date": "2026-12-01",
                    "association_type": "Deal",
                    "association_id": deal.id,
                }
            )
            assert task.is_task
            assert task.due_date == date(2026, 12, 1)
            assert task.start_time is None  # tasks echo their date there, not a time
            event = await client.calendar_entries.create(
                {
                    "type": "CalendarEvent",
                    "name": "Demo",
                    "start_time": "2026-12-02 15:00:00",
                    "end_time": "2026-12-02 16:00:00",
                }
            )
            assert not event.is_task
            assert event.start_time is not None
            assert event.end_time - event.start_time == timedelta(hours=1)
            tasks = await client.calendar_entries.list(conditions={"kind": "task"}).all()
            assert task.id in [t.id for t in tasks]
            assert event.id not in [t.id for t in tasks]
            on_deal = await client.calendar_entries.list(deal_id=deal.id).all()
            assert task.id in [e.id for e in on_deal]
            done = await client.calendar_entries.update(task.id, {"complete": True})
            assert done.complete
            assert await client.calendar_entries.delete(event.id) == (event.id,)  # a 204
            with pytest.raises(NotFoundError):
                await client.calendar_entries.get(event.id)
            assert event.id in await client.calendar_entries.deleted.since("2000-01-01").all()

    aloop.run(scenario())


def test_this_occurrence_only_then_this_and_following_then_all(sandbox, aloop):
    async def scenario() -> None:
        async with client_for(sandbox) as client:
            base = await client.calendar_entries.create(
                {
                    "type": "CalendarEvent",
                    "name": "Stand-up",
                    "start_time": "2027-01-04 09:00:00",
                    "end_time": "2027-01-04 09:15:00",
                    "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=8",
                }
            )
            entries = await series(client, base.id)
            assert len(entries) == 8
            assert entries[0].id == base.id
            assert all(e.base_entry_id == base.id for e in entries[1:])

            third = entries[2]
            change = await client.calendar_entries.delete_occurrence(third)
            assert change.base is not None
            assert change.base.exdate
            after_one = await series(client, base.id)
            assert third.id not in [e.id for e in after_one]
            assert [e.id for e in after_one] == [e.id for e in entries if e.id != third.id]

            sixth = entries[5]
            change = await client.calendar_entries.delete_following(sixth)
            assert change.base is not None
            assert "UNTIL=" in (change.base.rrule or "")
            after_following = await series(client, base.id)
            assert [e.id for e in after_following] == [
                e.id for e in entries[:5] if e.id != third.id
            ]

            destroyed = await client.calendar_entries.delete(after_following[1].id)
            assert set(destroyed) == {e.id for e in after_following}
            for entry in after_following:
                with pytest.raises(NotFoundError):
                    await client.calendar_entries.get(entry.id)

    aloop.run(scenario())


def test_task_series_uses_dates_and_following_from_the_start_deletes_all(sandbox, aloop):
    async def scenario() -> None:
        async with client_for(sandbox) as client:
            base = await client.calendar_entries.create(
                {
                    "type": "CalendarTask",
                    "name": "Report",
                    "due_date": "2027-02-01",
                    "rrule": "FREQ=MONTHLY;BYMONTHDAY=1;COUNT=4",
                }
            )
            entries = await series(client, base.id)
            assert [e.due_date for e in entries] == [
                date(2027, 2, 1),
                date(2027, 3, 1),
                date(2027, 4, 1),
                date(2027, 5, 1),
            ]
            change = await client.calendar_entries.delete_occurrence(entries[1])
            assert change.base is not None
            assert "20270301" in (change.base.exdate or "")
            remaining = await series(client, base.id)
            assert [e.due_date for e in remaining] == [
                date(2027, 2, 1),
                date(2027, 4, 1),
                date(2027, 5, 1),
            ]
            gone = await client.calendar_entries.delete_following(remaining[0])
            assert gone.base is None
            assert set(gone.deleted_ids) == {e.id for e in remaining}

    aloop.run(scenario())


def test_seeded_series_with_a_floating_exdate(sandbox, aloop):
    async def scenario() -> None:
        async with client_for(sandbox) as client:
            bases = await client.calendar_entries.list(conditions={"base_entries": True}).all()
            weekly = next(b for b in bases if b.rrule and b.exdate and not b.is_task)
            before = await series(client, weekly.id)
            victim = before[1]
            change = await client.calendar_entries.delete_occurrence(victim)
            assert change.base is not None
            assert change.base.exdate is not None
            assert change.base.exdate.startswith(weekly.exdate)
            after = await series(client, weekly.id)
            assert [e.id for e in after] == [e.id for e in before if e.id != victim.id]

    aloop.run(scenario())


def test_an_entry_outside_a_series_is_just_deleted(sandbox, aloop):
    async def scenario() -> None:
        async with client_for(sandbox) as client:
            task = await client.calendar_entries.create(
                {"type": "CalendarTask", "name": "Once", "due_date": "2027-03-03"}
            )
            change = await client.calendar_entries.delete_occurrence(task)
            assert change.base is None
            assert change.deleted_ids == (task.id,)

    aloop.run(scenario())
