"""Who is working: asked first in a browser session (``zinv-tui serve``), where every tab runs as
the server's user. The name is recorded with each movement (the history's and CSV's ``user``).

Names given before on this profile are offered as buttons (a tap on a tablet); typing one works
everywhere. There is no way past it but a name (or quitting with ``ctrl+q``).
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from zinv_tui.service import InventoryPort
from zinv_tui.ui.screens.service_screen import steady_cursors
from zinv_tui.ui.widgets.text_input import TextInput

MAX_NAME = 64
"""As the profile's ``user`` setting: 1 to 64 characters."""
RECENT_NAMES = 6
_HISTORY_READ = 500


def clean_name(text: str) -> str | None:
    """The name as recorded (spaces trimmed), or None when it is empty, too long or not text."""
    name = " ".join(text.split())
    if not name or len(name) > MAX_NAME or not name.isprintable():
        return None
    return name


def recent_names(service: InventoryPort, limit: int = RECENT_NAMES) -> list[str]:
    """Who recorded the latest movements on this profile, newest first (none when unreadable)."""
    try:
        entries = service.history(limit=_HISTORY_READ)
    except Exception:
        return []
    names: list[str] = []
    for entry in entries:
        name = clean_name(entry.user or "")
        if name and name not in names:
            names.append(name)
        if len(names) == limit:
            break
    return names


class WhoScreen(ModalScreen[str]):
    """ "Who is working?": a name field, Start, and the names recently used as buttons."""

    CSS_PATH = Path(__file__).parent / "dialogs.tcss"

    def __init__(self, names: list[str] | None = None) -> None:
        super().__init__(classes="zinv-dialog-screen")
        self._names = list(names or [])

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="who-dialog"):
            yield Static(Text("Who is working?", style="bold"), classes="dialog-title")
            yield Static(
                "Your name is recorded with each stock movement you make here.",
                classes="dialog-body",
            )
            yield TextInput(placeholder="your name", id="who-name", max_length=MAX_NAME)
            yield Static("", id="who-error", classes="field-error")
            if self._names:
                with Horizontal(id="who-names"):
                    for index, name in enumerate(self._names):
                        yield Button(name, id=f"who-name-{index}", classes="who-known")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Start", variant="primary", id="who-start", compact=True)

    def on_mount(self) -> None:
        steady_cursors(self)
        self.query_one("#who-name", Input).focus()

    @on(Input.Submitted, "#who-name")
    @on(Button.Pressed, "#who-start")
    def _start(self) -> None:
        name = clean_name(self.query_one("#who-name", Input).value)
        if name is None:
            self.query_one("#who-error", Static).update(
                f"Type your name (1 to {MAX_NAME} characters)"
            )
            self.query_one("#who-name", Input).focus()
            return
        self.dismiss(name)

    @on(Button.Pressed, ".who-known")
    def _known(self, event: Button.Pressed) -> None:
        self.dismiss(str(event.button.label))
