"""Documents over HTTP: create from a URL (fetched in the background), multipart upload
(a sandbox extension), signed public links, errors and the upload limit."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import httpx
import pytest


def client(sb: Any) -> httpx.Client:
    return httpx.Client(base_url=sb.base_url, params={"api_key": sb.admin_key}, timeout=10)


def park(sb: Any, name: str, data: bytes, content_type: str = "application/pdf") -> str:
    """Put bytes at a loopback URL the sandbox can fetch."""
    response = httpx.post(
        f"{sb.control_url}/files", params={"name": name, "content_type": content_type}, content=data
    )
    return str(response.json()["url"])


def settled(api: httpx.Client, document_id: int, timeout: float = 10.0) -> dict[str, Any]:
    """Poll a document until it leaves ``pending`` (deadline, no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        document = api.get(f"/documents/{document_id}").json()
        if document["upload_state"] != "pending":
            return document
    raise AssertionError("the document stayed pending")


def test_create_from_url_goes_pending_then_complete(sandbox: Any) -> None:
    data = b"%PDF-1.4 sandbox proposal" * 50
    url = park(sandbox, "Proposal.pdf", data)
    with client(sandbox) as api:
        deal = api.get("/deals").json()["entries"][0]
        created = api.post(
            "/documents", json={"document": {"url": url, "deal_id": deal["id"]}}
        ).json()
        assert (created["upload_status"], created["upload_state"]) == (1, "pending")
        assert created["size_in_k"] == 0
        assert created["etag"] is None
        assert created["title"] == "Proposal.pdf"
        assert created["document_type"] == "pdfs"
        done = settled(api, created["id"])
        assert (done["upload_status"], done["upload_state"]) == (2, "complete")
        assert done["etag"] == hashlib.md5(data).hexdigest()
        assert done["size_in_k"] == round(len(data) / 1024, 2)
        assert done["deal"]["id"] == deal["id"]
        assert done["updated_at"] >= created["updated_at"]
        by_deal = api.get("/documents", params={"deal_id": deal["id"]}).json()["entries"]
        assert created["id"] in {d["id"] for d in by_deal}
        named = api.get("/documents", params={"conditions[document_name]": "proposal"}).json()
        assert created["id"] in {d["id"] for d in named["entries"]}
    served = httpx.get(done["public_link"])
    assert served.status_code == 200
    assert served.content == data
    assert "X-Amz-Expires=21600" in done["public_link"]
    tampered = httpx.get(done["public_link"].replace("X-Amz-Signature=", "X-Amz-Signature=f"))
    assert tampered.status_code == 403


def test_unreachable_url_ends_in_error(sandbox: Any) -> None:
    url = park(sandbox, "a.pdf", b"x").replace("/files/", "/files/missing")
    with client(sandbox) as api:
        created = api.post("/documents", json={"document": {"url": url, "title": "Gone"}})
        failed = settled(api, created.json()["id"])
    assert (failed["upload_status"], failed["upload_state"]) == (3, "error")
    assert failed["upload_status_error_message"] == "Server responded with 404 Not Found"
    assert failed["public_link"] is None


def test_fetch_delay_keeps_documents_pending_for_a_while(sandbox_factory: Any) -> None:
    sb = sandbox_factory(document_fetch_delay=0.5)
    url = park(sb, "late.pdf", b"%PDF late")
    with client(sb) as api:
        created = api.post("/documents", json={"document": {"url": url}}).json()
        assert api.get(f"/documents/{created['id']}").json()["upload_state"] == "pending"
        assert settled(api, created["id"])["upload_state"] == "complete"


def test_multipart_upload_extension_and_replacement(sandbox: Any) -> None:
    with client(sandbox) as api:
        company = api.get("/companies").json()["entries"][0]
        created = api.post(
            "/documents",
            data={"document[title]": "Signed contract", "document[company_id]": company["id"]},
            files={"document[file]": ("contract.txt", b"signed by both", "text/plain")},
        )
        assert created.status_code == 200, created.text
        document = created.json()
        assert document["upload_state"] == "complete"  # no fetch needed
        assert document["title"] == "Signed contract"
        assert document["company_id"] == company["id"]
        assert httpx.get(document["public_link"]).content == b"signed by both"
        replaced = api.put(
            f"/documents/{document['id']}",
            files={"document[file]": ("contract-v2.txt", b"second version", "text/plain")},
        ).json()
        assert httpx.get(replaced["public_link"]).content == b"second version"
        assert replaced["etag"] == hashlib.md5(b"second version").hexdigest()
        assert api.delete(f"/documents/{document['id']}").status_code == 204
        assert httpx.get(replaced["public_link"]).status_code == 404


def test_uploads_over_the_limit(sandbox_factory: Any) -> None:
    sb = sandbox_factory(upload_limit=2048)
    with client(sb) as api:
        too_big = api.post("/documents", files={"document[file]": ("big.bin", b"x" * 4096)})
        assert too_big.status_code == 413
        assert "limit" in too_big.json()["error"]
        url = park(sb, "big.pdf", b"y" * 4096)
        fetched = api.post("/documents", json={"document": {"url": url}}).json()
        failed = settled(api, fetched["id"])
    assert failed["upload_state"] == "error"
    assert "upload limit" in failed["upload_status_error_message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"title": "No source"}, "url"), ({"url": "ftp://example.com/a.pdf"}, "url")],
)
def test_bad_document_bodies_are_422(sandbox: Any, body: dict[str, Any], field: str) -> None:
    with client(sandbox) as api:
        response = api.post("/documents", json={"document": body})
    assert response.status_code == 422
    assert response.json()[0]["field"] == field


def test_seeded_documents_have_real_bytes(sandbox: Any) -> None:
    with client(sandbox) as api:
        documents = api.get("/documents").json()["entries"]
    assert documents
    for document in documents:
        body = httpx.get(document["public_link"]).content
        assert hashlib.md5(body).hexdigest() == document["etag"]
        if document["title"].endswith(".pdf"):
            assert body.startswith(b"%PDF-")
        if document["title"].endswith(".png"):
            assert body.startswith(b"\x89PNG")
