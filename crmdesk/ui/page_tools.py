"""Saved views, the column chooser and CSV export of a table page (a mixin of
``EntityPage``, kept apart to keep that module readable)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from PySide6.QtWidgets import QFileDialog, QWidget

from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import CrmError
from crmdesk.services.table_types import SavedView, Sort, ViewSpec

DEFAULT_SORT = {
    Entity.DEAL: Sort("updated_at", descending=True),
    Entity.PERSON: Sort("name"),
    Entity.COMPANY: Sort("name"),
}


class PageTools:
    """Views, columns and export; expects the attributes ``EntityPage`` has."""

    entity: Any
    browse: Any
    settings: Any
    account_key: str
    spec: ViewSpec
    table: Any
    model: Any
    views: Any
    message: Any
    _layout_timer: Any
    _side_task: Any
    requery: Any
    _sync_controls: Any
    _show_error: Any

    def _widget(self) -> QWidget:
        return cast(QWidget, self)  # the page this mixin is part of

    # -------------------------------------------------------------- views and columns

    def apply_view(self, view: SavedView | None) -> None:
        """Apply a saved view (None: the default view with no filters)."""
        self.views.set_current(view)
        if view is None:
            self.spec = ViewSpec(self.entity, sort=DEFAULT_SORT[self.entity])
        else:
            self.spec = replace(view.spec, columns=())
            if view.spec.columns:
                widths = dict(self.table.column_layout())
                self.table.apply_column_layout([(k, widths.get(k)) for k in view.spec.columns])
            if view.unmapped:
                self.message.emit(
                    f"“{view.name}” applied in part: {', '.join(view.unmapped)} "
                    "cannot be filtered here, so more rows may show."
                )
        self._sync_controls()
        self.requery()

    def save_view(self, name: str) -> None:
        """Save the current filters, sort and columns as a local view."""
        columns = tuple(k for k, _ in self.table.column_layout())
        try:
            view = self.browse.save_view(name, replace(self.spec, columns=columns))
        except CrmError as error:
            self._show_error(error)
            return
        self.views.set_current(view)
        self.message.emit(f"Saved view “{view.name}”.")

    def delete_view(self, view: SavedView) -> None:
        """Delete a local view (the rows shown stay as they are)."""
        try:
            self.browse.delete_view(view.id)
        except CrmError as error:
            self._show_error(error)
            return
        self.views.set_current(None)
        self.message.emit(f"Deleted view “{view.name}”.")

    def choose_columns(self) -> None:
        """Open the column chooser (non-modal)."""
        from crmdesk.ui.column_chooser import ColumnChooser

        chooser = ColumnChooser(self.model.columns, self.table.column_layout(), self._widget())
        chooser.accepted.connect(lambda: self.table.apply_column_layout(chooser.chosen_layout()))
        chooser.finished.connect(chooser.deleteLater)
        self._chooser = chooser
        chooser.open()

    def _restore_columns(self) -> None:
        saved = self.settings.column_layout(self.account_key, self.entity)
        self.table.apply_column_layout(saved or self.table.default_layout())

    def _save_columns(self) -> None:
        self.settings.set_column_layout(self.account_key, self.entity, self.table.column_layout())

    def save_state(self) -> None:
        """Write column layout now (before quitting)."""
        self._layout_timer.stop()
        self._save_columns()

    # -------------------------------------------------------------- export

    def ask_export(self) -> None:
        """Ask where to save the CSV (non-modal), then export."""
        name = f"{self.entity.collection}-{time.strftime('%Y-%m-%d')}.csv"
        dialog = QFileDialog(
            self._widget(), "Export as CSV", str(Path.home() / name), "CSV files (*.csv)"
        )
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(lambda path: self.export_to(Path(path)))
        self._export_dialog = dialog
        dialog.open()

    def export_to(self, path: Path) -> asyncio.Task:
        """Export the rows shown, in the visible columns' order, to ``path``."""
        return self._side_task.start(self._export(path))

    async def _export(self, path: Path) -> None:
        keys = [k for k, _ in self.table.column_layout()]
        loop = asyncio.get_running_loop()

        def progress(rows: int) -> None:
            loop.call_soon_threadsafe(self.message.emit, f"Exporting… {rows:,} rows")

        self.message.emit("Exporting…")
        result = await self.browse.export_csv(self.spec, keys, path, progress)
        self.message.emit(f"Exported {result.rows:,} rows to {result.path}")
