"""The sync engine: pulls the server's records into the store and pushes the outbox.

Imports ``crmdesk.api``, ``crmdesk.store`` and ``crmdesk.domain``; never Qt, keyring or
``crmdesk.services``. Entry point: ``SyncEngine`` (``engine.py``, which describes a run);
``pull.py`` and ``push.py`` hold the two directions, ``creates.py`` the lookup of creates
whose reply was lost. The engine reports through a ``Publisher`` (``publisher.py``).
"""

from crmdesk.sync.engine import SyncEngine
from crmdesk.sync.options import SyncOptions
from crmdesk.sync.publisher import NullPublisher, Publisher
from crmdesk.sync.report import StopReason, SyncReport, SyncStopped
from crmdesk.sync.wire import SYNCED

__all__ = [
    "SYNCED",
    "NullPublisher",
    "Publisher",
    "StopReason",
    "SyncEngine",
    "SyncOptions",
    "SyncReport",
    "SyncStopped",
]
