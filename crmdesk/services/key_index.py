"""Which user an API key belongs to, remembered without keeping the key.

``crmdesk sync --base-url URL --api-key-env VAR`` has no registered account, yet every run
must find the same local store - keyed by server and *user* - even offline. The first run
learns the user from ``/profile``; this index remembers it under an HMAC-SHA256 of the
server URL and key, with a random salt of this data directory. The key itself is never
written. (API keys are long random strings, so the digest does not make them guessable.)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from pathlib import Path
from typing import Any

from crmdesk.services.atomic_file import atomic_write

_VERSION = 1


class KeyIndex:
    """The salted-hash -> user id index in one data directory."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"version": _VERSION, "salt": secrets.token_hex(16), "users": {}}
        except (OSError, ValueError):
            # Unreadable index: start a new one (the price is one /profile call).
            return {"version": _VERSION, "salt": secrets.token_hex(16), "users": {}}
        if not isinstance(data.get("salt"), str) or not isinstance(data.get("users"), dict):
            return {"version": _VERSION, "salt": secrets.token_hex(16), "users": {}}
        return data  # type: ignore[no-any-return]

    @staticmethod
    def _digest(salt: str, base_url: str, api_key: str) -> str:
        message = f"{base_url}\n{api_key.strip()}".encode()
        return hmac.new(bytes.fromhex(salt), message, hashlib.sha256).hexdigest()

    def user_id(self, base_url: str, api_key: str) -> int | None:
        """The user the key belongs to on ``base_url``, if seen before."""
        data = self._load()
        found = data["users"].get(self._digest(data["salt"], base_url, api_key))
        return found if isinstance(found, int) else None

    def remember(self, base_url: str, api_key: str, user_id: int) -> None:
        """Record that the key belongs to ``user_id`` on ``base_url`` (atomic write)."""
        data = self._load()
        data["users"][self._digest(data["salt"], base_url, api_key)] = int(user_id)
        with atomic_write(self.path, private=True) as handle:
            json.dump(data, handle)
