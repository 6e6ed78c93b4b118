"""Documents ("Files"): ``/documents`` (reference section 4.7, changelog 2014-01-24).

Created from a URL, as the real API does: the answer is ``pending`` at once, the sandbox
fetches the URL in the background, then the document is ``complete`` (with ``size_in_k``
and an MD5 ``etag``) or ``error`` (``upload_status_error_message`` such as "Server responded
with 404 Not Found"). SANDBOX EXTENSION (not in the real API): a ``multipart/form-data``
POST or PUT with the file in ``document[file]`` stores the bytes directly, so a desktop
client can upload local files. Uploads over the limit answer 413. ``public_link`` is a
signed, expiring link served by the sandbox.
"""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
import posixpath
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import unquote, urlsplit

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmdesk.sandbox import conditions as c
from crmdesk.sandbox.crud import (
    Resource,
    create_record,
    delete_record,
    fetch,
    run_list,
    update_record,
)
from crmdesk.sandbox.db import Row
from crmdesk.sandbox.fields import Kind, Problems, blank, fd
from crmdesk.sandbox.files import public_link, store_blob
from crmdesk.sandbox.http import (
    ApiError,
    Ctx,
    context,
    empty_response,
    json_response,
    read_body,
    unwrap,
)
from crmdesk.sandbox.params import nest
from crmdesk.sandbox.shapes import full_name, id_list, lookups_mini, ts
from crmdesk.sandbox.state import SandboxState

PENDING, COMPLETE, ERROR = 1, 2, 3
STATES = {PENDING: "pending", COMPLETE: "complete", ERROR: "error"}
TYPES = {
    ".pdf": "pdfs",
    ".doc": "documents",
    ".docx": "documents",
    ".txt": "documents",
    ".odt": "documents",
    ".rtf": "documents",
    ".xls": "spreadsheets",
    ".xlsx": "spreadsheets",
    ".csv": "spreadsheets",
    ".ppt": "presentations",
    ".pptx": "presentations",
    ".png": "images",
    ".jpg": "images",
    ".jpeg": "images",
    ".gif": "images",
}

FIELDS = (
    fd("title"),
    fd("url", column="source_url"),
    fd("document_type"),
    fd("deal_id", Kind.REF, "deals"),
    fd("person_id", Kind.REF, "people"),
    fd("company_id", Kind.REF, "companies"),
    fd("calendar_entry_id", Kind.REF, "calendar_entries"),
    fd("owner_id", Kind.REF, "users"),
    fd("document_tag_ids", Kind.REFS, "document_tags", column="tag_ids"),
)


def _type_of(name: str) -> str:
    return TYPES.get(posixpath.splitext(name.lower())[1], "others")


def _name_of(url: str) -> str:
    name = unquote(posixpath.basename(urlsplit(url).path)) or "document"
    return name[:200]


def _defaults(ctx: Ctx) -> Row:
    return {"owner_id": ctx.user_id, "upload_status": PENDING}


def _prepare(ctx: Ctx, values: Row, existing: Row | None, attrs: Row, problems: Problems) -> None:
    url = values.get("source_url")
    if url is not None:
        scheme = urlsplit(str(url)).scheme.lower()
        if scheme not in ("http", "https"):
            problems.add("url", "must be an http or https URL")
            return
        if not values.get("title") and (existing is None or not existing["title"]):
            values["title"] = _name_of(str(url))
        if not values.get("document_type") and (existing is None or not existing["document_type"]):
            values["document_type"] = _type_of(_name_of(str(url)))
        # A new URL is fetched again.
        values.update(
            upload_status=PENDING,
            upload_status_error_message=None,
            blob_key=None,
            size_bytes=None,
            etag=None,
        )


def _validate(ctx: Ctx, row: Row, problems: Problems) -> None:
    if blank(row.get("source_url")) and blank(row.get("blob_key")):
        problems.add("url", "can't be blank")
    if blank(row.get("title")):
        problems.add("title", "can't be blank")


def _on_delete(ctx: Ctx, row: Row) -> None:
    if row["blob_key"]:
        ctx.state.db.conn.execute("DELETE FROM blobs WHERE key = ?", (row["blob_key"],))


