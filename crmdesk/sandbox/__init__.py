"""crmdesk's local emulator of the Pipeline CRM (PipelineDeals) REST API v3.

    from crmdesk.sandbox import Sandbox
    with Sandbox.start(scale="tiny", seed=1, db=":memory:", rate_limit=None) as sb:
        sb.base_url, sb.admin_key, sb.user_key

See README.md in this package for the behaviour, the emulated guesses and the command.
"""

from __future__ import annotations

from crmdesk.sandbox.options import Faults, RateLimit, SandboxOptions
from crmdesk.sandbox.runner import Sandbox

__all__ = ["Faults", "RateLimit", "Sandbox", "SandboxOptions"]
