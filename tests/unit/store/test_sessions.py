"""Sessions: what readers on other threads see of the writer's work, and a closed store."""

from __future__ import annotations

import asyncio

import pytest

from crmdesk.domain.entities import Entity
from crmdesk.domain.records import CustomFieldLabel
from crmdesk.store import Store, StoreError

D = Entity.DEAL


def test_a_reader_sees_custom_fields_the_writer_stored_after_it_first_asked(store: Store) -> None:
    # The window asks for the fields before the first sync has pulled the custom labels.
    assert [f.name for f in store.read().fieldset(D) if f.is_custom] == []
    store.write_sync(
        lambda s: s.lookups.replace_custom_field_labels(
            "deal", [CustomFieldLabel(7, "deal", "Payment terms", "text", 1)]
        )
    )
    assert [f.name for f in store.read().fieldset(D) if f.is_custom] == ["custom_label_7"]
    assert store.read().fieldset(D).find("Payment terms").name == "custom_label_7"
    store.write_sync(lambda s: s.lookups.replace_custom_field_labels("deal", []))
    assert [f.name for f in store.read().fieldset(D) if f.is_custom] == []


def test_a_closed_store_says_so_in_words(store: Store) -> None:
    store.close()

    async def use() -> None:
        with pytest.raises(StoreError, match="closed"):
            await store.write(lambda s: None)
        with pytest.raises(StoreError, match="closed"):
            await store.call(lambda s: None)

    asyncio.run(use())
    with pytest.raises(StoreError, match="closed"):
        store.write_sync(lambda s: None)
    with pytest.raises(StoreError, match="closed"):
        store.read()
