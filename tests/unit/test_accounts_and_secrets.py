"""Accounts registry and API key storage (keyring, session-only, environment)."""

from __future__ import annotations

import json
import stat

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest

from crmdesk.services.accounts import (
    DEFAULT_BASE_URL,
    AccountError,
    AccountRegistry,
    normalize_base_url,
)
from crmdesk.services.paths import default_paths
from crmdesk.services.secrets import ENV_VAR, SERVICE, SecretStore, SecretUnavailable

KEY = "pd-secret-key-0123456789"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("api.pipelinecrm.com", DEFAULT_BASE_URL),
        ("https://api.pipelinecrm.com/", DEFAULT_BASE_URL),
        ("https://API.pipelinecrm.com/api/v3/", DEFAULT_BASE_URL),
        ("http://127.0.0.1:8765/api/v3", "http://127.0.0.1:8765/api/v3"),
    ],
)
def test_base_urls_are_normalised(given, expected):
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("", "empty"),
        ("ftp://example.com", "not an http"),
        ("https://api.pipelinecrm.com/api/v3?api_key=x", "must not carry a query"),
        ("https://api.pipelinecrm.com/api/v3/deals.json", "base URL"),
    ],
)
def test_unusable_base_urls_are_refused_with_a_reason(given, message):
    with pytest.raises(AccountError, match=message):
        normalize_base_url(given)


def test_registry_persists_accounts_and_the_last_used_one(tmp_path):
    paths = default_paths(tmp_path).ensure()
    registry = AccountRegistry(paths.accounts_file)
    work = registry.add("Work", "api.pipelinecrm.com")
    registry.add("Demo", "http://127.0.0.1:9/api/v3", demo=True)
    registry.mark_used(work)
    registry.set_user(work, 42, "Ada Lovelace")

    reopened = AccountRegistry(paths.accounts_file)
    assert [a.name for a in reopened.list()] == ["Demo", "Work"]
    last = reopened.last_used
    assert last is not None
    assert (last.name, last.user_id, last.user_name) == ("Work", 42, "Ada Lovelace")
    assert reopened.get("Demo").demo is True


def test_registry_refuses_duplicates_and_names_known_accounts(tmp_path):
    registry = AccountRegistry(tmp_path / "accounts.json")
    registry.add("Work")
    with pytest.raises(AccountError, match="already exists"):
        registry.add("Work")
    with pytest.raises(AccountError, match=r"known: Work"):
        registry.get("Home")
    registry.remove("Work")
    assert registry.list() == []


def test_a_damaged_registry_file_gives_a_clear_error(tmp_path):
    path = tmp_path / "accounts.json"
    path.write_text("{not json")
    with pytest.raises(AccountError, match="cannot be read"):
        AccountRegistry(path)


def test_account_directories_are_keyed_by_server_and_user(tmp_path):
    paths = default_paths(tmp_path)
    a = paths.account_dir("https://api.pipelinecrm.com/api/v3", 1)
    assert a == paths.account_dir("https://api.pipelinecrm.com/api/v3", 1)
    assert a != paths.account_dir("https://api.pipelinecrm.com/api/v3", 2)
    assert a != paths.account_dir("http://127.0.0.1:8765/api/v3", 1)
    assert a.is_relative_to(tmp_path)


def test_keys_go_to_the_keyring_and_never_to_the_account_file(tmp_path, aloop, memory_keyring):
    registry = AccountRegistry(tmp_path / "accounts.json")
    account = registry.add("Work", app_key="app-123")
    secrets = SecretStore(environ={})

    aloop.run(secrets.put(account.id, KEY))
    assert memory_keyring.secrets == {(SERVICE, account.id): KEY}
    assert aloop.run(SecretStore(environ={}).get(account.id)) == KEY
    assert KEY not in (tmp_path / "accounts.json").read_text()
    assert json.loads((tmp_path / "accounts.json").read_text())["accounts"][0]["app_key"]

    aloop.run(secrets.forget(account.id))
    assert aloop.run(secrets.get(account.id)) is None


def test_account_file_is_private_to_the_owner(tmp_path):
    registry = AccountRegistry(tmp_path / "cfg" / "accounts.json")
    registry.add("Work")
    assert stat.S_IMODE((tmp_path / "cfg").stat().st_mode) & 0o077 == 0


@pytest.mark.parametrize("backend", [keyring.backends.fail.Keyring, keyring.backends.null.Keyring])
def test_without_a_secure_keyring_nothing_is_stored_and_the_advice_is_clear(aloop, backend):
    previous = keyring.get_keyring()
    keyring.set_keyring(backend())
    try:
        secrets = SecretStore(environ={})
        status = aloop.run(secrets.status())
        assert not status.usable
        with pytest.raises(SecretUnavailable, match=ENV_VAR) as info:
            aloop.run(secrets.put("acct", KEY))
        assert "session only" in str(info.value)
        assert KEY not in str(info.value)
        # a session-only key still works for this run
        aloop.run(secrets.put("acct", KEY, remember=False))
        assert aloop.run(secrets.get("acct")) == KEY
        assert aloop.run(SecretStore(environ={}).get("acct")) is None
    finally:
        keyring.set_keyring(previous)


def test_the_environment_variable_is_the_last_resort(aloop, memory_keyring):
    secrets = SecretStore(environ={ENV_VAR: "from-env"})
    assert aloop.run(secrets.get("acct")) == "from-env"
    aloop.run(secrets.put("acct", "from-keyring"))
    assert aloop.run(secrets.get("acct")) == "from-keyring"
    aloop.run(secrets.put("acct", "for-now", remember=False))
    assert aloop.run(secrets.get("acct")) == "for-now"


def test_an_empty_key_is_refused(aloop):
    with pytest.raises(SecretUnavailable, match="empty"):
        aloop.run(SecretStore(environ={}).put("acct", "   "))
