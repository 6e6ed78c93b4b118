"""What a record editor shows: the editable fields of a record (or of a new one) in the
detail pane's sections, the text each editor starts with, the choices of lookup and
record fields, and the errors the server gave for the record's refused change.

    forms = EditFormService(store, zone=edits.zone)
    form = forms.form(Entity.DEAL, 42)          # or forms.form(Entity.DEAL) for a new deal
    form.field("deal_stage_id").options         # (Option(3, "Qualified (10%)"), ...)
    forms.search(Ref.PERSON, "ann")             # people are searched, not listed
    forms.stages(pipeline_id)                   # the stages of the pipeline chosen

The editor text of a field is what ``EditService.parse`` reads back (``1250.50``,
``2026-03-31``, ``yes``, an id): unchanged text means an unchanged field, so a save sends
only what was changed. Reads go through the calling thread's read session (small,
indexed reads: a form is built on the GUI thread in a few milliseconds).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, tzinfo
from decimal import Decimal
from typing import Any

from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import FieldError
from crmdesk.domain.fields import JSON, FieldSet, FieldSpec, FieldType, Ref
from crmdesk.domain.money import parse_decimal
from crmdesk.domain.outbox import OpState
from crmdesk.domain.patch import read_field
from crmdesk.domain.sync_status import RecordSync
from crmdesk.domain.timefmt import parse_date, parse_timestamp
from crmdesk.services.form_types import Currency, EditForm, FormField, FormSection, Option
from crmdesk.services.formatting import CURRENCY_SYMBOLS, NO_CENTS, stage_colour
from crmdesk.services.record_detail import LOOKUP_KINDS, RECORD_TABLES
from crmdesk.store import Session, Store

__all__ = ["Currency", "EditForm", "EditFormService", "FormField", "FormSection", "Option"]

#: Record tables with more rows than this are searched by name instead of listed.
LIST_LIMIT = 200
SEARCH_LIMIT = 20

# Fields the editor leaves out: set by the server or edited elsewhere (a person's deals
# are the deals' people; a company's image comes from the web app).
_NOT_EDITED = {
    Entity.PERSON: {"deal_ids"},
    Entity.COMPANY: {"image_thumb_url"},
}
_TITLE_FIELDS = {
    Entity.DEAL: ("name",),
    Entity.PERSON: ("first_name", "last_name"),
    Entity.COMPANY: ("name",),
}


def currency_of(code: str | None) -> Currency:
    """Symbol and decimal places of a currency code ("" symbol: the code is shown)."""
    upper = (code or "").upper() or None
    symbol = CURRENCY_SYMBOLS.get(upper or "", upper or "")
    return Currency(upper, symbol, 0 if upper in NO_CENTS else 2)


def editor_text(spec: FieldSpec, value: JSON, zone: tzinfo = UTC, decimals: int = 2) -> str:
    """The text an editor starts with: the form ``parse_input`` reads back. Values that
    do not parse are shown as they are (the person can fix them)."""
    if value is None or value == "" or value == []:
        return "no" if spec.type is FieldType.BOOLEAN else ""
    kind = spec.type
    try:
        if kind in (FieldType.MONEY, FieldType.DECIMAL):
            number = parse_decimal(value)
            if number is None:
                return ""
            places = decimals if kind is FieldType.MONEY else 0
            exponent = number.as_tuple().exponent
            if isinstance(exponent, int) and -exponent <= places:
                return f"{number.quantize(Decimal(1).scaleb(-places)):f}"
            return f"{number:f}"
        if kind in (FieldType.INTEGER, FieldType.PERCENT, FieldType.REF):
            return str(int(value))
        if kind is FieldType.DATE:
            return parse_date(value).isoformat()
        if kind is FieldType.DATETIME:
            return parse_timestamp(value).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        if kind is FieldType.BOOLEAN:
            truthy = value is True or str(value).strip().lower() in ("true", "1", "yes")
            return "yes" if truthy else "no"
        if kind is FieldType.REF_LIST:
            items = value if isinstance(value, list) else [value]
            return ",".join(str(int(v)) for v in items)
    except (TypeError, ValueError, ArithmeticError):
        return str(value)
    return str(value)


class EditFormService:
    """Builds edit forms and answers the pickers' searches; no writes."""

    def __init__(self, store: Store, *, zone: tzinfo = UTC) -> None:
        self._store = store
        self.zone = zone

    def _session(self) -> Session:
        return self._store.read()

    # -------------------------------------------------------------- forms

    def form(self, entity: Entity, record_id: int | None = None) -> EditForm | None:
        """The form of a record (None when the store has no such record), or of a new
        record when ``record_id`` is None."""
        session = self._session()
        data: Mapping[str, Any] = {}
        sync = RecordSync.NOT_CREATED
        if record_id is not None:
            record = session.records.get(entity, session.ledger.current_id(record_id))
            if record is None:
                return None
            record_id, data, sync = record.id, record.data, record.sync
        fieldset = session.fieldset(entity)
        currency = currency_of(self._currency_code(session, data))
        field_errors, refused = self._refusal(session, entity, record_id)
        placed, loose = _place_errors(fieldset, field_errors)
        skipped = _NOT_EDITED.get(entity, set())
        specs = [s for s in fieldset if s.editable and s.name not in skipped]
        pipeline = read_field(data, "deal_pipeline_id")
        build = _FieldBuilder(self, session, data, currency, placed, pipeline)
        sections = [FormSection("Overview", tuple(build(s) for s in specs if not s.is_custom))]
        groups = {
            **session.lookups.names("custom_field_groups"),
            **session.lookups.names(f"{entity.value}_custom_field_groups"),
        }
        by_group: dict[int | None, list[FieldSpec]] = {}
        for spec in specs:
            if spec.is_custom:
                by_group.setdefault(spec.group_id, []).append(spec)
        for group_id, group_specs in sorted(
            by_group.items(), key=lambda item: (item[0] is None, groups.get(item[0] or 0, ""))
        ):
            title = groups.get(group_id or 0, "Custom fields")
            sections.append(FormSection(title, tuple(build(s) for s in group_specs)))
        return EditForm(
            entity=entity,
            record_id=record_id,
            title=_title(entity, data, record_id),
            sections=tuple(s for s in sections if s.fields),
            currency=currency,
            sync=sync,
            errors=tuple(loose),
            refused_op=refused,
        )

    def _currency_code(self, session: Session, data: Mapping[str, Any]) -> str | None:
        currency = data.get("currency")
        if isinstance(currency, Mapping) and isinstance(currency.get("code"), str):
            return str(currency["code"])
        for key in ("profile", "account"):
            found = (session.lookups.get(key) or {}).get("currency")
            if isinstance(found, Mapping) and isinstance(found.get("code"), str):
                return str(found["code"])
        return None

    def _refusal(
        self, session: Session, entity: Entity, record_id: int | None
    ) -> tuple[list[FieldError], str | None]:
        if record_id is None:
            return [], None
        refused = session.outbox.entries(
            entity=entity, record_id=record_id, states=(OpState.NEEDS_ATTENTION,)
        )
        errors: list[FieldError] = []
        for entry in refused:
            errors.extend(entry.field_errors)
            if not entry.field_errors and entry.last_error:
                errors.append(FieldError("base", entry.last_error))
        return errors, refused[-1].op_id if refused else None

    # -------------------------------------------------------------- choices

    def options(self, spec: FieldSpec) -> tuple[Option, ...] | None:
        """Every choice of a field, or None when it is typed or searched."""
        if spec.type is FieldType.CHOICE:
            return tuple(Option(c, c) for c in spec.choices)
        if spec.type not in (FieldType.REF, FieldType.REF_LIST) or spec.ref is None:
            return None
        session = self._session()
        if spec.ref is Ref.DEAL_STAGE:
            return self.stages(None)
        if spec.ref is Ref.USER:
            return tuple(
                Option(i, (n or f"#{i}") + ("" if active else " (inactive)"))
                for i, n, active in session.conn.execute(
                    "SELECT id, name, active FROM users ORDER BY active = 0, name COLLATE NOCASE"
                )
            )
        table = RECORD_TABLES.get(spec.ref)
        if table is not None:
            count = session.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            if count > LIST_LIMIT:
                return None
            rows = session.conn.execute(
                f"SELECT id, name FROM {table} ORDER BY name COLLATE NOCASE, id"
            )
            return tuple(Option(i, n or f"#{i}") for i, n in rows)
        kind = LOOKUP_KINDS.get(spec.ref)
        if kind is None:
            return None
        items = session.lookups.items(kind)
        if spec.ref is Ref.DROPDOWN_ENTRY:
            items = [i for i in items if i.parent_id == spec.custom_label_id]
        return tuple(Option(int(i.id), i.name or f"#{i.id}", i.hex_color) for i in items)

    def stages(self, pipeline_id: int | None) -> tuple[Option, ...]:
        """Deal stages by percent; of one pipeline when stages know their pipeline."""
        items = sorted(self._session().lookups.items("deal_stages"), key=lambda i: i.percent or 0)
        if pipeline_id is not None and any(i.parent_id is not None for i in items):
            items = [i for i in items if i.parent_id in (None, pipeline_id)]
        return tuple(
            Option(int(i.id), f"{i.name} ({i.percent or 0}%)", stage_colour(i.percent))
            for i in items
        )

    def search(self, ref: Ref, text: str, limit: int = SEARCH_LIMIT) -> list[Option]:
        """Records of a searched table whose name contains ``text`` (best first)."""
        table = RECORD_TABLES.get(ref)
        if table is None:
            return []
        needle = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._session().conn.execute(
            f"SELECT id, name FROM {table} WHERE name LIKE ? ESCAPE '\\' "
            "ORDER BY name NOT LIKE ? ESCAPE '\\', name COLLATE NOCASE, id LIMIT ?",
            (f"%{needle}%", f"{needle}%", limit),
        )
        return [Option(i, n or f"#{i}") for i, n in rows]

    def names(self, ref: Ref, ids: Iterable[int]) -> tuple[Option, ...]:
        """Options of records by id, in the order given (``#id`` for unknown ones)."""
        wanted = [int(i) for i in ids]
        table = RECORD_TABLES.get(ref)
        if not wanted or table is None:
            return tuple(Option(i, f"#{i}") for i in wanted)
        marks = ",".join("?" * len(wanted))
        rows = self._session().conn.execute(
            f"SELECT id, name FROM {table} WHERE id IN ({marks})", wanted
        )
        found = {i: n for i, n in rows}
        return tuple(Option(i, found.get(i) or f"#{i}") for i in wanted)


