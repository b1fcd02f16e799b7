"""Screenshots of every screen, from the app running headless on the sandbox's demo shop.

    python -m zinv_tui.ui.screenshots [--out screenshots] [--size 120x40] [--products 300]

Each screen is driven from a fresh in-memory sandbox (seed 1, no simulated sales) and a fresh
state directory, so the pictures are the same on every machine and never touch your demo data.
Each is saved as SVG (``App.save_screenshot``) and, when a converter is available, as PNG:

- ``cairosvg`` (``pip install 'zinv-tui[screenshots]'``; it needs the cairo library, Debian
  ``libcairo2``), or else
- ``rsvg-convert`` (Debian ``librsvg2-bin``).

The PNGs are drawn with "DejaVu Sans Mono" (Debian ``fonts-dejavu-core``) because Rich's SVG asks
for Fira Code, which is rarely installed. The same scenarios drive the snapshot tests
(``tests/ui/test_snapshots.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot

Scenario = Callable[[Pilot[Any]], Awaitable[None]]

SVG_FONT = "font-family: Fira Code, monospace;"
PNG_FONT = 'font-family: "DejaVu Sans Mono", monospace;'
DEMO_USER = "demo"
PRODUCTS = 300
SEED = 1
PINNED_MOMENT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
"""When the sample history's movements are journaled (pictures and snapshots)."""
HISTORY = {"history_days": 60, "history_end": PINNED_MOMENT}
"""A shop with 60 days of sales up to the pinned moment (the reorder pictures)."""
SUPPLIER = "Harbour Wholesale"


# ---------------------------------------------------------------- driving the app


async def settle(pilot: Pilot[Any], rounds: int = 3) -> None:
    """Let messages, workers and timers run."""
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


LOAD_LIMIT = 20.0
"""Seconds to wait for the demo shop to load."""


def _loading(app: Any) -> bool:
    return any(worker.group == "service-start" and worker.is_running for worker in app.workers)


async def wait_for_stock(pilot: Pilot[Any]) -> None:
    """Wait until the app's service has loaded the shop; fail fast when loading failed."""
    from zinv_tui.ui.app import ZinvApp

    app = pilot.app
    assert isinstance(app, ZinvApp)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LOAD_LIMIT
    while not app.service_ready:
        if loop.time() > deadline or not _loading(app):
            await pilot.pause(0.05)
            if app.service_ready:
                break
            raise TimeoutError("the demo shop did not load (the app says why in a notification)")
        await pilot.pause(0.05)
    await settle(pilot)


async def press_text(pilot: Pilot[Any], text: str) -> None:
    """Type ``text`` key by key."""
    names = {" ": "space", "-": "minus", ".": "full_stop", "/": "slash"}
    await pilot.press(*[names.get(char, char) for char in text])


def _rows_by_sku(app: Any) -> list[Any]:
    rows = [row for row in app.service.rows.values() if "[" not in row.product_name]
    return sorted(rows, key=lambda row: (row.sku, row.variant_uuid))


async def finish(pilot: Pilot[Any]) -> None:
    """Settle, and drop toasts (they carry the moment they were made)."""
    await settle(pilot)
    pilot.app.clear_notifications()
    await settle(pilot)


async def show_balances(pilot: Pilot[Any]) -> None:
    await wait_for_stock(pilot)
    await finish(pilot)


async def show_locations(pilot: Pilot[Any]) -> None:
    await wait_for_stock(pilot)
    await pilot.press("l")
    await finish(pilot)


