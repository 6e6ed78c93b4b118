"""Composition root: builds the loop, store, client, sync engine, services and window.

The only package that sees every layer; nothing imports it (``crmdesk.__main__`` and the
``crmdesk`` console script start it). A first argument that is not an option is a headless
subcommand and goes to ``crmdesk.cli`` before anything imports Qt. ``gui`` opens windows,
``demo`` runs the built-in sandbox for ``--demo``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``crmdesk`` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        sys.stdout.write(f"{_version()}\n")
        return 0
    if args and not args[0].startswith("-"):
        return _run_cli(args)
    options = _parser().parse_args(args)
    from crmdesk.app.gui import run_gui

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
        "for the account used last (or asks you to connect one).",
        epilog="Headless commands (no window): account, sync, deals, people, companies, "
        "outbox, conflicts, export - see `crmdesk COMMAND --help`.",
    )
    parser.add_argument("-V", "--version", action="version", version=_version())
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the app on the built-in sandbox with demo data (no account needed)",
    )
    parser.add_argument(
        "--account", metavar="NAME", help="open this account instead of the one used last"
    )
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
