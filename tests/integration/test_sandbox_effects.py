"""Effects between records: cascades on delete, links, updated_at, todo templates."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


@pytest.fixture
def api(sandbox: Any) -> Any:
    with httpx.Client(base_url=sandbox.base_url, params={"api_key": sandbox.admin_key}) as client:
        yield client


def test_deleting_a_deal_removes_what_hangs_off_it(api: httpx.Client) -> None:
    deal = api.post("/deals", json={"deal": {"name": "Doomed"}}).json()
    note = api.post("/notes", json={"note": {"content": "about it", "deal_id": deal["id"]}}).json()
    task = api.post(
        "/calendar_entries",
        json={
            "calendar_entry": {
                "type": "CalendarTask",
                "name": "t",
                "association_type": "Deal",
                "association_id": deal["id"],
            }
        },
    ).json()
    api.post(f"/notes/{note['id']}/comments", json={"comment": {"comment": "c"}})
    assert api.delete(f"/deals/{deal['id']}").status_code == 204
    assert api.get(f"/notes/{note['id']}").status_code == 404
    assert api.get(f"/calendar_entries/{task['id']}").status_code == 404
    assert note["id"] in api.get("/notes/deleted").json()["entries"]
    assert task["id"] in api.get("/calendar_entries/deleted").json()["entries"]


def test_deleting_a_person_unlinks_deals_and_moves_their_updated_at(api: httpx.Client) -> None:
    person = api.post("/people", json={"person": {"full_name": "Short Lived"}}).json()
    deal = api.post(
        "/deals", json={"deal": {"name": "Linked", "primary_contact_id": person["id"]}}
    ).json()
    assert deal["person_ids"] == [person["id"]]  # the primary contact is one of the people
    assert api.get(f"/people/{person['id']}").json()["deal_ids"] == [deal["id"]]
    api.delete(f"/people/{person['id']}")
    after = api.get(f"/deals/{deal['id']}").json()
    assert after["person_ids"] == []
    assert after["primary_contact_id"] is None
    assert after["updated_at"] > deal["updated_at"]


def test_deleting_a_company_clears_it_on_people_and_deals(api: httpx.Client) -> None:
    company = api.post("/companies", json={"company": {"name": "Gone Ltd"}}).json()
    person = api.post(
        "/people", json={"person": {"last_name": "Staff", "company_id": company["id"]}}
    ).json()
    assert person["company"] == {"id": company["id"], "name": "Gone Ltd"}
    api.delete(f"/companies/{company['id']}")
    after = api.get(f"/people/{person['id']}").json()
    assert after["company_id"] is None
    assert "company" not in after


def test_person_deal_ids_link_both_ways(api: httpx.Client) -> None:
    deal = api.post("/deals", json={"deal": {"name": "Two sided"}}).json()
    person = api.post(
        "/people", json={"person": {"last_name": "Linker", "deal_ids": [deal["id"]]}}
    ).json()
    assert person["deal_ids"] == [deal["id"]]
    shown = api.get(f"/deals/{deal['id']}").json()
    assert shown["person_ids"] == [person["id"]]
    assert shown["updated_at"] >= deal["updated_at"]
    with_notify = api.get(
        f"/people/{person['id']}/deals", params={"include_notify_user_ids": "true"}
    ).json()["entries"]
    assert "possible_notify_user_ids" in with_notify[0]


def test_unchanged_put_does_not_move_updated_at(api: httpx.Client) -> None:
    deal = api.get("/deals").json()["entries"][0]
    same = api.put(f"/deals/{deal['id']}", json={"deal": {"name": deal["name"]}}).json()
    assert same["updated_at"] == deal["updated_at"]
    changed = api.put(f"/deals/{deal['id']}", json={"deal": {"name": deal["name"] + "!"}}).json()
    again = api.put(f"/deals/{deal['id']}", json={"deal": {"name": deal["name"]}}).json()
    assert deal["updated_at"] < changed["updated_at"] < again["updated_at"]


def test_comment_moves_its_note(api: httpx.Client) -> None:
    note = api.get("/notes").json()["entries"][-1]
    comment = api.post(f"/notes/{note['id']}/comments", json={"comment": {"comment": "Hi"}})
    assert comment.status_code == 200
    body = comment.json()
    assert body["note_id"] == note["id"]
    assert body["user"]["id"]
    shown = api.get(f"/notes/{note['id']}").json()
    assert shown["updated_at"] > note["updated_at"]
    assert body["id"] in {c["id"] for c in shown["comments"]["entries"]}
    listed = api.get(f"/notes/{note['id']}/comments").json()
    assert listed["pagination"]["per_page"] == 200
    edited = api.put(
        f"/notes/{note['id']}/comments/{body['id']}", json={"comment": {"comment": "Edited"}}
    ).json()
    assert edited["comment"] == "Edited"
    assert edited["edited_by_user_id"]
    via_deal = api.get(f"/deals/1/notes/{note['id']}/comments")  # the deal id is ignored
    assert via_deal.status_code == 200
    assert api.delete(f"/notes/{note['id']}/comments/{body['id']}").status_code == 204
    assert api.post(f"/notes/{note['id']}/comments", json={"comment": {}}).status_code == 422


def test_todo_template_creates_tasks_with_the_deal(api: httpx.Client) -> None:
    template = api.get("/admin/todo_templates").json()["entries"][0]
    body = {"deal": {"name": "From template"}, "todo_template_id": template["id"]}
    deal = api.post("/deals", json=body).json()
    tasks = api.get("/calendar_entries", params={"deal_id": deal["id"]}).json()["entries"]
    assert sorted(t["name"] for t in tasks) == sorted(
        i["description"] for i in template["todo_template_items"]
    )
    assert api.get(f"/deals/{deal['id']}").json()["next_entry_id"] in {t["id"] for t in tasks}
    before = api.get("/deals").json()["pagination"]["total"]
    refused = api.post("/deals", json={"deal": {"name": "Bad"}, "todo_template_id": 1})
    assert refused.status_code == 422
    assert api.get("/deals").json()["pagination"]["total"] == before


def test_resending_stored_custom_fields_and_lists_changes_nothing(api: httpx.Client) -> None:
    deal = next(
        d
        for d in api.get("/deals").json()["entries"]
        if len([v for v in d["custom_fields"].values() if v not in (None, [])]) > 1
    )
    labels = {
        f"custom_label_{r['id']}": r["field_type"]
        for r in api.get("/admin/deal_custom_field_labels").json()["entries"]
    }
    same = {}
    for key, value in deal["custom_fields"].items():
        if value in (None, []):
            continue
        same[key] = value.replace("/", "-") if labels[key] == "date" else value
    body = {
        "deal": {
            "custom_fields": same,
            "tag_ids": deal["tag_ids"],
            "shared_user_ids": deal["shared_user_ids"],
        }
    }
    again = api.put(f"/deals/{deal['id']}", json=body).json()
    assert again["updated_at"] == deal["updated_at"]
    assert again["custom_fields"] == deal["custom_fields"]
