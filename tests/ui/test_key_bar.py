"""The key bar (the screens' one line of keys at the bottom), on the real app and the sandbox: it
lists the keys of the screen and the focus, follows them, dims a disabled key, runs a clicked
key, and repaints only when its keys change."""

from __future__ import annotations

from typing import Any

import pytest
from rich.text import Text
from textual import events
from textual.command import CommandPalette

from tests.support.screens import screen_app, screen_text, settle, shop
from zinv_tui.ui.app import ZinvApp
from zinv_tui.ui.screens.balances import BalancesScreen
from zinv_tui.ui.screens.history import HistoryScreen
from zinv_tui.ui.screens.movement import MovementScreen
from zinv_tui.ui.widgets.key_bar import KeyBar, KeySpan

pytestmark = pytest.mark.timeout(60)


def bar(app: ZinvApp) -> KeyBar:
    return app.screen.query_one(KeyBar)


def described(app: ZinvApp) -> list[str]:
    return [entry.description for entry in bar(app).entries]


def span_of(app: ZinvApp, description: str) -> KeySpan:
    [span] = [span for span in bar(app).spans if span.entry.description == description]
    return span


def drawn(app: ZinvApp) -> dict[str, str]:
    """Each key the bar says it drew -> the text in those cells of the screen's last line."""
    last = screen_text(app)[-1]
    return {span.entry.description: last[span.start : span.end].strip() for span in bar(app).spans}


async def test_the_bar_lists_the_screen_keys_and_follows_the_focus_and_the_screen(
    sandbox, tmp_path
):
    async with shop(sandbox, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, BalancesScreen)
            home = ["Filter", "Move", "Alerts", "Locations", "History", "Tracking", "Counts"]
            assert described(app) == [*home, "Help", "Quit"]
            assert bar(app).palette is None  # the balances' bar has no room for it
            assert screen_text(app)[-1].startswith("/ Filter m Move a Alerts l Locations")

            app.open_screen("history")
            await settle(pilot)
            assert isinstance(app.screen, HistoryScreen)
            assert described(app)[:4] == ["Back", "Filter", "Reason", "Undo"]
            palette = bar(app).palette
            assert palette is not None and palette.display == "^p"
            shown = drawn(
                app
            )  # every key whole where the bar says it is, the palette's at the right
            assert shown["Back"] == "esc Back" and shown["Undo"] == "u Undo"
            assert shown["palette"] == "^p palette" and screen_text(app)[-1].endswith("palette ")

            app.open_screen("movement")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, MovementScreen)
            assert screen.focused is screen.query_one("#picker-input")
            assert "Quit" not in described(app)  # q is typed in the field
            screen.query_one("#reason").focus()
            await settle(pilot)
            assert described(app)[-1] == "Quit" and "q Quit" in screen_text(app)[-1]

            app.open_screen("low_stock")  # more keys than 80 columns: the last ones left out whole
            await settle(pilot)
            keys = described(app)
            shown = drawn(app)
            assert "Help" in keys and "Help" not in shown
            for entry in bar(app).entries:
                if entry.description in shown:
                    assert shown[entry.description] == f"{entry.display} {entry.description}"


async def test_a_disabled_key_is_dim_and_a_click_on_it_only_rings_the_bell(
    sandbox, tmp_path, monkeypatch
):
    async with shop(sandbox, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(100, 24)) as pilot:
            await settle(pilot)
            app.open_screen("history")
            await settle(pilot)
            history = app.screen
            assert isinstance(history, HistoryScreen)
            # The screen says Undo cannot run now but is to be shown (None: disabled, visible).
            monkeypatch.setattr(
                history,
                "check_action",
                lambda action, _parameters: None if action == "undo" else True,
            )
            history.refresh_bindings()
            await settle(pilot)
            undo = span_of(app, "Undo")
            assert not undo.entry.enabled and span_of(app, "Reason").entry.enabled
            line = bar(app).render()
            assert isinstance(line, Text)
            assert line.get_style_at_offset(app.console, undo.start + 1).dim
            assert not line.get_style_at_offset(app.console, span_of(app, "Reason").start + 1).dim
            assert drawn(app)["Undo"] == "u Undo"  # still shown where it was

            rung: list[int] = []
            pressed: list[str] = []
            monkeypatch.setattr(app, "bell", lambda: rung.append(1))
            simulate = app.simulate_key
            monkeypatch.setattr(
                app, "simulate_key", lambda key: pressed.append(key) or simulate(key)
            )
            await pilot.click(KeyBar, offset=(undo.start + 1, 0))
            await settle(pilot)
            assert rung == [1] and pressed == []
            assert app.screen is history


async def test_a_click_on_a_key_does_what_the_key_does(sandbox, tmp_path):
    async with shop(sandbox, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            home = app.screen
            assert isinstance(home, BalancesScreen)
            await pilot.click(KeyBar, offset=(span_of(app, "History").start + 2, 0))
            await settle(pilot)
            assert isinstance(app.screen, HistoryScreen)
            await pilot.click(KeyBar, offset=(span_of(app, "palette").end - 2, 0))
            await settle(pilot)
            assert isinstance(app.screen, CommandPalette)
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, HistoryScreen)
            await pilot.click(KeyBar, offset=(span_of(app, "Back").start, 0))
            await settle(pilot)
            assert app.screen is home
            await pilot.click(KeyBar, offset=(79, 0))  # past the last key: nothing
            await settle(pilot)
            assert app.screen is home


async def test_the_bar_repaints_only_when_its_keys_change(sandbox, tmp_path, monkeypatch):
    async with shop(sandbox, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.open_screen("movement")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, MovementScreen)
            screen.query_one("#confirm").focus()
            await settle(pilot)
            key_bar = bar(app)
            renders: list[int] = []
            render = key_bar.render

            def counted() -> Any:
                renders.append(1)
                return render()

            monkeypatch.setattr(key_bar, "render", counted)
            before = key_bar.entries
            screen.query_one("#cancel").focus()  # the same keys on both buttons
            await settle(pilot)
            for _ in range(3):
                screen.refresh_bindings()
            await settle(pilot)
            assert key_bar.entries == before and renders == []

            screen.query_one("#picker-input").focus()  # q is typed here: Quit goes
            await settle(pilot)
            assert "Quit" not in described(app) and renders
            assert "q Quit" not in screen_text(app)[-1]


async def test_a_screen_opened_while_the_app_has_no_focus_shows_its_keys(sandbox, tmp_path):
    """In a browser the page loses the focus (a tap elsewhere): the bar keeps its keys, and a
    screen opened then shows its own, not an empty line until the focus comes back."""
    async with shop(sandbox, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            home = described(app)
            app.post_message(events.AppBlur())
            await settle(pilot)
            assert not app.app_focus and described(app) == home
            app.open_screen("history")
            await settle(pilot)
            assert described(app)[:2] == ["Back", "Filter"]
            assert "esc Back" in screen_text(app)[-1]
