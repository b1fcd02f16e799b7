"""Reorder at the scale of a busy shop: 90 days of 2,000 receipts a day, 50,000 variants.

    python tests/benchmarks/bench_reorder.py [--variants 50000] [--days 90] [--per-day 2000]
                                             [--runs 5] [--no-screen]

A real sandbox (ledger in a temporary file) generates the history; a real client and service read
it over loopback HTTP into the profile's ``reorder.sqlite``. Then, with the history local, the
medians of ``--runs`` runs of: the reorder list (what the Reorder screen computes when it opens;
target: well under 1 s), today's stock observation and the stock value; and the requests an
incremental read with nothing new costs (target: at most 2, sign-in included).

The screen: the real app runs headless (``App.run_test``, 80x24 and 120x40) on the same service;
from ``o`` pressed on the balances to the first frame painted after the Reorder screen's rows are
in its table (``call_after_refresh``), medians of ``--runs`` openings (target: at most 1 s). The
sales are local by then; the incremental read the screen starts after its first paint is not
counted (it only repaints when something new came in).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from zinv_tui.build import ShopAccess, open_inventory
from zinv_tui.sandbox.server import SandboxConfig, SandboxServer
from zinv_tui.service import ReorderParams, reorder_desk

SCREEN_SIZES = ((80, 24), (120, 40))

VARIANTS_PER_PRODUCT = 2.6
"""About what the demo catalogue makes (``sandbox/demo_data.py``)."""


def median_times(action: Callable[[], object], runs: int) -> str:
    """``"<wall> ms (CPU <cpu> ms)"``, medians: on a shared machine the CPU time is the steadier
    figure (the sandbox's thread is idle meanwhile, so it is this computation's own)."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return f"{statistics.median(walls) * 1000:.0f} ms (CPU {statistics.median(cpus) * 1000:.0f} ms)"


async def screen_open_times(
    service: Any, size: tuple[int, int], runs: int
) -> list[tuple[float, float]]:
    """``(wall, CPU)`` seconds from ``o`` on the balances to the end of the first frame that
    painted the Reorder screen with rows in its table, per opening; the first opening reads the
    window's sales from the file (cold), the others find them read (warm)."""
    from textual import events
    from textual.screen import Screen

    from zinv_tui.ui.app import ZinvApp
    from zinv_tui.ui.screens.reorder import ReorderScreen

    painted: list[float] = []
    done = asyncio.Event()
    original = Screen._compositor_refresh

    def stamped(screen: Screen) -> None:
        original(screen)
        if isinstance(screen, ReorderScreen) and screen.table.row_count and not painted:
            painted.append(time.perf_counter())
            done.set()

    Screen._compositor_refresh = stamped  # type: ignore[method-assign]
    app = ZinvApp(service, manage_service=False, frozen=True)
    times: list[tuple[float, float]] = []
    reorder_desk(service).history.forget_cached_reads()
    try:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            for _ in range(runs):
                await app.workers.wait_for_complete()
                await pilot.pause()
                painted.clear()
                done.clear()
                start, cpu = time.perf_counter(), time.process_time()
                app._driver.send_message(events.Key("o", "o"))  # as the terminal driver does
                await done.wait()  # no Pilot waits: they would change the app's pacing
                times.append((painted[0] - start, time.process_time() - cpu))
                await app.workers.wait_for_complete()  # the incremental read after the paint
                await pilot.press("escape")
                await pilot.pause()
    finally:
        Screen._compositor_refresh = original  # type: ignore[method-assign]
    return times


