"""The engine's calls to the API, in raw JSON: the store keeps what the server sent.

Records are not parsed into domain objects here (the store extracts its columns itself),
which keeps a 100,000-record pull cheap. Every call still goes through the client's
transport, so pacing, retries, typed errors, redaction and counters all apply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crmdesk.api import Listing, PipelineClient, Priority
from crmdesk.api.errors import ProtocolError
from crmdesk.api.params import conditions_params
from crmdesk.api.parsing.envelope import unwrap
from crmdesk.api.resources.base import parse_id
from crmdesk.domain.entities import Entity
from crmdesk.domain.fields import JSON
from crmdesk.domain.patch import wire_body

Record = dict[str, Any]

#: Entities the engine pulls and pushes as collections of their own, parents first (a
#: deal's company name resolves when the companies are there).
SYNCED: tuple[Entity, ...] = (
    Entity.COMPANY,
    Entity.PERSON,
    Entity.DEAL,
    Entity.NOTE,
    Entity.CALENDAR_ENTRY,
    Entity.DOCUMENT,
)


def raw_record(raw: Any) -> Record:
    """A record object from a list or reply, checked to have an integer id."""
    ident = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(ident, int) or isinstance(ident, bool):
        raise ProtocolError(f"expected a record with an integer id, got {str(raw)[:80]!r}")
    return raw  # type: ignore[no-any-return]


def _key(record: Record) -> Any:
    return record.get("id")


class Wire:
    """Raw JSON access to the collections the engine syncs, through one client."""

    def __init__(self, client: PipelineClient) -> None:
        self.client = client

    @property
    def transport(self) -> Any:
        """The client's transport (shared limiter and counters)."""
        return self.client.transport

    def listing(
        self,
        entity: Entity,
        *,
        conditions: Mapping[str, Any] | None = None,
        sort: str | None = None,
        attrs: Sequence[str] | None = None,
        ids: Sequence[int] | None = None,
        per_page: int = 200,
        concurrency: int = 4,
        priority: Priority | None = Priority.BACKGROUND,
    ) -> Listing[Record]:
        """Records of ``entity`` as raw dicts, de-duplicated by id."""
        params = conditions_params(conditions)
        if ids is not None:
            params += conditions_params({f"{entity.value}_id": list(ids)})
        if sort:
            params.append(("sort", sort))
        if attrs:
            params.append(("attrs", ",".join(attrs)))
        return Listing(
            self.transport,
            entity.collection,
            raw_record,
            params,
            per_page=per_page,
            concurrency=concurrency,
            priority=priority,
            key=_key,
        )

    def comments(self, note_id: int) -> Listing[Record]:
        """The comments of one note."""
        return Listing(
            self.transport,
            f"notes/{int(note_id)}/comments",
            raw_record,
            priority=Priority.NORMAL,
            key=_key,
        )

    def deleted_since(self, entity: Entity, since: str) -> Listing[int]:
        """Ids of ``entity`` deleted at or after ``since`` (the server may answer 404)."""
        return Listing(
            self.transport,
            f"{entity.collection}/deleted",
            parse_id,
            [("since", since)],
            priority=Priority.BACKGROUND,
        )

    # ------------------------------------------------------------------ writes

    def _path(self, entity: Entity, record_id: int | None, parent_id: int | None) -> str:
        if entity is Entity.COMMENT:
            if parent_id is None:
                raise ValueError("a comment needs its note's id")
            base = f"notes/{int(parent_id)}/comments"
        else:
            base = entity.collection
        return base if record_id is None else f"{base}/{int(record_id)}"

    async def create(
        self, entity: Entity, patch: Mapping[str, JSON], parent_id: int | None = None
    ) -> Record:
        """POST a new record; the server's record. UnknownOutcomeError: look before resending."""
        body = await self.transport.request(
            "POST",
            self._path(entity, None, parent_id),
            json_body=wire_body(entity, patch),
            priority=Priority.NORMAL,
        )
        return raw_record(unwrap(body, entity.wrapper))

    async def update(
        self,
        entity: Entity,
        record_id: int,
        patch: Mapping[str, JSON],
        parent_id: int | None = None,
    ) -> Record:
        """PUT the changed fields; the server's record as it is now."""
        body = await self.transport.request(
            "PUT",
            self._path(entity, record_id, parent_id),
            json_body=wire_body(entity, patch),
            priority=Priority.NORMAL,
        )
        return raw_record(unwrap(body, entity.wrapper))

    async def delete(self, entity: Entity, record_id: int, parent_id: int | None = None) -> Any:
        """DELETE a record; the reply (None, or for a recurring series the destroyed ids)."""
        return await self.transport.request(
            "DELETE", self._path(entity, record_id, parent_id), priority=Priority.NORMAL
        )
