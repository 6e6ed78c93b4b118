"""Deals, people, companies, notes and comments, with the changelog's sub-collections."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmdesk.api.pagination import MAX_PER_PAGE, Listing
from crmdesk.api.parsing.records import RecordParser
from crmdesk.api.ratelimit import Priority
from crmdesk.api.resources.base import (
    CollectionResource,
    DeletedIds,
    R,
    Resource,
    list_params,
)
from crmdesk.api.transport import Transport
from crmdesk.domain.entities import Entity
from crmdesk.domain.fields import JSON
from crmdesk.domain.patch import wire_body
from crmdesk.domain.records import Comment, Company, Deal, Note, Person


class _Records(CollectionResource[R]):
    """A core collection: adds ``deleted`` and sub-collection listings."""

    def __init__(self, transport: Transport, parser: RecordParser) -> None:
        super().__init__(transport, parser)
        self.deleted = DeletedIds(transport, self.path)

    def _sub(
        self,
        record_id: int,
        name: str,
        parse: Any,
        *,
        conditions: Mapping[str, Any] | None = None,
        sort: str | None = None,
        params: Mapping[str, Any] | None = None,
        per_page: int = MAX_PER_PAGE,
        priority: Priority | None = None,
    ) -> Listing[Any]:
        return self._listing(
            f"{self.path}/{int(record_id)}/{name}",
            list_params(conditions, sort, None, params),
            parse=parse,
            per_page=per_page,
            priority=priority,
        )


class Deals(_Records[Deal]):
    """``/deals``; ``list(params={"totals": True})`` adds the value total to each page."""

    path = "deals"
    wrapper = "deal"
    entity = Entity.DEAL

    def _parse(self, raw: Any) -> Deal:
        return self._parser.deal(raw)

    def notes(self, deal_id: int, **options: Any) -> Listing[Note]:
        """``/deals/:id/notes``."""
        return self._sub(deal_id, "notes", self._parser.note, **options)

    def people(self, deal_id: int, **options: Any) -> Listing[Person]:
        """``/deals/:id/people``."""
        return self._sub(deal_id, "people", self._parser.person, **options)


class People(_Records[Person]):
    """``/people`` (contacts and leads)."""

    path = "people"
    wrapper = "person"
    entity = Entity.PERSON

    def _parse(self, raw: Any) -> Person:
        return self._parser.person(raw)

    def deals(self, person_id: int, **options: Any) -> Listing[Deal]:
        """``/people/:id/deals`` (``params={"include_notify_user_ids": True}`` optional)."""
        return self._sub(person_id, "deals", self._parser.deal, **options)

    def notes(self, person_id: int, **options: Any) -> Listing[Note]:
        """``/people/:id/notes``."""
        return self._sub(person_id, "notes", self._parser.note, **options)


class Companies(_Records[Company]):
    """``/companies``; update takes ``params={"deliver_reassignment_email": False}``."""

    path = "companies"
    wrapper = "company"
    entity = Entity.COMPANY

    def _parse(self, raw: Any) -> Company:
        return self._parser.company(raw)

    def deals(self, company_id: int, **options: Any) -> Listing[Deal]:
        """``/companies/:id/deals``."""
        return self._sub(company_id, "deals", self._parser.deal, **options)

    def people(self, company_id: int, **options: Any) -> Listing[Person]:
        """``/companies/:id/people``."""
        return self._sub(company_id, "people", self._parser.person, **options)

    def notes(self, company_id: int, **options: Any) -> Listing[Note]:
        """``/companies/:id/notes``."""
        return self._sub(company_id, "notes", self._parser.note, **options)


class Notes(_Records[Note]):
    """``/notes`` (activities); ``list(search_id=...)`` runs a saved search."""

    path = "notes"
    wrapper = "note"
    entity = Entity.NOTE

    def _parse(self, raw: Any) -> Note:
        return self._parser.note(raw)


class Comments(Resource):
    """``/notes/:note_id/comments``."""

    def _path(self, note_id: int, comment_id: int | None = None) -> str:
        base = f"notes/{int(note_id)}/comments"
        return base if comment_id is None else f"{base}/{int(comment_id)}"

    def list(
        self, note_id: int, *, per_page: int = MAX_PER_PAGE, priority: Priority | None = None
    ) -> Listing[Comment]:
        """The comments of a note."""
        return Listing(
            self._transport,
            self._path(note_id),
            self._parser.comment,
            per_page=per_page,
            priority=priority,
        )

    async def create(self, note_id: int, patch: Mapping[str, JSON]) -> Comment:
        """Add a comment (``{"comment": "text"}``); not retried once sent."""
        return await self._call(
            "POST",
            self._path(note_id),
            self._parser.comment,
            json_body=wire_body(Entity.COMMENT, patch),
            wrapper="comment",
        )

    async def update(self, note_id: int, comment_id: int, patch: Mapping[str, JSON]) -> Comment:
        """Change a comment's text."""
        return await self._call(
            "PUT",
            self._path(note_id, comment_id),
            self._parser.comment,
            json_body=wire_body(Entity.COMMENT, patch),
            wrapper="comment",
        )

    async def delete(self, note_id: int, comment_id: int) -> None:
        """Delete a comment."""
        await self._transport.request("DELETE", self._path(note_id, comment_id))
