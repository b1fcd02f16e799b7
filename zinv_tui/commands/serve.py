"""``zinv-tui serve``: the app in a web browser (the stockroom tablet), and its password.

    zinv-tui serve                      # this computer only: http://127.0.0.1:8800
    zinv-tui serve --set-password       # store the password (asked twice; hashed, 0600)
    zinv-tui serve --host 0.0.0.0       # the shop's network: refuses to start without a password
    zinv-tui serve --demo               # the demo shop: ONE sandbox for every browser tab

Each browser tab runs its own app process (``zinv-tui`` on the profile, or the served demo's
session); the web server is :mod:`zinv_tui.serve.web`.
"""

from __future__ import annotations

import argparse
import getpass
import os
import shlex
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from zinv_tui.commands.arg_types import non_negative_float, non_negative_int, number_type
from zinv_tui.commands.exit_codes import CommandError, ExitCode
from zinv_tui.config import resolve_paths
from zinv_tui.config.flags import SETTING_FLAGS, settings_from_args
from zinv_tui.config.paths import AppPaths

if TYPE_CHECKING:
    from zinv_tui.serve.demo_session import DemoSandbox

DEFAULT_PORT = 8800
_port = number_type(
    int,
    lambda port: 0 < port <= 65535,
    "is not a port number (1-65535)",
    "{value} is not a port number (1-65535)",
)


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``zinv-tui serve`` (``--profile`` and the setting flags come with it)."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this computer only; any other address "
        "needs a password)",
    )
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="serve the demo shop (one local sandbox for every browser tab) instead of a profile",
    )
    parser.add_argument(
        "--products", type=non_negative_int, default=300, help="demo products (default 300)"
    )
    parser.add_argument(
        "--sales-per-minute",
        type=non_negative_float,
        default=None,
        help="the demo's simulated POS sales per minute (default 6)",
    )
    parser.add_argument(
        "--history-days",
        type=non_negative_int,
        default=None,
        help="days of past sales to generate when the demo shop is first made (default 60)",
    )
    parser.add_argument(
        "--public-url",
        default=None,
        metavar="URL",
        help="the address browsers use, when a TLS reverse proxy is in front (https://...)",
    )
    parser.add_argument(
        "--set-password",
        action="store_true",
        help="store the password that browsers must give (asked twice, or one line on stdin); "
        "kept as a scrypt hash in the config dir, readable only by you",
    )


def cmd_serve(args: argparse.Namespace) -> int:
    """``zinv-tui serve``: set the password, or check what is asked and serve until Ctrl+C."""
    from zinv_tui.serve.hosts import is_loopback
    from zinv_tui.serve.password import PasswordError, load_password

    paths = resolve_paths()
    if args.set_password:
        return set_password(paths.config_dir)
    if args.demo and getattr(args, "profile", None) is not None:
        raise CommandError("choose --demo or --profile, not both", ExitCode.USAGE)
    public_url = _public_url(args.public_url)
    try:
        password = load_password(paths.config_dir)
    except PasswordError as error:
        raise CommandError(f"{error}; set it again with `zinv-tui serve --set-password`") from None
    if password is None and not is_loopback(args.host):
        raise CommandError(
            f"serving on {args.host} lets other computers in, so it needs a password: run "
            "`zinv-tui serve --set-password` first (or serve on 127.0.0.1, this computer only)",
            ExitCode.USAGE,
        )
    if password is None and public_url is not None:
        raise CommandError(
            "--public-url is for browsers on other computers (through a proxy), so it needs a "
            "password: run `zinv-tui serve --set-password` first",
            ExitCode.USAGE,
        )
    from zinv_tui.serve.web import ZinvServer

    with ExitStack() as stack:
        if args.demo:
            sandbox = stack.enter_context(_demo_sandbox(args, paths))
            _export_environment(sandbox.environment())
            command = shlex.join([sys.executable, "-m", "zinv_tui.serve.demo_session"])
            what = "the demo shop"
            print(
                f"zinv-tui serve: demo sandbox at {sandbox.url} (its ledger: /sandbox/ledger)",
                flush=True,
            )
        else:
            settings = settings_from_args(args)  # a bad profile or setting stops here (exit 2)
            command = shlex.join([sys.executable, "-m", "zinv_tui", *profile_arguments(args)])
            what = f"profile {settings.profile_name!r}"
        url = public_url or f"http://{_url_host(args.host)}:{args.port}"
        guard = "password required" if password is not None else "no password: this computer only"
        server = ZinvServer(
            command,
            host=args.host,
            port=args.port,
            password=password,
            title="zinv-tui demo" if args.demo else "zinv-tui",
            public_url=public_url,
            announce=f"zinv-tui serve: {what} on {url} ({guard}); Ctrl+C stops",
        )
        try:
            server.serve()
        except OSError as error:
            raise CommandError(
                f"cannot listen on {args.host}:{args.port}: {error.strerror or error}"
            ) from None
    return int(ExitCode.OK)


