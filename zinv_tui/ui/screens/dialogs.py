"""Small modal dialogs shared by the screens: a yes/no confirmation, a file path prompt, a name
prompt and a choice from a short list."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from zinv_tui.ui.screens.service_screen import steady_cursors
from zinv_tui.ui.widgets.text_input import FreeTextInput, TextInput


class ConfirmDialog(ModalScreen[bool]):
    """Ask before doing something that changes stock; restates what will happen.

    ``body`` is plain text (product names inside it are never read as markup).
    Enter on the confirm button (focused first) or ``y`` confirms; Esc or ``n`` cancels. When
    the action is hard to take back (``safe_default=True``: zeroing stock, dropping work), Cancel
    is focused first, so a hurried Enter does nothing.
    """

    CSS_PATH = Path(__file__).parent / "dialogs.tcss"
    BINDINGS = [
        Binding("escape,n", "cancel", "Cancel"),
        Binding("y", "confirm", "Confirm"),
    ]

    def __init__(
        self,
        title: str,
        body: str | Text,
        confirm_label: str = "Confirm",
        *,
        safe_default: bool = False,
    ) -> None:
        super().__init__(classes="zinv-dialog-screen")
        self._title = title
        self._body = body if isinstance(body, Text) else Text(body)
        self._confirm_label = confirm_label
        self.safe_default = safe_default
        # The footer names the confirming key as its button does ("y Quit", "y Undo").
        self._bindings.key_to_bindings["y"] = [
            replace(binding, description=confirm_label)
            for binding in self._bindings.key_to_bindings.get("y", [])
        ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self._title, style="bold"), classes="dialog-title")
            yield Static(self._body, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self._confirm_label, variant="primary", id="confirm", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#cancel" if self.safe_default else "#confirm", Button).focus()

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


def unused_path(path: Path) -> Path:
    """``path``, or ``name-2.csv``, ``name-3.csv``... when it is taken (a second export in the
    same minute gets its own file)."""
    candidate = path
    number = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        number += 1
    return candidate


class PathDialog(ModalScreen[Path | None]):
    """Ask for a file path to write, with a free default filled in (``note``: a line on what
    will be written). Enter saves, Esc cancels; an existing file is only replaced after asking."""

    CSS_PATH = Path(__file__).parent / "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, default: Path, *, note: str | Text = "") -> None:
        super().__init__(classes="zinv-dialog-screen")
        self._title = title
        self._default = unused_path(default)
        self._note = note if isinstance(note, Text) else Text(note)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self._title, style="bold"), classes="dialog-title")
            if self._note:
                yield Static(self._note, classes="dialog-body", id="path-note")
            yield TextInput(str(self._default), id="path", select_on_focus=False)
            yield Static("", id="path-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        steady_cursors(self)
        self.query_one("#path", Input).focus()

    def _chosen_path(self) -> Path | None:
        error = self.query_one("#path-error", Static)
        text = self.query_one("#path", Input).value.strip()
        if not text:
            error.update("Enter a file path")
            return None
        path = Path(text).expanduser()
        if path.is_dir():
            error.update("That is a folder; add a file name")
            return None
        if not path.parent.is_dir():
            error.update(Text(f"The folder {path.parent} does not exist"))
            return None
        error.update("")
        return path

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        path = self._chosen_path()
        if path is None:
            return
        if not path.exists():
            self.dismiss(path)
            return

        def answered(replace: bool | None) -> None:
            if replace:
                self.dismiss(path)
            else:
                self.query_one("#path", Input).focus()

        self.app.push_screen(
            ConfirmDialog(
                "Replace the file?",
                Text(f"{path} already exists; its contents would be lost."),
                "Replace",
                safe_default=True,
            ),
            answered,
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class NameDialog(ModalScreen[str | None]):
    """Ask for a name (``note``: a line on what it names). Enter or the button gives the name,
    Esc cancels; an empty name is refused where it is typed."""

    CSS_PATH = Path(__file__).parent / "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, *, note: str = "", action: str = "Create") -> None:
        super().__init__(classes="zinv-dialog-screen")
        self._title = title
        self._note = note
        self._action = action

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self._title, style="bold"), classes="dialog-title")
            if self._note:
                yield Static(Text(self._note), classes="dialog-body")
            yield FreeTextInput(id="name", max_length=255)
            yield Static("", id="name-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self._action, variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        steady_cursors(self)
        self.query_one("#name", Input).focus()

    @on(Input.Submitted, "#name")
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        name = " ".join(self.query_one("#name", Input).value.split())
        if not name:
            self.query_one("#name-error", Static).update("Type a name first")
            self.query_one("#name", Input).focus()
            return
        self.dismiss(name)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceDialog(ModalScreen[str | None]):
    """Choose one of ``choices`` (``(value, words)``; ``current`` is highlighted first). Enter
    chooses, Esc cancels."""

    CSS_PATH = Path(__file__).parent / "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, choices: list[tuple[str, str]], current: str | None = None
    ) -> None:
        super().__init__(classes="zinv-dialog-screen")
        self._title = title
        self._choices = choices
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self._title, style="bold"), classes="dialog-title")
            yield OptionList(
                *(Option(Text(words), id=value) for value, words in self._choices),
                id="choices",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        values = [value for value, _ in self._choices]
        if self._current in values:
            options.highlighted = values.index(self._current)
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
