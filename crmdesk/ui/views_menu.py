"""The saved-views button of a table: the default view, the account's saved searches, the
views saved on this computer, and "Save view…" / "Delete view"."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMenu, QToolButton, QWidget

from crmdesk.domain.entities import Entity
from crmdesk.services.table_types import SavedView, ViewOrigin


class ViewsButton(QToolButton):
    """Chooses a view. ``chosen(view)`` (None = the default view), ``save_requested(name)``,
    ``delete_requested(view)``."""

    chosen = Signal(object)
    save_requested = Signal(str)
    delete_requested = Signal(object)

    def __init__(
        self, entity: Entity, views: Callable[[], list[SavedView]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("viewsButton")
        self.entity = entity
        self._views = views
        self.current: SavedView | None = None
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self._menu = QMenu(self)
        self._menu.aboutToShow.connect(self._build)
        self.setMenu(self._menu)
        self.set_current(None)
        self._dialog: QInputDialog | None = None

    def default_name(self) -> str:
        """Name of the view with no filters."""
        return f"All {self.entity.plural_label.lower()}"

    def set_current(self, view: SavedView | None) -> None:
        """Show which view is applied."""
        self.current = view
        self.setText(view.name if view is not None else self.default_name())
        self.setToolTip(
            "Saved views"
            + (
                f"\nApplied in part: {', '.join(view.unmapped)} cannot be filtered here."
                if view is not None and view.unmapped
                else ""
            )
        )

    def _build(self) -> None:
        menu = self._menu
        menu.clear()
        views = self._views()
        default = menu.addAction(self.default_name(), lambda: self.chosen.emit(None))
        default.setCheckable(True)
        default.setChecked(self.current is None)
        for origin, title in (
            (ViewOrigin.ACCOUNT, "Saved searches (account)"),
            (ViewOrigin.LOCAL, "My views (this computer)"),
        ):
            group = [v for v in views if v.origin is origin]
            if not group:
                continue
            menu.addSection(title)
            for view in group:
                action = menu.addAction(view.name, partial(self.chosen.emit, view))
                action.setCheckable(True)
                action.setChecked(self.current is not None and self.current.id == view.id)
                if view.unmapped:
                    action.setToolTip(f"Applied in part: {', '.join(view.unmapped)}")
        menu.addSeparator()
        menu.addAction("Save view…", self.ask_name)
        if self.current is not None and self.current.origin is ViewOrigin.LOCAL:
            current = self.current
            menu.addAction(
                f"Delete view “{current.name}”", lambda: self.delete_requested.emit(current)
            )

    def ask_name(self) -> None:
        """Ask for a name (non-modal ``open()``), then emit ``save_requested``."""
        dialog = QInputDialog(self.window())
        dialog.setWindowTitle("Save view")
        dialog.setLabelText("Name of the view (filters, sort and columns):")
        dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
        local = self.current is not None and self.current.origin is ViewOrigin.LOCAL
        dialog.setTextValue(self.current.name if local and self.current else "")
        dialog.textValueSelected.connect(
            lambda name: self.save_requested.emit(name) if name.strip() else None
        )
        self._dialog = dialog
        dialog.open()
