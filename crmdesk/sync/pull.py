"""Pull: bring the server's records into the store.

* **First sync** of an entity: one request asks for the newest ``updated_at`` and the total
  (the cursor the next incremental pull starts from, taken *before* listing so nothing
  changed meanwhile is missed), then every page sorted by id (stable while records
  change), stored page by page. The page reached is saved with each page, so an
  interrupted first sync resumes where it stopped.
* **Incremental**: ``conditions[<entity>_modified][from_date]`` = cursor minus an overlap,
  in the user's time zone; pages de-duplicated by id. The cursor advances to the newest
  ``updated_at`` seen, and only when the listing was consistent (every page reported the
  same total and that many records arrived) - otherwise the next pull starts from the old
  cursor again and nothing shifted between pages is lost.
* **Deletions**: ``/<entity>/deleted?since=`` where the server has it (probed once per
  account), otherwise an id sweep that also fetches live records missing here.
* **Account**: profile, lookup lists, custom field labels, users and saved searches.

Pulled data never overwrites a field with a pending local change (the store lays queued
patches over the server copy). Pages are written without fsync: they can be pulled again.
"""

from __future__ import annotations

import array
import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any, TypeVar

from crmdesk.api import Listing, Page, PipelineClient, Priority
from crmdesk.api.errors import ForbiddenError, NotFoundError
from crmdesk.api.params import format_from_date, modified_since, user_zone
from crmdesk.domain.changes import ChangeCause, ChangeSet
from crmdesk.domain.entities import Entity
from crmdesk.domain.records import AccountInfo, SavedSearch
from crmdesk.store import Session, Store
from crmdesk.sync.options import SyncOptions
from crmdesk.sync.report import StopReason, SyncReport, SyncStopped
from crmdesk.sync.stamps import from_text, latest, to_text
from crmdesk.sync.wire import SYNCED, Record, Wire

log = logging.getLogger("crmdesk.sync")

T = TypeVar("T")

#: (entity, records done, records expected) while a first sync runs.
Progress = Callable[[Entity, int, int], None]
Changes = Callable[[ChangeSet], None]

#: A first sync of at least this many records is stored as a bulk load (see store.bulk).
BULK_LOAD_FROM = 2000
_EPOCH = "2000-01-01T00:00:00+00:00"
_CHUNK = 200  # ids per conditions[<entity>_id][] request when fetching missing records


#: Keys of server JSON that hold credentials: the API shows every user's ``api_key`` in
#: ``/profile`` and ``/users``, and the account's ``account_key`` in ``/account``. They are
#: dropped before anything is stored.
SECRET_KEYS = frozenset({"api_key", "account_key", "app_key", "token", "password"})


def without_secrets(value: Any) -> Any:
    """A copy of a JSON value without any credential-holding key, at any depth."""
    if isinstance(value, Mapping):
        return {k: without_secrets(v) for k, v in value.items() if k not in SECRET_KEYS}
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def _state_key(kind: str, entity: Entity) -> str:
    return f"{kind}:{entity.value}"


async def pages_from(listing: Listing[T], start: int, concurrency: int) -> AsyncIterator[Page[T]]:
    """Pages ``start``, ``start + 1``, ... in order; after the first, ``concurrency`` at once."""
    first = await listing.page(start)
    yield first
    last = first.pages
    pending: dict[int, asyncio.Task[Page[T]]] = {}
    scheduled = start
    number = start + 1
    try:
        while number <= last:
            while scheduled < last and len(pending) < concurrency:
                scheduled += 1
                pending[scheduled] = asyncio.ensure_future(listing.page(scheduled))
            if number not in pending:  # the server announced more pages meanwhile
                pending[number] = asyncio.ensure_future(listing.page(number))
                scheduled = max(scheduled, number)
            page = await pending.pop(number)
            last = max(last, page.pages)
            yield page
            number += 1
    finally:
        for task in pending.values():
            task.cancel()
        if pending:
            await asyncio.gather(*pending.values(), return_exceptions=True)


def _with_comments(entity: Entity, records: Sequence[Record]) -> list[Record]:
    """Comments embedded in notes (``"comments": {"entries": [...]}``), with their note id."""
    if entity is not Entity.NOTE:
        return []
    found: list[Record] = []
    for note in records:
        box = note.get("comments")
        entries = box.get("entries") if isinstance(box, dict) else box
        if not isinstance(entries, list):
            continue
        for comment in entries:
            if isinstance(comment, dict) and isinstance(comment.get("id"), int):
                found.append({"note_id": note["id"], **comment})
    return found


