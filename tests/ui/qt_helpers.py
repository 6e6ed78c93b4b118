"""Waiting on Qt signals inside ``qloop`` scenarios (never sleeping)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def next_signal(signal: Any, limit: float = 5.0) -> tuple[Any, ...]:
    """The arguments of the next emission of ``signal``; TimeoutError after ``limit`` s."""
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def received(*args: Any) -> None:
        if not future.done():
            future.set_result(args)

    signal.connect(received)
    try:
        return await asyncio.wait_for(future, limit)
    finally:
        # the sender may be gone by now (a dialog deleted once it finished)
        with contextlib.suppress(RuntimeError):
            signal.disconnect(received)


def answer_question(parent: Any, name: str, button: Any) -> str:
    """Click ``button`` (a QMessageBox.StandardButton) in the open question box ``name``
    under ``parent``; returns the question's text. Fails when no such box is showing."""
    from PySide6.QtWidgets import QMessageBox

    shown = [b for b in parent.findChildren(QMessageBox, name) if b.isVisible()]
    assert len(shown) == 1, f"expected one open {name!r} box, found {len(shown)}"
    text = shown[0].text()
    shown[0].button(button).click()
    return text
