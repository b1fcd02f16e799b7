"""KeyBar: the screen's keys on one line at the bottom, one widget (in place of Textual's Footer).

It lists what Textual's ``Footer`` lists, read through the public API: the screen's
``active_bindings`` that are shown (``binding.show``), one per action, each as its key
(``App.get_key_display``) and description; a disabled one dimmed; the command palette's key at
the right unless ``show_command_palette=False``. Colours come from the ``$footer-*`` theme
variables, as the Footer's do. (Binding groups, which zinv-tui does not use, are shown key by
key.)

Unlike the Footer, which removes and mounts a widget per key on every focus move, it is one
``render()``: when the screen announces new bindings (``bindings_updated_signal``) it reads them
once after the refresh, and repaints only if what it shows changed. At the width of the screen it
shows whole keys from the left (a key that does not fit and those after it are left out, never cut
in half). A click (or a tap in a browser) on a key presses it; on a disabled one, the bell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget

if TYPE_CHECKING:
    from typing import Any

    from textual.app import App
    from textual.binding import ActiveBinding
    from textual.screen import Screen


@dataclass(frozen=True, slots=True)
class KeyEntry:
    """One key as the bar shows it."""

    key: str
    """The key to press (``Binding.key``): what a click simulates."""
    display: str
    """How the key is written (``^s``, ``esc``, ``?``)."""
    description: str
    enabled: bool
    tooltip: str = ""


def screen_keys(app: App[Any], active: dict[str, ActiveBinding]) -> tuple[KeyEntry, ...]:
    """The keys to show of a screen's ``active`` bindings (``Screen.active_bindings``), in their
    order, one per action."""
    by_action: dict[str, KeyEntry] = {}
    for _node, binding, enabled, tooltip in active.values():
        if binding.show and binding.action not in by_action:
            by_action[binding.action] = KeyEntry(
                binding.key, app.get_key_display(binding), binding.description, enabled, tooltip
            )
    return tuple(by_action.values())


def palette_key(app: App[Any], active: dict[str, ActiveBinding]) -> KeyEntry | None:
    """The command palette's key among a screen's ``active`` bindings (None if the app has no
    palette or the screen hides it)."""
    palette = active.get(app.COMMAND_PALETTE_BINDING) if app.ENABLE_COMMAND_PALETTE else None
    if palette is None:
        return None
    binding = palette.binding
    return KeyEntry(
        binding.key,
        app.get_key_display(binding),
        binding.description,
        palette.enabled,
        binding.tooltip or binding.description,
    )


@dataclass(frozen=True, slots=True)
class KeySpan:
    """Where a key is drawn on the bar: cells ``start`` to ``end`` (exclusive)."""

    start: int
    end: int
    entry: KeyEntry


class KeyBar(Widget, can_focus=False):
    """One line of the screen's keys (see the module's docstring)."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-bar--key",
        "key-bar--description",
        "key-bar--disabled",
        "key-bar--hover",
        "key-bar--separator",
    }

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-bar--disabled { text-style: dim; }
        & > .key-bar--hover { background: $block-hover-background; }
        & > .key-bar--separator { color: $foreground 20%; }
        &:hover { pointer: pointer; }
    }
    """

    def __init__(
        self,
        *,
        compact: bool = False,
        show_command_palette: bool = True,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """``compact``: keys one space apart (``q Quit m Move``) rather than padded
        (`` q Quit  m Move ``); ``show_command_palette``: the palette's key at the right."""
        super().__init__(id=id, classes=classes)
        self.compact = compact
        self.show_command_palette = show_command_palette
        self.entries: tuple[KeyEntry, ...] = ()
        """The screen's keys, as shown."""
        self.palette: KeyEntry | None = None
        """The command palette's key, shown at the right (None: not shown)."""
        self.spans: tuple[KeySpan, ...] = ()
        """Where the last render drew each key (for clicks)."""
        self._hovered: KeyEntry | None = None
        self._screen: Screen[object] | None = None
        self._reading = False

    # ------------------------------------------------------------ bindings

    def on_mount(self) -> None:
        screen = self.screen
        self._screen = screen
        screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._reading = True  # the first read even while the app has no focus
        self.call_after_refresh(self.read_keys)

    def on_unmount(self) -> None:
        if self._screen is not None:
            self._screen.bindings_updated_signal.unsubscribe(self)
            self._screen = None

    def _bindings_changed(self, screen: Screen[object]) -> None:
        """Read the keys once after this refresh (a burst of announcements costs one read); not
        while the app has lost the focus (its keys come back with it), as the Footer does."""
        if self._reading or not self.app.app_focus or screen is not self._screen:
            return
        self._reading = True
        self.call_after_refresh(self.read_keys)

    def read_keys(self) -> None:
        """Read the screen's keys now; repaint if they are not the ones shown."""
        self._reading = False
        if self._screen is None or not self.is_attached:
            return
        active = self._screen.active_bindings  # each read asks every binding's check_action
        entries = screen_keys(self.app, active)
        palette = palette_key(self.app, active) if self.show_command_palette else None
        if entries != self.entries or palette != self.palette:
            self.entries, self.palette = entries, palette
            self._hovered = None
            self.refresh()

    # ------------------------------------------------------------ drawing

    def _piece(self, entry: KeyEntry, *, compact: bool) -> Text:
        """``entry`` as drawn: the key in bold, its description, their padding."""
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        if compact:
            key, description = entry.display, f" {entry.description}"
        else:
            key, description = f" {entry.display} ", f"{entry.description} "
        piece = Text(end="")
        piece.append(key, key_style)
        if entry.description:
            piece.append(description, description_style)
        if not entry.enabled:
            piece.stylize(self.get_component_rich_style("key-bar--disabled", partial=True))
        if entry is self._hovered:  # the background only (blended over the bar's)
            hover = self.get_component_rich_style("key-bar--hover")
            piece.stylize(Style(bgcolor=hover.bgcolor))
        return piece

    def render(self) -> Text:
        width = self.size.width
        palette = self.palette
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[KeySpan] = []
        tail = Text(end="")
        if palette is not None:  # docked at the right, after a thin rule
            tail.append("▏", self.get_component_rich_style("key-bar--separator"))
            tail.append_text(self._piece(palette, compact=True))
            if not self.compact:
                tail.append(" ")
        room = width - tail.cell_len
        gap = " " if self.compact else ""
        last_pad = 0 if self.compact else 1  # a padded key may lose its last space at the edge
        for entry in self.entries:
            piece = self._piece(entry, compact=self.compact)
            if line.cell_len + piece.cell_len - last_pad > room:
                break
            start = line.cell_len
            line.append_text(piece)
            line.truncate(room)
            spans.append(KeySpan(start, min(line.cell_len, room), entry))
            line.append(gap)
        line.truncate(room)
        if palette is not None and room >= 0:
            line.pad_right(room - line.cell_len)
            start = line.cell_len + 1
            line.append_text(tail)
            spans.append(KeySpan(start, line.cell_len, palette))
        self.spans = tuple(spans)
        return line

    # ------------------------------------------------------------ mouse

    def key_at(self, x: int) -> KeyEntry | None:
        """The key drawn at cell ``x`` of the bar, if any."""
        for span in self.spans:
            if span.start <= x < span.end:
                return span.entry
        return None

    def on_mouse_down(self, event: events.MouseDown) -> None:
        entry = self.key_at(event.x)
        if entry is None:
            return
        event.stop()
        if entry.enabled:
            self.app.simulate_key(entry.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hover(self.key_at(event.x))

    def on_leave(self, _event: events.Leave) -> None:
        self._hover(None)

    def _hover(self, entry: KeyEntry | None) -> None:
        if entry != self._hovered:
            self._hovered = entry
            self.tooltip = (entry.tooltip or None) if entry is not None else None
            self.refresh()


__all__ = ["KeyBar", "KeyEntry", "KeySpan", "palette_key", "screen_keys"]
