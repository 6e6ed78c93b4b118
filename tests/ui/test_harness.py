"""The Qt side of the test harness: offscreen platform, qasync scenarios, PySide6 pairing."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication


class Pinger(QObject):
    pinged = Signal(int)


def test_qt_runs_offscreen(qapp):
    assert QGuiApplication.platformName() == "offscreen"


def test_qloop_runs_a_scenario_that_waits_on_a_qt_signal(qloop):
    pinger = Pinger()

    async def scenario() -> int:
        received: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        pinger.pinged.connect(received.set_result)
        QTimer.singleShot(0, lambda: pinger.pinged.emit(42))
        return await asyncio.wait_for(received, 2.0)

    assert qloop.run(scenario()) == 42


def test_qloop_keeps_qt_timers_and_tasks_running_together(qloop):
    async def ticker(ticks: list[int]) -> None:
        for i in range(5):
            await asyncio.sleep(0)
            ticks.append(i)

    async def scenario() -> tuple[list[int], int]:
        ticks: list[int] = []
        fired = asyncio.Event()
        QTimer.singleShot(10, fired.set)
        task = asyncio.create_task(ticker(ticks))
        await asyncio.wait_for(fired.wait(), 2.0)
        await task
        return ticks, len(ticks)

    ticks, count = qloop.run(scenario())
    assert ticks == [0, 1, 2, 3, 4]
    assert count == 5


VOID_CALLS = textwrap.dedent(
    """
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget
    app = QApplication([])
    widget, obj, timer = QWidget(), QObject(), QTimer()
    before = sys.getrefcount(None)
    for i in range(5000):
        widget.resize(10 + i % 7, 10)
        obj.setObjectName("x")
        timer.setInterval(i)
        widget.setWindowTitle("t")
    print(sys.getrefcount(None) - before)
    """
)


def test_void_qt_calls_leave_the_refcount_of_none_alone():
    # PySide6 6.12.0 on CPython 3.11 drops a reference to None per void call and the
    # interpreter aborts (none_dealloc) after ~5,400 calls. 20,000 calls here; on 3.12+ None
    # is immortal and the count never moves. A subprocess, so an abort fails one test only.
    proc = subprocess.run(
        [sys.executable, "-c", VOID_CALLS], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, f"interpreter died: {proc.returncode}\n{proc.stderr[-2000:]}"
    assert int(proc.stdout.strip().splitlines()[-1]) == 0
