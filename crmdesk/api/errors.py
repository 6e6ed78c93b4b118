"""Typed errors of the API client. Every message is redacted and fit to show to a person.

```
CrmError (crmdesk.domain.errors)
└── ApiError                      method + redacted path of the call that failed
    ├── ApiStatusError            the server answered with an error status (status, body)
    │   ├── AuthenticationError   401, and 406 from the 2013 era: the key is wrong or revoked
    │   ├── ForbiddenError        403: the user may not do this
    │   ├── NotFoundError         404: no such record (or deleted)
    │   ├── UnprocessableError    422: field errors (also a domain ValidationError)
    │   ├── PayloadTooLargeError  413: an upload over the server's limit
    │   ├── RateLimitedError      429: after the retries ran out
    │   └── ServerError           5xx: after the retries ran out
    ├── ProtocolError             a reply that is not the JSON it should be
    ├── TransportError            no usable reply, and it is known nothing happened
    │   ├── NetworkError          connect refused, DNS, reset (idempotent call, retries spent)
    │   └── ApiTimeoutError       timed out (idempotent call, retries spent)
    └── UnknownOutcomeError       a POST was sent and then the reply was lost: it may or may
                                  not have taken effect - check before sending it again
```

``UnknownOutcomeError`` is deliberately *not* a TransportError: code that retries on
transport errors must not resend a create blindly.
"""

from __future__ import annotations

from collections.abc import Iterable

from crmdesk.domain.errors import CrmError, FieldError, ValidationError


class ApiError(CrmError):
    """A call to the API failed; ``method`` and ``path`` say which (never the key)."""

    def __init__(self, message: str, *, method: str = "", path: str = "") -> None:
        # Not super(): in UnprocessableError the next class is the domain's ValidationError,
        # whose __init__ takes field errors, not a message.
        Exception.__init__(self, message)
        self.method = method
        self.path = path

    @property
    def retryable(self) -> bool:
        """True if sending the same request again later may succeed."""
        return False


class ApiStatusError(ApiError):
    """The server answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        method: str = "",
        path: str = "",
        body: str = "",
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, method=method, path=path)
        self.status = status
        self.body = body  # redacted and truncated reply text, for diagnostics
        self.request_id = request_id


class AuthenticationError(ApiStatusError):
    """The API key is unknown or revoked (401; 406 in the 2013 API)."""


class ForbiddenError(ApiStatusError):
    """The user is not allowed to do this (403)."""


class NotFoundError(ApiStatusError):
    """The record does not exist, or no longer does (404)."""


class PayloadTooLargeError(ApiStatusError):
    """The request body (an upload) is larger than the server accepts (413)."""


class UnprocessableError(ApiStatusError, ValidationError):
    """The server refused the record (422); ``errors`` holds the field errors."""

    def __init__(
        self,
        errors: Iterable[FieldError],
        *,
        method: str = "",
        path: str = "",
        body: str = "",
        request_id: str | None = None,
    ) -> None:
        self.errors = tuple(errors)
        text = "; ".join(str(e) for e in self.errors) or "the server refused the record"
        ApiStatusError.__init__(
            self,
            text,
            status=422,
            method=method,
            path=path,
            body=body,
            request_id=request_id,
        )


class RateLimitedError(ApiStatusError):
    """The server kept answering 429 after the client's retries."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        method: str = "",
        path: str = "",
        body: str = "",
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message, status=429, method=method, path=path, body=body, request_id=request_id
        )
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return True


class ServerError(ApiStatusError):
    """The server failed (5xx) and kept failing through the retries."""

    @property
    def retryable(self) -> bool:
        return True


class ProtocolError(ApiError):
    """The reply is not what the API promises: HTML, truncated JSON, the wrong shape."""


class TransportError(ApiError):
    """No usable reply arrived; for this call that means nothing happened on the server."""

    @property
    def retryable(self) -> bool:
        return True


class NetworkError(TransportError):
    """The server could not be reached or the connection broke."""


class ApiTimeoutError(TransportError):
    """The server did not answer in time."""


class UnknownOutcomeError(ApiError):
    """A non-idempotent request (POST) may or may not have been applied.

    Raised when the request was (or may have been) sent and then the reply was lost: a
    read timeout, a dropped connection, a 5xx, a cancelled upload after its body was sent.
    Check whether the record exists before sending it again.
    """

    def __init__(
        self, message: str, *, method: str = "", path: str = "", status: int | None = None
    ) -> None:
        super().__init__(message, method=method, path=path)
        self.status = status
