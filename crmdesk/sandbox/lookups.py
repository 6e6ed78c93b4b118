"""The small admin tables of section 4.11/4.12 (and saved searches, notifications, ...).

They all live in the ``lookups`` table (one JSON object per row) and are served by one
generic CRUD implementation; each kind declares its wire fields here.
"""

from __future__ import annotations

from dataclasses import dataclass

from crmdesk.sandbox.fields import FieldDef, Kind, fd

CUSTOM_FIELD_TYPES = (
    "text",
    "boolean",
    "currency",
    "date",
    "dropdown",
    "numeric",
    "multi_select",
)
CUSTOM_ENTITIES = ("deal", "person", "company")
CUSTOM_CLASS = {"deal": "Deal", "person": "Person", "company": "Company"}


@dataclass(frozen=True, slots=True)
class LookupKind:
    """One admin table: its path, body wrapper and writable fields."""

    kind: str  # storage kind and, unless ``path`` says otherwise, the path under /admin
    wrapper: str
    fields: tuple[FieldDef, ...]
    required: tuple[str, ...] = ("name",)
    timestamps: bool = True
    paginated: bool = True
    account_id: bool = False
    admin_path: bool = True  # under /admin/...
    admin_only_writes: bool = True
    order: tuple[str, ...] = ("position", "id")

    @property
    def field_map(self) -> dict[str, FieldDef]:
        """Writable fields by wire name."""
        return {spec.name: spec for spec in self.fields}


_NAME = fd("name")
_POSITION = fd("position", Kind.INT)
_COLOR = fd("hex_color")

