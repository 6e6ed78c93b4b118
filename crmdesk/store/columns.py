"""Which parts of each entity's JSON the store keeps as SQL columns, and how.

Every record table has the common columns (``id``, ``server``, ``local``, ``sync``, ``gone``),
the columns listed here (extracted from the effective JSON by ``extract``), and *derived*
columns filled in SQL from other tables (a deal's company name, owner name, stage position)
so the tables can sort on them through an index. Triggers keep derived columns current
when a company, user or stage is renamed (see ``schema``).

Timestamps are stored as UTC epoch seconds and dates as ``YYYYMMDD`` integers: smaller than
text, and they sort and compare as numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from math import isfinite
from typing import Any, TypeGuard

from crmdesk.domain.entities import Entity
from crmdesk.domain.fields import Ref, standard_fields
from crmdesk.domain.money import parse_decimal
from crmdesk.domain.timefmt import parse_date, parse_timestamp

Getter = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Column:
    """A column taken from the record's JSON."""

    name: str
    sql_type: str
    get: Getter
    sort: bool = False  # has a (column, id) index, so the tables can sort on it
    index: bool = False  # has a plain index (filters, foreign keys)
    nocase: bool = False  # text compared and sorted case-insensitively
    few: bool = False  # few distinct values: its sort index stays up during bulk loads


@dataclass(frozen=True, slots=True)
class Derived:
    """A column computed in SQL from another table, with a fallback from the JSON."""

    name: str
    sql_type: str
    source: str  # the column of this table the lookup keys on
    lookup: str  # SQL expression with ``?`` for the key
    fallback: Getter
    sort: bool = True
    nocase: bool = False
    few: bool = False  # see Column.few


@dataclass(frozen=True, slots=True)
class EntityTable:
    """The SQL layout of one entity."""

    entity: Entity
    table: str
    columns: tuple[Column, ...]
    derived: tuple[Derived, ...] = ()
    fts: tuple[str, ...] = ()  # columns in the full-text index (empty: no index)

    @property
    def fts_table(self) -> str:
        """Name of the FTS5 table."""
        return f"{self.table}_fts"

    @property
    def column_names(self) -> tuple[str, ...]:
        """Extracted then derived column names, in table order."""
        return tuple(c.name for c in self.columns) + tuple(d.name for d in self.derived)

    def extract(self, record: Mapping[str, Any]) -> tuple[Any, ...]:
        """Values of ``columns`` for an effective record."""
        return tuple(column.get(record) for column in self.columns)

    def fallbacks(self, record: Mapping[str, Any]) -> tuple[Any, ...]:
        """Fallback values of the derived columns (used when the lookup finds nothing)."""
        return tuple(d.fallback(record) for d in self.derived)


# ------------------------------------------------------------------ getters


def _text(key: str) -> Getter:
    def get(record: Mapping[str, Any]) -> Any:
        value = record.get(key)
        return value if isinstance(value, str) and value else None

    return get


def _int(key: str) -> Getter:
    def get(record: Mapping[str, Any]) -> Any:
        value = record.get(key)
        if isinstance(value, bool) or value is None:
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    return get


def _bool(key: str) -> Getter:
    def get(record: Mapping[str, Any]) -> Any:
        value = record.get(key)
        return None if value is None else int(bool(value))

    return get


