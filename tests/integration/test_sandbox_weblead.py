"""Web-to-lead form posts (not JSON; on the app host, identified by a user's w2lid)."""

from __future__ import annotations

from typing import Any

import httpx


def w2lid(sb: Any, key: str) -> str:
    return str(httpx.get(f"{sb.base_url}/profile", params={"api_key": key}).json()["w2lid"])


def leads(sb: Any, email: str) -> list[dict[str, Any]]:
    found = httpx.get(
        f"{sb.base_url}/people", params={"api_key": sb.admin_key, "conditions[person_email]": email}
    ).json()
    return list(found["entries"])


def test_form_creates_a_lead_and_redirects(sandbox: Any) -> None:
    basic = httpx.get(f"{sandbox.base_url}/profile", params={"api_key": sandbox.user_key}).json()
    form = {
        "w2lid": w2lid(sandbox, sandbox.admin_key),
        "assign_to_id": str(basic["id"]),
        "first_name": "Web",
        "last_name": "Visitor",
        "email": "web.visitor@example.com",
        "linked_in_url": "https://www.linkedin.com/in/webvisitor",
        "thank_you_page": "https://example.com/thanks",
        "notification_ignore": "phone",
    }
    response = httpx.post(f"{sandbox.root_url}/web_lead", data=form)
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.com/thanks"
    [lead] = leads(sandbox, "web.visitor@example.com")
    assert lead["type"] == "Lead"
    assert lead["user_id"] == basic["id"]
    assert lead["linked_in_url"] == "https://www.linkedin.com/in/webvisitor"
    assert lead["lead_source"]["name"] == "Website"


def test_prevent_duplicates_adds_a_note_instead(sandbox: Any) -> None:
    base = {
        "w2lid": w2lid(sandbox, sandbox.admin_key),
        "lead[last_name]": "Again",
        "lead[email]": "again@example.com",
        "prevent_duplicates": "true",
    }
    assert httpx.post(f"{sandbox.root_url}/web_lead", data=base).status_code == 302
    second = httpx.post(
        f"{sandbox.root_url}/web_lead",
        data={**base, "developer_mode": "true", "lead[phone]": "555"},
    )
    assert second.status_code == 200
    assert "updated" in second.text
    [lead] = leads(sandbox, "again@example.com")
    notes = httpx.get(
        f"{sandbox.base_url}/people/{lead['id']}/notes", params={"api_key": sandbox.admin_key}
    ).json()["entries"]
    assert any("phone: 555" in n["content"] for n in notes)


def test_unknown_form_and_bad_lead(sandbox: Any) -> None:
    assert httpx.post(f"{sandbox.root_url}/web_lead", data={"w2lid": "nope"}).status_code == 404
    empty = httpx.post(
        f"{sandbox.root_url}/web_lead",
        data={"w2lid": w2lid(sandbox, sandbox.admin_key), "developer_mode": "1"},
    )
    assert empty.status_code == 422
    assert "last_name" in empty.text
