"""The sandbox over real HTTP: interface, auth, envelope, pagination, bodies, CRUD."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

TIMESTAMP = re.compile(r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}$")


def client(sb: Any, key: str | None = None) -> httpx.Client:
    """An httpx client on the sandbox's API that sends ``api_key``."""
    return httpx.Client(base_url=sb.base_url, params={"api_key": key or sb.admin_key}, timeout=10)


def test_interface_and_two_users_with_their_own_zones(sandbox: Any) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v3", sandbox.base_url)
    assert sandbox.admin_key != sandbox.user_key
    with client(sandbox) as admin, client(sandbox, sandbox.user_key) as basic:
        me = admin.get("/profile").json()
        other = basic.get("/profile").json()
    assert me["is_account_admin"] is True
    assert other["is_account_admin"] is False
    assert me["api_key"] == sandbox.admin_key
    assert other["api_key"] == sandbox.user_key
    assert me["time_zone"] != other["time_zone"]
    assert me["account_key"]


def test_stop_closes_the_port() -> None:
    from crmdesk.sandbox import Sandbox

    with Sandbox.start(rate_limit=None) as sb:
        url = sb.base_url
        assert httpx.get(f"{url}/deals", params={"api_key": sb.admin_key}).status_code == 200
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/deals", params={"api_key": "x"}, timeout=2)


@pytest.mark.parametrize("params", [{}, {"api_key": "wrong"}, {"api_key": ""}])
def test_unknown_key_is_401_with_rate_headers(sandbox: Any, params: dict[str, str]) -> None:
    response = httpx.get(f"{sandbox.base_url}/deals.json", params=params)
    assert response.status_code == 401
    assert response.json() == {"error": "Unknown api_key"}
    assert "x-ratelimit-remaining" in response.headers


def test_app_key_is_optional_and_accepted(sandbox: Any) -> None:
    with client(sandbox) as api:
        assert api.get("/deals", params={"app_key": "any-app"}).status_code == 200
        assert api.get("/deals").status_code == 200


def test_json_suffix_optional_and_patch_acts_as_put(sandbox: Any) -> None:
    with client(sandbox) as api:
        listed = api.get("/deals").json()
        assert api.get("/deals.json").json()["pagination"] == listed["pagination"]
        deal_id = listed["entries"][0]["id"]
        assert api.get(f"/deals/{deal_id}.json").json()["id"] == deal_id
        patched = api.patch(f"/deals/{deal_id}.json", json={"deal": {"name": "Patched"}})
        assert patched.status_code == 200
        assert api.get(f"/deals/{deal_id}").json()["name"] == "Patched"


def test_form_encoded_bodies_nested_keys_and_lists(sandbox: Any) -> None:
    with client(sandbox) as api:
        people = api.get("/people", params={"per_page": 2}).json()["entries"]
        labels = api.get("/admin/deal_custom_field_labels").json()["entries"]
        text_label = next(label for label in labels if label["field_type"] == "text")
        body = {
            "deal[name]": "Form deal",
            "deal[value]": "1500.25",
            "deal[person_ids][]": [str(p["id"]) for p in people],
            f"deal[custom_fields][custom_label_{text_label['id']}]": "Net 15",
            "deal[no_such_field]": "ignored",
        }
        created = api.post("/deals", data=body)
        assert created.status_code == 200, created.text
        deal = created.json()
    assert deal["name"] == "Form deal"
    assert deal["value"] == "1500.25"
    assert sorted(deal["person_ids"]) == sorted(p["id"] for p in people)
    assert deal["custom_fields"][f"custom_label_{text_label['id']}"] == "Net 15"
    assert "no_such_field" not in deal


def test_json_bodies_and_partial_updates_keep_other_fields(sandbox: Any) -> None:
    with client(sandbox) as api:
        created = api.post(
            "/deals", json={"deal": {"name": "Partial", "summary": "keep me", "value": 250}}
        ).json()
        assert created["value"] == "250.0"
        assert created["value_in_cents"] == 25000
        updated = api.put(f"/deals/{created['id']}", json={"deal": {"value": "99.5"}}).json()
    assert updated["summary"] == "keep me"
    assert updated["name"] == "Partial"
    assert updated["value"] == "99.5"
    assert TIMESTAMP.match(updated["updated_at"])
    assert updated["updated_at"] > created["updated_at"]


