"""List filters over HTTP: conditions of every kind, custom fields, sort, attrs, totals,
saved searches, association filters and sub-collections."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest


@pytest.fixture
def api(sandbox: Any) -> Any:
    with httpx.Client(base_url=sandbox.base_url, params={"api_key": sandbox.admin_key}) as client:
        yield client


def listed(api: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    response = api.get(path, params={"per_page": 200, **params})
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def labels(api: httpx.Client, entity: str) -> dict[str, dict[str, Any]]:
    rows = api.get(f"/admin/{entity}_custom_field_labels").json()["entries"]
    return {row["field_type"]: row for row in rows}


def test_text_match_is_a_case_insensitive_substring(api: httpx.Client) -> None:
    deals = listed(api, "/deals")
    word = deals[0]["name"].split()[0].lower()
    found = listed(api, "/deals", **{"conditions[deal_name]": word.upper()})
    assert {d["id"] for d in found} == {d["id"] for d in deals if word in d["name"].lower()}


@pytest.mark.parametrize("style", ["brackets", "indexed"])
def test_id_lists_in_both_spellings(api: httpx.Client, style: str) -> None:
    deals = listed(api, "/deals")
    stages = sorted({d["deal_stage_id"] for d in deals})[:2]
    if style == "brackets":
        params = {"conditions[deal_stage][]": stages}
    else:
        params = {f"conditions[deal_stage][{i}]": s for i, s in enumerate(stages)}
    found = listed(api, "/deals", **params)
    assert {d["id"] for d in found} == {d["id"] for d in deals if d["deal_stage_id"] in stages}


def test_number_and_date_ranges(api: httpx.Client) -> None:
    deals = listed(api, "/deals")
    values = sorted(Decimal(d["value"]) for d in deals)
    low, high = values[2], values[-3]
    found = listed(
        api,
        "/deals",
        **{"conditions[deal_value][from]": str(low), "conditions[deal_value][to]": str(high)},
    )
    assert {d["id"] for d in found} == {
        d["id"] for d in deals if low <= Decimal(d["value"]) <= high
    }
    closes = sorted(d["expected_close_date"] for d in deals)
    start = closes[3].replace("/", "-")
    found = listed(api, "/deals", **{"conditions[exp_close][from_date]": start})
    assert {d["id"] for d in found} == {
        d["id"] for d in deals if d["expected_close_date"].replace("/", "-") >= start
    }
    bad = api.get("/deals", params={"conditions[deal_value][from]": "lots"})
    assert bad.status_code == 422


def test_flags_and_person_conditions_on_deals(api: httpx.Client) -> None:
    companies = listed(api, "/companies")
    customers = listed(api, "/companies", **{"conditions[company_is_customer][]": "Yes"})
    assert {c["id"] for c in customers} == {c["id"] for c in companies if c["is_customer"]}
    deals = listed(api, "/deals")
    with_people = [d for d in deals if d["primary_contact"]]
    email = with_people[0]["primary_contact"]["email"]
    found = listed(api, "/deals", **{"conditions[person_email]": email})
    assert with_people[0]["id"] in {d["id"] for d in found}
    assert all(d["person_ids"] for d in found)


def test_custom_field_conditions_for_every_type(api: httpx.Client) -> None:
    by_type = labels(api, "deal")
    assert set(by_type) == {
        "text",
        "boolean",
        "currency",
        "date",
        "dropdown",
        "numeric",
        "multi_select",
    }
    deals = listed(api, "/deals")
    first = (
        deals[-1]
        if all(deals[-1]["custom_fields"].values())
        else next(d for d in deals if all(v not in (None, []) for v in d["custom_fields"].values()))
    )
    values = first["custom_fields"]

    def key(kind: str) -> str:
        return f"custom_label_{by_type[kind]['id']}"

    queries = {
        "text": {f"conditions[{key('text')}]": values[key("text")][:4]},
        "dropdown": {f"conditions[{key('dropdown')}][]": values[key("dropdown")]},
        "multi_select": {f"conditions[{key('multi_select')}][]": values[key("multi_select")][0]},
        "numeric": {
            f"conditions[{key('numeric')}][from]": values[key("numeric")],
            f"conditions[{key('numeric')}][to]": values[key("numeric")],
        },
        "currency": {f"conditions[{key('currency')}][from]": values[key("currency")]},
        "date": {
            f"conditions[{key('date')}][from_date]": values[key("date")].replace("/", "-"),
            f"conditions[{key('date')}][to_date]": values[key("date")].replace("/", "-"),
        },
        "boolean": {f"conditions[{key('boolean')}]": str(values[key("boolean")]).lower()},
    }
    for kind, params in queries.items():
        found = listed(api, "/deals", **params)
        assert first["id"] in {d["id"] for d in found}, kind
    assert isinstance(values[key("boolean")], bool)
    assert isinstance(values[key("dropdown")], int)
    assert values[key("currency")].endswith(".0") or "." in values[key("currency")]
    assert isinstance(values[key("multi_select")], list)


def test_custom_field_writes_are_typed(api: httpx.Client) -> None:
    by_type = labels(api, "deal")
    entries = api.get(
        "/admin/custom_field_label_dropdown_entries",
        params={"conditions[custom_field_label_id]": by_type["dropdown"]["id"]},
    ).json()["entries"]
    fields = {
        f"custom_label_{by_type['text']['id']}": "Net 45",
        f"custom_label_{by_type['boolean']['id']}": "true",
        f"custom_label_{by_type['currency']['id']}": 1250.5,
        f"custom_label_{by_type['date']['id']}": "2031-04-05",
        f"custom_label_{by_type['dropdown']['id']}": entries[0]["id"],
        f"custom_label_{by_type['numeric']['id']}": "12",
        f"custom_label_{by_type['multi_select']['id']}": [],
    }
    deal = api.post("/deals", json={"deal": {"name": "Typed", "custom_fields": fields}}).json()
    got = deal["custom_fields"]
    assert got[f"custom_label_{by_type['boolean']['id']}"] is True
    assert got[f"custom_label_{by_type['currency']['id']}"] == "1250.5"
    assert got[f"custom_label_{by_type['date']['id']}"] == "2031/04/05"
    assert got[f"custom_label_{by_type['numeric']['id']}"] == "12.0"
    assert got[f"custom_label_{by_type['multi_select']['id']}"] == []
    wrong = api.post(
        "/deals",
        json={
            "deal": {
                "name": "Bad",
                "custom_fields": {f"custom_label_{by_type['dropdown']['id']}": 1},
            }
        },
    )
    assert wrong.status_code == 422


def test_sort_in_both_directions_and_unknown_columns_ignored(api: httpx.Client) -> None:
    names = [d["name"].lower() for d in listed(api, "/deals", sort="deals.name")]
    assert names == sorted(names)
    values = [Decimal(d["value"]) for d in listed(api, "/deals", sort="-deals.value")]
    assert values == sorted(values, reverse=True)
    assert listed(api, "/deals", sort="-deals.nonsense") == listed(api, "/deals")
    people = [p["last_name"].lower() for p in listed(api, "/people", sort="people.last_name")]
    assert people == sorted(people)


def test_attrs_keep_only_the_named_keys(api: httpx.Client) -> None:
    entries = listed(api, "/deals", attrs="name,value,bogus")
    assert entries
    assert all(set(e) == {"id", "name", "value"} for e in entries)


def test_totals_on_deals(api: httpx.Client) -> None:
    body = api.get("/deals", params={"totals": "true"}).json()
    total = sum(Decimal(d["value"]) for d in body["entries"] if d["value"])
    assert Decimal(str(body["totals"]["deal_value"])) == total
    assert "totals" not in api.get("/deals").json()
    nothing = api.get("/deals", params={"totals": "true", "conditions[deal_name]": "zzzz"}).json()
    assert nothing["totals"]["deal_value"] == 0


def test_search_id_runs_a_saved_search(api: httpx.Client) -> None:
    searches = {s["search_type"]: s for s in api.get("/searches").json()["entries"]}
    assert set(searches) == {"deals", "people", "companies", "activities", "todos"}
    notes = searches["activities"]
    found = listed(api, "/notes", search_id=notes["id"])
    wanted = notes["query"]["note_category"]
    assert found
    assert all(n["note_category_id"] in wanted for n in found)
    deals = searches["deals"]
    stage = deals["query"]["deal_stage"]
    assert all(d["deal_stage_id"] in stage for d in listed(api, "/deals", search_id=deals["id"]))
    # Explicit conditions win over the saved query.
    other = listed(api, "/deals", search_id=deals["id"], **{"conditions[deal_stage][]": 1})
    assert other == []
    assert api.get("/deals", params={"search_id": notes["id"]}).status_code == 422
    assert api.get("/deals", params={"search_id": 1}).status_code == 404
    created = api.post(
        "/searches",
        json={
            "search": {
                "name": "Big deals",
                "search_type": "deals",
                "query": {"deal_value": {"from": "5000"}},
            }
        },
    ).json()
    big = listed(api, "/deals", search_id=created["id"])
    assert all(Decimal(d["value"]) >= 5000 for d in big)


def test_association_filters_and_sub_collections(api: httpx.Client) -> None:
    deal = next(d for d in listed(api, "/deals") if d["person_ids"] and d["company_id"])
    person_id, company_id = deal["person_ids"][0], deal["company_id"]
    checks = [
        (f"/deals/{deal['id']}/people", "/people", {"deal_id": deal["id"]}),
        (f"/people/{person_id}/deals", "/deals", {"person_id": person_id}),
        (f"/companies/{company_id}/deals", "/deals", {"company_id": company_id}),
        (f"/companies/{company_id}/people", "/people", {"company_id": company_id}),
        (f"/deals/{deal['id']}/notes", "/notes", {"deal_id": deal["id"]}),
        (f"/people/{person_id}/notes", "/notes", {"person_id": person_id}),
        (f"/companies/{company_id}/notes", "/notes", {"company_id": company_id}),
    ]
    for sub, path, params in checks:
        via_sub = {e["id"] for e in listed(api, sub)}
        assert via_sub == {e["id"] for e in listed(api, path, **params)}, sub
    assert person_id in {p["id"] for p in listed(api, f"/deals/{deal['id']}/people")}
    assert deal["id"] in {d["id"] for d in listed(api, f"/people/{person_id}/deals")}
    assert api.get("/deals/1/notes").status_code == 404


def test_people_and_company_conditions(api: httpx.Client) -> None:
    people = listed(api, "/people")
    leads = listed(api, "/people", **{"conditions[person_type]": "Lead"})
    assert {p["id"] for p in leads} == {p["id"] for p in people if p["type"] == "Lead"}
    someone = people[0]
    found = listed(api, "/people", **{"conditions[person_full_name]": someone["full_name"]})
    assert someone["id"] in {p["id"] for p in found}
    owner = someone["user_id"]
    mine = listed(api, "/people", **{"conditions[person_owner][]": owner})
    assert {p["id"] for p in mine} == {p["id"] for p in people if p["user_id"] == owner}
    companies = listed(api, "/companies")
    city = companies[0]["city"]
    here = listed(api, "/companies", **{"conditions[company_city]": city})
    assert {c["id"] for c in here} == {c["id"] for c in companies if c["city"] == city}


def test_users_conditions(api: httpx.Client) -> None:
    admins = listed(api, "/users", **{"conditions[admin]": "true"})
    assert admins
    assert all(u["is_account_admin"] for u in admins)
    basic = listed(api, "/users", **{"conditions[user_level][]": 1})
    assert basic
    assert all(u["level"] == 1 for u in basic)
    by_mail = listed(api, "/users", **{"conditions[email]": admins[0]["email"]})
    assert [u["id"] for u in by_mail] == [admins[0]["id"]]
