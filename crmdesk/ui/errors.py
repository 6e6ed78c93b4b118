"""Showing errors: an application excepthook that logs and shows a non-modal message.

``asyncSlot`` coroutines and our task helpers send unexpected exceptions to
``sys.excepthook``; this one writes them to the log (whose handlers redact API keys, see
``crmdesk.app``) and shows a message box that does not block the event loop.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from crmdesk.domain.errors import CrmError

log = logging.getLogger("crmdesk")

_open_boxes: list[QMessageBox] = []


def show_error(parent: QWidget | None, title: str, text: str, details: str = "") -> QMessageBox:
    """A non-modal error message (``open()``, never ``exec()``)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(text)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if details:
        box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    _open_boxes.append(box)
    box.finished.connect(lambda _r: _open_boxes.remove(box) if box in _open_boxes else None)
    box.open()
    return box


Button = QMessageBox.StandardButton


def ask(
    parent: QWidget,
    name: str,
    title: str,
    text: str,
    buttons: Button,
    default: Button,
    answered: Callable[[Button], None],
) -> QMessageBox:
    """A question that does not block the event loop (``open()``, never ``exec()``: a
    nested loop inside a coroutine wedges qasync's other tasks). ``answered`` gets the
    button chosen (``NoButton`` when the box was closed otherwise); tests find the box by
    its object ``name`` and click a button."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, buttons, parent)
    box.setObjectName(name)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setDefaultButton(default)

    def finished(_result: int) -> None:
        clicked = box.clickedButton()
        choice = box.standardButton(clicked) if clicked is not None else Button.NoButton
        box.deleteLater()
        answered(choice)

    box.finished.connect(finished)
    box.open()
    return box


def install_excepthook(parent: Callable[[], QWidget | None]) -> None:
    """Log every uncaught exception and show it without blocking the loop."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        if isinstance(error, CrmError):
            log.warning("%s", error)
            show_error(parent(), "crmdesk", str(error))
            return
        details = "".join(traceback.format_exception(kind, error, tb))
        log.error("Unexpected error\n%s", details)
        show_error(
            parent(),
            "crmdesk - unexpected error",
            f"Something went wrong: {kind.__name__}: {error}\n\nYour data is safe; the details "
            "are in the log.",
            details,
        )

    sys.excepthook = hook
