"""``crmdesk --demo``: the app on the built-in sandbox, with believable demo data.

The sandbox runs in this process (on its own thread, on a free loopback port) over a
database file kept in the demo's data directory, next to the demo account's local store,
so edits made in the demo survive a restart. The port changes from run to run; the local
store must not, so the demo's paths put the account's data in one fixed folder. Quitting
the window stops the sandbox.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from crmdesk.app.gui import run_account
from crmdesk.services.accounts import AccountRegistry
from crmdesk.services.paths import AppPaths, default_paths
from crmdesk.services.secrets import SecretStore

DEMO_ACCOUNT = "Demo"
SANDBOX_FILE = "sandbox.db"


class DemoPaths(AppPaths):
    """The demo profile: the account's data stays in one folder whatever the port."""

    def account_dir(self, base_url: str, user_id: int) -> Path:
        """The demo account's folder (ignores the sandbox's changing URL)."""
        return self.data_dir / "demo-account"


def demo_root(data_dir: Path | None) -> Path:
    """The demo's own data directory: ``data_dir`` or a ``demo`` folder in the user's."""
    return Path(data_dir) if data_dir is not None else default_paths().data_dir / "demo"


async def run_demo(data_dir: Path | None = None) -> int:
    """Start the sandbox, open the Demo account on it, stop the sandbox at the end."""
    from crmdesk.sandbox import Sandbox

    root = demo_root(data_dir)
    paths = DemoPaths(config_dir=root, data_dir=root).ensure()
    # Seeding the demo data the first time takes a few seconds: not on the GUI thread.
    sandbox = await asyncio.to_thread(
        Sandbox.start, scale="demo", seed=1, db=str(root / SANDBOX_FILE), rate_limit=None
    )
    try:
        registry = AccountRegistry(paths.accounts_file)
        account = _demo_account(registry, sandbox.base_url)
        secrets = SecretStore(environ={})  # the demo key lives for this session only
        await secrets.put(account.id, sandbox.admin_key, remember=False)
        return await run_account(
            paths,
            registry,
            secrets,
            account,
            client_options={"rate_limit": None},
            title="Demo (built-in sandbox)",
        )
    finally:
        await asyncio.to_thread(sandbox.stop)


def _demo_account(registry: AccountRegistry, base_url: str) -> Any:
    for account in registry.list():
        if account.name == DEMO_ACCOUNT:
            if account.base_url != base_url:
                account = registry.update(replace(account, base_url=base_url))
            return account
    return registry.add(DEMO_ACCOUNT, base_url, demo=True)