async def show_movement(pilot: Pilot[Any]) -> None:
    """A restock being entered: a SKU with 12, a barcode scanned twice, a typo, a search."""
    await wait_for_stock(pilot)
    app: Any = pilot.app
    rows = _rows_by_sku(app)
    typed, scanned, wrong = rows[0], next(row for row in rows[1:] if row.barcode), rows[-1]
    app.open_screen("movement")
    await settle(pilot)
    screen = app.screen
    field = screen.query_one("#picker-input")

    async def enter(text: str) -> None:
        field.focus()
        field.value = text  # what the keyboard types (tests type key by key)
        await pilot.pause()
        await pilot.press("enter")  # typed by hand: on to the item's quantity
        await settle(pilot, rounds=1)

    await enter(typed.sku)
    screen.lines[0].quantity_input.value = "12"
    for _ in range(2):  # a scanner's burst (tests send it through the terminal parser)
        await screen.pick(scanned.key, scanned=True)
    await enter(wrong.sku)
    screen.lines[-1].quantity_input.value = "2.5"
    await settle(pilot, rounds=1)
    field.focus()
    await pilot.pause()
    field.value = "tea"
    field.cursor_position = len(field.value)
    await finish(pilot)


async def show_low_stock(pilot: Pilot[Any]) -> None:
    await wait_for_stock(pilot)
    await pilot.press("a")
    await settle(pilot)
    await pilot.press("down", "space", "down", "space")
    await finish(pilot)


async def show_tracking(pilot: Pilot[Any]) -> None:
    await wait_for_stock(pilot)
    await pilot.press("t")
    await settle(pilot)
    await pilot.press("space")
    await finish(pilot)


async def record_sample_history(app: Any) -> None:
    """A morning's movements: a restock, a discard, a sale, a count, and an undo."""
    from zinv_tui.service import MovementIntent, Reason

    service = app.service
    rows = _rows_by_sku(app)
    first, second, third, fourth = rows[0], rows[3], rows[6], rows[9]
    await service.record([MovementIntent(Reason.RESTOCK, first.key, quantity=24, note="crate")])
    await service.record([MovementIntent(Reason.DISCARD, second.key, quantity=2, note="broken")])
    await service.record([MovementIntent(Reason.SALE, third.key, quantity=1)])
    await service.record([MovementIntent(Reason.SET_COUNT, fourth.key, count=7)])
    await service.flush(10)
    discard = service.history(reason=Reason.DISCARD, limit=1)[0]
    await service.undo(discard.id)
    await service.flush(10)


async def show_history(pilot: Pilot[Any]) -> None:
    await wait_for_stock(pilot)
    await record_sample_history(pilot.app)
    await settle(pilot)
    await pilot.press("h")
    await settle(pilot)
    await pilot.press("down")
    await finish(pilot)


async def show_help(pilot: Pilot[Any]) -> None:
    await wait_for_stock(pilot)
    await pilot.press("question_mark")
    await finish(pilot)


async def show_counts(pilot: Pilot[Any]) -> None:
    """A count under way: a barcode scanned 3 times then +12, a SKU set to 7, an unknown code."""
    await wait_for_stock(pilot)
    app: Any = pilot.app
    rows = [row for row in _rows_by_sku(app) if row.barcode]
    await pilot.press("c")
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)
    await press_text(pilot, "Front shelves")
    await pilot.press("enter")
    await settle(pilot)
    field = app.screen.query_one("#scan")

    async def enter(text: str) -> None:
        field.value = text  # what the scanner types (tests type key by key)
        await pilot.press("enter")
        await settle(pilot, rounds=1)

    for text in (rows[2].sku, rows[5].barcode, "=7", "4006381333931"):
        await enter(text)
    for text in (rows[0].barcode, rows[0].barcode, rows[0].barcode, "+12"):
        await enter(text)
    await finish(pilot)


async def show_first_run(pilot: Pilot[Any]) -> None:
    await settle(pilot)


def pinned_desk(app: Any) -> Any:
    """The app's reorder desk, its sales history in the shop's zone at the pinned moment."""
    from zoneinfo import ZoneInfo

    from zinv_tui.service import reorder_desk

    return reorder_desk(app.service, zone=ZoneInfo("Europe/London"), clock=PINNED_MOMENT.timestamp)


async def open_reorder(pilot: Pilot[Any]) -> Any:
    """``o``, once the sales are read (the desk's clock pinned first)."""
    await wait_for_stock(pilot)
    pinned_desk(pilot.app)
    await pilot.press("o")
    await settle(pilot)
    return pilot.app.screen


