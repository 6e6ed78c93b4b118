"""Where crmdesk keeps its files: a config directory and a data directory.

By default they are the platform's user directories (platformdirs). ``--data-dir DIR``
makes one self-contained profile: the account list and every account's database live in
DIR, which is what the demo and the tests use.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

APP_NAME = "crmdesk"


@dataclass(frozen=True, slots=True)
class AppPaths:
    """The directories of one crmdesk profile."""

    config_dir: Path
    data_dir: Path

    @property
    def accounts_file(self) -> Path:
        """The account registry (names, URLs, user ids; never keys)."""
        return self.config_dir / "accounts.json"

    def account_dir(self, base_url: str, user_id: int) -> Path:
        """Directory of one account's local data, keyed by server and user."""
        parts = urlsplit(base_url)
        host = re.sub(r"[^A-Za-z0-9.-]+", "_", parts.netloc) or "server"
        digest = hashlib.sha256(base_url.encode()).hexdigest()[:8]
        return self.data_dir / "accounts" / f"{host}-{digest}-user{user_id}"

    def ensure(self) -> AppPaths:
        """Create the directories (owner-only where the OS allows) and return self."""
        for directory in (self.config_dir, self.data_dir):
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self


def default_paths(data_dir: Path | str | None = None) -> AppPaths:
    """The platform's directories, or one self-contained ``data_dir`` when given."""
    if data_dir is not None:
        root = Path(data_dir).expanduser()
        return AppPaths(config_dir=root, data_dir=root)
    return AppPaths(
        config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
    )
