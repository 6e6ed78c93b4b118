"""The one place that sends HTTP: auth, pacing, retries, error mapping, JSON decoding, counters.

Resources call ``Transport.request(method, path, ...)`` and get decoded JSON back (None for
an empty reply) or a typed ``ApiError``. httpx exceptions never escape: they are turned
into our errors built from method + path only, raised outside the ``except`` block so no
httpx exception (whose text or ``request`` may hold the key) rides along as context.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Generator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from crmdesk import __version__
from crmdesk.api.clock import Clock, SystemClock
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
    UnknownOutcomeError,
    UnprocessableError,
)
from crmdesk.api.parsing.envelope import error_message, field_errors
from crmdesk.api.ratelimit import Priority, RateLimiter
from crmdesk.api.redaction import install_log_redaction, redact, register_secret
from crmdesk.api.retry import RetryPolicy, is_idempotent, parse_number, parse_retry_after

log = logging.getLogger("crmdesk.api")

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=30.0)
MAX_REPLY_BYTES = 64 * 1024 * 1024
_BODY_SNIPPET = 2000


class ApiKeyAuth(httpx.Auth):
    """Adds ``api_key`` (and ``app_key``) to each request's query at send time."""

    def __init__(self, api_key: str, app_key: str | None = None) -> None:
        if not api_key or not api_key.strip():
            raise ValueError("an API key is required")
        self._params = {"api_key": api_key.strip()}
        if app_key:
            self._params["app_key"] = app_key.strip()
        for secret in self._params.values():
            register_secret(secret)

    def __repr__(self) -> str:
        return "<ApiKeyAuth api_key=***>"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Put the keys in the query string (the API has no header scheme for them)."""
        request.url = request.url.copy_merge_params(self._params)
        yield request


@dataclass(slots=True)
class ClientStats:
    """Counters for ``crmdesk sync --json`` and diagnostics."""

    requests: int = 0  # HTTP requests sent (every attempt)
    rate_limited: int = 0  # 429 replies seen
    retries: int = 0  # attempts after the first
    server_errors: int = 0  # 5xx replies seen
    network_errors: int = 0  # attempts without a reply
    unknown_outcomes: int = 0  # UnknownOutcomeError raised

    def snapshot(self) -> dict[str, int]:
        """The counters as a plain dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Exchange:
    """One attempt as seen from the client (for observers: benchmarks, diagnostics)."""

    method: str
    path: str
    sent_at: float  # wall clock
    replied_at: float  # wall clock
    status: int | None  # None: no reply
    remaining: int | None = None
    reset: float | None = None
    retry_after: float | None = None


class _NoReply(Exception):
    """An attempt that got no reply; ``sent`` False means the server cannot have seen it."""

    def __init__(self, kind: str, detail: str, *, sent: bool) -> None:
        super().__init__(detail)
        self.kind = kind  # "timeout" | "network" | "config"
        self.detail = detail
        self.sent = sent