async def show_reorder(pilot: Pilot[Any]) -> None:
    """The reorder list with the two most urgent lines picked."""
    await open_reorder(pilot)
    await pilot.press("space", "space")
    await finish(pilot)


async def show_item_detail(pilot: Pilot[Any]) -> None:
    """The most urgent item of the reorder list up close."""
    await open_reorder(pilot)
    await pilot.press("i")
    await finish(pilot)


async def order_two_lines(pilot: Pilot[Any]) -> Any:
    """The two most urgent lines with a barcode, one supplier, on an order exported as CSV."""
    await wait_for_stock(pilot)
    app: Any = pilot.app
    desk = pinned_desk(app)
    await desk.refresh_sales()
    lines = [line for line in desk.reorder_lines() if line.suggested and line.row.barcode][:2]
    for line in lines:
        desk.settings.update(line.key, supplier=SUPPLIER)
    screen = await open_reorder(pilot)
    for line in lines:
        screen.table.move_cursor(row=[item.key for item in screen.lines].index(line.key))
        await pilot.press("space")
    await pilot.press("n")
    await settle(pilot)
    await pilot.press("e")
    await settle(pilot)
    app.screen.query_one("#path").value = str(Path(app.service.state_dir) / "order.csv")
    await pilot.press("enter")
    await settle(pilot)
    return lines


async def show_purchase_order(pilot: Pilot[Any]) -> None:
    await order_two_lines(pilot)
    await finish(pilot)


async def show_receiving(pilot: Pilot[Any]) -> None:
    """A delivery being scanned: one item three times and +2, one of them damaged."""
    lines = await order_two_lines(pilot)
    await pilot.press("r")
    await settle(pilot)
    from textual.widgets import Input

    field = pilot.app.screen.query_one("#scan", Input)
    for text in (lines[0].row.barcode,) * 3 + ("+2", "!1"):
        field.value = text  # what the scanner types (tests type key by key)
        await pilot.press("enter")
        await settle(pilot, rounds=1)
    await finish(pilot)


SCENARIOS: dict[str, Scenario] = {
    "balances": show_balances,
    "locations": show_locations,
    "movement": show_movement,
    "low-stock": show_low_stock,
    "tracking": show_tracking,
    "history": show_history,
    "counts": show_counts,
    "help": show_help,
    "first-run": show_first_run,
    "reorder": show_reorder,
    "purchase-order": show_purchase_order,
    "receiving": show_receiving,
    "item-detail": show_item_detail,
}
"""Name of each screenshot -> how to get there from a freshly started app."""

SANDBOX_OPTIONS: dict[str, dict[str, Any]] = {
    "reorder": HISTORY,
    "purchase-order": HISTORY,
    "receiving": HISTORY,
    "item-detail": HISTORY,
}
"""Sandbox settings of the screenshots that need more than the plain demo shop."""


def sandbox_options(name: str) -> dict[str, Any]:
    """The sandbox settings (beyond products and seed) of screenshot ``name``."""
    return dict(SANDBOX_OPTIONS.get(name, {}))


# ---------------------------------------------------------------- building the apps


def demo_app(info: Any, state_dir: Path) -> App[Any]:
    """The real app on a sandbox, deterministic (frozen), starting and stopping its service."""
    from zinv_tui.build import ShopAccess, open_inventory
    from zinv_tui.ui.app import ZinvApp

    service = open_inventory(
        ShopAccess.local(info.url, info.api_key, info.client_id),
        state_dir=state_dir,
        poll_interval=3600.0,
        user=DEMO_USER,
    )
    return ZinvApp(
        service,
        demo=True,
        frozen=True,
        on_exit=[service.stop],
        clock=lambda: PINNED_MOMENT,
    )


def first_run_app() -> App[Any]:
    """The first-run screen, as a new user without a key sees it."""
    from zinv_tui.ui.screens.first_run import FirstRunApp

    return FirstRunApp(reason="no API key for profile 'default'", frozen=True)


