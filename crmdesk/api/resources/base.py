"""What every resource shares: list parameters, get/create/update/delete, reply parsing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any, Generic, TypeVar

from crmdesk.api.errors import ProtocolError
from crmdesk.api.pagination import MAX_PER_PAGE, Listing
from crmdesk.api.params import Params, conditions_params, format_from_date, scalar
from crmdesk.api.parsing.envelope import unwrap
from crmdesk.api.parsing.records import RecordParser
from crmdesk.api.parsing.values import integer
from crmdesk.api.ratelimit import Priority
from crmdesk.api.transport import Transport
from crmdesk.domain.entities import Entity
from crmdesk.domain.fields import JSON
from crmdesk.domain.patch import wire_body

R = TypeVar("R")


def list_params(
    conditions: Mapping[str, Any] | None = None,
    sort: str | None = None,
    filters: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | Sequence[tuple[str, str]] | None = None,
) -> Params:
    """Query pairs for a list call: conditions, sort, association filters, extras."""
    out = conditions_params(conditions)
    if sort:
        out.append(("sort", sort))
    for name, value in (filters or {}).items():
        if value is None:
            continue
        if name == "attrs" and not isinstance(value, str):
            value = ",".join(value)
        out.append((name, scalar(value)))
    if isinstance(params, Mapping):
        out.extend((k, scalar(v)) for k, v in params.items() if v is not None)
    elif params:
        out.extend(params)
    return out


def query(params: Mapping[str, Any] | None) -> list[tuple[str, str]] | None:
    """Option flags for a create/update query string (``check_for_duplicates`` ...)."""
    if not params:
        return None
    return [(k, scalar(v)) for k, v in params.items() if v is not None]


def parse_id(raw: Any) -> int:
    """An id from a deleted-ids list (a bare integer, or an object with ``id``)."""
    value = raw.get("id") if isinstance(raw, dict) else raw
    number = integer(value) if not isinstance(value, bool) else None
    if number is None:
        raise ProtocolError(f"expected a record id, got {raw!r}")
    return number


class Resource:
    """Base of every resource: holds the transport and the record parser."""

    def __init__(self, transport: Transport, parser: RecordParser) -> None:
        self._transport = transport
        self._parser = parser

    async def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[Any], R],
        *,
        params: Any = None,
        json_body: Any = None,
        wrapper: str | None = None,
        priority: Priority | None = None,
    ) -> R:
        body = await self._transport.request(
            method, path, params=params, json_body=json_body, priority=priority
        )
        try:
            return parse(unwrap(body, wrapper) if wrapper else body)
        except ProtocolError as exc:
            exc.method, exc.path = method, path
            exc.args = (f"{exc} ({method} /{path})",)
            raise


class ReadableResource(Resource, Generic[R]):
    """A REST collection that can be listed and read (``list``, ``get``)."""

    path: str
    wrapper: str
    entity: Entity | None = None

    def _parse(self, raw: Any) -> R:
        raise NotImplementedError

    def list(
        self,
        *,
        conditions: Mapping[str, Any] | None = None,
        sort: str | None = None,
        deal_id: int | None = None,
        person_id: int | None = None,
        company_id: int | None = None,
        search_id: int | None = None,
        attrs: Sequence[str] | None = None,
        params: Mapping[str, Any] | None = None,
        per_page: int = MAX_PER_PAGE,
        concurrency: int = 4,
        priority: Priority | None = None,
    ) -> Listing[R]:
        """The collection, filtered by ``conditions`` and association ids, sorted by ``sort``.

        ``sort`` is ``[-]table.column`` (``-deals.updated_at``); ``params`` adds anything
        else the endpoint takes (``totals``, ``include_notify_user_ids``...).
        """
        filters = {
            "deal_id": deal_id,
            "person_id": person_id,
            "company_id": company_id,
            "search_id": search_id,
            "attrs": attrs,
        }
        return self._listing(
            self.path,
            list_params(conditions, sort, filters, params),
            per_page=per_page,
            concurrency=concurrency,
            priority=priority,
        )

    def ids(
        self,
        *,
        conditions: Mapping[str, Any] | None = None,
        per_page: int = MAX_PER_PAGE,
        concurrency: int = 4,
        priority: Priority | None = None,
    ) -> Listing[int]:
        """Just the ids of the collection (``attrs=id``): for a deletion sweep."""
        return self._listing(
            self.path,
            list_params(conditions, f"{self.path.rsplit('/', 1)[-1]}.id", {"attrs": ["id"]}),
            parse=parse_id,
            per_page=per_page,
            concurrency=concurrency,
            priority=priority,
        )

    def _listing(
        self,
        path: str,
        params: Params,
        *,
        parse: Callable[[Any], Any] | None = None,
        per_page: int = MAX_PER_PAGE,
        concurrency: int = 4,
        priority: Priority | None = None,
    ) -> Listing[Any]:
        return Listing(
            self._transport,
            path,
            parse or self._parse,
            params,
            per_page=per_page,
            concurrency=concurrency,
            priority=priority,
        )

    async def get(self, record_id: int, *, priority: Priority | None = None) -> R:
        """One record by id (NotFoundError if it does not exist)."""
        return await self._call(
            "GET",
            f"{self.path}/{int(record_id)}",
            self._parse,
            wrapper=self.wrapper,
            priority=priority,
        )


class CollectionResource(ReadableResource[R]):
    """A REST collection with list / get / create / update / delete."""

    async def create(
        self,
        patch: Mapping[str, JSON],
        *,
        params: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> R:
        """POST a new record from a flat patch; the created record.

        Not retried once sent: UnknownOutcomeError means it may exist - look before resending.
        ``extra_body`` adds top-level keys beside the wrapper (``todo_template_id``).
        """
        body = self._body(patch)
        if extra_body:
            body.update(extra_body)
        return await self._call(
            "POST",
            self.path,
            self._parse,
            params=query(params),
            json_body=body,
            wrapper=self.wrapper,
        )

    async def update(
        self,
        record_id: int,
        patch: Mapping[str, JSON],
        *,
        params: Mapping[str, Any] | None = None,
    ) -> R:
        """PUT the changed fields (a flat patch); the updated record."""
        if not patch:
            raise ValueError("an update needs at least one changed field")
        return await self._call(
            "PUT",
            f"{self.path}/{int(record_id)}",
            self._parse,
            params=query(params),
            json_body=self._body(patch),
            wrapper=self.wrapper,
        )

    async def delete(self, record_id: int) -> None:
        """DELETE a record (NotFoundError if it is already gone)."""
        await self._transport.request("DELETE", f"{self.path}/{int(record_id)}")

    def _body(self, patch: Mapping[str, JSON]) -> dict[str, Any]:
        if self.entity is not None:
            return wire_body(self.entity, patch)
        return {self.wrapper: dict(patch)}


class DeletedIds:
    """The ``/<collection>/deleted?since=`` id lists (a sandbox feature; may 404 live)."""

    def __init__(self, transport: Transport, collection: str) -> None:
        self._transport = transport
        self.collection = collection

    def since(
        self,
        moment: datetime | str | None = None,
        *,
        time_zone: str | tzinfo | None = None,
        priority: Priority | None = None,
    ) -> Listing[int]:
        """Ids deleted at or after ``moment`` (a datetime is rendered in ``time_zone``)."""
        if isinstance(moment, datetime):
            since = format_from_date(moment, time_zone)
        else:
            since = moment if moment is not None else "0"
        return Listing(
            self._transport,
            f"{self.collection}/deleted",
            parse_id,
            [("since", since)],
            priority=priority,
        )
