"""The app as it runs in a browser (``zinv-tui serve``; ``ZinvApp(browser=True)`` here, as
``App.is_web`` makes it there): who is working, keys a browser lets through, touch buttons.

The real browser runs these too (tests/browser); these are the quick, exact checks with Pilot.
"""

from __future__ import annotations

import importlib
import inspect

import pytest
from textual.binding import Binding
from textual.widgets import Button, Input

from tests.support.sandbox import SandboxAdmin
from tests.support.screens import enter_text, pick_row, screen_app, settle, shop
from zinv_tui.service import Reason
from zinv_tui.ui.app import ZinvApp
from zinv_tui.ui.browser_keys import BROWSER_KEYMAP, bindings_of, browser_safe, keys_in_browser
from zinv_tui.ui.screens.balances import BalancesScreen
from zinv_tui.ui.screens.count_session import CountScreen
from zinv_tui.ui.screens.help import HelpScreen
from zinv_tui.ui.screens.movement import MovementScreen
from zinv_tui.ui.screens.who import WhoScreen, clean_name
from zinv_tui.ui.widgets.key_bar import KeyBar

pytestmark = pytest.mark.timeout(60)

UI_MODULES = (
    "zinv_tui.ui.app",
    "zinv_tui.ui.screens.balances",
    "zinv_tui.ui.screens.count_review",
    "zinv_tui.ui.screens.count_session",
    "zinv_tui.ui.screens.counts",
    "zinv_tui.ui.screens.dialogs",
    "zinv_tui.ui.screens.first_run",
    "zinv_tui.ui.screens.help",
    "zinv_tui.ui.screens.history",
    "zinv_tui.ui.screens.locations",
    "zinv_tui.ui.screens.low_stock",
    "zinv_tui.ui.screens.movement",
    "zinv_tui.ui.screens.tracking",
    "zinv_tui.ui.screens.variant_search",
    "zinv_tui.ui.screens.who",
    "zinv_tui.ui.widgets.stock_table",
    "zinv_tui.ui.widgets.text_input",
)


def zinv_bindings() -> list[tuple[str, Binding]]:
    """Every binding zinv-tui's own classes declare: (class, binding)."""
    found: list[tuple[str, Binding]] = []
    for name in UI_MODULES:
        module = importlib.import_module(name)
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != name:
                continue
            for binding in bindings_of(cls.__dict__.get("BINDINGS", ())):
                found.append((cls_name, binding))
    return found


def test_every_action_has_a_key_a_browser_lets_through_and_shows_it_first() -> None:
    bindings = zinv_bindings()
    assert len(bindings) > 40  # the scan found the screens
    unsafe: list[str] = []
    for owner, binding in bindings:
        keys = keys_in_browser(binding)
        if not any(browser_safe(key) for key in keys) or not browser_safe(keys[0]):
            unsafe.append(f"{owner}: {binding.key} -> {binding.action} ({','.join(keys)})")
    assert unsafe == []
    ids = {binding.id for _owner, binding in bindings if binding.id}
    assert set(BROWSER_KEYMAP) <= ids  # no keymap entry for a binding that is not there


def test_names_of_who_is_working() -> None:
    assert clean_name("  Ana   María ") == "Ana María"
    assert clean_name("") is None and clean_name("   ") is None
    assert clean_name("x" * 65) is None and clean_name("Bo\x1b[2J") is None


async def test_a_browser_session_asks_who_is_working_and_records_it(sandbox_factory, tmp_path):
    info = sandbox_factory(products=30)
    admin = SandboxAdmin(info)
    async with shop(info, tmp_path) as service:
        row = pick_row(service)
        app = screen_app(service, browser=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, WhoScreen)
            await pilot.press("m")  # typed into the name field: no screen opens behind it
            await pilot.press("backspace", "enter")  # an empty name is refused
            await settle(pilot)
            assert isinstance(app.screen, WhoScreen)
            await enter_text(pilot, app.screen.query_one("#who-name"), "Ana")
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, BalancesScreen)
            assert service.user == "Ana" and "│ Ana" in app.screen.query_one("StatusBar").render()
            app.open_screen("movement")
            await settle(pilot)
            await enter_text(pilot, app.screen.query_one("#picker-input"), row.sku)
            await pilot.press("enter", "f2")  # the browser's Confirm key
            await settle(pilot)
            assert isinstance(app.screen, BalancesScreen)
            assert await service.flush(10)
        [entry] = service.history(limit=5)
        assert (entry.user, entry.reason, entry.quantity) == ("Ana", Reason.RESTOCK, 1)
        assert len(admin.api_movements(row.variant_uuid)) == 1
        app = screen_app(service, browser=True)  # the next session offers the name as a button
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.click("#who-name-0")
            await settle(pilot)
            assert service.user == "Ana" and isinstance(app.screen, BalancesScreen)


