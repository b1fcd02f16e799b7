"""UI benchmark: the balances screen at ~50,000 variants, StockTable against Textual's DataTable.

Run: ``.venv/bin/python tests/benchmarks/bench_ui.py [--products 21700] [--runs 5]``
``[--baseline-runs 3] [--demo-start]``. ``--demo-start`` adds the end-to-end start time of
``zinv-tui demo``; ``--quick`` is a small smoke run.

What runs:
- The sandbox runs in its own process (``zinv-tui sandbox``), so the app's RSS is the app's own.
- Each table variant runs in a fresh child process: a real ``InventoryService`` loads the
  sandbox's stock over loopback HTTP, and the real ``ZinvApp`` runs headless (``App.run_test``,
  120x40). ``stock`` is the app as shipped (balances screen with the virtualised ``StockTable``);
  ``datatable`` is the same app whose home screen holds Textual's built-in ``DataTable`` with the
  same columns, fed the same way (all rows added at once; diffs by ``update_cell``; a filter
  keystroke by ``clear()`` + ``add_row`` of the matching rows, which is how a DataTable filters).

How time is measured (wall clock, ``time.perf_counter``):
- Every compositor refresh of the screen (``Screen._compositor_refresh``: the screen is rendered
  into the update sent to the terminal) is timestamped with the widgets it repainted. After the
  change the benchmark lets the app run (1 ms sleeps, no Pilot waits, which would distort the
  app's own scheduling) until no frame came for 150 ms and 50 loop turns. Two figures:
  *start -> end of the first frame that repainted the table* (the change is on screen; judged
  against the targets) and *start -> end of the last frame* (every follow-up frame done, e.g.
  the status bar's new low-stock count, which Textual may paint one frame later). Both include
  all work triggered by the change, Textual's frame pacing (at most 60 frames/s, so up to
  ~17 ms of waiting) and the render itself.
- first paint (last frame): start = the moment the service's rows are handed to the screen
  (``_service_started``, after ``service.start()`` returned); later runs reload the same rows.
- 100-row diff: 100 sales are posted to the sandbox and ``service.refresh()`` fetches them; start =
  the moment the service emits the diff (a subscriber registered before the app's), so the network
  is excluded. Runs are 2.3 s apart so the change highlight (2 s) expires outside the windows.
- filter keystroke: start = just before the key event is handed to the driver, as a terminal
  would; the filter field is open and empty, so the keystroke filters all rows.
- RSS: ``VmRSS`` of the child process after the runs (and ``VmHWM``, the peak), including the
  service's own data.

Medians of ``--runs`` (``--baseline-runs`` for the DataTable, whose load takes seconds) are printed
with the ratio baseline / ours and pass/fail against the targets of issue 4.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGETS = {"first_paint": 1.0, "diff_100": 0.030, "filter_key": 0.050, "rss_mb": 150.0}
FILTER_KEY = "c"
SIZE = (120, 40)
HIGHLIGHT_SECONDS = 2.0


# ----------------------------------------------------------------------------------- child side


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB."""
    values: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            values[name] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


class FrameClock:
    """Timestamps of every compositor refresh (all screens), with the widgets it repainted."""

    def __init__(self) -> None:
        from textual.screen import Screen

        self.frames: list[float] = []
        self.painted: list[set[Any]] = []
        original = Screen._compositor_refresh
        frames, painted = self.frames, self.painted

        def timed(screen: Screen) -> None:
            # A layout pass clears the dirty set first and repaints whatever moved: count it as
            # repainting the whole screen.
            dirty = set(screen._dirty_widgets) or {screen}
            original(screen)
            frames.append(time.perf_counter())
            painted.append(dirty)

        Screen._compositor_refresh = timed  # type: ignore[method-assign]

    async def settle(
        self, start: float, widget: Any = None, quiet: float = 0.15, require: bool = True
    ) -> tuple[float, float]:
        """Let the app run until no frame came for ``quiet`` seconds. Returns the times from
        ``start`` to the end of the first frame that repainted ``widget`` (or its screen), and to
        the end of the last frame. Only short sleeps here (no Pilot waits), so the app's own frame
        pacing is what is measured."""
        count = len(self.frames)
        changed = time.perf_counter()
        ticks = 0  # a handler that blocks the loop for seconds must not look like quiet
        while time.perf_counter() - changed < quiet or ticks < 50:
            await asyncio.sleep(0.001)
            ticks += 1
            if len(self.frames) != count:
                count, changed, ticks = len(self.frames), time.perf_counter(), 0
        after = [index for index, frame in enumerate(self.frames) if frame >= start]
        if not after:
            if not require:
                return 0.0, 0.0
            raise RuntimeError("no frame was painted after the change")
        last = self.frames[after[-1]] - start
        if widget is None:
            return last, last
        targets = {widget, *widget.ancestors}
        for index in after:
            if self.painted[index] & targets:
                return self.frames[index] - start, last
        seen = [sorted(type(w).__name__ for w in self.painted[index]) for index in after]
        print(f"note: no frame named {widget!r}; counting the last one ({seen})", file=sys.stderr)
        return last, last


