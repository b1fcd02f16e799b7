"""Starting the TUI: ``zinv-tui`` (a configured shop) and ``zinv-tui demo`` (the built-in sandbox).

``run_demo`` starts the sandbox in this process on a free loopback port, with its ledger in the user
data directory (``<data dir>/demo/sandbox-<products>.sqlite``; ``ZINV_DATA_DIR`` overrides the data
dir) so movements survive between runs, and simulated POS sales so the table visibly lives. Each
shop size has its own app state (outbox, history, counts) under its own profile's state directory:
``demo`` for the default 300 products, ``demo-<products>`` otherwise (``ZINV_STATE_DIR`` overrides
the state dir), so movements of one demo shop are never sent to another. The in-process sandbox
never writes to the terminal (the TUI owns it): it logs to ``sandbox.log`` in that directory.

``run_app`` opens the app on the chosen profile; without credentials it says how to configure them
(``zinv-tui login``) and offers the demo.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

NO_API_KEY = 3
"""Exit code when there is no API key (``ExitCode.AUTH``)."""
FIRST_RUN_NOTE = """\
zinv-tui needs a Zettle API key to open your shop ({reason}).

  To connect your shop:   zinv-tui login
  To try it on demo data: zinv-tui demo   (a local Zettle sandbox; nothing leaves this computer)
"""
DEMO_PRODUCTS = 300
"""The size of the default demo shop (the one under the ``demo`` profile)."""
DEMO_LOG_FILE = "sandbox.log"
DEMO_SALES_PER_MINUTE = 6.0
DEMO_HISTORY_DAYS = 60
"""Days of past sales a new demo shop starts with (enough for 28- and 56-day reorder windows; about
0.7 s of CPU once, when the demo ledger is first made)."""
DEMO_POLL_INTERVAL = 2.0
"""Seconds between polls in the demo: the sandbox is local, so poll briskly."""


def demo_database_path(data_dir: Path, products: int, seed: int = 1) -> Path:
    """Where the demo keeps its ledger: one file per catalogue size (and non-default seed)."""
    name = f"sandbox-{products}.sqlite" if seed == 1 else f"sandbox-{products}-seed{seed}.sqlite"
    return data_dir / "demo" / name


def demo_profile(products: int, seed: int = 1) -> str:
    """The profile (state directory) of a demo shop: one per catalogue size and seed."""
    from zinv_tui.config import DEMO_PROFILE

    if products == DEMO_PRODUCTS and seed == 1:
        return DEMO_PROFILE
    name = f"{DEMO_PROFILE}-{products}"
    return name if seed == 1 else f"{name}-seed{seed}"


def build_app(
    service: Any,
    *,
    demo: bool = False,
    on_exit: list[Callable[[], Awaitable[Any]]] | None = None,
    **app_options: Any,
) -> Any:
    """A ``ZinvApp`` on ``service`` (built by :mod:`zinv_tui.build`; the app starts it, and stops
    it, with its backend, when it ends)."""
    from zinv_tui.ui.app import ZinvApp

    return ZinvApp(service, demo=demo, on_exit=[service.stop, *(on_exit or [])], **app_options)


class DemoUnavailable(Exception):
    """The demo's sandbox could not start (its database or the loopback port failed)."""


@contextmanager
def demo_session(
    products: int = DEMO_PRODUCTS,
    seed: int = 1,
    sales_per_minute: float = DEMO_SALES_PER_MINUTE,
    history_days: int = DEMO_HISTORY_DAYS,
) -> Iterator[Any]:
    """The sandbox running in this process and a ``ZinvApp`` (DEMO) on it; stops the sandbox.

    The sandbox logs to ``sandbox.log`` in the shop's state directory, never to the terminal.
    """
    from zinv_tui.build import ShopAccess, open_inventory
    from zinv_tui.config import resolve_paths
    from zinv_tui.sandbox.server import SandboxConfig, SandboxServer

    paths = resolve_paths()
    database = demo_database_path(paths.data_dir, products, seed)
    database.parent.mkdir(parents=True, exist_ok=True)
    state_dir = paths.profile_state_dir(demo_profile(products, seed))
    state_dir.mkdir(parents=True, exist_ok=True)
    server = SandboxServer(
        SandboxConfig(
            products=products,
            seed=seed,
            db_path=database,
            sales_per_minute=sales_per_minute,
            history_days=history_days,
            log_path=state_dir / DEMO_LOG_FILE,
        )
    )
    try:
        info = server.start()
    except (sqlite3.Error, OSError, RuntimeError) as error:
        raise DemoUnavailable(
            f"the demo shop cannot start ({error}); its database is {database}"
        ) from error
    try:
        service = open_inventory(
            ShopAccess.local(info.url, info.api_key, info.client_id),
            state_dir=state_dir,
            cache_dir=paths.profile_cache_dir(demo_profile(products, seed)),
            poll_interval=DEMO_POLL_INTERVAL,
            snapshot_profile=demo_profile(products, seed),
        )
        yield build_app(service, demo=True)
    finally:
        server.stop()


def run_demo(args: argparse.Namespace) -> int:
    """``zinv-tui demo [--products N] [--seed S] [--sales-per-minute R] [--history-days D]``."""
    sales = getattr(args, "sales_per_minute", None)
    history = getattr(args, "history_days", None)
    with ExitStack() as stack:
        try:
            app = stack.enter_context(
                demo_session(
                    products=int(getattr(args, "products", DEMO_PRODUCTS)),
                    seed=int(getattr(args, "seed", 1)),
                    sales_per_minute=DEMO_SALES_PER_MINUTE if sales is None else float(sales),
                    history_days=DEMO_HISTORY_DAYS if history is None else int(history),
                )
            )
        except DemoUnavailable as error:
            print(f"zinv-tui demo: {error}", file=sys.stderr)
            return 1
        app.run()
        return int(app.return_code or 0)


def run_app(args: argparse.Namespace) -> int:
    """``zinv-tui`` without a command: the TUI on the chosen profile, or help to get started."""
    from zinv_tui.config import CredentialsError, resolve_api_key

    settings = _settings(args)
    try:
        api_key = resolve_api_key(settings)
    except CredentialsError as error:
        choice = first_run(settings, str(error))
        if choice == "demo":
            return run_demo(
                argparse.Namespace(products=DEMO_PRODUCTS, seed=1, sales_per_minute=None)
            )
        if choice != "connected":
            return NO_API_KEY
        api_key = resolve_api_key(settings)
    from zinv_tui.build import inventory_for

    app = build_app(inventory_for(settings, api_key.value, snapshot=True))
    app.run()
    return int(app.return_code or 0)


def first_run(settings: Any, reason: str) -> str:
    """No API key: the first-run screen where a screen is (a terminal, or a browser tab of
    ``zinv-tui serve``, whose driver talks through pipes), else a printed note; the choice."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()) and not os.environ.get("TEXTUAL_DRIVER"):
        print(FIRST_RUN_NOTE.format(reason=reason), file=sys.stderr)
        return "quit"
    from zinv_tui.ui.screens.first_run import FirstRunApp

    result = FirstRunApp(settings, reason=reason).run()
    return "quit" if result is None else str(result.choice)


def _settings(args: argparse.Namespace) -> Any:
    from zinv_tui.config import settings_from_args

    return settings_from_args(args)
