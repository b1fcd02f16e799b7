"""Small dialogs of purchase orders and receiving: an order line's quantity, what arrived of a
line (good and damaged), and booking a delivery (the rest stays on order, or the order closes)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from zinv_tui.ui.screens.quantities import QuantityError, read_quantity
from zinv_tui.ui.screens.service_screen import steady_cursors
from zinv_tui.ui.widgets.text_input import TextInput

DIALOG_CSS: list[str | PurePath] = [
    Path(__file__).parent / "dialogs.tcss",
    Path(__file__).with_name("reorder.tcss"),
]


class QuantityDialog(ModalScreen[int | None]):
    """How many units of an order line (a whole number of packs)."""

    CSS_PATH = DIALOG_CSS
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, subject: str, quantity: int, pack_size: int) -> None:
        super().__init__(classes="zinv-dialog-screen")
        self._subject = subject
        self._quantity = quantity
        self._pack = max(1, pack_size)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text("Order quantity", style="bold"), classes="dialog-title")
            body = Text(self._subject)
            if self._pack > 1:
                body.append(f"\nPacks of {self._pack}: order a multiple of {self._pack} units.")
            yield Static(body, classes="dialog-body")
            with Horizontal(classes="settings-row"):
                yield Static("Units", classes="settings-label")
                yield TextInput(str(self._quantity), id="quantity", compact=True)
            yield Static("", id="quantity-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        steady_cursors(self)
        self.query_one("#quantity", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        error = self.query_one("#quantity-error", Static)
        try:
            value = read_quantity(self.query_one("#quantity", Input).value)
        except QuantityError as problem:
            error.update(str(problem))
            return
        if value % self._pack:
            below = value - value % self._pack
            error.update(
                f"{value} is not a whole number of packs of {self._pack} "
                f"(try {below + self._pack}{f' or {below}' if below else ''})"
            )
            return
        self.dismiss(value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True, slots=True)
class Received:
    """What arrived of one line."""

    good: int
    damaged: int


class ReceivedDialog(ModalScreen[Received | None]):
    """Set what arrived of one line: sellable (booked into stock) and damaged (not booked)."""

    CSS_PATH = DIALOG_CSS
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, subject: str, expected: int, good: int, damaged: int) -> None:
        super().__init__(classes="zinv-dialog-screen")
        self._subject = subject
        self._expected = expected
        self._good = good
        self._damaged = damaged

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text("What arrived", style="bold"), classes="dialog-title")
            body = Text(self._subject)
            body.append(f"\nStill expected: {self._expected}", style="dim")
            yield Static(body, classes="dialog-body")
            with Horizontal(classes="settings-row"):
                yield Static("Good", classes="settings-label")
                yield TextInput(str(self._good), id="good", compact=True)
            with Horizontal(classes="settings-row"):
                yield Static("Damaged", classes="settings-label")
                yield TextInput(str(self._damaged), id="damaged", compact=True)
            yield Static(
                Text("Damaged units are not booked into stock (claim them).", style="dim"),
                classes="settings-hint",
            )
            yield Static("", id="received-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        steady_cursors(self)
        self.query_one("#good", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        values = []
        for name in ("good", "damaged"):
            field = self.query_one(f"#{name}", Input)
            try:
                values.append(read_quantity(field.value or "0", allow_zero=True))
            except QuantityError as problem:
                self.query_one("#received-error", Static).update(f"{name.capitalize()}: {problem}")
                field.focus()
                return
        self.dismiss(Received(values[0], values[1]))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


BOOK = "book"
BOOK_AND_CLOSE = "close"


class BookDeliveryDialog(ModalScreen[str | None]):
    """Book a delivery: "Book" (the rest stays on order), "Book, close short" (what did not
    arrive is no longer expected) or Cancel. ``short`` lines: closing is offered only then."""

    CSS_PATH = DIALOG_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "cancel", "Cancel"),
        Binding("y", "book", "Book"),
    ]

    def __init__(self, title: str, body: Text, short: bool) -> None:
        super().__init__(classes="zinv-dialog-screen")
        self._title = title
        self._body = body
        self._short = short

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self._title, style="bold"), classes="dialog-title")
            yield Static(self._body, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Book", variant="primary", id="book", compact=True)
                if self._short:
                    yield Button("Book, close short", id="close", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#book", Button).focus()

    @on(Button.Pressed, "#book")
    def action_book(self) -> None:
        self.dismiss(BOOK)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(BOOK_AND_CLOSE)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
