"""``crmdesk outbox`` and ``crmdesk conflicts [resolve ID --take mine|theirs]``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from crmdesk.cli.output import NOT_FOUND, OK, CliError, emit_json, say, table
from crmdesk.cli.session import add_account_options, open_workspace
from crmdesk.domain.outbox import Resolution
from crmdesk.store import UnknownOperationError
from crmdesk.store.errors import StoreError


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``outbox`` and ``conflicts``."""
    outbox = commands.add_parser("outbox", help="changes waiting to be sent")
    outbox.add_argument("--json", action="store_true", help="print one JSON document")
    add_account_options(outbox)
    outbox.set_defaults(run=run_outbox)
    conflicts = commands.add_parser("conflicts", help="fields changed here and on the server")
    conflicts.add_argument("--json", action="store_true", help="print one JSON document")
    add_account_options(conflicts)
    conflicts.set_defaults(run=run_conflicts)
    sub = conflicts.add_subparsers(dest="action", metavar="ACTION")
    resolve = sub.add_parser("resolve", help="keep my value or the server's")
    resolve.add_argument("conflict_id", type=int, metavar="ID")
    resolve.add_argument("--take", choices=("mine", "theirs"), required=True)
    add_account_options(resolve)
    resolve.set_defaults(run=run_resolve)


def _entry_json(entry: Any) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "op_id": entry.op_id,
        "entity": entry.entity.value,
        "record_id": entry.record_id,
        "kind": entry.kind.value,
        "state": entry.state.value,
        "patch": dict(entry.patch),
        "base": dict(entry.base),
        "attempts": entry.attempts,
        "last_error": entry.last_error,
        "field_errors": [{"field": e.field, "message": e.message} for e in entry.field_errors],
        "parent_id": entry.parent_id,
    }


async def run_outbox(options: argparse.Namespace) -> int:
    """The queue, oldest first."""
    async with open_workspace(options) as workspace:
        entries = workspace.edits.outbox()
        counts = workspace.edits.counts()
    if options.json:
        emit_json([_entry_json(e) for e in entries])
        return OK
    rows = [
        (
            e.seq,
            e.kind.value,
            e.entity.value,
            e.record_id,
            e.state.value,
            ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in e.patch.items()),
            e.attempts,
            "; ".join(str(f) for f in e.field_errors) or (e.last_error or ""),
        )
        for e in entries
    ]
    table(("SEQ", "KIND", "ENTITY", "ID", "STATE", "CHANGES", "TRIES", "PROBLEM"), rows)
    say(
        f"{counts.total} queued change(s), {counts.waiting_for_parent} waiting for a parent, "
        f"{counts.open_conflicts} open conflict(s)."
    )
    return OK


def _conflict_json(conflict: Any) -> dict[str, Any]:
    return {
        "id": conflict.id,
        "entity": conflict.entity.value,
        "record_id": conflict.record_id,
        "field": conflict.field,
        "base": conflict.base,
        "mine": conflict.mine,
        "theirs": conflict.theirs,
        "changed_by": conflict.changed_by,
        "changed_at": conflict.changed_at,
    }


async def run_conflicts(options: argparse.Namespace) -> int:
    """Open conflicts: the value I chose, the server's, and the one both started from."""
    async with open_workspace(options) as workspace:
        conflicts = workspace.edits.conflicts()
    if options.json:
        emit_json([_conflict_json(c) for c in conflicts])
        return OK
    rows = [
        (c.id, c.entity.value, c.record_id, c.field, c.mine, c.theirs, c.base, c.changed_at)
        for c in conflicts
    ]
    table(("ID", "ENTITY", "RECORD", "FIELD", "MINE", "THEIRS", "BEFORE", "CHANGED AT"), rows)
    if conflicts:
        say("Resolve one with `crmdesk conflicts resolve ID --take mine|theirs`.")
    else:
        say("No open conflicts.")
    return OK


async def run_resolve(options: argparse.Namespace) -> int:
    """Keep my value (queued again) or the server's (mine goes to the history)."""
    take = Resolution(options.take)
    async with open_workspace(options) as workspace:
        try:
            await workspace.edits.resolve(options.conflict_id, take)
        except UnknownOperationError as error:
            raise CliError(str(error), NOT_FOUND) from None
        except StoreError as error:
            raise CliError(str(error)) from None
    if take is Resolution.MINE:
        say(f"Kept your value; `crmdesk sync` sends it (conflict {options.conflict_id}).")
    else:
        say(
            "Took the server's value; yours is kept in the history "
            f"(conflict {options.conflict_id})."
        )
    return OK
