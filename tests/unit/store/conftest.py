"""Fixtures of the store tests: real SQLite files in tmp_path, API-shaped records."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crmdesk.domain.entities import Entity
from crmdesk.domain.records import LookupItem
from crmdesk.store import Store


def deal(did: int, name: str = "", **extra: Any) -> dict[str, Any]:
    """A deal shaped like a list page entry."""
    record: dict[str, Any] = {
        "id": did,
        "name": name or f"Deal {did}",
        "value": f"{did * 100}.0",
        "currency": {"code": "USD", "symbol": "$"},
        "deal_stage_id": 1 + did % 3,
        "deal_stage": {"id": 1 + did % 3, "name": f"Stage {1 + did % 3}", "percent": 10},
        "status": 1 + did % 3,
        "user_id": 1 + did % 2,
        "user": {"id": 1 + did % 2, "first_name": "U", "last_name": str(1 + did % 2)},
        "company_id": None,
        "expected_close_date": f"2026/0{1 + did % 9}/15",
        "updated_at": "2026/01/01 10:00:00 -0000",
        "created_at": "2025/12/01 10:00:00 -0000",
        "summary": None,
        "custom_fields": {"custom_label_7": None},
    }
    record.update(extra)
    return record


def person(pid: int, first: str, last: str, **extra: Any) -> dict[str, Any]:
    """A person shaped like a list page entry."""
    record: dict[str, Any] = {
        "id": pid,
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}",
        "type": "Contact",
        "email": f"{first.lower()}.{last.lower()}@example.com",
        "phone": "+1 (555) 123-4567",
        "user_id": 1,
        "lead_status_id": None,
        "lead_source_id": None,
        "company_id": None,
        "updated_at": "2026/01/01 10:00:00 -0000",
    }
    record.update(extra)
    return record


def company(cid: int, name: str, **extra: Any) -> dict[str, Any]:
    """A company shaped like a list page entry."""
    record: dict[str, Any] = {
        "id": cid,
        "name": name,
        "email": f"info@{cid}.example.com",
        "phone1": "+44 20 7946 0000",
        "city": "Leeds",
        "owner_id": 1,
        "updated_at": "2026/01/01 10:00:00 -0000",
    }
    record.update(extra)
    return record


def later(record: dict[str, Any], stamp: str, **changes: Any) -> dict[str, Any]:
    """A newer server copy of ``record``."""
    return {**record, **changes, "updated_at": stamp}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Path of a fresh database file."""
    return tmp_path / "account" / "store.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """An open store with two users and three stages."""
    opened = Store.open(db_path)

    def setup(s: Any) -> None:
        s.records.upsert_server(
            Entity.USER,
            [
                {"id": 1, "first_name": "Ann", "last_name": "Admin", "email": "ann@x.com"},
                {"id": 2, "first_name": "Bob", "last_name": "Basic", "email": "bob@x.com"},
            ],
        )
        s.lookups.replace(
            "deal_stages",
            [LookupItem("deal_stages", i, f"Stage {i}", percent=i * 10) for i in (1, 2, 3)],  # type: ignore[arg-type]
        )

    opened.write_sync(setup)
    try:
        yield opened
    finally:
        opened.close()