def shape(ctx: Ctx, rows: list[Row], view: str) -> list[Row]:
    """Document objects."""
    db = ctx.state.db
    catalog = ctx.state.catalog
    deals = db.get_many("deals", [r["deal_id"] for r in rows], "id, name")
    people = db.get_many("people", [r["person_id"] for r in rows], "id, first_name, last_name")
    companies = db.get_many("companies", [r["company_id"] for r in rows], "id, name")
    entries = db.get_many(
        "calendar_entries", [r["calendar_entry_id"] for r in rows], "id, name, type"
    )
    names = {}
    if rows:
        marks = ",".join("?" * len(rows))
        names = dict(
            db.conn.execute(
                f"SELECT key, file_name FROM blobs WHERE key IN ({marks})",
                [r["blob_key"] for r in rows],
            ).fetchall()
        )
    out = []
    for r in rows:
        owner = catalog.users.get(r["owner_id"])
        tags = id_list(r["tag_ids"])
        link = None
        if r["upload_status"] == COMPLETE and r["blob_key"] in names:
            link = public_link(ctx.state, ctx.base_url, r["blob_key"], names[r["blob_key"]])
        out.append(
            {
                "id": r["id"],
                "title": r["title"],
                "owner_id": r["owner_id"],
                "owner": catalog.user_mini(r["owner_id"]),
                "owner_name": full_name(owner["first_name"], owner["last_name"]) if owner else None,
                "deal_id": r["deal_id"],
                "deal": deals.get(r["deal_id"]),
                "person_id": r["person_id"],
                "person": people.get(r["person_id"]),
                "company_id": r["company_id"],
                "company": companies.get(r["company_id"]),
                "calendar_entry_id": r["calendar_entry_id"],
                "calendar_entry": entries.get(r["calendar_entry_id"]),
                "document_type": r["document_type"] or "others",
                "upload_status": r["upload_status"],
                "upload_state": STATES.get(r["upload_status"], "pending"),
                "upload_status_error_message": r["upload_status_error_message"],
                "public_link": link,
                "size_in_k": round((r["size_bytes"] or 0) / 1024, 2),
                "etag": r["etag"],
                "document_tag_ids": tags,
                "document_tags": lookups_mini(ctx, "document_tags", tags),
                "created_at": ts(ctx, r["created_at"]),
                "updated_at": ts(ctx, r["updated_at"]),
            }
        )
    return out


CONDITIONS = {
    "document_id": c.ids("id"),
    "document_name": c.text("title"),
    "document_title": c.text("title"),
    "document_modified": c.time_range("updated_at"),
    "document_created": c.time_range("created_at"),
    "document_type": c.equals_text("document_type"),
    "document_tag": c.json_ids("tag_ids"),
    "document_owner": c.ids("owner_id"),
    "upload_status": c.ids("upload_status"),
}

RESOURCE = Resource(
    entity="document",
    table="documents",
    wrapper="document",
    fields=FIELDS,
    shape=shape,
    conditions=CONDITIONS,
    sorts={
        "id": "id",
        "title": "title COLLATE NOCASE",
        "created_at": "created_at",
        "updated_at": "updated_at",
        "size_in_k": "size_bytes",
    },
    associations={
        "deal_id": "deal_id = ?",
        "person_id": "person_id = ?",
        "company_id": "company_id = ?",
        "calendar_entry_id": "calendar_entry_id = ?",
    },
    defaults=_defaults,
    prepare=_prepare,
    validate=_validate,
    on_delete=_on_delete,
    by_user_columns=(),
)


# ---------------------------------------------------------------------- fetching


class FetchError(Exception):
    """The URL could not be fetched; the message is shown on the document."""


