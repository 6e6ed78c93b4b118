"""Files that appear whole or not at all (account list, key index, views, exports)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


@contextlib.contextmanager
def atomic_write(
    path: Path,
    *,
    encoding: str = "utf-8",
    newline: str | None = None,
    make_parents: bool = True,
    private: bool = False,
) -> Iterator[TextIO]:
    """Write text to ``path`` through a temporary file in the same folder.

    The file is flushed to disk and renamed over ``path`` when the block ends; if the block
    raises (or the process dies), ``path`` keeps its old content and the temporary file is
    removed. Missing folders are created (owner-only with ``private``) unless
    ``make_parents`` is False. OSError propagates.
    """
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
