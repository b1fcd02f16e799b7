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
"""

from __future__ import annotations

from typing import Any

from textual.app import App
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
