"""Fixtures of the UI tests: a real store filled with a small account, and its services."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crmdesk.services.browse import BrowseService
from crmdesk.store import Store
from tests.account_data import open_filled


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store holding ``tests.account_data``'s account (60 deals, 24 people, 6 companies)."""
    opened = open_filled(tmp_path / "account" / "store.db")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def browse(store: Store, tmp_path: Path) -> Iterator[BrowseService]:
    """The browse service over ``store``."""
    service = BrowseService(store, tmp_path / "account" / "views.json")
    try:
        yield service
    finally:
        service.close()
