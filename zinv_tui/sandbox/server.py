"""Running the sandbox: configuration, the uvicorn server in a background thread, and the
``zinv-tui sandbox`` command.

>>> with SandboxServer(SandboxConfig(products=50)) as info:
...     info.url            # 'http://127.0.0.1:<free port>'
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import random
import signal
import socket
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import uvicorn

from zinv_tui.sandbox.app import build_app
from zinv_tui.sandbox.catalogue import ProductCatalogue
from zinv_tui.sandbox.demo_data import generate_shop
from zinv_tui.sandbox.faults import FaultController, FaultSettings, quiet_dropped_connections
from zinv_tui.sandbox.history import load_shop_with_history
from zinv_tui.sandbox.inventory import Inventory
from zinv_tui.sandbox.logs import SandboxLog
from zinv_tui.sandbox.purchases import open_purchase_book
from zinv_tui.sandbox.state import SandboxState
from zinv_tui.sandbox.store import LedgerStore
from zinv_tui.sandbox.store_thread import StoreThread
from zinv_tui.sandbox.tokens import TokenRegistry, make_api_key

_START_TIMEOUT = 60.0
_log = logging.getLogger(__name__)
_server_numbers = itertools.count(1)


@dataclass(frozen=True)
class SandboxConfig:
    """How to run a sandbox. ``db_path=None`` keeps the ledger in memory; ``log_path=None`` logs
    warnings to stderr, a path logs everything there (access log included) and nothing to the
    terminal."""

    products: int = 300
    seed: int = 1
    db_path: str | Path | None = None
    sales_per_minute: float = 0.0
    host: str = "127.0.0.1"
    port: int = 0
    token_ttl: int = 7200
    latency_ms: float = 0.0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    throttle: bool = False
    drop_phase: Literal["both", "before", "after"] = "both"
    fault_seed: int | None = None
    bug_rate: float = 0.0
    log_path: str | Path | None = None
    history_days: int = 0
    """Days of past sales to generate with a new shop (``sandbox/history.py``)."""
    history_per_day: int | None = None
    """Receipts on an average weekday of that history (default: grows with the catalogue)."""
    history_end: datetime | None = None
    """Where that history ends (default: now); pinned for pictures that must not change."""
    api: Literal["v1", "v3", "both"] = "both"
    """Which inventory API generations answer (the other one's paths are 404s)."""
    idempotency: Literal["keyed", "none"] = "keyed"
    """v1's ``externalUuid``: a repeat answers the first reply (``keyed``) or is applied again
    (``none``: a Zettle that does not deduplicate). v3's ``identifier`` never deduplicates."""


@dataclass(frozen=True)
class SandboxInfo:
    """Where a running sandbox is and how to log in to it (the key never shows in a repr)."""

    url: str
    api_key: str = field(repr=False)
    client_id: str
    organization_uuid: str

    def to_json(self) -> dict[str, str]:
        """The ready-file document."""
        return {
            "url": self.url,
            "api_key": self.api_key,
            "client_id": self.client_id,
            "organization_uuid": self.organization_uuid,
        }


def build_state(config: SandboxConfig, thread_name: str = "zinv-sandbox") -> SandboxState:
    """Open (or create and fill) the database and assemble the sandbox's state.

    An existing database that already holds a shop is reused as it is (no regeneration).
    ``thread_name`` names the store's thread (``<thread_name>-db``).
    """
    store = LedgerStore(config.db_path)
    if store.is_empty():
        shop = generate_shop(config.products, config.seed)
        if config.history_days > 0:
            load_shop_with_history(store, shop, config)
        else:
            store.load_shop(shop, config.products)
    organization = store.meta("organization_uuid") or ""
    secret = bytes.fromhex(store.meta("key_secret") or "")
    key = make_api_key(
        secret=secret,
        client_id=store.meta("client_id") or "",
        organization_uuid=organization,
        user_uuid=store.meta("user_uuid") or "",
        issued_at=int(store.meta("key_issued_at") or 0),
    )
    faults = FaultSettings(
        latency_ms=config.latency_ms,
        error_rate=config.error_rate,
        bug_rate=config.bug_rate,
        drop_rate=config.drop_rate,
        drop_phase=config.drop_phase,
        throttle=config.throttle,
        token_ttl=max(1, config.token_ttl),
        seed=config.fault_seed,
    )
    tokens = TokenRegistry(ttl=faults.token_ttl)
    tokens.add_key(key)
    inventory = Inventory(store, keyed=config.idempotency == "keyed")
    return SandboxState(
        organization_uuid=organization,
        api_key=key,
        inventory=inventory,
        purchases=open_purchase_book(inventory, organization),
        tokens=tokens,
        catalogue=ProductCatalogue(store, store.meta("user_uuid") or ""),
        faults=FaultController(faults),
        db=StoreThread(f"{thread_name}-db"),
        sales_per_minute=config.sales_per_minute,
        sales_rng=random.Random(f"sales-{config.seed}"),
        key_secret=secret,
        api=config.api,
    )


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in {"", "0.0.0.0"} else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


class SandboxServer:
    """A sandbox served by uvicorn in a background thread; a context manager.

    Its threads are named ``zinv-sandbox-<n>`` (the server) and ``zinv-sandbox-<n>-db`` (the
    store); its log records go where :class:`~zinv_tui.sandbox.logs.SandboxLog` says (a file with
    ``log_path``, else stderr), never through the root logger.
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.state: SandboxState | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._info: SandboxInfo | None = None
        self._socket: socket.socket | None = None
        self._log: SandboxLog | None = None

    @property
    def info(self) -> SandboxInfo:
        """Connection details; only after :meth:`start`."""
        if self._info is None:
            raise RuntimeError("the sandbox is not running")
        return self._info

    def start(self) -> SandboxInfo:
        """Build the state, bind the port and return once the server accepts connections."""
        if self._thread is not None:
            return self.info
        name = f"zinv-sandbox-{next(_server_numbers)}"
        log = SandboxLog(name, self.config.log_path)
        log.attach()
        quiet_dropped_connections()
        try:
            state = build_state(self.config, name)
        except BaseException:
            log.detach()
            raise
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto says
        # TCP; without it every answer waits ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.config.host, self.config.port))
        except OSError:
            sock.close()
            _close_state(state)
            log.detach()
            raise
        port = sock.getsockname()[1]
        state.url = _url(self.config.host, port)
        server = uvicorn.Server(
            uvicorn.Config(
                build_app(state),
                log_config=None,  # never uvicorn's terminal handlers: SandboxLog decides
                log_level=None,
                access_log=True,  # False would strip every handler off uvicorn.access
                lifespan="on",
                timeout_graceful_shutdown=2,
                timeout_keep_alive=5,
            )
        )
        thread = threading.Thread(target=_serve, args=(server, sock), name=name, daemon=True)
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(5)
                sock.close()
                _close_state(state)
                log.detach()
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)
        self.state, self._server, self._thread, self._socket = state, server, thread, sock
        self._log = log
        self._info = SandboxInfo(
            url=state.url,
            api_key=state.api_key.value,
            client_id=state.api_key.client_id,
            organization_uuid=state.organization_uuid,
        )
        return self._info

    def stop(self) -> None:
        """Stop serving, wait for the thread, close the database and the log."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(15)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(5)
        if self._socket is not None:
            self._socket.close()
        if self.state is not None:
            _close_state(self.state)
        if self._log is not None:
            self._log.detach()
        self._server = self._thread = self._socket = self._log = None

    def __enter__(self) -> SandboxInfo:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
    """The server thread: uvicorn until it stops; a crash goes to the sandbox's log."""
    try:
        server.run(sockets=[sock])
    except BaseException:  # never to the terminal via threading.excepthook
        _log.exception("the sandbox server stopped on an error")


def _close_state(state: SandboxState) -> None:
    state.db.close()
    state.inventory.store.close()


def write_ready_file(path: str | Path, info: SandboxInfo) -> None:
    """Write the ready-file JSON atomically (temp file in the same folder, then rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".ready-", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(info.to_json(), handle)
        os.chmod(temp, 0o600)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """The :class:`SandboxConfig` of ``zinv-tui sandbox`` flags."""
    return SandboxConfig(
        products=args.products,
        seed=args.seed,
        db_path=args.db,
        sales_per_minute=args.sales_per_minute,
        host=args.host,
        port=args.port,
        token_ttl=args.token_ttl,
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        drop_rate=args.drop_rate,
        throttle=args.throttle,
        drop_phase=getattr(args, "drop_phase", "both"),
        fault_seed=getattr(args, "fault_seed", None),
        history_days=getattr(args, "history_days", 0) or 0,
        api=getattr(args, "api", "both"),
        idempotency=getattr(args, "idempotency", "keyed"),
        log_path=getattr(args, "log", None),
    )


def serve_from_args(args: argparse.Namespace) -> int:
    """``zinv-tui sandbox``: serve until SIGINT/SIGTERM, then stop cleanly and return 0."""
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = SandboxServer(config_from_args(args))
    try:
        try:
            info = server.start()
        except sqlite3.Error as error:
            print(f"zinv-tui sandbox: cannot use the database {args.db}: {error}", file=sys.stderr)
            return 1
        except OSError as error:
            print(
                f"zinv-tui sandbox: cannot listen on {args.host}:{args.port}: {error}",
                file=sys.stderr,
            )
            return 1
        products, variants = server.state.inventory.store.counts() if server.state else (0, 0)
        print(f"Zettle sandbox listening on {info.url}", flush=True)
        print(
            f"  organization {info.organization_uuid}, {products} products / {variants} variants"
            f"{' in ' + str(args.db) if args.db else ' (in memory)'}",
            flush=True,
        )
        print(
            f"  API key {info.api_key[:10]}... (full key: GET {info.url}/sandbox/info"
            f"{' or ' + str(args.ready_file) if args.ready_file else ''}), "
            f"client_id {info.client_id}",
            flush=True,
        )
        config = server.config
        served = {"v1": "v1 only", "v3": "v3 only", "both": "v1 and v3"}[config.api]
        print(
            f"  inventory API {served}"
            + ("" if config.api == "v3" else f"; v1 externalUuid {config.idempotency}"),
            flush=True,
        )
        if args.ready_file:
            write_ready_file(args.ready_file, info)
        print("Press Ctrl+C to stop.", flush=True)
        while not stop.wait(0.5):
            pass
        return 0
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
