"""Starting the TUI: ``zinv-tui`` (a configured shop) and ``zinv-tui demo`` (the built-in sandbox).

``run_demo`` starts the sandbox in a process of its own (``zinv-tui sandbox``, so it never takes the
app's CPU or memory) on a free loopback port, with its ledger in the user
data directory (``<data dir>/demo/sandbox-<products>.sqlite``; ``ZINV_DATA_DIR`` overrides the data
dir) so movements survive between runs, and simulated POS sales so the table visibly lives. While
it starts (making a big shop the first time takes a while) the terminal says so, with a clock. Each
shop size has its own app state (outbox, history, counts) under its own profile's state directory:
``demo`` for the default 300 products, ``demo-<products>`` otherwise (``ZINV_STATE_DIR`` overrides
the state dir), so movements of one demo shop are never sent to another. The in-process sandbox
never writes to the terminal (the TUI owns it): it logs to ``sandbox.log`` in that directory.
The app paints from the profile's local snapshot (:mod:`zinv_tui.service.local_snapshot`) and
catches up once painted.

``run_app`` opens the app on the chosen profile; without credentials it says how to configure them
(``zinv-tui login``) and offers the demo.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

NO_API_KEY = 3
"""Exit code when there is no API key (``ExitCode.AUTH``)."""
USAGE = 2
"""Exit code when the terminal cannot show the app (``ExitCode.USAGE``)."""
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
CATCH_UP_AFTER = 0.5
"""Seconds a launch painted from the local snapshot waits, once the rows are on screen, before it
catches up with Zettle (reading the cached catalogue takes 0.14 s of CPU at 20,000 products:
not while the first paint is drawn)."""


NO_SCREEN_TERMS = frozenset({"dumb", "unknown"})
"""``TERM`` of terminals without cursor addressing: a full-screen app cannot draw on them."""
MONOCHROME_TERMS = frozenset({"vt52", "vt100", "vt102", "vt220", "vt320", "vt420"})
"""``TERM`` (before any ``-suffix``) of terminals without colour: the app draws as under
``NO_COLOR`` (Textual would send them 16-colour codes). Textual has no ASCII-only mode: lines and
marks stay Unicode."""


def terminal_problem(environ: MutableMapping[str, str] = os.environ) -> str | None:
    """Why the TUI cannot run in this terminal (``TERM=dumb``), or None; on a terminal without
    colour, sets ``NO_COLOR`` in ``environ`` (Textual reads it when the app is made). A browser
    tab (``zinv-tui serve``) has no terminal."""
    if environ.get("TEXTUAL_DRIVER"):
        return None
    term = environ.get("TERM", "").strip().lower()
    if term in NO_SCREEN_TERMS:
        return (
            f"this terminal (TERM={term}) cannot show a full-screen app: open zinv-tui in a "
            "terminal window (xterm, tmux, screen...), or use its commands (zinv-tui --help)"
        )
    if term.partition("-")[0] in MONOCHROME_TERMS:
        environ.setdefault("NO_COLOR", "1")
    return None


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


SANDBOX_START_TIMEOUT = 900.0
"""Seconds to wait for the demo's sandbox (making a 20,000-product shop with history takes a
minute or more on a slow machine)."""
SANDBOX_STOP_GRACE = 10.0
"""Seconds a stopping demo sandbox has to close its ledger before it is killed."""


@dataclass(frozen=True)
class DemoShop:
    """The demo sandbox's address and key."""

    url: str
    api_key: str = field(repr=False)
    client_id: str
    started: threading.Event | None = None
    """Set once the sandbox answers (None: it already does)."""

    async def wait_started(self) -> None:
        """Until the sandbox answers (or gave up)."""
        if self.started is not None:
            await asyncio.to_thread(self.started.wait, SANDBOX_START_TIMEOUT)


