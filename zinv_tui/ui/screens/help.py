"""The help overlay: the keys of the screen underneath (zinv-tui's own, not the generic editing and
scrolling keys every field and list has), read live from the bindings, with where each one works."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.scroll_view import ScrollView
from textual.widgets import DataTable, Input, OptionList, Static

from zinv_tui.ui.widgets.text_input import HELP_KEY, FreeTextInput, typed_character


@dataclass(frozen=True, slots=True)
class BindingLine:
    """One row of the help table: the key, what it does, and where on the screen it works."""

    scope: str
    keys: str
    description: str


THIS_SCREEN = "This screen"
OUTSIDE_FIELDS = "Outside fields"
"""A letter key on a screen with text fields: in a field, it is typed instead (``?`` excepted)."""
WIDTHS = {"key": 13, "does": 36, "where": 14}
"""Column widths: with the table's padding and scroll bar they fit the dialog at 80 columns."""


def _describe(binding: Binding) -> str:
    """What a binding does, in words (its description, else its action name)."""
    if binding.description:
        return binding.description
    if binding.tooltip:
        return binding.tooltip
    action = binding.action.rsplit(".", 1)[-1].split("(", 1)[0]
    return action.replace("_", " ").capitalize()


def _own_actions(node: DOMNode) -> set[str]:
    """Actions bound by zinv-tui's own classes of ``node`` (not Textual's generic editing,
    scrolling and focus keys, which every text field and list has)."""
    actions: set[str] = set()
    for cls in type(node).__mro__:
        if not cls.__module__.startswith("zinv_tui"):
            continue
        for entry in cls.__dict__.get("BINDINGS", ()):
            binding = entry if isinstance(entry, Binding) else Binding(*entry)
            actions.add(binding.action)
    return actions


def _widget_scope(node: DOMNode) -> str:
    if isinstance(node, Input):
        return "In the field"
    if isinstance(node, (ScrollView, OptionList)):
        return "In the list"
    return "Here"


def _scope_name(node: DOMNode, screen: Screen, key: str, has_fields: bool) -> str:
    if node is screen or node is screen.app:
        typed = typed_character(key)
        printable = typed is not None and typed.isprintable() and key != HELP_KEY
        return OUTSIDE_FIELDS if printable and has_fields else THIS_SCREEN
    return _widget_scope(node)


def binding_lines(screen: Screen) -> list[BindingLine]:
    """Every zinv-tui key that works on ``screen``: its own, its focused widget's, the app's.

    A key bound at several levels is listed once, where it takes effect (the focused widget wins
    over the screen, the screen over the app); keys are merged per action so ``up,k`` shows as one
    line. Keys the app switches off on this screen are left out; letter keys say that they do
    not work while typing in a field (they are typed). Tab and the command palette close the list.
    """
    app = screen.app
    chain: list[tuple[DOMNode, BindingsMap]] = []
    focused = screen.focused
    if focused is not None:
        for node in focused.ancestors_with_self:
            if node is screen or node is app:
                break
            chain.append((node, _with_keymap(app, node._bindings)))
    chain.append((screen, _with_keymap(app, screen._bindings)))
    chain.append((app, _with_keymap(app, app._bindings)))
    has_fields = bool(screen.query(Input))
    free_text = bool(screen.query(FreeTextInput))

    ranked: list[tuple[int, BindingLine]] = []  # the screen's, the focused widget's, the app's
    seen_keys: set[str] = set()
    for node, bindings_map in chain:
        rank = 0 if node is screen else 2 if node is app else 1
        own = _own_actions(node)
        by_action: dict[tuple[str, str, str], list[str]] = {}
        for key, bindings in bindings_map.key_to_bindings.items():
            for binding in bindings:
                if key in seen_keys or binding.system or binding.action not in own:
                    continue
                if app._check_action_state(binding.action, node) is False:
                    continue
                description = _describe(binding)
                if binding.action == "open('help')" and free_text:
                    description = "Help (f1 in a note, where ? types)"
                scope = _scope_name(node, screen, key, has_fields)
                group = (scope, binding.action, description)
                by_action.setdefault(group, []).append(app.get_key_display(binding))
        for (scope, _action, description), keys in by_action.items():
            ranked.append((rank, BindingLine(scope, " ".join(keys), description)))
        seen_keys.update(bindings_map.key_to_bindings)
    lines = [line for _rank, line in sorted(ranked, key=lambda item: item[0])]
    if "tab" not in seen_keys:
        tab = _keys(app, "tab", "shift+tab")
        lines.append(BindingLine(THIS_SCREEN, tab, "Next / previous field or list"))
    if app.ENABLE_COMMAND_PALETTE:
        palette = _keys(app, app.COMMAND_PALETTE_BINDING)
        lines.append(BindingLine(THIS_SCREEN, palette, "Command palette: actions by name"))
    return lines


def _with_keymap(app: App[object], bindings: BindingsMap) -> BindingsMap:
    """``bindings`` as they act: with the app's keymap (a browser's keys, first) applied."""
    keymap = app._keymap
    if not keymap:
        return bindings
    mapped = bindings.copy()
    mapped.apply_keymap(keymap)
    return mapped


def _keys(app: App[object], *keys: str) -> str:
    return " ".join(app.get_key_display(Binding(key, "")) for key in keys)


class HelpScreen(ModalScreen[None]):
    """``?``: the keys of the screen below, its focused field and the app. Esc closes."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("question_mark,q", "close", "Close", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(classes="zinv-dialog-screen")
        self._lines: list[BindingLine] = []
        self._title = "Keys"
        self._target: Screen | None = None
        try:
            # Read the bindings now, while the screen below is still the active one: whether a
            # binding applies (``check_action``) depends on which screen is on top.
            self._target = self.app.screen
            self._lines = binding_lines(self._target)
        except Exception:  # built outside a running app: read them once mounted
            self._target = None

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static(id="help-title")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Static("Esc closes this help", id="help-hint")

    def on_mount(self) -> None:
        target = self._target or self._screen_below()
        if target is not None:
            if self._target is None:
                self._lines = binding_lines(target)
            title = getattr(target, "TITLE", None) or getattr(target, "title", None)
            self._title = f"Keys: {title}" if title else "Keys"
        self.query_one("#help-title", Static).update(Text(self._title, style="bold"))
        table = self.query_one("#help-table", DataTable)
        for label, key in (("Key", "key"), ("Does", "does"), ("Where", "where")):
            table.add_column(label, key=key, width=WIDTHS[key])
        for line in self._lines:
            table.add_row(Text(line.keys, style="bold"), Text(line.description), Text(line.scope))
        table.focus()

    def _screen_below(self) -> Screen | None:
        stack = self.app.screen_stack
        if self in stack:
            index = stack.index(self)
            return stack[index - 1] if index > 0 else None
        return stack[-1] if stack else None

    @property
    def lines(self) -> list[BindingLine]:
        """The bindings shown (for tests and the command palette)."""
        return list(self._lines)

    def action_close(self) -> None:
        self.dismiss(None)
