"""Running the sandbox: open (or seed) the database, serve it with uvicorn on a thread or
in the foreground, stop cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from types import FrameType, TracebackType
from typing import Any

import uvicorn

from crmdesk.sandbox.app import build_app
from crmdesk.sandbox.db import Database, SandboxDataError
from crmdesk.sandbox.options import Faults, RateLimit, SandboxOptions
from crmdesk.sandbox.seed import seed_database
from crmdesk.sandbox.state import SandboxState

log = logging.getLogger(__name__)

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def open_state(options: SandboxOptions) -> SandboxState:
    """Open ``options.db``: serve an existing sandbox database as it is, else seed one."""
    db = Database(options.db)
    try:
        if db.existed and db.is_initialised():
            db.check_version()
            db.take_over()
            if options.keys_explicit:
                _replace_keys(db, options)
        elif db.existed and db.has_tables():
            raise SandboxDataError(
                f"{options.db} is not a sandbox database (or its seeding was interrupted);"
                " refusing to write into it - choose a new --db file"
            )
        else:
            db.take_over()
            seed_database(db, options)
    except BaseException:
        db.close()
        raise
    return SandboxState(options, db)


def _replace_keys(db: Database, options: SandboxOptions) -> None:
    """Give the first two users the keys asked for (restart with explicit --*-key)."""
    ids = [row[0] for row in db.conn.execute("SELECT id FROM users ORDER BY id LIMIT 2")]
    with db.transaction():
        # Park the keys first so the swap never collides with the UNIQUE constraint.
        for user_id in ids:
            db.conn.execute("UPDATE users SET api_key = ? WHERE id = ?", (f"~{user_id}", user_id))
        for user_id, key in zip(ids, (options.admin_key, options.user_key), strict=False):
            db.conn.execute("UPDATE users SET api_key = ? WHERE id = ?", (key, user_id))


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket (port 0 picks a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP (not 0): asyncio only sets TCP_NODELAY on accepted sockets
    # of a TCP-proto listener, and without it every keep-alive answer waits ~40 ms for a
    # delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class SandboxServer(uvicorn.Server):
    """uvicorn's server with a prompt stop and the sandbox's own shutdown."""

    def __init__(self, config: uvicorn.Config, state: SandboxState) -> None:
        super().__init__(config)
        self.state = state
        self.ready = threading.Event()
        self.on_ready: Callable[[], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self.state.find_transport = self._find_transport
        await super().startup(sockets)
        if self.started and self.on_ready is not None:
            self.on_ready()
        self.ready.set()

    def _find_transport(self, client: Any) -> asyncio.BaseTransport | None:
        wanted = tuple(client) if client else None
        for connection in list(self.server_state.connections):
            if getattr(connection, "client", None) == wanted:
                transport: asyncio.BaseTransport | None = getattr(connection, "transport", None)
                return transport
        return None

    async def main_loop(self) -> None:
        assert self._wake is not None
        while not self.should_exit:
            await self.on_tick(0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1.0)

    def request_stop(self) -> None:
        """Ask the server to stop (from any thread)."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wake.set)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Unlike uvicorn, do not re-raise the signal after a graceful stop: SIGINT/SIGTERM
        # end the command with status 0.
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in _SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self.request_stop()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        for task in list(self.state.tasks):
            task.cancel()
        self.state.fetcher.shutdown(wait=False, cancel_futures=True)
        pending = {*self.server_state.tasks, *self.state.tasks}
        if pending:
            await asyncio.wait(pending, timeout=2.0)
        for task in list(self.server_state.tasks):
            task.cancel()
        for server in self.servers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), 1.0)


def make_server(state: SandboxState, access_log: bool = False) -> SandboxServer:
    """A uvicorn server for ``state`` (logging left to the host program)."""
    config = uvicorn.Config(
        build_app(state),
        host=state.options.host,
        port=state.options.port,
        lifespan="off",
        log_config=None,
        access_log=access_log,
        http="h11",
        ws="none",
        timeout_keep_alive=30,
        server_header=False,
    )
    return SandboxServer(config, state)


