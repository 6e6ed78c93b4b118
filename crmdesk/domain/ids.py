"""Typed record ids.

Server ids are positive integers. A record created offline gets a negative local id until
the server confirms the create; the store's create ledger maps it to the server id.
"""

from __future__ import annotations

from typing import NewType

DealId = NewType("DealId", int)
PersonId = NewType("PersonId", int)
CompanyId = NewType("CompanyId", int)
NoteId = NewType("NoteId", int)
CommentId = NewType("CommentId", int)
CalendarEntryId = NewType("CalendarEntryId", int)
DocumentId = NewType("DocumentId", int)
UserId = NewType("UserId", int)
LookupId = NewType("LookupId", int)


def is_local_id(record_id: int) -> bool:
    """True for an id minted locally for a record the server has not confirmed yet."""
    return record_id < 0
