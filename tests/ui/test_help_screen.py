"""Help overlay: lists the bindings of the screen below it, read live; Esc closes."""

from __future__ import annotations

import pytest
from screen_support import screen_app, settle, shop

from zinv_tui.ui.screens.help import HelpScreen
from zinv_tui.ui.screens.history import HistoryScreen

pytestmark = pytest.mark.timeout(60)


async def test_help_lists_every_binding_of_the_current_screen(sandbox, tmp_path):
    async with shop(sandbox, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("h")
            await settle(pilot)
            history = app.screen
            assert isinstance(history, HistoryScreen)
            await pilot.press("question_mark")
            await settle(pilot)
            help_screen = app.screen
            assert isinstance(help_screen, HelpScreen)
            keys = {
                (line.scope, key, line.description)
                for line in help_screen.lines
                for key in line.keys.split()
            }
            for expected in [
                ("This screen", "u", "Undo"),
                ("This screen", "e", "Export CSV"),
                ("This screen", "/", "Filter"),
                ("This screen", "esc", "Back"),
                ("Everywhere", "q", "Quit"),
                ("Everywhere", "m", "Move"),
            ]:
                assert expected in keys
            # The screen's own keys first, then the focused table's, the app's, Textual's generic.
            scopes = [line.scope for line in help_screen.lines]
            order = ["This screen", "In the field", "Everywhere", "Any screen"]
            assert sorted(set(scopes), key=order.index) == order
            assert scopes == sorted(scopes, key=order.index)
            table = help_screen.query_one("#help-table")
            assert table.row_count == len(help_screen.lines)
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is history

            await pilot.press("escape")  # home: the app's own keys and the balances'
            await settle(pilot)
            await pilot.press("question_mark")
            await settle(pilot)
            described = {line.description for line in app.screen.lines}
            assert {"Filter", "Move", "Alerts", "Locations", "History", "Quit"} <= described


async def test_f1_opens_the_keys_where_a_text_field_takes_question_marks(sandbox, tmp_path):
    async with shop(sandbox, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.open_screen("movement")
            await settle(pilot)
            movement = app.screen
            await pilot.press("question_mark")  # typed into the search field
            assert movement.query_one("#picker-input").value == "?"
            await pilot.press("f1")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen)
            descriptions = {line.description for line in app.screen.lines}
            assert {"Confirm", "Find item", "Remove line", "Back"} <= descriptions
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is movement
