"""``conditions[<entity>_modified]``: read in the requesting user's zone, inclusive."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

MODIFIED = {
    "deals": "deal_modified",
    "people": "person_modified",
    "companies": "company_modified",
    "notes": "activity_modified",
}


def local_text(rendered: str, zone: str, shift: int = 0) -> str:
    """An API timestamp as ``YYYY-MM-DD HH:MM:SS`` in ``zone`` (plus ``shift`` seconds)."""
    moment = datetime.strptime(rendered, "%Y/%m/%d %H:%M:%S %z") + timedelta(seconds=shift)
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")


def ids_modified(sb: Any, key: str, collection: str, bounds: dict[str, str]) -> set[int]:
    params = {"api_key": key, "per_page": 200}
    for name, value in bounds.items():
        params[f"conditions[{MODIFIED[collection]}][{name}]"] = value
    body = httpx.get(f"{sb.base_url}/{collection}", params=params).json()
    return {entry["id"] for entry in body["entries"]}


@pytest.mark.parametrize("collection", sorted(MODIFIED))
def test_from_date_is_inclusive_in_the_users_zone(sandbox: Any, collection: str) -> None:
    api = httpx.Client(base_url=sandbox.base_url, params={"api_key": sandbox.admin_key})
    first = api.get(f"/{collection}", params={"per_page": 1}).json()["entries"][0]
    wrapper = {"deals": "deal", "people": "person", "companies": "company", "notes": "note"}
    edit = {"deals": "summary", "people": "summary", "companies": "description", "notes": "title"}[
        collection
    ]
    updated = api.put(
        f"/{collection}/{first['id']}", json={wrapper[collection]: {edit: "edited now"}}
    ).json()
    stamp = updated["updated_at"]
    admin_zone = api.get("/profile").json()["time_zone"]
    basic_zone = httpx.get(
        f"{sandbox.base_url}/profile", params={"api_key": sandbox.user_key}
    ).json()["time_zone"]
    admin, basic = sandbox.admin_key, sandbox.user_key

    exact = local_text(stamp, admin_zone)
    assert first["id"] in ids_modified(sandbox, admin, collection, {"from_date": exact})
    assert first["id"] in ids_modified(sandbox, admin, collection, {"to_date": exact})
    later = local_text(stamp, admin_zone, 1)
    assert first["id"] not in ids_modified(sandbox, admin, collection, {"from_date": later})
    earlier = local_text(stamp, admin_zone, -1)
    assert first["id"] not in ids_modified(sandbox, admin, collection, {"to_date": earlier})
    # The same wall-clock text means another instant for a user in another zone.
    assert first["id"] in ids_modified(
        sandbox, basic, collection, {"from_date": local_text(stamp, basic_zone)}
    )
    offset = ZoneInfo(admin_zone).utcoffset(datetime.now()) - ZoneInfo(basic_zone).utcoffset(
        datetime.now()
    )
    if offset > timedelta(0):
        assert first["id"] not in ids_modified(sandbox, basic, collection, {"from_date": exact})
    # A bare date covers the whole day (to_date inclusive of its last second).
    day = exact[:10]
    both = ids_modified(sandbox, admin, collection, {"from_date": day, "to_date": day})
    assert first["id"] in both
    api.close()


def test_from_date_with_explicit_offset_is_read_as_given(sandbox: Any) -> None:
    api = httpx.Client(base_url=sandbox.base_url, params={"api_key": sandbox.admin_key})
    deal = api.post("/deals", json={"deal": {"name": "Offset"}}).json()
    utc = datetime.strptime(deal["updated_at"], "%Y/%m/%d %H:%M:%S %z").astimezone(ZoneInfo("UTC"))
    text = utc.strftime("%Y-%m-%d %H:%M:%S +0000")
    found = api.get("/deals", params={"conditions[deal_modified][from_date]": text}).json()
    assert deal["id"] in {e["id"] for e in found["entries"]}
    bad = api.get("/deals", params={"conditions[deal_modified][from_date]": "yesterday"})
    assert bad.status_code == 422
    api.close()
