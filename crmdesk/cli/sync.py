"""``crmdesk sync``: one full pull and push, with progress; ``--json`` for scripts."""

from __future__ import annotations

import argparse

from crmdesk.cli.output import FAILED, OK, CliError, Progress, emit_json, say
from crmdesk.cli.session import add_account_options, open_workspace
from crmdesk.services.secrets import ENV_VAR
from crmdesk.sync import SyncReport


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``sync`` command."""
    parser = commands.add_parser(
        "sync",
        help="send queued changes and fetch what changed on the server",
        description="One full sync: settle unfinished sends, fetch what changed on the "
        "server, send every queued change. Exit status 1 when it could not complete (queued "
        "changes are kept either way).",
    )
    add_account_options(parser)
    parser.add_argument(
        "--json", action="store_true", help="print a JSON summary as the last stdout line"
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="also list every record id to find deletions the slow way, and re-read "
        "lookup lists and custom fields",
    )
    parser.set_defaults(run=run_sync)


async def run_sync(options: argparse.Namespace) -> int:
    """Run one sync and report it."""
    progress = Progress()
    async with open_workspace(options) as workspace:
        if not workspace.has_key:
            raise CliError(
                f"There is no API key for account {workspace.name!r}: the keyring has none "
                f"and {ENV_VAR} is not set. Set {ENV_VAR}, or use --base-url URL "
                "--api-key-env VAR. Queued changes are kept."
            )
        workspace.bus.subscribe_status(progress)
        try:
            report = await workspace.engine.sync(sweep=options.full, account=options.full)
        finally:
            progress.done()
    if options.json:
        emit_json(report.as_json())
    else:
        say(describe(report))
    for note in report.notes:
        say(note)
    if not report.complete:
        say(
            f"crmdesk: the sync could not complete: {report.error} "
            f"{report.pending:,} queued change(s) are kept and will be sent next time."
        )
        return FAILED
    return OK


def describe(report: SyncReport) -> str:
    """A short summary for people."""
    pulled = sum(report.pulled.values())
    parts = [f"Fetched {pulled:,} record(s)"]
    if report.pulled:
        parts[0] += " (" + ", ".join(f"{k} {v:,}" for k, v in report.pulled.items()) + ")"
    parts.append(f"sent {report.pushed:,} change(s)")
    deleted = sum(report.deleted.values())
    if deleted:
        parts.append(f"removed {deleted:,} record(s) deleted on the server")
    text = "; ".join(parts) + f" in {report.seconds:.1f} s ({report.requests:,} requests)."
    if report.conflicts:
        text += f" {report.conflicts} new conflict(s): see `crmdesk conflicts`."
    if report.needs_attention or report.deleted_on_server:
        text += " Some changes need attention: see `crmdesk outbox`."
    return text
