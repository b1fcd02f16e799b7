"""A test per private Textual touch in ``zinv_tui/ui/textual_compat.py``: each fails when Textual
changes what the touch relies on (run these first when moving the Textual pin), plus the public
key-handling rule the fields rely on instead of overriding ``_on_key``."""

from __future__ import annotations

import inspect

from textual import events, screen
from textual.app import App, ComposeResult
from textual.color import Color
from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet
from textual.geometry import Size
from textual.notifications import Notification
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input
from textual.widgets._toast import Toast

from zinv_tui.ui import textual_compat
from zinv_tui.ui.textual_compat import (
    SteadyScrollView,
    share_css_parses,
    show_notification,
    withdraw_notification,
)


def test_scroll_view_size_updated_is_what_the_override_expects() -> None:
    """``ScrollView._size_updated(size, virtual_size, container_size, layout=True) -> bool`` is
    what a layout pass calls on each widget."""
    method = ScrollView.__dict__["_size_updated"]
    parameters = list(inspect.signature(method).parameters)
    assert parameters == ["self", "size", "virtual_size", "container_size", "layout"]
    assert inspect.signature(method).return_annotation in ("bool", bool)
    assert "._size_updated(" in inspect.getsource(screen.Screen)  # the caller


def test_widget_scroll_update_takes_the_virtual_size() -> None:
    parameters = list(inspect.signature(Widget._scroll_update).parameters)
    assert parameters == ["self", "virtual_size"]
    assert "vertical_scrollbar.window_virtual_size" in inspect.getsource(Widget._scroll_update)


class Lines(SteadyScrollView):
    DEFAULT_CSS = "Lines { height: 1fr; overflow-y: scroll; scrollbar-size-vertical: 1; }"

    def __init__(self) -> None:
        super().__init__()
        self.scrollbar_updates = 0

    def _scroll_update(self, virtual_size: Size) -> None:
        self.scrollbar_updates += 1
        super()._scroll_update(virtual_size)

    def render_line(self, y: int) -> Strip:
        return Strip.blank(self.line_width)


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield Input(id="field")
        yield Lines()


async def test_the_scrollbar_follows_at_once_and_a_layout_pass_leaves_it_alone() -> None:
    app = Host()
    async with app.run_test(size=(40, 12)) as pilot:
        lines = app.query_one(Lines)
        await pilot.pause()
        lines.set_virtual_height(500)
        assert lines.virtual_size.height == 500
        assert lines.vertical_scrollbar.window_virtual_size == 500  # this frame, not the next
        assert lines.line_width == 39  # the scrollbar's column is not a line's
        before = lines.scrollbar_updates
        field = app.query_one("#field", Input)
        field.focus()
        await pilot.press("a", "b")  # each key lays the screen out (the field)
        await pilot.pause()
        assert field.value == "ab"
        assert lines.scrollbar_updates == before
        await pilot.resize_terminal(60, 12)  # a real resize still gets through
        await pilot.pause()
        assert lines.scrollbar_updates > before
        assert lines.line_width == 59


class First(Input):
    """Takes ``x`` before Input's own handler, as the zinv-tui fields do with ``on_key``."""

    def on_key(self, event: events.Key) -> None:
        if event.key == "x":
            event.prevent_default()  # Input's handler (a base class) must not type it


class Fields(App[None]):
    def compose(self) -> ComposeResult:
        yield First()


async def test_a_subclass_on_key_runs_first_and_prevent_default_skips_the_base() -> None:
    app = Fields()
    async with app.run_test() as pilot:
        field = app.query_one(First)
        field.focus()
        await pilot.press("a", "x", "b")
        assert field.value == "ab"


async def test_a_toast_shown_can_be_withdrawn_before_its_time() -> None:
    """``Notify`` shows a notification kept by the caller; ``App._unnotify`` takes it off the
    screen (the "sending to Zettle" toast goes once the movements are sent)."""
    app = Host()
    async with app.run_test(size=(40, 12), notifications=True) as pilot:
        note = Notification("sending", timeout=60)
        show_notification(app, note)
        withdraw_notification(app, note)  # at once: it still goes after it was shown
        await pilot.pause()
        assert note not in app._notifications and not app.screen.query(Toast)
        kept = Notification("sending", timeout=60)
        show_notification(app, kept)
        await pilot.pause()
        assert kept in app._notifications and app.screen.query(Toast)
        withdraw_notification(app, kept)
        await pilot.pause()
        assert kept not in app._notifications and not app.screen.query(Toast)


def test_stylesheet_parse_rules_is_what_the_shared_parses_wrap() -> None:
    """``Stylesheet._parse_rules(css, read_from, is_default_rules, tie_breaker, scope)`` parses
    one source with the variables in ``Stylesheet._variables`` (what ``set_variables`` sets)."""
    parameters = list(inspect.signature(textual_compat._parse_alone).parameters)
    assert parameters == ["self", "css", "read_from", "is_default_rules", "tie_breaker", "scope"]
    sheet = Stylesheet(variables={"ink": "red"})
    assert sheet._variables == {"ink": "red"}
    sheet.set_variables({"ink": "blue"})
    assert sheet._variables == {"ink": "blue"}
    assert "self._parse_rules(" in inspect.getsource(Stylesheet.parse)  # the caller


def test_shared_css_parses_are_shared_only_under_the_same_variables() -> None:
    share_css_parses()
    css = "Widget { color: $ink; }"

    def parsed(ink: str) -> RuleSet:
        sheet = Stylesheet(variables={"ink": ink})
        sheet.add_source(css, read_from=("test", "compat"))
        sheet.parse()
        return sheet.rules[0]

    red = parsed("red")
    assert parsed("red") is red  # another stylesheet, the same parse
    blue = parsed("blue")
    assert blue is not red
    assert (red.styles.color, blue.styles.color) == (Color.parse("red"), Color.parse("blue"))
