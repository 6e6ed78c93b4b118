"""Three-way merge of a queued local change with the server's current record.

``base`` holds the values the user saw when editing, ``mine`` the values they chose, and
``theirs`` the server's record now. Per field of ``mine``:

* server unchanged since base      -> send mine
* server already has mine          -> nothing to send
* server changed it to another value -> a conflict; nothing is sent for that field
  until the user chooses.

Fields the server changed that the user did not touch are already in the server record and
need nothing. The result tells the sync engine exactly what to send and what to park.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crmdesk.domain.fields import JSON, FieldSet, same_value
from crmdesk.domain.patch import Patch, read_field


@dataclass(frozen=True, slots=True)
class FieldConflict:
    """A field changed on both sides to different values."""

    field: str
    base: JSON
    mine: JSON
    theirs: JSON


@dataclass(frozen=True, slots=True)
class MergeResult:
    """What to send now, which fields conflict, and which already match the server."""

    to_send: Patch
    conflicts: tuple[FieldConflict, ...]
    already_there: tuple[str, ...]

    @property
    def clean(self) -> bool:
        """True when no field conflicts."""
        return not self.conflicts


def three_way_merge(
    base: Mapping[str, JSON],
    mine: Mapping[str, JSON],
    theirs: Mapping[str, Any],
    fields: FieldSet,
) -> MergeResult:
    """Merge ``mine`` (a patch) against the server record ``theirs`` from ``base``."""
    to_send: Patch = {}
    conflicts: list[FieldConflict] = []
    already: list[str] = []
    for name, my_value in mine.items():
        spec = fields.get(name)
        their_value = read_field(theirs, name)
        if same_value(spec, their_value, my_value):
            already.append(name)
        elif name not in base or same_value(spec, their_value, base[name]):
            to_send[name] = my_value
        else:
            conflicts.append(FieldConflict(name, base[name], my_value, their_value))
    return MergeResult(to_send, tuple(conflicts), tuple(already))
