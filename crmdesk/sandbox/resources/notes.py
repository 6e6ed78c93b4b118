"""Notes (activities) and their comments: ``/notes``, ``/activities``,
``/notes/:id/comments`` (reference sections 4.4 and 4.5)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmdesk.sandbox import conditions as c
from crmdesk.sandbox.crud import (
    Resource,
    body_attributes,
    create_record,
    delete_record,
    fetch,
    resource_routes,
    run_list,
    update_record,
)
from crmdesk.sandbox.db import Row
from crmdesk.sandbox.effects import bump, note_activity, primary_of
from crmdesk.sandbox.fields import Kind, Problems, blank, fd
from crmdesk.sandbox.http import Ctx, context, empty_response, json_response, not_found
from crmdesk.sandbox.shapes import id_list, lookup_mini, ts

EMAIL_CATEGORY = "Email"

FIELDS = (
    fd("title"),
    fd("content"),
    fd("deal_id", Kind.REF, "deals"),
    fd("person_id", Kind.REF, "people"),
    fd("company_id", Kind.REF, "companies"),
    fd("user_id", Kind.REF, "users"),
    fd("note_category_id", Kind.REF, "note_categories"),
    fd("notify_user_ids", Kind.REFS, "users"),
    fd("is_private", Kind.BOOL),
)


def _defaults(ctx: Ctx) -> Row:
    return {"user_id": ctx.user_id, "is_private": False}


def _validate(ctx: Ctx, row: Row, problems: Problems) -> None:
    if blank(row.get("content")):
        problems.add("content", "can't be blank")


def _prepare(ctx: Ctx, values: Row, existing: Row | None, attrs: Row, problems: Problems) -> None:
    if "is_private" in values and values["is_private"] is None:
        values["is_private"] = False


def _after_write(ctx: Ctx, before: Row | None, after: Row) -> None:
    if before is None:
        note_activity(
            ctx, after["deal_id"], after["person_id"], after["company_id"], after["created_at"]
        )


def comment_shape(ctx: Ctx, r: Row) -> Row:
    """A comment object."""
    return {
        "id": r["id"],
        "note_id": r["note_id"],
        "user_id": r["user_id"],
        "user": ctx.state.catalog.user_mini(r["user_id"], avatar=True),
        "comment": r["comment"],
        "edited_by_user_id": r["edited_by_user_id"],
        "created_at": ts(ctx, r["created_at"]),
        "updated_at": ts(ctx, r["updated_at"]),
    }


def shape(ctx: Ctx, rows: list[Row], view: str) -> list[Row]:
    """Note objects with their associated records and comments embedded."""
    db = ctx.state.db
    catalog = ctx.state.catalog
    ids = [r["id"] for r in rows]
    comments: dict[int, list[Row]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for comment in db.rows(
            f"SELECT * FROM comments WHERE note_id IN ({','.join('?' * len(chunk))})"
            f" ORDER BY note_id, id",
            chunk,
        ):
            comments[comment["note_id"]].append(comment_shape(ctx, comment))
    deals = db.get_many("deals", [r["deal_id"] for r in rows], "id, name")
    people = db.get_many("people", [r["person_id"] for r in rows], "id, first_name, last_name")
    companies = db.get_many("companies", [r["company_id"] for r in rows], "id, name")
    out = []
    for r in rows:
        kind, primary_id = primary_of(r["deal_id"], r["person_id"], r["company_id"])
        category = catalog.lookup("note_categories", r["note_category_id"])
        item: Row = {
            "id": r["id"],
            "title": r["title"],
            "content": r["content"],
            "deal_id": r["deal_id"],
            "person_id": r["person_id"],
            "company_id": r["company_id"],
            "project_id": None,
            "primary_association_type": kind,
            "primary_association_id": primary_id,
            "deal": deals.get(r["deal_id"]),
            "person": people.get(r["person_id"]),
            "company": companies.get(r["company_id"]),
            "project": None,
            "user_id": r["user_id"],
            "user": catalog.user_mini(r["user_id"], avatar=True),
            "created_by_user_id": r["created_by_user_id"],
            "created_by_user": catalog.user_mini(r["created_by_user_id"], avatar=True),
            "note_category_id": r["note_category_id"],
            "note_category": lookup_mini(ctx, "note_categories", r["note_category_id"]),
            "notify_user_ids": id_list(r["notify_user_ids"]),
            # true/false only on Email-category activities (changelog 2018-09-21).
            "is_sent_message": bool(r["is_sent_message"])
            if category is not None and category.get("name") == EMAIL_CATEGORY
            else None,
            "is_private": bool(r["is_private"]),
            "sms_direction": None,
            "sms_contact_number": None,
            "sms_user_number": None,
            "comments": {"entries": comments[r["id"]]},
            "documents": [],
            "created_at": ts(ctx, r["created_at"]),
            "updated_at": ts(ctx, r["updated_at"]),
        }
        if view == "show":
            item["possible_notify_user_ids"] = catalog.active_user_ids()
        out.append(item)
    return out


def _on_delete(ctx: Ctx, row: Row) -> None:
    ctx.state.db.conn.execute("DELETE FROM comments WHERE note_id = ?", (row["id"],))


CONDITIONS = {
    "note_id": c.ids("id"),
    "activity_modified": c.time_range("updated_at"),
    "activity_created": c.time_range("created_at"),
    "note_modified": c.time_range("updated_at"),
    "note_created": c.time_range("created_at"),
    "note_category": c.ids("note_category_id"),
    "activity_category": c.ids("note_category_id"),
    "note_owner": c.ids("user_id"),
    "activity_owner": c.ids("user_id"),
    "note_content": c.text("content", "title"),
    "activity_content": c.text("content", "title"),
    "note_deal": c.ids("deal_id"),
    "note_person": c.ids("person_id"),
    "note_company": c.ids("company_id"),
    "note_is_private": c.flag("is_private = 1", "is_private = 0"),
}

SORTS = {
    "id": "id",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "title": "title COLLATE NOCASE",
    "user_id": "user_id",
    "note_category_id": "note_category_id",
}

RESOURCE = Resource(
    entity="note",
    table="notes",
    wrapper="note",
    fields=FIELDS,
    shape=shape,
    conditions=CONDITIONS,
    sorts=SORTS,
    associations={
        "deal_id": "deal_id = ?",
        "person_id": "person_id = ?",
        "company_id": "company_id = ?",
    },
    defaults=_defaults,
    prepare=_prepare,
    validate=_validate,
    after_write=_after_write,
    on_delete=_on_delete,
    by_user_columns=("created_by_user_id",),
)


# ---------------------------------------------------------------------- comments


def _comment_validate(ctx: Ctx, row: Row, problems: Problems) -> None:
    if blank(row.get("comment")):
        problems.add("comment", "can't be blank")


def _comment_shape(ctx: Ctx, rows: list[Row], view: str) -> list[Row]:
    return [comment_shape(ctx, r) for r in rows]


def _comment_prepare(
    ctx: Ctx, values: Row, existing: Row | None, attrs: Row, problems: Problems
) -> None:
    if existing is not None:
        values["edited_by_user_id"] = ctx.user_id


def _comment_written(ctx: Ctx, before: Row | None, after: Row) -> None:
    # EMULATION: a note's embedded comments changed, so the note counts as modified.
    bump(ctx, "notes", [after["note_id"]])


def _comment_deleted(ctx: Ctx, row: Row) -> None:
    bump(ctx, "notes", [row["note_id"]])


COMMENTS = Resource(
    entity="comment",
    table="comments",
    wrapper="comment",
    fields=(fd("comment"),),
    shape=_comment_shape,
    sorts={"id": "id", "created_at": "created_at", "updated_at": "updated_at"},
    default_sort="comments.id",
    associations={"note_id": "note_id = ?"},
    defaults=lambda ctx: {"user_id": ctx.user_id},
    prepare=_comment_prepare,
    validate=_comment_validate,
    after_write=_comment_written,
    on_delete=_comment_deleted,
    by_user_columns=(),
    tombstone=False,
)


def _note_or_404(ctx: Ctx, note_id: int) -> Row:
    return fetch(ctx, RESOURCE, note_id)


def _comment_of(ctx: Ctx, note_id: int, comment_id: int) -> Row:
    row = ctx.state.db.get("comments", comment_id)
    if row is None or row["note_id"] != note_id:
        raise not_found("Comment")
    return row


async def comments_collection(request: Request) -> Response:
    """GET/POST ``/notes/:note_id/comments`` (also under a deal/person/company)."""
    ctx = context(request)
    note_id = int(request.path_params["note_id"])
    _note_or_404(ctx, note_id)
    if request.method == "POST":
        attrs = await body_attributes(request, "comment")
        row = create_record(ctx, COMMENTS, attrs, {"note_id": note_id})
        return json_response(comment_shape(ctx, row))
    return json_response(run_list(ctx, COMMENTS, {"note_id": note_id}))


async def comments_member(request: Request) -> Response:
    """GET/PUT/DELETE ``/notes/:note_id/comments/:id``."""
    ctx = context(request)
    note_id = int(request.path_params["note_id"])
    comment_id = int(request.path_params["id"])
    _note_or_404(ctx, note_id)
    _comment_of(ctx, note_id, comment_id)
    if request.method == "GET":
        return json_response(comment_shape(ctx, fetch(ctx, COMMENTS, comment_id)))
    if request.method == "PUT":
        attrs = await body_attributes(request, "comment")
        return json_response(comment_shape(ctx, update_record(ctx, COMMENTS, comment_id, attrs)))
    delete_record(ctx, COMMENTS, comment_id)
    return empty_response()


def routes() -> list[BaseRoute]:
    """Notes, the ``/activities`` alias, and comments (also under deals/people/companies)."""
    found: list[BaseRoute] = [*resource_routes(RESOURCE), *resource_routes(RESOURCE, "activities")]
    for prefix in (
        "/notes",
        "/activities",
        "/deals/{assoc_id:int}/notes",
        "/people/{assoc_id:int}/notes",
        "/companies/{assoc_id:int}/notes",
    ):
        found.append(
            Route(
                f"{prefix}/{{note_id:int}}/comments", comments_collection, methods=["GET", "POST"]
            )
        )
        found.append(
            Route(
                f"{prefix}/{{note_id:int}}/comments/{{id:int}}",
                comments_member,
                methods=["GET", "PUT", "DELETE"],
            )
        )
    return found
