"""Typed records. ``crmdesk.api`` builds them from the server's JSON.

Every record keeps the JSON it was built from in ``raw`` (excluded from equality), so keys
this module does not model are never lost on the way through the app.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crmdesk.domain.ids import (
    CalendarEntryId,
    CommentId,
    CompanyId,
    DealId,
    DocumentId,
    LookupId,
    NoteId,
    PersonId,
    UserId,
)

#: A typed custom field value: text, number, date, yes/no, dropdown id, multi-select ids.
CustomValue = str | Decimal | date | bool | int | tuple[int, ...] | None


def _raw() -> Any:
    """The ``raw`` JSON field: kept, but not part of equality or repr."""
    return field(default_factory=dict, compare=False, repr=False, hash=False)


@dataclass(frozen=True, slots=True)
class Currency:
    """A currency as the API describes it."""

    code: str
    symbol: str = ""
    name: str = ""
    decimal_places: int = 2
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Deal:
    """A deal (opportunity)."""

    id: DealId
    name: str
    summary: str | None = None
    value: Decimal | None = None
    currency: Currency | None = None
    deal_pipeline_id: LookupId | None = None
    deal_stage_id: LookupId | None = None
    status: LookupId | None = None
    probability: int | None = None
    expected_close_date: date | None = None
    closed_time: datetime | None = None
    user_id: UserId | None = None
    source_id: LookupId | None = None
    primary_contact_id: PersonId | None = None
    person_ids: tuple[PersonId, ...] = ()
    company_id: CompanyId | None = None
    company_name: str | None = None
    is_archived: bool = False
    tag_ids: tuple[LookupId, ...] = ()
    shared_user_ids: tuple[UserId, ...] = ()
    next_entry_id: CalendarEntryId | None = None
    next_entry_name: str | None = None
    next_entry_due: date | None = None
    custom_fields: Mapping[str, CustomValue] = field(default_factory=dict, hash=False)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by_user_id: UserId | None = None
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True, slots=True)
class Person:
    """A person: a contact or a lead."""

    id: PersonId
    first_name: str | None = None
    last_name: str | None = None
    full_name: str = ""
    type: str = "Contact"
    position: str | None = None
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    company_id: CompanyId | None = None
    company_name: str | None = None
    user_id: UserId | None = None
    lead_status_id: LookupId | None = None
    lead_source_id: LookupId | None = None
    deal_ids: tuple[DealId, ...] = ()
    tag_ids: tuple[LookupId, ...] = ()
    custom_fields: Mapping[str, CustomValue] = field(default_factory=dict, hash=False)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True, slots=True)
class Company:
    """A company (organisation); ``is_customer`` once it has a won deal / customer record."""

    id: CompanyId
    name: str
    description: str | None = None
    email: str | None = None
    web: str | None = None
    phone1: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    owner_id: UserId | None = None
    is_customer: bool = False
    tag_ids: tuple[LookupId, ...] = ()
    total_pipeline: Decimal | None = None
    won_deals_total: Decimal | None = None
    custom_fields: Mapping[str, CustomValue] = field(default_factory=dict, hash=False)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True, slots=True)
class Note:
    """A note (the web app calls it an activity) on a deal, person or company."""

    id: NoteId
    content: str
    title: str | None = None
    deal_id: DealId | None = None
    person_id: PersonId | None = None
    company_id: CompanyId | None = None
    user_id: UserId | None = None
    note_category_id: LookupId | None = None
    notify_user_ids: tuple[UserId, ...] = ()
    is_private: bool = False
    is_sent_message: bool | None = None
    primary_association_type: str | None = None
    primary_association_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment on a note."""

    id: CommentId
    note_id: NoteId
    comment: str
    user_id: UserId | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """A task (``CalendarTask``) or event (``CalendarEvent``), possibly part of a series."""

    id: CalendarEntryId
    type: str
    name: str
    description: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    all_day: bool = False
    due_date: date | None = None
    complete: bool = False
    active: bool = True
    category_id: LookupId | None = None
    owner_id: UserId | None = None
    association_type: str | None = None
    association_id: int | None = None
    company_id: CompanyId | None = None
    rrule: str | None = None
    rdate: str | None = None
    exrule: str | None = None
    exdate: str | None = None
    recurrence_end: date | None = None
    base_entry_id: CalendarEntryId | None = None
    part_of_recurring_series: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = _raw()

    @property
    def is_task(self) -> bool:
        """True for a task, False for an event."""
        return self.type == "CalendarTask"


