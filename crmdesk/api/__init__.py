"""The Pipeline CRM (PipelineDeals) REST API v3 client: the only code that talks HTTP.

Entry point: ``PipelineClient``. Errors: ``crmdesk.api.errors``. Parsing of stored JSON:
``crmdesk.api.parsing``. Redaction of keys in logs: ``crmdesk.api.redaction``.
"""

from crmdesk.api.client import PipelineClient
from crmdesk.api.errors import (
    ApiError,
    ApiStatusError,
    ApiTimeoutError,
    AuthenticationError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    PayloadTooLargeError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnknownOutcomeError,
    UnprocessableError,
)
from crmdesk.api.pagination import Listing, Page
from crmdesk.api.params import DateRange, Range, format_from_date, modified_since
from crmdesk.api.ratelimit import LimitMode, Priority, RateLimiter, RatePolicy, using_priority
from crmdesk.api.redaction import install_log_redaction, redact
from crmdesk.api.resources.calendar import SeriesChange
from crmdesk.api.retry import RetryPolicy
from crmdesk.api.transport import ClientStats, Exchange
from crmdesk.api.uploads import UploadFileError

__all__ = [
    "ApiError",
    "ApiStatusError",
    "ApiTimeoutError",
    "AuthenticationError",
    "ClientStats",
    "DateRange",
    "Exchange",
    "ForbiddenError",
    "LimitMode",
    "Listing",
    "NetworkError",
    "NotFoundError",
    "Page",
    "PayloadTooLargeError",
    "PipelineClient",
    "Priority",
    "ProtocolError",
    "Range",
    "RateLimitedError",
    "RateLimiter",
    "RatePolicy",
    "RetryPolicy",
    "SeriesChange",
    "ServerError",
    "TransportError",
    "UnknownOutcomeError",
    "UnprocessableError",
    "UploadFileError",
    "format_from_date",
    "install_log_redaction",
    "modified_since",
    "redact",
    "using_priority",
]
