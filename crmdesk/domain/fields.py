"""The editable fields of each entity, their types, and how values are read and compared.

Field names are the API's wire keys (``deal_stage_id``, ``expected_close_date``); custom
fields are ``custom_label_<id>`` (they travel inside ``custom_fields`` on the wire, see
``crmdesk.domain.patch``). A value in a patch is always a *wire value*: the JSON the API
accepts on input (decimal strings, ``YYYY-MM-DD`` dates). Values read back from the server
use other spellings (``"5000.0"``, ``2026/08/05``), so comparisons go through ``normalize``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Any

from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import FieldError, FieldValueError, UnknownFieldError
from crmdesk.domain.money import decimal_to_wire, parse_decimal
from crmdesk.domain.timefmt import format_date_input, parse_date, parse_timestamp

JSON = Any  # a JSON-compatible value: None, bool, int, str, list, dict

CUSTOM_PREFIX = "custom_label_"


class FieldType(StrEnum):
    """How a field's value is typed, parsed and compared."""

    TEXT = "text"
    LONG_TEXT = "long_text"
    INTEGER = "integer"
    PERCENT = "percent"  # integer 0..100
    DECIMAL = "decimal"
    MONEY = "money"  # a decimal in the record's currency
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    CHOICE = "choice"  # one of FieldSpec.choices (strings)
    REF = "ref"  # id of another record or lookup row (FieldSpec.ref says which)
    REF_LIST = "ref_list"  # list of such ids


