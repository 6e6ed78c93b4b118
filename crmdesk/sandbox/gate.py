"""The outermost ASGI layer: what happens to every API request before a resource sees it.

In order: the optional ``.json`` suffix is dropped, PATCH becomes PUT, the caller is
identified (``api_key`` with an optional ``app_key``; or a Bearer JWT; or ``account_key``,
see ``auth``), the per-key rate limit is charged, injected faults
apply, then the request is routed. Every answer carries ``X-Ratelimit-*`` headers.
Paths outside ``/api/v3``: ``/_sandbox/...`` (control, loopback only), the document
links the sandbox serves, and the web-to-lead form target ``/web_lead``.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from crmdesk.sandbox import auth
from crmdesk.sandbox.ratelimit import Decision
from crmdesk.sandbox.state import SandboxState

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

API_PREFIX = "/api/v3"
CONTROL_PREFIX = "/_sandbox"
FILES_PREFIX = "/uploaded_documents"
WEB_LEAD = "/web_lead"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost", "::ffff:127.0.0.1"})

_ERROR_PAGES = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


async def send_json(send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]]) -> None:
    """Send a whole JSON response."""
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(payload)).encode()),
                (b"cache-control", b"no-store"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _query(scope: Scope) -> dict[str, str]:
    query = scope.get("query_string", b"").decode("latin-1")
    return dict(parse_qsl(query, keep_blank_values=True))


class Gate:
    """Dispatches to the API, control and file apps; applies auth, limits and faults."""

    def __init__(self, state: SandboxState, api: ASGIApp, control: ASGIApp, files: ASGIApp) -> None:
        self.state = state
        self.api = api
        self.control = control
        self.files = files

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        scope["sandbox.state"] = self.state
        if path.startswith(CONTROL_PREFIX):
            client = scope.get("client") or ("", 0)
            if client[0] not in LOOPBACK:
                await send_json(send, 403, {"error": "The control path is loopback only"}, [])
                return
            await self.control(scope, receive, send)
        elif path.startswith(FILES_PREFIX) or path == WEB_LEAD:
            await self.files(scope, receive, send)
        elif path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            await self._api(scope, receive, send)
        else:
            await send_json(send, 404, {"error": "Not found"}, [])

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    # ------------------------------------------------------------------ the API
    async def _api(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        state = self.state
        state.requests_served += 1
        path: str = scope["path"]
        if path.endswith(".json"):
            path = path[: -len(".json")]
            scope["path"] = path
            scope["raw_path"] = path.encode()
        if scope["method"] == "PATCH":
            scope["method"] = "PUT"
        extra: list[tuple[bytes, bytes]] = [(b"x-request-id", uuid.uuid4().hex.encode())]

        relative = path[len(API_PREFIX) :] or "/"
        if relative == "/auth" and scope["method"] == "POST":
            await self._login(scope, receive, send, extra)
            return
        key, user_id, claims = self._identify(scope)
        if user_id is None or state.catalog.users[user_id]["deleted_at"] is not None:
            headers = state.limiter.peek().headers() + extra
            await send_json(send, 401, {"error": "Unknown api_key"}, headers)
            return
        decision: Decision = state.limiter.check(key)
        rate_headers = decision.headers()
        if not decision.allowed:
            await send_json(send, 429, {"error": "Rate limit exceeded"}, rate_headers + extra)
            return
        scope["sandbox.user_id"] = user_id
        if relative in ("/auth/renew", "/auth/revoke"):
            await self._token(scope, send, user_id, claims, rate_headers + extra)
            return

        faults = state.faults
        affected = faults.active and (
            (not faults.methods or scope["method"] in faults.methods)
            and relative.startswith(faults.path_prefix)
        )
        drop_after = truncate = False
        if affected:
            rng = state.fault_rng
            if faults.latency_ms:
                await asyncio.sleep(faults.latency_ms / 1000.0)
            if faults.drop_rate and rng.random() < faults.drop_rate:
                await self._drop(scope)
                return
            if faults.error_rate and rng.random() < faults.error_rate:
                status = rng.choice(faults.error_statuses)
                await self._error_page(send, status, rate_headers + extra)
                return
            drop_after = (
                scope["method"] in WRITE_METHODS
                and faults.drop_after_commit_rate > 0
                and rng.random() < faults.drop_after_commit_rate
            )
            truncate = bool(faults.truncate_rate) and rng.random() < faults.truncate_rate

        if drop_after:
            # The write runs and commits; its answer is swallowed and the connection cut.
            async def swallow(message: Message) -> None:
                return None

            await self.api(scope, receive, swallow)
            await self._drop(scope)
            return

        if truncate:
            await self._truncated(scope, receive, send, rate_headers + extra)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                runtime = f"{time.perf_counter() - started:.6f}".encode()
                message["headers"] = [
                    *message.get("headers", []),
                    *rate_headers,
                    *extra,
                    (b"x-runtime", runtime),
                ]
            await send(message)

        await self.api(scope, receive, send_with_headers)

    def _identify(self, scope: Scope) -> tuple[str, int | None, dict[str, Any] | None]:
        """(rate-limit key, user id, JWT claims) of a request; user id None if unknown."""
        catalog = self.state.catalog
        params = _query(scope)
        key = params.get("api_key")
        if key:
            return key, catalog.user_ids_by_key.get(key), None
        for name, value in scope.get("headers", []):
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                claims = auth.read_token(self.state, value[7:].decode("latin-1").strip())
                if claims is None:
                    return "", None, None
                user_id = int(claims.get("sub", 0))
                return f"jwt:{user_id}", user_id if user_id in catalog.users else None, claims
        account_key = params.get("account_key")
        if account_key and account_key == catalog.settings.get("account_key"):
            admins = [u for u in catalog.users.values() if u["is_account_admin"]]
            return f"account:{account_key}", admins[0]["id"] if admins else None, None
        return "", None, None

    async def _login(self, scope: Scope, receive: Receive, send: Send, extra: Headers) -> None:
        from crmdesk.sandbox.clock import zone
        from crmdesk.sandbox.http import Ctx
        from crmdesk.sandbox.resources.users import user_shape

        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        try:
            body = json.loads(b"".join(chunks) or b"{}")
        except (ValueError, UnicodeDecodeError):
            body = None
        headers = self.state.limiter.peek().headers() + extra
        user_id = auth.login(self.state, body)
        if user_id is None:
            await send_json(send, 403, auth.LOGIN_FAILED, headers)
            return
        user = self.state.catalog.users[user_id]
        ctx = Ctx(self.state, user, zone(user["time_zone"]), "", {})
        shaped = user_shape(ctx, user)
        app_key = _query(scope).get("app_key")
        if app_key:
            answer = {"user": shaped, "token": auth.issue_token(self.state, user_id, app_key)}
        else:
            answer = {"user": shaped}
        await send_json(send, 200, answer, headers)

    async def _token(
        self,
        scope: Scope,
        send: Send,
        user_id: int,
        claims: dict[str, Any] | None,
        headers: Headers,
    ) -> None:
        if claims is None:
            await send_json(send, 401, {"error": "A bearer token is required"}, headers)
            return
        if scope["path"].endswith("/renew") and scope["method"] == "PUT":
            auth.revoke(self.state, claims)
            token = auth.issue_token(self.state, user_id, str(claims.get("aud", "")))
            await send_json(send, 200, {"token": token}, headers)
        elif scope["path"].endswith("/revoke") and scope["method"] == "DELETE":
            auth.revoke(self.state, claims)
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
        else:
            await send_json(send, 405, {"error": "Method not allowed"}, headers)

    async def _drop(self, scope: Scope) -> None:
        transport = self.state.find_transport(scope.get("client"))
        if transport is not None:
            transport.abort()  # type: ignore[attr-defined]
        # Let the server notice the lost connection before the app returns, so it does
        # not try to answer on it.
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    async def _truncated(
        self, scope: Scope, receive: Receive, send: Send, headers: Headers
    ) -> None:
        """Run the request (a write commits), then answer 200 with half of its body: valid
        HTTP whose JSON is cut short."""
        body: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.body":
                body.append(message.get("body", b""))

        await self.api(scope, receive, keep)
        whole = b"".join(body)
        payload = whole[: max(1, len(whole) // 2)]
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(payload)).encode()),
                    *headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def _error_page(
        self, send: Send, status: int, headers: list[tuple[bytes, bytes]]
    ) -> None:
        # Injected errors look like what a proxy or a crashed app server sends: HTML.
        title = _ERROR_PAGES.get(status, "Error")
        body = (
            f"<html><head><title>{status} {title}</title></head>"
            f"<body><h1>{title}</h1></body></html>"
        )
        payload = body.encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(payload)).encode()),
                    *headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
