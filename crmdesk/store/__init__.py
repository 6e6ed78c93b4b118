"""crmdesk's local SQLite store: records, outbox, conflicts, search and table queries.

Imports only ``sqlite3``, the standard library and ``crmdesk.domain``. Start with
``Store.open(path)``; see ``store.py`` for threading, ``outbox.py`` for the sync engine's
contract, ``edits.py`` for the rules of local edits and ``query.py`` for the tables.
A first full sync stores its pages between ``records.begin_bulk`` and ``Store.end_bulk``
(``bulk.py``); ``Store.integrity`` reports the background check of a large file
(``integrity.py``); ``codec.py`` says how records are kept on disk.
"""

# the value types of queued changes and conflicts are domain types (the UI shows them)
from crmdesk.domain.outbox import Conflict, HistoryItem, OutboxCounts, Resolution
from crmdesk.store.errors import (
    StoreCorruptError,
    StoreError,
    StoreFullError,
    StoreLockedError,
    StoreReadOnlyError,
    StoreUnavailableError,
    StoreVersionError,
    UnknownOperationError,
    UnknownRecordError,
)
from crmdesk.store.ledger import CreateState, LedgerEntry
from crmdesk.store.outbox import backoff_delay
from crmdesk.store.query import (
    SORT_COLUMNS,
    WINDOW_COLUMNS,
    Filter,
    RowSet,
    Selection,
    Sort,
    TableQuery,
    query_from_saved_search,
)
from crmdesk.store.records import DeletionResult, StoredRecord
from crmdesk.store.search import SearchHit, fts_query
from crmdesk.store.session import Session
from crmdesk.store.store import Store

__all__ = [
    "SORT_COLUMNS",
    "WINDOW_COLUMNS",
    "Conflict",
    "CreateState",
    "DeletionResult",
    "Filter",
    "HistoryItem",
    "LedgerEntry",
    "OutboxCounts",
    "Resolution",
    "RowSet",
    "SearchHit",
    "Selection",
    "Session",
    "Sort",
    "Store",
    "StoreCorruptError",
    "StoreError",
    "StoreFullError",
    "StoreLockedError",
    "StoreReadOnlyError",
    "StoreUnavailableError",
    "StoreVersionError",
    "StoredRecord",
    "TableQuery",
    "UnknownOperationError",
    "UnknownRecordError",
    "backoff_delay",
    "fts_query",
    "query_from_saved_search",
]