def _download(url: str, limit: int) -> tuple[bytes, str]:
    request = urllib.request.Request(url, headers={"User-Agent": "crmdesk-sandbox"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            data = response.read(limit + 1)
            content_type = response.headers.get_content_type()
    except urllib.error.HTTPError as error:
        raise FetchError(f"Server responded with {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise FetchError(f"Could not fetch the file: {reason}") from None
    if len(data) > limit:
        raise FetchError(f"The file is larger than the upload limit of {limit} bytes")
    return data, content_type


async def fetch_later(state: SandboxState, document_id: int, url: str) -> None:
    """Fetch a document's URL in the background and record the outcome."""
    if state.options.document_fetch_delay:
        await asyncio.sleep(state.options.document_fetch_delay)
    try:
        loop = asyncio.get_running_loop()
        data, content_type = await loop.run_in_executor(
            state.fetcher, _download, url, state.upload_limit
        )
        outcome: Row = {
            "upload_status": COMPLETE,
            "upload_status_error_message": None,
            "size_bytes": len(data),
            "etag": hashlib.md5(data).hexdigest(),
        }
    except FetchError as error:
        data, content_type = b"", ""
        outcome = {"upload_status": ERROR, "upload_status_error_message": str(error)}
    db = state.db
    with db.transaction():
        row = db.get("documents", document_id)
        if row is None or row["source_url"] != url or row["upload_status"] != PENDING:
            return  # deleted or superseded meanwhile
        if outcome["upload_status"] == COMPLETE:
            name = _name_of(url)
            guessed = mimetypes.guess_type(name)[0]
            kind = content_type if content_type != "application/octet-stream" else guessed
            outcome["blob_key"] = store_blob(db, data, name, kind or "application/octet-stream")
        outcome["updated_at"] = state.stamp(row["updated_at"])
        db.update("documents", document_id, outcome)


# ---------------------------------------------------------------------- routes


async def _attributes(request: Request, ctx: Ctx) -> tuple[Row, UploadFile | None]:
    """Wrapped attributes and, for a multipart upload, the file."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        return unwrap(await read_body(request), "document"), None
    limit = ctx.state.upload_limit
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise ApiError(413, {"error": f"The upload is larger than the limit of {limit} bytes"})
    form = await request.form(max_files=4, max_part_size=limit + 1)
    upload: UploadFile | None = None
    pairs: list[tuple[str, Any]] = []
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key in ("document[file]", "file"):
                upload = value
        else:
            pairs.append((key, value))
    return unwrap(nest(pairs), "document"), upload


async def _read_upload(ctx: Ctx, upload: UploadFile) -> tuple[bytes, str, str]:
    """The bytes, file name and content type of an upload (413 over the limit).

    Read before any transaction starts: reading awaits, and no other request may run
    inside a transaction on the shared connection.
    """
    limit = ctx.state.upload_limit
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, {"error": f"The upload is larger than the limit of {limit} bytes"})
    name = (upload.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1][:200]
    name = name or "upload"
    guessed = mimetypes.guess_type(name)[0]
    return data, name, upload.content_type or guessed or "application/octet-stream"


def _stored_upload(ctx: Ctx, data: bytes, name: str, content_type: str) -> Row:
    key = store_blob(ctx.state.db, data, name, content_type)
    return {
        "blob_key": key,
        "size_bytes": len(data),
        "etag": hashlib.md5(data).hexdigest(),
        "upload_status": COMPLETE,
        "upload_status_error_message": None,
        "source_url": None,
    }


async def collection(request: Request) -> Response:
    """GET list; POST from a URL (or, as an extension, a multipart file)."""
    ctx = context(request)
    if request.method == "GET":
        return json_response(run_list(ctx, RESOURCE))
    attrs, upload = await _attributes(request, ctx)
    if upload is not None:
        data, name, content_type = await _read_upload(ctx, upload)
        attrs = {k: v for k, v in attrs.items() if k != "url"}
        attrs.setdefault("title", name)
        attrs.setdefault("document_type", _type_of(name))
        with ctx.state.db.transaction():
            stored = _stored_upload(ctx, data, name, content_type)
            row = create_record(ctx, RESOURCE, attrs, stored)
    else:
        row = create_record(ctx, RESOURCE, attrs)
        ctx.state.spawn(fetch_later(ctx.state, row["id"], row["source_url"]))
    return json_response(shape(ctx, [row], "write")[0])


async def member(request: Request) -> Response:
    """GET, PUT (a new URL, or a multipart file as an extension), DELETE."""
    ctx = context(request)
    document_id = int(request.path_params["id"])
    if request.method == "GET":
        return json_response(shape(ctx, [fetch(ctx, RESOURCE, document_id)], "show")[0])
    if request.method == "DELETE":
        delete_record(ctx, RESOURCE, document_id)
        return empty_response()
    attrs, upload = await _attributes(request, ctx)
    before = fetch(ctx, RESOURCE, document_id)
    if upload is not None:
        data, name, content_type = await _read_upload(ctx, upload)
        kept = {k: v for k, v in attrs.items() if k != "url"}
        with ctx.state.db.transaction():
            row = update_record(ctx, RESOURCE, document_id, kept)
            stored = _stored_upload(ctx, data, name, content_type)
            stored["updated_at"] = ctx.state.stamp(row["updated_at"])
            ctx.state.db.update("documents", document_id, stored)
            row = fetch(ctx, RESOURCE, document_id)
    else:
        row = update_record(ctx, RESOURCE, document_id, attrs)
        if "url" in attrs and row["upload_status"] == PENDING and row["source_url"]:
            ctx.state.spawn(fetch_later(ctx.state, document_id, row["source_url"]))
    if before["blob_key"] and before["blob_key"] != row["blob_key"]:
        ctx.state.db.conn.execute("DELETE FROM blobs WHERE key = ?", (before["blob_key"],))
    return json_response(shape(ctx, [row], "write")[0])


def routes() -> list[BaseRoute]:
    """Document routes."""
    return [
        Route("/documents", collection, methods=["GET", "POST"]),
        Route("/documents/{id:int}", member, methods=["GET", "PUT", "DELETE"]),
    ]
