"""Every use of Textual's private API in zinv-tui, in one place.

Textual is pinned exactly (``pyproject.toml``); before moving the pin, run
``tests/ui/test_textual_compat.py``: it has a test per private touch below that fails when Textual
changes what the touch relies on. Everything else in ``ui/`` uses Textual's public API (the help
and the command palette read ``Screen.active_bindings``; keys are taken before a widget's own
handler with a public ``on_key`` and ``Key.prevent_default()``).

Private touches:

- :class:`SteadyScrollView`: ``ScrollView._size_updated`` (overridden) and
  ``Widget._scroll_update`` (called), so a Line API table's scrollbar is updated in the frame of
  the change rather than one frame later, and a layout pass of the screen that leaves the widget's
  size as it was does not repaint the scrollbar. Measured on the balances at 50k rows: every typed
  filter key lays the screen out (the field), which otherwise costs one more frame per key.
- :func:`show_notification` and :func:`withdraw_notification`: a toast the app takes back before
  its time (``App.notify`` keeps no handle): the ``Notify`` message ``App.notify`` posts, and
  ``App._unnotify`` (called), so a "sending" toast goes once the movements are sent.
- :func:`share_css_parses`: ``Stylesheet._parse_rules`` (wrapped) and ``Stylesheet._variables``
  (read), so parsed CSS is shared by every stylesheet of the process. Textual parses every
  source again whenever it re-parses (a fresh ``Stylesheet`` each time, with an empty cache):
  three times as the app starts (theme set, first screen) and once more for each screen's first
  visit, 10-20 ms each; and once more per app, for each of the hundreds of apps a test run makes.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from weakref import WeakKeyDictionary

from textual.app import App
from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet
from textual.geometry import Size
from textual.notifications import Notification, Notify
from textual.scroll_view import ScrollView


class SteadyScrollView(ScrollView):
    """A ScrollView whose vertical scrollbar is always shown (``overflow-y: scroll``), so its
    layout never depends on its content: the virtual height is set without a layout pass and
    the scrollbar updated at once. Subclasses call :meth:`set_virtual_height` and, on a resize,
    :meth:`resized`; :attr:`line_width` is the width of a line, cached until a resize."""

    _line_width_cache: int | None = None

    @property
    def line_width(self) -> int:
        """Cells per line (cached: the scrollbar is always there, so only a resize changes it)."""
        if self._line_width_cache is None:
            self._line_width_cache = self.scrollable_content_region.width or self.size.width
        return self._line_width_cache

    def set_virtual_height(self, height: int) -> None:
        """Set the scrollable height without a layout pass of the whole screen.

        ``virtual_size`` is a layout reactive: assigning it reflows the screen and repaints the
        scrollbar a frame later. The vertical scrollbar is always shown, so the layout cannot
        change; the scrollbar is updated here, in the same frame.
        """
        size = Size(self.scrollable_content_region.width, height)
        if size == self.virtual_size:
            return
        if not self.is_mounted or not self.container_size:
            self.virtual_size = size
            return
        self.set_reactive(ScrollView.virtual_size, size)
        self._scroll_update(size)  # private: Widget._scroll_update(virtual_size)

    def resized(self, height: int) -> None:
        """After a resize: forget the line width and set the virtual size (a layout pass)."""
        self._line_width_cache = None
        self.virtual_size = Size(self.scrollable_content_region.width, height)

    def _size_updated(  # private: overrides ScrollView._size_updated
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        """Skip ScrollView's scrollbar update when only someone else's layout ran.

        Any layout pass of the screen (an Input lays itself out on every keystroke) calls this with
        the widget's unchanged size; ScrollView then repaints the scrollbar in one more frame.
        Our scrollbar is already current (see :meth:`set_virtual_height`), so only real resizes
        pass.
        """
        if size == self.outer_size and container_size == self.container_size and self.outer_size:
            return False
        self._line_width_cache = None
        return super()._size_updated(size, virtual_size, container_size, layout)


def show_notification(app: App[Any], notification: Notification) -> None:
    """Show ``notification`` as ``app.notify`` would, keeping it to withdraw later."""
    app.post_message(Notify(notification))


def withdraw_notification(app: App[Any], notification: Notification) -> None:
    """Take ``notification`` off the screen now (after it was shown: in the app's queue, after
    the message that shows it; a notification gone already is left alone)."""
    app.call_later(app._unnotify, notification)  # private: App._unnotify(notification)


SHARED_PARSES = 512
"""Parsed CSS sources kept for every stylesheet (about 80 per theme)."""
_shared_parses: OrderedDict[tuple[object, ...], list[RuleSet]] = OrderedDict()
_parse_alone = Stylesheet._parse_rules


_VariablesKey = tuple[tuple[str, str], ...]
_variables_keys: WeakKeyDictionary[Stylesheet, tuple[dict[str, str], _VariablesKey]] = (
    WeakKeyDictionary()
)


def _variables_key(stylesheet: Stylesheet) -> _VariablesKey:
    """The stylesheet's CSS variables as a key (kept until they are set again)."""
    variables = stylesheet._variables  # private: the variables set_variables() was given
    cached = _variables_keys.get(stylesheet)
    if cached is None or cached[0] is not variables:
        cached = (variables, tuple(sorted(variables.items())))
        _variables_keys[stylesheet] = cached
    return cached[1]


def _parse_rules_shared(
    self: Stylesheet,
    css: str,
    read_from: Any,
    is_default_rules: bool = False,
    tie_breaker: int = 0,
    scope: str = "",
) -> list[RuleSet]:
    """``Stylesheet._parse_rules`` through the process's cache: the same source, place, scope
    and variables give the same rules (read-only once parsed: Textual reuses them as well)."""
    key = (css, read_from, is_default_rules, tie_breaker, scope, _variables_key(self))
    rules = _shared_parses.get(key)
    if rules is not None:
        _shared_parses.move_to_end(key)
        return rules
    rules = _parse_alone(self, css, read_from, is_default_rules, tie_breaker, scope)
    _shared_parses[key] = rules
    if len(_shared_parses) > SHARED_PARSES:
        _shared_parses.popitem(last=False)
    return rules


def share_css_parses() -> None:
    """Let every Textual stylesheet of the process share parsed CSS (idempotent)."""
    Stylesheet._parse_rules = _parse_rules_shared  # type: ignore[method-assign]
