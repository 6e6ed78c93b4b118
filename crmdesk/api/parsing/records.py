"""JSON objects of the API -> typed domain records (deals, people, companies, notes...).

Parsing is tolerant: a missing key takes the record's default, an extra key is ignored (it
stays in ``raw``), a value of the wrong type becomes None. Only an object that cannot be a
record at all (not a JSON object, no usable ``id``) raises ``RecordShapeError``, a
``ProtocolError``. Nothing here touches the network, so services can parse stored JSON.

Custom field values are typed by their labels' ``field_type``; give the parser the labels
(``RecordParser(custom_types=...)`` or ``use_labels``) or they are kept as sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from crmdesk.api.errors import ProtocolError
from crmdesk.api.parsing.values import (
    currency,
    custom_fields,
    day,
    decimal,
    flag,
    ids,
    integer,
    is_date_only,
    nested_id,
    nested_text,
    optional_flag,
    ref,
    text,
    timestamp,
)
from crmdesk.domain.fields import custom_key
from crmdesk.domain.ids import (
    CalendarEntryId,
    CommentId,
    CompanyId,
    DealId,
    DocumentId,
    NoteId,
    PersonId,
    UserId,
)
from crmdesk.domain.records import (
    CalendarEntry,
    Comment,
    Company,
    CustomFieldLabel,
    Deal,
    Document,
    Note,
    Person,
    User,
)

_UPLOAD_STATES = {1: "pending", 2: "complete", 3: "error"}


class RecordShapeError(ProtocolError):
    """A JSON value that cannot be the record it should be."""


def record_id(raw: Any, what: str) -> int:
    """The ``id`` of a JSON object, or RecordShapeError naming ``what`` was expected."""
    if not isinstance(raw, dict):
        raise RecordShapeError(f"expected a {what} object, got {type(raw).__name__}")
    value = raw.get("id")
    number = value if type(value) is int else integer(value)
    if number is None:
        raise RecordShapeError(f"a {what} in the reply has no usable id ({value!r})")
    return number


class RecordParser:
    """Builds domain records from API JSON; knows the custom field types of the account."""

    def __init__(self, custom_types: Mapping[str, str] | None = None) -> None:
        self.custom_types: dict[str, str] = dict(custom_types or {})

    def use_labels(self, labels: Iterable[CustomFieldLabel]) -> None:
        """Type custom fields by these labels from now on (adds to what is known)."""
        for label in labels:
            self.custom_types[custom_key(label.id)] = label.field_type

    # ------------------------------------------------------------------ core records

    def deal(self, raw: Any) -> Deal:
        """A Deal from a deal object."""
        deal_id = record_id(raw, "deal")
        get = raw.get
        value = decimal(get("value"))
        if value is None and get("value") is None:
            cents = get("value_in_cents")  # the only amount in 2013-era replies
            if type(cents) is int:
                value = Decimal(cents) / 100
        company = get("company")
        return Deal(
            id=DealId(deal_id),
            name=text(get("name")) or "",
            summary=text(get("summary")),
            value=value,
            currency=currency(get("currency")),
            deal_pipeline_id=nested_id(raw, "deal_pipeline_id", "deal_pipeline"),
            deal_stage_id=nested_id(raw, "deal_stage_id", "deal_stage"),
            status=nested_id(raw, "status", "deal_status"),
            probability=integer(get("probability")),
            expected_close_date=day(get("expected_close_date")),
            closed_time=timestamp(get("closed_time")),
            user_id=nested_id(raw, "user_id", "user"),
            source_id=nested_id(raw, "source_id", "source"),
            primary_contact_id=nested_id(raw, "primary_contact_id", "primary_contact"),
            person_ids=ids(get("person_ids")),
            company_id=nested_id(raw, "company_id", "company"),
            company_name=text(company.get("name")) if isinstance(company, dict) else None,
            is_archived=flag(get("is_archived")),
            tag_ids=ids(get("tag_ids")),
            shared_user_ids=ids(get("shared_user_ids")),
            next_entry_id=ref(get("next_entry_id")),
            next_entry_name=text(get("next_entry_name")),
            next_entry_due=day(get("next_entry_due")),
            custom_fields=custom_fields(get("custom_fields"), self.custom_types),
            created_at=timestamp(get("created_at")),
            updated_at=timestamp(get("updated_at")),
            updated_by_user_id=nested_id(raw, "updated_by_user_id", "updated_by_user"),
            raw=raw,
        )

    def person(self, raw: Any) -> Person:
        """A Person from a person object."""
        person_id = record_id(raw, "person")
        get = raw.get
        first, last = text(get("first_name")), text(get("last_name"))
        full = text(get("full_name")) or " ".join(p for p in (first, last) if p)
        company_name = text(get("company_name")) or nested_text(raw, "company")
        return Person(
            id=PersonId(person_id),
            first_name=first,
            last_name=last,
            full_name=full,
            type=text(get("type")) or "Contact",
            position=text(get("position")),
            email=text(get("email")),
            phone=text(get("phone")),
            mobile=text(get("mobile")),
            company_id=nested_id(raw, "company_id", "company"),
            company_name=company_name,
            user_id=nested_id(raw, "user_id", "user"),
            lead_status_id=nested_id(raw, "lead_status_id", "lead_status"),
            lead_source_id=nested_id(raw, "lead_source_id", "lead_source"),
            deal_ids=ids(get("deal_ids")),
            tag_ids=ids(get("predefined_contacts_tag_ids")),
            custom_fields=custom_fields(get("custom_fields"), self.custom_types),
            created_at=timestamp(get("created_at")),
            updated_at=timestamp(get("updated_at")),
            raw=raw,
        )

    def company(self, raw: Any) -> Company:
        """A Company from a company object."""
        company_id = record_id(raw, "company")
        get = raw.get
        return Company(
            id=CompanyId(company_id),
            name=text(get("name")) or "",
            description=text(get("description")),
            email=text(get("email")),
            web=text(get("web")),
            phone1=text(get("phone1")),
            city=text(get("city")),
            state=text(get("state")),
            country=text(get("country")),
            owner_id=nested_id(raw, "owner_id", "owner"),
            is_customer=flag(get("is_customer")),
            tag_ids=ids(get("tag_ids")),
            total_pipeline=decimal(get("total_pipeline")),
            won_deals_total=decimal(get("won_deals_total")),
            custom_fields=custom_fields(get("custom_fields"), self.custom_types),
            created_at=timestamp(get("created_at")),
            updated_at=timestamp(get("updated_at")),
            raw=raw,
        )

    def note(self, raw: Any) -> Note:
        """A Note from a note (activity) object."""
        note_id = record_id(raw, "note")
        get = raw.get
        return Note(
            id=NoteId(note_id),
            content=text(get("content")) or "",
            title=text(get("title")),
            deal_id=nested_id(raw, "deal_id", "deal"),
            person_id=nested_id(raw, "person_id", "person"),
            company_id=nested_id(raw, "company_id", "company"),
            user_id=nested_id(raw, "user_id", "user"),
            note_category_id=nested_id(raw, "note_category_id", "note_category"),
            notify_user_ids=ids(get("notify_user_ids")),
            is_private=flag(get("is_private")),
            is_sent_message=optional_flag(get("is_sent_message")),
            primary_association_type=text(get("primary_association_type")),
            primary_association_id=integer(get("primary_association_id")),
            created_at=timestamp(get("created_at")),
            updated_at=timestamp(get("updated_at")),
            raw=raw,
        )

    def comment(self, raw: Any) -> Comment:
        """A Comment from a comment object."""
        comment_id = record_id(raw, "comment")
        get = raw.get
        return Comment(
            id=CommentId(comment_id),
            note_id=NoteId(integer(get("note_id")) or 0),
            comment=text(get("comment")) or "",
            user_id=nested_id(raw, "user_id", "user"),
            created_at=timestamp(get("created_at")),
            updated_at=timestamp(get("updated_at")),
            raw=raw,
        )

    def calendar_entry(self, raw: Any) -> CalendarEntry:
        """A CalendarEntry (task or event) from a calendar entry object."""
        entry_id = record_id(raw, "calendar entry")
        get = raw.get
        start_raw = get("start_time")
        due = day(get("due_date"))
        if is_date_only(start_raw):  # tasks echo their due date here
            start = None
            due = due or day(start_raw)
        else:
            start = timestamp(start_raw)
        return CalendarEntry(
            id=CalendarEntryId(entry_id),
            type=text(get("type")) or "CalendarTask",
            name=text(get("name")) or "",
            description=text(get("description")),
            start_time=start,
            end_time=None if is_date_only(get("end_time")) else timestamp(get("end_time")),
            all_day=flag(get("all_day")),
            due_date=due,
            complete=flag(get("complete")),
            active=flag(get("active"), default=True),
            category_id=nested_id(raw, "category_id", "category"),
            owner_id=nested_id(raw, "owner_id", "owner"),
            association_type=text(get("association_type")),
            association_id=integer(get("association_id")),
            company_id=ref(get("company_id")),
            rrule=text(get("rrule")) or None,
            rdate=text(get("rdate")) or None,
            exrule=text(get("exrule")) or None,
            exdate=text(get("exdate")) or None,
            recurrence_end=day(get("recurrence_end")),
            base_entry_id=ref(get("base_entry_id")),
            part_of_recurring_series=flag(get("part_of_recurring_series")),
            created_at=timestamp(get("created_at")),
            updated_at=timestamp(get("updated_at")),
            raw=raw,
        )

    def document(self, raw: Any) -> Document:
        """A Document from a document (file) object."""
        document_id = record_id(raw, "document")
        get = raw.get
        state = text(get("upload_state"))
        if state is None:
            state = _UPLOAD_STATES.get(integer(get("upload_status")) or 0, "pending")
        size = get("size_in_k")
        return Document(
            id=DocumentId(document_id),
            title=text(get("title")) or "",
            upload_state=state,
            upload_error=text(get("upload_status_error_message")),
            size_in_k=float(size) if isinstance(size, int | float) and size is not True else None,
            etag=text(get("etag")),
            public_link=text(get("public_link")),
            document_type=text(get("document_type")),
            deal_id=nested_id(raw, "deal_id", "deal"),
            person_id=nested_id(raw, "person_id", "person"),
            company_id=nested_id(raw, "company_id", "company"),
            owner_id=nested_id(raw, "owner_id", "owner"),
            created_at=timestamp(get("created_at")),
            updated_at=timestamp(get("updated_at")),
            raw=raw,
        )

    def user(self, raw: Any) -> User:
        """A User from a user (or profile) object; ``active`` is false once deleted."""
        user_id = record_id(raw, "user")
        get = raw.get
        first, last = text(get("first_name")), text(get("last_name"))
        if first is None and last is None and isinstance(get("full_name"), str):
            first, _, last = get("full_name").partition(" ")
        return User(
            id=UserId(user_id),
            first_name=first or "",
            last_name=last or "",
            email=text(get("email")),
            level=integer(get("level")),
            is_account_admin=flag(get("is_account_admin")),
            time_zone=text(get("time_zone")),
            active=get("deleted_at") is None,
            raw=raw,
        )


#: A parser that types custom fields only when told their labels; for one-off use.
DEFAULT_PARSER = RecordParser()
