"""The list of accounts crmdesk knows: names, server URLs, who the key belongs to.

Stored as JSON in the config directory, written atomically. It never holds an API key: keys
live in the keyring (``crmdesk.services.secrets``) under the account's stable ``id``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from crmdesk.domain.errors import CrmError
from crmdesk.services.atomic_file import atomic_write

DEFAULT_BASE_URL = "https://api.pipelinecrm.com/api/v3"
_FORMAT_VERSION = 1


class AccountError(CrmError):
    """A bad account name or URL, or an account that does not exist."""


@dataclass(frozen=True, slots=True)
class Account:
    """One connection to a Pipeline CRM account, as a particular user."""

    id: str
    name: str
    base_url: str = DEFAULT_BASE_URL
    app_key: str | None = None
    user_id: int | None = None
    user_name: str | None = None
    demo: bool = False


def normalize_base_url(url: str) -> str:
    """A clean API base URL: http(s), no query, no trailing slash, ``/api/v3`` by default.

    ``api.pipelinecrm.com`` and ``https://api.pipelinecrm.com/`` both become
    ``https://api.pipelinecrm.com/api/v3``. Raises AccountError for anything unusable.
    """
    text = url.strip()
    if not text:
        raise AccountError("The server URL is empty.")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AccountError(f"{url!r} is not an http(s) URL.")
    if parts.query or parts.fragment:
        raise AccountError("The server URL must not carry a query (the key goes elsewhere).")
    path = parts.path.rstrip("/")
    if path.endswith(".json"):
        raise AccountError("Give the API's base URL, not the URL of one resource.")
    if not path:
        path = "/api/v3"
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, "", ""))


class AccountRegistry:
    """Reads and writes the account list file; every change is saved at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._accounts: dict[str, Account] = {}
        self._last_used: str | None = None
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            entries = data["accounts"]
            self._accounts = {}
            for entry in entries:
                account = Account(**{k: v for k, v in entry.items() if k in _FIELDS})
                self._accounts[account.name] = account
            self._last_used = data.get("last_used")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AccountError(
                f"The account list {self.path} cannot be read ({exc}). Fix or remove the file."
            ) from None

    def _save(self) -> None:
        payload: dict[str, Any] = {
            "version": _FORMAT_VERSION,
            "last_used": self._last_used,
            "accounts": [asdict(a) for a in self._accounts.values()],
        }
        with atomic_write(self.path, private=True) as handle:
            json.dump(payload, handle, indent=2)

    def list(self) -> list[Account]:
        """Every account, sorted by name."""
        return sorted(self._accounts.values(), key=lambda a: a.name.lower())

    def get(self, name: str) -> Account:
        """The account called ``name``; AccountError naming the known ones if none."""
        account = self._accounts.get(name)
        if account is None:
            known = ", ".join(a.name for a in self.list()) or "none yet"
            raise AccountError(f"No account named {name!r} (known: {known}).")
        return account

    def add(
        self,
        name: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        app_key: str | None = None,
        demo: bool = False,
    ) -> Account:
        """Register a new account (its key is stored separately, under ``account.id``)."""
        name = name.strip()
        if not name:
            raise AccountError("An account needs a name.")
        if name in self._accounts:
            raise AccountError(f"An account named {name!r} already exists.")
        account = Account(
            id=uuid.uuid4().hex,
            name=name,
            base_url=normalize_base_url(base_url),
            app_key=(app_key or "").strip() or None,
            demo=demo,
        )
        self._accounts[name] = account
        self._save()
        return account

    def update(self, account: Account) -> Account:
        """Save a changed account (matched by id)."""
        for name, existing in list(self._accounts.items()):
            if existing.id == account.id:
                del self._accounts[name]
                self._accounts[account.name] = account
                self._save()
                return account
        raise AccountError(f"No account with id {account.id}.")

    def set_user(self, account: Account, user_id: int, user_name: str) -> Account:
        """Record who the account's key belongs to (learned from /profile)."""
        return self.update(replace(account, user_id=user_id, user_name=user_name))

    def remove(self, name: str) -> Account:
        """Forget an account (its local data and keyring entry are the caller's business)."""
        account = self.get(name)
        del self._accounts[name]
        if self._last_used == account.id:
            self._last_used = None
        self._save()
        return account

    @property
    def last_used(self) -> Account | None:
        """The account opened last, if it still exists."""
        for account in self._accounts.values():
            if account.id == self._last_used:
                return account
        return None

    def mark_used(self, account: Account) -> None:
        """Remember ``account`` as the one to open next time."""
        self._last_used = account.id
        self._save()


_FIELDS = set(Account.__dataclass_fields__)
