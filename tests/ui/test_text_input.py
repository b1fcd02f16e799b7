"""Editing keys that arrive in one read with the characters after them apply in typing order."""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Input

from zinv_tui.ui.widgets.text_input import TextInput


class _Fields(App[None]):
    def compose(self) -> ComposeResult:
        yield TextInput(id="ordered")
        yield Input(id="plain")


async def _type_as_one_read(
    app: App[None], field: Input, keys: list[tuple[str, str | None]]
) -> None:
    """Post the keys back to back, as the driver does for one terminal read."""
    field.focus()
    for key, character in keys:
        app.post_message(events.Key(key, character))


BURST = [("1", "1"), ("2", "2"), ("backspace", "\x7f"), ("5", "5"), ("left", None), ("0", "0")]


async def test_a_burst_of_edits_applies_in_typing_order() -> None:
    app = _Fields()
    async with app.run_test() as pilot:
        ordered = app.query_one("#ordered", TextInput)
        await _type_as_one_read(app, ordered, BURST)
        await pilot.pause()
        await pilot.pause()
        assert ordered.value == "105"


async def test_textual_input_alone_reorders_the_same_burst() -> None:
    """Guards the premise: if Textual fixes the ordering upstream, TextInput can go."""
    app = _Fields()
    async with app.run_test() as pilot:
        plain = app.query_one("#plain", Input)
        await _type_as_one_read(app, plain, BURST)
        await pilot.pause()
        await pilot.pause()
        assert plain.value != "105"
