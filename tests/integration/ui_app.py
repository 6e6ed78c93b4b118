"""The real app window of one account on a sandbox, for end-to-end UI tests.

``AppRun`` opens the window the way ``crmdesk`` does (``run_account``: the local store,
then the workspace, then sync) in its own data folder with an in-memory key, and closes
it again - answering "Close anyway" when changes still wait to be sent, as a person who
wants the app closed would. ``status_until`` and ``synced`` wait on the status bar's
snapshots (signals, never sleep).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMessageBox, QPushButton

from crmdesk.app.gui import run_account
from crmdesk.domain.sync_status import Connection
from crmdesk.services.accounts import AccountRegistry
from crmdesk.services.paths import default_paths
from crmdesk.services.secrets import SecretStore
from tests.ui.qt_helpers import next_signal

ACCOUNT = "Sandbox"


class AppRun:
    """One crmdesk profile (data folder, account, keyring) against a sandbox."""

    def __init__(
        self, base_url: str, profile: Path, client_options: dict[str, Any] | None = None
    ) -> None:
        self.paths = default_paths(profile).ensure()
        self.registry = AccountRegistry(self.paths.accounts_file)
        self.account = self.registry.add(ACCOUNT, base_url)
        self.secrets = SecretStore(environ={})
        self.client_options = {"rate_limit": None, **(client_options or {})}
        self.window: Any = None
        self.run: asyncio.Future[int] | None = None

    async def open(self, api_key: str | None = None) -> Any:
        """Open the window (with ``api_key`` stored first, if given) and wait until its
        first table is shown and editing is ready."""
        if api_key is not None:
            await self.secrets.put(self.account.id, api_key, remember=False)
        opened: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.run = asyncio.ensure_future(
            run_account(
                self.paths,
                self.registry,
                self.secrets,
                self.registry.get(ACCOUNT),
                client_options=self.client_options,
                on_window=opened.set_result,
            )
        )
        self.window = await asyncio.wait_for(opened, 30)
        await self.window.page.settled()
        while self.window.edits is None:
            await next_signal(self.window.editing_ready, 30)
        return self.window

    async def close(self, limit: float = 30.0) -> int:
        """Close the window ("Close anyway" if it asks about waiting changes); returns the
        run's exit status."""
        self.window.close()
        box = self.window.findChild(QMessageBox, "pendingCloseBox")
        if box is not None and box.isVisible():
            box.findChild(QPushButton, "closeAnyway").click()
        assert self.run is not None
        return await asyncio.wait_for(self.run, limit)


async def status_until(window: Any, check: Any, limit: float = 60.0) -> Any:
    """Wait for a status snapshot for which ``check`` is true; returns it."""
    status = window.status.status
    while status is None or not check(status):
        (status,) = await next_signal(window.bridge.status_changed, limit)
    return status


async def synced(window: Any, after: Any = None, limit: float = 60.0) -> Any:
    """Wait for the end of a sync run later than ``after``; returns its time."""
    status = await status_until(
        window,
        lambda s: (
            s.connection is Connection.IDLE
            and s.last_sync is not None
            and (after is None or s.last_sync > after)
        ),
        limit,
    )
    return status.last_sync
