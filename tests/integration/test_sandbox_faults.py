"""Fault injection over HTTP: errors, latency, dropped connections, lost acknowledgements."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest


def api(sb: Any) -> httpx.Client:
    return httpx.Client(base_url=sb.base_url, params={"api_key": sb.admin_key}, timeout=10)


def test_error_rate_answers_html_errors(sandbox: Any) -> None:
    sandbox.set_faults(error_rate=1.0, error_statuses=(502,))
    with api(sandbox) as client:
        response = client.get("/deals")
        assert response.status_code == 502
        assert response.headers["content-type"].startswith("text/html")
        assert "x-ratelimit-remaining" in response.headers
        sandbox.set_faults()
        assert client.get("/deals").status_code == 200


def test_faults_can_target_methods_and_paths(sandbox: Any) -> None:
    sandbox.set_faults(
        error_rate=1.0, error_statuses=(503,), methods=("POST",), path_prefix="/deals"
    )
    with api(sandbox) as client:
        assert client.get("/deals").status_code == 200
        assert client.post("/people", json={"person": {"last_name": "Ok"}}).status_code == 200
        assert client.post("/deals", json={"deal": {"name": "No"}}).status_code == 503


def test_drop_closes_the_connection_without_an_answer(sandbox: Any) -> None:
    sandbox.set_faults(drop_rate=1.0)
    with api(sandbox) as client:
        with pytest.raises(httpx.TransportError):
            client.post("/deals", json={"deal": {"name": "Never stored"}})
        sandbox.set_faults()
        names = [d["name"] for d in client.get("/deals").json()["entries"]]
    assert "Never stored" not in names


def test_drop_after_commit_loses_only_the_acknowledgement(sandbox: Any) -> None:
    sandbox.set_faults(drop_after_commit_rate=1.0)
    with api(sandbox) as client:
        with pytest.raises(httpx.TransportError):
            client.post("/deals", json={"deal": {"name": "Stored but unacknowledged"}})
        # Reads are not writes: they are answered, and the record is there.
        names = [d["name"] for d in client.get("/deals").json()["entries"]]
        assert names.count("Stored but unacknowledged") == 1
        sandbox.set_faults()
        assert client.post("/deals", json={"deal": {"name": "fine"}}).status_code == 200


def test_latency_delays_answers(sandbox: Any) -> None:
    sandbox.set_faults(latency_ms=300)
    with api(sandbox) as client:
        started = time.monotonic()
        assert client.get("/profile").status_code == 200
        assert time.monotonic() - started >= 0.28


def test_control_path_reads_and_replaces_faults(sandbox: Any) -> None:
    url = f"{sandbox.control_url}/faults"
    assert httpx.get(url).json()["error_rate"] == 0.0
    changed = httpx.put(url, json={"error_rate": 1.0, "error_statuses": [500]})
    assert changed.status_code == 200
    assert changed.json()["error_rate"] == 1.0
    with api(sandbox) as client:
        assert client.get("/deals").status_code == 500
    assert httpx.put(url, json={"error_rate": 2}).status_code == 422
    assert httpx.put(url, json={"bogus": 1}).status_code == 422
    assert httpx.put(url, json={}).json()["error_rate"] == 0.0
    health = httpx.get(f"{sandbox.control_url}/health").json()
    assert health["ok"] is True
    assert health["counts"]["deals"] > 0


def test_random_faults_follow_the_rate(sandbox_factory: Any) -> None:
    sb = sandbox_factory(fault_seed=7)
    sb.set_faults(error_rate=0.5)
    with api(sb) as client:
        statuses = [client.get("/profile").status_code for _ in range(60)]
    failures = sum(status >= 500 for status in statuses)
    assert 10 <= failures <= 50


def _outside_address() -> str | None:
    """A non-loopback address of this machine, if it has one."""
    import socket

    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 9))  # no packet is sent for a UDP connect
        address = str(probe.getsockname()[0])
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


def test_control_path_refuses_non_loopback_clients(sandbox_factory: Any) -> None:
    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address")
    sb = sandbox_factory(host="0.0.0.0")
    outside = f"http://{address}:{sb.port}"
    refused = httpx.put(f"{outside}/_sandbox/faults", json={"error_rate": 1.0})
    assert refused.status_code == 403
    assert (
        httpx.get(f"{outside}/api/v3/profile", params={"api_key": sb.admin_key}).status_code == 200
    )
    assert httpx.get(f"{sb.control_url}/faults").json()["error_rate"] == 0.0


def test_truncate_commits_then_answers_half_the_json(sandbox: Any) -> None:
    import json

    sandbox.set_faults(truncate_rate=1.0, methods=["POST"])
    with api(sandbox) as client:
        reply = client.post("/deals", json={"deal": {"name": "Stored, reply cut"}})
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("application/json")
        assert reply.content.startswith(b"{")
        with pytest.raises(json.JSONDecodeError):
            json.loads(reply.content)
        # Reads are not affected by a POST-only fault; the write did commit, once.
        names = [d["name"] for d in client.get("/deals").json()["entries"]]
        assert names.count("Stored, reply cut") == 1
