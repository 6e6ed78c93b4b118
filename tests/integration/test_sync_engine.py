"""The sync engine against the sandbox: pulls, pushes, merges, conflicts, deletions, errors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx

from crmdesk.domain.changes import ChangeCause
from crmdesk.domain.entities import Entity
from crmdesk.domain.outbox import OpState
from crmdesk.domain.sync_status import Connection, RecordSync
from crmdesk.store import Resolution
from crmdesk.sync import StopReason
from tests.integration.sync_support import OPTIONS, client_for, rig, server_find, server_record


def test_first_sync_pulls_everything_then_pulls_changes(sandbox, aloop, tmp_path: Path):
    async def scenario() -> None:
        async with rig(sandbox, tmp_path / "a.db") as r:
            report = await r.engine.sync()
            assert report.complete, report.error
            async with client_for(sandbox) as client:
                expected = {
                    e: await client.by_entity(e).list().total()
                    for e in (Entity.DEAL, Entity.PERSON, Entity.COMPANY, Entity.NOTE)
                }
            for entity, total in expected.items():
                assert len(r.ids(entity)) == total, entity
            assert report.pulled["deals"] == expected[Entity.DEAL]
            assert r.store.read().lookups.items("deal_stages"), "lookup lists come along"
            assert r.store.read().records.count(Entity.USER) >= 2
            assert r.store.read().records.count(Entity.COMMENT) > 0, "comments ride in notes"
            assert any(Entity.DEAL in c.reset for c in r.changes)
            assert r.statuses[-1].connection is Connection.IDLE
            assert r.statuses[-1].last_sync is not None

            # A change and a deletion made by the second user on the server.
            deal_id, gone_id = r.ids(Entity.DEAL)[:2]
            async with client_for(sandbox, sandbox.user_key) as other:
                await other.deals.update(deal_id, {"summary": "changed by the second user"})
                await other.deals.delete(gone_id)
            report = await r.engine.sync()
            assert report.complete, report.error
            assert r.record(Entity.DEAL, deal_id).data["summary"] == "changed by the second user"
            assert r.record(Entity.DEAL, gone_id) is None
            assert report.deleted["deals"] == 1  # (its notes and entries went with it)
            assert any(deal_id in c.ids_of(Entity.DEAL) for c in r.changes[-10:])

    aloop.run(scenario())


def test_offline_edit_is_queued_then_pushed(sandbox_factory, aloop, tmp_path: Path):
    first = sandbox_factory(db=str(tmp_path / "server.db"))
    port = int(first.base_url.split(":")[2].split("/")[0])

    async def scenario() -> None:
        async with rig(first, tmp_path / "a.db") as r:
            assert (await r.engine.sync()).complete
            deal_id = r.ids(Entity.DEAL)[0]
            first.stop()  # the server goes away
            await r.edits.update(Entity.DEAL, deal_id, {"name": "Edited offline"})
            new_id = await r.edits.create(Entity.COMPANY, {"name": "Made offline Ltd"})
            report = await r.engine.sync()
            assert report.stopped is StopReason.OFFLINE
            assert "cannot be reached" in (report.error or "")
            assert r.statuses[-1].connection is Connection.OFFLINE
            assert len(r.entries()) == 2, "nothing queued is lost"
            assert r.record(Entity.DEAL, deal_id).data["name"] == "Edited offline"

            again = sandbox_factory(db=str(tmp_path / "server.db"), port=port)
            assert again.base_url == first.base_url
            report = await r.engine.sync()
            assert report.complete, report.error
            assert report.pushed == 2
            assert r.entries() == []
            server_copy = await server_record(again, Entity.DEAL, deal_id)
            assert server_copy["name"] == "Edited offline"
            made = await server_find(again, Entity.COMPANY, company_name="Made offline Ltd")
            assert len(made) == 1
            assert r.record(Entity.COMPANY, new_id) is None, "the local id was re-mapped"
            assert r.record(Entity.COMPANY, made[0]["id"]).sync is RecordSync.SYNCED
            remaps = [c.remapped for c in r.changes if c.remapped]
            assert {new_id: made[0]["id"]} in remaps

    aloop.run(scenario())


def test_disjoint_concurrent_edits_merge(sandbox, aloop, tmp_path: Path):
    async def scenario() -> None:
        async with rig(sandbox, tmp_path / "a.db") as r:
            assert (await r.engine.sync()).complete
            deal_id = r.ids(Entity.DEAL)[0]
            await r.edits.update(Entity.DEAL, deal_id, {"name": "Mine"})
            async with client_for(sandbox, sandbox.user_key) as other:
                await other.deals.update(deal_id, {"summary": "Theirs"})
            report = await r.engine.sync()
            assert report.complete, report.error
            assert report.conflicts == 0
            server_copy = await server_record(sandbox, Entity.DEAL, deal_id)
            assert (server_copy["name"], server_copy["summary"]) == ("Mine", "Theirs")
            local = r.record(Entity.DEAL, deal_id)
            assert (local.data["name"], local.data["summary"]) == ("Mine", "Theirs")
            assert local.sync is RecordSync.SYNCED

    aloop.run(scenario())


def test_same_field_conflict_is_recorded_and_resolved_both_ways(sandbox, aloop, tmp_path: Path):
    async def scenario() -> None:
        async with rig(sandbox, tmp_path / "a.db") as r:
            assert (await r.engine.sync()).complete
            keep_mine, take_theirs = r.ids(Entity.DEAL)[:2]
            for deal_id in (keep_mine, take_theirs):
                await r.edits.update(
                    Entity.DEAL, deal_id, {"name": f"Mine {deal_id}", "summary": "also mine"}
                )
            async with client_for(sandbox, sandbox.user_key) as other:
                for deal_id in (keep_mine, take_theirs):
                    await other.deals.update(deal_id, {"name": f"Theirs {deal_id}"})
            report = await r.engine.sync()
            assert report.complete, report.error
            assert report.conflicts == 2
            conflicts = r.edits.conflicts()
            assert {(c.record_id, c.field, c.mine, c.theirs) for c in conflicts} == {
                (d, "name", f"Mine {d}", f"Theirs {d}") for d in (keep_mine, take_theirs)
            }
            for deal_id in (keep_mine, take_theirs):
                server_copy = await server_record(sandbox, Entity.DEAL, deal_id)
                assert server_copy["name"] == f"Theirs {deal_id}", "nothing sent for a conflict"
                assert server_copy["summary"] == "also mine", "the other field went out"
                local = r.record(Entity.DEAL, deal_id)
                assert local.sync is RecordSync.CONFLICT
                assert local.data["name"] == f"Mine {deal_id}", "mine stays visible"
            assert any(c.cause is ChangeCause.CONFLICT for c in r.changes)
            assert r.statuses[-1].conflicts == 2

            by_record = {c.record_id: c for c in conflicts}
            await r.edits.resolve(by_record[keep_mine].id, Resolution.MINE)
            await r.edits.resolve(by_record[take_theirs].id, "theirs")
            report = await r.engine.sync()
            assert report.complete, report.error
            assert report.conflicts == 0
            assert (await server_record(sandbox, Entity.DEAL, keep_mine))["name"] == (
                f"Mine {keep_mine}"
            )
            assert (await server_record(sandbox, Entity.DEAL, take_theirs))["name"] == (
                f"Theirs {take_theirs}"
            )
            assert r.record(Entity.DEAL, take_theirs).data["name"] == f"Theirs {take_theirs}"
            assert r.record(Entity.DEAL, keep_mine).sync is RecordSync.SYNCED
            lost = {(h.record_id, h.value) for h in r.edits.history(Entity.DEAL)}
            assert (keep_mine, f"Theirs {keep_mine}") in lost
            assert (take_theirs, f"Mine {take_theirs}") in lost
            assert r.edits.conflicts() == []

    aloop.run(scenario())


def test_remote_delete_of_a_locally_edited_record(sandbox_factory, aloop, tmp_path: Path):
    async def scenario(sandbox, name: str) -> None:
        async with rig(sandbox, tmp_path / f"{name}.db") as r:
            assert (await r.engine.sync()).complete
            deal_id = r.ids(Entity.DEAL)[0]
            await r.edits.update(Entity.DEAL, deal_id, {"summary": "my careful notes"})
            async with client_for(sandbox, sandbox.user_key) as other:
                await other.deals.delete(deal_id)
            report = await r.engine.sync()
            assert report.complete, report.error
            assert report.deleted_on_server == 1
            local = r.record(Entity.DEAL, deal_id)
            assert local.sync is RecordSync.DELETED_ON_SERVER
            assert local.data["summary"] == "my careful notes", "nothing typed is lost"
            [entry] = r.entries()
            assert entry.state is OpState.DELETED_ON_SERVER

            new_id = await r.edits.recreate(Entity.DEAL, deal_id)
            report = await r.engine.sync()
            assert report.complete, report.error
            [made] = [c.remapped[new_id] for c in r.changes if new_id in c.remapped]
            copy = await server_record(sandbox, Entity.DEAL, made)
            assert copy["summary"] == "my careful notes"
            assert r.entries() == []

    # With the deleted-records endpoint the pull finds it; without, the PUT's 404 does.
    aloop.run(scenario(sandbox_factory(), "endpoint"))
    aloop.run(scenario(sandbox_factory(deleted_endpoint=False), "no-endpoint"))


def test_422_needs_attention_with_field_errors_and_the_rest_goes_on(sandbox, aloop, tmp_path: Path):
    async def scenario() -> None:
        async with rig(sandbox, tmp_path / "a.db") as r:
            assert (await r.engine.sync()).complete
            bad, good = r.ids(Entity.DEAL)[:2]
            await r.edits.update(Entity.DEAL, bad, {"deal_stage_id": 987654})
            await r.edits.update(Entity.DEAL, good, {"name": "Fine"})
            report = await r.engine.sync()
            assert report.complete, report.error
            assert (report.needs_attention, report.pushed) == (1, 1)
            [entry] = r.entries()
            assert entry.state is OpState.NEEDS_ATTENTION
            assert entry.field_errors
            assert entry.field_errors[0].field == "deal_stage_id"
            assert "refused" in (entry.last_error or "")
            assert r.record(Entity.DEAL, bad).sync is RecordSync.NEEDS_ATTENTION
            assert (await server_record(sandbox, Entity.DEAL, good))["name"] == "Fine"

            original = r.record(Entity.DEAL, bad).server["deal_stage_id"]
            stage = next(
                s.id for s in r.store.read().lookups.items("deal_stages") if s.id != original
            )
            await r.edits.update(Entity.DEAL, bad, {"deal_stage_id": stage})
            report = await r.engine.sync()
            assert report.complete
            assert report.pushed == 1
            assert (await server_record(sandbox, Entity.DEAL, bad))["deal_stage_id"] == stage
            assert r.entries() == []

    aloop.run(scenario())


def test_401_pauses_the_queue_until_a_good_key(sandbox, aloop, tmp_path: Path):
    async def scenario() -> None:
        async with rig(sandbox, tmp_path / "a.db") as r:
            assert (await r.engine.sync()).complete
            deal_id = r.ids(Entity.DEAL)[0]
            await r.edits.update(Entity.DEAL, deal_id, {"name": "Waits for a key"})
            revoked = client_for(sandbox, "revoked-key-0000")
            revoked.open()
            await r.engine.swap_client(revoked)
            report = await r.engine.sync()
            assert report.stopped is StopReason.PAUSED
            assert "API key" in (report.error or "")
            assert r.engine.status.connection is Connection.PAUSED
            [entry] = r.entries()
            assert entry.state is OpState.PENDING, "nothing dropped or parked"

            good = client_for(sandbox)
            good.open()
            await r.engine.swap_client(good)
            await revoked.aclose()
            report = await r.engine.sync()
            assert report.complete
            assert report.pushed == 1
            assert (await server_record(sandbox, Entity.DEAL, deal_id))["name"] == "Waits for a key"
            assert r.engine.status.connection is Connection.IDLE

    aloop.run(scenario())


def test_create_whose_reply_is_lost_is_not_duplicated(sandbox, aloop, tmp_path: Path):
    async def scenario() -> None:
        async with rig(sandbox, tmp_path / "a.db") as r:
            assert (await r.engine.sync()).complete
            await r.edits.create(Entity.DEAL, {"name": "Lost reply deal", "value": "1200"})
            await r.edits.create(Entity.PERSON, {"first_name": "Lost", "last_name": "Reply"})
            sandbox.set_faults(drop_after_commit_rate=1.0, methods=["POST"])
            report = await r.engine.sync()
            sandbox.set_faults()
            assert report.complete, report.error
            assert report.adopted == 2
            assert r.entries() == []
            assert len(await server_find(sandbox, Entity.DEAL, deal_name="Lost reply deal")) == 1
            people = await server_find(sandbox, Entity.PERSON, person_last_name="Reply")
            assert len(people) == 1
            assert r.record(Entity.PERSON, people[0]["id"]).sync is RecordSync.SYNCED

            # A note and a comment: found by their parent and text.
            deal_id = r.ids(Entity.DEAL)[0]
            note_id = r.ids(Entity.NOTE)[0]
            await r.edits.create(Entity.NOTE, {"content": "lost note", "deal_id": deal_id})
            await r.edits.create(Entity.COMMENT, {"comment": "lost comment"}, parent_id=note_id)
            sandbox.set_faults(drop_after_commit_rate=1.0, methods=["POST"])
            report = await r.engine.sync()
            sandbox.set_faults()
            assert (report.adopted, report.pushed) == (2, 2)
            async with client_for(sandbox) as client:
                notes = await client.deals.notes(deal_id).all()
                comments = await client.comments.list(note_id).all()
            assert [n.content for n in notes].count("lost note") == 1
            assert [c.comment for c in comments].count("lost comment") == 1

            # Dropped before the server handled it: the lookup finds nothing; sent again.
            await r.edits.create(Entity.COMPANY, {"name": "Never arrived Inc"})
            sandbox.set_faults(drop_rate=1.0, methods=["POST"])
            report = await r.engine.sync()
            sandbox.set_faults()
            assert report.adopted == 0
            assert len(r.entries()) == 1, "not confirmed, not lost"
            report = await r.engine.sync()
            assert report.complete
            assert report.pushed == 1
            made = await server_find(sandbox, Entity.COMPANY, company_name="Never arrived Inc")
            assert len(made) == 1

    aloop.run(scenario())


def test_children_created_under_an_offline_parent(sandbox, aloop, tmp_path: Path):
    async def scenario() -> None:
        async with rig(sandbox, tmp_path / "a.db") as r:
            assert (await r.engine.sync()).complete
            deal = await r.edits.create(Entity.DEAL, {"name": "Parent made offline"})
            note = await r.edits.create(Entity.NOTE, {"content": "child note", "deal_id": deal})
            comment = await r.edits.create(
                Entity.COMMENT, {"comment": "grandchild"}, parent_id=note
            )
            counts = r.edits.counts()
            assert counts.waiting_for_parent == 2
            report = await r.engine.sync()
            assert report.complete, report.error
            assert report.pushed == 3
            remapped: dict[int, int] = {}
            for c in r.changes:
                remapped.update(c.remapped)
            deal_id, note_id, comment_id = remapped[deal], remapped[note], remapped[comment]
            server_note = await server_record(sandbox, Entity.NOTE, note_id)
            assert server_note["deal_id"] == deal_id
            assert [c["comment"] for c in server_note["comments"]["entries"]] == ["grandchild"]
            assert r.record(Entity.NOTE, note_id).data["deal_id"] == deal_id
            assert r.record(Entity.COMMENT, comment_id).data["note_id"] == note_id
            assert r.entries() == []

    aloop.run(scenario())


def test_an_interrupted_first_sync_resumes_where_it_stopped(sandbox_factory, aloop, tmp_path):
    sandbox = sandbox_factory(deals=2600, people=20, companies=10, notes=20)

    async def scenario() -> None:
        options = replace(OPTIONS, status_every=0.0)
        async with rig(sandbox, tmp_path / "a.db", options=options) as r:

            def cut(status) -> None:  # the network fails part way through the deals
                if "deals" in status.phase and (status.progress or 0) > 0.3:
                    sandbox.set_faults(drop_rate=1.0, path_prefix="/deals")

            unsubscribe = r.bus.subscribe_status(cut)
            report = await r.engine.sync()
            unsubscribe()
            sandbox.set_faults()
            assert report.stopped is StopReason.OFFLINE
            stored = r.store.read().records.count(Entity.DEAL)
            assert 0 < stored < 2600
            assert any(s.progress and 0 < s.progress < 1 for s in r.statuses)

            report = await r.engine.sync()
            assert report.complete, report.error
            assert len(r.ids(Entity.DEAL)) == 2600
            assert report.pulled["deals"] <= 2600 - stored + 4 * 200, "resumed, not restarted"
            # A bulk load: the sort and search indexes are back once it is done.
            query = (
                r.store.read()
                .conn.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deals'"
                )
                .fetchone()[0]
            )
            assert query > 5
            name = r.record(Entity.DEAL, r.ids(Entity.DEAL)[-1]).data["name"]
            assert r.store.read().search.ids(Entity.DEAL, name.split()[0])

    aloop.run(scenario(), timeout=120)


def test_a_long_push_pulls_again_before_an_update_goes_out(sandbox, aloop, tmp_path):
    """A server edit made while the push runs is seen by the refresh pull, so it becomes a
    conflict instead of being overwritten (the window left is pull-to-PUT only)."""

    async def scenario(refresh_every: float) -> tuple[str, int]:
        options = replace(OPTIONS, refresh_every=refresh_every, refresh_overlap=OPTIONS.overlap)
        async with rig(sandbox, tmp_path / f"r{refresh_every}.db", options=options) as r:
            assert (await r.engine.sync()).complete
            first, second = r.ids(Entity.DEAL)[-2:]
            await r.edits.update(Entity.DEAL, first, {"summary": f"push {refresh_every}"})
            await r.edits.update(Entity.DEAL, second, {"name": f"Mine {refresh_every}"})

            def meanwhile(exchange) -> None:  # the second user edits while we push
                if exchange.method == "PUT" and exchange.path == f"deals/{first}":
                    body = {"deal": {"name": f"Theirs {refresh_every}"}}
                    other.put(f"deals/{second}", json=body).raise_for_status()

            r.client.set_observer(meanwhile)
            report = await r.engine.sync(pull=False)
            assert report.complete, report.error
            return (await server_record(sandbox, Entity.DEAL, second))["name"], report.conflicts

    other = httpx.Client(base_url=sandbox.base_url, params={"api_key": sandbox.user_key})
    assert aloop.run(scenario(0.0)) == ("Theirs 0.0", 1), "seen in time: a conflict"
    # Without the refresh the stale copy decides: their edit is overwritten (the window
    # the API leaves open, kept short by refresh_every in real runs).
    assert aloop.run(scenario(3600.0)) == ("Mine 3600.0", 0)
    other.close()


def test_a_deletion_during_the_first_listing_costs_no_record(sandbox_factory, aloop, tmp_path):
    """Deleting a record on an early page moves a later record onto a page already fetched;
    the first sync notices the changed total and the next run sweeps the ids back."""
    sandbox = sandbox_factory(deals=600, people=5, companies=5, notes=5)
    other = httpx.Client(base_url=sandbox.base_url, params={"api_key": sandbox.user_key})

    async def scenario() -> None:
        options = replace(OPTIONS, status_every=0.0, page_concurrency=1)
        async with rig(sandbox, tmp_path / "a.db", options=options) as r:
            deleted: list[int] = []

            def delete_one(status) -> None:
                if not deleted and "deals (200 of" in status.phase:
                    victim = min(r.ids(Entity.DEAL))  # on page 1, already stored
                    other.delete(f"deals/{victim}").raise_for_status()
                    deleted.append(victim)

            r.bus.subscribe_status(delete_one)
            assert (await r.engine.sync()).complete
            assert deleted
            async with client_for(sandbox) as client:
                live = {d.id for d in await client.deals.list().all()}
            local = set(r.ids(Entity.DEAL))
            assert len(live - local) == 1, "one record slid onto a page already fetched"
            assert local - live == {deleted[0]}, "deletions are checked from the next run on"
            report = await r.engine.sync()
            assert report.complete, report.error
            assert set(r.ids(Entity.DEAL)) == live

    aloop.run(scenario())
    other.close()


def test_replies_cut_short_lose_nothing_and_duplicate_nothing(sandbox, aloop, tmp_path: Path):
    async def scenario() -> None:
        async with rig(sandbox, tmp_path / "a.db") as r:
            assert (await r.engine.sync()).complete
            deal_id = r.ids(Entity.DEAL)[0]
            await r.edits.create(Entity.DEAL, {"name": "Cut reply deal", "value": "700"})
            await r.edits.update(Entity.DEAL, deal_id, {"summary": "sent through a bad proxy"})
            sandbox.set_faults(truncate_rate=1.0, methods=["POST", "PUT"])
            report = await r.engine.sync()
            sandbox.set_faults()
            # The create landed once and was adopted; the update stays queued until a
            # readable reply confirms it - nothing is lost either way.
            found = await server_find(sandbox, Entity.DEAL, deal_name="Cut reply deal")
            assert len(found) == 1
            assert (await server_record(sandbox, Entity.DEAL, deal_id))["summary"] == (
                "sent through a bad proxy"
            )
            assert r.record(Entity.DEAL, found[0]["id"]).sync is RecordSync.SYNCED, report
            (left,) = r.entries()
            assert (left.record_id, left.state) == (deal_id, OpState.PENDING)
            assert "could not be read" in (left.last_error or "")
            assert "sandbox-" not in (left.last_error or "")  # no key in what the UI shows
            # It waits for its backoff; "retry now" makes it due, and the resend (a PUT is
            # idempotent) is confirmed.
            await r.store.write(lambda s: s.outbox.requeue(left.op_id))
            report = await r.engine.sync()
            assert report.complete, report.error
            assert r.entries() == []
            assert len(await server_find(sandbox, Entity.DEAL, deal_name="Cut reply deal")) == 1
            assert r.record(Entity.DEAL, deal_id).data["summary"] == "sent through a bad proxy"

            # A pull whose page is cut short fails in words and changes nothing locally.
            sandbox.set_faults(truncate_rate=1.0, methods=["GET"])
            report = await r.engine.sync()
            sandbox.set_faults()
            assert not report.complete
            assert "not valid JSON" in (report.error or "")
            assert r.record(Entity.DEAL, deal_id).data["summary"] == "sent through a bad proxy"

    aloop.run(scenario())