def app_for(name: str, info: Any, state_dir: Path) -> App[Any]:
    return first_run_app() if name == "first-run" else demo_app(info, state_dir)


# ---------------------------------------------------------------- SVG -> PNG


def png_converter() -> str | None:
    """``"cairosvg"``, ``"rsvg-convert"``, or None when neither is available."""
    try:
        import cairosvg  # noqa: F401
    except (ImportError, OSError):  # OSError: the package is there but libcairo is not
        pass
    else:
        return "cairosvg"
    return "rsvg-convert" if shutil.which("rsvg-convert") else None


def svg_to_png(svg: str, target: Path, converter: str, width: int = 1600) -> None:
    """Draw ``svg`` into ``target`` with an installed monospace font."""
    svg = svg.replace(SVG_FONT, PNG_FONT)
    if converter == "cairosvg":
        import cairosvg

        cairosvg.svg2png(bytestring=svg.encode("utf-8"), write_to=str(target), output_width=width)
        return
    subprocess.run(
        ["rsvg-convert", "--width", str(width), "--format", "png", "--output", str(target)],
        input=svg.encode("utf-8"),
        check=True,
    )


# ---------------------------------------------------------------- main


@contextmanager
def pinned_journal_clock(moment: datetime = PINNED_MOMENT) -> Iterator[None]:
    """Movements recorded meanwhile are journaled at ``moment`` (the history shows their time),
    and purchase orders are made then (their names carry the year), so the pictures do not
    change with the hour they were made."""
    from zinv_tui.service import journal_entries

    saved = journal_entries.clock
    journal_entries.clock = moment.timestamp  # the journal's and the purchase orders' clock
    try:
        yield
    finally:
        journal_entries.clock = saved


async def capture(name: str, size: tuple[int, int], state_root: Path) -> str:
    """Run one scenario on a fresh sandbox and return the SVG."""
    from zinv_tui.sandbox.server import SandboxConfig, SandboxServer

    with (
        pinned_journal_clock(),
        SandboxServer(SandboxConfig(products=PRODUCTS, seed=SEED, **sandbox_options(name))) as info,
    ):
        state_dir = state_root / name
        state_dir.mkdir(parents=True, exist_ok=True)
        app = app_for(name, info, state_dir)
        async with app.run_test(size=size) as pilot:
            await SCENARIOS[name](pilot)
            svg = app.export_screenshot(title=f"zinv-tui: {name}")
    return svg


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 120x40") from None
    if width < 40 or height < 12:
        raise argparse.ArgumentTypeError("the smallest size is 40x12")
    return width, height


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m zinv_tui.ui.screenshots",
        description="Save an SVG and a PNG of every screen of zinv-tui on the demo shop.",
    )
    parser.add_argument("--out", type=Path, default=Path("screenshots"), help="folder to write")
    parser.add_argument("--size", type=_size, default=(120, 40), help="terminal size (120x40)")
    parser.add_argument(
        "--only", choices=sorted(SCENARIOS), action="append", help="just this screen (repeatable)"
    )
    parser.add_argument("--no-png", action="store_true", help="write the SVGs only")
    args = parser.parse_args(argv)

    converter = None if args.no_png else png_converter()
    if not args.no_png and converter is None:
        print(
            "No SVG-to-PNG converter: writing SVGs only. Install one with "
            "`pip install 'zinv-tui[screenshots]'` (needs libcairo2) or "
            "`apt-get install librsvg2-bin`.",
            file=sys.stderr,
        )
    args.out.mkdir(parents=True, exist_ok=True)
    names = args.only or list(SCENARIOS)
    with tempfile.TemporaryDirectory(prefix="zinv-screenshots-") as state_root:
        for name in names:
            svg = asyncio.run(capture(name, args.size, Path(state_root)))
            svg_path = args.out / f"{name}.svg"
            svg_path.write_text(svg, encoding="utf-8")
            written = [svg_path.name]
            if converter is not None:
                png_path = args.out / f"{name}.png"
                svg_to_png(svg, png_path, converter)
                written.append(png_path.name)
            print(f"{name}: {', '.join(written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
