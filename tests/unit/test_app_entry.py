"""The ``crmdesk`` entry point: version, help, subcommands without Qt."""

from __future__ import annotations

import subprocess
import sys

import pytest

from crmdesk import __version__
from crmdesk.app import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"crmdesk {__version__}\n"


def test_help_lists_the_gui_options(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "--data-dir" in out
    assert "--theme" in out


def test_a_subcommand_never_imports_qt():
    code = (
        "import sys; from crmdesk.app import main; rc = main(['no-such-command']); "
        "print(rc, any(m.startswith('PySide6') for m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["2", "False"]
    assert "unknown command" in done.stderr


def test_the_window_knows_the_workspace_file_names():
    from crmdesk.app import gui
    from crmdesk.services import workspace

    assert gui.STORE_FILE == workspace.STORE_FILE
    assert gui.VIEWS_FILE == workspace.VIEWS_FILE
