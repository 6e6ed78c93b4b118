"""After full syncs - with errors on the way - the API key is nowhere: not in the output
or the verbose log, not in any file of the data directory (database and WAL included),
not in a stored error."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

from crmdesk.store import Store
from tests.integration.sync_support import Cli

SECRET = "k3y-9f2c41d0b7e84a53-never-show-me"


def forms(secret: str) -> list[bytes]:
    """The key as text, URL-encoded and JSON-escaped."""
    texts = {secret, urllib.parse.quote(secret, safe=""), json.dumps(secret)[1:-1]}
    return [t.encode() for t in texts]


def test_the_key_is_in_no_output_file_or_stored_error(sandbox_factory, tmp_path: Path):
    sandbox = sandbox_factory(admin_key=SECRET, fault_seed=3)
    data = tmp_path / "data"
    cli = Cli(sandbox, data, key=SECRET)
    outputs: list[str] = []

    def run(*args: str) -> None:
        done = cli.run(*args, "--verbose", *cli.account())
        outputs.extend([done.stdout, done.stderr])

    run("sync")
    deals = json.loads(cli.ok("deals", "list", "--json", *cli.account()).stdout)
    # Errors worth storing: a 422, server failures, lost replies, a dropped connection.
    cli.ok("deals", "update", str(deals[0]["id"]), "--set", "deal_stage_id=99999", *cli.account())
    cli.ok("deals", "update", str(deals[1]["id"]), "--set", "name=Under fire", *cli.account())
    cli.ok("companies", "create", "--set", "name=Key test Co", *cli.account())
    sandbox.set_faults(error_rate=0.5, drop_after_commit_rate=0.3, drop_rate=0.2)
    run("sync", "--full")
    sandbox.set_faults()
    run("sync", "--full")
    run("outbox")
    run("conflicts")
    sandbox.stop()
    run("sync")  # unreachable: its error message too

    text = "\n".join(outputs)
    assert "HTTP Request" in text, "the verbose log was captured"
    assert "api_key=***" in text
    for form in forms(SECRET):
        assert form.decode() not in text

    files = [p for p in data.rglob("*") if p.is_file()]
    assert any(p.name == "store.db" for p in files)
    for path in files:
        content = path.read_bytes()
        for form in forms(SECRET):
            assert form not in content, f"the key is in {path}"

    [database] = [p for p in files if p.name == "store.db"]
    with Store.open(database) as store:
        entries = store.read().outbox.entries()
        errors = [e.last_error or "" for e in entries]
        errors += [str(f) for e in entries for f in e.field_errors]
    assert any("refused" in e for e in errors), "a stored error was checked"
    assert not any(SECRET in e for e in errors)