class Ref(StrEnum):
    """What a REF / REF_LIST field points at."""

    USER = "user"
    PERSON = "person"
    COMPANY = "company"
    DEAL = "deal"
    CALENDAR_ENTRY = "calendar_entry"
    DEAL_STAGE = "deal_stage"
    DEAL_PIPELINE = "deal_pipeline"
    DEAL_STATUS = "deal_status"
    DEAL_LOSS_REASON = "deal_loss_reason"
    DEAL_WON_REASON = "deal_won_reason"
    REVENUE_TYPE = "revenue_type"
    LEAD_SOURCE = "lead_source"
    LEAD_STATUS = "lead_status"
    NOTE_CATEGORY = "note_category"
    EVENT_CATEGORY = "event_category"
    CALENDAR_ENTRY_PRIORITY = "calendar_entry_priority"
    CALENDAR_ENTRY_STATUS = "calendar_entry_status"
    DEAL_TAG = "deal_tag"
    COMPANY_TAG = "company_tag"
    PEOPLE_TAG = "predefined_contacts_tag"
    DOCUMENT_TAG = "document_tag"
    DROPDOWN_ENTRY = "custom_field_label_dropdown_entry"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One editable field of an entity."""

    name: str
    label: str
    type: FieldType
    ref: Ref | None = None
    required: bool = False
    choices: tuple[str, ...] = ()
    custom_label_id: int | None = None  # set for custom fields
    group_id: int | None = None  # custom field group, for the detail pane layout
    editable: bool = True

    @property
    def is_custom(self) -> bool:
        """True for a custom field (``custom_label_<id>``)."""
        return self.custom_label_id is not None


def _f(name: str, label: str, kind: FieldType = FieldType.TEXT, **kw: Any) -> FieldSpec:
    return FieldSpec(name, label, kind, **kw)


T = FieldType
_ADDRESS = ("address_1", "address_2", "city", "state", "postal_code", "country")

_CATALOGUE: dict[Entity, tuple[FieldSpec, ...]] = {
    Entity.DEAL: (
        _f("name", "Name", required=True),
        _f("summary", "Summary", T.LONG_TEXT),
        _f("value", "Value", T.MONEY),
        _f("deal_pipeline_id", "Pipeline", T.REF, ref=Ref.DEAL_PIPELINE),
        _f("deal_stage_id", "Stage", T.REF, ref=Ref.DEAL_STAGE),
        _f("status", "Status", T.REF, ref=Ref.DEAL_STATUS),
        _f("probability", "Probability", T.PERCENT),
        _f("expected_close_date", "Expected close", T.DATE),
        _f("closed_time", "Closed", T.DATETIME),
        _f("user_id", "Owner", T.REF, ref=Ref.USER),
        _f("source_id", "Source", T.REF, ref=Ref.LEAD_SOURCE),
        _f("primary_contact_id", "Primary contact", T.REF, ref=Ref.PERSON),
        _f("person_ids", "People", T.REF_LIST, ref=Ref.PERSON),
        _f("company_id", "Company", T.REF, ref=Ref.COMPANY),
        _f("deal_loss_reason_id", "Loss reason", T.REF, ref=Ref.DEAL_LOSS_REASON),
        _f("deal_loss_reason_notes", "Loss notes", T.LONG_TEXT),
        _f("deal_won_reason_id", "Won reason", T.REF, ref=Ref.DEAL_WON_REASON),
        _f("deal_won_reason_notes", "Won notes", T.LONG_TEXT),
        _f("revenue_type_id", "Revenue type", T.REF, ref=Ref.REVENUE_TYPE),
        _f("tag_ids", "Tags", T.REF_LIST, ref=Ref.DEAL_TAG),
        _f("shared_user_ids", "Collaborators", T.REF_LIST, ref=Ref.USER),
        _f("is_archived", "Archived", T.BOOLEAN),
        *(_f(n, n.replace("_", " ").capitalize()) for n in _ADDRESS),
    ),
    Entity.PERSON: (
        _f("first_name", "First name"),
        _f("last_name", "Last name"),
        _f("type", "Type", T.CHOICE, choices=("Contact", "Lead")),
        _f("position", "Position"),
        _f("company_id", "Company", T.REF, ref=Ref.COMPANY),
        _f("email", "Email"),
        _f("email2", "Email 2"),
        _f("home_email", "Home email"),
        _f("phone", "Phone"),
        _f("mobile", "Mobile"),
        _f("home_phone", "Home phone"),
        _f("fax", "Fax"),
        _f("website", "Website"),
        _f("user_id", "Owner", T.REF, ref=Ref.USER),
        _f("lead_status_id", "Lead status", T.REF, ref=Ref.LEAD_STATUS),
        _f("lead_source_id", "Lead source", T.REF, ref=Ref.LEAD_SOURCE),
        _f("predefined_contacts_tag_ids", "Tags", T.REF_LIST, ref=Ref.PEOPLE_TAG),
        _f("deal_ids", "Deals", T.REF_LIST, ref=Ref.DEAL),
        _f("summary", "Summary", T.LONG_TEXT),
        _f("is_key_contact", "Key contact", T.BOOLEAN),
        _f("unsubscribed", "Unsubscribed", T.BOOLEAN),
        *(_f(f"work_{n}", "Work " + n.replace("_", " ")) for n in _ADDRESS),
        *(_f(f"home_{n}", "Home " + n.replace("_", " ")) for n in _ADDRESS),
        _f("twitter", "Twitter"),
        _f("linked_in_url", "LinkedIn"),
        _f("facebook_url", "Facebook"),
        _f("instant_message", "Instant message"),
    ),
    Entity.COMPANY: (
        _f("name", "Name", required=True),
        _f("description", "Description", T.LONG_TEXT),
        _f("email", "Email"),
        _f("web", "Website"),
        *(_f(f"phone{i}", f"Phone {i}") for i in range(1, 5)),
        *(_f(f"phone{i}_desc", f"Phone {i} label") for i in range(1, 5)),
        _f("fax", "Fax"),
        *(_f(n, n.replace("_", " ").capitalize()) for n in _ADDRESS),
        _f("owner_id", "Owner", T.REF, ref=Ref.USER),
        _f("tag_ids", "Tags", T.REF_LIST, ref=Ref.COMPANY_TAG),
        _f("shared_user_ids", "Shared with", T.REF_LIST, ref=Ref.USER),
        _f("image_thumb_url", "Image URL"),
        _f("twitter", "Twitter"),
        _f("linked_in_url", "LinkedIn"),
        _f("facebook_url", "Facebook"),
        _f("instant_message", "Instant message"),
    ),
    Entity.NOTE: (
        _f("content", "Note", T.LONG_TEXT, required=True),
        _f("title", "Title"),
        _f("note_category_id", "Category", T.REF, ref=Ref.NOTE_CATEGORY),
        _f("deal_id", "Deal", T.REF, ref=Ref.DEAL),
        _f("person_id", "Person", T.REF, ref=Ref.PERSON),
        _f("company_id", "Company", T.REF, ref=Ref.COMPANY),
        _f("user_id", "Author", T.REF, ref=Ref.USER),
        _f("notify_user_ids", "Notify", T.REF_LIST, ref=Ref.USER),
        _f("is_private", "Private", T.BOOLEAN),
    ),
    Entity.COMMENT: (_f("comment", "Comment", T.LONG_TEXT, required=True),),
    Entity.CALENDAR_ENTRY: (
        _f("type", "Type", T.CHOICE, required=True, choices=("CalendarTask", "CalendarEvent")),
        _f("name", "Name", required=True),
        _f("description", "Description", T.LONG_TEXT),
        _f("category_id", "Category", T.REF, ref=Ref.EVENT_CATEGORY),
        _f("start_time", "Starts", T.DATETIME),
        _f("end_time", "Ends", T.DATETIME),
        _f("all_day", "All day", T.BOOLEAN),
        _f("due_date", "Due", T.DATE),
        _f("complete", "Done", T.BOOLEAN),
        _f("association_type", "Linked to", T.CHOICE, choices=("Deal", "Person", "Company")),
        _f("association_id", "Linked record", T.INTEGER),
        _f("company_id", "Company", T.REF, ref=Ref.COMPANY),
        _f("owner_id", "Owner", T.REF, ref=Ref.USER),
        _f("active", "Active", T.BOOLEAN),
        _f("calendar_entry_priority_id", "Priority", T.REF, ref=Ref.CALENDAR_ENTRY_PRIORITY),
        _f("calendar_entry_status_id", "Status", T.REF, ref=Ref.CALENDAR_ENTRY_STATUS),
        _f("rrule", "Repeats"),
        _f("rdate", "Extra dates"),
        _f("exrule", "Exception rule"),
        _f("exdate", "Skipped dates"),
        _f("recurrence_end", "Repeats until", T.DATE),
    ),
    Entity.DOCUMENT: (
        _f("title", "Title", required=True),
        _f("url", "URL"),
        _f("document_type", "Type"),
        _f("deal_id", "Deal", T.REF, ref=Ref.DEAL),
        _f("person_id", "Person", T.REF, ref=Ref.PERSON),
        _f("company_id", "Company", T.REF, ref=Ref.COMPANY),
        _f("calendar_entry_id", "Calendar entry", T.REF, ref=Ref.CALENDAR_ENTRY),
        _f("document_tag_ids", "Tags", T.REF_LIST, ref=Ref.DOCUMENT_TAG),
    ),
    Entity.USER: (),
}

# custom field_type on the wire -> how we treat it
_CUSTOM_TYPES: dict[str, tuple[FieldType, Ref | None]] = {
    "text": (T.TEXT, None),
    "boolean": (T.BOOLEAN, None),
    "currency": (T.MONEY, None),
    "numeric": (T.DECIMAL, None),
    "date": (T.DATE, None),
    "dropdown": (T.REF, Ref.DROPDOWN_ENTRY),
    "multi_select": (T.REF_LIST, Ref.DROPDOWN_ENTRY),
}


def standard_fields(entity: Entity) -> tuple[FieldSpec, ...]:
    """The built-in editable fields of ``entity``, in display order."""
    return _CATALOGUE[entity]


def custom_key(label_id: int) -> str:
    """Field name of a custom field label."""
    return f"{CUSTOM_PREFIX}{label_id}"


def custom_label_id(name: str) -> int | None:
    """Label id of a custom field name, or None for a standard field."""
    if name.startswith(CUSTOM_PREFIX) and name[len(CUSTOM_PREFIX) :].isdigit():
        return int(name[len(CUSTOM_PREFIX) :])
    return None


def custom_field_spec(
    label_id: int,
    name: str,
    field_type: str,
    *,
    required: bool = False,
    group_id: int | None = None,
) -> FieldSpec:
    """Spec of a custom field from its label; an unknown field_type is read-only text."""
    kind, ref = _CUSTOM_TYPES.get(field_type, (T.TEXT, None))
    return FieldSpec(
        custom_key(label_id),
        name,
        kind,
        ref=ref,
        required=required,
        custom_label_id=label_id,
        group_id=group_id,
        editable=field_type in _CUSTOM_TYPES,
    )


class FieldSet:
    """The fields of one entity: standard ones plus the account's custom fields."""

    def __init__(self, entity: Entity, custom: tuple[FieldSpec, ...] = ()) -> None:
        self.entity = entity
        self._specs = {spec.name: spec for spec in (*standard_fields(entity), *custom)}

    def __iter__(self) -> Iterator[FieldSpec]:
        return iter(self._specs.values())

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def get(self, name: str) -> FieldSpec | None:
        """The spec of ``name``, or None."""
        return self._specs.get(name)

    def spec(self, name: str) -> FieldSpec:
        """The spec of ``name``; UnknownFieldError (with suggestions) if there is none."""
        spec = self._specs.get(name)
        if spec is None:
            raise UnknownFieldError(self.entity.label, name, self._specs)
        return spec

    def find(self, name_or_label: str) -> FieldSpec:
        """Look a field up by wire name or, case-insensitively, by label."""
        spec = self._specs.get(name_or_label)
        if spec is not None:
            return spec
        wanted = name_or_label.strip().lower()
        for candidate in self._specs.values():
            if candidate.label.lower() == wanted:
                return candidate
        raise UnknownFieldError(self.entity.label, name_or_label, self._specs)


