"""The windowed app: the QApplication on qasync's loop, and one window per session.

Order of a start (measured in ``bench/bench_ui.py``): create the QApplication, open the
account's store, build and show the window (its first table query runs at once), and only
then start network work (the first sync). Closing the window stops the sync, closes the
connections, then the database.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

log = logging.getLogger("crmdesk")

#: File names in an account's folder (as crmdesk.services.workspace has them; repeated
#: here so that the first paint does not import the network stack - a test checks).
STORE_FILE = "store.db"
VIEWS_FILE = "views.json"


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
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = create_application(options.theme)
    _close_on_signals(app)
    return run_on_qasync(_gui_main(app, options))


def _close_on_signals(app: Any) -> None:
    """Ctrl+C in the terminal (or a SIGTERM) closes the windows, which ends the run the
    normal way: sync stopped, connections and databases closed, the demo sandbox stopped."""
    import signal

    from PySide6.QtCore import QTimer

    def close_all(*_args: Any) -> None:
        for widget in app.topLevelWidgets():
            if widget.isVisible():
                widget.close()

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, close_all)
    # Python handles a signal only when it runs; while Qt idles, this wakes it up.
    ticker = QTimer(app, interval=250)
    ticker.timeout.connect(lambda: None)
    ticker.start()


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
    from crmdesk.ui.errors import show_error

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
        from crmdesk.services.secrets import SecretStore

        secrets = SecretStore()
        account = await connect_account(registry, secrets)
        if account is None:
            return 0
        return await run_account(paths, registry, secrets, account)
    # keyring (~30 ms to import) is not needed before the first paint
    return await run_account(paths, registry, None, account)


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
    """Open an account's window and workspace; sync starts once the window shows.

    ``secrets`` None: the system's (a SecretStore made once the window is up).

    An account whose user is known (every run after the first) opens its local store and
    paints the window before the API client, the sync engine and httpx are even imported;
    the workspace then takes the open store over. The first run asks ``/profile`` first.
    """
    from crmdesk.store import Store

    workspace = None
    if account.user_id is not None:
        path = paths.account_dir(account.base_url, account.user_id) / STORE_FILE
        store = await asyncio.to_thread(Store.open, path)
    else:
        workspace = await _open_workspace(paths, registry, secrets, account, client_options)
        if workspace is None:
            return 1
        store = workspace.store
    window, browse, bridge = _account_window(paths, store, account, title or account.name)
    closed = _closed_signal(window)  # before anything else: it may be closed early
    if on_window is not None:
        on_window(window)
    try:
        await window.page.settled()  # the first table is on screen: now the network
        if workspace is None and not closed.is_set():
            # httpx, the client and the engine take ~150 ms to import: a worker thread
            # does it, so the window keeps answering meanwhile
            await asyncio.to_thread(importlib.import_module, "crmdesk.services.workspace")
            workspace = await _open_workspace(
                paths, registry, secrets, account, client_options, store=store
            )
        if workspace is not None:
            window.attach_sync(workspace, bridge)
            workspace.sync.start()
        integrity = asyncio.ensure_future(_check_integrity(window))
        await closed.wait()
        integrity.cancel()
        await asyncio.gather(integrity, return_exceptions=True)
    finally:
        browse.close()
        if workspace is not None:
            await workspace.close()  # stops the sync, then closes the store
        else:
            store.close()
    return 0


def _account_window(paths: Any, store: Any, account: Any, title: str) -> tuple[Any, Any, Any]:
    from crmdesk.services.browse import BrowseService
    from crmdesk.ui.main_window import EventBridge, MainWindow
    from crmdesk.ui.settings import UiSettings

    browse = BrowseService(store, store.path.parent / VIEWS_FILE)
    bridge = EventBridge()
    window = MainWindow(
        browse, UiSettings(paths.config_dir / "ui.ini"), title, account.id, bridge=bridge
    )
    window.show()
    return window, browse, bridge


async def _open_workspace(
    paths: Any,
    registry: Any,
    secrets: Any,
    account: Any,
    client_options: dict[str, Any] | None,
    store: Any = None,
) -> Any:
    """The account's workspace (None after showing why it could not be opened)."""
    from crmdesk.api import install_log_redaction
    from crmdesk.services.secrets import SecretStore
    from crmdesk.services.workspace import Workspace, WorkspaceError
    from crmdesk.ui.errors import show_error

    if secrets is None:
        secrets = SecretStore()
    install_log_redaction()  # before anything can log a URL with a key in it
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
    try:
        return await Workspace.open(
            paths,
            account,
            secrets=secrets,
            registry=registry,
            client_options=client_options,
            store=store,
        )
    except WorkspaceError as error:
        box = show_error(None, "crmdesk", str(error))
        if store is None:
            await _closed(box)
        return None


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
    closed = _closed_signal(window)
    check = asyncio.ensure_future(_check_integrity(window))
    try:
        await closed.wait()
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


def _closed_signal(window: Any) -> asyncio.Event:
    """An event set once ``window`` is closed (connect it right after creating the window:
    a person may close it while the app is still starting)."""
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    return closed


async def _closed(box: Any) -> None:
    """Wait until a message box is closed."""
    done = asyncio.Event()
    box.finished.connect(lambda _result: done.set())
    await done.wait()
