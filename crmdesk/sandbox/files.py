"""Stored file bytes: document blobs, their signed ``public_link`` URLs, and test files.

``public_link`` imitates an S3 pre-signed GET URL (``X-Amz-Expires`` of six hours) served by
the sandbox itself under ``/uploaded_documents/<key>/<name>``; an expired or tampered link
answers 403 like S3. Tests can also park bytes at a loopback URL
(``POST /_sandbox/files?name=...``) to create documents from.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmdesk.sandbox.db import Database
from crmdesk.sandbox.state import SandboxState

LINK_LIFETIME = 6 * 3600


def store_blob(db: Database, data: bytes, file_name: str, content_type: str) -> str:
    """Store bytes; returns their key."""
    key = uuid.uuid4().hex
    db.conn.execute(
        "INSERT INTO blobs (key, file_name, content_type, data) VALUES (?, ?, ?, ?)",
        (key, file_name, content_type, data),
    )
    return key


def _signature(state: SandboxState, path: str, stamp: str) -> str:
    return hmac.new(state.link_secret, f"{path}|{stamp}".encode(), hashlib.sha256).hexdigest()


def public_link(state: SandboxState, base_url: str, key: str, file_name: str) -> str:
    """A time-limited link to a blob, signed like an S3 pre-signed URL."""
    path = f"/uploaded_documents/{key}/{quote(file_name)}"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return (
        f"{base_url}{path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={stamp}"
        f"&X-Amz-Expires={LINK_LIFETIME}&X-Amz-SignedHeaders=host"
        f"&X-Amz-Signature={_signature(state, path, stamp)}"
    )


def _denied(reason: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Error><Code>AccessDenied</Code><Message>{reason}</Message></Error>"
    )
    return Response(body, status_code=403, media_type="application/xml")


async def serve_document(request: Request) -> Response:
    """GET a blob through its signed link."""
    state: SandboxState = request.scope["sandbox.state"]
    key = request.path_params["key"]
    name = request.path_params["name"]
    path = f"/uploaded_documents/{key}/{quote(name)}"
    stamp = request.query_params.get("X-Amz-Date", "")
    given = request.query_params.get("X-Amz-Signature", "")
    if not hmac.compare_digest(given, _signature(state, path, stamp)):
        return _denied("The request signature we calculated does not match")
    try:
        signed = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return _denied("Invalid date")
    if time.time() > signed + LINK_LIFETIME:
        return _denied("Request has expired")
    return _blob_response(state, key)


def _blob_response(state: SandboxState, key: str) -> Response:
    found = state.db.conn.execute(
        "SELECT file_name, content_type, data FROM blobs WHERE key = ?", (key,)
    ).fetchone()
    if found is None:
        return Response(b"Not Found", status_code=404, media_type="text/plain")
    file_name, content_type, data = found
    return Response(
        bytes(data),
        media_type=content_type,
        headers={
            "content-disposition": f"inline; filename*=UTF-8''{quote(file_name)}",
            "etag": f'"{hashlib.md5(bytes(data)).hexdigest()}"',
        },
    )


async def host_file(request: Request) -> Response:
    """POST /_sandbox/files?name=&content_type=: park the body; answers its URL."""
    from crmdesk.sandbox.http import json_response

    state: SandboxState = request.scope["sandbox.state"]
    data = await request.body()
    name = request.query_params.get("name") or "file.bin"
    content_type = request.query_params.get("content_type") or "application/octet-stream"
    with state.db.transaction():
        key = store_blob(state.db, data, name, content_type)
    host = request.headers.get("host", f"127.0.0.1:{state.port}")
    return json_response({"url": f"http://{host}/_sandbox/files/{key}/{quote(name)}"})


async def hosted_file(request: Request) -> Response:
    """GET a parked test file."""
    state: SandboxState = request.scope["sandbox.state"]
    return _blob_response(state, request.path_params["key"])


def file_routes() -> list[BaseRoute]:
    """The signed document links."""
    return [Route("/uploaded_documents/{key}/{name:path}", serve_document, methods=["GET"])]


def control_routes() -> list[BaseRoute]:
    """Test files under the control path."""
    return [
        Route("/_sandbox/files", host_file, methods=["POST"]),
        Route("/_sandbox/files/{key}/{name:path}", hosted_file, methods=["GET"]),
    ]
