"""Help overlay: lists the bindings of the screen below it, read live; Esc closes."""

from __future__ import annotations

import pytest

from tests.support.screens import pick_row, screen_app, settle, shop
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
                ("Outside fields", "u", "Undo"),  # the screen has a filter field: typed there
                ("Outside fields", "e", "Export CSV"),
                ("Outside fields", "/", "Filter"),
                ("This screen", "esc", "Back"),
                ("Outside fields", "q", "Quit"),
                ("Outside fields", "m", "Move"),
                ("This screen", "?", "Help"),  # ? opens the help from a filter field too
            ]:
                assert expected in keys
            # The screen's own keys first, then the app's; never generic editing or scroll keys.
            assert help_screen.lines[0].description == "Back"
            assert not {"Scroll Up", "Scroll Down", "Cursor up", "Focus Next"} & {
                line.description for line in help_screen.lines
            }
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


async def test_question_mark_opens_help_in_fields_and_f1_where_it_types(sandbox, tmp_path):
    """Walkthrough #5: ``?`` typed itself into the movement's fields; F1 was shown nowhere; the
    keys dialog cut its Where column at 80 columns and listed generic editor keys."""
    async with shop(sandbox, tmp_path) as service:
        row = pick_row(service)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.open_screen("movement", keys=[row.key])
            await settle(pilot)
            movement = app.screen
            line = movement.lines[0]
            for field in (movement.query_one("#picker-input"), line.quantity_input):
                field.focus()
                await pilot.press("question_mark")
                await settle(pilot)
                assert isinstance(app.screen, HelpScreen), field
                descriptions = {help_line.description for help_line in app.screen.lines}
                assert {"Confirm", "Find item", "Remove line", "Back"} <= descriptions
                assert not [text for text in descriptions if "cursor" in text.lower()]
                shown = screen_lines(app)
                header = next(text for text in shown if "Does" in text)
                assert "Where" in header
                assert any(text.rstrip(" │▁▂▃▄▅▆▇█").endswith("This screen") for text in shown)
                await pilot.press("escape")
                await settle(pilot)
                assert app.screen is movement and field.value in ("", "1"), field
            await pilot.press("ctrl+n")  # the note is free text: ? is typed, F1 is the help key
            await settle(pilot)
            await pilot.press("question_mark")
            assert movement.query_one("#note").value == "?"
            assert "f1 Help" in screen_lines(app)[-1]
            await pilot.press("f1")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen)


def screen_lines(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]
