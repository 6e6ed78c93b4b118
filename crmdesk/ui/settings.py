"""Window state remembered between runs: geometry, splitters, column layouts, last page.

An INI file in the profile's config directory (so a ``--data-dir`` profile carries its own
window state). Column layouts are kept per account and entity.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from crmdesk.domain.entities import Entity


class UiSettings:
    """Reads and writes the UI's remembered state."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._q = QSettings(str(path), QSettings.Format.IniFormat)

    def sync(self) -> None:
        """Write pending changes to disk now."""
        self._q.sync()

    # -------------------------------------------------------------- window

    def geometry(self, key: str) -> QByteArray | None:
        """Saved geometry/state bytes (``saveGeometry``/``saveState`` output)."""
        value = self._q.value(f"window/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_geometry(self, key: str, value: QByteArray) -> None:
        """Remember geometry/state bytes."""
        self._q.setValue(f"window/{key}", value)

    def last_entity(self) -> Entity:
        """The page shown when the app was last closed."""
        try:
            return Entity(str(self._q.value("window/entity", Entity.DEAL.value)))
        except ValueError:
            return Entity.DEAL

    def set_last_entity(self, entity: Entity) -> None:
        """Remember the page shown."""
        self._q.setValue("window/entity", entity.value)

    # -------------------------------------------------------------- columns

    def column_layout(self, account: str, entity: Entity) -> list[tuple[str, int | None]] | None:
        """Visible columns (key, width) in order, or None if never saved."""
        text = self._q.value(f"columns/{account}/{entity.value}")
        if not isinstance(text, str) or not text:
            return None
        try:
            data = json.loads(text)
            layout = [(str(k), int(w) if w else None) for k, w in data]
        except (ValueError, TypeError):
            return None
        return layout or None

    def set_column_layout(
        self, account: str, entity: Entity, layout: list[tuple[str, int]]
    ) -> None:
        """Remember the visible columns, their order and widths."""
        self._q.setValue(f"columns/{account}/{entity.value}", json.dumps(layout))

    def detail_visible(self) -> bool:
        """Whether the detail pane is shown."""
        return str(self._q.value("window/detail", "true")).lower() != "false"

    def set_detail_visible(self, visible: bool) -> None:
        """Remember whether the detail pane is shown."""
        self._q.setValue("window/detail", "true" if visible else "false")
