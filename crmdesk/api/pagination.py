"""Paged lists: one page, every page, every entry.

``Listing`` is what a resource's ``list()`` returns. It does nothing until used:

    async for deal in client.deals.list(conditions=...):        # entries, de-duplicated
    async for page in client.deals.list(...).pages():            # Page objects, in order
    page = await client.deals.list(...).page(3)                  # one page
    deals = await client.deals.list(...).all()

After page 1 tells how many pages there are, later pages are fetched ``concurrency`` at a
time (the rate limiter decides when each is sent) and handed out in page order. If a later
page reports more pages than page 1 did (records were added meanwhile), those are fetched
too. Stopping early (``break``) cancels the prefetched pages once the iterator is closed -
use ``contextlib.aclosing`` to close it at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from crmdesk.api.errors import ProtocolError
from crmdesk.api.parsing.envelope import envelope
from crmdesk.api.ratelimit import Priority, current_priority
from crmdesk.api.transport import Transport

T = TypeVar("T")

MAX_PER_PAGE = 200
_MAX_PAGES = 100_000  # a server that keeps adding pages must not keep us forever


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: parsed entries plus where it sits in the whole list."""

    entries: tuple[T, ...]
    page: int
    pages: int
    per_page: int
    total: int
    totals: Mapping[str, Any] | None = None

    @property
    def is_last(self) -> bool:
        """True for the last page the server announced."""
        return self.page >= self.pages


class Listing(Generic[T]):
    """A lazily fetched list endpoint with fixed parameters."""

    def __init__(
        self,
        transport: Transport,
        path: str,
        parse: Callable[[Any], T],
        params: list[tuple[str, str]] | None = None,
        *,
        per_page: int = MAX_PER_PAGE,
        concurrency: int = 4,
        priority: Priority | None = None,
        list_key: str = "entries",
        key: Callable[[T], Any] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._transport = transport
        self.path = path
        self._parse = parse
        self._params = list(params or [])
        self.per_page = max(1, min(per_page, MAX_PER_PAGE))
        self.concurrency = concurrency
        self.priority = priority
        self._list_key = list_key
        self._key = key if key is not None else _default_key

    def __repr__(self) -> str:
        return f"<Listing /{self.path} per_page={self.per_page}>"

    def with_options(
        self, *, concurrency: int | None = None, priority: Priority | None = None
    ) -> Listing[T]:
        """The same listing fetched with another concurrency or priority."""
        return Listing(
            self._transport,
            self.path,
            self._parse,
            self._params,
            per_page=self.per_page,
            concurrency=concurrency or self.concurrency,
            priority=priority if priority is not None else self.priority,
            list_key=self._list_key,
            key=self._key,
        )

    async def page(self, number: int) -> Page[T]:
        """Fetch and parse page ``number`` (1-based)."""
        params = [*self._params, ("page", str(number)), ("per_page", str(self.per_page))]
        priority = self.priority if self.priority is not None else current_priority()
        body = await self._transport.request("GET", self.path, params=params, priority=priority)
        try:
            env = envelope(body, list_key=self._list_key, page=number)
            parse = self._parse
            entries = tuple([parse(raw) for raw in env.entries])
        except ProtocolError as exc:
            exc.method, exc.path = "GET", self.path
            exc.args = (f"{exc} (GET /{self.path}, page {number})",)
            raise
        return Page(entries, env.page, env.pages, env.per_page, env.total, env.totals)

    async def first_page(self) -> Page[T]:
        """Page 1 (with the total count)."""
        return await self.page(1)

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Every page in order; after page 1 the rest are fetched concurrently."""
        first = await self.page(1)
        yield first
        last = min(first.pages, _MAX_PAGES)
        pending: dict[int, asyncio.Task[Page[T]]] = {}
        scheduled = 1
        try:
            number = 2
            while number <= last:
                while scheduled < last and len(pending) < self.concurrency:
                    scheduled += 1
                    pending[scheduled] = asyncio.ensure_future(self.page(scheduled))
                page = await pending.pop(number)
                if page.pages > last:
                    last = min(page.pages, _MAX_PAGES)
                yield page
                number += 1
        finally:
            for task in pending.values():
                task.cancel()
            if pending:
                await asyncio.gather(*pending.values(), return_exceptions=True)

    async def __aiter__(self) -> AsyncIterator[T]:
        """Every entry of every page, each id once (pages can overlap while data changes)."""
        seen: set[Any] = set()
        key = self._key
        pages = self.pages()
        try:
            async for page in pages:
                for entry in page.entries:
                    ident = key(entry)
                    if ident is None or ident not in seen:
                        if ident is not None:
                            seen.add(ident)
                        yield entry
        finally:
            await pages.aclose()  # type: ignore[attr-defined]

    async def all(self) -> list[T]:
        """Every entry, as a list."""
        return [entry async for entry in self]

    async def total(self) -> int:
        """How many entries the list has (costs one request: page 1 with one entry)."""
        params = [*self._params, ("page", "1"), ("per_page", "1")]
        priority = self.priority if self.priority is not None else current_priority()
        body = await self._transport.request("GET", self.path, params=params, priority=priority)
        try:
            return envelope(body, list_key=self._list_key).total
        except ProtocolError as exc:
            exc.method, exc.path = "GET", self.path
            raise


def _default_key(entry: Any) -> Any:
    ident = getattr(entry, "id", None)
    if ident is None and isinstance(entry, int):
        return entry
    return ident
