"""Composition root: builds the loop, store, client, sync engine, services and window.

The only module that sees every layer; nothing imports it (``crmdesk.__main__`` and the
``crmdesk`` console script start it).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``crmdesk`` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        from crmdesk import __version__

        sys.stdout.write(f"crmdesk {__version__}\n")
        return 0
    sys.stdout.write(
        "crmdesk: the desktop window is coming (see the tables issue); "
        "`crmdesk --demo` will open it on the built-in sandbox.\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
