"""Composition root: builds the loop, store, client, sync engine, services and window.

The only module that sees every layer; nothing imports it (``crmdesk.__main__`` and the
``crmdesk`` console script start it). A first argument that is not an option is a headless
subcommand and goes to ``crmdesk.cli`` before anything imports Qt.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger("crmdesk")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``crmdesk`` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        from crmdesk import __version__

        sys.stdout.write(f"crmdesk {__version__}\n")
        return 0
    if args and not args[0].startswith("-"):
        return _run_cli(args)
    options = _parser().parse_args(args)
    return run_gui(options)


def _run_cli(args: list[str]) -> int:
    try:
        cli = importlib.import_module("crmdesk.cli")
    except ModuleNotFoundError:
        sys.stderr.write(f"crmdesk: unknown command {args[0]!r}. Try `crmdesk --help`.\n")
        return 2
    return int(cli.main(args) or 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crmdesk",
        description="Desktop client for Pipeline CRM. Without options it opens the window "
        "for the account used last.",
        epilog="Headless commands (no window): account, sync, deals, people, companies, "
        "outbox, conflicts, export - see `crmdesk COMMAND --help`.",
    )
    parser.add_argument("-V", "--version", action="version", version=_version())
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep accounts, databases and window state in DIR (one self-contained profile)",
        metavar="DIR",
    )
    parser.add_argument(
        "--theme",
        choices=("auto", "light", "dark"),
        default="auto",
        help="colour scheme (default: follow the system)",
    )
    parser.add_argument(
        "--open-store",
        type=Path,
        metavar="FILE",
        help="open a local crmdesk database file directly, without an account (no sync)",
    )
    return parser


def _version() -> str:
    from crmdesk import __version__

    return f"crmdesk {__version__}"


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
    # qasync stops the loop under a pending future if the last window closes by itself;
    # the app quits explicitly instead.
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
    return run_on_qasync(_gui_main(app, options))


async def _gui_main(app: Any, options: argparse.Namespace) -> int:
    from crmdesk.services.paths import default_paths

    paths = default_paths(options.data_dir).ensure()
    if options.open_store is not None:
        return await _open_store_window(app, options.open_store, paths.config_dir)
    sys.stderr.write(
        "crmdesk: opening accounts comes with the sync service; for now use "
        "`crmdesk --open-store FILE`.\n"
    )
    return 2


async def _wait_closed(window: Any) -> None:
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    await closed.wait()


def open_store_window(path: Path, config_dir: Path) -> tuple[Any, Callable[[], None]]:
    """A shown window over a local database file (no account, no sync) and its closer."""
    from crmdesk.services.browse import BrowseService
    from crmdesk.store import Store
    from crmdesk.ui.main_window import MainWindow
    from crmdesk.ui.settings import UiSettings

    # The integrity check takes seconds on a big file: it runs after the first paint.
    store = Store.open(path, check=False)
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


async def _open_store_window(app: Any, path: Path, config_dir: Path) -> int:
    window, close = open_store_window(path, config_dir)
    check = asyncio.ensure_future(_check_integrity(window))
    try:
        await _wait_closed(window)
    finally:
        check.cancel()
        await asyncio.gather(check, return_exceptions=True)
        close()
    return 0


async def _check_integrity(window: Any) -> None:
    from crmdesk.domain.errors import CrmError
    from crmdesk.ui.errors import show_error

    await window.page.settled()
    try:
        await window.browse.check_integrity()
    except CrmError as error:
        show_error(window, "crmdesk - damaged database", str(error))


if __name__ == "__main__":
    sys.exit(main())
