"""The non-Qt side of the test harness: keyring, asyncio scenarios, the leak and timeout checks."""

from __future__ import annotations

import asyncio
from pathlib import Path

import keyring
import pytest

CONFTEST = (Path(__file__).parents[1] / "conftest.py").read_text()


def test_keyring_is_the_in_memory_backend(memory_keyring):
    assert keyring.get_keyring() is memory_keyring
    keyring.set_password("crmdesk-test", "alice", "s3cret")
    assert keyring.get_password("crmdesk-test", "alice") == "s3cret"
    assert memory_keyring.secrets == {("crmdesk-test", "alice"): "s3cret"}


def test_keyring_starts_empty_in_every_test(memory_keyring):
    assert memory_keyring.secrets == {}


def test_aloop_runs_a_scenario(aloop):
    async def scenario() -> int:
        done = asyncio.Event()
        asyncio.get_running_loop().call_soon(done.set)
        await asyncio.wait_for(done.wait(), 1.0)
        return 7

    assert aloop.run(scenario()) == 7


def test_aloop_scenarios_time_out(aloop):
    async def never() -> None:
        await asyncio.Event().wait()

    with pytest.raises(TimeoutError):
        aloop.run(never(), timeout=0.05)


def _run_inner(pytester: pytest.Pytester, source: str) -> pytest.RunResult:
    pytester.makeconftest(CONFTEST)
    pytester.makeini("[pytest]\nqt_api = pyside6\n")
    pytester.makepyfile(source)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider")


def test_a_test_that_leaves_a_task_pending_fails(pytester):
    result = _run_inner(
        pytester,
        """
        import asyncio

        def test_leaks(aloop):
            async def scenario():
                asyncio.create_task(asyncio.Event().wait())
            aloop.run(scenario())
        """,
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*test left 1 asyncio task(s) pending*"])


def test_a_task_that_dies_unnoticed_fails_the_test(pytester):
    result = _run_inner(
        pytester,
        """
        import asyncio, gc

        def test_swallowed(aloop):
            async def boom():
                raise RuntimeError("nobody looked")
            async def scenario():
                asyncio.create_task(boom())
                await asyncio.sleep(0)
                await asyncio.sleep(0)
                gc.collect()
            aloop.run(scenario())
        """,
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*unhandled exception in the event loop*nobody looked*"])


def test_a_hanging_test_is_stopped_by_the_timeout(pytester):
    result = _run_inner(
        pytester,
        """
        import threading, pytest

        @pytest.mark.timeout(1)
        def test_hangs():
            threading.Event().wait()
        """,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Timeout*"])
