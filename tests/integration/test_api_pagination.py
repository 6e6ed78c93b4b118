"""Pagination against the sandbox: pages in order, concurrent prefetch within a bound,
lists that grow during a pull, early stops that leave nothing running."""

from __future__ import annotations

import contextlib
from typing import Any

from crmdesk.api import Exchange, PipelineClient


def client_for(sb: Any, **options: Any) -> PipelineClient:
    options.setdefault("rate_limit", None)
    return PipelineClient(sb.base_url, sb.admin_key, **options)


def max_overlap(exchanges: list[Exchange]) -> int:
    events = sorted(
        [(e.sent_at, 1) for e in exchanges] + [(e.replied_at, -1) for e in exchanges],
        key=lambda item: (item[0], item[1]),
    )
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


def test_pages_come_in_order_and_entries_exactly_once(sandbox_factory, aloop):
    sb = sandbox_factory(deals=450)

    async def scenario() -> None:
        async with client_for(sb) as client:
            listing = client.deals.list(sort="deals.id", per_page=50)
            assert await listing.total() == 450
            pages = [page async for page in listing.pages()]
            assert [p.page for p in pages] == list(range(1, 10))
            assert all(p.pages == 9 and p.total == 450 for p in pages)
            assert pages[-1].is_last
            assert not pages[0].is_last
            ids = [d.id for p in pages for d in p.entries]
            assert ids == sorted(ids)
            assert len(set(ids)) == 450
            assert [d.id async for d in listing] == ids
            assert [i async for i in client.deals.ids(per_page=100)] == ids  # sweep by id
            beyond = await listing.page(12)
            assert (beyond.entries, beyond.total) == ((), 450)

    aloop.run(scenario())


def test_later_pages_are_fetched_concurrently_within_the_bound(sandbox_factory, aloop):
    sb = sandbox_factory(deals=450)
    sb.set_faults(latency_ms=60)

    async def scenario() -> int:
        seen: list[Exchange] = []
        async with client_for(sb, observer=seen.append) as client:
            listing = client.deals.list(per_page=50, concurrency=3)
            assert len(await listing.all()) == 450
        assert len(seen) == 9
        return max_overlap(seen[1:])

    assert aloop.run(scenario()) == 3


def test_a_list_that_grows_during_the_pull_is_read_to_its_new_end(sandbox_factory, aloop):
    sb = sandbox_factory(deals=100)

    async def scenario() -> None:
        async with client_for(sb) as client, client_for(sb) as other:
            ids: list[int] = []
            async for page in client.deals.list(
                sort="deals.id", per_page=40, concurrency=1
            ).pages():
                ids.extend(d.id for d in page.entries)
                if page.page == 1:
                    assert page.pages == 3
                    for n in range(30):
                        await other.deals.create({"name": f"late {n}"})
            assert len(ids) == 130
            assert len(set(ids)) == 130

    aloop.run(scenario())


def test_stopping_early_cancels_prefetched_pages(sandbox_factory, aloop):
    sb = sandbox_factory(deals=450)
    sb.set_faults(latency_ms=30)

    async def scenario() -> int:
        async with client_for(sb) as client:
            pages = client.deals.list(per_page=50, concurrency=4).pages()
            async with contextlib.aclosing(pages):
                async for page in pages:
                    if page.page == 2:
                        break
            return client.stats.requests

    # page 1, then pages 2-5 in flight at most; the aloop fixture fails on leftover tasks
    assert aloop.run(scenario()) <= 5


def test_lists_without_pagination_and_id_lists(sandbox, aloop):
    async def scenario() -> None:
        async with client_for(sandbox) as client:
            lines = await client.admin.product_lines.list().first_page()
            assert lines.pages == 1
            assert len(lines.entries) == lines.total
            hooks = await client.admin.webhooks.list().all()
            assert isinstance(hooks, list)
            deal = await client.deals.create({"name": "to delete"})
            await client.deals.delete(deal.id)
            page = await client.deals.deleted.since("2000-01-01").first_page()
            assert deal.id in page.entries
            assert all(isinstance(i, int) for i in page.entries)

    aloop.run(scenario())
