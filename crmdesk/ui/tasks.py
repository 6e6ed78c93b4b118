"""Running service coroutines from widgets on the qasync loop.

``LatestTask`` keeps one task per purpose (the table's query, the detail pane's load):
starting a new one cancels the older one, so a stale result never lands, and the service
stops the superseded SQL statement. Errors the person can act on (``CrmError``) go to
``on_error`` as words; anything else goes to ``sys.excepthook`` (the app shows and logs it).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from crmdesk.domain.errors import CrmError

ErrorHandler = Callable[[CrmError], None]


def report_unexpected(error: BaseException) -> None:
    """Hand an unexpected exception to the application's excepthook."""
    sys.excepthook(type(error), error, error.__traceback__)


class LatestTask:
    """At most one running task; ``start`` cancels the previous one."""

    def __init__(self, on_error: ErrorHandler | None = None) -> None:
        self._task: asyncio.Task[Any] | None = None
        self._on_error = on_error

    @property
    def running(self) -> bool:
        """True while a task runs."""
        return self._task is not None and not self._task.done()

    def start(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` as the current task (cancelling the previous one)."""
        self.cancel()
        task = asyncio.ensure_future(coro)
        task.add_done_callback(self._finished)
        self._task = task
        return task

    def cancel(self) -> None:
        """Cancel the current task, if any."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def wait(self) -> None:
        """Wait until the current task (and any it was replaced by meanwhile) is done."""
        while self._task is not None and not self._task.done():
            await asyncio.wait({self._task})

    def _finished(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            return
        if isinstance(error, CrmError) and self._on_error is not None:
            self._on_error(error)
        else:
            report_unexpected(error)


def spawn(coro: Coroutine[Any, Any, Any], on_error: ErrorHandler | None = None) -> LatestTask:
    """Run a one-off coroutine with the same error handling."""
    holder = LatestTask(on_error)
    holder.start(coro)
    return holder
