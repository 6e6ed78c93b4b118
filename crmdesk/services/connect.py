"""Connecting an account: check the server address and API key against ``/profile``, keep
the key in the keyring (or for this session only), and register the account.

Every failure comes out as a ``ConnectProblem`` whose ``kind`` says what went wrong and
whose message says, in plain words, what to do about it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from crmdesk.api import (
    ApiError,
    ApiTimeoutError,
    AuthenticationError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    PipelineClient,
    ProtocolError,
    RetryPolicy,
)
from crmdesk.services.accounts import Account, AccountError, AccountRegistry, normalize_base_url
from crmdesk.services.connect_types import ConnectProblem, ProblemKind, WhoAmI
from crmdesk.services.secrets import KeyringStatus, SecretStore, SecretUnavailable

TEST_TIMEOUT = 15.0


ClientFactory = Callable[..., Any]


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def explain(error: ApiError, base_url: str) -> ConnectProblem:
    """The advice for an API error met while connecting."""
    host = _host(base_url)
    if isinstance(error, AuthenticationError):
        return ConnectProblem(
            ProblemKind.BAD_KEY,
            "The server did not accept this API key. Copy it again from Pipeline CRM "
            "(your profile → API key) and check it belongs to this server.",
        )
    if isinstance(error, ForbiddenError):
        return ConnectProblem(
            ProblemKind.FORBIDDEN,
            "The key was accepted but may not read your profile (403). Ask the account's "
            "administrator to enable API access for your user.",
        )
    if isinstance(error, NetworkError | ApiTimeoutError):
        reason = "it did not answer in time" if isinstance(error, ApiTimeoutError) else str(error)
        return ConnectProblem(
            ProblemKind.UNREACHABLE,
            f"Cannot reach {host}: {reason}. Check the server address and your network connection.",
        )
    if isinstance(error, NotFoundError | ProtocolError):
        return ConnectProblem(
            ProblemKind.NOT_THE_API,
            f"{host} answered, but not like the Pipeline CRM API. Check the server URL "
            "(the real service is https://api.pipelinecrm.com/api/v3).",
        )
    return ConnectProblem(
        ProblemKind.SERVER,
        f"The server at {host} had a problem ({error}). Try again in a minute.",
    )


class ConnectService:
    """Tests connections and adds accounts. Use it inside the running event loop."""

    def __init__(
        self,
        registry: AccountRegistry,
        secrets: SecretStore,
        client_factory: ClientFactory = PipelineClient,
    ) -> None:
        self._registry = registry
        self._secrets = secrets
        self._client_factory = client_factory

    async def keyring(self) -> KeyringStatus:
        """Whether keys can be remembered in the system keyring (and why not)."""
        return await self._secrets.status()

    def accounts(self) -> list[Account]:
        """The accounts already known."""
        return self._registry.list()

    async def test(self, base_url: str, api_key: str) -> WhoAmI:
        """Ask ``/profile`` who the key belongs to; ConnectProblem if that fails."""
        try:
            url = normalize_base_url(base_url)
        except AccountError as error:
            raise ConnectProblem(ProblemKind.BAD_INPUT, str(error)) from None
        key = api_key.strip()
        if not key:
            raise ConnectProblem(ProblemKind.BAD_INPUT, "Enter the API key.")
        client = self._client_factory(url, key, retry=RetryPolicy(attempts=2), timeout=TEST_TIMEOUT)
        try:
            async with client:
                profile = await client.profile.get()
        except ApiError as error:
            raise explain(error, url) from None
        user = profile.user
        return WhoAmI(int(user.id), user.full_name, user.email, profile.account_id, url)

    async def add(
        self, name: str, base_url: str, api_key: str, *, remember: bool = True
    ) -> tuple[Account, WhoAmI]:
        """Check the key, keep it (keyring, or this session only), register the account.

        Nothing is kept when any step fails.
        """
        name = name.strip()
        if not name:
            raise ConnectProblem(ProblemKind.BAD_INPUT, "Give the account a name.")
        if any(a.name == name for a in self._registry.list()):
            raise ConnectProblem(
                ProblemKind.BAD_INPUT, f"An account named “{name}” already exists."
            )
        if remember:
            status = await self._secrets.status()
            if not status.usable:
                raise ConnectProblem(ProblemKind.NO_KEYRING, status.advice)
        who = await self.test(base_url, api_key)
        account = self._registry.add(name, who.base_url)
        try:
            await self._secrets.put(account.id, api_key, remember=remember)
        except SecretUnavailable as error:
            self._registry.remove(account.name)
            raise ConnectProblem(ProblemKind.NO_KEYRING, str(error)) from None
        account = self._registry.set_user(account, who.user_id, who.name)
        self._registry.mark_used(account)
        return account, who
