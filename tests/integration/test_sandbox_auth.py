"""Login with a JWT, account_key access, renew and revoke (reference 1.3, section 8 item 17)."""

from __future__ import annotations

from typing import Any

import httpx


def test_login_with_app_key_gives_a_bearer_token(sandbox: Any) -> None:
    profile = httpx.get(f"{sandbox.base_url}/profile", params={"api_key": sandbox.user_key})
    email = profile.json()["email"]
    login = httpx.post(
        f"{sandbox.base_url}/auth.json",
        params={"app_key": "my-app"},
        json={"email_or_username": email, "password": "sandbox-password", "mfa_code": None},
    )
    assert login.status_code == 200
    token = login.json()["token"]
    assert login.json()["user"]["email"] == email
    bearer = {"Authorization": f"Bearer {token}"}
    me = httpx.get(f"{sandbox.base_url}/profile", headers=bearer)
    assert me.status_code == 200
    assert me.json()["email"] == email
    assert "x-ratelimit-limit" in me.headers
    renewed = httpx.put(f"{sandbox.base_url}/auth/renew.json", headers=bearer)
    new = {"Authorization": f"Bearer {renewed.json()['token']}"}
    assert httpx.get(f"{sandbox.base_url}/deals", headers=bearer).status_code == 401
    assert httpx.get(f"{sandbox.base_url}/deals", headers=new).status_code == 200
    assert httpx.delete(f"{sandbox.base_url}/auth/revoke.json", headers=new).status_code == 204
    assert httpx.get(f"{sandbox.base_url}/deals", headers=new).status_code == 401


def test_login_without_app_key_returns_the_api_key(sandbox: Any) -> None:
    email = httpx.get(f"{sandbox.base_url}/profile", params={"api_key": sandbox.admin_key}).json()[
        "email"
    ]
    login = httpx.post(
        f"{sandbox.base_url}/auth",
        json={"email_or_username": email, "password": "sandbox-password"},
    )
    assert login.json()["user"]["api_key"] == sandbox.admin_key
    assert "token" not in login.json()


def test_bad_logins_and_tokens(sandbox: Any) -> None:
    failed = httpx.post(
        f"{sandbox.base_url}/auth", json={"email_or_username": "x@y.z", "password": "nope"}
    )
    assert failed.status_code == 403
    assert failed.json()[0]["msg"] == "Email or username/Password combination is not valid"
    forged = httpx.get(f"{sandbox.base_url}/deals", headers={"Authorization": "Bearer a.b.c"})
    assert forged.status_code == 401
    assert forged.json() == {"error": "Unknown api_key"}


def test_account_key_acts_as_the_account_admin(sandbox: Any) -> None:
    account_key = httpx.get(
        f"{sandbox.base_url}/profile", params={"api_key": sandbox.admin_key}
    ).json()["account_key"]
    me = httpx.get(
        f"{sandbox.base_url}/profile", params={"account_key": account_key, "app_key": "x"}
    ).json()
    assert me["is_account_admin"] is True
    wrong = httpx.get(f"{sandbox.base_url}/profile", params={"account_key": "nope"})
    assert wrong.status_code == 401
