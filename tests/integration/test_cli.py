"""The ``crmdesk`` command line end to end: real subprocesses against a real sandbox."""

from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from crmdesk.domain.entities import Entity
from tests.integration.sync_support import KEY_VAR, Cli, client_for, server_find, server_record


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_sync_list_show_edit_and_export(sandbox, aloop, tmp_path: Path):
    cli = Cli(sandbox, tmp_path / "data")
    summary = cli.json("sync", *cli.account())
    assert summary["complete"] is True
    for key in ("pulled", "pushed", "conflicts", "requests", "rate_limited", "seconds"):
        assert key in summary
    assert summary["pulled"]["deals"] == 12
    assert summary["requests"] > 6
    assert summary["rate_limited"] == 0

    deals = cli.json("deals", "list", *cli.account())
    assert len(deals) == 12
    assert all(isinstance(d["id"], int) for d in deals)
    first = deals[0]
    found = cli.json("deals", "list", "--search", first["name"].split()[0], *cli.account())
    assert first["id"] in [d["id"] for d in found]
    assert cli.json("deals", "show", str(first["id"]), *cli.account())["name"] == first["name"]
    table = cli.ok("deals", "list", *cli.account()).stdout
    assert first["name"] in table

    made = cli.json(
        "deals",
        "create",
        "--set",
        "name=Made on the command line",
        "--set",
        "Value=1,500",
        *cli.account(),
    )
    assert made["id"] < 0
    assert made["queued"] is True
    renamed = cli.json("deals", "update", str(first["id"]), "--set", "Name=Renamed", *cli.account())
    assert renamed["queued"] is True
    gone_id = deals[1]["id"]
    assert cli.json("deals", "delete", str(gone_id), *cli.account())["queued"] is True
    queue = cli.json("outbox", *cli.account())
    assert [e["kind"] for e in queue] == ["create", "update", "delete"]
    assert "Made on the command line" in cli.ok("outbox", *cli.account()).stdout

    summary = cli.json("sync", *cli.account())
    assert summary["complete"] is True
    assert summary["pushed"] == 3
    assert cli.json("outbox", *cli.account()) == []

    async def check() -> None:
        assert (await server_record(sandbox, Entity.DEAL, first["id"]))["name"] == "Renamed"
        made = await server_find(sandbox, Entity.DEAL, deal_name="Made on the command line")
        assert [d["value"] for d in made] == ["1500.0"]
        async with client_for(sandbox) as client:
            assert gone_id not in [d.id for d in await client.deals.list().all()]

    aloop.run(check())

    exported = cli.ok("export", "deals", "--format", "csv", *cli.account()).stdout
    rows = list(csv.reader(io.StringIO(exported.lstrip("\ufeff"))))
    assert rows[0][0] == "Deal"
    assert len(rows) == 1 + 12  # one created, one deleted
    target = tmp_path / "people.csv"
    cli.ok("export", "people", "--output", str(target), *cli.account())
    assert len(target.read_text(encoding="utf-8-sig").splitlines()) == 1 + 10


def test_clear_errors_and_exit_statuses(sandbox, tmp_path: Path):
    cli = Cli(sandbox, tmp_path / "data")
    cli.ok("sync", *cli.account())
    deal_id = str(cli.json("deals", "list", *cli.account())[0]["id"])

    bad_field = cli.run("deals", "update", deal_id, "--set", "nmae=x", *cli.account())
    assert bad_field.returncode == 2
    assert "has no field 'nmae' (did you mean name?)" in bad_field.stderr
    bad_value = cli.run("deals", "update", deal_id, "--set", "value=lots", *cli.account())
    assert bad_value.returncode == 2
    assert "value: must be an amount" in bad_value.stderr
    missing = cli.run("deals", "create", "--set", "summary=no name", *cli.account())
    assert missing.returncode == 2
    assert "Name is required" in missing.stderr
    unknown = cli.run("deals", "show", "424242", *cli.account())
    assert unknown.returncode == 3
    assert "There is no deal with id 424242" in unknown.stderr
    unknown = cli.run("deals", "update", "424242", "--set", "name=x", *cli.account())
    assert unknown.returncode == 3
    usage = cli.run("deals", "frobnicate")
    assert usage.returncode == 2
    assert cli.run("no-such-command").returncode == 2
    assert cli.json("outbox", *cli.account()) == [], "no failed command queued anything"

    # Unreachable: a key seen for the first time needs the server to learn its user...
    nowhere = f"http://127.0.0.1:{free_port()}/api/v3"
    first_time = cli.run(
        "sync",
        "--base-url",
        nowhere,
        "--api-key-env",
        KEY_VAR,
        "--data-dir",
        str(tmp_path / "other"),
        "--rate-limit",
        "off",
    )
    assert first_time.returncode == 1
    assert "Cannot reach 127.0.0.1" in first_time.stderr

    # ... and a sync with queued changes keeps every one of them when the server is down.
    cli.ok("deals", "update", deal_id, "--set", "name=Queued while down", *cli.account())
    cli.ok("companies", "create", "--set", "name=Queued Co", *cli.account())
    sandbox.stop()
    down = cli.run("sync", "--json", *cli.account())
    assert down.returncode == 1
    assert "cannot be reached" in down.stderr
    assert "2 queued change(s) are kept" in down.stderr
    assert json.loads(down.stdout.splitlines()[-1])["complete"] is False
    assert [e["kind"] for e in cli.json("outbox", *cli.account())] == ["update", "create"]


