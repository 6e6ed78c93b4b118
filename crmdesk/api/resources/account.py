"""Who and where: users, the profile, the account, saved searches, account notifications."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmdesk.api import parsing
from crmdesk.api.pagination import MAX_PER_PAGE, Listing
from crmdesk.api.ratelimit import Priority
from crmdesk.api.resources.base import (
    CollectionResource,
    ReadableResource,
    Resource,
    list_params,
)
from crmdesk.domain.fields import JSON
from crmdesk.domain.records import (
    AccountInfo,
    AccountNotification,
    Profile,
    SavedSearch,
    User,
)


class Users(ReadableResource[User]):
    """``/users`` (read-only); ``conditions={"including_inactive": True}`` adds deactivated.

    Changes go through ``client.admin.users`` (account admins only).
    """

    path = "users"
    wrapper = "user"

    def _parse(self, raw: Any) -> User:
        return self._parser.user(raw)


class AdminUsers(CollectionResource[User]):
    """``/admin/users``: list, get and update (account admins only)."""

    path = "admin/users"
    wrapper = "user"

    def _parse(self, raw: Any) -> User:
        return self._parser.user(raw)


class ProfileResource(Resource):
    """``/profile``: the user the API key belongs to."""

    async def get(self, *, priority: Priority | None = None) -> Profile:
        """The profile (its ``user.time_zone`` is the zone the server reads dates in)."""
        return await self._call(
            "GET",
            "profile",
            lambda raw: parsing.profile(raw, self._parser),
            wrapper="user",
            priority=priority,
        )


class AccountResource(Resource):
    """``/account``: account settings with every lookup list embedded."""

    async def get(self, *, priority: Priority | None = None) -> AccountInfo:
        """The account."""
        return await self._call(
            "GET",
            "account",
            lambda raw: parsing.account(raw, self._parser),
            wrapper="account",
            priority=priority,
        )


class Searches(Resource):
    """``/searches``: the account's saved searches (read-only)."""

    def list(
        self,
        *,
        conditions: Mapping[str, Any] | None = None,
        per_page: int = MAX_PER_PAGE,
        priority: Priority | None = None,
    ) -> Listing[SavedSearch]:
        """Every saved search visible to the user."""
        return Listing(
            self._transport,
            "searches",
            parsing.saved_search,
            list_params(conditions),
            per_page=per_page,
            priority=priority,
        )

    async def get(self, search_id: int) -> SavedSearch:
        """One saved search."""
        return await self._call(
            "GET", f"searches/{int(search_id)}", parsing.saved_search, wrapper="search"
        )


class AccountNotifications(CollectionResource[AccountNotification]):
    """``/account_notifications``; mark read with ``update(id, {"seen": True, "read_at": ...})``
    (the server ignores ``seen`` without ``read_at``)."""

    path = "account_notifications"
    wrapper = "account_notification"

    def _parse(self, raw: Any) -> AccountNotification:
        return parsing.account_notification(raw)

    async def create_text(self, text: str) -> AccountNotification:
        """Post a notification with ``text`` (HTML)."""
        patch: dict[str, JSON] = {"text": text}
        return await self.create(patch)
