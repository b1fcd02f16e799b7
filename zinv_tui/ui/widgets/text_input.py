"""An ``Input`` whose editing keys take effect in the order they arrive.

Textual hands a key to the focused ``Input`` first, which inserts a printable character at once; a
key with a binding (backspace, delete, left/right, home/end, ctrl+w ...) is only acted on after the
event has bubbled up to the app. When several keys arrive in one terminal read, as over a laggy SSH
link, the characters after an editing key are therefore inserted before that key runs: "12",
backspace, "5" gave "12", not "15". This field runs Textual's own editing bindings of ``Input``
as the key arrives, so editing follows the order of typing. Enter (submit) and every other key keep
their usual path, so screens still see up/down/escape and the app's bindings still apply.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
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


class TextInput(Input):
    """A text field that applies its editing keys in arrival order."""

    async def _on_key(self, event: events.Key) -> None:
        action = EDITING_ACTIONS.get(event.key)
        if action is not None and not event.is_printable:
            event.stop()
            event.prevent_default()
            await self.run_action(action)
            return
        await super()._on_key(event)