KINDS: dict[str, LookupKind] = {
    k.kind: k
    for k in (
        LookupKind(
            "deal_stages",
            "deal_stage",
            (
                _NAME,
                fd("percent", Kind.INT, minimum=0, maximum=100),
                fd("deal_pipeline_id", Kind.REF, "deal_pipelines"),
            ),
            order=("percent", "id"),
        ),
        LookupKind(
            "deal_pipelines",
            "deal_pipeline",
            (_NAME, fd("default", Kind.BOOL), fd("pipeline_type"), fd("description")),
            order=("id",),
        ),
        LookupKind(
            "deal_statuses", "deal_status", (_NAME, _POSITION, _COLOR, fd("editable", Kind.BOOL))
        ),
        LookupKind("deal_loss_reasons", "deal_loss_reason", (_NAME, _POSITION), account_id=True),
        LookupKind("deal_won_reasons", "deal_won_reason", (_NAME, _POSITION), account_id=True),
        LookupKind("deal_tags", "deal_tag", (_NAME, _POSITION), account_id=True),
        LookupKind("company_tags", "company_tag", (_NAME, _POSITION), account_id=True),
        LookupKind(
            "predefined_contacts_tags", "predefined_contacts_tag", (_NAME,), order=("name", "id")
        ),
        LookupKind("document_tags", "document_tag", (_NAME,), order=("name", "id")),
        LookupKind(
            "lead_sources",
            "lead_source",
            (_NAME, fd("cost_per_lead_in_cents", Kind.INT), fd("flat_fee_in_cents", Kind.INT)),
            order=("name", "id"),
        ),
        LookupKind("lead_statuses", "lead_status", (_NAME, _COLOR, _POSITION)),
        LookupKind("note_categories", "note_category", (_NAME,), order=("name", "id")),
        LookupKind("event_categories", "event_category", (_NAME, _POSITION)),
        LookupKind(
            "calendar_entry_priorities", "calendar_entry_priority", (_NAME, _COLOR, _POSITION)
        ),
        LookupKind(
            "calendar_entry_statuses",
            "calendar_entry_status",
            (
                _NAME,
                _POSITION,
                _COLOR,
                fd("status_type", Kind.CHOICE, choices=("todo", "custom", "done")),
            ),
        ),
        LookupKind(
            "revenue_types",
            "revenue_type",
            (_NAME, _POSITION, fd("is_default", Kind.BOOL)),
            account_id=True,
        ),
        LookupKind(
            "product_lines",
            "product_line",
            (
                _NAME,
                fd("enabled_for_deals", Kind.BOOL),
                fd("enabled_for_people", Kind.BOOL),
                fd("enabled_for_companies", Kind.BOOL),
            ),
            paginated=False,
            order=("name", "id"),
        ),
        LookupKind(
            "teams",
            "team",
            (_NAME, fd("parent_id", Kind.REF, "teams"), fd("permissions", Kind.JSON)),
            account_id=True,
            order=("id",),
        ),
        LookupKind(
            "todo_templates",
            "todo_template",
            (_NAME, fd("template_type"), fd("is_default", Kind.BOOL)),
            account_id=True,
            timestamps=False,
            order=("id",),
        ),
        LookupKind(
            "todo_template_items",
            "todo_template_item",
            (
                fd("todo_template_id", Kind.REF, "todo_templates"),
                fd("event_category_id", Kind.REF, "event_categories"),
                fd("due_date", Kind.INT),
                fd("description"),
                fd("calendar_entry_priority_id", Kind.REF, "calendar_entry_priorities"),
            ),
            required=("todo_template_id", "description"),
            account_id=True,
            order=("todo_template_id", "due_date", "id"),
        ),
        LookupKind(
            "webhooks",
            "webhook",
            (
                fd("event_model", Kind.CHOICE, choices=("person", "deal", "company")),
                fd("event_action", Kind.CHOICE, choices=("create", "update", "destroy")),
                fd("url"),
                fd("failure_email"),
                fd("is_activated", Kind.BOOL),
                fd("debug_enabled", Kind.BOOL),
            ),
            required=("event_model", "event_action", "url"),
            paginated=False,
            order=("id",),
        ),
        LookupKind(
            "custom_field_labels",
            "custom_field_label",
            (
                _NAME,
                fd("field_type", Kind.CHOICE, choices=CUSTOM_FIELD_TYPES),
                _POSITION,
                fd("is_required", Kind.BOOL),
                fd("custom_field_group_id", Kind.REF, "custom_field_groups"),
                fd("locked", Kind.BOOL),
            ),
            required=("name", "field_type"),
        ),
        LookupKind("custom_field_groups", "custom_field_group", (_NAME, _POSITION)),
        LookupKind(
            "custom_field_label_dropdown_entries",
            "custom_field_label_dropdown_entry",
            (fd("custom_field_label_id", Kind.REF, "custom_field_labels"), _NAME, _POSITION),
            required=("custom_field_label_id", "name"),
            order=("custom_field_label_id", "position", "id"),
        ),
        LookupKind(
            "searches",
            "search",
            (
                _NAME,
                fd("is_shared", Kind.BOOL),
                fd("is_default", Kind.BOOL),
                fd("is_starred", Kind.BOOL),
                fd(
                    "search_type",
                    Kind.CHOICE,
                    choices=("deals", "people", "companies", "activities", "todos"),
                ),
                fd("is_sentence_search", Kind.BOOL),
                fd("query", Kind.JSON),
                fd("columns", Kind.JSON),
                fd("sort"),
            ),
            required=("name", "search_type"),
            admin_path=False,
            admin_only_writes=False,
            order=("id",),
        ),
        LookupKind(
            "account_notifications",
            "account_notification",
            (fd("text"), fd("seen", Kind.BOOL), fd("read_at", Kind.DATETIME)),
            required=("text",),
            admin_path=False,
            admin_only_writes=False,
            order=("id",),
        ),
        LookupKind(
            "customers",
            "customer",
            (
                fd("company_id", Kind.REF, "companies"),
                fd("owner_id", Kind.REF, "users"),
                fd("health_score", Kind.INT, minimum=0, maximum=100),
            ),
            required=("company_id",),
            admin_path=False,
            admin_only_writes=False,
            order=("id",),
        ),
    )
}

#: Lookup kinds embedded in /account under the same name.
ACCOUNT_LISTS = (
    "deal_stages",
    "deal_pipelines",
    "deal_loss_reasons",
    "deal_won_reasons",
    "deal_statuses",
    "event_categories",
    "lead_sources",
    "lead_statuses",
    "predefined_contacts_tags",
    "document_tags",
    "company_tags",
    "deal_tags",
    "product_lines",
    "teams",
    "calendar_entry_priorities",
    "calendar_entry_statuses",
    "revenue_types",
    "todo_templates",
)
