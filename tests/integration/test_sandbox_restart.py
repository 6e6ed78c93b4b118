"""Restart on an existing --db file keeps every record, id and tombstone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx


def test_restart_serves_the_same_data(sandbox_factory: Any, tmp_path: Path) -> None:
    path = str(tmp_path / "crm.db")
    first = sandbox_factory(db=path, seed=5)
    with httpx.Client(base_url=first.base_url, params={"api_key": first.admin_key}) as api:
        created = api.post("/deals", json={"deal": {"name": "Survives restarts"}}).json()
        victim = api.get("/people").json()["entries"][0]["id"]
        assert api.delete(f"/people/{victim}").status_code == 204
        before = api.get("/deals", params={"per_page": 200}).json()
    first.stop()

    # Another seed and scale are ignored: an existing database is served as it is.
    second = sandbox_factory(db=path, seed=99, scale="tiny")
    assert second.port != 0
    with httpx.Client(base_url=second.base_url, params={"api_key": second.admin_key}) as api:
        after = api.get("/deals", params={"per_page": 200}).json()
        assert after == before
        assert api.get(f"/people/{victim}").status_code == 404
        gone = api.get("/people/deleted").json()["entries"]
        assert victim in gone
        newer = api.post("/deals", json={"deal": {"name": "After restart"}}).json()
    assert newer["id"] > created["id"]


def test_same_seed_and_anchor_give_the_same_data(sandbox_factory: Any) -> None:
    from datetime import date

    bodies = []
    for _ in range(2):
        sb = sandbox_factory(seed=3, anchor_date=date(2026, 8, 3))
        with httpx.Client(base_url=sb.base_url, params={"api_key": sb.admin_key}) as api:
            bodies.append([api.get(f"/{c}").json() for c in ("deals", "people", "notes")])
    other = sandbox_factory(seed=4, anchor_date=date(2026, 8, 3))
    with httpx.Client(base_url=other.base_url, params={"api_key": other.admin_key}) as api:
        different = api.get("/deals").json()
    assert bodies[0] == bodies[1]
    assert different != bodies[0][0]


def test_a_foreign_database_is_refused_untouched(tmp_path: Path) -> None:
    import sqlite3

    import pytest

    from crmdesk.sandbox import Sandbox
    from crmdesk.sandbox.db import SandboxDataError

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE mine (x)")
    before = path.read_bytes()
    with pytest.raises(SandboxDataError, match="not a sandbox database"):
        Sandbox.start(db=str(path))
    assert path.read_bytes() == before
