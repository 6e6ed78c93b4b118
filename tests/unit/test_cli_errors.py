"""Command-line failures that never reach the network: said in words, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmdesk.cli import main
from crmdesk.cli.output import FAILED


def test_an_unusable_data_folder_is_said_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for args in (["account", "list"], ["outbox"]):
        status = main([*args, "--data-dir", str(blocker / "data")])
        err = capsys.readouterr().err
        assert status == FAILED
        assert "Traceback" not in err
        assert f"crmdesk: The data folder {blocker / 'data'} cannot be used" in err
