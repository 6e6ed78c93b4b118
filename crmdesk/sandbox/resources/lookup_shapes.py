"""Wire shapes of the lookup rows: admin tables, custom fields, webhooks, searches."""

from __future__ import annotations

from crmdesk.sandbox.clock import format_iso_utc
from crmdesk.sandbox.db import Row
from crmdesk.sandbox.http import Ctx
from crmdesk.sandbox.lookups import CUSTOM_CLASS, KINDS
from crmdesk.sandbox.shapes import ts


def lookup_shape(ctx: Ctx, kind: str, row: Row, in_account: bool = False) -> Row:
    """The wire object of a lookup row."""
    spec = KINDS[kind]
    catalog = ctx.state.catalog
    account_id = catalog.settings.get("id")
    if kind == "webhooks":
        return webhook_shape(ctx, row)
    if kind == "customers":
        from crmdesk.sandbox.resources.companies import customer_shape

        return customer_shape(ctx, row)
    item: Row = {"id": row["id"]}
    for field in spec.fields:
        value = row.get(field.target)
        if field.kind.value == "datetime":
            value = ts(ctx, value)
        item[field.name] = value
    if spec.account_id or (in_account and kind == "deal_stages"):
        item["account_id"] = account_id
    if kind in ("deal_tags", "company_tags"):
        item["user_id"] = row.get("user_id")
    elif kind == "deal_statuses" or kind == "note_categories":
        item["editable"] = bool(row.get("editable", True))
    elif kind == "deal_pipelines":
        _pipeline_extras(ctx, row, item)
    elif kind == "calendar_entry_statuses":
        item["in_use"] = bool(
            ctx.state.db.scalar(
                "SELECT 1 FROM calendar_entries WHERE calendar_entry_status_id = ? LIMIT 1",
                (row["id"],),
            )
        )
    elif kind == "teams":
        item["height"], item["depth"] = _team_levels(ctx, row)
        item["permissions"] = row.get("permissions") or _DEFAULT_PERMISSIONS
    elif kind == "todo_templates":
        items = [
            r for r in catalog.rows("todo_template_items") if r.get("todo_template_id") == row["id"]
        ]
        item["todo_template_types"] = [{"id": row["id"], "template_type": row.get("template_type")}]
        item["todo_template_items"] = [
            {
                **lookup_shape(ctx, "todo_template_items", r),
                "event_category": _mini(
                    catalog.lookup("event_categories", r.get("event_category_id"))
                ),
            }
            for r in items
        ]
    elif kind == "custom_field_labels":
        _label_extras(ctx, row, item)
    elif kind == "custom_field_groups":
        item["type"] = f"{CUSTOM_CLASS.get(row.get('entity', ''), '')}CustomFieldGroup"
        item["custom_field_group_permissions"] = []
    elif kind == "searches":
        item["user_id"] = row.get("user_id")
    elif kind == "account_notifications":
        item["account_id"] = row.get("account_id")
        item["user_id"] = row.get("user_id")
        item["seen"] = bool(row.get("seen"))
    if in_account:
        if kind == "lead_sources":
            item["people_count"] = ctx.state.db.scalar(
                "SELECT count(*) FROM people WHERE lead_source_id = ?", (row["id"],)
            )
            item["is_system_lead_source"] = bool(row.get("system"))
        elif kind == "event_categories":
            item["is_system_category"] = bool(row.get("system"))
    if spec.timestamps:
        item["created_at"] = ts(ctx, row["created_at"])
        item["updated_at"] = ts(ctx, row["updated_at"])
    return item


_DEFAULT_PERMISSIONS = {
    "member": {
        "company": {"visibility_level": "all"},
        "deal": {"visibility_level": "all"},
        "person": {"visibility_level": "all"},
    },
    "*": {"person": {"use_deal_association": False}},
}


def _mini(row: Row | None) -> Row | None:
    return None if row is None else {"id": row["id"], "name": row.get("name")}


def _pipeline_extras(ctx: Ctx, row: Row, item: Row) -> None:
    count = int(
        ctx.state.db.scalar("SELECT count(*) FROM deals WHERE deal_pipeline_id = ?", (row["id"],))
        or 0
    )
    stages = [
        s for s in ctx.state.catalog.rows("deal_stages") if s.get("deal_pipeline_id") == row["id"]
    ]
    lost = next((s for s in stages if s.get("percent") == 0), None)
    won = next((s for s in stages if s.get("percent") == 100), None)
    item["has_deals"] = count > 0
    item["count_deals"] = count
    item["lost_stage"] = {"stage": _stage(lost)}
    item["won_stage"] = {"stage": _stage(won)}


def _stage(stage: Row | None) -> Row | None:
    if stage is None:
        return None
    return {"id": stage["id"], "name": stage.get("name"), "percent": stage.get("percent")}


def _team_levels(ctx: Ctx, row: Row) -> tuple[int, int]:
    teams = ctx.state.catalog.lookups.get("teams", {})
    depth, parent, seen = 0, row.get("parent_id"), set()
    while parent is not None and parent in teams and parent not in seen:
        seen.add(parent)
        depth += 1
        parent = teams[parent].get("parent_id")

    def height(team_id: int, trail: frozenset[int]) -> int:
        children = [
            t for t in teams.values() if t.get("parent_id") == team_id and t["id"] not in trail
        ]
        return 0 if not children else 1 + max(height(c["id"], trail | {c["id"]}) for c in children)

    return height(row["id"], frozenset({row["id"]})), depth


def _label_extras(ctx: Ctx, row: Row, item: Row) -> None:
    entity = row.get("entity", "deal")
    item["type"] = f"{CUSTOM_CLASS.get(entity, 'Deal')}CustomFieldLabel"
    item["output_type"] = row.get("field_type")
    item["report_behavior"] = None
    item["locked"] = bool(row.get("locked"))
    item["record_type"] = entity
    if row.get("field_type") in ("dropdown", "multi_select"):
        item["custom_field_label_dropdown_entries"] = [
            {
                **lookup_shape(ctx, "custom_field_label_dropdown_entries", e),
                "account_id": ctx.state.catalog.settings.get("id"),
            }
            for e in ctx.state.catalog.dropdown_entries(row["id"])
        ]
    item["custom_field_permissions"] = []


def webhook_shape(ctx: Ctx, row: Row) -> Row:
    """A webhook (timestamps in ISO 8601 UTC, as recorded)."""
    name = f"crmdesk sandbox {row.get('event_model')}:{row.get('event_action')}"
    return {
        "id": row["id"],
        "name": name,
        "description": f"{name} => {row.get('url')}",
        "url": row.get("url"),
        "failure_email": row.get("failure_email"),
        "event_model": row.get("event_model"),
        "event_action": row.get("event_action"),
        "is_activated": bool(row.get("is_activated", True)),
        "account_id": ctx.state.catalog.settings.get("id"),
        "app_id": None,
        "last_run_at": None,
        "updated_by": row.get("updated_by"),
        "debug_enabled": bool(row.get("debug_enabled")),
        "event_elapsed_time_subject": None,
        "event_elapsed_time_value": None,
        "event_elapsed_time_unit": None,
        "event_column": None,
        "event_column_delta": None,
        "event_trigger_time": None,
        "automation_folder_id": None,
        "source": "user",
        "position": row.get("position", row["id"]),
        "created_at": format_iso_utc(row["created_at"]),
        "updated_at": format_iso_utc(row["updated_at"]),
    }