@dataclass(frozen=True, slots=True)
class Document:
    """A file attached to a record; the server fetches it asynchronously."""

    id: DocumentId
    title: str
    upload_state: str = "pending"  # pending | complete | error
    upload_error: str | None = None
    size_in_k: float | None = None
    etag: str | None = None
    public_link: str | None = None
    document_type: str | None = None
    deal_id: DealId | None = None
    person_id: PersonId | None = None
    company_id: CompanyId | None = None
    owner_id: UserId | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True, slots=True)
class User:
    """A user of the account."""

    id: UserId
    first_name: str = ""
    last_name: str = ""
    email: str | None = None
    level: int | None = None
    is_account_admin: bool = False
    time_zone: str | None = None
    active: bool = True
    raw: Mapping[str, Any] = _raw()

    @property
    def full_name(self) -> str:
        """First and last name, or the e-mail when both are blank."""
        return " ".join(p for p in (self.first_name, self.last_name) if p) or (self.email or "")


@dataclass(frozen=True, slots=True)
class Profile:
    """Who the API key belongs to (``GET /profile``)."""

    user: User
    account_id: int | None = None
    date_format: str | None = None
    time_format: str | None = None
    currency: Currency | None = None


@dataclass(frozen=True, slots=True)
class LookupItem:
    """A row of an admin lookup list (stage, status, source, category, tag...).

    The optional fields carry what some lists have: a stage's ``percent`` and pipeline,
    a status's ``hex_color``, a list's ``position``.
    """

    kind: str  # the list it belongs to, e.g. "deal_stages"
    id: LookupId
    name: str
    percent: int | None = None
    hex_color: str | None = None
    position: int | None = None
    parent_id: int | None = None  # deal_pipeline_id of a stage, label id of a dropdown entry
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True, slots=True)
class CustomFieldLabel:
    """The definition of a custom field on deals, people or companies."""

    id: int
    entity: str  # "deal" | "person" | "company"
    name: str
    field_type: str
    position: int = 0
    is_required: bool = False
    group_id: int | None = None
    dropdown_entries: tuple[LookupItem, ...] = ()
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True, slots=True)
class SavedSearch:
    """A saved search of the account; ``query`` holds ``conditions`` keys and values."""

    id: int
    name: str
    search_type: str  # deals | people | companies | activities | todos
    query: Mapping[str, Any] = field(default_factory=dict, hash=False)
    columns: tuple[str, ...] = ()
    sort: str | None = None
    is_shared: bool = False
    user_id: UserId | None = None
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True, slots=True)
class AccountNotification:
    """A notice to the account's users (``/account_notifications``); ``text`` is HTML."""

    id: int
    text: str
    seen: bool = False
    read_at: datetime | None = None
    user_id: UserId | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """The account as ``GET /account`` describes it, with the lookup lists it embeds.

    ``lookups`` maps a list's name (``deal_stages``, ``lead_sources``...) to its rows.
    """

    id: int
    company_name: str = ""
    currency: Currency | None = None
    currencies: tuple[Currency, ...] = ()
    date_format: str | None = None
    time_format: str | None = None
    visibility_settings: str | None = None
    recurring_end_date_months: int | None = None
    lookups: Mapping[str, tuple[LookupItem, ...]] = field(default_factory=dict, hash=False)
    custom_field_labels: tuple[CustomFieldLabel, ...] = ()
    users: tuple[User, ...] = ()
    raw: Mapping[str, Any] = _raw()
