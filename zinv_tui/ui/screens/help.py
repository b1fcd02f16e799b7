"""The help overlay: every key binding of the screen underneath, read live from Textual."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static


@dataclass(frozen=True, slots=True)
class BindingLine:
    """One row of the help table: where a key works, the key, and what it does."""

    scope: str
    keys: str
    description: str


SCOPE_ORDER = {"This screen": 0, "In the field": 1, "Here": 1, "Everywhere": 2, "Any screen": 3}
"""Display order: the screen's own keys, the focused field's, the app's, then Textual's generic
screen keys (tab, shift+tab, copy)."""
_GENERIC_SCREEN_ACTIONS = {
    binding.action for binding in Screen.BINDINGS if isinstance(binding, Binding)
}


def _describe(binding: Binding) -> str:
    """What a binding does, in words (its description, else its action name)."""
    if binding.description:
        return binding.description
    if binding.tooltip:
        return binding.tooltip
    action = binding.action.rsplit(".", 1)[-1].split("(", 1)[0]
    return action.replace("_", " ").capitalize()


def _scope_name(node: DOMNode, screen: Screen, binding: Binding) -> str:
    if node is screen:
        return "Any screen" if binding.action in _GENERIC_SCREEN_ACTIONS else "This screen"
    if node is screen.app:
        return "Everywhere"
    return "In the field" if node is screen.focused else "Here"


def binding_lines(screen: Screen) -> list[BindingLine]:
    """Every binding that applies on ``screen``: its own, its focused widget's, then the app's.

    A key bound at several levels is listed once, where it takes effect (the focused widget wins
    over the screen, the screen over the app). Keys are merged per action so ``up,k`` shows as one
    line. A screen's own bindings are all listed even when the focused field swallows plain
    letters (they work once it loses focus).
    """
    app = screen.app
    chain: list[tuple[DOMNode, BindingsMap]] = []
    focused = screen.focused
    if focused is not None:
        for node in focused.ancestors_with_self:
            if node is screen or node is app:
                break
            chain.append((node, node._bindings))
    chain.append((screen, screen._bindings))
    chain.append((app, app._bindings))

    lines: list[BindingLine] = []
    seen_keys: set[str] = set()
    for node, bindings_map in chain:
        by_action: dict[tuple[str, str, str], list[str]] = {}
        for key, bindings in bindings_map.key_to_bindings.items():
            for binding in bindings:
                if key in seen_keys or binding.system:
                    continue
                if app._check_action_state(binding.action, node) is False:
                    continue
                scope = _scope_name(node, screen, binding)
                group = (scope, binding.action, _describe(binding))
                by_action.setdefault(group, []).append(app.get_key_display(binding))
        for (scope, _action, description), keys in by_action.items():
            lines.append(BindingLine(scope, " ".join(keys), description))
        seen_keys.update(bindings_map.key_to_bindings)
    lines.sort(key=lambda line: SCOPE_ORDER.get(line.scope, 1))
    return lines


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
        table.add_column("Key", key="key")
        table.add_column("Does", key="does")
        table.add_column("Where", key="where")
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