async def measure(
    url: str, api_key: str, folder: Path, runs: int, screen: bool = True
) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    service = open_inventory(
        ShopAccess.local(url, api_key), state_dir=folder / "state", poll_interval=3600
    )
    client = service.backend.client  # type: ignore[attr-defined]
    start = time.perf_counter()
    await service.start(require_load=True)
    rows.append(("service start (balances, catalogue)", f"{time.perf_counter() - start:.1f} s"))
    rows.append(("tracked variants", f"{len(service.rows):,}"))
    desk = reorder_desk(service, zone=ZoneInfo("Europe/London"))
    before = client.stats.requests
    start = time.perf_counter()
    result = await desk.refresh_sales()
    rows.append(
        (
            "first read of the history (backfill)",
            f"{time.perf_counter() - start:.1f} s, {result.new_receipts:,} receipts, "
            f"{client.stats.requests - before} requests",
        )
    )
    before = client.stats.requests
    start = time.perf_counter()
    again = await desk.refresh_sales()
    rows.append(
        (
            "incremental read, nothing new",
            f"{client.stats.requests - before} request(s), {again.new_receipts} new, "
            f"{(time.perf_counter() - start) * 1000:.0f} ms",
        )
    )
    desk.observe_stock()
    params = ReorderParams()
    rows.append(
        (
            "reorder list, sales read from the file",
            median_times(
                lambda: (desk.history.forget_cached_reads(), desk.reorder_lines(params)), runs
            ),
        )
    )
    lines = desk.reorder_lines(params)
    rows.append(("reorder list lines", f"{len(lines):,}"))
    rows.append(
        (
            "reorder list, sales already read (median)",
            median_times(lambda: desk.reorder_lines(params), runs),
        )
    )
    rows.append(("observe today's stock (median)", median_times(desk.observe_stock, runs)))
    rows.append(("stock value (median)", median_times(desk.stock_value, runs)))
    if screen:
        for size in SCREEN_SIZES:
            times = await screen_open_times(service, size, runs + 1)
            (cold, cold_cpu), warm = times[0], times[1:]
            rows.append(
                (
                    f"Reorder screen o -> rows painted, {size[0]}x{size[1]}, first",
                    f"{cold * 1000:.0f} ms (CPU {cold_cpu * 1000:.0f} ms; target 1000 ms)",
                )
            )
            rows.append(
                (
                    f"Reorder screen o -> rows painted, {size[0]}x{size[1]}, again (median)",
                    f"{statistics.median(t for t, _ in warm) * 1000:.0f} ms "
                    f"(CPU {statistics.median(c for _, c in warm) * 1000:.0f} ms)",
                )
            )
    await service.stop()
    service = open_inventory(
        ShopAccess.local(url, api_key), state_dir=folder / "state", poll_interval=3600
    )
    fresh = service.backend.client  # type: ignore[attr-defined]
    desk = reorder_desk(service, zone=ZoneInfo("Europe/London"))
    await desk.history.refresh()
    rows.append(
        ("incremental read, nothing new, new process", f"{fresh.stats.requests} request(s)")
    )
    await service.stop()
    return rows


def _load_average() -> str:
    """The 1-minute load average (how busy the shared machine was), or ``?``."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--per-day", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--no-screen", action="store_true", help="skip timing the Reorder screen in the app"
    )
    args = parser.parse_args()
    products = round(args.variants / VARIANTS_PER_PRODUCT)
    with tempfile.TemporaryDirectory() as folder:
        config = SandboxConfig(
            products=products,
            history_days=args.days,
            history_per_day=args.per_day,
            db_path=Path(folder) / "ledger.sqlite",
        )
        start = time.perf_counter()
        with SandboxServer(config) as info:
            built = time.perf_counter() - start
            load = _load_average()
            rows = [("sandbox: shop and history generated", f"{built:.1f} s")]
            rows += asyncio.run(
                measure(info.url, info.api_key, Path(folder), args.runs, not args.no_screen)
            )
    width = max(len(name) for name, _ in rows)
    print(
        f"reorder at {args.variants:,} variants, {args.days} days x {args.per_day:,} receipts a "
        f"day, medians of {args.runs} runs (load average {load} at the start)"
    )
    for name, value in rows:
        print(f"  {name.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
