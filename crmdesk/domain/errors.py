"""Errors the domain raises, each with a message a person can read."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


class CrmError(Exception):
    """Base of every crmdesk error; ``str(error)`` is fit to show to a user."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field (``field`` is the wire name, or "base" for the record)."""

    field: str
    message: str

    def __str__(self) -> str:
        return self.message if self.field == "base" else f"{self.field}: {self.message}"


class FieldValueError(CrmError, ValueError):
    """A value that does not fit its field (bad number, bad date, unknown choice...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnknownFieldError(CrmError, KeyError):
    """A field name the entity does not have."""

    def __init__(self, entity: str, name: str, known: Iterable[str] = ()) -> None:
        names = list(known)
        close = [k for k in names if name.lower() in k.lower() or k.lower() in name.lower()]
        close = sorted(close)[:3] or difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        super().__init__(f"{entity} has no field {name!r}{hint}")
        self.entity = entity
        self.name = name

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class ValidationError(CrmError):
    """A record that breaks one or more field rules."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(str(e) for e in self.errors) or "invalid record")
