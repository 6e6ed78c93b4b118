"""The connect dialog against the real sandbox over loopback HTTP: who you are, a bad key,
an unreachable server, a URL that is not the API, and no keyring (session-only key)."""

from __future__ import annotations

import keyring
import keyring.backends.fail
import pytest

from crmdesk.services.accounts import AccountRegistry
from crmdesk.services.connect import ConnectService
from crmdesk.services.connect_types import ConnectProblem, ProblemKind
from crmdesk.services.secrets import SERVICE, SecretStore
from crmdesk.ui.connect_dialog import ConnectDialog
from tests.ui.qt_helpers import next_signal


@pytest.fixture
def registry(tmp_path):
    return AccountRegistry(tmp_path / "accounts.json")


def _dialog(qtbot, registry, secrets=None) -> ConnectDialog:
    service = ConnectService(registry, secrets or SecretStore(environ={}))
    dialog = ConnectDialog(service)
    qtbot.addWidget(dialog)
    return dialog


def _fill(dialog: ConnectDialog, name: str, url: str, key: str) -> None:
    dialog.name.setText(name)
    dialog.base_url.setText(url)
    dialog.api_key.setText(key)


def test_the_default_server_is_the_real_service(qtbot, registry):
    dialog = _dialog(qtbot, registry)
    assert dialog.base_url.text() == "https://api.pipelinecrm.com/api/v3"
    assert dialog.api_key.echoMode() == dialog.api_key.EchoMode.Password


def test_test_connection_shows_who_the_key_belongs_to(qtbot, qloop, registry, sandbox):
    dialog = _dialog(qtbot, registry)

    async def scenario():
        dialog.start()
        _fill(dialog, "Work", sandbox.base_url, sandbox.admin_key)
        dialog.test_connection()
        return await next_signal(dialog.checked, 20)

    ok, text = qloop.run(scenario())
    assert ok
    assert text == "Connected as Dana Whitfield (dana@sandbox-outfitters.example)."
    assert dialog.outcome.property("state") == "ok"
    assert registry.list() == []  # a test adds nothing


def test_connect_keeps_the_key_in_the_keyring_and_registers_the_account(
    qtbot, qloop, registry, sandbox, memory_keyring
):
    dialog = _dialog(qtbot, registry)
    added = []
    dialog.connected.connect(lambda account, who: added.append((account, who)))

    async def scenario():
        dialog.start()
        await dialog.settled()
        _fill(dialog, "Work", sandbox.base_url, sandbox.user_key)
        dialog.connect_account()
        await dialog.settled()

    qloop.run(scenario())
    account, _who = added[0]
    assert account.name == "Work"
    assert account.user_name == "Marcus Lee"
    assert registry.last_used == account
    assert memory_keyring.secrets[(SERVICE, account.id)] == sandbox.user_key
    assert dialog.api_key.text() == ""
    assert sandbox.user_key not in registry.path.read_text(encoding="utf-8")


def test_a_bad_key_says_so(qtbot, qloop, registry, sandbox):
    dialog = _dialog(qtbot, registry)

    async def scenario():
        _fill(dialog, "Work", sandbox.base_url, "not-a-real-key")
        dialog.connect_account()
        return await next_signal(dialog.checked, 20)

    ok, text = qloop.run(scenario())
    assert not ok
    assert "did not accept this API key" in text
    assert "not-a-real-key" not in text
    assert registry.list() == []
    assert dialog.outcome.property("state") == "error"


def test_an_unreachable_server_says_so(qtbot, qloop, registry, sandbox_factory):
    stopped = sandbox_factory()
    url = stopped.base_url
    stopped.stop()
    service = ConnectService(registry, SecretStore(environ={}))

    async def scenario():
        with pytest.raises(ConnectProblem) as caught:
            await service.test(url, "whatever")
        return caught.value

    problem = qloop.run(scenario(), timeout=60)
    assert problem.kind is ProblemKind.UNREACHABLE
    assert str(problem).startswith("Cannot reach 127.0.0.1:")


def test_a_url_that_is_not_the_api_says_so(qtbot, qloop, registry, sandbox):
    dialog = _dialog(qtbot, registry)
    root = sandbox.base_url.rsplit("/api/v3", 1)[0]

    async def scenario():
        _fill(dialog, "Work", f"{root}/not/the/api", sandbox.admin_key)
        dialog.test_connection()
        return await next_signal(dialog.checked, 20)

    ok, text = qloop.run(scenario())
    assert not ok
    assert "not like the Pipeline CRM API" in text


def test_bad_input_is_caught_before_the_network(qtbot, qloop, registry):
    dialog = _dialog(qtbot, registry)

    async def scenario():
        _fill(dialog, "", "ftp://example.com", "key")
        dialog.connect_account()
        first = await next_signal(dialog.checked)
        _fill(dialog, "Work", "ftp://example.com", "key")
        dialog.test_connection()
        second = await next_signal(dialog.checked)
        return first, second

    first, second = qloop.run(scenario())
    assert first == (False, "Give the account a name.")
    assert second[1] == "'ftp://example.com' is not an http(s) URL."


def test_without_a_keyring_the_key_is_kept_for_the_session_only(
    qtbot, qloop, registry, sandbox, monkeypatch
):
    monkeypatch.setattr(keyring, "get_keyring", keyring.backends.fail.Keyring)
    secrets = SecretStore(environ={})
    dialog = _dialog(qtbot, registry, secrets)
    added = []
    dialog.connected.connect(lambda account, who: added.append(account))

    async def scenario():
        dialog.start()
        await dialog.settled()
        assert not dialog.remember.isEnabled()
        assert not dialog.remember.isChecked()
        assert "session only" in dialog.keyring_note.text()
        _fill(dialog, "Work", sandbox.base_url, sandbox.admin_key)
        dialog.connect_account()
        await dialog.settled()
        return await secrets.get(added[0].id)

    assert qloop.run(scenario()) == sandbox.admin_key


def test_remembering_without_a_keyring_is_refused_with_advice(
    qloop, registry, sandbox, monkeypatch
):
    monkeypatch.setattr(keyring, "get_keyring", keyring.backends.fail.Keyring)
    service = ConnectService(registry, SecretStore(environ={}))

    async def scenario():
        with pytest.raises(ConnectProblem) as caught:
            await service.add("Work", sandbox.base_url, sandbox.admin_key, remember=True)
        return caught.value

    problem = qloop.run(scenario())
    assert problem.kind is ProblemKind.NO_KEYRING
    assert "for this session only" in str(problem)
    assert registry.list() == []