def send_key(app: Any, key: str) -> None:
    """Deliver one key press the way the terminal driver does (no Pilot waits)."""
    from textual import events

    character = key if len(key) == 1 else None
    event = events.Key(key, character)
    event.set_sender(app)
    app._driver.send_message(event)


def build_baseline_screen() -> Any:
    """The home screen of the baseline app: Textual's DataTable with the balances' columns."""
    from rich.text import Text
    from textual.app import ComposeResult
    from textual.screen import Screen
    from textual.widgets import DataTable, Footer, Input

    from zinv_tui.ui.marks import STATE_MARKS

    columns = ("status", "product", "variant", "sku", "barcode", "balance", "low")

    def status(row: Any) -> Text:
        return Text(STATE_MARKS[row.state])

    def cells(row: Any) -> tuple[Any, ...]:
        level = row.low_stock_level
        return (
            status(row),
            Text(row.product_name),
            Text(row.variant_name),
            Text(row.sku),
            Text(row.barcode),
            Text(str(row.shown_balance), justify="right"),
            Text("" if level is None else str(level), justify="right"),
        )

    class BaselineScreen(Screen[None]):
        DEFAULT_CSS = "#filter { height: 1; } DataTable { height: 1fr; }"

        def compose(self) -> ComposeResult:
            yield Input(id="filter", compact=True)
            yield DataTable(cursor_type="row")
            yield Footer()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            for column in columns:
                table.add_column(column.capitalize(), key=column)
            self.app.stock_signal.subscribe(self, self.stock_changed)

        def load(self, rows: Any) -> None:
            table = self.query_one(DataTable)
            table.clear()
            for row in rows:
                table.add_row(*cells(row), key=f"{row.product_uuid}/{row.variant_uuid}")

        def stock_changed(self, diff: Any) -> None:
            if diff is None:
                self.load(list(self.app.service.rows.values()))
                return
            table = self.query_one(DataTable)
            for key in diff.removed_keys():
                table.remove_row(f"{key[0]}/{key[1]}")
            for row in diff.upserts():
                row_key = f"{row.product_uuid}/{row.variant_uuid}"
                if row_key in table.rows:
                    table.update_cell(row_key, "balance", cells(row)[5])
                    table.update_cell(row_key, "status", status(row))
                else:
                    table.add_row(*cells(row), key=row_key)

        def on_input_changed(self, event: Input.Changed) -> None:
            text = event.value.casefold()
            rows = [
                row
                for row in self.app.service.rows.values()
                if text
                in f"{row.product_name}\0{row.variant_name}\0{row.sku}\0{row.barcode}".casefold()
            ]
            self.load(rows)

    return BaselineScreen