# ------------------------------------------------------------------ values


def normalize(spec: FieldSpec | None, value: JSON) -> JSON:
    """Canonical form of a field value for equality tests; never raises.

    ``"5000.0"``, ``"5000"`` and ``5000`` are one value; so are ``2026/08/05`` and
    ``2026-08-05``; ``""`` equals None for text. Values that do not parse are returned as
    they are, so odd server data compares by identity instead of crashing a merge.
    """
    if value is None or spec is None:
        return value
    kind = spec.type
    try:
        if kind in (T.TEXT, T.LONG_TEXT, T.CHOICE):
            return None if value == "" else value
        if kind in (T.DECIMAL, T.MONEY):
            number = parse_decimal(value)
            return None if number is None else decimal_to_wire(number)
        if kind in (T.INTEGER, T.PERCENT, T.REF):
            return None if value == "" else int(value)
        if kind is T.DATE:
            return None if value == "" else parse_date(value).isoformat()
        if kind is T.DATETIME:
            return None if value == "" else parse_timestamp(value).astimezone(UTC).isoformat()
        if kind is T.BOOLEAN:
            return _as_bool(value)
        # REF_LIST
        return sorted(int(v) for v in (value or ()))
    except (TypeError, ValueError):
        return value


def same_value(spec: FieldSpec | None, a: JSON, b: JSON) -> bool:
    """True if two wire values of a field mean the same thing."""
    return bool(normalize(spec, a) == normalize(spec, b))


