"""``crmdesk deals|people|companies list|show|create|update|delete`` and ``crmdesk export``.

Reads come from the local database; create, update and delete queue an offline change and
return at once - they never wait for the server (``crmdesk sync`` sends them).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from crmdesk.cli.output import NOT_FOUND, OK, USAGE, CliError, emit_json, say, table
from crmdesk.cli.session import add_account_options, open_workspace
from crmdesk.domain.entities import BROWSABLE, Entity
from crmdesk.domain.errors import FieldValueError, UnknownFieldError, ValidationError
from crmdesk.domain.fields import JSON
from crmdesk.services.browse import BrowseService
from crmdesk.services.export import ExportError
from crmdesk.services.table_types import Filter, ViewSpec
from crmdesk.services.workspace import Workspace
from crmdesk.store import UnknownRecordError

COMMANDS = {entity.collection: entity for entity in BROWSABLE}


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``deals``, ``people``, ``companies`` and ``export``."""
    for name, entity in COMMANDS.items():
        parser = commands.add_parser(name, help=f"list, show, create, update, delete {name}")
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        listing = sub.add_parser("list", help=f"{name} in the local database")
        listing.add_argument("--search", metavar="TEXT", help="full-text search (prefixes)")
        listing.add_argument("--limit", type=int, default=None, metavar="N")
        _common(listing, entity, run_list, json=True)
        show = sub.add_parser("show", help="one record")
        show.add_argument("id", type=int, metavar="ID")
        _common(show, entity, run_show, json=True)
        create = sub.add_parser("create", help="queue a new record")
        _sets(create)
        _common(create, entity, run_create, json=True)
        update = sub.add_parser("update", help="queue changes to a record")
        update.add_argument("id", type=int, metavar="ID")
        _sets(update)
        _common(update, entity, run_update, json=True)
        delete = sub.add_parser("delete", help="queue the deletion of a record")
        delete.add_argument("id", type=int, metavar="ID")
        _common(delete, entity, run_delete, json=True)
    export = commands.add_parser("export", help="write a table as CSV")
    export.add_argument("entity", choices=sorted(COMMANDS), metavar="ENTITY")
    export.add_argument("--format", choices=("csv",), default="csv")
    export.add_argument("--search", metavar="TEXT", help="only rows matching TEXT")
    export.add_argument("--output", "-o", metavar="FILE", help="write to FILE (default stdout)")
    add_account_options(export)
    export.set_defaults(run=run_export)


def _common(parser: argparse.ArgumentParser, entity: Entity, run: Any, *, json: bool) -> None:
    if json:
        parser.add_argument("--json", action="store_true", help="print one JSON document")
    add_account_options(parser)
    parser.set_defaults(run=run, entity=entity)


def _sets(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a field (name or label) and its value; repeat for more fields",
    )


# ------------------------------------------------------------------ reads


def _record_json(record: Any) -> dict[str, Any]:
    document = dict(record.data)
    document["id"] = record.id
    document["_sync"] = record.sync.value
    return document


async def run_list(options: argparse.Namespace) -> int:
    """Records of the local table, by name (``--search``: full-text search)."""
    entity: Entity = options.entity
    async with open_workspace(options) as workspace:
        browse = BrowseService(workspace.store, workspace.views_path)
        try:
            spec = ViewSpec(entity, Filter(text=options.search or ""))
            source = await browse.order(await browse.open(spec))
            limit = source.count if options.limit is None else max(0, options.limit)
            if options.json:
                ids = browse.ids(source, 0, limit)
                found = workspace.store.read().records.get_many(entity, ids)
                emit_json([_record_json(found[i]) for i in ids if i in found])
                return OK
            formatter = browse.formatter(entity)
            columns = [c for c in formatter.columns if c.visible and c.key != "sync"]
            keys = [c.key for c in formatter.columns]
            rows = []
            for row in browse.rows(source, 0, limit):
                if row is None:
                    continue
                cells = [row.text[keys.index(c.key)] for c in columns]
                rows.append([row.id, *cells, "" if row.sync.value == "synced" else row.sync.value])
            table(["ID", *[c.title.upper() for c in columns], "SYNC"], rows)
        finally:
            browse.close()
    if not options.json and options.limit is None:
        say(f"{len(rows):,} {entity.plural_label.lower()}.")
    return OK


def _require(workspace: Workspace, entity: Entity, record_id: int) -> Any:
    record = workspace.store.read().records.get(entity, record_id)
    if record is None:
        raise CliError(f"There is no {entity.label.lower()} with id {record_id} here.", NOT_FOUND)
    return record


