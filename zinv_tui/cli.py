"""Command line: argument parsing and one function per command. The work lives in the layers."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from zinv_tui import __version__


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0-65535)")
    return port


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} must be zero or more")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} must be a finite number, zero or more")
    return value


def _rate(text: str) -> float:
    value = _non_negative_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"{text} must be a fraction between 0 and 1")
    return value


def add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags shared by ``zinv-tui sandbox`` (and reused by the demo)."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=_port, default=8700, help="port (0 picks a free one)")
    parser.add_argument("--db", default=None, help="SQLite file for the ledger (default: in memory)")
    parser.add_argument(
        "--products", type=_non_negative_int, default=300, help="demo products (default 300)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the demo data (default 1)")
    parser.add_argument(
        "--sales-per-minute",
        type=_non_negative_float,
        default=0.0,
        help="simulated POS sales per minute (STORE to SOLD)",
    )
    parser.add_argument(
        "--ready-file", default=None, help="write url, api_key, client_id, organization_uuid here"
    )
    faults = parser.add_argument_group("fault injection (also at POST /sandbox/faults)")
    faults.add_argument(
        "--latency-ms", type=_non_negative_float, default=0.0, help="added latency per request"
    )
    faults.add_argument("--error-rate", type=_rate, default=0.0, help="fraction answered with 5xx")
    faults.add_argument("--drop-rate", type=_rate, default=0.0, help="fraction of dropped connections")
    faults.add_argument(
        "--throttle", action="store_true", help="answer 429 above 4 requests/second per token"
    )
    faults.add_argument(
        "--token-ttl",
        type=_non_negative_int,
        default=7200,
        help="seconds an access token lasts (default 7200)",
    )


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Run the local Zettle sandbox until SIGINT/SIGTERM."""
    from zinv_tui.sandbox.server import serve_from_args

    return serve_from_args(args)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    parser = argparse.ArgumentParser(
        prog="zinv-tui",
        description="Keyboard-first terminal app for Zettle (PayPal POS) inventory.",
    )
    parser.add_argument("--version", action="version", version=f"zinv-tui {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    sandbox = commands.add_parser(
        "sandbox", help="run a local server that behaves like the Zettle Inventory API"
    )
    add_sandbox_arguments(sandbox)
    sandbox.set_defaults(func=cmd_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``zinv-tui``, ``zinv`` and ``python -m zinv_tui``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
