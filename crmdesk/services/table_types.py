"""Plain values the tables, filters, saved views and detail pane exchange with the UI.

Stdlib + domain only: the UI imports this module for types and receives the service
objects themselves (``crmdesk.services.browse``) from the composition root, so that it
never imports the store, not even indirectly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from enum import StrEnum

from crmdesk.domain.entities import Entity
from crmdesk.domain.sync_status import RecordSync


class Align(StrEnum):
    """Horizontal alignment of a column's cells."""

    LEFT = "left"
    RIGHT = "right"
    CENTER = "center"


@dataclass(frozen=True, slots=True)
class Column:
    """One column a table can show. ``key`` is stable (saved views and settings use it)."""

    key: str
    title: str
    width: int = 140
    align: Align = Align.LEFT
    sortable: bool = False
    visible: bool = True  # shown by default
    tooltip: str = ""
    icon_only: bool = False  # the table shows the colour chip; the text is the tooltip


@dataclass(frozen=True, slots=True)
class Filter:
    """What rows a table shows. Empty fields do not filter; ranges are inclusive."""

    text: str = ""
    owner_ids: tuple[int, ...] = ()
    stage_ids: tuple[int, ...] = ()  # deals
    statuses: tuple[int, ...] = ()  # deals
    source_ids: tuple[int, ...] = ()  # deals
    lead_source_ids: tuple[int, ...] = ()  # people
    lead_status_ids: tuple[int, ...] = ()  # people
    person_types: tuple[str, ...] = ()  # people: "Contact" / "Lead"
    company_ids: tuple[int, ...] = ()
    is_customer: bool | None = None  # companies
    value_min: float | None = None  # deals
    value_max: float | None = None
    close_from: date | None = None  # deals: expected close
    close_to: date | None = None
    modified_from: datetime | None = None
    modified_to: datetime | None = None
    sync: tuple[RecordSync, ...] = ()

    def without_text(self) -> Filter:
        """The same filter with no search text."""
        return replace(self, text="")

    @property
    def active_count(self) -> int:
        """How many filters (search text excluded; a range counts once) are set."""
        groups = set()
        for spec in fields(self):
            if spec.name != "text" and getattr(self, spec.name) not in (None, (), ""):
                groups.add(_RANGE_GROUPS.get(spec.name, spec.name))
        return len(groups)


_RANGE_GROUPS = {
    "value_min": "value",
    "value_max": "value",
    "close_from": "close",
    "close_to": "close",
    "modified_from": "modified",
    "modified_to": "modified",
}


@dataclass(frozen=True, slots=True)
class Sort:
    """Order by one sortable column key, ties by id."""

    key: str = "name"
    descending: bool = False


@dataclass(frozen=True, slots=True)
class ViewSpec:
    """Everything a view decides: which rows, their order, which columns in which order.

    ``columns`` empty means "the table's current columns" (a view that only filters).
    """

    entity: Entity
    filter: Filter = Filter()
    sort: Sort = Sort()
    columns: tuple[str, ...] = ()


class ViewOrigin(StrEnum):
    """Where a saved view comes from."""

    ACCOUNT = "account"  # a saved search of the account (GET /searches), read-only here
    LOCAL = "local"  # made in crmdesk, kept on this computer


@dataclass(frozen=True, slots=True)
class SavedView:
    """A named view. ``unmapped`` lists conditions of an account search crmdesk cannot apply
    locally (the view then shows more rows than the web app would)."""

    id: str
    name: str
    origin: ViewOrigin
    spec: ViewSpec
    unmapped: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DisplayRow:
    """One table row, formatted: ``text`` holds one string per column of the table.

    ``swatches`` are (column index, "#rrggbb") colour chips (status, stage, lead status).
    """

    id: int
    sync: RecordSync
    text: tuple[str, ...]
    swatches: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a filter (an owner, a stage...)."""

    id: int | str
    name: str
    colour: str | None = None


@dataclass(frozen=True, slots=True)
class FilterChoices:
    """The options each filter of an entity offers (empty tuple: filter not offered)."""

    owners: tuple[Choice, ...] = ()
    stages: tuple[Choice, ...] = ()
    statuses: tuple[Choice, ...] = ()
    sources: tuple[Choice, ...] = ()
    lead_sources: tuple[Choice, ...] = ()
    lead_statuses: tuple[Choice, ...] = ()
    person_types: tuple[Choice, ...] = ()
    value_range: bool = False
    close_range: bool = False
    customer: bool = False


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A record found by the global search."""

    entity: Entity
    id: int
    title: str
    subtitle: str


@dataclass(frozen=True, slots=True)
class DetailField:
    """One field of the detail pane: wire name, label and display text ("" when empty)."""

    name: str
    label: str
    text: str
    kind: str = "text"  # a domain FieldType value; "email", "url", "phone" for links
    link: str | None = None  # mailto:/tel:/https: target when the value is one


@dataclass(frozen=True, slots=True)
class DetailSection:
    """A titled group of fields (standard fields, or one custom field group)."""

    title: str
    fields: tuple[DetailField, ...]


@dataclass(frozen=True, slots=True)
class RelatedRecord:
    """A link from the detail pane to another record."""

    entity: Entity
    id: int
    title: str
    subtitle: str = ""


@dataclass(frozen=True, slots=True)
class RelatedGroup:
    """Related records of one kind ("People", "Company", "Deals")."""

    title: str
    entity: Entity
    records: tuple[RelatedRecord, ...]
    more: int = 0  # how many more exist than are listed


@dataclass(frozen=True, slots=True)
class RecordDetail:
    """What the detail pane shows for one record."""

    entity: Entity
    id: int
    title: str
    subtitle: str
    sync: RecordSync
    sync_note: str
    sections: tuple[DetailSection, ...]
    related: tuple[RelatedGroup, ...] = ()
    badges: tuple[tuple[str, str], ...] = field(default=())  # (text, "#rrggbb")
    lost_values: int = 0  # values in the record's history not restored (conflicts, discards)


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What a CSV export wrote."""

    path: str
    rows: int
    columns: tuple[str, ...]