_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class Transport:
    """Owns the ``httpx.AsyncClient`` of one account; create and use it inside one loop."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        app_key: str | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        max_reply_bytes: int = MAX_REPLY_BYTES,
        clock: Clock | None = None,
        observer: Callable[[Exchange], None] | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self._auth = ApiKeyAuth(api_key, app_key)
        self.limiter = limiter if limiter is not None else RateLimiter()
        self.retry = retry if retry is not None else RetryPolicy()
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.max_reply_bytes = max_reply_bytes
        self.clock = clock or self.limiter.clock or SystemClock()
        self.observer = observer
        self.stats = ClientStats()
        self._http_transport = http_transport
        self._client: httpx.AsyncClient | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"<Transport {redact(self.base_url)} api_key=***>"

    @property
    def is_open(self) -> bool:
        """True between ``open()`` and ``aclose()``."""
        return self._client is not None

    def open(self) -> None:
        """Create the httpx client (call inside the running loop); idempotent."""
        if self._closed:
            raise RuntimeError("this client was closed; make a new one")
        if self._client is None:
            install_log_redaction()
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                auth=self._auth,
                timeout=self.timeout,
                follow_redirects=False,  # a redirect elsewhere would carry the key along
                headers={"Accept": "application/json", "User-Agent": f"crmdesk/{__version__}"},
                transport=self._http_transport,
            )

    async def aclose(self) -> None:
        """Close the connections; the transport cannot be used afterwards."""
        self._closed = True
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    # ------------------------------------------------------------------ requests

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, str]] | None = None,
        json_body: Any = None,
        files: Any = None,
        data: Mapping[str, Any] | None = None,
        priority: Priority | None = None,
        request_timeout: httpx.Timeout | None = None,
    ) -> Any:
        """Send a request with pacing and retries; the decoded JSON reply (None if empty)."""
        method = method.upper()
        path = path.lstrip("/")
        idempotent = is_idempotent(method)
        failures = 0
        rate_limited = 0
        maybe_applied = False  # an earlier attempt may have reached the server
        while True:
            if self._client is None:
                self.open()
            client = self._client
            assert client is not None
            permit = await self.limiter.acquire(priority)
            sent_at = self.clock.time()
            self.stats.requests += 1
            status: int | None = None
            headers: httpx.Headers | None = None
            content = b""
            no_reply: _NoReply | None = None
            try:
                status, headers, content = await self._attempt(
                    client, method, path, params, json_body, files, data, request_timeout
                )
            except _NoReply as exc:
                no_reply = exc
            finally:
                remaining, reset, retry_after = _rate_headers(headers, self.clock.time())
                permit.finish(status, remaining=remaining, reset=reset, retry_after=retry_after)
                self._observe(method, path, sent_at, status, remaining, reset, retry_after)

            if no_reply is not None:
                self.stats.network_errors += 1
                failures += 1
                maybe_applied = maybe_applied or no_reply.sent
                log.debug("%s /%s: no reply (%s)", method, path, no_reply.detail)
                if no_reply.kind == "config":
                    raise NetworkError(no_reply.detail, method=method, path=path)
                if no_reply.sent and not idempotent:
                    self.stats.unknown_outcomes += 1
                    raise UnknownOutcomeError(
                        f"The server may or may not have completed {method} /{path}: "
                        f"{no_reply.detail}",
                        method=method,
                        path=path,
                    )
                if failures < self.retry.attempts:
                    await self._backoff(failures)
                    continue
                kind = ApiTimeoutError if no_reply.kind == "timeout" else NetworkError
                raise kind(f"{no_reply.detail} ({method} /{path})", method=method, path=path)

            assert status is not None
            assert headers is not None
            log.debug("%s /%s -> %s (%d bytes)", method, path, status, len(content))
            if status == 429:
                self.stats.rate_limited += 1
                rate_limited += 1
                if rate_limited < self.retry.rate_limited_attempts:
                    self.stats.retries += 1
                    continue  # the limiter now holds every request until the server allows
                raise self._status_error(method, path, status, headers, content, retry_after)
            if status >= 500:
                self.stats.server_errors += 1
                maybe_applied = True
                if not idempotent:
                    self.stats.unknown_outcomes += 1
                    raise UnknownOutcomeError(
                        f"The server failed (HTTP {status}) while handling {method} /{path}; "
                        "the change may or may not have been saved",
                        method=method,
                        path=path,
                        status=status,
                    )
                failures += 1
                if failures < self.retry.attempts:
                    await self._backoff(failures)
                    continue
            if 200 <= status < 300:
                return self._decode(method, path, headers, content)
            if status == 404 and method == "DELETE" and maybe_applied:
                log.debug("DELETE /%s: 404 after a lost reply, so the first one worked", path)
                return None
            raise self._status_error(method, path, status, headers, content, retry_after)

    async def _backoff(self, failures: int) -> None:
        self.stats.retries += 1
        await self.clock.sleep(self.retry.backoff(failures))

    async def _attempt(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        params: Any,
        json_body: Any,
        files: Any,
        data: Any,
        request_timeout: httpx.Timeout | None,
    ) -> tuple[int, httpx.Headers, bytes]:
        """Send once and read the whole reply; _NoReply if no complete reply came back."""
        detail: _NoReply | None = None
        too_large: _TooLarge | None = None
        try:
            request = client.build_request(
                method,
                path,
                params=params,
                json=json_body,
                files=files,
                data=data,
                timeout=request_timeout
                if request_timeout is not None
                else httpx.USE_CLIENT_DEFAULT,
            )
            response = await client.send(request, stream=True)
            try:
                content = await self._read(response)
            finally:
                await response.aclose()
            return response.status_code, response.headers, content
        except _TooLarge as exc:
            too_large = exc
        except _NOT_SENT as exc:
            detail = _NoReply("network", _describe(exc, "could not connect"), sent=False)
        except httpx.TimeoutException as exc:
            detail = _NoReply("timeout", _describe(exc, "timed out"), sent=True)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            detail = _NoReply("config", _describe(exc, "unusable server address"), sent=False)
        except (httpx.HTTPError, httpx.StreamError, OSError) as exc:
            detail = _NoReply("network", _describe(exc, "connection lost"), sent=True)
        if too_large is not None:
            raise ProtocolError(
                f"The server's reply to {method} /{path} is too large: {too_large}",
                method=method,
                path=path,
            )
        assert detail is not None
        raise detail

    async def _read(self, response: httpx.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_reply_bytes:
                raise _TooLarge(size)
            chunks.append(chunk)
        return b"".join(chunks)

    def _decode(self, method: str, path: str, headers: httpx.Headers, content: bytes) -> Any:
        if not content.strip():
            return None
        try:
            return json.loads(content)
        except ValueError:
            pass
        raise ProtocolError(
            f"The server's reply to {method} /{path} is not valid JSON "
            f"({headers.get('content-type', 'no content type')}: {_snippet(content, 80)!r})",
            method=method,
            path=path,
        )

    def _status_error(
        self,
        method: str,
        path: str,
        status: int,
        headers: httpx.Headers,
        content: bytes,
        retry_after: float | None,
    ) -> ApiError:
        body_text = _snippet(content, _BODY_SNIPPET)
        try:
            body: Any = json.loads(content) if content.strip() else None
        except ValueError:
            body = None
        detail = redact(error_message(body) or "") if body is not None else ""
        where = f"{method} /{path}, HTTP {status}"
        request_id = headers.get("x-request-id")
        common: dict[str, Any] = {
            "method": method,
            "path": path,
            "body": body_text,
            "request_id": request_id,
        }
        if status in (401, 406):
            return AuthenticationError(
                f"The server did not accept the API key ({where}){_colon(detail)}",
                status=status,
                **common,
            )
        if status == 403:
            return ForbiddenError(f"Not allowed ({where}){_colon(detail)}", status=status, **common)
        if status == 404:
            return NotFoundError(f"Not found ({where})", status=status, **common)
        if status == 413:
            return PayloadTooLargeError(
                f"Too large for the server ({where}){_colon(detail)}", status=status, **common
            )
        if status == 422:
            errors = [e.__class__(e.field, redact(e.message)) for e in field_errors(body)]
            return UnprocessableError(errors, **common)
        if status == 429:
            return RateLimitedError(
                f"The server kept refusing requests as too many ({where})",
                retry_after=retry_after,
                **common,
            )
        if status >= 500:
            return ServerError(
                f"The server failed ({where}){_colon(detail)}", status=status, **common
            )
        if 300 <= status < 400:
            return ProtocolError(
                f"The server redirected {method} /{path} (HTTP {status}); redirects are not "
                "followed because the API key would travel along",
                method=method,
                path=path,
            )
        return ApiStatusError(f"Request refused ({where}){_colon(detail)}", status=status, **common)

    def _observe(
        self,
        method: str,
        path: str,
        sent_at: float,
        status: int | None,
        remaining: int | None,
        reset: float | None,
        retry_after: float | None,
    ) -> None:
        if self.observer is None:
            return
        try:
            self.observer(
                Exchange(
                    method, path, sent_at, self.clock.time(), status, remaining, reset, retry_after
                )
            )
        except Exception:  # an observer's bug must not break requests
            log.exception("request observer failed")


class _TooLarge(httpx.StreamError):
    def __init__(self, size: int) -> None:
        super().__init__(f"the reply is larger than the limit (over {size} bytes)")


def _rate_headers(
    headers: httpx.Headers | None, now: float
) -> tuple[int | None, float | None, float | None]:
    if headers is None:
        return None, None, None
    remaining = parse_number(headers.get("x-ratelimit-remaining"))
    reset = parse_number(headers.get("x-ratelimit-reset"))
    retry_after = parse_retry_after(headers.get("retry-after"), now)
    return (None if remaining is None else int(remaining)), reset, retry_after


def _describe(exc: BaseException, fallback: str) -> str:
    text = redact(str(exc)).strip()
    name = type(exc).__name__
    return f"{fallback} ({name}: {text})" if text else f"{fallback} ({name})"


def _snippet(content: bytes, limit: int) -> str:
    return redact(content[:limit].decode("utf-8", "replace"))


def _colon(detail: str) -> str:
    return f": {detail}" if detail else ""
