"""JSON from the API (or from the local store's copy of it) -> typed domain records.

No network here: ``crmdesk.services`` may use these to re-read stored JSON.
"""

from crmdesk.api.parsing.admin import (
    account,
    account_notification,
    custom_field_label,
    lookup_item,
    profile,
    saved_search,
)
from crmdesk.api.parsing.envelope import Envelope, envelope, field_errors, unwrap
from crmdesk.api.parsing.records import DEFAULT_PARSER, RecordParser, RecordShapeError

__all__ = [
    "DEFAULT_PARSER",
    "Envelope",
    "RecordParser",
    "RecordShapeError",
    "account",
    "account_notification",
    "custom_field_label",
    "envelope",
    "field_errors",
    "lookup_item",
    "profile",
    "saved_search",
    "unwrap",
]
