"""The ``crmdesk-sandbox`` command: ready line, JSON, signals, restart, bad flags."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

COMMAND = [sys.executable, "-m", "crmdesk.sandbox"]


@contextmanager
def running(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start the command; yield it with its first stdout line; make sure it ends."""
    process = subprocess.Popen(
        [*COMMAND, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the pytest timeout bounds this wait
        if not line:
            raise AssertionError(f"no ready line; stderr: {process.stderr.read()}")  # type: ignore[union-attr]
        yield process, line
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def test_json_line_serving_and_clean_sigterm(tmp_path: Path) -> None:
    db = str(tmp_path / "crm.db")
    with running("--port", "0", "--json", "--scale", "tiny", "--db", db) as (process, line):
        ready = json.loads(line)
        assert set(ready) == {"base_url", "api_keys", "pid"}
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v3", ready["base_url"])
        assert ready["api_keys"] == {"admin": "sandbox-admin-key", "user": "sandbox-user-key"}
        assert ready["pid"] == process.pid
        response = httpx.get(f"{ready['base_url']}/deals", params={"api_key": "sandbox-admin-key"})
        assert response.status_code == 200
        assert response.headers["x-ratelimit-limit"] == "10"  # 10/5 by default
        created = httpx.post(
            f"{ready['base_url']}/deals",
            params={"api_key": "sandbox-user-key"},
            json={"deal": {"name": "Kept on disk"}},
        ).json()
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
    with running("--port", "0", "--json", "--db", db, "--seed", "42") as (process, line):
        url = json.loads(line)["base_url"]
        again = httpx.get(f"{url}/deals/{created['id']}", params={"api_key": "sandbox-admin-key"})
        assert again.json()["name"] == "Kept on disk"
        process.send_signal(signal.SIGINT)
        assert process.wait(15) == 0


def test_plain_ready_line_names_url_and_keys() -> None:
    args = (
        "--port",
        "0",
        "--scale",
        "tiny",
        "--rate-limit",
        "off",
        "--admin-key",
        "a-key",
        "--user-key",
        "u-key",
        "--rate-limit-mode",
        "window",
    )
    with running(*args) as (process, line):
        assert "http://127.0.0.1:" in line
        assert "a-key" in line
        assert "u-key" in line
        url = re.search(r"(http://\S+/api/v3)", line)
        assert url is not None
        assert httpx.get(f"{url.group(1)}/profile", params={"api_key": "u-key"}).status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0


@pytest.mark.parametrize(
    "args",
    [("--rate-limit", "fast"), ("--scale", "huge"), ("--deals", "-4"), ("--error-rate", "3")],
)
def test_bad_flags_exit_with_a_message(args: tuple[str, ...]) -> None:
    done = subprocess.run(
        [*COMMAND, "--port", "0", *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert "crmdesk-sandbox" in done.stderr or "usage" in done.stderr


def test_help_lists_every_flag() -> None:
    done = subprocess.run(
        [*COMMAND, "--help"], capture_output=True, text=True, timeout=60, check=True
    )
    for flag in (
        "--host",
        "--port",
        "--db",
        "--seed",
        "--scale",
        "--deals",
        "--people",
        "--companies",
        "--rate-limit",
        "--rate-limit-mode",
        "--admin-key",
        "--user-key",
        "--json",
    ):
        assert flag in done.stdout
