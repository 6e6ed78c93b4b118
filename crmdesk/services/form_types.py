"""Plain values of the record editor's form (see ``crmdesk.services.edit_form``).

Stdlib + domain only: the UI imports this module for types and receives the form service
itself from the main window, so that it never imports the store, not even indirectly.
"""

from __future__ import annotations

from dataclasses import dataclass

from crmdesk.domain.entities import Entity
from crmdesk.domain.fields import JSON, FieldSpec, Ref
from crmdesk.domain.sync_status import RecordSync


@dataclass(frozen=True, slots=True)
class Option:
    """One choice of a field: the wire value and what the person sees."""

    value: int | str
    label: str
    colour: str | None = None


@dataclass(frozen=True, slots=True)
class Currency:
    """The currency money fields are typed in."""

    code: str | None
    symbol: str
    decimals: int


@dataclass(frozen=True, slots=True)
class FormField:
    """One editor: its spec, the current wire value and the editor's starting text.

    ``options`` lists every choice (lookups, small tables, CHOICE fields); ``search`` names
    the table to search instead (large tables), and ``selected`` holds the names of the
    current value(s) of such a field. ``error`` is the server's complaint, if any.
    """

    spec: FieldSpec
    value: JSON
    text: str
    options: tuple[Option, ...] | None = None
    search: Ref | None = None
    selected: tuple[Option, ...] = ()
    error: str = ""

    @property
    def name(self) -> str:
        """The field's wire name."""
        return self.spec.name


@dataclass(frozen=True, slots=True)
class FormSection:
    """A titled group of editors (standard fields, then each custom field group)."""

    title: str
    fields: tuple[FormField, ...]


@dataclass(frozen=True, slots=True)
class EditForm:
    """Everything an editor needs for one record; ``record_id`` None for a new one."""

    entity: Entity
    record_id: int | None
    title: str
    sections: tuple[FormSection, ...]
    currency: Currency
    sync: RecordSync = RecordSync.SYNCED
    errors: tuple[str, ...] = ()  # server complaints that name no field of the form
    refused_op: str | None = None  # op_id of the refused (needs attention) change

    def field(self, name: str) -> FormField:
        """The editor of field ``name``; KeyError if the form has none."""
        for section in self.sections:
            for found in section.fields:
                if found.name == name:
                    return found
        raise KeyError(name)

    @property
    def fields(self) -> tuple[FormField, ...]:
        """Every editor, in form order."""
        return tuple(f for s in self.sections for f in s.fields)
