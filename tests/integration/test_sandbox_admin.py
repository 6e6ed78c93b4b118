"""Admin tables, custom fields, webhooks, notifications, customers and users over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

LOOKUPS = [
    ("deal_stages", "deal_stage", {"name": "Verbal yes", "percent": 90}),
    ("deal_loss_reasons", "deal_loss_reason", {"name": "No budget"}),
    ("deal_won_reasons", "deal_won_reason", {"name": "Speed"}),
    ("deal_tags", "deal_tag", {"name": "Hot"}),
    ("company_tags", "company_tag", {"name": "Prospect"}),
    ("predefined_contacts_tags", "predefined_contacts_tag", {"name": "Champion"}),
    ("document_tags", "document_tag", {"name": "NDA"}),
    ("lead_sources", "lead_source", {"name": "Podcast"}),
    ("lead_statuses", "lead_status", {"name": "Nurture", "hex_color": "#123456"}),
    ("note_categories", "note_category", {"name": "Lunch"}),
    ("event_categories", "event_category", {"name": "Webinar"}),
    ("calendar_entry_priorities", "calendar_entry_priority", {"name": "Urgent"}),
    (
        "calendar_entry_statuses",
        "calendar_entry_status",
        {"name": "Waiting", "status_type": "custom"},
    ),
    ("revenue_types", "revenue_type", {"name": "Licence"}),
    ("product_lines", "product_line", {"name": "Hardware", "enabled_for_deals": True}),
    ("teams", "team", {"name": "Field Sales"}),
    ("todo_templates", "todo_template", {"name": "Onboarding", "template_type": "deal"}),
    ("deal_pipelines", "deal_pipeline", {"name": "Renewals", "pipeline_type": "renewal"}),
    ("deal_custom_field_groups", "deal_custom_field_group", {"name": "Billing"}),
]


@pytest.fixture
def admin(sandbox: Any) -> Any:
    with httpx.Client(base_url=sandbox.base_url, params={"api_key": sandbox.admin_key}) as c:
        yield c


@pytest.fixture
def basic(sandbox: Any) -> Any:
    with httpx.Client(base_url=sandbox.base_url, params={"api_key": sandbox.user_key}) as c:
        yield c


@pytest.mark.parametrize(("path", "wrapper", "body"), LOOKUPS)
def test_lookup_crud_by_the_admin_and_403_for_the_basic_user(
    admin: httpx.Client, basic: httpx.Client, path: str, wrapper: str, body: dict[str, Any]
) -> None:
    url = f"/admin/{path}"
    assert basic.get(url).status_code == 200
    assert basic.post(url, json={wrapper: body}).status_code == 403
    created = admin.post(url, json={wrapper: body})
    assert created.status_code == 200, created.text
    row = created.json()
    assert row["name"] == body["name"]
    listing = admin.get(url).json()
    assert row["id"] in {r["id"] for r in listing["entries"]}
    assert ("pagination" in listing) == (path != "product_lines")
    assert basic.put(f"{url}/{row['id']}", json={wrapper: {"name": "x"}}).status_code == 403
    renamed = admin.put(f"{url}/{row['id']}", json={wrapper: {"name": "Renamed"}}).json()
    assert renamed["name"] == "Renamed"
    assert basic.delete(f"{url}/{row['id']}").status_code == 403
    assert admin.delete(f"{url}/{row['id']}").status_code == 204
    assert admin.get(f"{url}/{row['id']}").status_code == 404


def test_lookup_validation_and_system_rows(admin: httpx.Client) -> None:
    assert admin.post("/admin/lead_sources", json={"lead_source": {}}).status_code == 422
    bad = admin.post("/admin/deal_stages", json={"deal_stage": {"name": "x", "percent": 150}})
    assert bad.status_code == 422
    assert (
        admin.put("/admin/deal_statuses/1", json={"deal_status": {"name": "Blue"}}).status_code
        == 422
    )
    assert admin.delete("/admin/deal_statuses/1").status_code == 422
    listed = {r["name"] for r in admin.get("/admin/note_categories").json()["entries"]}
    assert "Email" not in listed
    assert "Phone Call" in listed


def test_new_stage_is_usable_on_deals(admin: httpx.Client) -> None:
    stage = admin.post(
        "/admin/deal_stages", json={"deal_stage": {"name": "Contract sent", "percent": 80}}
    ).json()
    deal = admin.post("/deals", json={"deal": {"name": "Staged", "deal_stage_id": stage["id"]}})
    assert deal.json()["deal_stage"]["name"] == "Contract sent"
    assert deal.json()["probability"] == 80
    account_stages = {s["id"] for s in admin.get("/account").json()["deal_stages"]}
    assert stage["id"] in account_stages


@pytest.mark.parametrize("entity", ["deal", "person", "company"])
def test_custom_field_labels_with_dropdown_entries(admin: httpx.Client, entity: str) -> None:
    label = admin.post(
        f"/admin/{entity}_custom_field_labels",
        json={f"{entity}_custom_field_label": {"name": "Tier", "field_type": "dropdown"}},
    ).json()
    kind = {"deal": "Deal", "person": "Person", "company": "Company"}[entity]
    assert label["type"] == f"{kind}CustomFieldLabel"
    assert label["field_type"] == "dropdown"
    entry = admin.post(
        "/admin/custom_field_label_dropdown_entries",
        json={
            "custom_field_label_dropdown_entry": {
                "custom_field_label_id": label["id"],
                "name": "Gold",
            }
        },
    ).json()
    shown = admin.get(f"/admin/{entity}_custom_field_labels/{label['id']}").json()
    assert [e["name"] for e in shown["custom_field_label_dropdown_entries"]] == ["Gold"]
    collection = {"deal": "deals", "person": "people", "company": "companies"}[entity]
    record = admin.get(f"/{collection}").json()["entries"][0]
    key = f"custom_label_{label['id']}"
    assert record["custom_fields"][key] is None
    updated = admin.put(
        f"/{collection}/{record['id']}", json={entity: {"custom_fields": {key: entry["id"]}}}
    ).json()
    assert updated["custom_fields"][key] == entry["id"]
    union = {r["id"] for r in admin.get("/admin/custom_field_labels").json()["entries"]}
    assert label["id"] in union
    missing = admin.post(
        f"/admin/{entity}_custom_field_labels",
        json={f"{entity}_custom_field_label": {"name": "No type"}},
    )
    assert missing.status_code == 422
    assert admin.delete(f"/admin/{entity}_custom_field_labels/{label['id']}").status_code == 204
    after = admin.get(f"/{collection}/{record['id']}").json()
    assert key not in after["custom_fields"]


def test_generic_custom_field_label_path_takes_the_type(admin: httpx.Client) -> None:
    made = admin.post(
        "/admin/custom_field_labels",
        json={
            "custom_field_label": {
                "name": "Score",
                "field_type": "numeric",
                "type": "PersonCustomFieldLabel",
            }
        },
    ).json()
    assert made["type"] == "PersonCustomFieldLabel"
    people = {r["id"] for r in admin.get("/admin/person_custom_field_labels").json()["entries"]}
    assert made["id"] in people


def test_webhooks_are_stored_not_called(admin: httpx.Client, basic: httpx.Client) -> None:
    body = {
        "webhook": {
            "event_model": "person",
            "event_action": "create",
            "url": "http://127.0.0.1:9/never-called",
        }
    }
    assert basic.post("/admin/webhooks", json=body).status_code == 403
    hook = admin.post("/admin/webhooks", json=body).json()
    assert hook["description"].endswith("=> http://127.0.0.1:9/never-called")
    assert hook["created_at"].endswith("Z")
    listing = admin.get("/admin/webhooks").json()
    assert set(listing) == {"webhooks"}
    assert hook["id"] in {h["id"] for h in listing["webhooks"]}
    assert admin.post("/people", json={"person": {"last_name": "Hooked"}}).status_code == 200
    assert admin.delete(f"/admin/webhooks/{hook['id']}").status_code == 204
    bad = admin.post("/admin/webhooks", json={"webhook": {"event_model": "lead"}})
    assert bad.status_code == 422


def test_account_notifications_mark_seen_only_with_read_at(
    admin: httpx.Client, basic: httpx.Client
) -> None:
    mine = admin.get("/account_notifications").json()["entries"]
    theirs = basic.get("/account_notifications").json()["entries"]
    assert mine
    assert theirs
    assert {n["id"] for n in mine}.isdisjoint({n["id"] for n in theirs})
    note = mine[0]
    ignored = admin.put(
        f"/account_notifications/{note['id']}", json={"account_notification": {"seen": True}}
    ).json()
    assert ignored["seen"] is False
    seen = admin.put(
        f"/account_notifications/{note['id']}",
        json={"account_notification": {"seen": True, "read_at": "2026-08-05 10:00:00"}},
    ).json()
    assert seen["seen"] is True
    assert seen["read_at"].startswith("2026/08/05 10:00:00")
    created = basic.post(
        "/account_notifications", json={"account_notification": {"text": "<p>Hi</p>"}}
    )
    assert created.status_code == 200
    assert created.json()["seen"] is False


def test_customers_flag_companies(admin: httpx.Client) -> None:
    company = next(c for c in admin.get("/companies").json()["entries"] if not c["is_customer"])
    customer = admin.post("/customers", json={"customer": {"company_id": company["id"]}}).json()
    assert customer["company_id"] == company["id"]
    assert customer["owner"]["full_name"]
    shown = admin.get(f"/companies/{company['id']}").json()
    assert shown["is_customer"] is True
    assert shown["customer"]["id"] == customer["id"]
    notes = admin.get(f"/companies/{company['id']}/notes").json()["entries"]
    assert any(n["note_category"] and n["note_category"]["name"] == "Customer" for n in notes)
    again = admin.post("/customers", json={"customer": {"company_id": company["id"]}})
    assert again.status_code == 422
    removed = admin.delete(f"/customers/{customer['id']}")
    assert removed.status_code == 200
    assert removed.json() == {"success": True}
    assert admin.get(f"/companies/{company['id']}").json()["is_customer"] is False


def test_admin_users_update_and_deactivate(
    sandbox: Any, admin: httpx.Client, basic: httpx.Client
) -> None:
    users = admin.get("/admin/users").json()["entries"]
    other = next(u for u in users if not u["is_account_admin"])
    assert (
        basic.put(f"/admin/users/{other['id']}", json={"user": {"mobile_number": "1"}}).status_code
        == 403
    )
    changed = admin.put(
        f"/admin/users/{other['id']}",
        json={"user": {"mobile_number": "555-0199", "time_zone": "Asia/Tokyo"}},
    ).json()
    assert changed["mobile_number"] == "555-0199"
    assert changed["time_zone"] == "Asia/Tokyo"
    assert changed["api_key"] != sandbox.user_key  # other users' keys are not shown
    assert (
        admin.put(
            f"/admin/users/{other['id']}", json={"user": {"time_zone": "Mars/Base"}}
        ).status_code
        == 422
    )
    new = admin.post(
        "/admin/users",
        json={"user": {"first_name": "Nia", "last_name": "Novak", "email": "nia@example.com"}},
    ).json()
    assert new["level"] == 1
    assert admin.delete(f"/admin/users/{new['id']}").status_code == 204
    active = {u["id"] for u in admin.get("/users").json()["entries"]}
    assert new["id"] not in active


def test_deactivated_user_key_is_refused(sandbox: Any, admin: httpx.Client) -> None:
    basic_id = httpx.get(
        f"{sandbox.base_url}/profile", params={"api_key": sandbox.user_key}
    ).json()["id"]
    assert admin.delete(f"/admin/users/{basic_id}").status_code == 204
    response = httpx.get(f"{sandbox.base_url}/profile", params={"api_key": sandbox.user_key})
    assert response.status_code == 401


def test_features_endpoint(admin: httpx.Client, basic: httpx.Client) -> None:
    assert admin.get("/admin/features/sms_support").json() == {
        "id": "sms_support",
        "providers": None,
    }
    added = admin.put(
        "/admin/features/sms_support",
        json={"provider": {"provider_key": "twilio", "name": "Twilio"}},
    ).json()
    assert added["providers"][0]["provider_key"] == "twilio"
    assert basic.put("/admin/features/sms_support", json={}).status_code == 403
    removed = admin.delete("/admin/features/sms_support", params={"provider_key": "twilio"})
    assert removed.json()["providers"] is None
