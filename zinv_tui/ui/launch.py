"""Starting the TUI: ``zinv-tui`` (a configured shop) and ``zinv-tui demo`` (the built-in sandbox).

``run_demo`` starts the sandbox in this process on a free loopback port, with its ledger in the user
data directory (``<data dir>/demo/sandbox-<products>.sqlite``; ``ZINV_DATA_DIR`` overrides the data
dir) so movements survive between runs, and simulated POS sales so the table visibly lives. The app
state of the demo (outbox, history) lives under the ``demo`` profile's state directory
(``ZINV_STATE_DIR`` overrides the state dir).

``run_app`` opens the app on the chosen profile; without credentials it says how to configure them
(``zinv-tui login``) and offers the demo.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

NO_API_KEY = 3
"""Exit code when there is no API key (``ExitCode.AUTH``)."""
FIRST_RUN_NOTE = """\
zinv-tui needs a Zettle API key to open your shop ({reason}).

  To connect your shop:   zinv-tui login
  To try it on demo data: zinv-tui demo   (a local Zettle sandbox; nothing leaves this computer)
"""
DEMO_SALES_PER_MINUTE = 6.0
DEMO_POLL_INTERVAL = 2.0
"""Seconds between polls in the demo: the sandbox is local, so poll briskly."""


def demo_database_path(data_dir: Path, products: int, seed: int = 1) -> Path:
    """Where the demo keeps its ledger: one file per catalogue size (and non-default seed)."""
    name = f"sandbox-{products}.sqlite" if seed == 1 else f"sandbox-{products}-seed{seed}.sqlite"
    return data_dir / "demo" / name


def build_app(
    client: Any,
    *,
    state_dir: Path,
    poll_interval: float,
    user: str | None = None,
    demo: bool = False,
    on_exit: list[Callable[[], Awaitable[Any]]] | None = None,
    **app_options: Any,
) -> Any:
    """A ``ZinvApp`` on a new ``InventoryService`` for ``client`` (the app starts and stops it)."""
    from zinv_tui.service import InventoryService
    from zinv_tui.ui.app import ZinvApp

    state_dir.mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = {"state_dir": state_dir, "poll_interval": poll_interval}
    if user:
        options["user"] = user
    service = InventoryService(client, **options)
    return ZinvApp(service, demo=demo, on_exit=on_exit, **app_options)


@contextmanager
def demo_session(
    products: int = 300, seed: int = 1, sales_per_minute: float = DEMO_SALES_PER_MINUTE
) -> Iterator[Any]:
    """The sandbox running in this process and a ``ZinvApp`` (DEMO) on it; stops the sandbox."""
    from zinv_tui.config import DEMO_PROFILE, resolve_paths
    from zinv_tui.sandbox.server import SandboxConfig, SandboxServer
    from zinv_tui.service import open_local_client

    paths = resolve_paths()
    database = demo_database_path(paths.data_dir, products, seed)
    database.parent.mkdir(parents=True, exist_ok=True)
    server = SandboxServer(
        SandboxConfig(
            products=products, seed=seed, db_path=database, sales_per_minute=sales_per_minute
        )
    )
    info = server.start()
    try:
        client = open_local_client(info.url, info.api_key, client_id=info.client_id)
        yield build_app(
            client,
            state_dir=paths.profile_state_dir(DEMO_PROFILE),
            poll_interval=DEMO_POLL_INTERVAL,
            demo=True,
            on_exit=[client.aclose],
        )
    finally:
        server.stop()


def run_demo(args: argparse.Namespace) -> int:
    """``zinv-tui demo [--products N] [--seed S] [--sales-per-minute R]``."""
    sales = getattr(args, "sales_per_minute", None)
    with demo_session(
        products=int(getattr(args, "products", 300)),
        seed=int(getattr(args, "seed", 1)),
        sales_per_minute=DEMO_SALES_PER_MINUTE if sales is None else float(sales),
    ) as app:
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
            return run_demo(argparse.Namespace(products=300, seed=1, sales_per_minute=None))
        if choice != "connected":
            return NO_API_KEY
        api_key = resolve_api_key(settings)
    from zinv_tui.service import open_client

    profile = settings.profile
    client = open_client(
        api_key.value, settings.endpoints(), client_id=profile.client_id, timeout=profile.timeout
    )
    app = build_app(
        client,
        state_dir=settings.state_dir,
        poll_interval=profile.poll_interval,
        user=profile.user,
        on_exit=[client.aclose],
    )
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