def set_password(config_dir: Path) -> int:
    """Ask for the new password (twice at a terminal; one line from a pipe) and store its hash."""
    from zinv_tui.serve.password import PasswordError, store_password

    if sys.stdin.isatty():
        first = getpass.getpass("New password for zinv-tui serve: ")
        if getpass.getpass("The same again: ") != first:
            raise CommandError("the two passwords differ; nothing was changed", ExitCode.USAGE)
    else:
        first = sys.stdin.readline().rstrip("\r\n")
    try:
        path = store_password(config_dir, first)
    except PasswordError as error:
        raise CommandError(f"{error}; nothing was changed", ExitCode.USAGE) from None
    print(f"The serve password is stored (as a scrypt hash) in {path}")
    return int(ExitCode.OK)


def _public_url(text: str | None) -> str | None:
    if text is None:
        return None
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise CommandError(
            f"--public-url {text}: must be http:// or https:// and a host, without a path",
            ExitCode.USAGE,
        )
    return f"{parts.scheme}://{parts.netloc}"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def profile_arguments(args: argparse.Namespace) -> list[str]:
    """The profile and setting flags given to ``serve``, for each tab's ``zinv-tui``."""
    given: list[str] = []
    if getattr(args, "profile", None) is not None:
        given += ["--profile", str(args.profile)]
    for key in SETTING_FLAGS:
        if hasattr(args, key):
            given += ["--" + key.replace("_", "-"), str(getattr(args, key))]
    return given


def _export_environment(variables: dict[str, str]) -> None:
    """Hand values to every tab's process (textual-serve passes this process's environment on)."""
    os.environ.update(variables)


@contextmanager
def _demo_sandbox(args: argparse.Namespace, paths: AppPaths) -> Iterator[DemoSandbox]:
    """The served demo's one sandbox, running in this process on the demo's ledger file."""
    from zinv_tui.sandbox.server import SandboxConfig, SandboxServer
    from zinv_tui.serve.demo_session import DemoSandbox
    from zinv_tui.ui.launch import (
        DEMO_HISTORY_DAYS,
        DEMO_LOG_FILE,
        DEMO_SALES_PER_MINUTE,
        demo_database_path,
        demo_profile,
    )

    products = int(args.products)
    sales = args.sales_per_minute
    database = demo_database_path(paths.data_dir, products)
    database.parent.mkdir(parents=True, exist_ok=True)
    # The same shop, outbox and log as `zinv-tui demo --products N` (one profile per shop size).
    state_dir = paths.profile_state_dir(demo_profile(products))
    state_dir.mkdir(parents=True, exist_ok=True)
    server = SandboxServer(
        SandboxConfig(
            products=products,
            db_path=database,
            sales_per_minute=DEMO_SALES_PER_MINUTE if sales is None else float(sales),
            history_days=DEMO_HISTORY_DAYS if args.history_days is None else args.history_days,
            log_path=state_dir / DEMO_LOG_FILE,
        )
    )
    info = server.start()
    try:
        yield DemoSandbox(info.url, info.api_key, info.client_id, state_dir)
    finally:
        server.stop()