def store_page(
    session: Session, entity: Entity, records: Sequence[Record], *, prune_comments: bool
) -> list[int]:
    """Store one page of server records (plus a note page's embedded comments)."""
    ids = session.records.upsert_server(entity, records)
    comments = _with_comments(entity, records)
    if comments:
        session.records.upsert_server(Entity.COMMENT, comments)
    if prune_comments and entity is Entity.NOTE and records:
        # A note's embedded list is complete: local comments missing from it are gone.
        listed = {c["id"] for c in comments}
        notes = [r["id"] for r in records]
        marks = ",".join("?" * len(notes))
        gone = [
            rid
            for (rid,) in session.conn.execute(
                f"SELECT id FROM comments WHERE id > 0 AND note_id IN ({marks})", notes
            )
            if rid not in listed
        ]
        if gone:
            session.records.deleted_on_server(Entity.COMMENT, gone)
    return ids


class Puller:
    """Pulls records, deletions and account data for one store through one client."""

    def __init__(
        self,
        store: Store,
        wire: Wire,
        client: PipelineClient,
        options: SyncOptions,
        changes: Changes,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.store = store
        self.wire = wire
        self.client = client
        self.options = options
        self._changes = changes
        self._stopping = stopping

    async def zone(self) -> tzinfo:
        """The user's time zone (the server reads date conditions in it), from the stored
        profile - no request; UTC until the profile was pulled."""
        profile = await self.store.call(lambda s: s.lookups.get("profile")) or {}
        name = profile.get("time_zone")
        return user_zone(name if isinstance(name, str) else None)

    # ------------------------------------------------------------------ state

    async def _state(self, key: str) -> Any:
        return await self.store.call(lambda s: s.sync_state.get(key))

    async def _set_state(self, **values: Any) -> None:
        def write(session: Session) -> None:
            for key, value in values.items():
                session.sync_state.set(key, value)

        await self.store.write(lambda s: write(s), durable=False)

    async def first_sync_needed(self) -> list[Entity]:
        """Entities whose first full listing has not finished yet."""

        def read(session: Session) -> list[Entity]:
            return [e for e in SYNCED if session.sync_state.cursor(e.value) is None]

        return await self.store.call(read)

    async def _store(self, entity: Entity, records: list[Record]) -> None:
        def write(session: Session) -> None:
            store_page(session, entity, records, prune_comments=True)

        await self.store.write(write, durable=False)

    # ------------------------------------------------------------------ first sync

    async def expected(self, entity: Entity) -> tuple[int, datetime | None]:
        """The server's record count of ``entity`` and its newest ``updated_at``
        (one request: the list sorted newest first, one record per page)."""
        listing = self.wire.listing(
            entity, sort=f"-{entity.collection}.updated_at", per_page=1, concurrency=1
        )
        page = await listing.page(1)
        return page.total, latest(page.entries)

    async def prime(self, entity: Entity) -> tuple[int, int]:
        """Start (or find) the first sync of ``entity``: (records expected, records done)."""
        key = _state_key("full", entity)
        state = await self._state(key)
        if not isinstance(state, dict):
            total, newest = await self.expected(entity)
            state = {"cursor": None if newest is None else to_text(newest), "page": 0}
            state["total"] = total
            await self._set_state(**{key: state})
        total = int(state.get("total") or 0)
        return total, min(total, int(state["page"]) * 200)

    async def full(
        self, entity: Entity, report: SyncReport, progress: Progress | None = None
    ) -> None:
        """List every record of ``entity`` (resuming an interrupted first sync)."""
        key = _state_key("full", entity)
        total, done = await self.prime(entity)
        state = await self._state(key)
        if progress is not None:
            progress(entity, done, total)
        bulk = total >= BULK_LOAD_FROM
        if bulk:  # indexes are built once at the end: several times faster
            await self.store.write(lambda s: s.records.begin_bulk(entity), durable=False)
        listing = self.wire.listing(entity, sort=f"{entity.collection}.id")
        last_publish = 0.0
        shifted = False
        async for page in pages_from(
            listing, int(state["page"]) + 1, self.options.page_concurrency
        ):
            state = {**state, "page": page.page}
            records = list(page.entries)

            def write(session: Session, records: list[Record] = records, st: Any = state) -> None:
                store_page(session, entity, records, prune_comments=False)
                session.sync_state.set(key, st)

            await self.store.write(write, durable=False)
            report.count_pulled(entity, len(records))
            done += len(records)
            if page.total != total:
                shifted = True  # records came or went while we listed: see finish()
            total = max(total, page.total)
            if progress is not None:
                progress(entity, min(done, total), total)
            now = time.monotonic()
            if now - last_publish >= 1.0:
                last_publish = now
                self._changes(ChangeSet({}, ChangeCause.PULL, reset=frozenset({entity})))
            if not page.entries:
                break
            if self._stopping():  # the app closes: the next run resumes after this page
                raise SyncStopped(StopReason.STOPPED, "Sync stopped.")
        # An empty collection starts from long ago: the first records to appear are few,
        # and a wrong local clock cannot make them invisible.
        cursor = state.get("cursor") or _EPOCH

        def finish(session: Session) -> None:
            session.sync_state.set_cursor(entity.value, cursor)
            session.sync_state.set(_state_key("deleted_cursor", entity), cursor)
            session.sync_state.set(key, None)
            if shifted:
                # A deletion during the listing moves a record from a page not yet fetched
                # onto one already fetched: it was missed and is not modified, so only an
                # id sweep (which fetches live records missing here) finds it.
                session.sync_state.set(_state_key("resweep", entity), True)

        await self.store.write(finish)
        if bulk:
            await self.store.end_bulk(entity)
        self._changes(ChangeSet({}, ChangeCause.PULL, reset=frozenset({entity})))

    # ------------------------------------------------------------------ incremental

    async def incremental(
        self, entity: Entity, report: SyncReport, overlap: timedelta | None = None
    ) -> frozenset[int]:
        """Pull what changed since the cursor; returns the ids stored."""
        cursor = from_text(await self.store.call(lambda s: s.sync_state.cursor(entity.value)))
        if cursor is None:
            raise RuntimeError(f"{entity.plural_label} were never fully pulled")
        since = cursor - (self.options.overlap if overlap is None else overlap)
        conditions = modified_since(entity, since, await self.zone())
        listing = self.wire.listing(
            entity, conditions=conditions, concurrency=self.options.page_concurrency
        )
        totals: set[int] = set()
        seen: set[int] = set()
        newest = cursor
        async for page in listing.pages():
            totals.add(page.total)
            records = [r for r in page.entries if r["id"] not in seen]
            seen.update(r["id"] for r in records)
            newest = latest(records, newest) or newest
            if records:
                await self._store(entity, records)
                report.count_pulled(entity, len(records))
        consistent = len(totals) == 1 and len(seen) >= next(iter(totals))
        if consistent and newest > cursor:
            text = to_text(newest)
            await self.store.write(lambda s: s.sync_state.set_cursor(entity.value, text))
        elif not consistent:
            log.info("%s changed while listed; the cursor stays put", entity.plural_label)
        if seen:
            self._changes(ChangeSet.of(entity, seen, ChangeCause.PULL))
        return frozenset(seen)

    # ------------------------------------------------------------------ deletions

    async def deleted_endpoint(self) -> bool | None:
        """Whether the server has ``/<entity>/deleted`` (None: not probed yet)."""
        value = await self._state("deleted_endpoint")
        return value if isinstance(value, bool) else None

    async def deletions(self, entity: Entity, report: SyncReport) -> bool:
        """Apply the server's deletions of ``entity`` since the previous check; False when
        the server has no deleted-records endpoint (then ``sweep`` is the way).

        The check starts from the entity's pull cursor *as it was at the previous check*:
        a server timestamp older than that check, so every deletion since is listed.
        """
        key = _state_key("deleted_cursor", entity)
        current = await self.store.call(lambda s: s.sync_state.cursor(entity.value))
        cursor = from_text(await self._state(key)) or from_text(current)
        if cursor is None or current is None:
            return True
        zone = await self.zone()
        since = format_from_date(cursor - self.options.overlap, zone)
        try:
            ids = [i async for i in self.wire.deleted_since(entity, since)]
        except NotFoundError:
            if await self.deleted_endpoint() is None:
                await self._set_state(deleted_endpoint=False)
                log.info("the server has no deleted-records endpoint; using id sweeps")
                return False
            raise
        if await self.deleted_endpoint() is None:
            await self._set_state(deleted_endpoint=True)
        if ids:
            result = await self.store.write(lambda s: s.records.deleted_on_server(entity, ids))
            report.count_deleted(entity, len(result.removed))
            report.deleted_on_server += len(result.kept)
            changed = result.removed | result.kept
            if changed:
                self._changes(ChangeSet.of(entity, changed, ChangeCause.PULL))
        await self._set_state(**{key: current})
        return True

    async def sweep(self, entity: Entity, report: SyncReport) -> bool:
        """List every id of ``entity``; rows gone there are deleted here (or marked deleted
        on server when they have local changes), live records missing here are fetched.
        False when the listing changed under us (nothing applied)."""
        listing = self.wire.listing(
            entity,
            attrs=["id"],
            sort=f"{entity.collection}.id",
            concurrency=self.options.page_concurrency,
        )
        live = array.array("q")
        seen: set[int] = set()
        totals: set[int] = set()
        async for page in listing.pages():
            totals.add(page.total)
            for record in page.entries:
                if record["id"] not in seen:
                    seen.add(record["id"])
                    live.append(record["id"])
        if len(totals) != 1 or len(seen) != next(iter(totals)):
            log.info("%s changed during the id sweep; nothing applied", entity.plural_label)
            return False
        result = await self.store.write(lambda s: s.records.sweep(entity, live))
        report.count_deleted(entity, len(result.removed))
        report.deleted_on_server += len(result.kept)
        known = set(await self.store.call(lambda s: s.records.server_ids(entity)))
        missing = sorted(seen - known - set(result.kept))
        fetched: set[int] = set()
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            records = await self.wire.listing(entity, ids=chunk).all()
            if records:
                await self._store(entity, records)
                report.count_pulled(entity, len(records))
                fetched.update(r["id"] for r in records)
        changed = result.removed | result.kept | fetched
        if changed:
            self._changes(ChangeSet.of(entity, changed, ChangeCause.PULL))
        await self._set_state(
            **{_state_key("swept", entity): time.time(), _state_key("resweep", entity): None}
        )
        return True

    async def sweep_due(self, entity: Entity, *, endpoint: bool) -> bool:
        """True when an id sweep of ``entity`` should run: its first listing changed while
        it ran, or - without a deleted-records endpoint - the last sweep is older than
        ``sweep_every``."""
        if await self._state(_state_key("resweep", entity)):
            return True
        if endpoint:
            return False
        last = await self._state(_state_key("swept", entity))
        return not isinstance(last, int | float) or time.time() - last >= self.options.sweep_every

    # ------------------------------------------------------------------ account

    async def account_due(self) -> bool:
        """True when lookups, custom fields and users are older than ``account_every``."""
        last = await self._state("account_pulled")
        return not isinstance(last, int | float) or time.time() - last >= self.options.account_every

    async def account(self) -> ChangeSet:
        """Pull the profile, lookup lists, custom field labels, users and saved searches.

        Only the profile is required: ``/account`` and ``/searches`` refused to this user
        (403) or missing (404) leave what the store already had."""
        profile = await self.client.profile.get(priority=Priority.NORMAL)
        account: AccountInfo | None = None
        searches: list[SavedSearch] | None = None
        try:
            account = await self.client.account.get(priority=Priority.BACKGROUND)
        except (ForbiddenError, NotFoundError) as error:
            log.warning("the account settings cannot be read: %s", error)
        try:
            searches = await self.client.searches.list(priority=Priority.BACKGROUND).all()
        except (ForbiddenError, NotFoundError) as error:
            log.warning("the saved searches cannot be read: %s", error)

        def write(session: Session) -> None:
            session.lookups.put("profile", without_secrets(profile.user.raw))
            users = [without_secrets(profile.user.raw)]
            if account is not None:
                session.lookups.put("account", without_secrets(account.raw))
                for kind, items in account.lookups.items():
                    session.lookups.replace(kind, list(items))
                for entity in ("deal", "person", "company"):
                    labels = [lb for lb in account.custom_field_labels if lb.entity == entity]
                    session.lookups.replace_custom_field_labels(entity, labels)
                listed = [without_secrets(u.raw) for u in account.users]
                users = listed + [u for u in users if u["id"] not in {x.get("id") for x in listed}]
            session.records.upsert_server(Entity.USER, users)
            if searches is not None:
                session.lookups.replace_saved_searches(searches)
            session.sync_state.set("account_pulled", time.time())

        await self.store.write(write)
        changes = ChangeSet({}, ChangeCause.PULL, reset=frozenset({Entity.USER}), lookups=True)
        self._changes(changes)
        return changes
