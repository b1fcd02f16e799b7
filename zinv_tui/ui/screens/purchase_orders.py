"""The purchase orders screen (``p`` from Reorder): open orders first (draft, ordered, partly
received), ``f`` every order; Enter opens one, ``e`` exports it for the supplier, ``x`` cancels
it or closes it short (after asking)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from zinv_tui.service import OrderError, OrderStatus, PurchaseOrder
from zinv_tui.ui.screens.columns import flexible_width
from zinv_tui.ui.screens.delivery import confirm_drop, export_order
from zinv_tui.ui.screens.desk_screen import DeskScreen
from zinv_tui.ui.screens.reorder_text import ORDER_WORDS, count_text, right, worded
from zinv_tui.ui.widgets.key_bar import KeyBar
from zinv_tui.ui.widgets.list_table import ListTable

FIXED_WIDTHS = {"name": 12, "status": 11, "lines": 5, "units": 6, "date": 11}
OPEN = (OrderStatus.DRAFT, OrderStatus.ORDERED, OrderStatus.PARTIAL)


class PurchaseOrdersScreen(DeskScreen):
    """Every purchase order, newest first; open ones unless ``f``."""

    TITLE = "Purchase orders"
    CSS_PATH = Path(__file__).with_name("reorder.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_order", "Open"),
        Binding("e", "export", "Export CSV"),
        Binding("x", "drop", "Cancel/close"),
        Binding("f", "toggle_all", "All", show=False),
        Binding("f1", "app.open('help')", "Keys", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.show_all = False
        self._orders: list[PurchaseOrder] = []
        self._supplier_width = 0

    def compose(self) -> ComposeResult:
        yield Static(id="orders-title")
        yield ListTable(id="orders-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="orders-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self._build_columns()
        self.reload()
        self.query_one("#orders-table", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.reload()

    @property
    def orders(self) -> list[PurchaseOrder]:
        """The orders listed, newest first."""
        return list(self._orders)

    def _build_columns(self) -> None:
        table = self.query_one("#orders-table", DataTable)
        self._supplier_width = flexible_width(self.size.width, list(FIXED_WIDTHS.values()))
        table.clear(columns=True)
        table.add_column("Order", key="name", width=FIXED_WIDTHS["name"])
        table.add_column("Supplier", key="supplier", width=self._supplier_width)
        table.add_column("Status", key="status", width=FIXED_WIDTHS["status"])
        table.add_column(right("Lines"), key="lines", width=FIXED_WIDTHS["lines"])
        table.add_column(right("Left"), key="units", width=FIXED_WIDTHS["units"])
        table.add_column("Date", key="date", width=FIXED_WIDTHS["date"])

    def on_resize(self, event: events.Resize) -> None:
        width = flexible_width(event.size.width, list(FIXED_WIDTHS.values()))
        if width != self._supplier_width:
            self._build_columns()
            self.reload()

    def reload(self) -> None:
        """Read the orders again, keeping the cursor on the same one."""
        orders = self.desk.orders
        current = self.selected()
        self._orders = orders.orders(None if self.show_all else OPEN)
        zone = self.zinv.clock_zone
        table = self.query_one("#orders-table", DataTable)
        with self.app.batch_update():
            table.clear()
            for order in self._orders:
                lines = orders.lines(order.id)
                left = sum(line.remaining for line in lines)
                moment = order.ordered or order.created
                table.add_row(
                    Text(order.name, no_wrap=True, overflow="ellipsis"),
                    Text(order.supplier, no_wrap=True, overflow="ellipsis"),
                    worded(ORDER_WORDS[order.status]),
                    count_text(len(lines), blank_zero=False),
                    count_text(left),
                    Text(f"{moment.astimezone(zone):%m-%d %H:%M}"),
                    key=str(order.id),
                )
            ids = [order.id for order in self._orders]
            if current is not None and current.id in ids:
                table.move_cursor(row=ids.index(current.id))
        self._show_title()

    def _show_title(self) -> None:
        counts = {status: 0 for status in OPEN}
        for order in self._orders:
            if order.status in counts:
                counts[order.status] += 1
        title = Text("Purchase orders", style="bold")
        title.append(
            f": {counts[OrderStatus.DRAFT]} draft, {counts[OrderStatus.ORDERED]} ordered, "
            f"{counts[OrderStatus.PARTIAL]} partly received"
        )
        title.append(" · all orders" if self.show_all else " · open ones", style="dim")
        self.query_one("#orders-title", Static).update(title)
        hint = (
            "Enter opens an order: e exports it for the supplier, r receives the delivery."
            if self._orders
            else "No open orders: pick lines on Reorder (space) and press n."
        )
        self.query_one("#orders-hint", Static).update(Text(hint, style="dim"))

    def selected(self) -> PurchaseOrder | None:
        table = self.query_one("#orders-table", DataTable)
        if not self._orders or not 0 <= table.cursor_row < len(self._orders):
            return None
        return self._orders[table.cursor_row]

    # ---------------------------------------------------------------- keys

    @on(DataTable.RowSelected, "#orders-table")
    def action_open_order(self) -> None:
        order = self.selected()
        if order is not None:
            self.zinv.open_screen("purchase_order", order_id=order.id)

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self.reload()

    def action_export(self) -> None:
        order = self.selected()
        if order is not None:
            export_order(self, order, self.reload)

    def action_drop(self) -> None:
        order = self.selected()
        if order is None:
            return

        def drop() -> None:
            self.drop(order)

        confirm_drop(self, order, drop)

    def drop(self, order: PurchaseOrder) -> None:
        """Cancel the order, or close it short when part of it arrived."""
        orders = self.desk.orders
        try:
            partial = order.status is OrderStatus.PARTIAL
            changed = orders.close_short(order.id) if partial else orders.cancel(order.id)
        except OrderError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.notify(f"{changed.name} is {changed.status.value}", markup=False)
        self.reload()
