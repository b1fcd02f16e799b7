"""The whole app on the balances screen, against a real sandbox over loopback HTTP."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandInput, CommandList
from textual.pilot import Pilot
from textual.widgets import Button
from textual.widgets._toast import Toast

from tests.support.sandbox import SandboxAdmin
from tests.support.screens import settle
from zinv_tui import tuning
from zinv_tui.build import ShopAccess, open_inventory
from zinv_tui.sandbox.server import SandboxInfo
from zinv_tui.service import MovementIntent, Reason
from zinv_tui.ui.app import ZinvApp
from zinv_tui.ui.marks import LOW_MARK, OUT_MARK, PENDING_MARK
from zinv_tui.ui.preferences import PREFERENCES_FILE
from zinv_tui.ui.screens.balances import BalancesScreen
from zinv_tui.ui.screens.dialogs import ConfirmDialog
from zinv_tui.ui.screens.history import HistoryScreen
from zinv_tui.ui.screens.movement import MovementScreen
from zinv_tui.ui.widgets.key_bar import KeyBar
from zinv_tui.ui.widgets.status_bar import StatusBar
from zinv_tui.ui.widgets.stock_table import StockTable

pytestmark = pytest.mark.timeout(60)

MARKUP_NAME = "Crunchy Nut [/] Butter Cookies [b]"


@asynccontextmanager
async def running_app(
    info: SandboxInfo,
    state_dir: Path,
    size: tuple[int, int] = (80, 24),
    max_retries: int = 4,
    notifications: bool = False,
    service_options: dict[str, Any] | None = None,
    **options: Any,
) -> AsyncIterator[tuple[ZinvApp, Pilot]]:
    """The app on a fresh service for ``info``, with its first load on screen (``notifications``:
    toasts are drawn, as in a terminal; ``service_options``: more of the service's knobs)."""
    service = open_inventory(
        ShopAccess.local(info.url, info.api_key, info.client_id),
        state_dir=state_dir,
        poll_interval=60,
        retry_base=0.05,
        client_options={"max_retries": max_retries},
        **(service_options or {}),
    )
    options.setdefault("frozen", True)
    app = ZinvApp(service, on_exit=[service.stop], **options)
    async with app.run_test(size=size, notifications=notifications) as pilot:
        await wait_for(pilot, lambda: app.service_ready and table(app).row_count > 0)
        yield app, pilot


async def wait_for(pilot: Pilot, condition: Callable[[], bool], tries: int = 200) -> None:
    for _ in range(tries):
        if condition():
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not met")


async def sell(info: SandboxInfo, variant_uuid: str, quantity: int) -> None:
    """A POS sale in the sandbox (its admin surface)."""
    SandboxAdmin(info).sale(variant_uuid, quantity)


def table(app: ZinvApp) -> StockTable:
    return app.screen.query_one(StockTable)


def lines(app: ZinvApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_table_shows_the_sandbox_stock(
    sandbox: SandboxInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tuning, "_tuned", True)  # as the program runs (zinv_tui.cli.entry)
    async with running_app(sandbox, tmp_path) as (app, pilot):
        service = app.service
        assert isinstance(app.screen, BalancesScreen)
        stock = table(app)
        assert stock.row_count == len(service.rows) > 300
        first = service.rows[stock.shown_keys()[0]]
        text = lines(app)
        assert "● live" in text[0]
        assert "Product ▲" in text[2]
        assert first.product_name[:20] in text[3]
        assert f"{len(service.rows):,} variants" in text[1]
        low = sum(1 for r in service.rows.values() if r.low_stock)
        assert app.low_stock_count == low > 0
        assert f"▼ {low} low" in text[0]
        await app.rows_painted()  # the freeze follows the first paint of the rows
        for _ in range(200):
            if gc.get_freeze_count():
                break
            await pilot.pause(0.01)
        assert gc.get_freeze_count() > 0  # the loaded stock is kept out of full collections
    assert gc.get_freeze_count() == 0  # ... until the app ends


async def test_an_app_in_an_untuned_process_freezes_nothing(
    sandbox: SandboxInfo, tmp_path: Path
) -> None:
    assert not tuning.process_tuned()
    async with running_app(sandbox, tmp_path) as (app, _pilot):
        assert app.service_ready and gc.get_freeze_count() == 0


async def test_markup_looking_name_renders_as_typed(sandbox: SandboxInfo, tmp_path: Path) -> None:
    async with running_app(sandbox, tmp_path, size=(140, 30)) as (app, pilot):
        await pilot.press("slash")
        app.screen.query_one("#filter").value = "crunchy nut"
        await pilot.pause()
        assert table(app).shown_count >= 1
        assert any(MARKUP_NAME in line for line in lines(app))


async def test_slash_filters_as_you_type_and_escape_clears(
    sandbox: SandboxInfo, tmp_path: Path
) -> None:
    async with running_app(sandbox, tmp_path) as (app, pilot):
        stock = table(app)
        total = stock.row_count
        row = app.service.rows[stock.shown_keys()[10]]
        await pilot.press("slash")
        assert app.focused is app.screen.query_one("#filter")
        await pilot.press(*row.sku.lower())
        assert stock.shown_count < total
        assert row.key in stock.shown_keys()
        assert all(row.sku.lower() in app.service.rows[k].sku.lower() for k in stock.shown_keys())
        await pilot.pause()
        assert f"of {total:,}" in lines(app)[1]
        # Letters typed in the filter never trigger app keys (l = locations, q = quit).
        await pilot.press("l", "q")
        assert isinstance(app.screen, BalancesScreen) and app.is_running
        await pilot.press("escape")
        assert stock.shown_count == total and stock.filter_text == ""
        assert app.focused is stock
        # Barcode search too, and Enter keeps the filter while giving the keys back to the table.
        await pilot.press("slash", *row.barcode, "enter")
        assert stock.shown_keys() == [row.key] and app.focused is stock


async def test_sort_by_keys(sandbox: SandboxInfo, tmp_path: Path) -> None:
    async with running_app(sandbox, tmp_path) as (app, pilot):
        stock = table(app)
        rows = app.service.rows
        names = [rows[k].product_name.casefold() for k in stock.shown_keys()]
        assert names == sorted(names)
        await pilot.press("s", "s", "s")  # variant, sku, balance
        assert stock.sort_column == "balance"
        shown = [rows[k].shown_balance for k in stock.shown_keys()]
        assert shown == sorted(shown)
        await pilot.press("S")
        shown = [rows[k].shown_balance for k in stock.shown_keys()]
        assert shown == sorted(shown, reverse=True)
        await pilot.pause()
        assert "Balance ▼" in lines(app)[2]


async def test_sale_in_the_sandbox_shows_after_a_refresh(
    sandbox_factory: Callable[..., SandboxInfo], tmp_path: Path
) -> None:
    info = sandbox_factory()
    async with running_app(info, tmp_path, highlight_seconds=30) as (app, pilot):
        stock = table(app)
        key = next(k for k in stock.shown_keys() if app.service.rows[k].balance > 3)
        before = app.service.rows[key].balance
        await sell(info, key[1], 3)
        await pilot.press("r")  # refresh now (the next poll is a minute away)
        await wait_for(pilot, lambda: stock.get_row(key).balance == before - 3)
        assert stock.is_highlighted(key)
        assert stock.move_cursor_to(key)
        await pilot.pause()
        row_line = next(line for line in lines(app) if app.service.rows[key].sku[:12] in line)
        assert str(before - 3) in row_line
        # The service's periodic full snapshot is applied in place too (only what changed).
        await sell(info, key[1], 1)
        await app.service.refresh(full=True)
        await wait_for(pilot, lambda: stock.get_row(key).balance == before - 4)
        assert stock.is_highlighted(key)


async def test_out_and_low_markers_follow_the_data(
    sandbox_factory: Callable[..., SandboxInfo], tmp_path: Path
) -> None:
    info = sandbox_factory()
    async with running_app(info, tmp_path) as (app, pilot):
        stock = table(app)
        rows = app.service.rows
        key = next(k for k in stock.shown_keys() if 0 < rows[k].balance <= 20)
        quantity = rows[key].balance
        await sell(info, key[1], quantity)
        await app.service.refresh()
        await wait_for(pilot, lambda: stock.get_row(key).balance == 0)
        stock.move_cursor_to(key)
        await pilot.pause()
        row_line = next(line for line in lines(app) if rows[key].sku[:12] in line)
        assert OUT_MARK in row_line
        low_key = next(k for k, r in rows.items() if r.low_stock and r.shown_balance > 0)
        stock.move_cursor_to(low_key)
        await pilot.pause()
        row_line = next(line for line in lines(app) if rows[low_key].sku[:12] in line)
        assert LOW_MARK in row_line


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_layout_at_80x24_and_120x40(
    sandbox: SandboxInfo, tmp_path: Path, size: tuple[int, int]
) -> None:
    async with running_app(sandbox, tmp_path, size=size, demo=True) as (app, pilot):
        text = lines(app)
        assert len(text) == size[1]
        assert text[0].startswith(" DEMO ") and "● live" in text[0]
        assert "Product" in text[2] and "Balance" in text[2]
        assert ("Barcode" in text[2]) is (size[0] >= 120)
        assert "Filter" in text[-1] and "Quit" in text[-1]
        visible_rows = size[1] - 4  # status, title, header, footer
        assert table(app).scrollable_content_region.height - 1 == visible_rows
        await pilot.press("pagedown")
        assert table(app).cursor_row == visible_rows


async def test_no_color_keeps_markers_and_cursor_readable(
    sandbox: SandboxInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    async with running_app(sandbox, tmp_path) as (app, _pilot):
        assert app.no_color
        strips = app.screen._compositor.render_strips()
        cursor_line = strips[3]
        assert any(style is not None and style.reverse for _, style, _ in cursor_line)
        text = [strip.text for strip in strips]
        assert "● live" in text[0] and "low" in text[0]
        colours = {
            (style.color, style.bgcolor)
            for strip in strips
            for _, style, _ in strip
            if style is not None
        }
        assert all(
            color is None or color.is_default or color.is_system_defined or _grey(color)
            for pair in colours
            for color in pair
        )


def _grey(color: Any) -> bool:
    triplet = color.get_truecolor()
    return triplet.red == triplet.green == triplet.blue


async def test_keys_open_screens_and_escape_goes_back(sandbox: SandboxInfo, tmp_path: Path) -> None:
    async with running_app(sandbox, tmp_path) as (app, pilot):
        await pilot.press("l")
        await pilot.pause()
        assert type(app.screen).__name__ == "LocationsScreen"
        assert app.screen.query(StatusBar)  # the app gives every screen its status line
        await pilot.press("escape")
        assert isinstance(app.screen, BalancesScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        assert isinstance(app.screen, BalancesScreen)
        # The app's `/` (for screens without a filter of their own) comes home, filter open.
        await pilot.press("t")
        await pilot.pause()
        assert type(app.screen).__name__ == "TrackingScreen"
        app.action_filter()
        await pilot.pause()
        assert isinstance(app.screen, BalancesScreen)
        assert app.focused is app.screen.query_one("#filter")


async def test_enter_opens_movement_with_the_row_and_m_with_the_selection(
    sandbox: SandboxInfo, tmp_path: Path
) -> None:
    async with running_app(sandbox, tmp_path) as (app, pilot):
        stock = table(app)
        opened: list[tuple[str, dict[str, Any]]] = []
        app.open_screen = lambda key, **kwargs: opened.append((key, kwargs))  # type: ignore[method-assign]
        await pilot.press("down", "enter")
        assert opened == [("movement", {"keys": [stock.shown_keys()[1]], "focus_quantity": True})]
        await pilot.press("m")  # nothing selected: the row is offered, the typing goes to Find
        assert opened[-1] == ("movement", {"offer": [stock.shown_keys()[1]]})
        await pilot.press("space", "space", "m")  # the selection, in the order shown
        assert opened[-1] == ("movement", {"keys": stock.shown_keys()[1:3]})


async def test_command_palette_runs_an_action(sandbox: SandboxInfo, tmp_path: Path) -> None:
    async with running_app(sandbox, tmp_path) as (app, pilot):
        titles = [command.title for command in app.palette_commands()]
        for wanted in ("Locations", "New movement", "Low-stock alerts", "Tracking", "History"):
            assert wanted in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        app.screen.query_one(CommandInput).value = "sort balances by sku"
        await wait_for(pilot, lambda: app.screen.query_one(CommandList).option_count > 0)
        await pilot.press("enter")
        await wait_for(pilot, lambda: table(app).sort_column == "sku")


async def test_high_contrast_theme_is_registered(sandbox: SandboxInfo, tmp_path: Path) -> None:
    async with running_app(sandbox, tmp_path, theme="zinv-high-contrast") as (app, _pilot):
        assert app.theme == "zinv-high-contrast"
        assert app.current_theme.background == "#000000"


async def set_faults(info: SandboxInfo, **faults: float) -> None:
    SandboxAdmin(info).faults(**faults)


async def test_pending_movement_shows_until_acknowledged_and_errors_notify(
    sandbox_factory: Callable[..., SandboxInfo], tmp_path: Path
) -> None:
    info = sandbox_factory()
    async with running_app(info, tmp_path, size=(120, 40), max_retries=0) as (app, pilot):
        stock = table(app)
        key = stock.shown_keys()[0]
        before = app.service.rows[key].balance
        await set_faults(info, error_rate=1.0)  # Zettle answers 5xx to everything
        await app.service.record([MovementIntent(Reason.RESTOCK, key, quantity=5)])
        await wait_for(pilot, lambda: stock.get_row(key).pending == 5)
        row_line = lines(app)[3]
        assert f"{PENDING_MARK}{before + 5}" in row_line  # optimistic, and marked as pending
        await app.service.refresh()
        await wait_for(pilot, lambda: bool(app._notifications))
        texts = [str(n.message) for n in app._notifications]
        assert any("Zettle" in text or "server" in text.lower() for text in texts), texts
        assert all("Traceback" not in text for text in texts)
        await wait_for(pilot, lambda: "outbox 1 pending" in lines(app)[0])
        await set_faults(info, error_rate=0.0)
        await app.service.flush(10)
        await app.service.refresh()
        await wait_for(pilot, lambda: stock.get_row(key).pending == 0)
        assert stock.get_row(key).balance == before + 5
        await wait_for(pilot, lambda: PENDING_MARK not in lines(app)[3])


@pytest.mark.parametrize(
    ("faults", "shown"),
    [({"error_rate": 1.0}, "◐ stale since"), ({"drop_rate": 1.0}, "○ offline since")],
)
async def test_status_line_says_stale_or_offline_since_the_last_success(
    sandbox_factory: Callable[..., SandboxInfo],
    tmp_path: Path,
    faults: dict[str, float],
    shown: str,
) -> None:
    info = sandbox_factory()
    async with running_app(info, tmp_path, max_retries=0) as (app, pilot):
        last_success = app.service.status.last_success
        assert last_success is not None
        await set_faults(info, **faults)
        await app.service.refresh()
        since = f"{shown} {last_success.astimezone(UTC):%H:%M}"  # frozen: times in UTC
        await wait_for(pilot, lambda: since in lines(app)[0])
        await set_faults(info, error_rate=0.0, drop_rate=0.0)
        await app.service.refresh()
        await wait_for(pilot, lambda: "● live" in lines(app)[0])


@pytest.mark.parametrize("call", ["send", "poll"])
async def test_status_line_stops_saying_live_while_zettle_keeps_a_call_waiting(
    sandbox_factory: Callable[..., SandboxInfo], tmp_path: Path, call: str
) -> None:
    """Walk finding: with the sandbox frozen, the bar said "● live" for as long as a send (or a
    poll) waited for its timeout. Now it says so once a call overruns, and is live again after."""
    info = sandbox_factory()
    patience = {"answer_patience": 0.2}
    async with running_app(info, tmp_path, service_options=patience) as (app, pilot):
        assert "● live" in lines(app)[0]
        await set_faults(info, latency_ms=1500)  # Zettle keeps every call waiting 1.5 s
        if call == "send":
            key = table(app).shown_keys()[0]
            await app.service.record([MovementIntent(Reason.RESTOCK, key, quantity=5)])
            answered = asyncio.ensure_future(app.service.flush(10))
        else:
            answered = asyncio.ensure_future(app.service.refresh())
        await wait_for(pilot, lambda: "◌ waiting for Zettle…" in lines(app)[0])
        assert "● live" not in lines(app)[0]
        await set_faults(info, latency_ms=0)
        assert (await answered) not in (None, False)  # sent, or read
        await wait_for(pilot, lambda: "● live" in lines(app)[0])
        assert "waiting for Zettle" not in lines(app)[0]


async def test_footer_shows_counts_help_and_quit_at_80_columns(
    sandbox: SandboxInfo, tmp_path: Path
) -> None:
    """Walkthrough #13: ``c`` was never in the footer; with the table focused ? and q were cut."""
    async with running_app(sandbox, tmp_path) as (app, pilot):
        for keys in ((), ("slash", "escape")):  # as loaded, and once the table has the focus
            await pilot.press(*keys)
            await pilot.pause()
            assert app.focused is table(app)
            footer = lines(app)[-1]
            for wanted in ("/ Filter", "m Move", "c Counts", "? Help", "q Quit"):
                assert wanted in footer, (keys, footer)


async def test_escape_and_a_recorded_movement_go_back_where_they_started(
    sandbox_factory: Callable[..., SandboxInfo], tmp_path: Path
) -> None:
    """Walkthrough #13: from History, ``m`` then Esc (or Confirm) landed on the balances."""
    info = sandbox_factory(products=40)
    async with running_app(info, tmp_path) as (app, pilot):
        await pilot.press("h")
        await pilot.pause()
        history = app.screen
        assert isinstance(history, HistoryScreen)
        for leave in ("escape", "ctrl+s"):
            await pilot.press("m")
            await pilot.pause()
            movement = app.screen
            assert isinstance(movement, MovementScreen)
            if leave == "ctrl+s":
                await movement.pick(table_key(app), scanned=True)
            await pilot.press(leave)
            await wait_for(pilot, lambda: app.screen is history)
        assert app.service.history(limit=1)[0].quantity == 1
        await pilot.press("escape")
        assert isinstance(app.screen, BalancesScreen)


def table_key(app: ZinvApp) -> tuple[str, str]:
    """A tracked row's key (the first by name)."""
    return min(app.service.rows, key=lambda key: app.service.rows[key].product_name)


async def test_q_with_movements_waiting_says_so_and_asks(
    sandbox_factory: Callable[..., SandboxInfo], tmp_path: Path
) -> None:
    """Walkthrough #14: ``q`` quit at once with a movement still waiting to be sent."""
    info = sandbox_factory(products=40)
    async with running_app(info, tmp_path) as (app, pilot):
        await set_faults(info, error_rate=1.0)  # Zettle fails every request: it stays waiting
        await app.service.record([MovementIntent(Reason.RESTOCK, table_key(app), quantity=2)])
        await pilot.press("q")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        title = str(dialog.query_one(".dialog-title").content)
        body = str(dialog.query_one(".dialog-body").content)
        assert "1 movement not sent yet" in title
        assert "sent the next time zinv-tui starts" in body
        assert "1 movement still waits" in body and "Nothing is lost: it is kept" in body
        await pilot.press("escape")  # no: keep going
        await pilot.pause()
        assert isinstance(app.screen, BalancesScreen) and app.is_running
        await pilot.press("q", "enter")  # yes: quits, the movement stays in the outbox
        await wait_for(pilot, lambda: not app.is_running)
        await set_faults(info, error_rate=0.0)


async def test_quit_dialog_buttons_and_keys_show_over_toasts_at_80x24(
    sandbox_factory: Callable[..., SandboxInfo], tmp_path: Path
) -> None:
    """Walk: with three toasts up, the quit dialog's buttons were hidden under them, and its
    footer showed the keys of the screen behind (``/ Filter m Move q Quit``)."""
    info = sandbox_factory(products=40)
    async with running_app(info, tmp_path, notifications=True) as (app, pilot):
        await set_faults(info, error_rate=1.0)
        await app.service.record([MovementIntent(Reason.RESTOCK, table_key(app), quantity=2)])
        for number in range(3):
            app.notify(f"Toast number {number}: a sentence long enough to take two lines here")
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await settle(pilot)
        dialog = app.screen
        for button in dialog.query(Button):
            x, y = button.region.x + 1, button.region.y
            assert dialog.get_widget_at(x, y)[0] is button, f"{button.label} is covered"
        footer = {key.description for key in dialog.query_one(KeyBar).entries}
        assert footer == {"Quit", "Cancel"}
        assert "Filter" not in lines(app)[-1] and "Cancel" in lines(app)[-1]
        await pilot.press("q")  # not a second quit dialog: this one is answered first
        await pilot.pause()
        assert app.screen is dialog and len(app.screen_stack) == 2
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BalancesScreen)
        assert app.screen.query(Toast)  # the toasts still showing are back
        await set_faults(info, error_rate=0.0)


async def test_theme_and_sort_are_remembered_across_launches(
    sandbox: SandboxInfo, tmp_path: Path
) -> None:
    """Walkthrough #14: the theme and the sort order were back to the defaults on every start."""
    for launch in range(3):
        async with running_app(sandbox, tmp_path) as (app, pilot):
            stock = table(app)
            if launch == 0:
                assert (app.theme, stock.sort_column, stock.sort_reverse) == (
                    "zinv-dark",
                    "product",
                    False,
                )
                app.action_set_theme("zinv-high-contrast")
                await pilot.press("s", "S")  # sort by the next column, then reverse it
                await pilot.pause()
                chosen = (stock.sort_column, stock.sort_reverse)
                assert chosen == ("variant", True)
            elif launch == 1:
                assert (app.theme, stock.sort_column, stock.sort_reverse) == (
                    "zinv-high-contrast",
                    *chosen,
                )
                assert "Variant ▼" in lines(app)[2]
                assert break_preferences(tmp_path) == [PREFERENCES_FILE]  # no temporary left
            else:  # a broken file is ignored: the defaults
                assert (app.theme, stock.sort_column) == ("zinv-dark", "product")


def break_preferences(folder: Path) -> list[str]:
    """The preference files in ``folder``; then the preferences are made unreadable."""
    names = [path.name for path in folder.glob("*ui-preferences*")]
    (folder / PREFERENCES_FILE).write_text('{"theme": 7, "sort_column": ', encoding="utf-8")
    return names
