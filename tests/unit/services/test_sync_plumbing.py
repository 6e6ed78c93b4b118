"""Event bus, key index and the command line's output helpers (no network)."""

from __future__ import annotations

import io
from pathlib import Path

from crmdesk.cli.output import Progress, table
from crmdesk.domain.changes import ChangeCause, ChangeSet
from crmdesk.domain.entities import Entity
from crmdesk.domain.sync_status import Connection, SyncStatus
from crmdesk.services.events import EventBus
from crmdesk.services.key_index import KeyIndex


def test_bus_fans_out_in_order_survives_a_failing_subscriber_and_unsubscribes():
    bus = EventBus()
    seen: list[str] = []

    def broken(_: ChangeSet) -> None:
        raise RuntimeError("a buggy view")

    stop_a = bus.subscribe_changes(lambda c: seen.append("a"))
    bus.subscribe_changes(broken)
    bus.subscribe_changes(lambda c: seen.append("c"))
    bus.publish_changes(ChangeSet.of(Entity.DEAL, [1], ChangeCause.PULL))
    assert seen == ["a", "c"]
    stop_a()
    stop_a()  # twice is harmless
    bus.publish_changes(ChangeSet.of(Entity.DEAL, [1], ChangeCause.PULL))
    assert seen == ["a", "c", "c"]
    statuses: list[SyncStatus] = []
    bus.subscribe_status(statuses.append)
    offline = SyncStatus(connection=Connection.OFFLINE, pending=3)
    bus.publish_status(offline)
    assert bus.status is offline
    assert statuses == [offline]
    bus.clear()
    bus.publish_status(SyncStatus())
    assert statuses == [offline]


def test_key_index_finds_the_user_without_keeping_the_key(tmp_path: Path):
    path = tmp_path / "keys.json"
    index = KeyIndex(path)
    assert index.user_id("https://a/api/v3", "key-one-123456") is None
    index.remember("https://a/api/v3", "key-one-123456", 7)
    index.remember("https://b/api/v3", "key-one-123456", 9)
    again = KeyIndex(path)
    assert again.user_id("https://a/api/v3", "key-one-123456") == 7
    assert again.user_id("https://b/api/v3", "key-one-123456") == 9
    assert again.user_id("https://a/api/v3", "key-two-123456") is None
    assert "key-one" not in path.read_text()
    path.write_text("not json")
    assert KeyIndex(path).user_id("https://a/api/v3", "key-one-123456") is None


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_one_line_on_a_terminal_only():
    screen = Terminal()
    progress = Progress(screen)
    progress(SyncStatus(phase="Downloading deals (200 of 1,000)", progress=0.2, pending=2))
    progress(SyncStatus(phase="Sending changes"))
    progress.done()
    text = screen.getvalue()
    assert "\rDownloading deals (200 of 1,000)  20% - 2 change(s) to send" in text
    assert text.endswith("\r")
    piped = io.StringIO()
    quiet = Progress(piped)
    quiet(SyncStatus(phase="Downloading deals", progress=0.5))
    quiet.done()
    assert piped.getvalue() == ""


def test_table_aligns_and_shortens_long_cells():
    out = io.StringIO()
    table(("ID", "NAME"), [(1, "short"), (22, "x" * 80), (3, None)], out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("ID  NAME")
    assert lines[2].endswith("…")
    assert len(lines[2]) == 4 + 60
