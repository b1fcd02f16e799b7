"""An ``Input`` whose editing keys take effect in the order they arrive.

Textual hands a key to the focused ``Input`` first, which inserts a printable character at once; a
key with a binding (backspace, delete, left/right, home/end, ctrl+w ...) is only acted on after the
event has bubbled up to the app. When several keys arrive in one terminal read, as over a laggy SSH
link, the characters after an editing key are therefore inserted before that key runs: "12",
backspace, "5" gave "12", not "15". This field runs Textual's own editing bindings of ``Input``
as the key arrives, so editing follows the order of typing. Enter (submit) and every other key keep
their usual path, so screens still see up/down/escape and the app's bindings still apply.

``?`` opens the help, as on every screen: names, codes, numbers and paths never need it. Only a
free-text field (:class:`FreeTextInput`, e.g. a note) types it; there F1 opens the help and the
footer says so. In a dialog (no help behind it) every field types ``?``.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.keys import key_to_character
from textual.widgets import Input


def _editing_actions() -> dict[str, str]:
    """Key -> action of ``Input``'s own editing bindings (not submit, not inherited scrolling)."""
    actions: dict[str, str] = {}
    for binding in Input.BINDINGS:
        if not isinstance(binding, Binding) or binding.action == "submit":
            continue
        for key in binding.key.split(","):
            actions[key.strip()] = binding.action
    return actions


EDITING_ACTIONS = _editing_actions()


HELP_KEY = "question_mark"
_UNNAMED = {
    "plus": "+",
    "minus": "-",
    "slash": "/",
    "at": "@",
    "backslash": "\\",
    "underscore": "_",
}
"""Keys whose character Textual's ``key_to_character`` does not find."""


def typed_character(key: str) -> str | None:
    """The character a key types in a text field (``"slash"`` -> ``"/"``), or None."""
    return key_to_character(key) or _UNNAMED.get(key)


class TextInput(Input):
    """A text field that applies its editing keys in arrival order (``?`` opens the help)."""

    FREE_TEXT = False
    """True for fields where ``?`` is typed like any character."""

    def _types_help_key(self) -> bool:
        return self.FREE_TEXT or self.screen.is_modal

    def check_consume_key(self, key: str, character: str | None) -> bool:
        if key == HELP_KEY and not self._types_help_key():
            return False  # so the app's ``?`` binding stays in the chain (and the footer)
        return super().check_consume_key(key, character or typed_character(key))

    async def on_key(self, event: events.Key) -> None:
        """Runs before ``Input``'s own key handler (a subclass's handler runs first, and
        ``prevent_default`` skips the base classes'): editing keys act now, ``?`` is not typed."""
        action = EDITING_ACTIONS.get(event.key)
        if action is not None and not event.is_printable:
            event.stop()
            event.prevent_default()
            await self.run_action(action)
            return
        if event.key == HELP_KEY and not self._types_help_key():
            event.prevent_default()  # not typed (by Input's handler); it bubbles up to the app


class FreeTextInput(TextInput):
    """A field for free text (a note): ``?`` is typed, and F1 (shown in the footer) opens help."""

    FREE_TEXT = True
    BINDINGS = [Binding("f1", "app.open('help')", "Help")]
