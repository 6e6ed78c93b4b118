"""API keys: kept in the system keyring, never in a plain file or a log.

Lookup order for an account's key: a key given for this session only, then the system
keyring, then the ``CRMDESK_API_KEY`` environment variable. keyring calls can block (D-Bus,
an unlock prompt), so they run in a worker thread.

Some keyring "backends" are not secure stores at all: keyrings.alt's PlaintextKeyring writes
base64 text to disk, and the fail/null backends store nothing. Those are refused with a
message that says what to do instead (a session-only key, or the environment variable).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass

import keyring
import keyring.backend
import keyring.errors

from crmdesk.domain.errors import CrmError

SERVICE = "crmdesk"
ENV_VAR = "CRMDESK_API_KEY"

# Backends that do not keep a secret safely (or at all), by module + class name.
_REFUSED = {
    "keyring.backends.fail.Keyring": "no keyring service is running",
    "keyring.backends.null.Keyring": "the keyring is switched off (null backend)",
    "keyrings.alt.file.PlaintextKeyring": "the only keyring stores keys as plain text",
    "keyrings.alt.file.EncryptedKeyring": "the only keyring is a file-based fallback",
}


class SecretUnavailable(CrmError):
    """The key cannot be stored or read; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class KeyringStatus:
    """Whether the system keyring can hold API keys, and which backend it is."""

    usable: bool
    backend: str
    reason: str | None = None

    @property
    def advice(self) -> str:
        """What to tell a person when the keyring is not usable."""
        if self.usable:
            return ""
        return (
            f"No secure system keyring is available ({self.reason}). crmdesk never writes "
            f"API keys to plain files: enter the key for this session only, or set the "
            f"{ENV_VAR} environment variable."
        )


def _qualname(backend: keyring.backend.KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def probe_keyring() -> KeyringStatus:
    """Inspect the active keyring backend (blocking; call off the GUI thread)."""
    backend = keyring.get_keyring()
    members = list(getattr(backend, "backends", None) or [backend])
    usable = [b for b in members if _qualname(b) not in _REFUSED]
    if usable:
        return KeyringStatus(True, _qualname(usable[0]))
    name = _qualname(members[0]) if members else _qualname(backend)
    return KeyringStatus(False, name, _REFUSED.get(name, "no usable keyring backend"))


class SecretStore:
    """Reads and writes API keys for accounts (``ref`` is the account's stable id)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._session: dict[str, str] = {}
        self._environ = os.environ if environ is None else environ
        self._status: KeyringStatus | None = None

    async def status(self) -> KeyringStatus:
        """The keyring's usability, probed once per run."""
        if self._status is None:
            self._status = await asyncio.to_thread(probe_keyring)
        return self._status

    async def get(self, ref: str) -> str | None:
        """The key for ``ref``: session key, keyring, then the environment variable."""
        if ref in self._session:
            return self._session[ref]
        if (await self.status()).usable:
            try:
                stored = await asyncio.to_thread(keyring.get_password, SERVICE, ref)
            except keyring.errors.KeyringLocked:
                stored = None  # the user dismissed the unlock prompt: treat as "no key yet"
            except keyring.errors.KeyringError as exc:
                raise SecretUnavailable(f"The system keyring failed: {exc}") from None
            if stored:
                return stored
        return self._environ.get(ENV_VAR) or None

    async def put(self, ref: str, key: str, *, remember: bool = True) -> None:
        """Keep ``key`` for ``ref``: in the keyring, or for this session only.

        Raises SecretUnavailable (with advice) when asked to remember a key and no secure
        keyring exists; nothing is written anywhere in that case.
        """
        key = key.strip()
        if not key:
            raise SecretUnavailable("The API key is empty.")
        if remember:
            status = await self.status()
            if not status.usable:
                raise SecretUnavailable(status.advice)
            try:
                await asyncio.to_thread(keyring.set_password, SERVICE, ref, key)
            except keyring.errors.KeyringError as exc:
                raise SecretUnavailable(f"The system keyring refused the key: {exc}") from None
            self._session.pop(ref, None)
        else:
            self._session[ref] = key

    async def forget(self, ref: str) -> None:
        """Remove the key for ``ref`` from the session and the keyring (if it is there)."""
        self._session.pop(ref, None)
        if (await self.status()).usable:
            try:
                await asyncio.to_thread(keyring.delete_password, SERVICE, ref)
            except keyring.errors.PasswordDeleteError:
                pass
            except keyring.errors.KeyringError as exc:
                raise SecretUnavailable(f"The system keyring failed: {exc}") from None
