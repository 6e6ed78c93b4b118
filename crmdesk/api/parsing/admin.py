"""JSON -> records for account-level data: lookups, custom field labels, saved searches,
the profile, the account and its notifications. Tolerant in the same way as ``records``.
"""

from __future__ import annotations

from typing import Any

from crmdesk.api.parsing.records import DEFAULT_PARSER, RecordParser, RecordShapeError, record_id
from crmdesk.api.parsing.values import currency, flag, integer, ref, text, timestamp
from crmdesk.domain.records import (
    AccountInfo,
    AccountNotification,
    Currency,
    CustomFieldLabel,
    LookupItem,
    Profile,
    SavedSearch,
    User,
)

#: Which key of a lookup row names its parent (a stage's pipeline, an entry's label...).
_PARENT_KEYS = ("deal_pipeline_id", "custom_field_label_id", "todo_template_id", "parent_id")

#: Lists ``GET /account`` embeds, parsed into ``AccountInfo.lookups``.
ACCOUNT_LOOKUPS = (
    "deal_stages",
    "deal_pipelines",
    "deal_loss_reasons",
    "deal_won_reasons",
    "deal_statuses",
    "note_categories",
    "note_categories_with_system_categories",
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
    "custom_field_groups",
)

_LABEL_ENTITIES = {
    "DealCustomFieldLabel": "deal",
    "PersonCustomFieldLabel": "person",
    "CompanyCustomFieldLabel": "company",
}


def lookup_item(kind: str, raw: Any) -> LookupItem:
    """A row of the admin list ``kind`` (``deal_stages``, ``lead_sources``...)."""
    item_id = record_id(raw, kind.rstrip("s").replace("_", " "))
    get = raw.get
    parent = None
    for key in _PARENT_KEYS:
        if get(key) is not None:
            parent = integer(get(key))
            break
    name = text(get("name"))
    if name is None:  # webhooks and todo items name themselves differently
        name = text(get("description")) or text(get("text")) or ""
    return LookupItem(
        kind=kind,
        id=ref(item_id),
        name=name,
        percent=integer(get("percent")),
        hex_color=text(get("hex_color")),
        position=integer(get("position")),
        parent_id=parent,
        raw=raw,
    )


def custom_field_label(raw: Any, entity: str | None = None) -> CustomFieldLabel:
    """A custom field label; ``entity`` ("deal"/"person"/"company") if ``type`` lacks it."""
    label_id = record_id(raw, "custom field label")
    get = raw.get
    kind = _LABEL_ENTITIES.get(text(get("type")) or "", entity or "")
    entries = get("custom_field_label_dropdown_entries")
    dropdown = tuple(
        lookup_item("custom_field_label_dropdown_entries", entry)
        for entry in (entries if isinstance(entries, list) else ())
        if isinstance(entry, dict) and integer(entry.get("id")) is not None
    )
    return CustomFieldLabel(
        id=label_id,
        entity=kind,
        name=text(get("name")) or "",
        field_type=text(get("field_type")) or text(get("output_type")) or "text",
        position=integer(get("position")) or 0,
        is_required=flag(get("is_required")),
        group_id=integer(get("custom_field_group_id")),
        dropdown_entries=dropdown,
        raw=raw,
    )


def saved_search(raw: Any) -> SavedSearch:
    """A saved search; ``query`` holds ``conditions`` keys for its ``search_type``."""
    search_id = record_id(raw, "saved search")
    get = raw.get
    query = get("query")
    columns = get("columns")
    return SavedSearch(
        id=search_id,
        name=text(get("name")) or "",
        search_type=text(get("search_type")) or "",
        query=query if isinstance(query, dict) else {},
        columns=tuple(c for c in columns if isinstance(c, str))
        if isinstance(columns, list)
        else (),
        sort=text(get("sort")),
        is_shared=flag(get("is_shared")),
        user_id=ref(get("user_id")),
        raw=raw,
    )


def profile(raw: Any, parser: RecordParser = DEFAULT_PARSER) -> Profile:
    """The profile (the key's own user) with account id, formats and currency."""
    user = parser.user(raw)
    get = raw.get
    return Profile(
        user=user,
        account_id=integer(get("account_id")),
        date_format=text(get("date_format")),
        time_format=text(get("time_format")),
        currency=currency(get("currency")),
    )


def account_notification(raw: Any) -> AccountNotification:
    """An account notification."""
    notification_id = record_id(raw, "account notification")
    get = raw.get
    return AccountNotification(
        id=notification_id,
        text=text(get("text")) or "",
        seen=flag(get("seen")),
        read_at=timestamp(get("read_at")),
        user_id=ref(get("user_id")),
        created_at=timestamp(get("created_at")),
        updated_at=timestamp(get("updated_at")),
        raw=raw,
    )


def _rows(value: Any) -> list[Any]:
    if isinstance(value, dict) and isinstance(value.get("entries"), list):
        value = value["entries"]
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []


def _safe_rows(value: Any, build: Any) -> tuple[Any, ...]:
    out = []
    for row in _rows(value):
        try:
            out.append(build(row))
        except RecordShapeError:
            continue  # one broken embedded row must not cost the whole account
    return tuple(out)


def account(raw: Any, parser: RecordParser = DEFAULT_PARSER) -> AccountInfo:
    """The account, with every embedded lookup list, custom field labels and users."""
    account_id = record_id(raw, "account")
    get = raw.get
    lookups = {
        kind: _safe_rows(get(kind), lambda row, kind=kind: lookup_item(kind, row))
        for kind in ACCOUNT_LOOKUPS
        if get(kind) is not None
    }
    labels: list[CustomFieldLabel] = []
    for entity in ("deal", "person", "company"):
        labels.extend(
            _safe_rows(
                get(f"{entity}_custom_field_labels"),
                lambda row, entity=entity: custom_field_label(row, entity),
            )
        )
    users: tuple[User, ...] = _safe_rows(get("users"), parser.user) + _safe_rows(
        get("inactive_users"), parser.user
    )
    currencies: list[Currency] = []
    for row in _rows(get("currencies")):
        found = currency(row) or Currency(  # /account lists only {id, name}
            code=text(row.get("code")) or "",
            name=text(row.get("name")) or "",
            id=integer(row.get("id")),
        )
        currencies.append(found)
    return AccountInfo(
        id=account_id,
        company_name=text(get("company_name")) or text(get("name")) or "",
        currency=currency(get("currency")),
        currencies=tuple(currencies),
        date_format=text(get("date_format")),
        time_format=text(get("time_format")),
        visibility_settings=text(get("visibility_settings")),
        recurring_end_date_months=integer(get("calendar_entry_recurring_end_date_months")),
        lookups=lookups,
        custom_field_labels=tuple(labels),
        users=users,
        raw=raw,
    )
