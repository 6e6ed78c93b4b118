"""How the engine tells the rest of the app what it did: change sets and status snapshots.

The engine must not import ``crmdesk.services`` (layers), so it talks to a ``Publisher``:
two plain callbacks, called on the event loop's thread. ``crmdesk.services.events.EventBus``
is the real one; ``NullPublisher`` drops everything (tests, benchmarks).
"""

from __future__ import annotations

from typing import Protocol

from crmdesk.domain.changes import ChangeSet
from crmdesk.domain.sync_status import SyncStatus


class Publisher(Protocol):
    """Receives the engine's change sets and status snapshots (on the loop's thread)."""

    def publish_changes(self, changes: ChangeSet) -> None:
        """Records changed (pulled, pushed, conflicting)."""

    def publish_status(self, status: SyncStatus) -> None:
        """The engine's state changed (connection, phase, progress, counts)."""


class NullPublisher:
    """A publisher that drops everything."""

    def publish_changes(self, changes: ChangeSet) -> None:
        """Ignore ``changes``."""

    def publish_status(self, status: SyncStatus) -> None:
        """Ignore ``status``."""
