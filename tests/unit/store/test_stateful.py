"""Model-based test of the outbox and effective-row rules (hypothesis stateful).

The model keeps the server's records and, per record and field, the value the user last
typed while it is still queued. Whatever the interleaving of local edits, pulls of
server-side changes, sends that succeed or fail, discards and crashes (close + reopen,
in-flight entries requeued), the store must show: the user's queued value where there is
one, the server's otherwise; at most one never-sent entry per record; the server JSON as the
server has it; and a search index that finds every record by its effective name.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from crmdesk.domain.entities import Entity
from crmdesk.domain.outbox import OpState
from crmdesk.store import Store

D = Entity.DEAL
IDS = (1, 2, 3)
FIELDS = ("name", "summary")
WORDS = ("alpha", "bravo", "charlie", "delta")


def stamp(n: int) -> str:
    return f"2026/01/01 10:{n // 60:02d}:{n % 60:02d} -0000"


class OutboxMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="crmdesk-stateful-"))
        self.path = self.dir / "store.db"
        self.store = Store.open(self.path, check=False)
        self.clock = 0
        self.server: dict[int, dict[str, Any]] = {
            i: {"id": i, "name": f"{WORDS[i]} {i}", "summary": "s0", "updated_at": stamp(0)}
            for i in IDS
        }
        self.mine: dict[int, dict[str, str]] = {i: {} for i in IDS}
        self.inflight: list[str] = []
        self.store.write_sync(lambda s: s.records.upsert_server(D, list(self.server.values())))

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------ helpers

    def _settle(self, rid: int) -> None:
        """After a discard or a confirm, the user's value of a field is the one in the
        latest entry still queued for it; a field no longer queued shows the server's."""
        latest: dict[str, str] = {}
        for entry in self.store.read().outbox.entries(record_id=rid):
            latest.update(entry.patch)
        self.mine[rid] = {f: latest[f] for f in self.mine[rid] if f in latest}

    # ------------------------------------------------------------ rules

    @rule(rid=st.sampled_from(IDS), field=st.sampled_from(FIELDS), word=st.sampled_from(WORDS))
    def local_edit(self, rid: int, field: str, word: str) -> None:
        value = f"{word} {rid}" if field == "name" else word
        before = self.store.read().records.get(D, rid)
        assert before is not None
        self.store.write_sync(lambda s: s.edits.update(D, rid, {field: value}))
        if before.data.get(field) != value:
            self.mine[rid][field] = value
        self._settle(rid)

    @rule(rid=st.sampled_from(IDS), field=st.sampled_from(FIELDS), word=st.sampled_from(WORDS))
    def server_change(self, rid: int, field: str, word: str) -> None:
        self.clock += 1
        record = self.server[rid]
        record[field] = f"{word} {rid} srv" if field == "name" else f"{word} srv"
        record["updated_at"] = stamp(self.clock)
        copy = dict(record)
        self.store.write_sync(lambda s: s.records.upsert_server(D, [copy]), durable=False)

    @rule()
    def start_send(self) -> None:
        ready = self.store.read().outbox.ready(limit=1)
        if ready:
            op = ready[0].op_id
            self.store.write_sync(lambda s: s.outbox.mark_sending(op))
            self.inflight.append(op)

    @precondition(lambda self: self.inflight)
    @rule(data=st.data())
    def send_succeeds(self, data: st.DataObject) -> None:
        op = data.draw(st.sampled_from(self.inflight))
        self.inflight.remove(op)
        entry = self.store.read().outbox.get(op)
        self.clock += 1
        record = self.server[entry.record_id]
        record.update(entry.patch)
        record["updated_at"] = stamp(self.clock)
        reply = dict(record)
        self.store.write_sync(lambda s: s.outbox.confirm(op, reply))
        for name, value in entry.patch.items():
            if self.mine[entry.record_id].get(name) == value:
                self.mine[entry.record_id].pop(name)
        self._settle(entry.record_id)

    @precondition(lambda self: self.inflight)
    @rule(data=st.data())
    def send_fails(self, data: st.DataObject) -> None:
        op = data.draw(st.sampled_from(self.inflight))
        self.inflight.remove(op)
        self.store.write_sync(lambda s: s.outbox.fail(op, "HTTP 503", retry_after=0))

    @rule(data=st.data())
    def discard(self, data: st.DataObject) -> None:
        waiting = self.store.read().outbox.entries(states=[OpState.PENDING])
        if not waiting:
            return
        entry = data.draw(st.sampled_from(waiting))
        self.store.write_sync(lambda s: s.edits.discard(entry.op_id))
        self._settle(entry.record_id)

    @rule()
    def crash_and_reopen(self) -> None:
        self.store.close()
        self.store = Store.open(self.path, check=False)
        for entry in self.store.read().outbox.in_doubt():
            self.store.write_sync(lambda s, op=entry.op_id: s.outbox.requeue(op))
        self.inflight.clear()

    # ------------------------------------------------------------ invariants

    @invariant()
    def effective_rows_follow_the_rules(self) -> None:
        reader = self.store.read()
        for rid in IDS:
            record = reader.records.get(D, rid)
            assert record is not None
            for field in FIELDS:
                expected = self.mine[rid].get(field, self.server[rid][field])
                assert record.data[field] == expected, (rid, field, record.data, self.mine)
            assert record.server is not None
            assert record.server["updated_at"] == self.server[rid]["updated_at"]
            entries = reader.outbox.entries(record_id=rid)
            never_sent = [e for e in entries if e.state is OpState.PENDING and not e.attempts]
            assert len(never_sent) <= 1  # repeated edits fold into the one unsent entry
            assert (record.sync.value == "pending") == bool(entries)
            assert rid in reader.search.ids(D, str(record.data["name"]))


TestOutboxMachine = OutboxMachine.TestCase
TestOutboxMachine.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
