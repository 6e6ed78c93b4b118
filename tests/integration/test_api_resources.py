"""Every resource of the API client against the sandbox over loopback HTTP."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from crmdesk.api import ForbiddenError, NotFoundError, PipelineClient, Range
from crmdesk.domain.entities import Entity
from crmdesk.domain.records import Company, Deal, LookupItem, Note, Person


def client_for(sb: Any, key: str | None = None, **options: Any) -> PipelineClient:
    options.setdefault("rate_limit", None)
    return PipelineClient(sb.base_url, key or sb.admin_key, **options)


def test_deals_crud_conditions_sort_and_custom_fields(sandbox, aloop):
    async def scenario() -> None:
        async with client_for(sandbox) as client:
            labels = await client.custom_fields.load_types()
            currency = next(
                lb for lb in labels if lb.entity == "deal" and lb.field_type == "currency"
            )
            multi = next(
                lb for lb in labels if lb.entity == "deal" and lb.field_type == "multi_select"
            )
            key_c, key_m = f"custom_label_{currency.id}", f"custom_label_{multi.id}"

            deals = await client.deals.list(sort="deals.id").all()
            assert len(deals) == 12
            assert [d.id for d in deals] == sorted(d.id for d in deals)
            assert all(isinstance(d, Deal) and d.raw["id"] == d.id for d in deals)
            some = deals[0]

            stage = some.deal_stage_id
            staged = await client.deals.list(conditions={"deal_stage": [stage]}).all()
            assert staged
            assert all(d.deal_stage_id == stage for d in staged)
            cheap = await client.deals.list(conditions={"deal_value": Range(None, 5000)}).all()
            assert all(d.value is not None and d.value <= 5000 for d in cheap)
            assert len(cheap) < len(deals)

            created = await client.deals.create(
                {
                    "name": "API client deal",
                    "value": "1234.50",
                    "deal_stage_id": stage,
                    key_c: "99.95",
                    key_m: [multi.dropdown_entries[0].id],
                }
            )
            assert created.name == "API client deal"
            assert created.value == Decimal("1234.50")
            assert created.custom_fields[key_c] == Decimal("99.95")
            assert created.custom_fields[key_m] == (multi.dropdown_entries[0].id,)

            updated = await client.deals.update(created.id, {"name": "Renamed", key_c: None})
            assert updated.name == "Renamed"
            assert updated.custom_fields[key_c] is None
            assert updated.value == Decimal("1234.50")  # untouched fields stay
            fetched = await client.deals.get(created.id)
            # a GET omits the currency's id that create/update replies carry (as recorded)
            assert replace(fetched, currency=updated.currency) == updated

            await client.deals.delete(created.id)
            with pytest.raises(NotFoundError):
                await client.deals.get(created.id)
            gone = await client.deals.deleted.since("2000-01-01 00:00:00").all()
            assert created.id in gone

            with pytest.raises(ValueError, match="at least one"):
                await client.deals.update(some.id, {})

    aloop.run(scenario())


def test_people_companies_and_sub_collections(sandbox, aloop):
    async def scenario() -> None:
        async with client_for(sandbox) as client:
            company = await client.companies.create({"name": "Sub Co", "city": "Oslo"})
            assert isinstance(company, Company)
            assert company.city == "Oslo"
            person = await client.people.create(
                {"first_name": "Ada", "last_name": "Byron", "company_id": company.id}
            )
            assert isinstance(person, Person)
            assert (person.full_name, person.company_id) == ("Ada Byron", company.id)
            deal = await client.deals.create(
                {"name": "Sub deal", "company_id": company.id, "person_ids": [person.id]}
            )
            note = await client.notes.create({"content": "hello", "deal_id": deal.id})
            assert isinstance(note, Note)
            assert note.deal_id == deal.id

            assert [d.id for d in await client.companies.deals(company.id).all()] == [deal.id]
            assert [p.id for p in await client.companies.people(company.id).all()] == [person.id]
            assert [p.id for p in await client.deals.people(deal.id).all()] == [person.id]
            assert [d.id for d in await client.people.deals(person.id).all()] == [deal.id]
            assert [n.id for n in await client.deals.notes(deal.id).all()] == [note.id]
            company_note = await client.notes.create({"content": "c", "company_id": company.id})
            assert [n.id for n in await client.companies.notes(company.id).all()] == [
                company_note.id
            ]
            person_note = await client.notes.create({"content": "p", "person_id": person.id})
            assert [n.id for n in await client.people.notes(person.id).all()] == [person_note.id]
            assert [n.id for n in await client.notes.list(deal_id=deal.id).all()] == [note.id]

            person = await client.people.update(person.id, {"position": "Engineer"})
            company = await client.companies.update(
                company.id,
                {"owner_id": person.user_id},
                params={"deliver_reassignment_email": False},
            )
            assert (await client.people.get(person.id)).position == "Engineer"
            for resource, record_id in (
                (client.notes, note.id),
                (client.notes, person_note.id),
                (client.notes, company_note.id),
                (client.deals, deal.id),
                (client.people, person.id),
                (client.companies, company.id),
            ):
                await resource.delete(record_id)
            assert person.id in await client.people.deleted.since("2000-01-01").all()
            assert company.id in await client.companies.deleted.since("2000-01-01").all()
            assert note.id in await client.notes.deleted.since("2000-01-01").all()

    aloop.run(scenario())


def test_comments_on_a_note(sandbox, aloop):
    async def scenario() -> None:
        async with client_for(sandbox) as client:
            note = (await client.notes.list().first_page()).entries[0]
            before = await client.comments.list(note.id).all()
            comment = await client.comments.create(note.id, {"comment": "first!"})
            assert (comment.note_id, comment.comment) == (note.id, "first!")
            edited = await client.comments.update(note.id, comment.id, {"comment": "edited"})
            assert edited.comment == "edited"
            after = await client.comments.list(note.id).all()
            assert [c.id for c in after] == [c.id for c in before] + [comment.id]
            await client.comments.delete(note.id, comment.id)
            assert [c.id for c in await client.comments.list(note.id).all()] == [
                c.id for c in before
            ]

    aloop.run(scenario())


def test_modified_since_is_read_in_the_users_zone(sandbox, aloop):
    async def scenario() -> None:
        async with client_for(sandbox) as client:
            zone = await client.time_zone()
            assert zone  # the sandbox's admin has a zone, so this is a real test of it
            before = datetime.now(UTC) - timedelta(seconds=2)
            deal = await client.deals.create({"name": "fresh"})
            recent = await client.deals.list(
                conditions=await client.modified_since(Entity.DEAL, before)
            ).all()
            assert [d.id for d in recent] == [deal.id]
            later = await client.deals.list(
                conditions=await client.modified_since(
                    Entity.DEAL, datetime.now(UTC) + timedelta(minutes=5)
                )
            ).all()
            assert later == []

    aloop.run(scenario())


def test_users_profile_account_searches_notifications(sandbox, aloop):
    async def scenario() -> None:
        async with client_for(sandbox) as client:
            profile = await client.profile.get()
            assert profile.user.is_account_admin
            assert profile.account_id
            users = await client.users.list().all()
            assert profile.user.id in [u.id for u in users]
            assert (await client.users.get(profile.user.id)).id == profile.user.id
            admins = await client.admin.users.list(conditions={"including_inactive": True}).all()
            assert len(admins) >= len(users)
            account = await client.account.get()
            assert account.id == profile.account_id
            assert account.lookups["deal_stages"]
            assert account.custom_field_labels
            searches = await client.searches.list().all()
            assert {s.search_type for s in searches} >= {"deals", "people", "companies"}
            assert (await client.searches.get(searches[0].id)).query == searches[0].query
            assert not hasattr(client.users, "create")  # read-only: changes go via admin
            notification = await client.account_notifications.create_text("<b>Hi</b>")
            assert notification.text == "<b>Hi</b>"
            assert not notification.seen
            read = await client.account_notifications.update(
                notification.id, {"seen": True, "read_at": "2026-08-05 10:00:00"}
            )
            assert read.seen
            assert read.read_at is not None
            listed = await client.account_notifications.list().all()
            assert notification.id in [n.id for n in listed]
            assert (await client.account_notifications.get(notification.id)).seen

    aloop.run(scenario())


def test_saved_search_runs_through_search_id(sandbox, aloop):
    async def scenario() -> None:
        async with client_for(sandbox) as client:
            searches = await client.searches.list().all()
            notes_search = next((s for s in searches if s.search_type == "activities"), None)
            deal_search = next(s for s in searches if s.search_type == "deals")
            found = await client.deals.list(search_id=deal_search.id).all()
            everything = await client.deals.list().all()
            assert {d.id for d in found} <= {d.id for d in everything}
            if notes_search is not None:
                await client.notes.list(search_id=notes_search.id).all()

    aloop.run(scenario())


def test_every_admin_lookup_list_and_custom_field_tables(sandbox, aloop):
    async def scenario() -> None:
        async with client_for(sandbox) as client:
            for kind, resource in client.admin.lists.items():
                rows = await resource.list().all()
                assert all(isinstance(r, LookupItem) and r.kind == kind for r in rows), kind
            stages = await client.admin.deal_stages.list().all()
            assert {s.name for s in stages} >= {"Won", "Lost"}
            assert all(s.percent is not None for s in stages)
            for entity in (Entity.DEAL, Entity.PERSON, Entity.COMPANY):
                labels = await client.custom_fields.labels[entity].list().all()
                assert labels
                assert all(lb.entity == entity.value for lb in labels)
                await client.custom_fields.groups[entity].list().all()
            dropdown = next(
                lb for lb in await client.custom_fields.all_labels() if lb.field_type == "dropdown"
            )
            entries = await client.custom_fields.dropdown_entries.of_label(dropdown.id).all()
            assert [e.id for e in entries] == [e.id for e in dropdown.dropdown_entries]
            assert all(e.parent_id == dropdown.id for e in entries)

            tag = await client.admin.deal_tags.create({"name": "From the client"})
            renamed = await client.admin.deal_tags.update(tag.id, {"name": "Renamed tag"})
            assert (await client.admin.deal_tags.get(tag.id)).name == renamed.name == "Renamed tag"
            await client.admin.deal_tags.delete(tag.id)
            with pytest.raises(NotFoundError):
                await client.admin.deal_tags.get(tag.id)
            with pytest.raises(AttributeError, match="no admin list"):
                _ = client.admin.no_such_list

        async with client_for(sandbox, sandbox.user_key) as basic:
            assert await basic.admin.lead_sources.list().all()
            with pytest.raises(ForbiddenError):
                await basic.admin.lead_sources.create({"name": "Not allowed"})

    aloop.run(scenario())


def test_the_client_runs_on_the_qasync_loop(sandbox, qloop):
    async def scenario() -> int:
        async with client_for(sandbox) as client:
            return len(await client.deals.list().all())

    assert qloop.run(scenario()) == 12
