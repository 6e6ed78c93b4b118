"""Calendar entries over HTTP: tasks, events, next entries, recurring series and deletes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest


@pytest.fixture
def api(sandbox: Any) -> Any:
    with httpx.Client(base_url=sandbox.base_url, params={"api_key": sandbox.admin_key}) as client:
        yield client


def entry(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = api.post("/calendar_entries", json={"calendar_entry": fields})
    assert response.status_code == 200, response.text
    return response.json()


def series_ids(api: httpx.Client, base_id: int) -> list[int]:
    found = api.get(
        "/calendar_entries",
        params={"conditions[recurrences_of]": base_id, "sort": "calendar_entries.start_time"},
    ).json()
    return [e["id"] for e in found["entries"]]


def a_deal(api: httpx.Client) -> dict[str, Any]:
    return next(d for d in api.get("/deals").json()["entries"] if d["company_id"])


def test_task_shape_defaults_and_company_from_the_deal(api: httpx.Client) -> None:
    deal = a_deal(api)
    task = entry(
        api,
        type="CalendarTask",
        name="Send quote",
        due_date="2030-01-15",
        association_type="Deal",
        association_id=deal["id"],
    )
    assert task["start_time"] == task["due_date"] == "2030/01/15"
    assert task["end_time"] is None
    assert task["all_day"] is True
    assert task["active"] is True
    assert task["complete"] is False
    assert task["calendar_entry_status"]["status_type"] == "todo"
    assert task["company_id"] == deal["company_id"]
    assert task["association"] == {"id": deal["id"], "name": deal["name"]}
    assert task["part_of_recurring_series"] is False
    assert task["base_entry_id"] is None


def test_events_need_start_and_end(api: httpx.Client) -> None:
    missing = api.post(
        "/calendar_entries", json={"calendar_entry": {"type": "CalendarEvent", "name": "Demo"}}
    )
    assert missing.status_code == 422
    assert {p["field"] for p in missing.json()} == {"start_time", "end_time"}
    backwards = api.post(
        "/calendar_entries",
        json={
            "calendar_entry": {
                "type": "CalendarEvent",
                "name": "Demo",
                "start_time": "2030-01-01 10:00:00",
                "end_time": "2030-01-01 09:00:00",
            }
        },
    )
    assert backwards.status_code == 422
    no_type = api.post("/calendar_entries", json={"calendar_entry": {"name": "x"}})
    assert any(p["field"] == "type" for p in no_type.json())
    event = entry(
        api,
        type="CalendarEvent",
        name="Demo",
        start_time="2030-01-01 10:00:00",
        end_time="2030-01-01 11:00:00",
    )
    assert event["start_time"].startswith("2030/01/01 10:00:00")
    assert event["all_day"] is False


def test_next_entry_follows_the_calendar(api: httpx.Client) -> None:
    deal = api.post("/deals", json={"deal": {"name": "Next entry deal"}}).json()
    assert deal["next_entry_id"] is None
    later = entry(
        api,
        type="CalendarTask",
        name="Later",
        due_date="2031-05-01",
        association_type="Deal",
        association_id=deal["id"],
    )
    sooner = entry(
        api,
        type="CalendarTask",
        name="Sooner",
        due_date="2031-02-01",
        association_type="Deal",
        association_id=deal["id"],
    )
    shown = api.get(f"/deals/{deal['id']}").json()
    assert (shown["next_entry_id"], shown["next_entry_name"]) == (sooner["id"], "Sooner")
    assert shown["next_entry_due"] == "2031/02/01"
    assert shown["next_entry_all_day"] is True
    assert shown["updated_at"] > deal["updated_at"]
    api.put(f"/calendar_entries/{sooner['id']}", json={"calendar_entry": {"complete": True}})
    assert api.get(f"/deals/{deal['id']}").json()["next_entry_id"] == later["id"]
    assert api.delete(f"/calendar_entries/{later['id']}").status_code == 204
    assert api.get(f"/deals/{deal['id']}").json()["next_entry_id"] is None
    notes = api.get(f"/deals/{deal['id']}/notes").json()["entries"]
    assert any('completed task titled "Sooner"' in n["content"] for n in notes)


def test_recurring_series_is_materialised(api: httpx.Client) -> None:
    base = entry(
        api,
        type="CalendarEvent",
        name="Stand-up",
        start_time="2030-03-04 09:00:00",
        end_time="2030-03-04 09:15:00",
        rrule="FREQ=WEEKLY;COUNT=4",
    )
    assert base["part_of_recurring_series"] is True
    assert base["rrule"] == "FREQ=WEEKLY;COUNT=4"
    ids = series_ids(api, base["id"])
    assert len(ids) == 3
    occurrences = [api.get(f"/calendar_entries/{i}").json() for i in ids]
    assert [o["start_time"][:16] for o in occurrences] == [
        "2030/03/11 09:00",
        "2030/03/18 09:00",
        "2030/03/25 09:00",
    ]
    assert all(
        o["base_entry_id"] == base["id"] and o["part_of_recurring_series"] for o in occurrences
    )
    bases = api.get("/calendar_entries", params={"conditions[base_entries]": "true"}).json()
    assert base["id"] in {e["id"] for e in bases["entries"]}
    singles = api.get("/calendar_entries", params={"conditions[non_recurring]": "true"}).json()
    assert not {base["id"], *ids} & {e["id"] for e in singles["entries"]}


def test_deleting_any_entry_of_a_series_destroys_it_and_lists_ids(api: httpx.Client) -> None:
    base = entry(
        api, type="CalendarTask", name="Report", due_date="2030-01-01", rrule="FREQ=MONTHLY;COUNT=3"
    )
    ids = series_ids(api, base["id"])
    response = api.delete(f"/calendar_entries/{ids[1]}")
    assert response.status_code == 200
    assert response.json() == [*sorted(ids), base["id"]]
    for gone in (*ids, base["id"]):
        assert api.get(f"/calendar_entries/{gone}").status_code == 404
    tombstones = api.get("/calendar_entries/deleted").json()["entries"]
    assert {*ids, base["id"]} <= set(tombstones)


def test_deleting_the_base_also_answers_the_array(api: httpx.Client) -> None:
    base = entry(
        api, type="CalendarTask", name="Weekly", due_date="2030-01-01", rrule="FREQ=WEEKLY;COUNT=2"
    )
    ids = series_ids(api, base["id"])
    assert api.delete(f"/calendar_entries/{base['id']}").json() == [*ids, base["id"]]


def test_this_occurrence_only_via_exdate(api: httpx.Client) -> None:
    base = entry(
        api,
        type="CalendarEvent",
        name="Review",
        start_time="2030-06-03 14:00:00",
        end_time="2030-06-03 15:00:00",
        rrule="FREQ=WEEKLY;COUNT=5",
    )
    ids = series_ids(api, base["id"])
    api.put(f"/calendar_entries/{ids[0]}", json={"calendar_entry": {"complete": True}})
    changed = api.put(
        f"/calendar_entries/{base['id']}", json={"calendar_entry": {"exdate": "20300617T140000"}}
    )
    assert changed.status_code == 200
    after = series_ids(api, base["id"])
    assert after == [ids[0], ids[2], ids[3]]
    assert api.get(f"/calendar_entries/{ids[0]}").json()["complete"] is True
    assert ids[1] in api.get("/calendar_entries/deleted").json()["entries"]


def test_this_and_following_via_until(api: httpx.Client) -> None:
    base = entry(
        api,
        type="CalendarTask",
        name="Daily check",
        due_date="2030-02-01",
        rrule="FREQ=DAILY;COUNT=10",
    )
    ids = series_ids(api, base["id"])
    api.put(
        f"/calendar_entries/{base['id']}",
        json={"calendar_entry": {"rrule": "FREQ=DAILY;UNTIL=20300204"}},
    )
    assert series_ids(api, base["id"]) == ids[:3]


def test_base_edits_reach_occurrences_and_occurrences_refuse_rules(api: httpx.Client) -> None:
    base = entry(
        api,
        type="CalendarTask",
        name="Old name",
        due_date="2030-01-06",
        rrule="FREQ=WEEKLY;COUNT=3",
    )
    ids = series_ids(api, base["id"])
    api.put(f"/calendar_entries/{base['id']}", json={"calendar_entry": {"name": "New name"}})
    assert {api.get(f"/calendar_entries/{i}").json()["name"] for i in ids} == {"New name"}
    refused = api.put(
        f"/calendar_entries/{ids[0]}", json={"calendar_entry": {"rrule": "FREQ=DAILY"}}
    )
    assert refused.status_code == 422
    alone = api.put(f"/calendar_entries/{base['id']}", json={"calendar_entry": {"rrule": ""}})
    assert alone.json()["part_of_recurring_series"] is False
    assert series_ids(api, base["id"]) == []


def test_series_without_end_stops_at_the_horizon(api: httpx.Client) -> None:
    start = date.today() + timedelta(days=2)
    base = entry(
        api, type="CalendarTask", name="Forever", due_date=start.isoformat(), rrule="FREQ=MONTHLY"
    )
    assert 11 <= len(series_ids(api, base["id"])) <= 12


def test_wall_clock_time_is_kept_across_daylight_saving(api: httpx.Client) -> None:
    # The admin lives in America/New_York; DST ends on 2030-11-03.
    base = entry(
        api,
        type="CalendarEvent",
        name="Across DST",
        start_time="2030-10-28 09:00:00",
        end_time="2030-10-28 10:00:00",
        rrule="FREQ=WEEKLY;COUNT=2",
    )
    after = api.get(f"/calendar_entries/{series_ids(api, base['id'])[0]}").json()
    assert base["start_time"] == "2030/10/28 09:00:00 -0400"
    assert after["start_time"] == "2030/11/04 09:00:00 -0500"


def test_exrule_removing_everything_leaves_only_the_base(api: httpx.Client) -> None:
    base = entry(
        api,
        type="CalendarTask",
        name="Never again",
        due_date="2030-01-01",
        rrule="FREQ=DAILY",
        exrule="FREQ=DAILY",
    )
    assert series_ids(api, base["id"]) == []
    assert base["part_of_recurring_series"] is True


@pytest.mark.parametrize("rule", ["FREQ=SOMETIMES", "FREQ=MINUTELY", "not a rule"])
def test_bad_or_huge_rules_are_422(api: httpx.Client, rule: str) -> None:
    response = api.post(
        "/calendar_entries",
        json={
            "calendar_entry": {
                "type": "CalendarTask",
                "name": "x",
                "due_date": "2030-01-01",
                "rrule": rule,
            }
        },
    )
    assert response.status_code == 422
    assert response.json()[0]["field"] == "rrule"


def test_conditions_and_association_filters(api: httpx.Client) -> None:
    deal = a_deal(api)
    today = date.today()
    overdue = entry(
        api,
        type="CalendarTask",
        name="Overdue zebra",
        due_date=(today - timedelta(days=3)).isoformat(),
        association_type="Deal",
        association_id=deal["id"],
    )
    someday = entry(api, type="CalendarTask", name="Someday zebra")
    inactive = entry(
        api, type="CalendarTask", name="Hidden zebra", due_date="2030-01-01", active=False
    )

    def ids(**conditions: str) -> set[int]:
        params = {f"conditions[{k}]": v for k, v in conditions.items()}
        params["conditions[named]"] = "zebra"
        return {e["id"] for e in api.get("/calendar_entries", params=params).json()["entries"]}

    assert ids() == {overdue["id"], someday["id"]}
    assert ids(include_inactive="true") == {overdue["id"], someday["id"], inactive["id"]}
    assert ids(late="true") == {overdue["id"]}
    assert ids(someday="true") == {someday["id"]}
    assert ids(kind="event") == set()
    assert ids(incomplete="true") == {overdue["id"], someday["id"]}
    by_deal = api.get("/calendar_entries", params={"deal_id": deal["id"]}).json()["entries"]
    assert overdue["id"] in {e["id"] for e in by_deal}
    sub = api.get(f"/deals/{deal['id']}/calendar_entries").json()["entries"]
    assert {e["id"] for e in sub} == {e["id"] for e in by_deal}
    by_company = api.get("/calendar_entries", params={"company_id": deal["company_id"]}).json()
    assert overdue["id"] in {e["id"] for e in by_company["entries"]}
    tasks = api.get("/calendar_tasks").json()["entries"]
    assert tasks
    assert all(e["type"] == "CalendarTask" for e in tasks)
