"""CSV export of a table view: the rows it shows, in the columns it shows, in that order."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

from crmdesk.domain.errors import CrmError
from crmdesk.services.atomic_file import atomic_write
from crmdesk.services.columns import SYNC_COLUMN, RowFormatter
from crmdesk.store import Session, TableQuery

_PROGRESS_EVERY = 5_000


class ExportError(CrmError):
    """The CSV file could not be written; nothing was left behind."""


def write_csv(
    session: Session,
    query: TableQuery,
    formatter: RowFormatter,
    column_keys: Sequence[str],
    path: Path,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the rows of ``query`` to ``path``; returns how many rows were written.

    The header row holds the column titles. UTF-8 with a byte-order mark, so spreadsheet
    programs read accents right. Written to a temporary file in the same folder and renamed
    at the end: an interrupted export leaves nothing half-written.
    """
    keys = [k for k in column_keys if k != SYNC_COLUMN]
    titles = {c.key: c.title for c in formatter.columns}
    unknown = [k for k in keys if k not in titles]
    if unknown:
        raise ExportError(f"Unknown column(s) for export: {', '.join(unknown)}")
    path = Path(path)
    if not path.parent.is_dir():
        raise ExportError(f"Cannot write to {path.parent}: no such folder")
    count = 0
    try:
        with atomic_write(path, encoding="utf-8-sig", newline="", make_parents=False) as handle:
            writer = csv.writer(handle)
            writer.writerow([titles[k] for k in keys])
            for raw in session.tables.export(query):
                writer.writerow([formatter.export_value(k, raw) for k in keys])
                count += 1
                if progress is not None and count % _PROGRESS_EVERY == 0:
                    progress(count)
    except OSError as exc:
        raise ExportError(f"The export to {path} failed: {exc.strerror or exc}") from None
    return count
