"""``crmdesk account add|list|remove``."""

from __future__ import annotations

import argparse
import getpass

from crmdesk.cli.output import FAILED, OK, USAGE, CliError, emit_json, say, table
from crmdesk.cli.session import (
    add_data_dir,
    client_options,
    key_from_env,
    paths_of,
    registry_of,
)
from crmdesk.services.accounts import DEFAULT_BASE_URL, AccountError, normalize_base_url
from crmdesk.services.secrets import ENV_VAR, SecretStore, SecretUnavailable
from crmdesk.services.workspace import WorkspaceError, who_is
from crmdesk.store import Store


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``account`` command and its subcommands."""
    parser = commands.add_parser("account", help="add, list or remove accounts")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add an account (asks for its API key)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--base-url", metavar="URL", default=DEFAULT_BASE_URL)
    add.add_argument("--app-key", metavar="KEY", help="an app key, if the account needs one")
    add.add_argument(
        "--api-key-env", metavar="VAR", help="read the key from environment variable VAR"
    )
    add.add_argument("--rate-limit", metavar="N/S", default="10/5", help=argparse.SUPPRESS)
    add_data_dir(add)
    add.set_defaults(run=add_account)
    listing = sub.add_parser("list", help="the accounts crmdesk knows")
    listing.add_argument("--json", action="store_true", help="print one JSON document")
    add_data_dir(listing)
    listing.set_defaults(run=list_accounts)
    remove = sub.add_parser("remove", help="forget an account and its stored key")
    remove.add_argument("name", metavar="NAME")
    add_data_dir(remove)
    remove.set_defaults(run=remove_account)


async def add_account(options: argparse.Namespace) -> int:
    """Check the key against ``/profile``, register the account, keep the key safely."""
    paths = paths_of(options)
    registry = registry_of(paths)
    try:
        url = normalize_base_url(options.base_url)
    except AccountError as error:
        raise CliError(str(error), USAGE) from None
    if any(a.name == options.name.strip() for a in registry.list()):
        raise CliError(f"An account named {options.name!r} already exists.", USAGE)
    if options.api_key_env:
        key = key_from_env(options.api_key_env)
    else:
        key = getpass.getpass(f"API key for {options.name} (input hidden): ").strip()
    if not key:
        raise CliError("No API key given; nothing was added.", USAGE)
    try:
        profile = await who_is(url, key, options.app_key, client_options(options))
    except WorkspaceError as error:
        raise CliError(f"{error} Nothing was added.", FAILED) from None
    secrets = SecretStore()
    status = await secrets.status()
    try:
        account = registry.add(options.name, url, app_key=options.app_key)
    except AccountError as error:
        raise CliError(str(error), USAGE) from None
    account = registry.set_user(account, int(profile.user.id), profile.user.full_name)
    registry.mark_used(account)
    stored = False
    if status.usable:
        try:
            await secrets.put(account.id, key)
            stored = True
        except SecretUnavailable as error:
            say(str(error))
    say(f"Added account {account.name!r}: {profile.user.full_name} on {url}.")
    if not stored:
        reason = status.reason or "the keyring refused the key"
        say(
            f"No secure system keyring is available ({reason}), and crmdesk never writes API "
            f"keys to plain files, so the key was not kept. Set the {ENV_VAR} environment "
            "variable to the key when you run crmdesk (or use --base-url URL --api-key-env VAR)."
        )
    return OK


async def list_accounts(options: argparse.Namespace) -> int:
    """Print the registered accounts (never their keys)."""
    registry = registry_of(paths_of(options))
    accounts = registry.list()
    last = registry.last_used
    if options.json:
        emit_json(
            [
                {
                    "name": a.name,
                    "base_url": a.base_url,
                    "user_id": a.user_id,
                    "user_name": a.user_name,
                    "default": last is not None and a.id == last.id,
                }
                for a in accounts
            ]
        )
        return OK
    if not accounts:
        say("No accounts yet: add one with `crmdesk account add NAME --base-url URL`.")
        return OK
    rows = [
        ("*" if last is not None and a.id == last.id else "", a.name, a.base_url, a.user_name or "")
        for a in accounts
    ]
    table(("", "NAME", "SERVER", "USER"), rows)
    return OK


async def remove_account(options: argparse.Namespace) -> int:
    """Forget an account and its key; its local database stays (it may hold changes)."""
    paths = paths_of(options)
    registry = registry_of(paths)
    try:
        account = registry.get(options.name)
    except AccountError as error:
        raise CliError(str(error), USAGE) from None
    waiting = 0
    directory = None
    if account.user_id is not None:
        directory = paths.account_dir(account.base_url, account.user_id)
        database = directory / "store.db"
        if database.exists():
            with Store.open(database, check=False) as store:
                waiting = store.read().outbox.counts().total
    registry.remove(account.name)
    try:
        await SecretStore().forget(account.id)
    except SecretUnavailable as error:
        say(f"The key could not be removed from the keyring: {error}")
    say(f"Removed account {account.name!r} and its stored key.")
    if directory is not None and directory.exists():
        note = f" It holds {waiting} change(s) never sent." if waiting else ""
        say(f"Its local data stays in {directory}.{note}")
    return OK
