"""One purchase order: its lines, what arrived, and what to do next.

A draft is put together here (Enter changes a line's quantity, ``d`` removes a line) and sent:
``e`` exports the CSV for the supplier, ``s`` marks it sent without a file; either way it counts
as on order. When the delivery comes, ``r`` scans what arrived (or ``a``: all of it), Enter
corrects a line (good and damaged), and ``b`` books it into stock; what did not arrive stays on
order unless the order is closed short. ``x`` cancels the order, or closes it short.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from zinv_tui.service import OrderError, OrderLine, OrderStatus, PurchaseOrder, ReceivingError
from zinv_tui.service.receiving import ReceiptPlan, ReceivingLine
from zinv_tui.ui.screens.columns import fit_label, flexible_width
from zinv_tui.ui.screens.delivery import (
    book_delivery,
    confirm_booking,
    confirm_drop,
    export_order,
    open_receipt,
)
from zinv_tui.ui.screens.desk_screen import DeskScreen
from zinv_tui.ui.screens.dialogs import ConfirmDialog
from zinv_tui.ui.screens.purchase_dialogs import QuantityDialog, Received, ReceivedDialog
from zinv_tui.ui.screens.reorder_text import LINE_WORDS, ORDER_WORDS, count_text, right, worded
from zinv_tui.ui.widgets.key_bar import KeyBar
from zinv_tui.ui.widgets.list_table import ListTable

FIXED_WIDTHS = {"ordered": 5, "arrived": 5, "left": 5, "now": 5, "damaged": 4, "state": 10}


class PurchaseOrderScreen(DeskScreen):
    """An order's lines; export, send, receive, book."""

    TITLE = "Purchase order"
    CSS_PATH = Path(__file__).with_name("reorder.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "export", "Export CSV"),
        Binding("r", "receive", "Receive"),
        Binding("b", "book", "Book"),
        Binding("enter", "edit", "Edit line"),
        Binding("s", "mark_sent", "Sent"),
        Binding("a", "receive_all", "All came", show=False),
        Binding("d,delete", "remove_line", "Remove line", show=False),
        Binding("x", "drop", "Cancel/close"),
        Binding("i", "item", "Item", show=False),
        Binding("f1", "app.open('help')", "Keys", show=False),
    ]

    def __init__(self, order_id: int) -> None:
        super().__init__()
        self.order_id = order_id
        self._order: PurchaseOrder | None = None
        self._lines: list[OrderLine] = []
        self._plan: ReceiptPlan | None = None
        self._rows: list[tuple[OrderLine | None, ReceivingLine | None]] = []
        self._item_width = 0
        self._booking = False

    def compose(self) -> ComposeResult:
        yield Static(id="order-title")
        yield ListTable(id="order-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="order-summary")
        yield KeyBar()

    def on_mount(self) -> None:
        self._build_columns()
        self.reload()
        self.query_one("#order-table", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.reload()

    @property
    def order(self) -> PurchaseOrder:
        if self._order is None:
            self._order = self.desk.orders.order(self.order_id)
        return self._order

    @property
    def plan(self) -> ReceiptPlan | None:
        """The delivery being entered (None when none is)."""
        return self._plan

    def _build_columns(self) -> None:
        table = self.query_one("#order-table", DataTable)
        self._item_width = flexible_width(self.size.width, list(FIXED_WIDTHS.values()))
        table.clear(columns=True)
        table.add_column("Item", key="item", width=self._item_width)
        table.add_column(right("Order"), key="ordered", width=FIXED_WIDTHS["ordered"])
        table.add_column(right("In"), key="arrived", width=FIXED_WIDTHS["arrived"])
        table.add_column(right("Left"), key="left", width=FIXED_WIDTHS["left"])
        table.add_column(right("Now"), key="now", width=FIXED_WIDTHS["now"])
        table.add_column(right("Dmg"), key="damaged", width=FIXED_WIDTHS["damaged"])
        table.add_column("State", key="state", width=FIXED_WIDTHS["state"])

    def on_resize(self, event: events.Resize) -> None:
        if flexible_width(event.size.width, list(FIXED_WIDTHS.values())) != self._item_width:
            self._build_columns()
            self.reload()

    def reload(self) -> None:
        """Read the order, its lines and the delivery being entered again."""
        desk = self.desk
        self._order = desk.orders.order(self.order_id)
        self._lines = desk.orders.lines(self.order_id)
        receipt = open_receipt(self, self.order_id) if self._order.status.is_open else None
        self._plan = desk.receiving.plan(receipt.id) if receipt is not None else None
        by_key = {line.key: line for line in self._plan.lines} if self._plan else {}
        rows: list[tuple[OrderLine | None, ReceivingLine | None]] = [
            (line, by_key.pop(line.key, None)) for line in self._lines
        ]
        rows.extend((None, extra) for extra in by_key.values())
        self._rows = rows
        table = self.query_one("#order-table", DataTable)
        cursor = table.cursor_row
        with self.app.batch_update():
            table.clear()
            for index, (line, arriving) in enumerate(rows):
                table.add_row(*self._cells(line, arriving), key=str(index))
            if rows:
                table.move_cursor(row=min(cursor, len(rows) - 1))
        self._show_title()
        self._show_summary()

    def _cells(self, line: OrderLine | None, arriving: ReceivingLine | None) -> list[Text]:
        if line is not None:
            label = fit_label(line.product_name, line.variant_name, self._item_width)
        else:
            label = arriving.label if arriving is not None else ""
        if arriving is not None:
            state = worded(LINE_WORDS[arriving.state])
        elif line is not None and line.ordered and not line.remaining:
            state = Text("✓ arrived", style="green")
        else:
            state = Text("")
        return [
            Text(label, no_wrap=True, overflow="ellipsis"),
            count_text(line.ordered if line else 0),
            count_text(line.received if line else 0),
            count_text(line.remaining if line else 0),
            count_text(arriving.good if arriving else 0),
            count_text(arriving.damaged if arriving else 0),
            state,
        ]

    def _show_title(self) -> None:
        order = self.order
        title = Text(order.name, style="bold")
        title.append(f" · {order.supplier} · ")
        title.append_text(worded(ORDER_WORDS[order.status]))
        units = sum(line.ordered for line in self._lines)
        count = len(self._lines)
        title.append(f" · {count} line{'s' if count != 1 else ''}, {units:,} units", style="dim")
        if order.ordered is not None:
            moment = order.ordered.astimezone(self.zinv.clock_zone)
            title.append(f" · sent {moment:%m-%d}", style="dim")
        self.query_one("#order-title", Static).update(title)

    def _show_summary(self) -> None:
        status = self.order.status
        text = Text()
        if self._plan is not None:
            text.append("This delivery: ", style="bold")
            text.append(self._plan.summary())
            text.append(
                "\nb books it into stock · r scans more · Enter corrects a line", style="dim"
            )
        elif status is OrderStatus.DRAFT:
            text.append("Draft: not on order yet. ", style="bold")
            text.append(
                "e exports the CSV for the supplier (s: sent another way); it then counts as on "
                "order. Enter changes a quantity, d removes a line."
            )
        elif status.is_open:
            text.append("On order. ", style="bold")
            text.append(
                "When it arrives: r scans what came (a: everything came), then b books it. "
                "x closes it" + (" short." if status is OrderStatus.PARTIAL else " (cancel).")
            )
        else:
            text.append(f"This order is {status.value}.", style="dim")
        self.query_one("#order-summary", Static).update(text)

    def cursor_row(self) -> tuple[OrderLine | None, ReceivingLine | None] | None:
        table = self.query_one("#order-table", DataTable)
        if not self._rows or not 0 <= table.cursor_row < len(self._rows):
            return None
        return self._rows[table.cursor_row]

    # ---------------------------------------------------------------- keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        status = self.order.status if self.is_mounted else OrderStatus.DRAFT
        if action in {"receive", "receive_all"}:
            return status.is_open
        if action == "book":
            return self._plan is not None
        if action == "mark_sent":
            return status is OrderStatus.DRAFT
        if action == "remove_line":
            return status.editable and self._plan is None
        if action == "export":
            return status is not OrderStatus.CANCELLED
        return True

    def action_export(self) -> None:
        export_order(self, self.order, self._after_change)

    def _after_change(self) -> None:
        self.reload()
        self.refresh_bindings()

    def action_mark_sent(self) -> None:
        try:
            self.desk.orders.mark_ordered(self.order_id)
        except OrderError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.notify(f"{self.order.name} marked sent: on order now", markup=False)
        self._after_change()

    def action_receive(self) -> None:
        if not self.order.status.is_open:
            self.notify("Send the order first (e or s)", severity="warning")
            return
        self.zinv.open_screen("receiving", order_id=self.order_id)

    def action_receive_all(self) -> None:
        try:
            receipt = self.desk.receiving.start(self.order_id)
            self.desk.receiving.receive_all(receipt.id)
        except (ReceivingError, OrderError) as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.notify("Everything still expected is entered as arrived: check, then b books it")
        self._after_change()

    def action_book(self) -> None:
        if self._booking:
            return
        confirm_booking(self, self.order_id, self._book)

    @work(exclusive=True, group="book-delivery", exit_on_error=False)
    async def _book(self, receipt_id: int, close_short: bool) -> None:
        self._booking = True
        try:
            await book_delivery(self, receipt_id, close_short)
        finally:
            self._booking = False
            self._after_change()

    @on(DataTable.RowSelected, "#order-table")
    def action_edit(self) -> None:
        chosen = self.cursor_row()
        if chosen is None:
            return
        line, arriving = chosen
        if self._plan is not None and arriving is not None:
            self._edit_received(arriving)
        elif line is not None and self.order.status.editable:
            self._edit_quantity(line)
        elif line is not None and self.order.status.is_open:
            self.notify("r receives this order; then Enter corrects what arrived")
        else:
            self.notify(f"{self.order.name} is {self.order.status.value}: it can't change")

    def _edit_quantity(self, line: OrderLine) -> None:
        def chosen(quantity: int | None) -> None:
            if quantity is None:
                return
            row = self.service.rows.get(line.key)
            if row is None:
                self.notify("That item is no longer tracked", severity="error")
                return
            try:
                self.desk.orders.set_line(
                    self.order_id,
                    row,
                    quantity,
                    pack_size=line.pack_size,
                    supplier_code=line.supplier_code,
                    unit_cost=line.unit_cost,
                )
            except OrderError as error:
                self.notify(str(error), severity="error", markup=False)
            self.reload()

        self.app.push_screen(QuantityDialog(line.label, line.ordered, line.pack_size), chosen)

    def _edit_received(self, arriving: ReceivingLine) -> None:
        receipt = open_receipt(self, self.order_id)
        if receipt is None:
            return

        def chosen(received: Received | None) -> None:
            if received is None:
                return
            try:
                self.desk.receiving.set_received(
                    receipt.id, arriving.key, good=received.good, damaged=received.damaged
                )
            except ReceivingError as error:
                self.notify(str(error), severity="error", markup=False)
            self.reload()

        self.app.push_screen(
            ReceivedDialog(arriving.label, arriving.expected, arriving.good, arriving.damaged),
            chosen,
        )

    def action_remove_line(self) -> None:
        chosen = self.cursor_row()
        if chosen is None or chosen[0] is None:
            return
        line = chosen[0]

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.desk.orders.remove_line(self.order_id, line.variant_uuid)
            except OrderError as error:
                self.notify(str(error), severity="error", markup=False)
            self.reload()

        self.app.push_screen(
            ConfirmDialog(
                "Remove this line?",
                Text(f"{line.label}: {line.ordered} units come off {self.order.name}."),
                "Remove",
                safe_default=True,
            ),
            answered,
        )

    def action_drop(self) -> None:
        def drop() -> None:
            orders = self.desk.orders
            try:
                if self.order.status is OrderStatus.PARTIAL:
                    orders.close_short(self.order_id)
                else:
                    orders.cancel(self.order_id)
            except OrderError as error:
                self.notify(str(error), severity="error", markup=False)
            self._after_change()

        confirm_drop(self, self.order, drop)

    def action_item(self) -> None:
        chosen = self.cursor_row()
        if chosen is None:
            return
        line, arriving = chosen
        key = line.key if line is not None else arriving.key if arriving is not None else None
        self.show_item(key)
