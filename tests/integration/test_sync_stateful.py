"""Model-based test of the outbox and the merge rules against the sandbox (hypothesis).

Rules: local edits (folding, edits back to the base), edits by the second user on the
server, local creates, conflict resolutions both ways, and syncs - clean, or with lost
replies injected (a clean sync follows, as a real app would retry). After each clean sync
the server, the local view, the open conflicts and the queue must be what the three-way
merge rules say, with at most one PUT per record (repeated edits coalesce). Examples are
few (a sandbox round trip per step): the point is the sequences, not the volume.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from crmdesk.api import Exchange
from crmdesk.domain.entities import Entity
from crmdesk.store import Resolution
from tests.integration.sync_support import client_for, rig

DEALS = (0, 1)
FIELDS = ("name", "summary")
VALUES = st.sampled_from(["alpha", "beta", "gamma"])
Key = tuple[int, str]


def test_outbox_and_merge_rules_follow_the_model(sandbox, aloop, tmp_path: Path):
    counter = iter(range(10_000))

    class SyncMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.example = next(counter)
            self.stack = contextlib.AsyncExitStack()
            self.rig = aloop.run(
                self.stack.enter_async_context(rig(sandbox, tmp_path / f"m{self.example}.db"))
            )
            self.other = client_for(sandbox, sandbox.user_key)
            self.other.open()
            self.ids: list[int] = []
            for n in DEALS:
                made = aloop.run(self.other.deals.create({"name": f"m{self.example}-{n}"}))
                self.ids.append(int(made.id))
            # The model: server truth, the copy the store last pulled, unsent local
            # changes (base, mine), open conflicts (mine, theirs), created names.
            self.server: dict[Key, Any] = {}
            for n in DEALS:
                self.server[(n, "name")] = f"m{self.example}-{n}"
                self.server[(n, "summary")] = None
            self.known = dict(self.server)
            self.pending: dict[Key, tuple[Any, Any]] = {}
            self.conflicts: dict[Key, tuple[Any, Any]] = {}
            self.created: list[str] = []
            self.puts: Counter[str] = Counter()
            assert self.rig.client is not None
            self.rig.client.set_observer(self._count)
            assert aloop.run(self.rig.engine.sync()).complete

        def _count(self, exchange: Exchange) -> None:
            if exchange.method == "PUT" and exchange.status == 200:
                self.puts[exchange.path] += 1

        def teardown(self) -> None:
            aloop.run(self.other.aclose())
            aloop.run(self.stack.aclose())

        def shown(self, key: Key) -> Any:
            if key in self.pending:
                return self.pending[key][1]
            if key in self.conflicts:
                return self.conflicts[key][0]
            return self.known[key]

        # ------------------------------------------------------------ rules

        @rule(deal=st.sampled_from(DEALS), field=st.sampled_from(FIELDS), value=VALUES)
        def local_edit(self, deal: int, field: str, value: str) -> None:
            key = (deal, field)
            before = self.shown(key)
            aloop.run(self.rig.edits.update(Entity.DEAL, self.ids[deal], {field: value}))
            if key in self.conflicts:  # typing into a conflict decides it, over the server's
                del self.conflicts[key]  # current value (newer than the conflict's, maybe)
                if value != self.known[key]:
                    self.pending[key] = (self.known[key], value)
            elif key in self.pending:
                base, _ = self.pending[key]
                if value == base:
                    del self.pending[key]
                else:
                    self.pending[key] = (base, value)
            elif value != before:
                self.pending[key] = (before, value)

        @rule(deal=st.sampled_from(DEALS), field=st.sampled_from(FIELDS), value=VALUES)
        def server_edit(self, deal: int, field: str, value: str) -> None:
            if self.server[(deal, field)] == value:
                return  # no change on the server
            aloop.run(self.other.deals.update(self.ids[deal], {field: value}))
            self.server[(deal, field)] = value

        @rule(
            deal=st.sampled_from(DEALS),
            field=st.sampled_from(FIELDS),
            mine=VALUES,
            theirs=VALUES,
        )
        def both_edit(self, deal: int, field: str, mine: str, theirs: str) -> None:
            """The same field edited here and on the server before the next sync."""
            self.local_edit(deal, field, mine)
            self.server_edit(deal, field, theirs)

        @precondition(lambda self: len(self.created) < 3)
        @rule()
        def local_create(self) -> None:
            name = f"m{self.example}-new-{len(self.created)}"
            aloop.run(self.rig.edits.create(Entity.DEAL, {"name": name}))
            self.created.append(name)

        @precondition(lambda self: bool(self.conflicts))
        @rule(take=st.sampled_from(["mine", "theirs"]), data=st.data())
        def resolve(self, take: str, data: st.DataObject) -> None:
            key = data.draw(st.sampled_from(sorted(self.conflicts)))
            mine, _ = self.conflicts.pop(key)
            open_ = self.rig.edits.conflicts(Entity.DEAL, self.ids[key[0]])
            [conflict] = [c for c in open_ if c.field == key[1]]
            aloop.run(self.rig.edits.resolve(conflict.id, Resolution(take)))
            if take == "mine" and mine != self.known[key]:
                self.pending[key] = (self.known[key], mine)  # on top of the server's value

        @rule()
        def sync(self) -> None:
            self.puts.clear()
            report = aloop.run(self.rig.engine.sync())
            assert report.complete, report.error
            self._apply_sync_to_model()
            assert max(self.puts.values(), default=0) <= 1, f"more than one PUT: {self.puts}"

        @rule()
        def sync_with_lost_replies(self) -> None:
            sandbox.set_faults(drop_after_commit_rate=0.5, methods=["POST", "PUT"])
            try:
                aloop.run(self.rig.engine.sync())
            finally:
                sandbox.set_faults()
            report = aloop.run(self.rig.engine.sync())
            assert report.complete, report.error
            self._apply_sync_to_model()

        def _apply_sync_to_model(self) -> None:
            self.known = dict(self.server)
            for key, (base, mine) in sorted(self.pending.items()):
                theirs = self.server[key]
                if theirs == mine:
                    continue  # already there
                if theirs == base:
                    self.server[key] = mine
                else:
                    self.conflicts[key] = (mine, theirs)
            self.pending.clear()
            self.known = dict(self.server)
            self._check()

        # ------------------------------------------------------------ checks

        def _check(self) -> None:
            async def fetch() -> dict[int, Any]:
                return {
                    d.id: d.raw
                    for d in await self.other.deals.list(conditions={"deal_id": self.ids}).all()
                }

            remote = aloop.run(fetch())
            for (deal, field), value in self.server.items():
                assert remote[self.ids[deal]].get(field) == value, (deal, field)
                local = self.rig.record(Entity.DEAL, self.ids[deal]).data
                assert local.get(field) == self.shown((deal, field)), (deal, field)
            conflicts = {
                (self.ids.index(c.record_id), c.field): (c.mine, c.theirs)
                for c in self.rig.edits.conflicts(Entity.DEAL)
                if c.record_id in self.ids
            }
            assert conflicts == self.conflicts
            assert self.rig.entries() == [], "a clean sync leaves nothing queued"
            if self.created:

                async def names() -> Counter[str]:
                    found = await self.other.deals.list(
                        conditions={"deal_name": f"m{self.example}-new-"}
                    ).all()
                    return Counter(d.name for d in found)

                assert aloop.run(names()) == Counter(self.created), "each create exactly once"

        @invariant()
        def queue_matches_the_pending_model(self) -> None:
            queued = {
                (self.ids.index(e.record_id), name)
                for e in self.rig.entries()
                if e.record_id in self.ids
                for name in e.patch
            }
            assert queued == set(self.pending)

    SyncMachine.TestCase.settings = settings(
        max_examples=12,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    SyncMachine.TestCase().runTest()