def test_accounts_without_a_keyring(sandbox, tmp_path: Path):
    # Subprocesses get keyring's "fail" backend (tests/conftest.py): no secure keyring.
    cli = Cli(sandbox, tmp_path / "data")
    data = ["--data-dir", str(tmp_path / "data")]
    added = cli.run(
        "account", "add", "Work", "--base-url", sandbox.base_url, "--api-key-env", KEY_VAR, *data
    )
    assert added.returncode == 0, added.stderr
    assert "Added account 'Work'" in added.stderr
    assert "No secure system keyring" in added.stderr
    assert "CRMDESK_API_KEY" in added.stderr
    accounts = cli.json("account", "list", *data)
    assert [(a["name"], a["default"]) for a in accounts] == [("Work", True)]
    assert sandbox.admin_key not in (tmp_path / "data" / "accounts.json").read_text()

    without_key = cli.run("sync", "--account", "Work", "--rate-limit", "off", *data)
    assert without_key.returncode == 1
    assert "no API key" in without_key.stderr
    env = {**cli.env, "CRMDESK_API_KEY": sandbox.admin_key}
    synced = cli.run("sync", "--json", "--rate-limit", "off", *data, env=env)  # the default account
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout.splitlines()[-1])["pulled"]["deals"] == 12
    removed = cli.run("account", "remove", "Work", *data)
    assert removed.returncode == 0
    assert "Its local data stays in" in removed.stderr
    assert cli.json("account", "list", *data) == []
    assert cli.run("account", "remove", "Work", *data).returncode == 2


def test_account_add_prompts_for_the_key_and_keeps_it_in_the_keyring(
    sandbox, tmp_path: Path, monkeypatch, memory_keyring, capsys
):
    from crmdesk.cli import main

    prompts: list[str] = []
    monkeypatch.setattr(
        "getpass.getpass", lambda prompt: prompts.append(prompt) or sandbox.admin_key
    )
    data = ["--data-dir", str(tmp_path / "data")]
    assert main(["account", "add", "Work", "--base-url", sandbox.base_url, *data]) == 0
    assert prompts == ["API key for Work (input hidden): "]
    assert list(memory_keyring.secrets.values()) == [sandbox.admin_key]
    assert "Added account 'Work'" in capsys.readouterr().err
    assert main(["account", "add", "Work", "--base-url", sandbox.base_url, *data]) == 2
    assert "already exists" in capsys.readouterr().err
    monkeypatch.setattr("getpass.getpass", lambda prompt: "wrong-key-123456")
    assert main(["account", "add", "Other", "--base-url", sandbox.base_url, *data]) == 1
    assert "did not accept the API key" in capsys.readouterr().err
    assert main(["account", "remove", "Work", *data]) == 0
    assert memory_keyring.secrets == {}


def test_conflicts_from_the_command_line(sandbox, aloop, tmp_path: Path):
    cli = Cli(sandbox, tmp_path / "data")
    cli.ok("sync", *cli.account())
    deal_id = cli.json("deals", "list", *cli.account())[0]["id"]
    cli.ok("deals", "update", str(deal_id), "--set", "name=Mine", *cli.account())

    async def theirs() -> None:
        async with client_for(sandbox, sandbox.user_key) as other:
            await other.deals.update(deal_id, {"name": "Theirs"})

    aloop.run(theirs())
    summary = cli.json("sync", *cli.account())
    assert summary["conflicts"] == 1
    [conflict] = cli.json("conflicts", *cli.account())
    assert (conflict["field"], conflict["mine"], conflict["theirs"]) == ("name", "Mine", "Theirs")
    assert "Mine" in cli.ok("conflicts", *cli.account()).stdout
    resolved = cli.run(
        "conflicts", "resolve", str(conflict["id"]), "--take", "mine", *cli.account()
    )
    assert resolved.returncode == 0, resolved.stderr
    again = cli.run("conflicts", "resolve", str(conflict["id"]), "--take", "theirs", *cli.account())
    assert again.returncode == 1
    assert "already resolved" in again.stderr
    assert cli.run("conflicts", "resolve", "999", "--take", "mine", *cli.account()).returncode == 3
    assert cli.json("sync", *cli.account())["pushed"] == 1

    async def check() -> None:
        assert (await server_record(sandbox, Entity.DEAL, deal_id))["name"] == "Mine"

    aloop.run(check())


def test_the_command_line_never_imports_qt():
    code = (
        "import sys; import crmdesk.cli, crmdesk.cli.records, crmdesk.services.workspace; "
        "print(any(m.split('.')[0] in ('PySide6', 'qasync', 'shiboken6') for m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("args", [["--help"], ["sync", "--help"], ["deals", "create", "--help"]])
def test_help_texts(args, tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "crmdesk", *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "usage: crmdesk" in done.stdout