def test_envelope_and_pagination_rules(sandbox: Any) -> None:
    with client(sandbox) as api:
        full = api.get("/deals").json()
        total = full["pagination"]["total"]
        assert full["pagination"] == {
            "page": 1,
            "page_var": "page",
            "per_page": 200,
            "pages": 1,
            "total": total,
        }
        assert len(full["entries"]) == total > 5
        clamped = api.get("/deals", params={"per_page": 500}).json()["pagination"]
        assert clamped["per_page"] == 200
        assert api.get("/deals", params={"per_page": 0}).json()["pagination"]["per_page"] == 200
        pages = [api.get("/deals", params={"per_page": 5, "page": n}).json() for n in (1, 2, 3)]
        assert pages[0]["pagination"]["pages"] == -(-total // 5)
        ids = [e["id"] for p in pages for e in p["entries"]]
        assert len(ids) == len(set(ids)) == total
        past = api.get("/deals", params={"per_page": 5, "page": 99}).json()
    assert past["entries"] == []
    assert past["pagination"]["total"] == total
    assert past["pagination"]["page"] == 99


def test_default_order_is_most_recently_updated_first(sandbox: Any) -> None:
    with client(sandbox) as api:
        entries = api.get("/deals").json()["entries"]
        oldest = entries[-1]["id"]
        api.put(f"/deals/{oldest}", json={"deal": {"summary": "touched"}})
        assert api.get("/deals").json()["entries"][0]["id"] == oldest


@pytest.mark.parametrize(
    ("collection", "wrapper", "body", "changes"),
    [
        ("deals", "deal", {"name": "Crud deal", "value": "10"}, {"name": "Crud deal 2"}),
        ("people", "person", {"full_name": "Ada Lovelace"}, {"position": "Analyst"}),
        ("companies", "company", {"name": "Crud Co"}, {"city": "Leeds"}),
        ("notes", "note", {"content": "Called them"}, {"title": "Call"}),
    ],
)
def test_crud_round_trip_with_tombstone(
    sandbox: Any, collection: str, wrapper: str, body: dict[str, Any], changes: dict[str, Any]
) -> None:
    with client(sandbox) as api:
        created = api.post(f"/{collection}", json={wrapper: body})
        assert created.status_code == 200, created.text
        record = created.json()
        for key, value in body.items():
            if key != "full_name":
                assert str(record[key]).startswith(str(value))
        record_id = record["id"]
        shown = api.get(f"/{collection}/{record_id}").json()
        assert shown["id"] == record_id
        assert TIMESTAMP.match(shown["created_at"])
        updated = api.put(f"/{collection}/{record_id}", json={wrapper: changes}).json()
        for key, value in changes.items():
            assert updated[key] == value
        deleted = api.delete(f"/{collection}/{record_id}")
        assert deleted.status_code == 204
        assert deleted.content == b""
        assert api.get(f"/{collection}/{record_id}").status_code == 404
        assert api.put(f"/{collection}/{record_id}", json={wrapper: changes}).status_code == 404
        gone = api.get(f"/{collection}/deleted", params={"since": "2000-01-01"}).json()
    assert record_id in gone["entries"]


def test_person_full_name_splits_on_first_space(sandbox: Any) -> None:
    with client(sandbox) as api:
        person = api.post("/people", json={"person": {"full_name": "Mary Ann Evans"}}).json()
    assert (person["first_name"], person["last_name"]) == ("Mary", "Ann Evans")
    assert "company" not in person  # omitted, not null, without a company


@pytest.mark.parametrize(
    ("collection", "wrapper", "body", "field"),
    [
        ("deals", "deal", {"summary": "no name"}, "name"),
        ("deals", "deal", {"name": "x", "value": "lots"}, "value"),
        ("deals", "deal", {"name": "x", "deal_stage_id": 1}, "deal_stage_id"),
        ("deals", "deal", {"name": "x", "person_ids": [123]}, "person_ids"),
        ("people", "person", {"position": "CEO"}, "last_name"),
        ("companies", "company", {"city": "Nowhere"}, "name"),
        ("notes", "note", {"title": "empty"}, "content"),
    ],
)
def test_validation_failures_are_422_lists(
    sandbox: Any, collection: str, wrapper: str, body: dict[str, Any], field: str
) -> None:
    with client(sandbox) as api:
        response = api.post(f"/{collection}", json={wrapper: body})
    assert response.status_code == 422
    problems = response.json()
    assert any(p["field"] == field for p in problems)
    for problem in problems:
        assert set(problem) == {"humanized_field", "field", "msg"}


def test_both_users_can_write_every_record(sandbox: Any) -> None:
    with client(sandbox) as admin, client(sandbox, sandbox.user_key) as basic:
        deal = admin.get("/deals").json()["entries"][0]
        changed = basic.put(f"/deals/{deal['id']}", json={"deal": {"name": "By the other user"}})
        assert changed.status_code == 200
        seen = admin.get(f"/deals/{deal['id']}").json()
    assert seen["name"] == "By the other user"
    assert seen["updated_by_user"]["id"] != seen["user_id"] or seen["updated_by_user_id"]


def test_users_profile_and_account_with_lookup_lists(sandbox: Any) -> None:
    with client(sandbox) as api:
        users = api.get("/users").json()
        admin_users = api.get("/admin/users").json()
        account = api.get("/account").json()
        one = api.get(f"/users/{users['entries'][0]['id']}").json()
        inactive = api.get("/users", params={"conditions[including_inactive]": "true"}).json()
    assert users["pagination"]["total"] == admin_users["pagination"]["total"] >= 2
    assert inactive["pagination"]["total"] == users["pagination"]["total"] + 1
    assert one["id"] == users["entries"][0]["id"]
    assert "time_zone" in one
    stages = {s["name"]: s["percent"] for s in account["deal_stages"]}
    assert stages == {
        "Lost": 0,
        "Qualified": 10,
        "Request for Info": 25,
        "Presentation": 50,
        "Negotiation": 75,
        "Won": 100,
    }
    assert [s["id"] for s in account["deal_statuses"]] == [1, 2, 3]
    for key in (
        "lead_sources",
        "lead_statuses",
        "note_categories",
        "event_categories",
        "predefined_contacts_tags",
        "document_tags",
        "revenue_types",
        "product_lines",
        "calendar_entry_priorities",
        "teams",
        "deal_custom_field_labels",
    ):
        assert account[key], key
    system = [c for c in account["note_categories_with_system_categories"] if c["system_category"]]
    assert {"Email", "CalendarTask"} <= {c["name"] for c in system}


def test_deal_shape_matches_the_reference(sandbox: Any) -> None:
    with client(sandbox) as api:
        listed = api.get("/deals").json()["entries"]
        shown = api.get(f"/deals/{listed[0]['id']}").json()
        created = api.post("/deals", json={"deal": {"name": "Shape"}}).json()
    assert "possible_notify_user_ids" in shown
    assert "possible_notify_user_ids" not in listed[0]
    assert "days_in_stage" in shown
    assert "days_in_stage" not in created
    assert "id" in created["currency"]
    assert "id" not in shown["currency"]
    assert "source" not in created  # omitted when null
    assert any("source" in d for d in listed)
    for deal in listed:
        assert deal["value"] is None or re.fullmatch(r"-?\d+\.\d+", deal["value"])
        assert TIMESTAMP.match(deal["created_at"])
        assert TIMESTAMP.match(deal["updated_at"])
    custom = listed[-1]["custom_fields"] if listed else {}
    assert all(key.startswith("custom_label_") for key in custom)


def test_stage_sets_probability_and_company_name_finds_or_creates(sandbox: Any) -> None:
    with client(sandbox) as api:
        stages = {s["name"]: s for s in api.get("/admin/deal_stages").json()["entries"]}
        deal = api.post(
            "/deals",
            json={
                "deal": {
                    "name": "Staged",
                    "deal_stage_id": stages["Qualified"]["id"],
                    "company_name": "Brand New Widgets",
                }
            },
        ).json()
        again = api.post(
            "/deals", json={"deal": {"name": "Same co", "company_name": "brand new widgets"}}
        ).json()
    assert deal["probability"] == 10
    assert deal["company"]["name"] == "Brand New Widgets"
    assert again["company_id"] == deal["company_id"]