async def measure(variant: str, info: dict[str, str], runs: int) -> dict[str, Any]:
    """Everything for one table variant, in this (fresh) process."""
    from zinv_tui.tuning import tune_process

    tune_process()  # as the program does at its entry point

    import httpx

    from zinv_tui.build import ShopAccess, open_inventory
    from zinv_tui.ui.app import ZinvApp

    clock = FrameClock()
    state_dir = Path(tempfile.mkdtemp(prefix=f"bench-ui-{variant}-"))
    service = open_inventory(
        ShopAccess.local(info["url"], info["api_key"], info["client_id"]),
        state_dir=state_dir,
        poll_interval=3600,
        full_refresh_every=1e9,
        client_options={"timeout": 120},
    )
    started = time.perf_counter()
    await service.start(require_load=True)
    service_load = time.perf_counter() - started
    diff_started: list[float] = []
    diff_sizes: list[int] = []

    def on_diff(diff: Any) -> None:
        diff_started.append(time.perf_counter())
        diff_sizes.append(len(diff))

    service.subscribe(on_diff)  # before the app's own subscription

    if variant == "stock":
        app: Any = ZinvApp(
            service, manage_service=False, frozen=True, highlight_seconds=HIGHLIGHT_SECONDS
        )
    else:
        baseline_screen = build_baseline_screen()

        class BaselineApp(ZinvApp):
            MODES = {"balances": baseline_screen}

        app = BaselineApp(service, manage_service=False, frozen=True)

    handed_over: list[float] = []
    original_started = app._service_started

    def service_started() -> None:
        handed_over.append(time.perf_counter())
        original_started()

    app._service_started = service_started
    results: dict[str, Any] = {"variant": variant, "rows": len(service.rows)}
    results["service_load_s"] = service_load
    first_paint: list[float] = []
    diffs: list[tuple[float, float]] = []
    filters: list[tuple[float, float]] = []
    async with app.run_test(size=SIZE) as pilot:
        while not handed_over:
            await pilot.pause()
        first_paint.append((await clock.settle(handed_over[0]))[1])
        screen = app.screen
        table = screen.query_one("StockTable" if variant == "stock" else "DataTable")
        for _ in range(runs - 1):
            start = time.perf_counter()
            if variant == "stock":
                screen._load_all()
            else:
                screen.load(list(service.rows.values()))
            first_paint.append((await clock.settle(start))[1])

        keys = sorted(service.rows)
        async with httpx.AsyncClient(base_url=info["url"]) as http:
            for run in range(runs):
                chosen = [
                    key
                    for key in keys[run * 211 :: max(1, len(keys) // 400)]
                    if service.rows[key].balance > 0
                ][:100]
                await asyncio.gather(
                    *(
                        http.post("/sandbox/sales", json={"variantUuid": key[1], "quantity": 1})
                        for key in chosen
                    )
                )
                count = len(diff_started)
                await service.refresh()
                if len(diff_started) == count:
                    raise RuntimeError("the refresh brought no diff")
                diffs.append(await clock.settle(diff_started[-1], table))
                await asyncio.sleep(HIGHLIGHT_SECONDS + 0.3)  # let the change highlight expire
                await clock.settle(time.perf_counter(), require=False)
        results["diff_rows"] = statistics.median(diff_sizes[-runs:])

        if variant == "stock":
            await pilot.press("slash")
        else:
            app.screen.query_one("#filter").focus()
        await clock.settle(time.perf_counter(), require=False)
        for _ in range(runs):
            start = time.perf_counter()
            send_key(app, FILTER_KEY)
            filters.append(await clock.settle(start, table))
            if variant == "stock":
                results["filter_rows"] = app.screen.table.shown_count
            send_key(app, "backspace")
            await clock.settle(time.perf_counter(), require=False)
    current, peak = rss_mb()
    await service.stop()
    results.update(
        first_paint=first_paint,
        diff_100=[painted for painted, _ in diffs],
        diff_100_settled=[settled for _, settled in diffs],
        filter_key=[painted for painted, _ in filters],
        filter_key_settled=[settled for _, settled in filters],
        rss_mb=current,
        rss_peak_mb=peak,
    )
    return results


# ---------------------------------------------------------------------------------- parent side


def start_sandbox(products: int, workdir: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    ready = workdir / "ready.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zinv_tui",
            "sandbox",
            "--port",
            "0",
            "--products",
            str(products),
            "--db",
            str(workdir / "sandbox.sqlite"),
            "--ready-file",
            str(ready),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 600
    while not ready.exists() or not ready.read_text().strip():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the sandbox did not start")
        time.sleep(0.1)
    time.sleep(0.05)
    return process, json.loads(ready.read_text())


def run_child(variant: str, ready: Path, runs: int) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", variant, "--ready", str(ready), "--runs", str(runs)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def demo_start_times(runs: int, products: int = 300) -> tuple[list[float], list[float]]:
    """Seconds from spawning ``zinv-tui demo`` in a pseudo-terminal until the stock is on screen
    (the count "N variants" only appears once rows are loaded): fresh install, then warm start."""
    fresh: list[float] = []
    warm: list[float] = []
    for _ in range(runs):
        home = Path(tempfile.mkdtemp(prefix="bench-demo-"))
        for bucket in (fresh, warm):
            bucket.append(_one_demo_start(home, products))
    return fresh, warm


def _one_demo_start(home: Path, products: int) -> float:
    env = dict(os.environ)
    for kind in ("CONFIG", "STATE", "DATA", "CACHE"):
        env[f"ZINV_{kind}_DIR"] = str(home / kind.lower())
    env.update(TERM="xterm-256color", COLUMNS="100", LINES="30", ZINV_ENV_FILE="")
    env.pop("NO_COLOR", None)
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real command, as a user would type it
        os.execvpe(
            sys.executable,
            [sys.executable, "-m", "zinv_tui", "demo", "--products", str(products)],
            env,
        )
    started = time.perf_counter()
    seen = b""
    elapsed: float | None = None
    deadline = started + 30
    try:
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
                if b"variants" in seen:
                    elapsed = time.perf_counter() - started
                    break
        os.write(fd, b"q")
        end = time.perf_counter() + 10
        while time.perf_counter() < end:
            finished, _ = os.waitpid(pid, os.WNOHANG)
            if finished:
                break
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                with contextlib.suppress(OSError):
                    os.read(fd, 65536)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    finally:
        os.close(fd)
    if elapsed is None:
        raise RuntimeError("the demo never showed its stock")
    return elapsed


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_table(ours: dict[str, Any], base: dict[str, Any]) -> None:
    rows = [
        ("first paint after data arrives (s)", "first_paint", 1.0, "{:.3f}", True),
        (
            f"{int(ours['diff_rows'])}-row diff: table painted (ms)",
            "diff_100",
            1000.0,
            "{:.1f}",
            True,
        ),
        ("  ... every frame it caused done (ms)", "diff_100_settled", 1000.0, "{:.1f}", False),
        ("filter keystroke: table painted (ms)", "filter_key", 1000.0, "{:.1f}", True),
        ("  ... every frame it caused done (ms)", "filter_key_settled", 1000.0, "{:.1f}", False),
    ]
    print(
        f"\nBalances at {ours['rows']:,} variants, {SIZE[0]}x{SIZE[1]}, medians "
        f"(StockTable n={len(ours['first_paint'])}, DataTable n={len(base['first_paint'])})\n"
    )
    header = f"{'measure':<40}{'StockTable':>11}{'DataTable':>11}{'ratio':>8}{'target':>9}  result"
    print(header)
    print("-" * len(header))
    for label, key, scale, fmt, judged in rows:
        mine, theirs = median(ours[key]), median(base[key])
        target = TARGETS.get(key)
        verdict = ("PASS" if mine <= target else "FAIL") if judged and target else ""
        target_text = fmt.format(target * scale) if judged and target else ""
        print(
            f"{label:<40}{fmt.format(mine * scale):>11}{fmt.format(theirs * scale):>11}"
            f"{theirs / mine:>7.1f}x{target_text:>9}  {verdict}"
        )
    mine, theirs = ours["rss_mb"], base["rss_mb"]
    print(
        f"{'app RSS after the runs (MB)':<40}{mine:>11.0f}{theirs:>11.0f}{theirs / mine:>7.1f}x"
        f"{TARGETS['rss_mb']:>9.0f}  {'PASS' if mine <= TARGETS['rss_mb'] else 'FAIL'}"
    )
    print(
        f"{'app peak RSS (MB)':<40}{ours['rss_peak_mb']:>11.0f}{base['rss_peak_mb']:>11.0f}"
        f"{base['rss_peak_mb'] / ours['rss_peak_mb']:>7.1f}x"
    )
    print(
        f"\nservice load over HTTP (not UI): {ours['service_load_s']:.2f} s; filter key "
        f"{FILTER_KEY!r} matched {ours.get('filter_rows', 0):,} rows"
    )
    for name, data in (("StockTable", ours), ("DataTable", base)):
        runs = ", ".join(
            f"{key}=[" + ", ".join(f"{value * 1000:.0f}" for value in data[key]) + "]"
            for key in ("first_paint", "diff_100", "filter_key")
        )
        print(f"  {name} runs (ms): {runs}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--products", type=int, default=21700, help="sandbox products (~50k variants)"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument("--demo-start", action="store_true", help="also time `zinv-tui demo`")
    parser.add_argument("--demo-runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small smoke run (2,000 products)")
    parser.add_argument("--child", choices=["stock", "datatable"], help=argparse.SUPPRESS)
    parser.add_argument("--ready", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        info = json.loads(Path(args.ready).read_text())
        print(json.dumps(asyncio.run(measure(args.child, info, args.runs))))
        return 0

    products = 2000 if args.quick else args.products
    workdir = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    print(f"starting the sandbox with {products:,} products ...", flush=True)
    sandbox, _info = start_sandbox(products, workdir)
    try:
        print("measuring StockTable ...", flush=True)
        ours = run_child("stock", workdir / "ready.json", args.runs)
        print("measuring DataTable (baseline) ...", flush=True)
        base = run_child("datatable", workdir / "ready.json", args.baseline_runs)
    finally:
        sandbox.terminate()
        sandbox.wait(30)
    print_table(ours, base)
    if args.demo_start:
        fresh, warm = demo_start_times(args.demo_runs)
        print(
            f"\n`zinv-tui demo` (300 products, 100x30 pty) until the stock is on screen: "
            f"fresh install median {median(fresh):.2f} s {[round(v, 2) for v in fresh]}, "
            f"second start median {median(warm):.2f} s {[round(v, 2) for v in warm]}; "
            f"target 2.00 s: {'PASS' if median(fresh) <= 2.0 else 'FAIL'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