class CatchUpAfterPaint:
    """The service's ``catch_up_after``: a launch painted from the local snapshot asks Zettle
    once the app has drawn the saved rows, and :data:`CATCH_UP_AFTER` later (so the paint has
    the CPU to itself); then, or at once for a first launch, after ``then`` (the demo's
    sandbox up). :meth:`rows_painted` is the service's ``first_save_after`` (a first launch's
    snapshot is written once its rows are drawn). Set :attr:`app` once the app is made."""

    def __init__(self, then: Callable[[], Awaitable[object]] | None = None) -> None:
        self.app: Any = None
        self._then = then

    async def __call__(self) -> None:
        app = self.app
        if app is not None and app.service.status.snapshot_from is not None:
            await app.rows_painted()
            await asyncio.sleep(CATCH_UP_AFTER)
        if self._then is not None:
            await self._then()

    async def rows_painted(self) -> None:
        """Until the app has drawn the service's rows (at most a few seconds)."""
        if self.app is not None:
            await self.app.rows_painted()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def sandbox_process(
    database: Path,
    log_path: Path,
    products: int,
    seed: int,
    sales_per_minute: float,
    history_days: int,
    *,
    progress: Callable[[float], None] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> Iterator[DemoShop]:
    """``zinv-tui sandbox`` in a process of its own on a free loopback port, logging to
    ``log_path``; stopped (SIGTERM) on exit. ``meanwhile`` runs while it starts;
    ``progress(seconds)`` is called every half second until it is ready. Raises
    :class:`DemoUnavailable` when it cannot start.

    A shop made before is not waited for: its key is read from the ledger file and the port
    chosen here, so the app paints (from its local snapshot) while the sandbox opens the file;
    :attr:`DemoShop.started` says when it answers."""
    from zinv_tui.sandbox.tokens import shop_key  # light: no server imported here

    known = shop_key(database) if database.exists() else None
    port = _free_port() if known is not None else 0
    folder = Path(tempfile.mkdtemp(prefix="zinv-demo-"))
    ready = folder / "ready.json"
    errors = folder / "errors.txt"
    command = [
        sys.executable, "-m", "zinv_tui", "sandbox", "--port", str(port), "--db", str(database),
        "--products", str(products), "--seed", str(seed),
        "--sales-per-minute", str(sales_per_minute), "--history-days", str(history_days),
        "--ready-file", str(ready), "--log", str(log_path),
    ]  # fmt: skip
    try:
        with errors.open("wb") as error_file:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=error_file
            )
        try:
            if meanwhile is not None:
                meanwhile()
            if known is None:
                yield _wait_until_ready(process, ready, errors, database, progress)
            else:
                started = threading.Event()
                threading.Thread(
                    target=_note_start,
                    args=(process, ready, errors, database, started),
                    name="zinv-demo-start",
                    daemon=True,
                ).start()
                yield DemoShop(f"http://127.0.0.1:{port}", known[0], known[1], started)
        finally:
            _stop(process)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the sandbox gracefully (SIGTERM: its ledger is closed cleanly), killing it only if it
    does not finish within :data:`SANDBOX_STOP_GRACE`. A sandbox that was stopped (SIGSTOP,
    Ctrl-Z of its process) is continued first, or it could not act on the SIGTERM and quitting
    would wait the whole grace for nothing."""
    if process.poll() is not None:
        return
    process.terminate()
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGCONT)
    try:
        process.wait(SANDBOX_STOP_GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_until_ready(
    process: subprocess.Popen[bytes],
    ready: Path,
    errors: Path,
    database: Path,
    progress: Callable[[float], None] | None,
) -> DemoShop:
    started = time.monotonic()
    last_progress = started
    while time.monotonic() - started < SANDBOX_START_TIMEOUT:
        with contextlib.suppress(OSError, ValueError, KeyError):
            data = json.loads(ready.read_text(encoding="utf-8"))
            return DemoShop(str(data["url"]), str(data["api_key"]), str(data["client_id"]))
        if process.poll() is not None:
            said: list[str] = []
            with contextlib.suppress(OSError):  # gone when the demo quit meanwhile
                said = errors.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            reason = said[-1].removeprefix("zinv-tui sandbox: ") if said else "it stopped"
            raise DemoUnavailable(
                f"the demo shop cannot start ({reason}); its database is {database}"
            )
        now = time.monotonic()
        if progress is not None and now - last_progress >= 0.5:
            last_progress = now
            progress(now - started)
        time.sleep(0.02)
    raise DemoUnavailable(f"the demo shop did not start in time; its database is {database}")


def _note_start(
    process: subprocess.Popen[bytes],
    ready: Path,
    errors: Path,
    database: Path,
    started: threading.Event,
) -> None:
    """Set ``started`` once the sandbox answers, or gave up (then the app shows it offline)."""
    try:
        _wait_until_ready(process, ready, errors, database, None)
    except DemoUnavailable as error:
        log.warning("%s", error)
    finally:
        started.set()


def _terminal_progress(database: Path, products: int) -> Callable[[float], None] | None:
    """A line on the terminal while the demo shop starts (none when stderr is not a terminal)."""
    if not sys.stderr.isatty():
        return None
    making = not database.exists()
    what = (
        f"Making the demo shop ({products:,} products; only the first time)"
        if making
        else f"Opening the demo shop ({products:,} products)"
    )

    def show(seconds: float) -> None:
        sys.stderr.write(f"\r{what}… {seconds:.0f} s ")
        sys.stderr.flush()

    return show


@contextmanager
def demo_session(
    products: int = DEMO_PRODUCTS,
    seed: int = 1,
    sales_per_minute: float = DEMO_SALES_PER_MINUTE,
    history_days: int = DEMO_HISTORY_DAYS,
) -> Iterator[Any]:
    """The sandbox running in a process of its own and a ``ZinvApp`` (DEMO) on it; stops the
    sandbox.

    The sandbox logs to ``sandbox.log`` in the shop's state directory, never to the terminal.
    """
    from zinv_tui.config import resolve_paths

    paths = resolve_paths()
    database = demo_database_path(paths.data_dir, products, seed)
    database.parent.mkdir(parents=True, exist_ok=True)
    state_dir = paths.profile_state_dir(demo_profile(products, seed))
    state_dir.mkdir(parents=True, exist_ok=True)
    progress = _terminal_progress(database, products)
    try:
        with sandbox_process(
            database,
            state_dir / DEMO_LOG_FILE,
            products,
            seed,
            sales_per_minute,
            history_days,
            progress=progress,
            meanwhile=_import_the_app,
        ) as shop:
            if progress is not None:
                sys.stderr.write("\r\033[K")
                sys.stderr.flush()
            from zinv_tui.build import ShopAccess, open_inventory

            catch_up = CatchUpAfterPaint(shop.wait_started)
            service = open_inventory(
                ShopAccess.local(shop.url, shop.api_key, shop.client_id),
                state_dir=state_dir,
                cache_dir=paths.profile_cache_dir(demo_profile(products, seed)),
                poll_interval=DEMO_POLL_INTERVAL,
                snapshot_profile=demo_profile(products, seed),
                catch_up_after=catch_up,
                first_save_after=catch_up.rows_painted,
                paint_first=catch_up.rows_painted,
            )
            catch_up.app = build_app(service, demo=True)
            yield catch_up.app
    except OSError as error:
        raise DemoUnavailable(
            f"the demo shop cannot start ({error}); its database is {database}"
        ) from error


def _import_the_app() -> None:
    """Import the app while the sandbox starts (the two overlap)."""
    import zinv_tui.build
    import zinv_tui.ui.app  # noqa: F401


def run_demo(args: argparse.Namespace) -> int:
    """``zinv-tui demo [--products N] [--seed S] [--sales-per-minute R] [--history-days D]``."""
    if problem := terminal_problem():
        print(f"zinv-tui demo: {problem}", file=sys.stderr)
        return USAGE
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

    if problem := terminal_problem():
        print(f"zinv-tui: {problem}", file=sys.stderr)
        return USAGE
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

    catch_up = CatchUpAfterPaint()
    app = catch_up.app = build_app(
        inventory_for(
            settings,
            api_key.value,
            snapshot=True,
            catch_up_after=catch_up,
            first_save_after=catch_up.rows_painted,
            paint_first=catch_up.rows_painted,
        )
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