def _money(key: str) -> Getter:
    def get(record: Mapping[str, Any]) -> Any:
        value = record.get(key)
        if value.__class__ is str:
            # float() parses every plain decimal string to the same double that
            # float(Decimal(text)) gives, 4x faster; anything else takes the exact path.
            try:
                number = float(value)
            except ValueError:
                pass
            else:
                return number if isfinite(number) else None
        try:
            parsed = parse_decimal(value)
        except ValueError:
            return None
        return None if parsed is None else float(parsed)

    return get


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def epoch(value: Any) -> int | None:
    """UTC epoch seconds of an API timestamp, None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    # Fast path for the API's own form, "2026/08/05 09:01:14 -0400" (pulls parse millions).
    if len(value) == 25 and value[19] == " " and value[20] in "+-" and value[4] == "/":
        try:
            days = _day_seconds(value[0:10])
            offset = int(value[21:23]) * 3600 + int(value[23:25]) * 60
            seconds = days + int(value[11:13]) * 3600 + int(value[14:16]) * 60 + int(value[17:19])
            return seconds - offset if value[20] == "+" else seconds + offset
        except ValueError:
            pass
    try:
        return int(parse_timestamp(value).timestamp())
    except ValueError:
        return None


# A pull has a few thousand distinct days among millions of timestamps: parse each once.
_DAY_SECONDS: dict[str, int] = {}
_DAY_NUMBERS: dict[str, int | None] = {}
_CACHE_LIMIT = 50_000


def _day_seconds(text: str) -> int:
    """Epoch seconds of midnight UTC of ``YYYY/MM/DD`` (ValueError if not a real day)."""
    found = _DAY_SECONDS.get(text)
    if found is None:
        if text[4] != "/" or text[7] != "/":
            raise ValueError(text)
        day = date(int(text[0:4]), int(text[5:7]), int(text[8:10]))
        found = (day.toordinal() - _EPOCH_ORDINAL) * 86400
        if len(_DAY_SECONDS) >= _CACHE_LIMIT:
            _DAY_SECONDS.clear()
        _DAY_SECONDS[text] = found
    return found


def day_number(value: Any) -> int | None:
    """``YYYYMMDD`` of an API date (``2026/08/05`` or ``2026-08-05``), None otherwise."""
    if not isinstance(value, str) or not value:
        return None
    if value in _DAY_NUMBERS:
        return _DAY_NUMBERS[value]
    try:
        day = parse_date(value)
    except ValueError:
        number = None
    else:
        number = day.year * 10000 + day.month * 100 + day.day
    if len(_DAY_NUMBERS) >= _CACHE_LIMIT:
        _DAY_NUMBERS.clear()
    _DAY_NUMBERS[value] = number
    return number


def _is_mapping(value: Any) -> TypeGuard[Mapping[str, Any]]:
    # The isinstance check against the Mapping ABC costs ~0.5 µs; JSON objects are dicts.
    return value.__class__ is dict or isinstance(value, Mapping)


def _ts(key: str) -> Getter:
    return lambda record: epoch(record.get(key))


def _date(key: str) -> Getter:
    return lambda record: day_number(record.get(key))


def _nested(key: str, inner: str) -> Getter:
    def get(record: Mapping[str, Any]) -> Any:
        value = record.get(key)
        return value.get(inner) if _is_mapping(value) else None

    return get


def _mini_name(key: str) -> Getter:
    """Full name of an embedded ``{id, first_name, last_name}`` object."""

    def get(record: Mapping[str, Any]) -> Any:
        value = record.get(key)
        if not _is_mapping(value):
            return None
        parts = [value.get("first_name"), value.get("last_name")]
        return " ".join(p for p in parts if isinstance(p, str) and p) or value.get("full_name")

    return get


def _person_name(record: Mapping[str, Any]) -> Any:
    parts = [record.get("first_name"), record.get("last_name")]
    joined = " ".join(p for p in parts if isinstance(p, str) and p)
    return joined or _text("full_name")(record)


def _currency(record: Mapping[str, Any]) -> Any:
    value = record.get("currency")
    return value.get("code") if _is_mapping(value) else None


_NOT_DIGIT = re.compile(r"\D+")


def _contact(emails: tuple[str, ...], phones: tuple[str, ...]) -> Getter:
    """Emails and phones for the search index; phones also as bare digits, whole and
    without a country/area prefix, so "5551234" finds "+1 (555) 123-4567"."""

    def get(record: Mapping[str, Any]) -> Any:
        parts = [v for v in (record.get(k) for k in emails) if isinstance(v, str) and v]
        for key in phones:
            phone = record.get(key)
            if isinstance(phone, str) and phone:
                parts.append(phone)
                digits = _NOT_DIGIT.sub("", phone)
                for form in dict.fromkeys((digits, digits[-10:], digits[-7:])):
                    if len(form) >= 4:
                        parts.append(form)
        return " ".join(parts) or None

    return get


def _company_name_of_person(record: Mapping[str, Any]) -> Any:
    return _text("company_name")(record) or _nested("company", "name")(record)


_COMPANY_NAME = "(SELECT name FROM companies WHERE id = ?)"
_USER_NAME = "(SELECT name FROM users WHERE id = ?)"

# ------------------------------------------------------------------ the tables

DEALS = EntityTable(
    Entity.DEAL,
    "deals",
    (
        Column("name", "TEXT", _text("name"), sort=True, nocase=True),
        Column("value", "REAL", _money("value"), sort=True),
        Column("currency", "TEXT", _currency),
        Column("pipeline_id", "INTEGER", _int("deal_pipeline_id")),
        Column("stage_id", "INTEGER", _int("deal_stage_id"), index=True),
        Column("status", "INTEGER", _int("status"), sort=True, few=True),
        Column("probability", "INTEGER", _int("probability"), sort=True, few=True),
        Column("close_date", "INTEGER", _date("expected_close_date"), sort=True),
        Column("closed_at", "INTEGER", _ts("closed_time")),
        Column("owner_id", "INTEGER", _int("user_id"), index=True),
        Column("company_id", "INTEGER", _int("company_id"), index=True),
        Column("contact_id", "INTEGER", _int("primary_contact_id")),
        Column("source_id", "INTEGER", _int("source_id")),
        Column("archived", "INTEGER", _bool("is_archived")),
        Column("created_at", "INTEGER", _ts("created_at"), sort=True),
        Column("updated_at", "INTEGER", _ts("updated_at"), sort=True),
    ),
    (
        Derived(
            "company_name",
            "TEXT",
            "company_id",
            _COMPANY_NAME,
            _nested("company", "name"),
            nocase=True,
        ),
        Derived(
            "owner_name", "TEXT", "owner_id", _USER_NAME, _mini_name("user"), nocase=True, few=True
        ),
        Derived(
            "stage_pos",
            "INTEGER",
            "stage_id",
            "(SELECT percent FROM lookups WHERE kind = 'deal_stages' AND id = ?)",
            _nested("deal_stage", "percent"),
            few=True,
        ),
    ),
    fts=("name", "company_name"),
)

PEOPLE = EntityTable(
    Entity.PERSON,
    "people",
    (
        Column("name", "TEXT", _person_name, sort=True, nocase=True),
        Column("type", "TEXT", _text("type")),
        Column("position", "TEXT", _text("position")),
        Column("email", "TEXT", _text("email"), sort=True, nocase=True),
        Column("phone", "TEXT", _text("phone")),
        Column("city", "TEXT", _text("work_city")),
        Column("company_id", "INTEGER", _int("company_id"), index=True),
        Column("owner_id", "INTEGER", _int("user_id"), index=True),
        Column("lead_status_id", "INTEGER", _int("lead_status_id"), index=True),
        Column("lead_source_id", "INTEGER", _int("lead_source_id")),
        Column("created_at", "INTEGER", _ts("created_at"), sort=True),
        Column("updated_at", "INTEGER", _ts("updated_at"), sort=True),
        Column(
            "contact",
            "TEXT",
            _contact(("email", "email2", "home_email"), ("phone", "mobile", "home_phone")),
        ),
    ),
    (
        Derived(
            "company_name",
            "TEXT",
            "company_id",
            _COMPANY_NAME,
            _company_name_of_person,
            nocase=True,
        ),
        Derived(
            "owner_name", "TEXT", "owner_id", _USER_NAME, _mini_name("user"), nocase=True, few=True
        ),
    ),
    fts=("name", "company_name", "contact"),
)

COMPANIES = EntityTable(
    Entity.COMPANY,
    "companies",
    (
        Column("name", "TEXT", _text("name"), sort=True, nocase=True),
        Column("email", "TEXT", _text("email")),
        Column("phone", "TEXT", _text("phone1")),
        Column("web", "TEXT", _text("web")),
        Column("city", "TEXT", _text("city"), sort=True, nocase=True),
        Column("country", "TEXT", _text("country")),
        Column("owner_id", "INTEGER", _int("owner_id"), index=True),
        Column("is_customer", "INTEGER", _bool("is_customer")),
        Column("created_at", "INTEGER", _ts("created_at"), sort=True),
        Column("updated_at", "INTEGER", _ts("updated_at"), sort=True),
        Column(
            "contact",
            "TEXT",
            _contact(("email",), ("phone1", "phone2", "phone3", "phone4", "fax")),
        ),
    ),
    (
        Derived(
            "owner_name", "TEXT", "owner_id", _USER_NAME, _mini_name("owner"), nocase=True, few=True
        ),
    ),
    fts=("name", "contact"),
)

NOTES = EntityTable(
    Entity.NOTE,
    "notes",
    (
        Column("title", "TEXT", _text("title")),
        Column("content", "TEXT", _text("content")),
        Column("deal_id", "INTEGER", _int("deal_id"), index=True),
        Column("person_id", "INTEGER", _int("person_id"), index=True),
        Column("company_id", "INTEGER", _int("company_id"), index=True),
        Column("user_id", "INTEGER", _int("user_id")),
        Column("category_id", "INTEGER", _int("note_category_id")),
        Column("created_at", "INTEGER", _ts("created_at"), sort=True),
        Column("updated_at", "INTEGER", _ts("updated_at")),
    ),
    fts=("title", "content"),
)

COMMENTS = EntityTable(
    Entity.COMMENT,
    "comments",
    (
        Column("note_id", "INTEGER", _int("note_id"), index=True),
        Column("user_id", "INTEGER", _int("user_id")),
        Column("created_at", "INTEGER", _ts("created_at")),
        Column("updated_at", "INTEGER", _ts("updated_at")),
    ),
)

CALENDAR_ENTRIES = EntityTable(
    Entity.CALENDAR_ENTRY,
    "calendar_entries",
    (
        Column("type", "TEXT", _text("type")),
        Column("name", "TEXT", _text("name")),
        Column("owner_id", "INTEGER", _int("owner_id"), index=True),
        Column("start_at", "INTEGER", _ts("start_time"), sort=True),
        Column("end_at", "INTEGER", _ts("end_time")),
        Column("due_date", "INTEGER", _date("due_date"), sort=True),
        Column("complete", "INTEGER", _bool("complete")),
        Column("active", "INTEGER", _bool("active")),
        Column("association_type", "TEXT", _text("association_type")),
        Column("association_id", "INTEGER", _int("association_id"), index=True),
        Column("company_id", "INTEGER", _int("company_id")),
        Column("base_entry_id", "INTEGER", _int("base_entry_id"), index=True),
        Column("updated_at", "INTEGER", _ts("updated_at")),
    ),
)

DOCUMENTS = EntityTable(
    Entity.DOCUMENT,
    "documents",
    (
        Column("title", "TEXT", _text("title")),
        Column("deal_id", "INTEGER", _int("deal_id"), index=True),
        Column("person_id", "INTEGER", _int("person_id"), index=True),
        Column("company_id", "INTEGER", _int("company_id"), index=True),
        Column("calendar_entry_id", "INTEGER", _int("calendar_entry_id")),
        Column("owner_id", "INTEGER", _int("owner_id")),
        Column("upload_state", "TEXT", _text("upload_state")),
        Column("updated_at", "INTEGER", _ts("updated_at")),
    ),
)

USERS = EntityTable(
    Entity.USER,
    "users",
    (
        Column("name", "TEXT", _person_name, sort=True, nocase=True),
        Column("email", "TEXT", _text("email")),
        Column("active", "INTEGER", lambda r: int(r.get("deleted_at") is None)),
    ),
)

TABLES: dict[Entity, EntityTable] = {
    t.entity: t
    for t in (DEALS, PEOPLE, COMPANIES, NOTES, COMMENTS, CALENDAR_ENTRIES, DOCUMENTS, USERS)
}

# ------------------------------------------------------------------ references

_REF_ENTITY = {
    Ref.DEAL: Entity.DEAL,
    Ref.PERSON: Entity.PERSON,
    Ref.COMPANY: Entity.COMPANY,
    Ref.CALENDAR_ENTRY: Entity.CALENDAR_ENTRY,
}


@dataclass(frozen=True, slots=True)
class Reference:
    """A field of ``child`` that holds the id (or ids) of a ``parent`` record."""

    child: Entity
    field: str
    parent: Entity
    many: bool = False


def _references() -> tuple[Reference, ...]:
    refs = [
        Reference(entity, spec.name, _REF_ENTITY[spec.ref], many=spec.type.value == "ref_list")
        for entity in Entity
        for spec in standard_fields(entity)
        if spec.ref in _REF_ENTITY
    ]
    refs.append(Reference(Entity.COMMENT, "note_id", Entity.NOTE))
    return tuple(refs)


#: Every field that points at another record: used to hold a child back until its parent
#: exists on the server, and to re-point it once the parent's server id is known.
REFERENCES = _references()

#: calendar entries point at a deal, person or company through association_type + _id.
ASSOCIATION_TYPES = {"Deal": Entity.DEAL, "Person": Entity.PERSON, "Company": Entity.COMPANY}
