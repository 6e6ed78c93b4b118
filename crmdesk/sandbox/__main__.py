"""``python -m crmdesk.sandbox``: the same as the ``crmdesk-sandbox`` command."""

from __future__ import annotations

import sys

from crmdesk.sandbox.cli import main

sys.exit(main())