async def test_browser_keys_lead_in_the_footer_and_help_and_work(sandbox, tmp_path):
    async with shop(sandbox, tmp_path) as service:
        app = screen_app(service, browser=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            app.pop_screen()  # no need to say who, here
            app.open_screen("movement")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, MovementScreen)
            footer_keys = [key.key for key in screen.query_one(KeyBar).entries]
            assert {"f2", "f4", "f8"} <= set(footer_keys)
            assert not {"ctrl+s", "ctrl+f", "ctrl+r", "ctrl+n"} & set(footer_keys)
            assert str(screen.query_one("#confirm", Button).label) == "Confirm f2"
            await pilot.press("f9")  # the note (ctrl+n never reaches a page)
            assert screen.focused is screen.query_one("#note", Input)
            await pilot.press("f4")
            assert screen.focused is screen.query_one("#picker-input", Input)
            await pilot.press("question_mark")
            await settle(pilot)
            help_screen = app.screen
            assert isinstance(help_screen, HelpScreen)
            keys = {line.description: line.keys for line in help_screen.lines}
            assert keys["Confirm"].startswith("f2") and keys["Note"] == "f9"
        terminal = screen_app(service)  # in a terminal nothing changed
        async with terminal.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert isinstance(terminal.screen, BalancesScreen)  # nobody is asked who
            terminal.open_screen("movement")
            await settle(pilot)
            footer_keys = [key.key for key in terminal.screen.query_one(KeyBar).entries]
            assert "ctrl+s" in footer_keys and "f2" not in footer_keys
            assert not terminal.screen.query(".line-touch")


async def test_touch_buttons_on_the_movement_and_count_screens(sandbox_factory, tmp_path):
    info = sandbox_factory(products=30)
    async with shop(info, tmp_path) as service:
        first = pick_row(service, with_barcode=True, minimum=5)
        second = pick_row(service, with_barcode=True, minimum=5, exclude=[first.key])
        app = screen_app(service, browser=True)
        async with app.run_test(size=(110, 36)) as pilot:
            await settle(pilot)
            app.pop_screen()
            assert app.has_class("-touch")
            app.open_screen("movement")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, MovementScreen)
            for row in (first, second):
                await pilot.press("f4")  # Find (a SKU typed by hand leaves the focus in its Qty)
                assert screen.query_one("#picker-input").has_focus
                screen.query_one("#picker-input").value = row.sku
                await pilot.press("enter")
                await settle(pilot)
            one, two = screen.lines
            assert one.query_one(".line-more", Button).size.height >= 3  # a finger's size
            await pilot.click(one.query_one(".line-more"))
            await pilot.click(one.query_one(".line-more"))
            await pilot.click(one.query_one(".line-less"))
            await pilot.click(two.query_one(".line-remove"))
            await settle(pilot)
            assert [line.key for line in screen.lines] == [first.key]
            assert one.quantity_text == "2"
            await pilot.click("#confirm")
            await settle(pilot)
            assert isinstance(app.screen, BalancesScreen)
            assert service.history(limit=1)[0].quantity == 2

            app.open_screen("counts")
            await settle(pilot)
            await pilot.click(".counts-touch")  # New count
            await settle(pilot)
            await pilot.press("enter")  # the dialog: start an ad-hoc count
            await settle(pilot)
            count = app.screen
            assert isinstance(count, CountScreen)
            count.query_one("#scan").value = first.barcode
            await pilot.press("enter")
            await settle(pilot)
            for label in ("+1", "+1", "-1"):
                button = next(b for b in count.query(".count-touch") if str(b.label) == label)
                await pilot.click(button)
                await settle(pilot)
            assert count.line(first.key).counted == 2
            assert count.focused is count.query_one("#scan", Input)  # the scanner's field
            undo = next(b for b in count.query(".count-touch") if str(b.label) == "Undo scan")
            await pilot.click(undo)
            await settle(pilot)
            assert count.line(first.key).counted == 3  # the -1 taken back


def test_the_browser_option_defaults_to_the_driver() -> None:
    assert inspect.signature(ZinvApp.__init__).parameters["browser"].default is None