class Sandbox:
    """A running sandbox on a background thread of this process.

    ``Sandbox.start(...)`` returns once it accepts connections; ``stop()`` (or leaving a
    ``with`` block) shuts it down and, for ``db=":memory:"``, forgets the data.
    """

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self._state: SandboxState | None = None
        self._server: SandboxServer | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.port = 0

    @classmethod
    def start(
        cls,
        scale: str = "tiny",
        seed: int = 1,
        db: str = ":memory:",
        rate_limit: str | RateLimit | None = "10/5",
        *,
        rate_limit_mode: str = "bucket",
        port: int = 0,
        host: str = "127.0.0.1",
        faults: Faults | None = None,
        **options: Any,
    ) -> Sandbox:
        """Start a sandbox; keyword options are those of ``SandboxOptions``."""
        settings = SandboxOptions(
            scale=scale,  # type: ignore[arg-type]
            seed=seed,
            db=str(db),
            rate_limit=RateLimit.parse(rate_limit),
            rate_limit_mode=rate_limit_mode,  # type: ignore[arg-type]
            port=port,
            host=host,
            faults=faults or Faults(),
            keys_explicit="admin_key" in options or "user_key" in options,
            **options,
        )
        sandbox = cls(settings)
        sandbox._run()
        return sandbox

    def _run(self) -> None:
        state = open_state(self.options)
        sock = bind_socket(self.options.host, self.options.port)
        self.port = sock.getsockname()[1]
        state.port = self.port
        server = make_server(state)
        self._state, self._server = state, server

        def serve() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as error:  # reported to start(); never lost
                self._error = error
            finally:
                server.ready.set()
                sock.close()
                state.db.close()

        self._thread = threading.Thread(target=serve, name=f"sandbox:{self.port}", daemon=True)
        self._thread.start()
        if not server.ready.wait(30) or self._error is not None or not server.started:
            self.stop()
            raise RuntimeError(f"the sandbox did not start: {self._error!r}")

    # ------------------------------------------------------------------ addresses
    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:<port>`` (control path and document links live here)."""
        host = self.options.host
        shown = f"[{host}]" if ":" in host else host
        if host in ("0.0.0.0", "::"):
            shown = "127.0.0.1"
        return f"http://{shown}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/api/v3``."""
        return f"{self.root_url}/api/v3"

    @property
    def control_url(self) -> str:
        """``http://127.0.0.1:<port>/_sandbox`` (loopback only)."""
        return f"{self.root_url}/_sandbox"

    @property
    def admin_key(self) -> str:
        """API key of the admin user (the first user)."""
        return self._key(0)

    @property
    def user_key(self) -> str:
        """API key of the basic-level user (the second user)."""
        return self._key(1)

    def _key(self, index: int) -> str:
        state = self._require()
        return str(list(state.catalog.users.values())[index]["api_key"])

    def _require(self) -> SandboxState:
        if self._state is None:
            raise RuntimeError("the sandbox is not running")
        return self._state

    # ------------------------------------------------------------------ run-time switches
    def set_faults(self, faults: Faults | None = None, **settings: Any) -> Faults:
        """Replace the injected faults (``set_faults()`` switches them all off)."""
        values: dict[str, Any] = {
            k: tuple(v) if k in ("error_statuses", "methods") else v for k, v in settings.items()
        }
        chosen = faults if faults is not None else Faults(**values)
        self._call(lambda state: state.set_faults(chosen))
        return chosen

    def set_rate_limit(self, rate_limit: str | RateLimit | None, mode: str | None = None) -> None:
        """Change the rate limit (and mode) at run time; counters restart."""
        limit = RateLimit.parse(rate_limit)
        if mode not in (None, "bucket", "window"):
            raise ValueError("mode must be 'bucket' or 'window'")
        self._call(lambda state: state.limiter.configure(limit, mode))

    def _call(self, action: Any) -> None:
        state = self._require()
        server = self._server
        loop = server._loop if server is not None else None
        if loop is None or loop.is_closed():
            action(state)
            return
        done = threading.Event()

        def run() -> None:
            try:
                action(state)
            finally:
                done.set()

        loop.call_soon_threadsafe(run)
        done.wait(10)

    # ------------------------------------------------------------------ stop
    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._server is not None:
            self._server.request_stop()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
