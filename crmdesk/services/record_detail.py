"""The detail pane's view of one record: its fields as text, custom fields grouped by their
custom field groups, and the records it relates to (deal -> people, company; company ->
deals, people; person -> deals, company)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from crmdesk.domain.entities import Entity
from crmdesk.domain.fields import FieldSpec, FieldType, Ref
from crmdesk.domain.money import parse_decimal
from crmdesk.domain.patch import read_field
from crmdesk.domain.sync_status import RecordSync
from crmdesk.domain.timefmt import parse_date, parse_timestamp
from crmdesk.services.formatting import DisplayFormats, stage_colour
from crmdesk.services.table_types import (
    DetailField,
    DetailSection,
    RecordDetail,
    RelatedGroup,
    RelatedRecord,
)
from crmdesk.store import Session

RELATED_LIMIT = 50

SYNC_NOTES = {
    RecordSync.SYNCED: "",
    RecordSync.PENDING: "Changed here - waiting to be sent to the server.",
    RecordSync.NOT_CREATED: "Created here - the server does not have it yet.",
    RecordSync.CONFLICT: "Changed here and on the server: choose which values to keep.",
    RecordSync.NEEDS_ATTENTION: "The server refused a change to this record.",
    RecordSync.DELETED_ON_SERVER: "Deleted on the server; your changes here are kept.",
}

#: the lookup list a reference field names its ids from (read by editors and dialogs too)
LOOKUP_KINDS = {
    Ref.DEAL_STAGE: "deal_stages",
    Ref.DEAL_PIPELINE: "deal_pipelines",
    Ref.DEAL_STATUS: "deal_statuses",
    Ref.DEAL_LOSS_REASON: "deal_loss_reasons",
    Ref.DEAL_WON_REASON: "deal_won_reasons",
    Ref.REVENUE_TYPE: "revenue_types",
    Ref.LEAD_SOURCE: "lead_sources",
    Ref.LEAD_STATUS: "lead_statuses",
    Ref.NOTE_CATEGORY: "note_categories",
    Ref.EVENT_CATEGORY: "event_categories",
    Ref.CALENDAR_ENTRY_PRIORITY: "calendar_entry_priorities",
    Ref.CALENDAR_ENTRY_STATUS: "calendar_entry_statuses",
    Ref.DEAL_TAG: "deal_tags",
    Ref.COMPANY_TAG: "company_tags",
    Ref.PEOPLE_TAG: "predefined_contacts_tags",
    Ref.DOCUMENT_TAG: "document_tags",
    Ref.DROPDOWN_ENTRY: "custom_field_label_dropdown_entries",
}
#: the local table a reference field to another record points into
RECORD_TABLES = {
    Ref.USER: "users",
    Ref.PERSON: "people",
    Ref.COMPANY: "companies",
    Ref.DEAL: "deals",
}
# Fields the title, the badges or the related-record links already show.
_SHOWN_ELSEWHERE = {
    Entity.DEAL: {"name", "person_ids"},
    Entity.PERSON: {"first_name", "last_name", "deal_ids"},
    Entity.COMPANY: {"name", "image_thumb_url"},
}


class RecordNames:
    """Resolves ids to names for one detail, one query per table or lookup list."""

    def __init__(self, session: Session) -> None:
        self._s = session
        self._lookups: dict[str, dict[int, str]] = {}

    def lookup(self, kind: str, rid: int) -> str:
        names = self._lookups.get(kind)
        if names is None:
            names = self._lookups[kind] = self._s.lookups.names(kind)
        return names.get(rid, f"#{rid}")

    def record(self, table: str, rid: int) -> str:
        row = self._s.conn.execute(f"SELECT name FROM {table} WHERE id = ?", (rid,)).fetchone()
        return row[0] if row and row[0] else f"#{rid}"

    def ref(self, ref: Ref | None, rid: Any) -> str:
        try:
            number = int(rid)
        except (TypeError, ValueError):
            return str(rid)
        if ref in RECORD_TABLES:
            return self.record(RECORD_TABLES[ref], number)
        kind = LOOKUP_KINDS.get(ref) if ref is not None else None
        return self.lookup(kind, number) if kind else str(number)


def _link(spec: FieldSpec, text: str) -> tuple[str, str | None]:
    name = spec.name.lower()
    label = spec.label.lower()
    if "email" in name or "email" in label:
        return "email", f"mailto:{text}"
    if name in ("web", "website") or name.endswith("_url") or "website" in label:
        target = text if "://" in text else f"https://{text}"
        return "url", target if target.startswith(("http://", "https://")) else None
    if any(word in name for word in ("phone", "mobile", "fax")) and not name.endswith("_desc"):
        return "phone", "tel:" + "".join(ch for ch in text if ch.isdigit() or ch == "+")
    return spec.type.value, None


def format_value(
    spec: FieldSpec,
    value: Any,
    formats: DisplayFormats,
    names: RecordNames,
    currency: str | None = None,
) -> str:
    """Display text of a field value ("" when empty); odd values are shown as they are."""
    if value is None or value == "" or value == []:
        return ""
    kind = spec.type
    try:
        if kind is FieldType.MONEY:
            return formats.money(parse_decimal(value), currency)
        if kind is FieldType.DECIMAL:
            return formats.number(parse_decimal(value))
        if kind is FieldType.PERCENT:
            return f"{int(value)}%"
        if kind is FieldType.DATE:
            return formats.date(parse_date(value))
        if kind is FieldType.DATETIME:
            return formats.datetime(parse_timestamp(value))
        if kind is FieldType.BOOLEAN:
            return "Yes" if value is True or str(value).lower() in ("true", "1", "yes") else "No"
        if kind is FieldType.REF:
            return names.ref(spec.ref, value)
        if kind is FieldType.REF_LIST:
            items = value if isinstance(value, list) else [value]
            return ", ".join(names.ref(spec.ref, v) for v in items)
    except (TypeError, ValueError):
        return str(value)
    return str(value)


def _fields(
    specs: Iterable[FieldSpec],
    data: Mapping[str, Any],
    formats: DisplayFormats,
    names: RecordNames,
    currency: str | None,
    include_empty: bool,
) -> tuple[DetailField, ...]:
    out = []
    for spec in specs:
        text = format_value(spec, read_field(data, spec.name), formats, names, currency)
        if not text and not include_empty:
            continue
        kind, link = _link(spec, text) if text else (spec.type.value, None)
        out.append(DetailField(spec.name, spec.label, text, kind, link))
    return tuple(out)


def _title(entity: Entity, data: Mapping[str, Any]) -> str:
    if entity is Entity.PERSON:
        parts = [data.get("first_name"), data.get("last_name")]
        joined = " ".join(p for p in parts if isinstance(p, str) and p)
        return joined or str(data.get("full_name") or "(no name)")
    return str(data.get("name") or "(no name)")


def _related(
    session: Session, entity: Entity, rid: int, data: Mapping[str, Any]
) -> list[RelatedGroup]:
    groups: list[RelatedGroup] = []
    conn = session.conn

    def rows(sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return conn.execute(sql, args).fetchall()

    def group(title: str, kind: Entity, found: list[tuple[Any, ...]], total: int) -> None:
        if found:
            records = tuple(
                RelatedRecord(kind, r[0], r[1] or f"#{r[0]}", r[2] or "") for r in found
            )
            groups.append(RelatedGroup(title, kind, records, max(0, total - len(records))))

    company_id = data.get("company_id")
    if entity in (Entity.DEAL, Entity.PERSON) and isinstance(company_id, int):
        found = rows("SELECT id, name, city FROM companies WHERE id = ?", (company_id,))
        group("Company", Entity.COMPANY, found, len(found))
    if entity is Entity.DEAL:
        ids = [i for i in (data.get("person_ids") or []) if isinstance(i, int)]
        contact = data.get("primary_contact_id")
        if isinstance(contact, int) and contact not in ids:
            ids.insert(0, contact)
        ids = ids[:RELATED_LIMIT]
        if ids:
            marks = ",".join("?" * len(ids))
            found = rows(f"SELECT id, name, position FROM people WHERE id IN ({marks})", tuple(ids))
            found.sort(key=lambda r: ids.index(r[0]))
            group("People", Entity.PERSON, found, len(found))
    if entity is Entity.PERSON:
        ids = [i for i in (data.get("deal_ids") or []) if isinstance(i, int)][:RELATED_LIMIT]
        if ids:
            marks = ",".join("?" * len(ids))
            found = rows(
                f"SELECT id, name, company_name FROM deals WHERE id IN ({marks}) "
                "ORDER BY updated_at DESC",
                tuple(ids),
            )
            group("Deals", Entity.DEAL, found, len(found))
    if entity is Entity.COMPANY:
        for title, kind, table, extra in (
            ("Deals", Entity.DEAL, "deals", "owner_name"),
            ("People", Entity.PERSON, "people", "position"),
        ):
            total = conn.execute(
                f"SELECT count(*) FROM {table} WHERE company_id = ?", (rid,)
            ).fetchone()[0]
            found = rows(
                f"SELECT id, name, {extra} FROM {table} WHERE company_id = ? "
                "ORDER BY updated_at DESC, id DESC LIMIT ?",
                (rid, RELATED_LIMIT),
            )
            group(title, kind, found, total)
    return groups


def _subtitle_and_badges(
    session: Session, entity: Entity, data: Mapping[str, Any], formats: DisplayFormats
) -> tuple[str, tuple[tuple[str, str], ...]]:
    names = RecordNames(session)
    badges: list[tuple[str, str]] = []
    if entity is Entity.DEAL:
        currency = data.get("currency")
        code = currency.get("code") if isinstance(currency, Mapping) else None
        value = ""
        try:
            value = formats.money(parse_decimal(data.get("value")), code)
        except ValueError:
            pass
        company = data.get("company_id")
        company_name = names.record("companies", company) if isinstance(company, int) else ""
        subtitle = " · ".join(p for p in (company_name, value) if p)
        stage = data.get("deal_stage_id")
        if isinstance(stage, int):
            item = next((i for i in session.lookups.items("deal_stages") if i.id == stage), None)
            if item is not None:
                badges.append((f"{item.name} {item.percent or 0}%", stage_colour(item.percent)))
        status = data.get("status")
        if isinstance(status, int):
            item = next((i for i in session.lookups.items("deal_statuses") if i.id == status), None)
            if item is not None:
                badges.append((item.name, item.hex_color or "#9aa0a6"))
        return subtitle, tuple(badges)
    if entity is Entity.PERSON:
        position = data.get("position") or ""
        company = data.get("company_id")
        company_name = (
            names.record("companies", company)
            if isinstance(company, int)
            else str(data.get("company_name") or "")
        )
        subtitle = " at ".join(p for p in (position, company_name) if p)
        if data.get("type"):
            badges.append((str(data["type"]), "#6c7a89"))
        lead = data.get("lead_status_id")
        if isinstance(lead, int):
            item = next((i for i in session.lookups.items("lead_statuses") if i.id == lead), None)
            if item is not None:
                badges.append((item.name, item.hex_color or "#9aa0a6"))
        return subtitle, tuple(badges)
    subtitle = ", ".join(str(data[k]) for k in ("city", "state", "country") if data.get(k))
    if data.get("is_customer"):
        badges.append(("Customer", "#3f9c48"))
    return subtitle, tuple(badges)


def build_detail(
    session: Session,
    entity: Entity,
    rid: int,
    formats: DisplayFormats,
    *,
    include_empty: bool = False,
) -> RecordDetail | None:
    """The detail of record ``rid`` of ``entity``, or None when the store has no such row."""
    record = session.records.get(entity, rid)
    if record is None:
        return None
    data = record.data
    fieldset = session.fieldset(entity)
    names = RecordNames(session)
    currency = data.get("currency")
    code = currency.get("code") if isinstance(currency, Mapping) else None
    hidden = _SHOWN_ELSEWHERE.get(entity, set())
    standard = [s for s in fieldset if not s.is_custom and s.name not in hidden]
    sections = [
        DetailSection("Overview", _fields(standard, data, formats, names, code, include_empty))
    ]
    # /account carries one "custom_field_groups" list; the admin endpoints one per entity
    groups = {
        **session.lookups.names("custom_field_groups"),
        **session.lookups.names(f"{entity.value}_custom_field_groups"),
    }
    by_group: dict[int | None, list[FieldSpec]] = {}
    for spec in fieldset:
        if spec.is_custom:
            by_group.setdefault(spec.group_id, []).append(spec)
    for group_id, specs in sorted(
        by_group.items(), key=lambda item: (item[0] is None, groups.get(item[0] or 0, ""))
    ):
        title = groups.get(group_id, "Custom fields") if group_id is not None else "Custom fields"
        shown = _fields(specs, data, formats, names, code, include_empty)
        if shown:
            sections.append(DetailSection(title, shown))
    meta = [
        DetailField("created_at", "Created", _stamp(data.get("created_at"), formats)),
        DetailField("updated_at", "Modified", _stamp(data.get("updated_at"), formats)),
    ]
    sections.append(DetailSection("Record", tuple(f for f in meta if f.text)))
    subtitle, badges = _subtitle_and_badges(session, entity, data, formats)
    return RecordDetail(
        entity=entity,
        id=rid,
        title=_title(entity, data),
        subtitle=subtitle,
        sync=record.sync,
        sync_note=SYNC_NOTES.get(record.sync, ""),
        sections=tuple(s for s in sections if s.fields),
        related=tuple(_related(session, entity, rid, data)),
        badges=badges,
        lost_values=_lost_values(session, entity, rid),
    )


def _lost_values(session: Session, entity: Entity, rid: int) -> int:
    """How many lost values of the record can still be restored (the "History…" link)."""
    return sum(1 for item in session.conflicts.history(entity, rid) if item.restored_at is None)


def _stamp(value: Any, formats: DisplayFormats) -> str:
    if not isinstance(value, str) or not value:
        return ""
    try:
        return formats.datetime(parse_timestamp(value))
    except ValueError:
        return value