async def run_show(options: argparse.Namespace) -> int:
    """One record: its fields, its sync state and its queued changes."""
    entity: Entity = options.entity
    async with open_workspace(options) as workspace:
        record = _require(workspace, entity, options.id)
        if options.json:
            emit_json(_record_json(record))
            return OK
        fields = workspace.edits.fields(entity)
        rows: list[tuple[str, Any]] = [("id", record.id), ("sync", record.sync.value)]
        for spec in fields:
            value = record.data.get(spec.name)
            if spec.is_custom:
                custom = record.data.get("custom_fields") or {}
                value = custom.get(spec.name) if isinstance(custom, dict) else None
            if value not in (None, "", []):
                rows.append((f"{spec.name} ({spec.label})", value))
        for key in ("created_at", "updated_at"):
            if record.data.get(key):
                rows.append((key, record.data[key]))
        table(("FIELD", "VALUE"), rows)
        entries = workspace.edits.outbox(entity, record.id)
        if entries:
            say(f"{len(entries)} queued change(s): see `crmdesk outbox`.")
    return OK


# ------------------------------------------------------------------ writes


def _parse_sets(workspace: Workspace, entity: Entity, sets: list[str]) -> dict[str, JSON]:
    texts: dict[str, str] = {}
    for item in sets:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CliError(f"--set needs FIELD=VALUE, not {item!r}.", USAGE)
        texts[name.strip()] = value
    if not texts:
        raise CliError("Nothing to set: give --set FIELD=VALUE (one or more).", USAGE)
    try:
        return workspace.edits.parse(entity, texts)
    except (UnknownFieldError, FieldValueError) as error:
        raise CliError(str(error), USAGE) from None


async def run_create(options: argparse.Namespace) -> int:
    """Queue a new record; prints its local id."""
    entity: Entity = options.entity
    async with open_workspace(options) as workspace:
        values = _parse_sets(workspace, entity, options.sets)
        try:
            record_id = await workspace.edits.create(entity, values)
        except ValidationError as error:
            raise CliError(str(error), USAGE) from None
    if options.json:
        emit_json({"id": record_id, "queued": True})
    else:
        say(f"Queued a new {entity.label.lower()} (local id {record_id}); `crmdesk sync` sends it.")
    return OK


async def run_update(options: argparse.Namespace) -> int:
    """Queue changed fields of a record."""
    entity: Entity = options.entity
    async with open_workspace(options) as workspace:
        _require(workspace, entity, options.id)
        patch = _parse_sets(workspace, entity, options.sets)
        try:
            op_id = await workspace.edits.update(entity, options.id, patch)
        except ValidationError as error:
            raise CliError(str(error), USAGE) from None
        except UnknownRecordError as error:
            raise CliError(str(error), NOT_FOUND) from None
    if options.json:
        emit_json({"id": options.id, "queued": op_id is not None, "op_id": op_id})
    elif op_id is None:
        say(f"Nothing changed: the {entity.label.lower()} already has those values.")
    else:
        say(f"Queued a change to {entity.label.lower()} {options.id} ({', '.join(patch)}).")
    return OK


async def run_delete(options: argparse.Namespace) -> int:
    """Queue the deletion of a record."""
    entity: Entity = options.entity
    async with open_workspace(options) as workspace:
        _require(workspace, entity, options.id)
        try:
            result = await workspace.edits.delete(entity, options.id)
        except UnknownRecordError as error:
            raise CliError(str(error), NOT_FOUND) from None
    queued = isinstance(result, str)
    if options.json:
        emit_json({"id": options.id, "queued": queued})
    elif queued:
        say(f"Queued the deletion of {entity.label.lower()} {options.id}.")
    else:
        say(f"Dropped {entity.label.lower()} {options.id}: the server never had it.")
    return OK


# ------------------------------------------------------------------ export


async def run_export(options: argparse.Namespace) -> int:
    """Write a table (its default columns) as CSV to a file or stdout."""
    entity = COMMANDS[options.entity]
    async with open_workspace(options) as workspace:
        browse = BrowseService(workspace.store, workspace.views_path)
        try:
            keys = [c.key for c in browse.columns(entity) if c.visible and c.key != "sync"]
            spec = ViewSpec(entity, Filter(text=options.search or ""))
            if options.output:
                target = Path(options.output)
                result = await browse.export_csv(spec, keys, target)
                say(f"Wrote {result.rows:,} row(s) to {target}.")
                return OK
            with tempfile.TemporaryDirectory(prefix="crmdesk-export-") as scratch:
                target = Path(scratch) / "export.csv"
                await browse.export_csv(spec, keys, target)
                with target.open("rb") as handle:
                    shutil.copyfileobj(handle, sys.stdout.buffer)
                sys.stdout.flush()
        except ExportError as error:
            raise CliError(str(error)) from None
        finally:
            browse.close()
    return OK
