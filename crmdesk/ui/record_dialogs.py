"""The per-record dialogs of a window: a conflict to resolve, a record deleted on the
server, the values a record lost. One dialog per record and kind, opened without blocking
(never ``exec()``: the event loop and the sync keep running) and kept current while its
record changes (a sync brings a new conflict, another dialog restores a value).
"""

from __future__ import annotations

from typing import Any

from crmdesk.domain.changes import ChangeSet
from crmdesk.domain.entities import Entity
from crmdesk.domain.sync_status import RecordSync


class RecordDialogs:
    """Opens and tracks the record dialogs of ``window`` (a MainWindow: its ``edits``,
    ``conflict_views``, ``bridge``, ``show_message`` and ``open_record``)."""

    def __init__(self, window: Any) -> None:
        self._window = window
        #: the dialogs open now, by (kind, entity, record id)
        self.open_dialogs: dict[tuple[str, Entity, int], Any] = {}

    def connect_page(self, page: Any) -> None:
        """The page's detail pane asks for these dialogs (Resolve…, History…)."""
        page.detail.resolve_requested.connect(self._resolve_requested)
        page.detail.history_requested.connect(self.show_history)

    def _resolve_requested(self, entity: Entity, record_id: int, sync: str) -> None:
        if sync == RecordSync.DELETED_ON_SERVER.value:
            self.resolve_deleted(entity, record_id)
        else:
            self.resolve_conflict(entity, record_id)

    def _open(self, kind: str, entity: Entity, record_id: int, factory: Any, wire: Any) -> Any:
        """Open the ``kind`` dialog of one record (``wire`` connects a new one), or raise
        the one already open; None when the database is read-only."""
        window = self._window
        if window.edits is None or window.conflict_views is None:
            window.show_message("Changes cannot be resolved until the account is open for sync.")
            return None
        key = (kind, entity, record_id)
        dialog = self.open_dialogs.get(key)
        if dialog is not None:
            dialog.raise_()
            dialog.activateWindow()
            return dialog
        dialog = factory(window.edits, window.conflict_views, entity, record_id, window)
        wire(dialog)
        self.open_dialogs[key] = dialog
        dialog.finished.connect(lambda _result: self.open_dialogs.pop(key, None))
        self._follow_record(dialog, entity, record_id)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def _follow_record(self, dialog: Any, entity: Entity, record_id: int) -> None:
        refresh = getattr(dialog, "refresh", None)
        bridge = self._window.bridge
        if bridge is None or refresh is None:
            return

        def changed(changes: ChangeSet) -> None:
            if record_id in changes.ids_of(entity):
                refresh()

        bridge.records_changed.connect(changed)
        dialog.finished.connect(lambda _result: bridge.records_changed.disconnect(changed))

    def resolve_conflict(self, entity: Entity, record_id: int) -> Any:
        """The conflict dialog of a record: mine or theirs, field by field."""
        from crmdesk.ui.conflict_dialog import ConflictDialog

        say = self._window.show_message

        def wire(dialog: ConflictDialog) -> None:
            dialog.resolved.connect(
                lambda n: say(
                    f"Resolved {n} field{'s' if n != 1 else ''}; the values you did not keep "
                    "are in the record's history."
                )
            )
            dialog.history_requested.connect(self.show_history)

        return self._open("conflict", entity, record_id, ConflictDialog, wire)

    def resolve_deleted(self, entity: Entity, record_id: int) -> Any:
        """The dialog of a record deleted on the server: recreate it, or discard my changes."""
        from crmdesk.ui.deleted_dialog import DeletedDialog

        say = self._window.show_message

        def wire(dialog: DeletedDialog) -> None:
            dialog.recreated.connect(self._recreated)
            dialog.discarded.connect(
                lambda _n: say("Your changes were discarded (Undo in the dialog).")
            )
            dialog.restored.connect(lambda: say("Your changes are back."))

        return self._open("deleted", entity, record_id, DeletedDialog, wire)

    def _recreated(self, entity: Entity, new_id: int) -> None:
        self._window.show_message(
            f"The {entity.label.lower()} will be created again with the next sync."
        )
        self._window.open_record(entity, new_id)

    def show_history(self, entity: Entity, record_id: int) -> Any:
        """The record's lost values, to restore."""
        from crmdesk.ui.history_dialog import HistoryDialog

        say = self._window.show_message

        def wire(dialog: HistoryDialog) -> None:
            dialog.restored.connect(lambda label, value: say(f"{label} restored to {value}."))

        return self._open("history", entity, record_id, HistoryDialog, wire)
