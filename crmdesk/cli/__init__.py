"""The headless command line: ``crmdesk <command> ...`` (never imports Qt).

``crmdesk.app:main`` hands every first argument that is not an option to ``main`` here
before anything imports Qt. Commands:

    account add NAME [--base-url URL] | account list | account remove NAME
    sync [--json] [--full]
    deals|people|companies list [--search TEXT] [--json] | show ID | create --set F=V ...
                           | update ID --set F=V ... | delete ID
    outbox [--json] | conflicts [--json] | conflicts resolve ID --take mine|theirs
    export deals|people|companies --format csv [--output FILE]

Each command that needs an account takes ``--account NAME`` or ``--base-url URL
--api-key-env VAR``, and ``--data-dir DIR``. Exit statuses: 0 done, 1 failed (server
unreachable, key refused, sync incomplete), 2 bad usage or input (unknown option, account,
field or value), 3 no such record / change / conflict.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from crmdesk.api.redaction import install_log_redaction
from crmdesk.cli import accounts, queue, records, sync
from crmdesk.cli.output import FAILED, USAGE, CliError, say
from crmdesk.domain.errors import CrmError

COMMANDS = ("account", "sync", "deals", "people", "companies", "outbox", "conflicts", "export")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        say(f"{self.prog}: {message}")
        raise SystemExit(USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every headless command."""
    parser = _Parser(
        prog="crmdesk",
        description="crmdesk's command line: sync and edit a Pipeline CRM account offline.",
        epilog="Exit status: 0 done, 1 failed (server unreachable, key refused, sync "
        "incomplete), 2 bad usage or input, 3 no such record.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    accounts.register(commands)
    sync.register(commands)
    records.register(commands)
    queue.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in args if not a.startswith("-")), None)
    if first is not None and first not in COMMANDS:
        say(f"crmdesk: unknown command {first!r}. Commands: {', '.join(COMMANDS)}.")
        return USAGE
    parser = build_parser()
    try:
        options = parser.parse_args(args)
    except SystemExit as stop:
        return int(stop.code or 0)
    if options.command is None or not hasattr(options, "run"):
        parser.print_help(sys.stderr)
        return USAGE
    logging.basicConfig(
        level=logging.DEBUG if getattr(options, "verbose", False) else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    install_log_redaction()
    try:
        return int(asyncio.run(options.run(options)))
    except CliError as error:
        say(f"crmdesk: {error}")
        return error.status
    except CrmError as error:
        say(f"crmdesk: {error}")
        return FAILED
    except KeyboardInterrupt:
        say("crmdesk: interrupted; queued changes are kept.")
        return 130
