"""The help overlay: the keys of the screen underneath (zinv-tui's own, not the generic editing and
scrolling keys every field and list has), read live from the bindings, with where each one works."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.actions import parse
from textual.app import App, ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.scroll_view import ScrollView
from textual.widgets import DataTable, Input, OptionList, Static

from zinv_tui.ui.browser_keys import bindings_of
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


def _class_bindings(node: DOMNode) -> list[Binding]:
    """The bindings zinv-tui's own classes of ``node`` declare (``BINDINGS``, subclass first):
    not Textual's generic editing, scrolling and focus keys, which every field and list has."""
    found: list[Binding] = []
    for cls in type(node).__mro__:
        if cls.__module__.startswith("zinv_tui"):
            found += bindings_of(cls.__dict__.get("BINDINGS", ()))
    return found


def _own_actions(node: DOMNode) -> set[str]:
    """Actions bound by zinv-tui's own classes of ``node``."""
    return {binding.action for binding in _class_bindings(node)}


def _widget_scope(node: DOMNode) -> str:
    if isinstance(node, Input):
        return "In the field"
    if isinstance(node, (ScrollView, OptionList)):
        return "In the list"
    return "Here"


def _scope_name(node: DOMNode, screen: Screen[object], key: str, has_fields: bool) -> str:
    if node is screen or node is screen.app:
        typed = typed_character(key)
        printable = typed is not None and typed.isprintable() and key != HELP_KEY
        return OUTSIDE_FIELDS if printable and has_fields else THIS_SCREEN
    return _widget_scope(node)


def _allowed(node: DOMNode, action: str) -> bool:
    """Whether the app lets ``action`` (bound on ``node``) run now (``check_action``)."""
    namespace, name, parameters = parse(action)
    target = node.app if namespace == "app" else node.screen if namespace == "screen" else node
    return target.check_action(name, parameters) is not False


def _typed_by_the_field(
    screen: Screen[object], active: Mapping[str, ActiveBinding]
) -> Iterator[tuple[DOMNode, str, Binding]]:
    """The screen's and the app's keys that the focused field types now (they are not active, but
    work outside fields), each as a binding of its own key."""
    focused = screen.focused
    if not isinstance(focused, Input):
        return
    for node in (screen, screen.app):
        for binding in _class_bindings(node):
            for key in (key.strip() for key in binding.key.split(",")):
                if key in active or key == HELP_KEY or binding.system:
                    continue
                typed = focused.check_consume_key(key, typed_character(key))
                if typed and _allowed(node, binding.action):
                    yield node, key, Binding(key, binding.action, binding.description)


def binding_lines(screen: Screen[object]) -> list[BindingLine]:
    """Every zinv-tui key that works on ``screen``: its own, its focused widget's, the app's.

    Read from ``screen.active_bindings``: a key bound at several levels is listed once, where it
    takes effect (the focused widget wins over the screen, the screen over the app), and keys the
    app switches off here are left out. Keys are merged per action so ``up,k`` shows as one line;
    letter keys say that they work outside fields (in a field they are typed), and those a
    focused field types right now are listed so too. Tab and the command palette close the list.
    """
    app = screen.app
    active = screen.active_bindings
    has_fields = bool(screen.query(Input))
    free_text = bool(screen.query(FreeTextInput))

    def rank(node: DOMNode) -> int:  # the screen's keys, the focused widget's, the app's
        return 0 if node is screen else 2 if node is app else 1

    groups: dict[tuple[int, str, str, str], list[str]] = {}

    def add(node: DOMNode, key: str, binding: Binding, scope: str | None = None) -> None:
        description = _describe(binding)
        if binding.action == "open('help')" and free_text:
            description = "Help (f1 in a note, where ? types)"
        scope = scope or _scope_name(node, screen, key, has_fields)
        group = (rank(node), scope, binding.action, description)
        groups.setdefault(group, []).append(app.get_key_display(binding))

    own: dict[DOMNode, set[str]] = {}
    for key, (node, binding, _enabled, _tooltip) in active.items():
        actions = own.setdefault(node, _own_actions(node))
        if binding.system or binding.action not in actions:
            continue
        add(node, key, binding)
    for node, key, binding in _typed_by_the_field(screen, active):
        add(node, key, binding, OUTSIDE_FIELDS)
    lines = [
        BindingLine(scope, " ".join(keys), description)
        for (_rank, scope, _action, description), keys in sorted(
            groups.items(), key=lambda item: item[0][0]
        )
    ]
    if "tab" not in active:
        tab = _keys(app, "tab", "shift+tab")
        lines.append(BindingLine(THIS_SCREEN, tab, "Next / previous field or list"))
    if app.ENABLE_COMMAND_PALETTE:
        palette = _keys(app, app.COMMAND_PALETTE_BINDING)
        lines.append(BindingLine(THIS_SCREEN, palette, "Command palette: actions by name"))
    return lines


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
        self._target: Screen[object] | None = None
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
            title = target.TITLE or target.title
            self._title = f"Keys: {title}" if title else "Keys"
        self.query_one("#help-title", Static).update(Text(self._title, style="bold"))
        table = self.query_one("#help-table", DataTable)
        for label, key in (("Key", "key"), ("Does", "does"), ("Where", "where")):
            table.add_column(label, key=key, width=WIDTHS[key])
        for line in self._lines:
            table.add_row(Text(line.keys, style="bold"), Text(line.description), Text(line.scope))
        table.focus()

    def _screen_below(self) -> Screen[object] | None:
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
