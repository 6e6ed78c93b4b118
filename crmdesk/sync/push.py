"""Push: replay the outbox in order, one request per queued change.

For each entry the store offers (``outbox.ready``: the head of each record's queue, not
waiting for a parent or a backoff), one write transaction decides what to send and marks
the entry *sending* before the request leaves:

* update, server copy unchanged since the user's base (``updated_at``): send the fields
  that differ from the server copy; none -> confirmed without a request;
* update, server copy changed: three-way merge - fields changed on one side go out, a
  field changed on both sides to different values becomes a conflict (the user chooses;
  nothing is sent for it), fields already equal need nothing;
* create, delete: sent as queued.

The server copy is the one the store holds, kept fresh by pulls (see ``engine``), so an
update costs exactly one request. The reply is stored as the new server copy.

Outcomes (design table): 401/406 pause the queue (the entry goes back unchanged); 403,
422 and other refusals -> needs attention with the server's words and field errors; 404
on update -> deleted on server, on delete -> done, on create -> needs attention (its
parent is gone); 429 and 5xx -> backoff with jitter; no reply -> offline, the entry waits
(a create whose reply was lost is looked up by fingerprint before it is ever re-sent).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from crmdesk.api import PipelineClient
from crmdesk.api.errors import (
    ApiError,
    ApiStatusError,
    AuthenticationError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnknownOutcomeError,
    UnprocessableError,
)
from crmdesk.api.redaction import redact
from crmdesk.domain.changes import ChangeCause, ChangeSet
from crmdesk.domain.entities import Entity
from crmdesk.domain.fields import JSON
from crmdesk.domain.merge import three_way_merge
from crmdesk.domain.outbox import OpKind, OpState, OutboxEntry
from crmdesk.domain.patch import changed_only
from crmdesk.store import CreateState, Session, Store
from crmdesk.sync.creates import CreateProbe, find_created
from crmdesk.sync.options import SyncOptions
from crmdesk.sync.report import StopReason, SyncReport, SyncStopped
from crmdesk.sync.stamps import same_stamp
from crmdesk.sync.wire import Wire

log = logging.getLogger("crmdesk.sync")

Changes = Callable[[ChangeSet], None]

_SENT_AT = 17  # column of the outbox row that holds when the entry was last sent
_DEPS = 15
_MAX_TURNS = 3  # times one entry may come up within one push run


@dataclass(frozen=True, slots=True)
class Prepared:
    """What the preparing transaction decided for one entry."""

    entry: OutboxEntry | None = None  # the entry marked sending (None: nothing to send)
    body: dict[str, JSON] | None = None
    parent_id: int | None = None
    changes: ChangeSet | None = None  # published at once (conflict, confirmed locally)
    conflicts: int = 0
    confirmed: bool = False  # done without a request


def _parent_of(session: Session, entry: OutboxEntry) -> int | None:
    """The note of a comment (the only entity whose path needs its parent)."""
    if entry.entity is not Entity.COMMENT:
        return None
    if entry.parent_id is not None:
        return entry.parent_id
    record = session.records.get(entry.entity, entry.record_id)
    source = (record.server or record.data) if record is not None else {}
    note = source.get("note_id")
    return note if isinstance(note, int) else None


def _author(session: Session, server: dict[str, Any]) -> str | None:
    """Who made the server's latest change, by name (deals say; other records do not)."""
    user = server.get("updated_by_user")
    if isinstance(user, dict):
        parts = (user.get("first_name"), user.get("last_name"))
        name = " ".join(p for p in parts if isinstance(p, str) and p)
        if name:
            return name
    uid = server.get("updated_by_user_id")
    found = session.records.get(Entity.USER, uid) if isinstance(uid, int) else None
    if found is None:
        return None
    data = found.data
    name = " ".join(str(data[k]) for k in ("first_name", "last_name") if data.get(k))
    return name or None


def prepare(session: Session, op_id: str) -> Prepared | None:
    """Decide what to send for ``op_id`` and mark it sending (one transaction).

    None when the entry is no longer sendable (confirmed, discarded, edited into another
    state, waiting for a parent, not at the head of its record's queue).
    """
    entry = session.outbox.find(op_id)
    if entry is None or entry.state is not OpState.PENDING:
        return None
    if session.outbox.row(op_id)[_DEPS]:
        return None
    queue = session.outbox.entries(entity=entry.entity, record_id=entry.record_id)
    if not queue or queue[0].op_id != op_id:
        return None
    entity, rid = entry.entity, entry.record_id
    if entry.kind is OpKind.UPDATE:
        record = session.records.get(entity, rid)
        server = dict(record.server) if record is not None and record.server else None
        conflicts = 0
        changes: ChangeSet | None = None
        if server is None:
            to_send = dict(entry.patch)
        else:
            fields = session.fieldset(entity)
            stamp = server.get("updated_at")
            if entry.base_updated_at is None or same_stamp(
                stamp if isinstance(stamp, str) else None, entry.base_updated_at
            ):
                to_send = changed_only(server, entry.patch, fields)
            else:
                merge = three_way_merge(entry.base, entry.patch, server, fields)
                if merge.conflicts:
                    conflicts = len(merge.conflicts)
                    session.conflicts.record(
                        op_id,
                        server,
                        merge.conflicts,
                        changed_by=_author(session, server),
                        changed_at=stamp if isinstance(stamp, str) else None,
                    )
                    changes = ChangeSet.of(entity, [rid], ChangeCause.CONFLICT)
                    remaining = session.outbox.find(op_id)
                    if remaining is None:
                        return Prepared(changes=changes, conflicts=conflicts)
                    entry = remaining
                to_send = {k: v for k, v in merge.to_send.items() if k in entry.patch}
        if not to_send:
            done = session.outbox.confirm(op_id, None)
            return Prepared(changes=changes or done, conflicts=conflicts, confirmed=True)
        sent = session.outbox.mark_sending(op_id)
        return Prepared(sent, to_send, _parent_of(session, sent), changes, conflicts)
    parent = _parent_of(session, entry)
    sent = session.outbox.mark_sending(op_id)
    return Prepared(sent, dict(sent.patch) if sent.kind is OpKind.CREATE else {}, parent)


