"""``PipelineClient``: one per account, owning one ``httpx.AsyncClient`` and one limiter.

    async with PipelineClient(base_url, api_key) as client:
        profile = await client.profile.get()
        async for deal in client.deals.list(conditions=client.modified_since(...)):
            ...

Create it inside the running event loop (qasync's on the GUI thread) and close it there
(``aclose()`` or the ``async with`` block). Every resource shares the client's transport,
so every call is paced by the same rate limiter and counted in ``client.stats``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from types import TracebackType
from typing import Any

import httpx

from crmdesk.api.clock import Clock
from crmdesk.api.params import modified_since, user_zone
from crmdesk.api.parsing.records import RecordParser
from crmdesk.api.ratelimit import Priority, RateLimiter, RatePolicy
from crmdesk.api.redaction import redact
from crmdesk.api.resources.account import (
    AccountNotifications,
    AccountResource,
    ProfileResource,
    Searches,
    Users,
)
from crmdesk.api.resources.admin import Admin, CustomFields
from crmdesk.api.resources.calendar import CalendarEntries
from crmdesk.api.resources.documents import Documents
from crmdesk.api.resources.records import Comments, Companies, Deals, Notes, People
from crmdesk.api.retry import RetryPolicy
from crmdesk.api.transport import DEFAULT_TIMEOUT, ClientStats, Exchange, Transport
from crmdesk.domain.entities import Entity

_DEFAULT_POLICY = RatePolicy()


class PipelineClient:
    """The Pipeline CRM v3 API for one account (one API key)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        app_key: str | None = None,
        rate_limit: RatePolicy | None = _DEFAULT_POLICY,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        clock: Clock | None = None,
        parser: RecordParser | None = None,
        observer: Callable[[Exchange], None] | None = None,
    ) -> None:
        """``rate_limit=None`` switches pacing off (a sandbox without a limit); pass a
        shared ``limiter`` instead when several clients use the same key."""
        self.limiter = limiter if limiter is not None else RateLimiter(rate_limit, clock)
        self.parser = parser if parser is not None else RecordParser()
        self.transport = Transport(
            base_url,
            api_key,
            app_key=app_key,
            limiter=self.limiter,
            retry=retry,
            timeout=timeout,
            clock=clock,
            observer=observer,
        )
        t, p = self.transport, self.parser
        self.deals = Deals(t, p)
        self.people = People(t, p)
        self.companies = Companies(t, p)
        self.notes = Notes(t, p)
        self.comments = Comments(t, p)
        self.calendar_entries = CalendarEntries(t, p)
        self.documents = Documents(t, p)
        self.users = Users(t, p)
        self.profile = ProfileResource(t, p)
        self.account = AccountResource(t, p)
        self.searches = Searches(t, p)
        self.account_notifications = AccountNotifications(t, p)
        self.admin = Admin(t, p)
        self.custom_fields: CustomFields = self.admin.custom_fields
        self._time_zone: str | None = None

    def __repr__(self) -> str:
        return f"<PipelineClient {redact(self.transport.base_url)} api_key=***>"

    @property
    def base_url(self) -> str:
        """The API root this client talks to (ends with a slash)."""
        return self.transport.base_url

    @property
    def stats(self) -> ClientStats:
        """Counters: requests made, 429 replies seen, retries, unknown outcomes."""
        return self.transport.stats

    def set_observer(self, observer: Callable[[Exchange], None] | None) -> None:
        """Call ``observer(Exchange)`` after every attempt (diagnostics, benchmarks)."""
        self.transport.observer = observer

    # ------------------------------------------------------------------ life cycle

    async def __aenter__(self) -> PipelineClient:
        self.open()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()

    def open(self) -> None:
        """Create the HTTP client now (otherwise the first request does); installs log
        redaction. Call inside the running loop."""
        self.transport.open()

    async def aclose(self) -> None:
        """Close connections; the client cannot be used afterwards."""
        await self.transport.aclose()

    # ------------------------------------------------------------------ helpers

    def by_entity(self, entity: Entity) -> Any:
        """The resource of a record kind (``Entity.DEAL`` -> ``client.deals``)."""
        return {
            Entity.DEAL: self.deals,
            Entity.PERSON: self.people,
            Entity.COMPANY: self.companies,
            Entity.NOTE: self.notes,
            Entity.COMMENT: self.comments,
            Entity.CALENDAR_ENTRY: self.calendar_entries,
            Entity.DOCUMENT: self.documents,
            Entity.USER: self.users,
        }[entity]

    async def time_zone(self, *, refresh: bool = False) -> str | None:
        """The user's time zone name from ``/profile`` (fetched once, then remembered)."""
        if self._time_zone is None or refresh:
            profile = await self.profile.get(priority=Priority.INTERACTIVE)
            self._time_zone = profile.user.time_zone
        return self._time_zone

    async def zone(self) -> tzinfo:
        """The user's time zone as a tzinfo (UTC if the profile names none)."""
        return user_zone(await self.time_zone())

    async def modified_since(
        self, entity: Entity, moment: datetime, until: datetime | None = None
    ) -> dict[str, Any]:
        """``conditions`` for records changed since ``moment``, in the user's zone."""
        return modified_since(entity, moment, await self.zone(), until)


__all__ = ["Exchange", "PipelineClient"]
