"""Test harness shared by every suite.

* Qt runs offscreen: ``QT_QPA_PLATFORM`` is forced before anything imports Qt.
* No test touches the real keyring: an in-memory backend is installed for the session, and
  subprocesses get keyring's "fail" backend so a stray call errors instead of leaking.
* ``qloop`` runs a coroutine scenario on a qasync ``QEventLoop`` over pytest-qt's ``qapp``
  (pytest-qt has no qasync support of its own); ``aloop`` does the same on a plain asyncio
  loop for tests without Qt. Both fail a test that leaves asyncio tasks pending or lets a
  task die with an exception nobody retrieved.
* A default per-test timeout comes from pytest-timeout (``timeout`` in pyproject.toml).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import keyring
import keyring.backend
import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

pytest_plugins = ["pytester"]

T = TypeVar("T")

DEFAULT_SCENARIO_TIMEOUT = 30.0


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in a dict for the test session."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.secrets[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(username) from None


@pytest.fixture(scope="session", autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """The session's keyring backend; cleared between tests by ``clean_keyring``."""
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def clean_keyring(memory_keyring: MemoryKeyring) -> Iterator[None]:
    """Each test starts with an empty keyring."""
    memory_keyring.secrets.clear()
    yield
    memory_keyring.secrets.clear()


class ScenarioRunner:
    """Runs coroutine scenarios on one event loop and checks what they leave behind."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.unhandled: list[dict[str, Any]] = []
        loop.set_exception_handler(lambda _loop, context: self.unhandled.append(context))

    def run(self, scenario: Awaitable[T], timeout: float = DEFAULT_SCENARIO_TIMEOUT) -> T:
        """Run ``scenario`` to completion; TimeoutError if it takes longer than ``timeout``."""
        return self.loop.run_until_complete(asyncio.wait_for(scenario, timeout))

    def call(
        self, factory: Callable[[], Awaitable[T]], timeout: float = DEFAULT_SCENARIO_TIMEOUT
    ) -> T:
        """Create the coroutine inside the running loop, then run it (for loop-bound setup)."""

        async def scenario() -> T:
            return await factory()

        return self.run(scenario(), timeout)

    def finish(self) -> list[str]:
        """Cancel leftover tasks and report them, plus unretrieved task exceptions."""
        problems: list[str] = []
        pending = [task for task in asyncio.all_tasks(self.loop) if not task.done()]
        if pending:
            problems.append(
                f"test left {len(pending)} asyncio task(s) pending: "
                + ", ".join(repr(task.get_coro()) for task in pending[:5])
            )
            for task in pending:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        for context in self.unhandled:
            problems.append(
                f"unhandled exception in the event loop: {context.get('message')}"
                f" {context.get('exception')!r}"
            )
        return problems


@pytest.fixture
def qloop(qapp: Any) -> Iterator[ScenarioRunner]:
    """A qasync event loop on the test QApplication; ``qloop.run(coro)`` drives a scenario."""
    import qasync

    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    runner = ScenarioRunner(loop)
    try:
        yield runner
    finally:
        problems = runner.finish()
        loop.close()
        _kill_qasync_timers(loop)
        asyncio.set_event_loop(None)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def _kill_qasync_timers(loop: Any) -> None:
    """Stop the Qt timers a closed qasync loop still has registered (e.g. the 30 s one of
    ``asyncio.wait_for``): left alive they fire in a later test after the loop's timer
    object was collected, and Qt crashes in ``QCoreApplication::notifyInternal2``."""
    timer = getattr(loop, "_timer", None)
    callbacks = getattr(timer, "_SimpleTimer__callbacks", None)
    if timer is None or not isinstance(callbacks, dict):
        return
    for timer_id in list(callbacks):
        timer.killTimer(timer_id)
        callbacks.pop(timer_id, None)


@pytest.fixture
def aloop() -> Iterator[ScenarioRunner]:
    """A plain asyncio event loop (no Qt) with the same checks as ``qloop``."""
    loop = asyncio.new_event_loop()
    runner = ScenarioRunner(loop)
    try:
        yield runner
    finally:
        problems = runner.finish()
        loop.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# ---------------------------------------------------------------- the sandbox (crmdesk/sandbox)


@pytest.fixture
def sandbox() -> Iterator[Any]:
    """A fresh ``tiny`` sandbox for one test: seed 1, in memory, rate limit off.

    ``sandbox.base_url`` ends in ``/api/v3``; ``sandbox.admin_key`` / ``sandbox.user_key``
    are an admin and a basic-level user (both may read and write every deal, person and
    company). Stopped when the test ends.
    """
    from crmdesk.sandbox import Sandbox

    with Sandbox.start(scale="tiny", seed=1, db=":memory:", rate_limit=None) as started:
        yield started


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., Any]]:
    """Start sandboxes with any ``Sandbox.start`` options; all are stopped after the test.

    Defaults: ``scale="tiny"``, ``seed=1``, ``db=":memory:"``, ``rate_limit=None``; e.g.
    ``sandbox_factory(rate_limit="3/1", rate_limit_mode="window")`` or
    ``sandbox_factory(db=str(tmp_path / "crm.db"))``.
    """
    from crmdesk.sandbox import Sandbox

    started: list[Any] = []

    def start(**options: Any) -> Any:
        options.setdefault("scale", "tiny")
        options.setdefault("seed", 1)
        options.setdefault("db", ":memory:")
        options.setdefault("rate_limit", None)
        instance = Sandbox.start(**options)
        started.append(instance)
        return instance

    yield start
    for instance in reversed(started):
        instance.stop()
