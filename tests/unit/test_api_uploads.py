"""The upload source: clear errors for files that cannot be sent, progress while read,
refusal to send a file that changes under it."""

from __future__ import annotations

import os
import sys

import pytest

from crmdesk.api.uploads import UploadFileError, UploadSource


def read_all(source: UploadSource, chunk: int = 64 * 1024) -> bytes:
    parts = []
    while data := source.read(chunk):
        parts.append(data)
    return b"".join(parts)


def test_progress_counts_every_byte(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(os.urandom(200_000))
    seen: list[tuple[int, int]] = []
    with UploadSource(path, lambda sent, total: seen.append((sent, total))) as source:
        assert (source.size, source.filename, source.content_type) == (
            200_000,
            "report.pdf",
            "application/pdf",
        )
        assert read_all(source) == path.read_bytes()
        assert seen[-1] == (200_000, 200_000)
        assert [s for s, _ in seen] == sorted(s for s, _ in seen)
        source.seek(0)  # httpx rewinds before a retried attempt
        assert source.tell() == 0
        assert read_all(source) == path.read_bytes()
        assert source.seek(0, os.SEEK_END) == 200_000


def test_empty_file_is_fine(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with UploadSource(path) as source:
        assert read_all(source) == b""


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p / "missing.txt", "does not exist"),
        (lambda p: p, "folder"),
    ],
)
def test_unusable_paths_give_clear_errors(tmp_path, make, reason):
    with pytest.raises(UploadFileError, match=reason) as info:
        UploadSource(make(tmp_path))
    assert str(tmp_path) in str(info.value)


@pytest.mark.skipif(sys.platform == "win32", reason="no FIFOs")
def test_a_pipe_is_refused(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UploadFileError, match="not a regular file"):
        UploadSource(fifo)


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_refused(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("x")
    path.chmod(0)
    with pytest.raises(UploadFileError, match="permission denied"):
        UploadSource(path)


def test_a_file_that_grows_during_the_upload_is_refused(tmp_path):
    path = tmp_path / "log.txt"
    path.write_bytes(b"a" * 1000)
    with UploadSource(path) as source:
        source.read(500)
        with path.open("ab") as more:
            more.write(b"b" * 10)
        source.read(500)
        with pytest.raises(UploadFileError, match="changed"):
            source.read(500)


def test_a_file_that_shrinks_during_the_upload_is_refused(tmp_path):
    path = tmp_path / "log.txt"
    path.write_bytes(b"a" * 1000)
    with UploadSource(path) as source:
        source.read(100)
        os.truncate(path, 200)
        with pytest.raises(UploadFileError, match="shorter"):
            source.read(500)
