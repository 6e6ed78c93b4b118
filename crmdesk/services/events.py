"""The event bus of one open account: change sets and sync status, as plain callbacks.

    unsubscribe = bus.subscribe_changes(lambda changes: ...)   # ChangeSet
    bus.subscribe_status(lambda status: ...)                   # SyncStatus
    bus.status                                                 # the latest SyncStatus

Publishers (the sync engine, the edit service) call ``publish_*`` on the event loop's
thread, and subscribers are called right there, in subscription order - on the GUI
thread under qasync, so a Qt bridge may emit signals directly. A subscriber that raises
is logged and does not stop the others. No Qt here: ``crmdesk.ui`` turns these callbacks
into signals.

``ChangeSet`` (``crmdesk.domain.changes``) says which ids of which entities changed and
why (``cause``: local edit, pull, push, conflict, resolution), the local->server id
re-mappings of confirmed creates (``remapped``), entities to reload wholesale (``reset``,
e.g. during a first sync), ``lookups`` when lookup lists changed, and the ``initiator``
object that asked for a local change (so a view can skip refreshing itself).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from crmdesk.domain.changes import ChangeSet
from crmdesk.domain.sync_status import SyncStatus

log = logging.getLogger("crmdesk.services")

Unsubscribe = Callable[[], None]


class EventBus:
    """Fan-out of change sets and status snapshots to subscribers (loop thread only)."""

    def __init__(self) -> None:
        self._changes: list[Callable[[ChangeSet], None]] = []
        self._status_listeners: list[Callable[[SyncStatus], None]] = []
        self._status = SyncStatus()

    @property
    def status(self) -> SyncStatus:
        """The latest status published (a default snapshot before the first)."""
        return self._status

    def subscribe_changes(self, callback: Callable[[ChangeSet], None]) -> Unsubscribe:
        """Call ``callback(changes)`` for every change set; returns the unsubscribe call."""
        self._changes.append(callback)
        return lambda: self._remove(self._changes, callback)

    def subscribe_status(self, callback: Callable[[SyncStatus], None]) -> Unsubscribe:
        """Call ``callback(status)`` for every status snapshot; returns the unsubscribe call."""
        self._status_listeners.append(callback)
        return lambda: self._remove(self._status_listeners, callback)

    @staticmethod
    def _remove(listeners: list[Callable[..., None]], callback: Callable[..., None]) -> None:
        try:
            listeners.remove(callback)
        except ValueError:
            pass

    def publish_changes(self, changes: ChangeSet) -> None:
        """Hand ``changes`` to every change subscriber."""
        for callback in list(self._changes):
            try:
                callback(changes)
            except Exception:
                log.exception("a change subscriber failed")

    def publish_status(self, status: SyncStatus) -> None:
        """Remember ``status`` and hand it to every status subscriber."""
        self._status = status
        for callback in list(self._status_listeners):
            try:
                callback(status)
            except Exception:
                log.exception("a status subscriber failed")

    def clear(self) -> None:
        """Drop every subscriber (when the account closes)."""
        self._changes.clear()
        self._status_listeners.clear()
