"""Command line: argument parsing and one function per command. The work lives in the layers."""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from importlib.util import find_spec

from zinv_tui import __version__, redaction
from zinv_tui.commands.account import add_login_arguments
from zinv_tui.commands.arg_types import non_negative_float, non_negative_int, number_type
from zinv_tui.commands.context import add_format_argument, add_profile_arguments
from zinv_tui.commands.exit_codes import EPILOG, CommandError, ExitCode, exit_code_for
from zinv_tui.commands.movements import add_import_counts_arguments, add_move_arguments
from zinv_tui.commands.records import add_history_arguments, add_outbox_arguments
from zinv_tui.commands.reorder import add_reorder_arguments
from zinv_tui.commands.stock import add_balances_arguments, add_export_arguments
from zinv_tui.config.errors import ConfigError, CredentialsError
from zinv_tui.redaction import redact

_port = number_type(
    int,
    lambda port: 0 <= port <= 65535,
    "is not a port number (0-65535)",
    "{value} is not a port number (0-65535)",
)


def _rate(text: str) -> float:
    value = non_negative_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"{text} must be a fraction between 0 and 1")
    return value


def add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags shared by ``zinv-tui sandbox`` (and reused by the demo)."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=_port, default=8700, help="port (0 picks a free one)")
    parser.add_argument(
        "--db", default=None, help="SQLite file for the ledger (default: in memory)"
    )
    parser.add_argument(
        "--products", type=non_negative_int, default=300, help="demo products (default 300)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the demo data (default 1)")
    parser.add_argument(
        "--sales-per-minute",
        type=non_negative_float,
        default=0.0,
        help="simulated POS sales per minute (STORE to SOLD)",
    )
    parser.add_argument(
        "--history-days",
        type=non_negative_int,
        default=0,
        help="days of past sales (receipts and the stock they moved) to generate with a new shop",
    )
    parser.add_argument(
        "--ready-file", default=None, help="write url, api_key, client_id, organization_uuid here"
    )
    parser.add_argument(
        "--api",
        choices=("v1", "v3", "both"),
        default="both",
        help="inventory API generations to serve; the other one's paths answer 404 (default both)",
    )
    parser.add_argument(
        "--idempotency",
        choices=("keyed", "none"),
        default="keyed",
        help="v1 externalUuid: a repeat is answered from the first (keyed, default) or applied "
        "again (none)",
    )
    parser.add_argument(
        "--log",
        default=None,
        help="log everything (access log included) to this file instead of warnings to stderr",
    )
    faults = parser.add_argument_group("fault injection (also at POST /sandbox/faults)")
    faults.add_argument(
        "--latency-ms", type=non_negative_float, default=0.0, help="added latency per request"
    )
    faults.add_argument("--error-rate", type=_rate, default=0.0, help="fraction answered with 5xx")
    faults.add_argument(
        "--drop-rate", type=_rate, default=0.0, help="fraction of dropped connections"
    )
    faults.add_argument(
        "--drop-phase",
        choices=("both", "before", "after"),
        default="both",
        help="drop before applying a request, after committing it, or either (default both)",
    )
    faults.add_argument(
        "--fault-seed", type=int, default=None, help="seed of the fault dice (repeatable runs)"
    )
    faults.add_argument(
        "--throttle",
        action="store_true",
        help="answer 429 above 4 requests/second per token (on average: a burst of 8 passes)",
    )
    faults.add_argument(
        "--token-ttl",
        type=non_negative_int,
        default=7200,
        help="seconds an access token lasts (default 7200)",
    )


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Run the local Zettle sandbox until SIGINT/SIGTERM."""
    from zinv_tui.sandbox.server import serve_from_args

    return serve_from_args(args)


def _add_command(
    commands: argparse._SubParsersAction,
    name: str,
    func: Callable[[argparse.Namespace], int],
    help_text: str,
    *,
    profile: bool = True,
    output: bool = False,
) -> argparse.ArgumentParser:
    """A subcommand with the shared flags (profile, settings; ``--format`` if it prints rows)."""
    parser = commands.add_parser(
        name, help=help_text, description=help_text, epilog=EPILOG, formatter_class=_Formatter
    )
    if output:
        add_format_argument(parser)
    if profile:
        add_profile_arguments(parser)
    parser.set_defaults(func=func)
    return parser


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the epilog's line breaks."""


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """A command function imported only when it runs (keeps ``--help`` and the TUI start fast)."""

    def run(args: argparse.Namespace) -> int:
        return int(getattr(import_module(module), name)(args))

    run.__name__ = name
    return run


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    parser = argparse.ArgumentParser(
        prog="zinv-tui",
        description="Keyboard-first terminal app for Zettle (PayPal POS) inventory.\n"
        "Without a command, opens the app on the chosen profile.",
        epilog=EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"zinv-tui {__version__}")
    add_profile_arguments(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    sandbox = commands.add_parser(
        "sandbox", help="run a local server that behaves like the Zettle Inventory API"
    )
    add_sandbox_arguments(sandbox)
    sandbox.set_defaults(func=cmd_sandbox)

    # The demo: the app on a built-in sandbox shop (zinv_tui/ui/launch.py).
    demo = commands.add_parser(
        "demo",
        help="open the app on a demo shop (a local Zettle sandbox; nothing leaves this computer)",
        description="Open the app on a demo shop served by the built-in Zettle sandbox. The demo "
        "ledger is kept in the user data directory, so movements persist between runs.",
    )
    demo.add_argument(
        "--products", type=non_negative_int, default=300, help="demo products (default 300)"
    )
    demo.add_argument("--seed", type=int, default=1, help="seed of the demo data (default 1)")
    demo.add_argument(
        "--sales-per-minute",
        type=non_negative_float,
        default=None,
        help="simulated POS sales per minute (default 6)",
    )
    demo.add_argument(
        "--history-days",
        type=non_negative_int,
        default=None,
        help="days of past sales to generate when the demo shop is first made (default 60)",
    )
    demo.set_defaults(func=_lazy("zinv_tui.ui.launch", "run_demo"))

    # The app in a web browser (zinv_tui/commands/serve.py, zinv_tui/serve/).
    from zinv_tui.commands.serve import add_serve_arguments

    serve = _add_command(
        commands,
        "serve",
        _lazy("zinv_tui.commands.serve", "cmd_serve"),
        "open the app in web browsers (a stockroom tablet): this computer only unless "
        "--host and a password are given",
    )
    add_serve_arguments(serve)

    # Settings and credentials (zinv_tui/commands/account.py, settings_report.py, doctor.py).
    login = _add_command(
        commands,
        "login",
        _lazy("zinv_tui.commands.account", "cmd_login"),
        "verify an API key against Zettle and store it for a profile (file readable only by you)",
    )
    add_login_arguments(login)
    _add_command(
        commands,
        "logout",
        _lazy("zinv_tui.commands.account", "cmd_logout"),
        "delete the stored API key of a profile",
    )
    _add_command(
        commands,
        "config",
        _lazy("zinv_tui.commands.settings_report", "cmd_config"),
        "print the resolved settings (secrets redacted) and where each value came from",
        output=True,
    )
    _add_command(
        commands,
        "doctor",
        _lazy("zinv_tui.commands.doctor", "cmd_doctor"),
        "check config, state dir, API key, hosts, token, scopes and clock, each with a fix",
    )

    # Scriptable stock commands, through the service and its outbox (zinv_tui/commands/stock.py,
    # movements.py, records.py).
    _add_command(
        commands,
        "locations",
        _lazy("zinv_tui.commands.stock", "cmd_locations"),
        "list the shop's locations (STORE, SUPPLIER, BIN, SOLD)",
        output=True,
    )
    balances = _add_command(
        commands,
        "balances",
        _lazy("zinv_tui.commands.stock", "cmd_balances"),
        "list STORE balances (own pending movements included)",
        output=True,
    )
    add_balances_arguments(balances)
    _add_command(
        commands,
        "low-stock",
        _lazy("zinv_tui.commands.stock", "cmd_low_stock"),
        "list variants at or below their low-stock level, most urgent first",
        output=True,
    )
    move = _add_command(
        commands,
        "move",
        _lazy("zinv_tui.commands.movements", "cmd_move"),
        "record a stock movement (restock, sale, discard, return, set, move) and send it",
        output=True,
    )
    add_move_arguments(move)
    import_counts = _add_command(
        commands,
        "import-counts",
        _lazy("zinv_tui.commands.movements", "cmd_import_counts"),
        "turn a CSV of counted balances (sku or barcode, counted) into corrections",
        output=True,
    )
    add_import_counts_arguments(import_counts)
    export = _add_command(
        commands,
        "export",
        _lazy("zinv_tui.commands.stock", "cmd_export"),
        "write balances or the movement history to a CSV file",
    )
    add_export_arguments(export)
    history = _add_command(
        commands,
        "history",
        _lazy("zinv_tui.commands.records", "cmd_history"),
        "list recorded movements, newest first (local journal; works offline)",
        output=True,
    )
    add_history_arguments(history)
    outbox = _add_command(
        commands,
        "outbox",
        _lazy("zinv_tui.commands.records", "cmd_outbox"),
        "show movements not yet acknowledged; --retry sends them, --applied settles unconfirmed "
        "ones found in Zettle, --dismiss gives up",
        output=True,
    )
    add_outbox_arguments(outbox)

    # What to buy and what the stock is worth (zinv_tui/commands/reorder.py).
    reorder = _add_command(
        commands,
        "reorder",
        _lazy("zinv_tui.commands.reorder", "cmd_reorder"),
        "what to order: sales per day, days of cover, on order and the suggested quantity "
        "(needs the READ:PURCHASE scope)",
        output=True,
    )
    add_reorder_arguments(reorder)
    _add_command(
        commands,
        "value",
        _lazy("zinv_tui.commands.reorder", "cmd_value"),
        "stock value at the product library's cost price, per variant and in total",
        output=True,
    )
    return parser


def _run_without_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """No command: open the TUI when it is installed (``zinv_tui.ui.launch``), else print help."""
    if find_spec("zinv_tui.ui.launch") is None:
        parser.print_help()
        return 0
    from zinv_tui.ui.launch import run_app

    return int(run_app(args) or 0)


def _report(error: BaseException) -> int:
    """Print a failure as one redacted sentence and return its exit code."""
    code = exit_code_for(error)
    prefix = "config error" if isinstance(error, ConfigError) else "error"
    _complain(f"{prefix}: {redact(str(error))}")
    return int(code)


def _complain(text: str) -> None:
    """``zinv-tui: <text>`` on stderr, control characters made visible; quiet if stderr is gone."""
    from zinv_tui.service.terminal_text import printable

    with contextlib.suppress(OSError):
        print(f"zinv-tui: {printable(text, keep_newlines=True)}", file=sys.stderr, flush=True)


def _drop_output() -> None:
    """Point standard output at /dev/null, so the flush at exit has nothing to complain about."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


def _os_error(error: OSError) -> int:
    """A file-system failure: the reader closed the output (quiet, 141), the output could not be
    written (a full device), or a named file failed; a plain message and 1 for the last two."""
    if error.errno == errno.EPIPE:
        _drop_output()
        return int(ExitCode.OUTPUT_CLOSED)
    reason = error.strerror or str(error)
    if error.filename is None:  # files are opened by name; a nameless failure is the output
        _drop_output()
        _complain(f"error: cannot write the output: {reason}")
    else:
        _complain(f"error: {error.filename}: {reason}")
    return int(ExitCode.FAILED)


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a usage error (argparse printed it)
        return stop.code if isinstance(stop.code, int) else ExitCode.USAGE
    func = getattr(args, "func", None)
    if func is None:
        return _run_without_command(parser, args)
    return int(func(args) or 0)


def entry() -> int:
    """The program ``zinv-tui`` (``zinv``, ``python -m zinv_tui``): the process is tuned for the
    app (:func:`zinv_tui.tuning.tune_process`), then :func:`main` runs the command line."""
    from zinv_tui.tuning import tune_process

    tune_process()
    return main()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: the process's); returns the exit code. Changes
    nothing process-wide beyond redacting secrets from logs and tracebacks (tuning is
    :func:`entry`'s)."""
    redaction.install()
    try:
        code = _run(argv)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        return 130
    except (ConfigError, CredentialsError, CommandError) as error:
        return _report(error)
    except OSError as error:
        return _os_error(error)
    except Exception as error:
        import sqlite3

        from zinv_tui.api.errors import ZettleError
        from zinv_tui.service.state_db import StateFileError

        if isinstance(error, ZettleError | StateFileError):
            return _report(error)
        if isinstance(error, sqlite3.Error):
            _complain(f"error: the local journal failed: {error}")
            return int(ExitCode.FAILED)
        with contextlib.suppress(OSError):
            sys.stderr.write(redaction.format_exception(error))
        return int(ExitCode.FAILED)


if __name__ == "__main__":
    sys.exit(entry())