class Pusher:
    """Sends queued changes for one store through one client."""

    def __init__(
        self,
        store: Store,
        wire: Wire,
        client: PipelineClient,
        options: SyncOptions,
        changes: Changes,
        me: Callable[[], int | None],
        zone: Callable[[], Awaitable[tzinfo]],
    ) -> None:
        self.store = store
        self.wire = wire
        self.client = client
        self.options = options
        self._changes = changes
        self._me = me
        self.zone = zone

    def _publish(self, changes: ChangeSet | None) -> None:
        if changes is not None:
            self._changes(changes)

    # ------------------------------------------------------------------ the loop

    async def push(
        self,
        report: SyncReport,
        *,
        before_each: Callable[[OutboxEntry], Awaitable[None]] | None = None,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        """Send every ready entry, in queue order, until none is left ready."""
        turns: dict[str, int] = {}
        while True:
            batch = await self.store.call(lambda s: s.outbox.ready(limit=100))
            batch = [e for e in batch if turns.get(e.op_id, 0) < _MAX_TURNS]
            if not batch:
                return
            for entry in batch:
                if stopping():
                    raise SyncStopped(StopReason.STOPPED, "Sync stopped.")
                turns[entry.op_id] = turns.get(entry.op_id, 0) + 1
                if before_each is not None:
                    await before_each(entry)
                await self.push_one(entry.op_id, report)

    async def push_one(self, op_id: str, report: SyncReport) -> None:
        """Prepare, send and record the outcome of one queued change."""
        prepared = await self.store.write(lambda s: prepare(s, op_id))
        if prepared is None:
            return
        report.conflicts += prepared.conflicts
        self._publish(prepared.changes)
        if prepared.entry is None:
            report.pushed += int(prepared.confirmed)
            return
        entry, body = prepared.entry, prepared.body or {}
        try:
            reply = await self._send(entry, body, prepared.parent_id)
        except AuthenticationError as error:
            await self.store.write(lambda s: s.outbox.requeue(op_id))
            raise SyncStopped(StopReason.PAUSED, _auth_message(error)) from None
        except UnknownOutcomeError as error:
            log.info("create %s: %s", op_id, redact(str(error)))
            await self.resolve_create(entry, report)
            return
        except ProtocolError as error:
            if entry.kind is OpKind.CREATE:
                await self.resolve_create(entry, report)
            else:
                await self._unreadable(entry, error)
            return
        except NotFoundError as error:
            await self._not_found(entry, error, report)
            return
        except (RateLimitedError, ServerError) as error:
            retry_after = error.retry_after if isinstance(error, RateLimitedError) else None
            message = redact(str(error))
            await self.store.write(lambda s: s.outbox.fail(op_id, message, retry_after))
            return
        except TransportError as error:
            await self.store.write(lambda s: s.outbox.requeue(op_id))
            raise SyncStopped(StopReason.OFFLINE, _offline_message(error)) from None
        except ApiStatusError as error:
            await self._refused(entry, error, report)
            return
        await self._confirm(entry, reply, report)

    async def _send(self, entry: OutboxEntry, body: dict[str, JSON], parent: int | None) -> Any:
        if entry.kind is OpKind.CREATE:
            return await self.wire.create(entry.entity, body, parent)
        if entry.kind is OpKind.UPDATE:
            return await self.wire.update(entry.entity, entry.record_id, body, parent)
        return await self.wire.delete(entry.entity, entry.record_id, parent)

    async def _confirm(self, entry: OutboxEntry, reply: Any, report: SyncReport) -> None:
        record = reply if isinstance(reply, dict) else None
        changes = await self.store.write(lambda s: s.outbox.confirm(entry.op_id, record))
        report.pushed += 1
        self._publish(changes)
        if entry.kind is OpKind.DELETE and isinstance(reply, list):
            # Deleting one entry of a recurring series destroys the whole series.
            others = [i for i in reply if isinstance(i, int) and i != entry.record_id]
            if others:
                result = await self.store.write(
                    lambda s: s.records.deleted_on_server(entry.entity, others)
                )
                report.count_deleted(entry.entity, len(result.removed))
                self._publish(
                    ChangeSet.of(entry.entity, result.removed | result.kept, ChangeCause.PUSH)
                )

    # ------------------------------------------------------------------ refusals

    async def _park(
        self, entry: OutboxEntry, state: OpState, message: str, errors: Collection[Any] = ()
    ) -> None:
        await self.store.write(lambda s: s.outbox.park(entry.op_id, state, message, list(errors)))
        self._publish(ChangeSet.of(entry.entity, [entry.record_id], ChangeCause.PUSH))

    async def _not_found(self, entry: OutboxEntry, error: ApiError, report: SyncReport) -> None:
        if entry.kind is OpKind.DELETE:
            await self._confirm(entry, None, report)  # already gone: that is what we wanted
        elif entry.kind is OpKind.UPDATE:
            report.deleted_on_server += 1
            await self._park(
                entry, OpState.DELETED_ON_SERVER, "This record was deleted on the server."
            )
        else:
            report.needs_attention += 1
            await self._park(
                entry,
                OpState.NEEDS_ATTENTION,
                "The server refused to create it: the record it belongs to no longer exists "
                f"there ({redact(str(error))}).",
            )

    async def _refused(self, entry: OutboxEntry, error: ApiStatusError, report: SyncReport) -> None:
        report.needs_attention += 1
        errors = error.errors if isinstance(error, UnprocessableError) else ()
        if isinstance(error, UnprocessableError):
            message = f"The server refused this change: {redact(str(error))}"
        else:
            message = redact(str(error))
        await self._park(entry, OpState.NEEDS_ATTENTION, message, errors)

    async def _unreadable(self, entry: OutboxEntry, error: ApiError) -> None:
        message = f"The server's reply could not be read: {redact(str(error))}"
        if entry.attempts >= self.options.protocol_error_limit:
            await self._park(entry, OpState.NEEDS_ATTENTION, message)
        else:
            await self.store.write(lambda s: s.outbox.fail(entry.op_id, message))

    # ------------------------------------------------------------------ creates in doubt

    async def resolve_in_doubt(self, report: SyncReport) -> None:
        """Settle every entry left *sending* (a crash, a lost reply): updates and deletes
        go back to the queue (sending them again is harmless), creates are looked up."""
        for entry in await self.store.call(lambda s: s.outbox.in_doubt()):
            if entry.kind is OpKind.CREATE:
                await self.resolve_create(entry, report)
            else:
                await self._requeue(entry.op_id)

    async def _requeue(self, op_id: str) -> None:
        await self.store.write(lambda s: s.outbox.requeue(op_id))

    async def resolve_create(self, entry: OutboxEntry, report: SyncReport) -> None:
        """Find a create whose outcome is unknown on the server: adopt it, or queue it to be
        sent again. Network errors propagate (the entry stays in doubt)."""

        def facts(session: Session) -> tuple[Any, Any, Any, list[int]]:
            row = session.outbox.row(entry.op_id)
            ledger = session.ledger.for_op(entry.op_id)
            adopted = [
                e.server_id
                for e in session.ledger.entries(CreateState.CREATED)
                if e.server_id is not None and e.entity is entry.entity
            ]
            return row[_SENT_AT], ledger, session.fieldset(entry.entity), adopted

        sent_at, ledger, fields, adopted = await self.store.call(facts)
        if isinstance(sent_at, int | float):
            wait = sent_at + self.options.in_doubt_settle - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        first = ledger.first_sent_at if ledger is not None else None
        if first is None:
            first = datetime.fromtimestamp(sent_at or time.time(), UTC)
        probe = CreateProbe(entry.entity, dict(entry.patch), entry.parent_id, first)
        try:
            found = await find_created(
                self.wire,
                probe,
                fields,
                me=self._me(),
                zone=await self.zone(),
                since=first - self.options.created_margin,
                adopted=set(adopted),
            )
        except AuthenticationError as error:
            raise SyncStopped(StopReason.PAUSED, _auth_message(error)) from None
        except TransportError as error:
            raise SyncStopped(StopReason.OFFLINE, _offline_message(error)) from None
        if not found:
            log.info("create %s did not land; it will be sent again", entry.op_id)
            await self.store.write(lambda s: s.outbox.requeue(entry.op_id))
            return
        chosen = found[0]
        if len(found) > 1:
            others = ", ".join(str(r["id"]) for r in found[1:])
            note = (
                f"A {entry.entity.label.lower()} whose reply was lost matched {len(found)} "
                f"records on the server; kept #{chosen['id']}, the oldest (also matching: "
                f"{others})."
            )
            report.notes.append(note)
            log.warning(note)
        changes = await self.store.write(lambda s: s.outbox.confirm(entry.op_id, chosen))
        report.adopted += 1
        report.pushed += 1
        self._publish(changes)


def _auth_message(error: ApiError) -> str:
    return (
        "The server no longer accepts this account's API key "
        f"({redact(str(error))}). Changes wait until a new key is entered."
    )


def _offline_message(error: ApiError) -> str:
    return f"The server cannot be reached ({redact(str(error))}). Changes wait until it can."
