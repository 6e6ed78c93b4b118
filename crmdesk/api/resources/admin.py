"""``/admin/*``: lookup lists (stages, sources, categories, tags...), custom field labels,
groups and dropdown entries. Reads are open to every user; writes need an account admin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmdesk.api import parsing
from crmdesk.api.pagination import MAX_PER_PAGE, Listing
from crmdesk.api.parsing.records import RecordParser
from crmdesk.api.ratelimit import Priority
from crmdesk.api.resources.account import AdminUsers
from crmdesk.api.resources.base import CollectionResource
from crmdesk.api.transport import Transport
from crmdesk.domain.entities import Entity
from crmdesk.domain.records import CustomFieldLabel, LookupItem

#: Every admin lookup list: path under /admin -> body wrapper.
LOOKUPS: dict[str, str] = {
    "deal_stages": "deal_stage",
    "deal_pipelines": "deal_pipeline",
    "deal_statuses": "deal_status",
    "deal_loss_reasons": "deal_loss_reason",
    "deal_won_reasons": "deal_won_reason",
    "deal_tags": "deal_tag",
    "company_tags": "company_tag",
    "predefined_contacts_tags": "predefined_contacts_tag",
    "document_tags": "document_tag",
    "lead_sources": "lead_source",
    "lead_statuses": "lead_status",
    "note_categories": "note_category",
    "event_categories": "event_category",
    "calendar_entry_priorities": "calendar_entry_priority",
    "calendar_entry_statuses": "calendar_entry_status",
    "revenue_types": "revenue_type",
    "product_lines": "product_line",
    "teams": "team",
    "todo_templates": "todo_template",
    "todo_template_items": "todo_template_item",
    "webhooks": "webhook",
}

CUSTOM_FIELD_ENTITIES = (Entity.DEAL, Entity.PERSON, Entity.COMPANY)


class Lookups(CollectionResource[LookupItem]):
    """One admin list, e.g. ``/admin/deal_stages``; rows are ``LookupItem(kind=...)``."""

    def __init__(self, transport: Transport, parser: RecordParser, kind: str, wrapper: str) -> None:
        super().__init__(transport, parser)
        self.kind = kind
        self.path = f"admin/{kind}"
        self.wrapper = wrapper

    def _parse(self, raw: Any) -> LookupItem:
        return parsing.lookup_item(self.kind, raw)


class CustomFieldLabels(CollectionResource[CustomFieldLabel]):
    """``/admin/<entity>_custom_field_labels``; create needs ``name`` and ``field_type``."""

    def __init__(self, transport: Transport, parser: RecordParser, entity: Entity) -> None:
        super().__init__(transport, parser)
        self.for_entity = entity
        self.path = f"admin/{entity.value}_custom_field_labels"
        self.wrapper = f"{entity.value}_custom_field_label"

    def _parse(self, raw: Any) -> CustomFieldLabel:
        return parsing.custom_field_label(raw, self.for_entity.value)


class DropdownEntries(Lookups):
    """``/admin/custom_field_label_dropdown_entries``, filtered by label."""

    def __init__(self, transport: Transport, parser: RecordParser) -> None:
        super().__init__(
            transport,
            parser,
            "custom_field_label_dropdown_entries",
            "custom_field_label_dropdown_entry",
        )

    def of_label(
        self, label_id: int, *, per_page: int = MAX_PER_PAGE, priority: Priority | None = None
    ) -> Listing[LookupItem]:
        """The entries of one dropdown / multi-select label."""
        return self.list(
            conditions={"custom_field_label_id": int(label_id)},
            per_page=per_page,
            priority=priority,
        )


class CustomFields:
    """Custom field labels, groups and dropdown entries for deals, people and companies."""

    def __init__(self, transport: Transport, parser: RecordParser) -> None:
        self._parser = parser
        self.labels: Mapping[Entity, CustomFieldLabels] = {
            entity: CustomFieldLabels(transport, parser, entity) for entity in CUSTOM_FIELD_ENTITIES
        }
        self.groups: Mapping[Entity, Lookups] = {
            entity: Lookups(
                transport,
                parser,
                f"{entity.value}_custom_field_groups",
                f"{entity.value}_custom_field_group",
            )
            for entity in CUSTOM_FIELD_ENTITIES
        }
        self.dropdown_entries = DropdownEntries(transport, parser)

    async def all_labels(self, *, priority: Priority | None = None) -> list[CustomFieldLabel]:
        """Every label of the three entities (three list calls)."""
        out: list[CustomFieldLabel] = []
        for resource in self.labels.values():
            out.extend(await resource.list(priority=priority).all())
        return out

    async def load_types(self, *, priority: Priority | None = None) -> list[CustomFieldLabel]:
        """Fetch every label and teach the client's parser their field types."""
        labels = await self.all_labels(priority=priority)
        self._parser.use_labels(labels)
        return labels


class Admin:
    """``client.admin.<list>`` for every lookup list, plus ``users`` and custom fields."""

    def __init__(self, transport: Transport, parser: RecordParser) -> None:
        self.lists: dict[str, Lookups] = {
            kind: Lookups(transport, parser, kind, wrapper) for kind, wrapper in LOOKUPS.items()
        }
        self.users = AdminUsers(transport, parser)
        self.custom_fields = CustomFields(transport, parser)

    def __getattr__(self, kind: str) -> Lookups:
        lists = self.__dict__.get("lists", {})
        if kind in lists:
            return lists[kind]  # type: ignore[no-any-return]
        raise AttributeError(f"no admin list {kind!r}; known: {', '.join(sorted(lists))}")

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self.lists]

    def lookup(self, kind: str) -> Lookups:
        """The resource of the admin list ``kind`` (``"deal_stages"``...)."""
        return self.__getattr__(kind)
