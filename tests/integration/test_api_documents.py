"""Documents against the sandbox: create from a URL (complete and error), streamed upload of
a local file with progress, cancellation, unreadable files, the server's size limit."""

from __future__ import annotations

import asyncio
import hashlib
import os
from typing import Any

import httpx
import pytest

from crmdesk.api import PayloadTooLargeError, PipelineClient, UploadFileError
from crmdesk.api.resources.documents import DocumentWaitTimeout


def client_for(sb: Any) -> PipelineClient:
    return PipelineClient(sb.base_url, sb.admin_key, rate_limit=None)


def park(sb: Any, data: bytes, name: str) -> str:
    """A loopback URL the sandbox itself serves ``data`` from."""
    reply = httpx.post(
        f"{sb.control_url}/files",
        params={"name": name, "content_type": "application/pdf"},
        content=data,
    )
    reply.raise_for_status()
    return str(reply.json()["url"])


def test_create_from_url_then_wait_for_complete_or_error(sandbox_factory, aloop):
    sb = sandbox_factory(document_fetch_delay=0.3)
    data = os.urandom(30_000)
    url = park(sb, data, "offer.pdf")

    async def scenario() -> None:
        async with client_for(sb) as client:
            deal = (await client.deals.list().first_page()).entries[0]
            document = await client.documents.create_from_url(url, "Offer", deal_id=deal.id)
            assert document.upload_state == "pending"
            assert document.deal_id == deal.id
            done = await client.documents.wait_until_processed(document.id, first_delay=0.05)
            assert done.upload_state == "complete"
            assert done.etag == hashlib.md5(data).hexdigest()
            assert done.size_in_k == pytest.approx(30_000 / 1024, abs=0.1)
            assert done.id in [d.id for d in await client.documents.list(deal_id=deal.id).all()]

            broken = await client.documents.create_from_url("http://127.0.0.1:9/nope", "Broken")
            failed = await client.documents.wait_until_processed(broken.id, first_delay=0.05)
            assert failed.upload_state == "error"
            assert failed.upload_error

            slow = await client.documents.create_from_url(url, "Slow")
            with pytest.raises(DocumentWaitTimeout) as info:
                await client.documents.wait_until_processed(slow.id, max_wait=0.1, first_delay=0.05)
            assert info.value.document.upload_state == "pending"
            await client.documents.delete(done.id)
            assert done.id in await client.documents.deleted.since("2000-01-01").all()

    aloop.run(scenario())


def test_upload_a_local_file_with_progress(sandbox, aloop, tmp_path):
    path = tmp_path / "Quarterly report.pdf"
    data = os.urandom(700_000)
    path.write_bytes(data)
    progress: list[tuple[int, int]] = []

    async def scenario() -> None:
        async with client_for(sandbox) as client:
            person = (await client.people.list().first_page()).entries[0]
            document = await client.documents.upload(
                path,
                person_id=person.id,
                progress=lambda sent, total: progress.append((sent, total)),
            )
            assert document.title == "Quarterly report.pdf"
            assert document.person_id == person.id
            done = await client.documents.wait_until_processed(document.id, first_delay=0.05)
            assert done.upload_state == "complete"
            assert done.etag == hashlib.md5(data).hexdigest()
            assert done.public_link
            async with httpx.AsyncClient() as web:  # a signed link: no key needed
                assert (await web.get(done.public_link)).content == data

    aloop.run(scenario())
    assert len(progress) >= 10  # 64 KiB chunks
    assert progress[-1] == (700_000, 700_000)
    assert [sent for sent, _ in progress] == sorted(sent for sent, _ in progress)


def test_cancelling_an_upload_creates_nothing(sandbox, aloop, tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(8_000_000))

    async def scenario() -> None:
        async with client_for(sandbox) as client:
            before = await client.documents.list().total()
            cancelled = asyncio.Event()

            def progress(sent: int, total: int) -> None:
                if sent >= 1_000_000 and not cancelled.is_set():
                    cancelled.set()
                    upload.cancel()

            upload = asyncio.ensure_future(client.documents.upload(path, progress=progress))
            with pytest.raises(asyncio.CancelledError):
                await upload
            assert cancelled.is_set()
            assert await client.documents.list().total() == before

    aloop.run(scenario())


def test_unreadable_files_fail_before_any_request(sandbox, aloop, tmp_path):
    async def scenario() -> None:
        async with client_for(sandbox) as client:
            with pytest.raises(UploadFileError, match="does not exist"):
                await client.documents.upload(tmp_path / "missing.pdf")
            with pytest.raises(UploadFileError, match="folder"):
                await client.documents.upload(tmp_path)
            assert client.stats.requests == 0

    aloop.run(scenario())


def test_an_upload_over_the_servers_limit_is_413(sandbox_factory, aloop, tmp_path):
    sb = sandbox_factory(upload_limit=100_000)
    path = tmp_path / "huge.bin"
    path.write_bytes(os.urandom(400_000))

    async def scenario() -> None:
        async with client_for(sb) as client:
            with pytest.raises(PayloadTooLargeError) as info:
                await client.documents.upload(path)
            assert info.value.status == 413

    aloop.run(scenario())