class _FieldBuilder:
    """Turns specs into FormFields for one form (options of a ref read once)."""

    def __init__(
        self,
        service: EditFormService,
        session: Session,
        data: Mapping[str, Any],
        currency: Currency,
        errors: Mapping[str, str],
        pipeline: JSON,
    ) -> None:
        self._service = service
        self._session = session
        self._data = data
        self._currency = currency
        self._errors = errors
        self._pipeline = pipeline
        self._cache: dict[tuple[Ref | None, int | None], tuple[Option, ...] | None] = {}

    def __call__(self, spec: FieldSpec) -> FormField:
        value = read_field(self._data, spec.name)
        text = editor_text(spec, value, self._service.zone, self._currency.decimals)
        error = self._errors.get(spec.name, "")
        if spec.ref is Ref.DEAL_STAGE:
            pipeline = self._pipeline if isinstance(self._pipeline, int) else None
            return FormField(spec, value, text, self._service.stages(pipeline), error=error)
        key = (spec.ref, spec.custom_label_id)
        if key not in self._cache or spec.type is FieldType.CHOICE:
            self._cache[key] = self._service.options(spec)
        options = self._cache[key]
        if options is None and spec.ref in RECORD_TABLES and spec.ref is not None:
            ids = [value] if spec.type is FieldType.REF else (value or [])
            ids = [i for i in ids if isinstance(i, int)]
            selected = self._service.names(spec.ref, ids)
            return FormField(spec, value, text, None, spec.ref, selected, error)
        return FormField(spec, value, text, options, error=error)


def _place_errors(
    fieldset: FieldSet, errors: Iterable[FieldError]
) -> tuple[dict[str, str], list[str]]:
    """Server errors by field name (``deal_stage`` finds ``deal_stage_id``); the rest as
    sentences for the form's top."""
    placed: dict[str, str] = {}
    loose: list[str] = []
    for error in errors:
        name = next(
            (n for n in (error.field, f"{error.field}_id") if n in fieldset),
            None,
        )
        if name is None or error.field == "base":
            loose.append(error.message if error.field == "base" else str(error))
            continue
        message = error.message
        placed[name] = f"{placed[name]}; {message}" if name in placed else message
    return placed, loose


def _title(entity: Entity, data: Mapping[str, Any], record_id: int | None) -> str:
    if record_id is None:
        return f"New {entity.label.lower()}"
    parts = [data.get(n) for n in _TITLE_FIELDS.get(entity, ("name",))]
    text = " ".join(p for p in parts if isinstance(p, str) and p)
    return text or "(no name)"
