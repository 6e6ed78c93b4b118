"""Plain values of the connect flow (stdlib + domain only, so the UI may import them)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from crmdesk.domain.errors import CrmError


class ProblemKind(StrEnum):
    """What kind of thing stopped the connection."""

    BAD_INPUT = "bad_input"  # empty name/key, a URL that is not a URL, a name taken
    BAD_KEY = "bad_key"  # 401: the key is wrong or revoked
    FORBIDDEN = "forbidden"  # 403
    UNREACHABLE = "unreachable"  # DNS, refused, timeout, TLS
    NOT_THE_API = "not_the_api"  # 404 or a reply that is not the API's JSON
    SERVER = "server"  # 5xx or rate limited, after retries
    NO_KEYRING = "no_keyring"  # the key cannot be remembered safely


class ConnectProblem(CrmError):
    """Why connecting failed; ``str()`` is the advice to show."""

    def __init__(self, kind: ProblemKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class WhoAmI:
    """Who an API key belongs to."""

    user_id: int
    name: str
    email: str | None
    account_id: int | None
    base_url: str

    def describe(self) -> str:
        """ "Dana Whitfield (dana@example.com)"."""
        return f"{self.name} ({self.email})" if self.email else self.name
