"""The kinds of records crmdesk keeps, with the names the API uses for each."""

from __future__ import annotations

from enum import StrEnum


class Entity(StrEnum):
    """A record kind. The value is the API's singular body wrapper (``{"deal": {...}}``)."""

    DEAL = "deal"
    PERSON = "person"
    COMPANY = "company"
    NOTE = "note"
    COMMENT = "comment"
    CALENDAR_ENTRY = "calendar_entry"
    DOCUMENT = "document"
    USER = "user"

    @property
    def wrapper(self) -> str:
        """Key that wraps a create/update body."""
        return self.value

    @property
    def collection(self) -> str:
        """Path segment of the collection under /api/v3."""
        return _COLLECTIONS[self]

    @property
    def modified_condition(self) -> str | None:
        """`conditions[...]` key for incremental pulls, or None where the API has none."""
        return _MODIFIED_CONDITIONS.get(self)

    @property
    def label(self) -> str:
        """Human name, singular."""
        return _LABELS[self][0]

    @property
    def plural_label(self) -> str:
        """Human name, plural."""
        return _LABELS[self][1]


_COLLECTIONS = {
    Entity.DEAL: "deals",
    Entity.PERSON: "people",
    Entity.COMPANY: "companies",
    Entity.NOTE: "notes",
    Entity.COMMENT: "comments",
    Entity.CALENDAR_ENTRY: "calendar_entries",
    Entity.DOCUMENT: "documents",
    Entity.USER: "users",
}

_MODIFIED_CONDITIONS = {
    Entity.DEAL: "deal_modified",
    Entity.PERSON: "person_modified",
    Entity.COMPANY: "company_modified",
    Entity.NOTE: "activity_modified",
    Entity.CALENDAR_ENTRY: "calendar_entry_modified",
    Entity.DOCUMENT: "document_modified",
}

_LABELS = {
    Entity.DEAL: ("Deal", "Deals"),
    Entity.PERSON: ("Person", "People"),
    Entity.COMPANY: ("Company", "Companies"),
    Entity.NOTE: ("Note", "Notes"),
    Entity.COMMENT: ("Comment", "Comments"),
    Entity.CALENDAR_ENTRY: ("Calendar entry", "Calendar entries"),
    Entity.DOCUMENT: ("Document", "Documents"),
    Entity.USER: ("User", "Users"),
}

#: Entities with their own table page in the app.
BROWSABLE = (Entity.DEAL, Entity.PERSON, Entity.COMPANY)
