"""Which account a command works on, and opening it.

Every command that needs an account takes ``--account NAME`` or ``--base-url URL
--api-key-env VAR`` (the key read from that environment variable), plus ``--data-dir``.
Without either, the account used last (or the only one) is taken. The local store is keyed
by server and user, so the same URL and data directory find the same local data on every
run; opening it needs no network once the user is known.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

from crmdesk.api import RatePolicy, RetryPolicy
from crmdesk.cli.output import FAILED, USAGE, CliError
from crmdesk.services.accounts import AccountError, AccountRegistry
from crmdesk.services.paths import AppPaths, default_paths
from crmdesk.services.secrets import SecretStore
from crmdesk.services.workspace import Workspace, WorkspaceError

#: The command line gives up on an unreachable server after a few seconds, not a minute.
CLIENT_OPTIONS: dict[str, Any] = {"retry": RetryPolicy(attempts=3, base=0.25, cap=2.0)}


def add_account_options(parser: argparse.ArgumentParser) -> None:
    """``--account``, ``--base-url``, ``--api-key-env``, ``--data-dir``."""
    group = parser.add_argument_group("account")
    group.add_argument("--account", metavar="NAME", help="a registered account")
    group.add_argument(
        "--base-url", metavar="URL", help="the API's base URL (with --api-key-env, no account)"
    )
    group.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="read the API key from the environment variable VAR (with --base-url)",
    )
    group.add_argument(
        "--rate-limit",
        metavar="N/S",
        default="10/5",
        help="pace requests to N calls per S seconds (default 10/5, the service's limit; "
        "'off' for a server without one, e.g. a local sandbox)",
    )
    add_data_dir(parser)


def client_options(options: argparse.Namespace) -> dict[str, Any]:
    """Options of the API client: quick retries, and the pacing ``--rate-limit`` asks for."""
    spec = getattr(options, "rate_limit", None) or "10/5"
    if spec.strip().lower() == "off":
        return {**CLIENT_OPTIONS, "rate_limit": None}
    try:
        return {**CLIENT_OPTIONS, "rate_limit": RatePolicy.parse(spec)}
    except ValueError as error:
        raise CliError(f"--rate-limit: {error}", USAGE) from None


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    """``--data-dir`` (and ``--verbose``, which every command takes)."""
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log what happens to stderr (keys masked)"
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="keep accounts and local databases in DIR (default: the user data folder)",
    )


def paths_of(options: argparse.Namespace) -> AppPaths:
    """The profile directories the options name (created); CliError when they cannot be."""
    paths = default_paths(options.data_dir)
    try:
        return paths.ensure()
    except OSError as error:
        folder = error.filename or paths.data_dir
        raise CliError(
            f"The data folder {folder} cannot be used ({error.strerror or error}). "
            "Choose another with --data-dir DIR."
        ) from None


def registry_of(paths: AppPaths) -> AccountRegistry:
    """The account list, with a readable error when it is damaged."""
    try:
        return AccountRegistry(paths.accounts_file)
    except AccountError as error:
        raise CliError(str(error), USAGE) from None


def key_from_env(variable: str) -> str:
    """The API key in environment variable ``variable``; CliError when unset or empty."""
    value = os.environ.get(variable, "").strip()
    if not value:
        raise CliError(
            f"The environment variable {variable} is not set (it should hold the API key).", USAGE
        )
    return value


@contextlib.asynccontextmanager
async def open_workspace(options: argparse.Namespace) -> AsyncIterator[Workspace]:
    """The workspace the options name, closed on exit."""
    paths = paths_of(options)
    try:
        if options.base_url:
            if not options.api_key_env:
                raise CliError(
                    "--base-url needs --api-key-env VAR (the variable holding the key).", USAGE
                )
            if options.account:
                raise CliError("Give either --account or --base-url, not both.", USAGE)
            workspace = await Workspace.open_url(
                paths,
                options.base_url,
                key_from_env(options.api_key_env),
                client_options=client_options(options),
            )
        else:
            if options.api_key_env:
                raise CliError("--api-key-env goes with --base-url URL.", USAGE)
            registry = registry_of(paths)
            account = _choose(registry, options.account)
            workspace = await Workspace.open(
                paths,
                account,
                secrets=SecretStore(),
                registry=registry,
                client_options=client_options(options),
            )
    except AccountError as error:
        raise CliError(str(error), USAGE) from None
    except WorkspaceError as error:
        raise CliError(str(error), FAILED) from None
    try:
        yield workspace
    finally:
        await workspace.close()


def _choose(registry: AccountRegistry, name: str | None) -> Any:
    if name:
        return registry.get(name)
    accounts = registry.list()
    if registry.last_used is not None:
        return registry.last_used
    if len(accounts) == 1:
        return accounts[0]
    if not accounts:
        raise CliError(
            "No account yet. Add one with `crmdesk account add NAME --base-url URL`, or pass "
            "--base-url URL --api-key-env VAR.",
            USAGE,
        )
    names = ", ".join(a.name for a in accounts)
    raise CliError(f"Several accounts ({names}): choose one with --account NAME.", USAGE)
