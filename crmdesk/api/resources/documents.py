"""Documents ("Files"): create from a URL, upload a local file, wait for processing.

The real API only creates documents from a URL that its servers fetch in the background
(``upload_state`` pending -> complete | error). Uploading a local file as multipart
``document[file]`` is a sandbox extension (see ``crmdesk/sandbox``); the client streams the
file, reports progress and can be cancelled by cancelling the awaiting task.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx

from crmdesk.api.errors import ApiError
from crmdesk.api.parsing.envelope import unwrap
from crmdesk.api.ratelimit import Priority
from crmdesk.api.resources.base import query
from crmdesk.api.resources.records import _Records
from crmdesk.api.uploads import Progress, UploadSource
from crmdesk.domain.entities import Entity
from crmdesk.domain.records import Document

FINAL_STATES = frozenset({"complete", "error"})
UPLOAD_TIMEOUT = httpx.Timeout(connect=10.0, read=120.0, write=120.0, pool=60.0)


class DocumentWaitTimeout(ApiError):
    """The server had not finished processing a document when we stopped waiting."""

    def __init__(self, document: Document, waited: float) -> None:
        super().__init__(
            f"The file {document.title!r} was still {document.upload_state} after {waited:.0f} s",
            method="GET",
            path=f"documents/{document.id}",
        )
        self.document = document


def _links(
    deal_id: int | None,
    person_id: int | None,
    company_id: int | None,
    calendar_entry_id: int | None,
) -> dict[str, int]:
    links = {
        "deal_id": deal_id,
        "person_id": person_id,
        "company_id": company_id,
        "calendar_entry_id": calendar_entry_id,
    }
    return {k: int(v) for k, v in links.items() if v is not None}


class Documents(_Records[Document]):
    """``/documents``; ``list(calendar_entry_id=...)`` via ``params``."""

    path = "documents"
    wrapper = "document"
    entity = Entity.DOCUMENT

    def _parse(self, raw: Any) -> Document:
        return self._parser.document(raw)

    async def create_from_url(
        self,
        url: str,
        title: str,
        *,
        deal_id: int | None = None,
        person_id: int | None = None,
        company_id: int | None = None,
        calendar_entry_id: int | None = None,
        document_type: str | None = None,
    ) -> Document:
        """Ask the server to fetch ``url`` into a new document (it starts ``pending``)."""
        patch: dict[str, Any] = {"url": url, "title": title}
        patch.update(_links(deal_id, person_id, company_id, calendar_entry_id))
        if document_type:
            patch["document_type"] = document_type
        return await self.create(patch)

    async def upload(
        self,
        path: str | os.PathLike[str],
        *,
        title: str | None = None,
        deal_id: int | None = None,
        person_id: int | None = None,
        company_id: int | None = None,
        calendar_entry_id: int | None = None,
        progress: Progress | None = None,
        params: Mapping[str, Any] | None = None,
        request_timeout: httpx.Timeout = UPLOAD_TIMEOUT,
    ) -> Document:
        """Stream a local file as multipart ``document[file]`` (sandbox extension).

        UploadFileError if the file cannot be read or changes meanwhile (nothing is
        created then); UnknownOutcomeError if the reply is lost after the body was sent.
        Cancel the awaiting task to abort.
        """
        with UploadSource(path, progress) as source:
            fields: dict[str, Any] = {"document[title]": title or source.filename}
            for key, value in _links(deal_id, person_id, company_id, calendar_entry_id).items():
                fields[f"document[{key}]"] = str(value)
            files = {"document[file]": (source.filename, source, source.content_type)}
            body = await self._transport.request(
                "POST",
                self.path,
                params=query(params),
                files=files,
                data=fields,
                priority=Priority.INTERACTIVE,
                request_timeout=request_timeout,
            )
        return self._parsed("POST", body)

    def _parsed(self, method: str, body: Any) -> Document:
        try:
            return self._parse(unwrap(body, self.wrapper))
        except ApiError as exc:
            exc.method, exc.path = method, self.path
            raise

    async def wait_until_processed(
        self,
        document_id: int,
        *,
        max_wait: float = 300.0,
        first_delay: float = 0.25,
        max_delay: float = 5.0,
    ) -> Document:
        """Poll until the document is ``complete`` or ``error``; returns it either way.

        Waits ``first_delay`` and doubles up to ``max_delay`` between polls; after
        ``max_wait`` seconds raises DocumentWaitTimeout (with the last state).
        """
        clock = self._transport.clock
        started = clock.monotonic()
        delay = first_delay
        while True:
            document = await self.get(document_id)
            if document.upload_state in FINAL_STATES:
                return document
            waited = clock.monotonic() - started
            if waited + delay > max_wait:
                raise DocumentWaitTimeout(document, waited)
            await clock.sleep(delay)
            delay = min(delay * 2, max_delay)
