"""Receiving a delivery, like a count: the scan field keeps the focus; each scan is one unit.

In the field: a barcode or SKU then Enter receives one (scanner bursts are split as in a count);
``+12`` adds 12 of the last item, ``=24`` sets what arrived of it, ``!2`` marks 2 more of it
damaged (not booked into stock). The order's lines are listed with what is still expected, what
arrived now and their state (short, complete, over, extra for an item not on the order).
``ctrl+z`` takes back the last entry; Tab goes to the list, where Enter corrects a line.
``ctrl+s`` books the delivery (also ``b`` on the order). Every entry is on disk at once: Esc goes
back to the order, and the receipt resumes later, also after a crash.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Static

from zinv_tui.service import OrderError, ReceivingError, RowKey, UnknownItem
from zinv_tui.service.receiving import Receipt, ReceiptLine, ReceiptPlan, ReceivingLine
from zinv_tui.ui.screens.columns import fit_middle, flexible_width
from zinv_tui.ui.screens.count_session import ScanField, ScanList
from zinv_tui.ui.screens.delivery import book_delivery, confirm_booking
from zinv_tui.ui.screens.desk_screen import DeskScreen
from zinv_tui.ui.screens.purchase_dialogs import Received, ReceivedDialog
from zinv_tui.ui.screens.quantities import QuantityError, read_quantity
from zinv_tui.ui.screens.reorder_text import LINE_WORDS, count_text, right, worded
from zinv_tui.ui.screens.variant_search import clean_code
from zinv_tui.ui.widgets.key_bar import KeyBar

FLASH_SECONDS = 0.8
FIXED_WIDTHS = {"expected": 5, "good": 5, "damaged": 4, "state": 10}


class ReceivingScreen(DeskScreen):
    """``r`` on an order: scan what arrived; ``ctrl+s`` books it."""

    TITLE = "Receiving"
    CSS_PATH = [
        Path(__file__).with_name("counts.tcss"),
        Path(__file__).with_name("reorder.tcss"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "book", "Book delivery"),
        Binding("ctrl+z", "undo", "Undo last"),
        Binding("enter", "edit_line", "Correct line", show=False),
        Binding("f1", "app.open('help')", "Keys", show=False),
    ]

    def __init__(self, order_id: int) -> None:
        super().__init__()
        self.order_id = order_id
        self._receipt: Receipt | None = None
        self._plan: ReceiptPlan | None = None
        self._item_width = 0
        self._booking = False

    def compose(self) -> ComposeResult:
        yield Static(id="receiving-title")
        with Horizontal(id="scan-row"):
            yield Static("Scan", classes="field-label")
            yield ScanField(
                placeholder="barcode or SKU, Enter | +N adds | =N sets | !N damaged",
                id="scan",
                select_on_focus=False,
            )
        yield Static(id="scan-message")
        yield ScanList(id="receiving-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="receiving-summary")
        yield KeyBar()

    def on_mount(self) -> None:
        self._build_columns()
        try:
            self._receipt = self.desk.receiving.start(self.order_id)
        except (ReceivingError, OrderError) as error:
            self.notify(str(error), severity="error", markup=False)
            self.call_later(self.dismiss)
            return
        self.reload()
        self._show_message(Text("Ready: scan what arrived, or type a SKU and Enter", style="dim"))
        self.focus_scan()

    def on_screen_resume(self) -> None:
        self.reload()
        self.focus_scan()

    def focus_scan(self) -> None:
        self.query_one("#scan", ScanField).focus()

    @property
    def receipt(self) -> Receipt:
        assert self._receipt is not None
        return self._receipt

    @property
    def plan(self) -> ReceiptPlan | None:
        return self._plan

    # ---------------------------------------------------------------- table

    def _build_columns(self) -> None:
        table = self.query_one("#receiving-table", DataTable)
        self._item_width = flexible_width(self.size.width, list(FIXED_WIDTHS.values()))
        table.clear(columns=True)
        table.add_column("Item", key="item", width=self._item_width)
        table.add_column(right("Exp"), key="expected", width=FIXED_WIDTHS["expected"])
        table.add_column(right("Good"), key="good", width=FIXED_WIDTHS["good"])
        table.add_column(right("Dmg"), key="damaged", width=FIXED_WIDTHS["damaged"])
        table.add_column("State", key="state", width=FIXED_WIDTHS["state"])

    def on_resize(self, event: events.Resize) -> None:
        if flexible_width(event.size.width, list(FIXED_WIDTHS.values())) != self._item_width:
            self._build_columns()
            if self._receipt is not None:
                self.reload()

    def reload(self, highlight: RowKey | None = None) -> None:
        """Read the receipt's review again (the cursor goes to ``highlight``)."""
        if self._receipt is None:
            return
        receiving = self.desk.receiving
        self._receipt = receiving.receipt(self.receipt.id)
        plan = self._plan = receiving.plan(self.receipt.id)
        table = self.query_one("#receiving-table", DataTable)
        cursor = table.cursor_row
        with self.app.batch_update():
            table.clear()
            for line in plan.lines:
                table.add_row(*self._cells(line), key=f"{line.key[0]}:{line.key[1]}")
            keys = [line.key for line in plan.lines]
            if highlight in keys:
                table.move_cursor(row=keys.index(highlight))
            elif keys:
                table.move_cursor(row=min(cursor, len(keys) - 1))
        self._show_title()

    def _cells(self, line: ReceivingLine) -> list[Text]:
        label = fit_middle(line.label, self._item_width)
        return [
            Text(label, no_wrap=True, overflow="ellipsis"),
            count_text(line.expected),
            count_text(line.good),
            count_text(line.damaged),
            worded(LINE_WORDS[line.state]),
        ]

    def _show_title(self) -> None:
        order = self.desk.orders.order(self.order_id)
        plan = self._plan
        title = Text(f"Receiving {order.name}", style="bold")
        title.append(f" · {order.supplier}")
        if plan is not None:
            done = sum(1 for line in plan.lines if not line.still_expected and line.expected)
            ordered = sum(1 for line in plan.lines if line.expected)
            title.append(f" · {done}/{ordered} lines complete", style="dim")
        self.query_one("#receiving-title", Static).update(title)
        summary = Text()
        if plan is not None:
            summary.append("Booking would put ", style="dim")
            summary.append(plan.summary())
        summary.append(
            "\n^s books · ^z undo last · Tab: the list (Enter corrects) · Esc: back, kept",
            style="dim",
        )
        self.query_one("#receiving-summary", Static).update(summary)

    def _show_message(self, text: Text, flash: bool = False) -> None:
        message = self.query_one("#scan-message", Static)
        message.update(text)
        if flash and not self.zinv.frozen:
            message.add_class("-flash")
            self.set_timer(FLASH_SECONDS, lambda: message.remove_class("-flash"))

    def _error(self, text: str) -> None:
        self.app.bell()
        self._show_message(Text(f"✗ {text}", style="bold red"))

    def _arrived_message(self, line: ReceiptLine, what: str) -> Text:
        text = Text("✓ ", style="bold green")
        text.append(f"{what}  ", style="bold")
        text.append(_label(line), style="bold")
        text.append(f"  now {line.good}")
        if line.damaged:
            text.append(f" + {line.damaged} damaged")
        expected = self._expected(line.key)
        if expected is not None:
            text.append(f"  (expected {expected})", style="dim")
        else:
            text.append("  (not on the order)", style="bold yellow")
        return text

    def _expected(self, key: RowKey) -> int | None:
        plan = self._plan
        if plan is None:
            return None
        for line in plan.lines:
            if line.key == key and line.ordered:
                return line.expected
        return None

    # ---------------------------------------------------------------- scanning

    @on(ScanField.Scanned, "#scan")
    def _scanned(self, event: ScanField.Scanned) -> None:
        event.stop()
        self.enter(event.text)

    def enter(self, raw: str) -> None:
        """What the scan field does with a submitted text (a code, ``+N``, ``=N`` or ``!N``)."""
        text = clean_code(raw)
        if not text or self._receipt is None:
            return
        receiving = self.desk.receiving
        try:
            if text[0] in "+=!":
                key = receiving.last_key(self.receipt.id)
                if key is None:
                    raise ReceivingError(
                        "Scan an item first: +N, =N and !N apply to the last item entered"
                    )
                line, what = self._adjust(key, text[0], text[1:])
            else:
                line = receiving.scan(self.receipt.id, text)
                what = "+1"
        except UnknownItem as error:
            self._unknown(error)
            return
        except ReceivingError as error:
            self._error(str(error))
            return
        self.reload(highlight=line.key)
        self._show_message(self._arrived_message(line, what), flash=True)

    def _adjust(self, key: RowKey, sign: str, number: str) -> tuple[ReceiptLine, str]:
        try:
            amount = read_quantity(number, allow_zero=sign == "=")
        except QuantityError as error:
            raise ReceivingError(f"{sign}{number}: {error}") from None
        receiving = self.desk.receiving
        if sign == "+":
            return receiving.add(self.receipt.id, key, amount), f"+{amount}"
        if sign == "=":
            return receiving.set_received(self.receipt.id, key, good=amount), f"={amount}"
        return receiving.add(self.receipt.id, key, amount, damaged=True), f"{amount} damaged"

    def _unknown(self, error: UnknownItem) -> None:
        if error.candidates:
            names = ", ".join(row.label for row in error.candidates[:3])
            self._error(f"{error.code!r} matches several items, none on the order: {names}")
        else:
            self._error(f"Unknown code {error.code!r}: not received (type its SKU instead)")

    def action_undo(self) -> None:
        if self._receipt is None:
            return
        try:
            line = self.desk.receiving.take_back(self.receipt.id)
        except ReceivingError as error:
            self._error(str(error))
            return
        if line is None and not self.desk.receiving.lines(self.receipt.id):
            self._show_message(Text("Nothing to take back", style="dim"))
        else:
            message = Text("↶ Took back the last entry")
            if line is not None:
                message.append(f"  {_label(line)} now {line.good}", style="bold")
            self._show_message(message)
        self.reload()

    # ---------------------------------------------------------------- lines

    @on(DataTable.RowSelected, "#receiving-table")
    def action_edit_line(self) -> None:
        """Enter on the list: set what arrived of the highlighted line (good and damaged)."""
        table = self.query_one("#receiving-table", DataTable)
        plan = self._plan
        if not table.has_focus or plan is None or not 0 <= table.cursor_row < len(plan.lines):
            return
        line = plan.lines[table.cursor_row]

        def chosen(received: Received | None) -> None:
            if received is not None:
                try:
                    self.desk.receiving.set_received(
                        self.receipt.id, line.key, good=received.good, damaged=received.damaged
                    )
                except ReceivingError as error:
                    self._error(str(error))
                self.reload(highlight=line.key)
            table.focus()

        self.app.push_screen(
            ReceivedDialog(line.label, line.expected, line.good, line.damaged), chosen
        )

    # ---------------------------------------------------------------- booking

    def action_book(self) -> None:
        if not self._booking:
            confirm_booking(self, self.order_id, self._book)

    @work(exclusive=True, group="book-delivery", exit_on_error=False)
    async def _book(self, receipt_id: int, close_short: bool) -> None:
        self._booking = True
        try:
            result = await book_delivery(self, receipt_id, close_short)
        finally:
            self._booking = False
        if result is not None:
            self.dismiss()  # back to the order, which shows what is left
        else:
            self.reload()


def _label(line: ReceiptLine) -> str:
    return f"{line.product_name} / {line.variant_name}" if line.variant_name else line.product_name
