"""Printing for the command line: JSON documents, plain tables, errors, exit codes, progress.

Results go to stdout; messages, warnings and progress to stderr, so ``--json`` output can be
piped as it is. Nothing printed here ever holds an API key (errors are redacted).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from crmdesk.api.redaction import redact
from crmdesk.domain.sync_status import SyncStatus

#: Exit statuses of every command.
OK = 0
FAILED = 1  # the work could not be done: server unreachable, key refused, sync incomplete
USAGE = 2  # bad arguments: unknown option, account, field name or value
NOT_FOUND = 3  # no record, queued change or conflict with that id


class CliError(Exception):
    """Stops a command: ``message`` goes to stderr, ``status`` is the exit status."""

    def __init__(self, message: str, status: int = FAILED) -> None:
        super().__init__(message)
        self.status = status


def say(message: str) -> None:
    """A message for the person at the terminal (stderr)."""
    sys.stderr.write(redact(message) + "\n")


def emit_json(document: Any) -> None:
    """One JSON document on stdout (one line)."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, default=str) + "\n")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None) -> None:
    """A plain text table with aligned columns (stdout)."""
    stream = out or sys.stdout
    texts = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in texts:
        for i, cell in enumerate(row):
            widths[i] = min(max(widths[i], len(cell)), 60)
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    stream.write(line.rstrip() + "\n")
    for row in texts:
        cells = [c if len(c) <= w else c[: w - 1] + "…" for c, w in zip(row, widths, strict=True)]
        stream.write("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        stream.write("\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value).replace("\n", " ")


class Progress:
    """A one-line progress display on stderr while a sync runs (only on a terminal)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._live = self._stream.isatty()
        self._width = 0

    def __call__(self, status: SyncStatus) -> None:
        if not self._live or not status.phase:
            return
        text = status.phase
        if status.progress is not None:
            text += f" {status.progress:4.0%}"
        if status.pending:
            text += f" - {status.pending:,} change(s) to send"
        self._width = max(self._width, len(text))
        self._stream.write("\r" + text.ljust(self._width))
        self._stream.flush()

    def done(self) -> None:
        """Clear the progress line."""
        if self._live and self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
