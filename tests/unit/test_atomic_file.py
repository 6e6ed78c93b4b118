"""Files written through atomic_write appear whole or not at all."""

from __future__ import annotations

import pytest

from crmdesk.services.atomic_file import atomic_write


def test_the_new_content_replaces_the_old_only_at_the_end(tmp_path):
    path = tmp_path / "views.json"
    path.write_text("old")
    with atomic_write(path) as handle:
        handle.write("new")
        assert path.read_text() == "old"  # nothing visible while writing
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["views.json"]


def test_a_failed_write_keeps_the_old_content_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "accounts.json"
    path.write_text("old")

    def write_half() -> None:
        with atomic_write(path) as handle:
            handle.write("half")
            raise RuntimeError("disk went away")

    with pytest.raises(RuntimeError, match="disk went away"):
        write_half()
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["accounts.json"]


def test_private_folders_are_created_owner_only(tmp_path):
    path = tmp_path / "cfg" / "keys.json"
    with atomic_write(path, private=True) as handle:
        handle.write("{}")
    assert (tmp_path / "cfg").stat().st_mode & 0o077 == 0
