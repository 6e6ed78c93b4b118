"""One open account: its local store, API client, sync engine and the services over them.

    paths = default_paths(data_dir).ensure()
    ws = await Workspace.open(paths, registry.get("Work"), secrets=SecretStore(),
                              registry=registry)
    ws.bus.subscribe_status(on_status)        # SyncStatus snapshots (see events.py)
    ws.bus.subscribe_changes(on_changes)      # ChangeSets (see events.py)
    ws.sync.start()                           # pull now, then every few minutes
    browse = BrowseService(ws.store, ws.views_path)
    await ws.edits.update(Entity.DEAL, 42, {"name": "Renamed"})   # offline-first
    ...
    await ws.close()                          # sync stops, client closes, store closes

Create and close it inside the running event loop (qasync's under the GUI). The store is
``AppPaths.account_dir(base_url, user_id) / "store.db"``: the same server and user find the
same local data - and its queued changes - on every run, online or not.

The user id comes from the account registry; the first time (no user id yet) it is asked
from ``/profile`` and recorded. ``open_url`` serves ``--base-url URL --api-key-env VAR``:
no registry entry, a salted-hash index (``key_index.py``) maps the key to its user so that
later runs work offline too. The key is never written to a file.

Without a key (none in the keyring or ``CRMDESK_API_KEY``) the workspace still opens for
reading and editing; sync runs stop as *paused* until ``set_key``. A 401 pauses the same
way; ``set_key`` checks that the new key belongs to the same user, keeps it (keyring or
this session only) and resumes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crmdesk.api import PipelineClient
from crmdesk.api.errors import ApiError, AuthenticationError, TransportError
from crmdesk.api.params import user_zone
from crmdesk.domain.errors import CrmError
from crmdesk.domain.records import Profile
from crmdesk.services.accounts import Account, AccountRegistry, normalize_base_url
from crmdesk.services.conflict_view import ConflictViews
from crmdesk.services.edit_form import EditFormService
from crmdesk.services.edits import EditService
from crmdesk.services.events import EventBus
from crmdesk.services.key_index import KeyIndex
from crmdesk.services.paths import AppPaths
from crmdesk.services.queue_view import QueueView
from crmdesk.services.secrets import SecretStore
from crmdesk.services.sync_service import SyncService
from crmdesk.store import Store
from crmdesk.sync import SyncEngine, SyncOptions

log = logging.getLogger("crmdesk.services")

STORE_FILE = "store.db"
VIEWS_FILE = "views.json"


class WorkspaceError(CrmError):
    """The account cannot be opened (or its key cannot be changed); says why in words."""


async def who_is(
    base_url: str, api_key: str, app_key: str | None, client_options: Mapping[str, Any]
) -> Profile:
    """The profile the key belongs to (``/profile``); WorkspaceError in plain words."""
    host = urlsplit(base_url).netloc or base_url
    try:
        async with PipelineClient(base_url, api_key, app_key=app_key, **client_options) as client:
            return await client.profile.get()
    except AuthenticationError:
        raise WorkspaceError(
            f"The server at {host} did not accept the API key. Copy it again from Pipeline "
            "CRM (your profile, API key) and check it belongs to this server."
        ) from None
    except TransportError as error:
        raise WorkspaceError(
            f"Cannot reach {host} to find out which user the API key belongs to ({error}). "
            "The first use of a key needs the server; later runs work offline."
        ) from None
    except ApiError as error:
        raise WorkspaceError(f"The server at {host} failed: {error}") from None


class Workspace:
    """An open account; build it with ``open`` or ``open_url``, end it with ``close``."""

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        user_id: int,
        app_key: str | None,
        directory: Path,
        store: Store,
        client: PipelineClient | None,
        client_options: Mapping[str, Any],
        sync_options: SyncOptions | None,
        interval: float,
        secrets: SecretStore | None,
        account: Account | None,
        key_index: KeyIndex | None,
    ) -> None:
        self.name = name
        self.base_url = base_url
        self.user_id = user_id
        self.app_key = app_key
        self.directory = directory
        self.store = store
        self.client = client
        self.account = account
        self._client_options = dict(client_options)
        self._secrets = secrets
        self._key_index = key_index
        self.bus = EventBus()
        self.engine = SyncEngine(store, client, self.bus, sync_options)
        self.sync = SyncService(self.engine, interval=interval)
        self.edits = EditService(
            store, self.bus, on_queued=self._queued, on_retry=self._retry, zone=self._zone()
        )
        self.queue = QueueView(store)  # the Pending Changes panel's rows
        self.conflict_views = ConflictViews(store)  # what the conflict dialogs show
        # what the record editor reads (fields, choices, the server's complaints)
        self.forms = EditFormService(store, zone=self.edits.zone)
        self._closed = False

    # ------------------------------------------------------------------ opening

    @classmethod
    async def open(
        cls,
        paths: AppPaths,
        account: Account,
        *,
        secrets: SecretStore,
        registry: AccountRegistry | None = None,
        client_options: Mapping[str, Any] | None = None,
        sync_options: SyncOptions | None = None,
        interval: float = 300.0,
        store: Store | None = None,
    ) -> Workspace:
        """Open a registered account (its key from ``secrets``: session, keyring, env).

        ``store``: the account's store, already opened by the caller (the window opens it
        first to paint before the network stack is even imported); the workspace owns it
        from then on and closes it.
        """
        options = dict(client_options or {})
        key = await secrets.get(account.id)
        user_id = account.user_id
        if user_id is None:
            if not key:
                raise WorkspaceError(
                    f"There is no API key for {account.name!r}: add it again with its key, "
                    "or set the CRMDESK_API_KEY environment variable."
                )
            profile = await who_is(account.base_url, key, account.app_key, options)
            user_id = int(profile.user.id)
            if registry is not None:
                account = registry.set_user(account, user_id, profile.user.full_name)
        if registry is not None:
            registry.mark_used(account)
        return await cls._assemble(
            paths,
            name=account.name,
            base_url=account.base_url,
            user_id=user_id,
            app_key=account.app_key,
            key=key,
            client_options=options,
            sync_options=sync_options,
            interval=interval,
            secrets=secrets,
            account=account,
            key_index=None,
            store=store,
        )

    @classmethod
    async def open_url(
        cls,
        paths: AppPaths,
        base_url: str,
        api_key: str,
        *,
        app_key: str | None = None,
        client_options: Mapping[str, Any] | None = None,
        sync_options: SyncOptions | None = None,
        interval: float = 300.0,
    ) -> Workspace:
        """Open the account a key belongs to on ``base_url``, without a registry entry."""
        url = normalize_base_url(base_url)
        key = api_key.strip()
        if not key:
            raise WorkspaceError("The API key is empty.")
        options = dict(client_options or {})
        index = KeyIndex(paths.data_dir / "keys.json")
        user_id = index.user_id(url, key)
        if user_id is None:
            profile = await who_is(url, key, app_key, options)
            user_id = int(profile.user.id)
            index.remember(url, key, user_id)
        return await cls._assemble(
            paths,
            name=urlsplit(url).netloc,
            base_url=url,
            user_id=user_id,
            app_key=app_key,
            key=key,
            client_options=options,
            sync_options=sync_options,
            interval=interval,
            secrets=None,
            account=None,
            key_index=index,
        )

    @classmethod
    async def _assemble(
        cls,
        paths: AppPaths,
        *,
        name: str,
        base_url: str,
        user_id: int,
        app_key: str | None,
        key: str | None,
        client_options: dict[str, Any],
        sync_options: SyncOptions | None,
        interval: float,
        secrets: SecretStore | None,
        account: Account | None,
        key_index: KeyIndex | None,
        store: Store | None = None,
    ) -> Workspace:
        directory = paths.account_dir(base_url, user_id)
        if store is None:
            # Opening checks the file (quick_check): off the loop, it can take a while.
            store = await asyncio.to_thread(Store.open, directory / STORE_FILE)
        elif store.path != directory / STORE_FILE:
            raise WorkspaceError(f"{store.path} is not the store of {name!r}.")
        client = None
        if key:
            client = PipelineClient(base_url, key, app_key=app_key, **client_options)
            client.open()
        return cls(
            name=name,
            base_url=base_url,
            user_id=user_id,
            app_key=app_key,
            directory=directory,
            store=store,
            client=client,
            client_options=client_options,
            sync_options=sync_options,
            interval=interval,
            secrets=secrets,
            account=account,
            key_index=key_index,
        )

    # ------------------------------------------------------------------ use

    @property
    def views_path(self) -> Path:
        """Where this account's local saved views live (for ``BrowseService``)."""
        return self.directory / VIEWS_FILE

    @property
    def has_key(self) -> bool:
        """False when no API key is known (sync is paused until ``set_key``)."""
        return self.client is not None

    def _zone(self) -> Any:
        profile = self.store.read().lookups.get("profile") or {}
        zone = profile.get("time_zone")
        return user_zone(zone if isinstance(zone, str) else None)

    def _queued(self) -> None:
        if self.sync.running:
            self.sync.changes_queued()

    def _retry(self) -> None:
        if self.sync.running:
            self.sync.push_now()

    async def set_key(self, api_key: str, *, remember: bool = True) -> None:
        """Use a new API key: it must belong to this workspace's user. It is kept in the
        keyring (``remember``) or for this session only, and syncing resumes."""
        key = api_key.strip()
        if not key:
            raise WorkspaceError("The API key is empty.")
        profile = await who_is(self.base_url, key, self.app_key, self._client_options)
        if int(profile.user.id) != self.user_id:
            raise WorkspaceError(
                f"This key belongs to {profile.user.full_name} (user {profile.user.id}), not to "
                f"the user of this account (user {self.user_id}). Its queued changes stay here."
            )
        if self._secrets is not None and self.account is not None:
            await self._secrets.put(self.account.id, key, remember=remember)
        if self._key_index is not None:
            self._key_index.remember(self.base_url, key, self.user_id)
        client = PipelineClient(self.base_url, key, app_key=self.app_key, **self._client_options)
        client.open()
        old = self.client
        await self.engine.swap_client(client)
        self.client = client
        if old is not None:
            await old.aclose()
        self.edits.zone = self._zone()
        if self.sync.running:
            self.sync.key_changed()

    async def close(self) -> None:
        """Stop syncing, close the connections, then the database (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            await self.sync.stop()
        finally:
            try:
                if self.client is not None:
                    await self.client.aclose()
            finally:
                self.store.close()  # on this thread: it also closes this thread's reader
                self.bus.clear()

    async def __aenter__(self) -> Workspace:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
