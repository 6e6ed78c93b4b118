"""The columns of the deals, people and companies tables, and how a stored row becomes
display text.

A ``RowFormatter`` is built once per entity (and again when the account's settings or
lookups change); it turns the store's window tuples into ``DisplayRow``s with every string
ready, so the Qt model only indexes tuples.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from crmdesk.domain.entities import Entity
from crmdesk.domain.sync_status import RecordSync
from crmdesk.services.formatting import DisplayFormats, stage_colour
from crmdesk.services.table_types import Align, Column, DisplayRow

R = Align.RIGHT
C = Align.CENTER

#: The key of the narrow sync-marker column every table starts with.
SYNC_COLUMN = "sync"

_SYNC = Column(SYNC_COLUMN, "", 26, C, tooltip="Sync state of the row")

TABLE_COLUMNS: dict[Entity, tuple[Column, ...]] = {
    Entity.DEAL: (
        _SYNC,
        Column("name", "Deal", 190, sortable=True),
        Column("company", "Company", 135, sortable=True),
        Column("value", "Value", 90, R, sortable=True),
        Column("stage", "Stage", 170, sortable=True),
        Column("status", "Status", 56, C, sortable=True, icon_only=True),
        Column("probability", "Probability", 80, R, sortable=True, visible=False),
        Column("close_date", "Close date", 92, sortable=True, tooltip="Expected close date"),
        Column("owner", "Owner", 110, sortable=True),
        Column("source", "Source", 100, visible=False),
        Column("created_at", "Created", 90, sortable=True, visible=False),
        Column("updated_at", "Modified", 90, sortable=True),
    ),
    Entity.PERSON: (
        _SYNC,
        Column("name", "Name", 160, sortable=True),
        Column("company", "Company", 140, sortable=True),
        Column("position", "Position", 100),
        Column("email", "Email", 190, sortable=True),
        Column("phone", "Phone", 130),
        Column("city", "City", 90, visible=False),
        Column("type", "Type", 70, visible=False),
        Column("lead_status", "Lead status", 90),
        Column("lead_source", "Lead source", 100, visible=False),
        Column("owner", "Owner", 115, sortable=True),
        Column("created_at", "Created", 100, sortable=True, visible=False),
        Column("updated_at", "Modified", 100, sortable=True, visible=False),
    ),
    Entity.COMPANY: (
        _SYNC,
        Column("name", "Company", 200, sortable=True),
        Column("city", "City", 100, sortable=True),
        Column("country", "Country", 90, visible=False),
        Column("phone", "Phone", 125),
        Column("email", "Email", 180),
        Column("web", "Website", 150),
        Column("is_customer", "Customer", 75, C),
        Column("owner", "Owner", 115, sortable=True),
        Column("created_at", "Created", 100, sortable=True, visible=False),
        Column("updated_at", "Modified", 100, sortable=True),
    ),
}

#: Raw window keys an export writes for a column instead of its display text (numbers
#: stay numbers in a spreadsheet).
EXPORT_RAW = {"value": "value", "probability": "probability"}

Cell = Callable[[Sequence[Any]], str]


class RowFormatter:
    """Formats one entity's window rows (tuples in ``window_keys`` order)."""

    def __init__(
        self,
        entity: Entity,
        window_keys: Sequence[str],
        formats: DisplayFormats,
        colours: Mapping[str, Mapping[Any, str]] | None = None,
    ) -> None:
        self.entity = entity
        self.columns = TABLE_COLUMNS[entity]
        self.formats = formats
        self._at = {key: i for i, key in enumerate(window_keys)}
        colours = colours or {}
        self._status_colours = dict(colours.get("deal_statuses", {}))
        self._lead_colours = dict(colours.get("lead_statuses", {}))
        self._cells: list[Cell] = [self._cell(c.key) for c in self.columns]
        self._swatch_columns = [
            (i, fn)
            for i, fn in ((i, self._swatch(c.key)) for i, c in enumerate(self.columns))
            if fn is not None
        ]
        self._sync_at = self._at["sync"]

    # -------------------------------------------------------------- cells

    def _cell(self, key: str) -> Cell:
        at = self._at
        f = self.formats
        if key == SYNC_COLUMN:
            return lambda row: ""
        if key == "value":
            v, c = at["value"], at["currency"]
            return lambda row: f.money(row[v], row[c])
        if key == "stage":
            s, p = at["stage"], at["stage_percent"]

            def stage(row: Sequence[Any]) -> str:
                name = row[s] or ""
                return f"{name} ({row[p]}%)" if name and row[p] is not None else name

            return stage
        if key == "probability":
            p = at["probability"]
            return lambda row: "" if row[p] is None else f"{row[p]}%"
        if key == "close_date":
            d = at["close_date"]
            return lambda row: f.day(row[d])
        if key in ("created_at", "updated_at"):
            t = at[key]
            return lambda row: f.moment_short(row[t])
        if key == "is_customer":
            i = at["is_customer"]
            return lambda row: "Yes" if row[i] else ""
        i = at[key]
        return lambda row: "" if row[i] is None else str(row[i])

    def _swatch(self, key: str) -> Callable[[Sequence[Any]], str | None] | None:
        at = self._at
        if key == "status" and self.entity is Entity.DEAL:
            s = at["status_id"]
            colours = self._status_colours
            return lambda row: colours.get(row[s])
        if key == "stage":
            s, p = at["stage"], at["stage_percent"]
            return lambda row: None if row[s] is None else stage_colour(row[p])
        if key == "lead_status":
            s = at["lead_status"]
            colours = self._lead_colours
            return lambda row: colours.get(row[s])
        return None

    # -------------------------------------------------------------- rows

    def row(self, raw: Sequence[Any]) -> DisplayRow:
        """One display row."""
        swatches = tuple(
            (i, colour) for i, fn in self._swatch_columns if (colour := fn(raw)) is not None
        )
        sync = raw[self._sync_at]
        return DisplayRow(
            raw[0],
            RecordSync(sync) if sync else RecordSync.SYNCED,
            tuple(cell(raw) for cell in self._cells),
            swatches,
        )

    def rows(self, raws: Sequence[Sequence[Any] | None]) -> list[DisplayRow | None]:
        """Display rows of a window (``None`` stays ``None``: a row deleted since)."""
        return [None if raw is None else self.row(raw) for raw in raws]

    def export_value(self, key: str, raw: Sequence[Any]) -> Any:
        """What a CSV export writes for column ``key``: plain numbers for numbers, full
        date and time for timestamps, else the display text."""
        if key in EXPORT_RAW:
            return raw[self._at[EXPORT_RAW[key]]]
        if key in ("created_at", "updated_at"):
            return self.formats.moment(raw[self._at[key]])
        return self._cells[self.index(key)](raw)

    def index(self, key: str) -> int:
        """Position of column ``key``; KeyError when the table has none."""
        for i, column in enumerate(self.columns):
            if column.key == key:
                return i
        raise KeyError(key)
