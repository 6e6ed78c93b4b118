"""The account, its users and every lookup table, with the real defaults of reference
section 7 (a 2026 new-account seed), plus custom fields of every type, saved searches of
every type, notifications and a webhook."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from typing import Any

from crmdesk.sandbox.db import Database
from crmdesk.sandbox.options import SandboxOptions

DAY = 86_400


@dataclass(slots=True)
class Seeded:
    """Ids of what the account seed created, for the record generator."""

    admin_id: int = 0
    user_id: int = 0
    user_ids: list[int] = field(default_factory=list)  # active users
    ids: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> name -> id
    labels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # entity -> labels
    entries: dict[int, list[int]] = field(default_factory=dict)  # label id -> entry ids

    def of(self, kind: str) -> list[int]:
        """Ids of a lookup kind, in insertion order."""
        return list(self.ids.get(kind, {}).values())


USERS = (
    # first, last, email, level, admin, time zone
    ("Dana", "Whitfield", "dana@sandbox-outfitters.example", 3, True, "America/New_York"),
    ("Marcus", "Lee", "marcus@sandbox-outfitters.example", 1, False, "America/Los_Angeles"),
    ("Priya", "Raman", "priya@sandbox-outfitters.example", 2, False, "Europe/London"),
    ("Tomás", "Okafor", "tomas@sandbox-outfitters.example", 1, False, "America/Chicago"),
    ("Hannah", "Becker", "hannah@sandbox-outfitters.example", 1, False, "Australia/Sydney"),
)
INACTIVE_USER = ("Gary", "Fisher", "gary@sandbox-outfitters.example", 1, False, "America/Denver")

STAGES = (
    ("Lost", 0),
    ("Qualified", 10),
    ("Request for Info", 25),
    ("Presentation", 50),
    ("Negotiation", 75),
    ("Won", 100),
)
STATUSES = ((1, "Red", "#d9534f"), (2, "Yellow", "#f0ad4e"), (3, "Green", "#5cb85c"))
LOSS_REASONS = ("Competitor", "Doesn't meet needs", "Price")
WON_REASONS = (
    "Budget / Price",
    "Competitor failed",
    "Delivery",
    "Product capability",
    "Product offering",
    "Relationship",
    "Service offering",
    "Software solution",
    "Timeline / Availability",
)
LEAD_SOURCES = ("Cold Call", "Import", "None", "Referral", "Trade Show", "Website")
LEAD_STATUSES = (
    ("Archived", "#999999"),
    ("Cold", "#5bc0de"),
    ("Follow-up", "#f0ad4e"),
    ("Hot", "#d9534f"),
    ("Warm", "#ffcc00"),
)
NOTE_CATEGORIES = ("Appointment", "Cold Call", "Concerns", "Phone Call", "Voicemail")
SYSTEM_NOTE_CATEGORIES = (
    "Deal",
    "CalendarEvent",
    "CalendarTask",
    "Email",
    "Trackable Email Action",
    "Customer",
    "Company",
    "Person",
)
EVENT_CATEGORIES = ("Appointment", "Call", "Email", "To-do")
ENTRY_STATUSES = (
    ("To-Do", "todo", "#5bc0de"),
    ("In Progress", "custom", "#f0ad4e"),
    ("Done", "done", "#5cb85c"),
)
PRIORITIES = (("High", "#d9534f"), ("Medium", "#f0ad4e"), ("Low", "#5cb85c"))
REVENUE_TYPES = (
    "New",
    "Expansion",
    "Recurring",
    "Project",
    "Service",
    "Fee",
    "Commission",
    "Other",
)
PEOPLE_TAGS = ("Decision Maker", "Do Not Contact", "Existing Customer", "Partner", "Vendor", "VIP")
DOCUMENT_TAGS = ("Collateral", "Contract", "Proposal", "Quote")
PRODUCT_LINES = ("Product Line 1", "Product Line 2", "Service 1", "Service 2")
DEAL_TAGS = ("Renewal", "Upsell", "Strategic", "Referral partner")
COMPANY_TAGS = ("Enterprise", "SMB", "Partner", "Reseller")

#: (entity, name, field_type, dropdown entries)
CUSTOM_LABELS = (
    ("deal", "Contract Terms", "text", ()),
    ("deal", "Requires Legal Review", "boolean", ()),
    ("deal", "Setup Fee", "currency", ()),
    ("deal", "Go-Live Date", "date", ()),
    ("deal", "Region", "dropdown", ("Northeast", "Southeast", "Midwest", "West", "International")),
    ("deal", "Seats", "numeric", ()),
    ("deal", "Modules", "multi_select", ("Core", "Reporting", "Inventory", "Payroll", "API")),
    ("person", "Birthday", "date", ()),
    ("person", "Preferred Contact", "dropdown", ("Email", "Phone", "Text")),
    ("person", "Newsletter", "boolean", ()),
    ("person", "Interests", "multi_select", ("Events", "Webinars", "Product news")),
    ("person", "Assistant", "text", ()),
    (
        "company",
        "Industry",
        "dropdown",
        (
            "Healthcare",
            "Construction",
            "Retail",
            "Technology",
            "Hospitality",
            "Professional Services",
        ),
    ),
    ("company", "Employees", "numeric", ()),
    ("company", "Annual Revenue", "currency", ()),
    ("company", "Customer Since", "date", ()),
    ("company", "Key Account", "boolean", ()),
    ("company", "Account Notes", "text", ()),
    ("company", "Services Used", "multi_select", ("Consulting", "Support", "Hosting")),
)


def _key(seed: int, purpose: str, length: int = 32) -> str:
    return hashlib.sha256(f"{seed}:{purpose}".encode()).hexdigest()[:length]


def seed_account(db: Database, options: SandboxOptions, anchor: int) -> Seeded:
    """Insert the account settings, users and all lookup rows."""
    rng = random.Random(f"account:{options.seed}")
    seeded = Seeded()
    created = anchor - 900 * DAY
    db.set_meta(
        "account",
        json.dumps(
            {
                "id": 482_622,
                "company_name": "Sandbox Outfitters Co.",
                "account_key": "ak_" + _key(options.seed, "account", 31),
                "currency_id": 1,
                "date_format": "us",
                "time_format": "US",
                "visibility_settings": "private_people_shared_companies",
                "plan": "Grow",
                "license_count": 10,
                "calendar_entry_recurring_end_date_months": 12,
                "calendar_entry_task_due_date_required": False,
            }
        ),
    )
    users = list(USERS) if options.scale != "tiny" else list(USERS[:3])
    keys = {0: options.admin_key, 1: options.user_key}
    for index, (first, last, email, level, admin, tz) in enumerate([*users, INACTIVE_USER]):
        inactive = index == len(users)
        user_id = db.insert(
            "users",
            {
                "first_name": first,
                "last_name": last,
                "email": email,
                "level": level,
                "is_account_admin": int(admin),
                "time_zone": tz,
                "api_key": keys.get(index, _key(options.seed, f"user{index}")),
                "w2lid": _key(options.seed, f"w2l{index}", 12),
                "mobile_number": f"555-01{rng.randint(10, 99)}",
                "mobile_country_code": "1",
                "work_phone": f"(555) 010-{rng.randint(1000, 9999)}",
                "deleted_at": anchor - 30 * DAY if inactive else None,
                "last_seen_at": anchor - rng.randint(1, 5) * 3600,
                "created_at": created + index * DAY,
                "updated_at": created + index * DAY,
            },
        )
        if not inactive:
            seeded.user_ids.append(user_id)
    seeded.admin_id, seeded.user_id = seeded.user_ids[0], seeded.user_ids[1]

    stamp = [created]

    def add(kind: str, data: dict[str, Any], row_id: int | None = None) -> int:
        stamp[0] += 60
        values: dict[str, Any] = {
            "kind": kind,
            "data": json.dumps(data),
            "created_at": stamp[0],
            "updated_at": stamp[0],
        }
        if row_id is not None:
            values["id"] = row_id
        new_id = db.insert("lookups", values)
        name = data.get("name") or data.get("description") or str(new_id)
        seeded.ids.setdefault(kind, {})[str(name)] = new_id
        return new_id

    for status_id, name, color in STATUSES:
        add(
            "deal_statuses",
            {"name": name, "position": status_id, "hex_color": color, "editable": False},
            status_id,
        )
    pipeline = add(
        "deal_pipelines",
        {
            "name": "Sales Pipeline",
            "default": True,
            "pipeline_type": "new_revenue",
            "description": None,
        },
    )
    for name, percent in STAGES:
        add("deal_stages", {"name": name, "percent": percent, "deal_pipeline_id": pipeline})
    for position, name in enumerate(LOSS_REASONS, 1):
        add("deal_loss_reasons", {"name": name, "position": position})
    for position, name in enumerate(WON_REASONS, 1):
        add("deal_won_reasons", {"name": name, "position": position})
    for position, name in enumerate(DEAL_TAGS, 1):
        add("deal_tags", {"name": name, "position": position, "user_id": seeded.admin_id})
    for position, name in enumerate(COMPANY_TAGS, 1):
        add("company_tags", {"name": name, "position": position, "user_id": seeded.admin_id})
    for name in PEOPLE_TAGS:
        add("predefined_contacts_tags", {"name": name})
    for name in DOCUMENT_TAGS:
        add("document_tags", {"name": name})
    for name in LEAD_SOURCES:
        add(
            "lead_sources",
            {
                "name": name,
                "cost_per_lead_in_cents": 0,
                "flat_fee_in_cents": 0,
                "system": name == "None",
            },
        )
    for position, (name, color) in enumerate(LEAD_STATUSES, 1):
        add("lead_statuses", {"name": name, "hex_color": color, "position": position})
    for name in NOTE_CATEGORIES:
        add("note_categories", {"name": name, "editable": True})
    for name in SYSTEM_NOTE_CATEGORIES:
        add("note_categories", {"name": name, "editable": False, "system": True})
    for position, name in enumerate(EVENT_CATEGORIES, 1):
        add("event_categories", {"name": name, "position": position})
    add(
        "event_categories",
        {"name": "Milestone", "position": len(EVENT_CATEGORIES) + 1, "system": True},
    )
    for position, (name, kind, color) in enumerate(ENTRY_STATUSES, 1):
        add(
            "calendar_entry_statuses",
            {"name": name, "position": position, "hex_color": color, "status_type": kind},
        )
    for position, (name, color) in enumerate(PRIORITIES, 1):
        add("calendar_entry_priorities", {"name": name, "hex_color": color, "position": position})
    for position, name in enumerate(REVENUE_TYPES, 1):
        add("revenue_types", {"name": name, "position": position, "is_default": name == "New"})
    for name in PRODUCT_LINES:
        add(
            "product_lines",
            {
                "name": name,
                "enabled_for_deals": True,
                "enabled_for_people": False,
                "enabled_for_companies": False,
            },
        )
    sales = add("teams", {"name": "Sales", "parent_id": None, "permissions": None})
    add("teams", {"name": "Inside Sales", "parent_id": sales, "permissions": None})
    template = add(
        "todo_templates",
        {"name": "New deal follow-up", "template_type": "deal", "is_default": True},
    )
    categories = seeded.ids["event_categories"]
    priorities = seeded.ids["calendar_entry_priorities"]
    for due, text, category in (
        (1, "Send welcome e-mail", "Email"),
        (3, "Discovery call", "Call"),
        (7, "Send proposal", "To-do"),
    ):
        add(
            "todo_template_items",
            {
                "todo_template_id": template,
                "due_date": due,
                "description": text,
                "event_category_id": categories[category],
                "calendar_entry_priority_id": priorities["Medium"],
            },
        )
    db.conn.execute(
        "UPDATE users SET team_id = ? WHERE id IN (?, ?)", (sales, seeded.admin_id, seeded.user_id)
    )

    groups = {
        entity: add("custom_field_groups", {"name": "Details", "entity": entity, "position": 1})
        for entity in ("deal", "person", "company")
    }
    for position, (entity, name, field_type, entries) in enumerate(CUSTOM_LABELS, 1):
        label_id = add(
            "custom_field_labels",
            {
                "name": name,
                "entity": entity,
                "field_type": field_type,
                "position": position,
                "is_required": False,
                "custom_field_group_id": groups[entity],
                "locked": False,
            },
        )
        seeded.labels.setdefault(entity, []).append(
            {"id": label_id, "field_type": field_type, "name": name}
        )
        seeded.entries[label_id] = [
            add(
                "custom_field_label_dropdown_entries",
                {"custom_field_label_id": label_id, "name": entry, "position": index},
            )
            for index, entry in enumerate(entries, 1)
        ]

    stage_ids = seeded.ids["deal_stages"]
    searches = (
        (
            "Open deals in negotiation",
            "deals",
            {"deal_stage": [stage_ids["Negotiation"]]},
            "-deals.updated_at",
        ),
        (
            "Hot leads",
            "people",
            {"person_status": [seeded.ids["lead_statuses"]["Hot"]]},
            "-people.updated_at",
        ),
        ("Customers", "companies", {"company_is_customer": ["Yes"]}, "-companies.updated_at"),
        (
            "Phone calls",
            "activities",
            {"note_category": [seeded.ids["note_categories"]["Phone Call"]]},
            "-notes.created_at",
        ),
        (
            "My open to-dos",
            "todos",
            {"incomplete": "true", "owner_id": [seeded.admin_id]},
            "calendar_entries.sort_at",
        ),
    )
    for name, search_type, query, sort in searches:
        add(
            "searches",
            {
                "name": name,
                "search_type": search_type,
                "query": query,
                "sort": sort,
                "user_id": seeded.admin_id,
                "is_shared": True,
                "is_default": False,
                "is_starred": search_type == "deals",
                "is_sentence_search": False,
                "columns": ["name", "updated_at"],
            },
        )
    for user_id, text in (
        (seeded.admin_id, "<p>Welcome to <b>Pipeline CRM</b>!</p>"),
        (seeded.user_id, "<p>Your trial has been extended.</p>"),
    ):
        add(
            "account_notifications",
            {
                "text": text,
                "user_id": user_id,
                "seen": False,
                "read_at": None,
                "account_id": 482_622,
            },
        )
    add(
        "webhooks",
        {
            "event_model": "deal",
            "event_action": "update",
            "url": "https://hooks.example.com/pipeline/deals",
            "failure_email": "ops@sandbox-outfitters.example",
            "is_activated": True,
            "debug_enabled": False,
            "updated_by": seeded.admin_id,
        },
    )
    return seeded
