"""A local file opened for a streamed upload: checked first, counted while it is read.

httpx's multipart encoder reads the file in 64 KiB chunks as the request body is sent, so
the file is never held in memory. ``UploadSource`` stands in for the file object: it
reports progress after each chunk, never hands out more bytes than the size announced in
``Content-Length``, and fails with ``UploadFileError`` (before the request can complete) if
the file shrinks, grows or is replaced while it is being sent.
"""

from __future__ import annotations

import mimetypes
import os
import stat
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from crmdesk.domain.errors import CrmError

#: ``progress(bytes_sent, total_bytes)``, called on the event loop after each chunk.
Progress = Callable[[int, int], None]


class UploadFileError(CrmError):
    """The file to upload cannot be read, or changed while it was being sent."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"Cannot upload {os.fspath(path)!s}: {reason}")
        self.path = os.fspath(path)
        self.reason = reason


def _explain(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "the file does not exist"
    if isinstance(error, PermissionError):
        return "permission denied (the file cannot be read)"
    if isinstance(error, IsADirectoryError):
        return "it is a folder, not a file"
    return error.strerror or str(error) or type(error).__name__


class UploadSource:
    """A regular file opened for upload, with progress and change detection."""

    def __init__(self, path: str | os.PathLike[str], progress: Progress | None = None) -> None:
        self.path = Path(path)
        self.closed = False
        self.progress = progress
        try:
            info = os.stat(self.path)
        except OSError as exc:
            raise UploadFileError(self.path, _explain(exc)) from None
        if stat.S_ISDIR(info.st_mode):
            raise UploadFileError(self.path, "it is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise UploadFileError(self.path, "it is not a regular file (a pipe or a device)")
        try:
            # unbuffered: a buffer would hide a file that shrinks after the first read
            self._file = open(self.path, "rb", buffering=0)  # noqa: SIM115 - see close()
        except OSError as exc:
            raise UploadFileError(self.path, _explain(exc)) from None
        self._stamp = (info.st_size, info.st_mtime_ns, info.st_ino)
        self.size = info.st_size
        self.sent = 0

    @property
    def filename(self) -> str:
        """The file's name, for the multipart part."""
        return self.path.name

    @property
    def content_type(self) -> str:
        """A MIME type guessed from the name (``application/octet-stream`` if unknown)."""
        return mimetypes.guess_type(self.path.name)[0] or "application/octet-stream"

    def tell(self) -> int:
        """Bytes handed out so far."""
        return self.sent

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Rewind (httpx does before each attempt) or report the announced size."""
        if whence == os.SEEK_END:
            return self.size + offset
        if whence == os.SEEK_CUR:
            offset += self.sent
        position = max(0, min(offset, self.size))
        try:
            self._file.seek(position)
        except OSError as exc:
            raise UploadFileError(self.path, _explain(exc)) from None
        self.sent = position
        return position

    def read(self, size: int | None = -1) -> bytes:
        """The next chunk; b"" at the announced size, after checking the file is unchanged."""
        left = self.size - self.sent
        want = left if size is None or size < 0 else min(size, left)
        if want <= 0:
            self._check_unchanged()
            return b""
        try:
            data = self._file.read(want) or b""
        except OSError as exc:
            raise UploadFileError(self.path, _explain(exc)) from None
        if len(data) < want:
            raise UploadFileError(self.path, "the file got shorter while it was being sent")
        self.sent += len(data)
        if self.progress is not None:
            self.progress(self.sent, self.size)
        return data

    def _check_unchanged(self) -> None:
        try:
            info = os.stat(self.path)
        except OSError as exc:
            raise UploadFileError(
                self.path, f"it changed during the upload ({_explain(exc)})"
            ) from None
        if (info.st_size, info.st_mtime_ns, info.st_ino) != self._stamp:
            raise UploadFileError(self.path, "the file changed while it was being sent")

    def close(self) -> None:
        """Close the file."""
        if not self.closed:
            self.closed = True
            self._file.close()

    def __enter__(self) -> UploadSource:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
