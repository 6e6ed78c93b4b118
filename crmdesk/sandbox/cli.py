"""``crmdesk-sandbox``: run the Pipeline CRM v3 emulator in the foreground.

It prints one line once it accepts connections (with ``--json``: a JSON object with
``base_url``, ``api_keys`` and ``pid``) and stops cleanly on SIGINT/SIGTERM. Started on an
existing ``--db`` file it serves that data as it is (no re-seeding).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import date

from crmdesk.sandbox.db import SandboxDataError
from crmdesk.sandbox.options import (
    DEFAULT_ADMIN_KEY,
    DEFAULT_USER_KEY,
    SCALES,
    Faults,
    RateLimit,
    SandboxOptions,
)
from crmdesk.sandbox.runner import bind_socket, make_server, open_state


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crmdesk-sandbox",
        description="Local emulator of the Pipeline CRM (PipelineDeals) REST API v3.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    parser.add_argument("--db", default=":memory:", help="SQLite file, or :memory:")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
    for name in ("deals", "people", "companies", "notes"):
        parser.add_argument(f"--{name}", type=int, default=None, help=f"number of {name}")
    parser.add_argument("--rate-limit", default="10/5", help="CALLS/SECONDS per key, or off")
    parser.add_argument(
        "--rate-limit-mode",
        choices=("bucket", "window"),
        default="bucket",
        help="token bucket (default) or strict sliding window",
    )
    parser.add_argument("--admin-key", default=None, help=f"default {DEFAULT_ADMIN_KEY}")
    parser.add_argument("--user-key", default=None, help=f"default {DEFAULT_USER_KEY}")
    parser.add_argument("--json", action="store_true", help="first stdout line is JSON")
    parser.add_argument(
        "--anchor-date",
        type=date.fromisoformat,
        default=None,
        help="day the seeded data is dated around (YYYY-MM-DD; default today)",
    )
    parser.add_argument(
        "--upload-limit",
        type=int,
        default=25 * 1024 * 1024,
        help="largest accepted upload in bytes",
    )
    parser.add_argument(
        "--document-fetch-delay",
        type=float,
        default=0.0,
        help="seconds a URL document stays pending before it is fetched",
    )
    parser.add_argument(
        "--no-deleted-endpoint",
        action="store_true",
        help="answer 404 for /<entity>/deleted (its existence is uncertain)",
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="injected latency")
    parser.add_argument(
        "--error-rate", type=float, default=0.0, help="share of requests answered 500/502/503"
    )
    parser.add_argument(
        "--drop-rate",
        type=float,
        default=0.0,
        help="share of requests whose connection is dropped unanswered",
    )
    parser.add_argument(
        "--drop-after-commit-rate",
        type=float,
        default=0.0,
        help="share of writes applied, then dropped unanswered",
    )
    parser.add_argument(
        "--truncate-rate",
        type=float,
        default=0.0,
        help="share of requests handled, then answered with half of their JSON",
    )
    parser.add_argument("--fault-seed", type=int, default=None, help="seed of fault rolls")
    parser.add_argument("--access-log", action="store_true", help="log every request")
    return parser


def options_from(args: argparse.Namespace) -> SandboxOptions:
    """Sandbox options of parsed command-line arguments (ValueError on bad values)."""
    return SandboxOptions(
        scale=args.scale,
        seed=args.seed,
        db=args.db,
        host=args.host,
        port=args.port,
        rate_limit=RateLimit.parse(args.rate_limit),
        rate_limit_mode=args.rate_limit_mode,
        admin_key=args.admin_key or DEFAULT_ADMIN_KEY,
        user_key=args.user_key or DEFAULT_USER_KEY,
        keys_explicit=args.admin_key is not None or args.user_key is not None,
        deals=args.deals,
        people=args.people,
        companies=args.companies,
        notes=args.notes,
        anchor_date=args.anchor_date,
        upload_limit=args.upload_limit,
        document_fetch_delay=args.document_fetch_delay,
        deleted_endpoint=not args.no_deleted_endpoint,
        faults=Faults(
            latency_ms=args.latency_ms,
            error_rate=args.error_rate,
            drop_rate=args.drop_rate,
            drop_after_commit_rate=args.drop_after_commit_rate,
            truncate_rate=args.truncate_rate,
        ),
        fault_seed=args.fault_seed,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox until interrupted; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        options = options_from(args)
    except ValueError as error:
        print(f"crmdesk-sandbox: {error}", file=sys.stderr)
        return 2
    try:
        sock = bind_socket(options.host, options.port)
    except OSError as error:
        print(
            f"crmdesk-sandbox: cannot listen on {options.host}:{options.port}: {error}",
            file=sys.stderr,
        )
        return 1
    try:
        state = open_state(options)
    except (SandboxDataError, OSError, ValueError) as error:
        sock.close()
        print(f"crmdesk-sandbox: {error}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    state.port = port
    host = "127.0.0.1" if options.host in ("0.0.0.0", "::") else options.host
    shown = f"[{host}]" if ":" in host else host
    base_url = f"http://{shown}:{port}/api/v3"
    users = list(state.catalog.users.values())
    keys = {"admin": users[0]["api_key"], "user": users[1]["api_key"]}
    server = make_server(state, access_log=args.access_log)

    def announce() -> None:
        if args.json:
            print(
                json.dumps({"base_url": base_url, "api_keys": keys, "pid": os.getpid()}), flush=True
            )
        else:
            print(
                f"crmdesk sandbox serving {base_url} (admin key {keys['admin']},"
                f" user key {keys['user']}); Ctrl+C stops it",
                flush=True,
            )

    server.on_ready = announce
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        state.db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