def _as_bool(value: JSON) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "yes", "y", "1", "on"):
            return True
        if text in ("false", "no", "n", "0", "off", ""):
            return False
    raise ValueError(f"not a yes/no value: {value!r}")


def parse_input(spec: FieldSpec, text: str | None, tz: tzinfo = UTC) -> JSON:
    """Turn what a person typed into the field's wire value.

    Empty input clears the field (None). Dates accept ``YYYY-MM-DD`` and ``YYYY/MM/DD``;
    a datetime without an offset is read in ``tz``. Raises FieldValueError with a message
    naming the field and the expected form.
    """
    if not spec.editable:
        raise FieldValueError(spec.name, "this field cannot be edited")
    raw = "" if text is None else text.strip()
    if raw == "":
        if spec.required:
            raise FieldValueError(spec.name, "is required")
        return [] if spec.type is T.REF_LIST else None
    kind = spec.type
    try:
        if kind in (T.TEXT, T.LONG_TEXT):
            return text
        if kind in (T.DECIMAL, T.MONEY):
            number = parse_decimal(raw)
            return None if number is None else decimal_to_wire(number)
        if kind in (T.INTEGER, T.REF):
            return int(raw)
        if kind is T.PERCENT:
            percent = int(raw.rstrip("%").strip())
            if not 0 <= percent <= 100:
                raise FieldValueError(spec.name, "must be between 0 and 100")
            return percent
        if kind is T.DATE:
            return format_date_input(parse_date(raw))
        if kind is T.DATETIME:
            return format_datetime_input(parse_timestamp(raw, default_tz=tz))
        if kind is T.BOOLEAN:
            return _as_bool(raw)
        if kind is T.REF_LIST:
            return [int(part) for part in raw.replace(";", ",").split(",") if part.strip()]
        # CHOICE
        for choice in spec.choices:
            if choice.lower() == raw.lower():
                return choice
        raise FieldValueError(spec.name, f"must be one of {', '.join(spec.choices)}")
    except FieldValueError:
        raise
    except (TypeError, ValueError):
        raise FieldValueError(spec.name, _expected(kind)) from None


def format_datetime_input(value: datetime) -> str:
    """Wire form of a datetime in a request body: UTC with an explicit offset."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")


def _expected(kind: FieldType) -> str:
    return {
        T.DECIMAL: "must be a number, like 1250.50",
        T.MONEY: "must be an amount, like 1250.50",
        T.INTEGER: "must be a whole number",
        T.REF: "must be a record id (a whole number)",
        T.DATE: "must be a date, like 2026-03-31",
        T.DATETIME: "must be a date and time, like 2026-03-31 14:30",
        T.BOOLEAN: "must be yes or no",
        T.REF_LIST: "must be a list of ids, like 12,15",
    }.get(kind, "has an invalid value")


def check_record(entity: Entity, values: Mapping[str, JSON], fields: FieldSet) -> list[FieldError]:
    """Rules a whole record must meet before it is queued; empty list when it is fine.

    Only rules known to hold on the server are checked here (required names, events with
    start and end); the server's 422 remains the final word.
    """
    errors: list[FieldError] = []

    def blank(name: str) -> bool:
        value = values.get(name)
        return value is None or (isinstance(value, str) and not value.strip())

    for spec in fields:
        if spec.required and blank(spec.name):
            errors.append(FieldError(spec.name, f"{spec.label} is required"))
    if entity is Entity.PERSON and blank("first_name") and blank("last_name"):
        errors.append(FieldError("last_name", "A person needs a first or last name"))
    if entity is Entity.CALENDAR_ENTRY and values.get("type") == "CalendarEvent":
        for name, label in (("start_time", "Start"), ("end_time", "End")):
            if blank(name):
                errors.append(FieldError(name, f"{label} is required for an event"))
    return errors
