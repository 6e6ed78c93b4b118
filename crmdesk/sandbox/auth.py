"""The other two ways in (reference 1.3 and section 8 item 17): ``account_key`` and a JWT.

* ``account_key`` (+ ``app_key``) in the query acts as the account's first admin.
* ``POST /auth`` with ``{"email_or_username", "password"}`` logs in. With an ``app_key`` in
  the query the answer is ``{"user": {...}, "token": "<JWT>"}``; without one it is
  ``{"user": {..., "api_key": ...}}``. Later calls send ``Authorization: Bearer <token>``.
  ``PUT /auth/renew`` returns a new ``{"token"}``; ``DELETE /auth/revoke`` revokes it (204).
  Bad credentials: 403 with the recorded error list.
EMULATION: every sandbox user's password is ``sandbox-password``; tokens are HS256 JWTs
(``aud`` = app_key, ``jti``, ``exp`` 24 h, ``sub`` = user id) signed with a per-database
secret, so they survive restarts on the same ``--db`` file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from crmdesk.sandbox.state import SandboxState

PASSWORD = "sandbox-password"
TOKEN_LIFETIME = 24 * 3600
LOGIN_FAILED = [
    {
        "humanized_field": "Base",
        "field": "base",
        "msg": "Email or username/Password combination is not valid",
    }
]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(state: SandboxState, user_id: int, app_key: str) -> str:
    """A signed JWT for ``user_id``."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(
        json.dumps(
            {
                "aud": app_key,
                "jti": str(uuid.uuid4()),
                "exp": int(time.time()) + TOKEN_LIFETIME,
                "sub": user_id,
            }
        ).encode()
    )
    signature = hmac.new(state.link_secret, f"{header}.{payload}".encode(), hashlib.sha256)
    return f"{header}.{payload}.{_b64(signature.digest())}"


def read_token(state: SandboxState, token: str) -> dict[str, Any] | None:
    """The claims of a valid, unexpired, unrevoked token; None otherwise."""
    try:
        header, payload, signature = token.split(".")
        expected = hmac.new(state.link_secret, f"{header}.{payload}".encode(), hashlib.sha256)
        if not hmac.compare_digest(_unb64(signature), expected.digest()):
            return None
        claims: dict[str, Any] = json.loads(_unb64(payload))
    except (ValueError, json.JSONDecodeError):
        return None
    if int(claims.get("exp", 0)) < time.time():
        return None
    revoked = state.db.meta_json("revoked_tokens") or []
    if claims.get("jti") in revoked:
        return None
    return claims


def revoke(state: SandboxState, claims: dict[str, Any]) -> None:
    """Refuse this token from now on."""
    revoked = list(state.db.meta_json("revoked_tokens") or [])
    revoked.append(claims.get("jti"))
    with state.db.transaction():
        state.db.set_meta("revoked_tokens", json.dumps(revoked[-1000:]))


def login(state: SandboxState, body: Any) -> int | None:
    """The user id for a login body, or None for bad credentials."""
    if not isinstance(body, dict):
        return None
    name = str(body.get("email_or_username") or "").strip().lower()
    if not name or body.get("password") != PASSWORD:
        return None
    for user in state.catalog.users.values():
        if user["deleted_at"] is None and (user["email"] or "").lower() == name:
            return int(user["id"])
    return None
