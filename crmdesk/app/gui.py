"""The windowed app: the QApplication on qasync's loop, and one window per session.

Order of a start (measured in ``bench/bench_ui.py``): create the QApplication, open the
account's store, build and show the window (its first table query runs at once), and only
then start network work (the first sync). Closing the window stops the sync, closes the
connections, then the database.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

log = logging.getLogger("crmdesk")


def run_on_qasync(coro: Coroutine[Any, Any, int]) -> int:
    """Run the app's main coroutine on qasync's Qt event loop."""
    import qasync

    if sys.version_info >= (3, 12):
        return asyncio.run(coro, loop_factory=qasync.QEventLoop)
    return int(qasync.run(coro))  # pragma: no cover - Python 3.11


def create_application(theme: str = "auto") -> Any:
    """The QApplication, styled, with the excepthook installed."""
    from PySide6.QtWidgets import QApplication

    from crmdesk.ui.errors import install_excepthook
    from crmdesk.ui.icons import app_icon
    from crmdesk.ui.style import apply_style

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else None
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "crmdesk"])
    app.setApplicationName("crmdesk")
    app.setApplicationDisplayName("crmdesk")
    app.setDesktopFileName("crmdesk")
    app.setWindowIcon(app_icon())
    # qasync stops the loop under a pending future if the last window closes by itself
    # (a connect dialog alone, say); the app quits explicitly instead.
    app.setQuitOnLastWindowClosed(False)
    apply_style(app, theme)
    install_excepthook(lambda: app.activeWindow())
    return app


def run_gui(options: argparse.Namespace) -> int:
    """Open the window and run until it is closed."""
    from crmdesk.api import install_log_redaction

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    install_log_redaction()  # before anything can log a URL with a key in it
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
    app = create_application(options.theme)
    return run_on_qasync(_gui_main(app, options))


async def _gui_main(app: Any, options: argparse.Namespace) -> int:
    from crmdesk.services.paths import default_paths

    if options.open_store is not None:
        paths = default_paths(options.data_dir).ensure()
        return await _open_store_window(options.open_store, paths.config_dir)
    if options.demo:
        from crmdesk.app.demo import run_demo

        return await run_demo(options.data_dir)
    paths = default_paths(options.data_dir).ensure()
    return await run_accounts(paths, options.account)


# ------------------------------------------------------------------ accounts


async def run_accounts(paths: Any, name: str | None = None) -> int:
    """Open ``name`` (or the account used last, or the only one); ask to connect one if
    there is none."""
    from crmdesk.services.accounts import AccountError, AccountRegistry
    from crmdesk.services.secrets import SecretStore
    from crmdesk.ui.errors import show_error

    secrets = SecretStore()
    try:
        registry = AccountRegistry(paths.accounts_file)
        accounts = registry.list()
        account: Any = (
            registry.get(name)
            if name
            else registry.last_used or (accounts[0] if len(accounts) == 1 else None)
        )
    except AccountError as error:
        await _closed(show_error(None, "crmdesk", str(error)))
        return 1
    if account is None:
        account = await connect_account(registry, secrets)
        if account is None:
            return 0
    return await run_account(paths, registry, secrets, account)


async def connect_account(registry: Any, secrets: Any) -> Any:
    """Show the connect dialog; the account added, or None if it was cancelled."""
    from crmdesk.services.connect import ConnectService
    from crmdesk.ui.connect_dialog import ConnectDialog

    dialog = ConnectDialog(ConnectService(registry, secrets))
    chosen: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def finish(account: Any) -> None:
        if not chosen.done():
            chosen.set_result(account)

    dialog.connected.connect(lambda account, _who: finish(account))
    dialog.rejected.connect(lambda: finish(None))
    dialog.start()
    try:
        return await chosen
    finally:
        await dialog.settled()
        dialog.deleteLater()


async def run_account(
    paths: Any,
    registry: Any,
    secrets: Any,
    account: Any,
    *,
    client_options: dict[str, Any] | None = None,
    title: str | None = None,
    on_window: Callable[[Any], None] | None = None,
) -> int:
    """Open an account's workspace and its window; sync starts once the window shows."""
    from crmdesk.services.browse import BrowseService
    from crmdesk.services.workspace import Workspace, WorkspaceError
    from crmdesk.ui.errors import show_error
    from crmdesk.ui.main_window import EventBridge, MainWindow
    from crmdesk.ui.settings import UiSettings

    try:
        workspace = await Workspace.open(
            paths, account, secrets=secrets, registry=registry, client_options=client_options
        )
    except WorkspaceError as error:
        await _closed(show_error(None, "crmdesk", str(error)))
        return 1
    browse = BrowseService(workspace.store, workspace.views_path)
    bridge = EventBridge()
    unsubscribe = [
        workspace.bus.subscribe_status(bridge.publish_status),
        workspace.bus.subscribe_changes(bridge.publish_changes),
    ]

    async def sync_now() -> None:
        await workspace.sync.sync_now()

    async def set_key(key: str, remember: bool) -> None:
        await workspace.set_key(key, remember=remember)

    try:
        window = MainWindow(
            browse,
            UiSettings(paths.config_dir / "ui.ini"),
            title or workspace.name,
            account.id,
            bridge=bridge,
            sync_now=sync_now,
            set_key=set_key,
        )
        window.show()
        if on_window is not None:
            on_window(window)
        bridge.publish_status(workspace.bus.status)
        await window.page.settled()  # the first table is on screen: now the network
        workspace.sync.start()
        integrity = asyncio.ensure_future(_check_integrity(window))
        await _wait_closed(window)
        integrity.cancel()
        await asyncio.gather(integrity, return_exceptions=True)
    finally:
        for stop in unsubscribe:
            stop()
        browse.close()
        await workspace.close()
    return 0


# ------------------------------------------------------------------ a bare store


def open_store_window(path: Path, config_dir: Path) -> tuple[Any, Callable[[], None]]:
    """A shown window over a local database file (no account, no sync) and its closer."""
    from crmdesk.services.browse import BrowseService
    from crmdesk.store import Store
    from crmdesk.ui.main_window import MainWindow
    from crmdesk.ui.settings import UiSettings

    store = Store.open(path)  # a large file is checked in the background
    browse = BrowseService(store, path.parent / "views.json")
    try:
        window = MainWindow(browse, UiSettings(config_dir / "ui.ini"), path.stem, f"file:{path}")
    except BaseException:
        browse.close()
        store.close()
        raise
    window.show()

    def close() -> None:
        browse.close()
        store.close()

    return window, close


async def _open_store_window(path: Path, config_dir: Path) -> int:
    window, close = open_store_window(path, config_dir)
    check = asyncio.ensure_future(_check_integrity(window))
    try:
        await _wait_closed(window)
    finally:
        check.cancel()
        await asyncio.gather(check, return_exceptions=True)
        close()
    return 0


# ------------------------------------------------------------------ helpers


async def _check_integrity(window: Any) -> None:
    from crmdesk.domain.errors import CrmError
    from crmdesk.ui.errors import show_error

    try:
        await window.browse.check_integrity()
    except CrmError as error:
        show_error(window, "crmdesk - damaged database", str(error))


async def _wait_closed(window: Any) -> None:
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    await closed.wait()


async def _closed(box: Any) -> None:
    """Wait until a message box is closed."""
    done = asyncio.Event()
    box.finished.connect(lambda _result: done.set())
    await done.wait()
