"""One item up close (``i`` from the balances, low stock, reorder, history and orders): its
balance and daily sales over the last weeks as sparklines, on hand, on order, sales per day and
days of cover, its value at cost, and its recent movements (the app's own, changes seen outside
the app between them, and each day's sales at the till). Read from what is kept locally: opening
it never waits on the network. ``m`` records a movement of it."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Sparkline, Static

from zinv_tui.service import (
    EventKind,
    ItemDetail,
    ItemEvent,
    ReorderDbError,
    ReorderLine,
    RowKey,
    money,
)
from zinv_tui.ui.marks import PENDING_MARK
from zinv_tui.ui.screens.columns import flexible_width
from zinv_tui.ui.screens.desk_screen import DeskScreen
from zinv_tui.ui.screens.reorder_text import STATUS_WORDS, cover_text, rate_text, right, worded
from zinv_tui.ui.widgets.key_bar import KeyBar
from zinv_tui.ui.widgets.list_table import ListTable

WINDOW_DAYS = 28
FIXED_WIDTHS = {"when": 11, "change": 6, "after": 6}
KIND_MARKS = {EventKind.OWN: "", EventKind.OUTSIDE: "≈ ", EventKind.SALES: "$ "}


class ItemDetailScreen(DeskScreen):
    """``i``: one variant's sparklines, numbers and recent movements."""

    TITLE = "Item"
    CSS_PATH = Path(__file__).with_name("reorder.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "move", "Move stock"),
        Binding("f1", "app.open('help')", "Keys", show=False),
    ]

    def __init__(self, item: RowKey, window_days: int = WINDOW_DAYS) -> None:
        super().__init__()
        self.key = item
        self.window_days = window_days
        self.detail: ItemDetail | None = None
        self.line: ReorderLine | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="item-title")
        yield Static(id="item-facts")
        yield Static(id="balance-label", classes="spark-label")
        yield Sparkline([], id="balance-spark", classes="spark")
        yield Static(id="sales-label", classes="spark-label")
        yield Sparkline([], id="sales-spark", classes="spark")
        yield ListTable(id="item-events", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#item-events", DataTable)
        what = flexible_width(self.size.width, list(FIXED_WIDTHS.values()))
        table.add_column("When", key="when", width=FIXED_WIDTHS["when"])
        table.add_column("What", key="what", width=what)
        table.add_column(right("Change"), key="change", width=FIXED_WIDTHS["change"])
        table.add_column(right("After"), key="after", width=FIXED_WIDTHS["after"])
        self.reload()
        table.focus()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Read the item again from the local journal, sales and catalogue."""
        row = self.service.rows.get(self.key)
        if row is None:
            self.query_one("#item-title", Static).update(
                Text("This item is no longer tracked.", style="bold")
            )
            return
        try:
            desk = self.desk
            self.detail = detail = desk.item_detail(self.key, self.window_days)
            lines = desk.reorder_lines(rows=[row])
        except ReorderDbError as error:
            self.query_one("#item-title", Static).update(Text(str(error), style="bold red"))
            return
        self.line = lines[0] if lines else None
        self._show_title(detail)
        self._show_facts(detail)
        self._show_sparklines(detail, desk.history.first_complete_day() is not None)
        self._show_events(detail.events)

    def _show_title(self, detail: ItemDetail) -> None:
        row = detail.row
        title = Text(row.label, style="bold")
        codes = [
            f"SKU {row.sku}" if row.sku else "",
            f"barcode {row.barcode}" if row.barcode else "",
        ]
        shown = " · ".join(code for code in codes if code)
        if shown:
            title.append(f"  {shown}", style="dim")
        self.query_one("#item-title", Static).update(title)

    def _show_facts(self, detail: ItemDetail) -> None:
        row = detail.row
        text = Text(f"On hand {row.shown_balance:,}")
        if row.pending:
            text.append(f" {PENDING_MARK}", style="bold yellow")
        text.append(f" · on order {detail.on_order:,}")
        line = self.line
        if line is not None:
            per_day = rate_text(line.per_day) or "0"
            text.append(f" · {per_day}/day · cover {cover_text(line.days_of_cover)} d · ")
            text.append_text(worded(STATUS_WORDS[line.status]))
            if line.suggested:
                text.append(f" · order {line.suggested}", style="bold")
        value = detail.value
        text.append("\n")
        if value.unit_cost is None:
            text.append("No cost price in the product library: no stock value.", style="dim")
        else:
            currency = f" {value.currency}" if value.currency else ""
            text.append(f"Stock value {money(value.value)}{currency} at cost")
            text.append(f" ({money(value.unit_cost)} each)", style="dim")
            if value.retail_value is not None:
                text.append(f" · retail {money(value.retail_value)}{currency}", style="dim")
            if value.negative:
                text.append(" · below zero: valued at 0", style="bold yellow")
        self.query_one("#item-facts", Static).update(text)

    def _show_sparklines(self, detail: ItemDetail, has_history: bool) -> None:
        days = detail.days
        balances = [max(0.0, point.balance) for point in days]
        sold = [point.sold for point in days]
        first = days[0].date if days else None
        balance = Text(f"Balance since {first:%d %b}: " if first else "Balance: ")
        if days:
            balance.append(f"{days[0].balance:g} → {days[-1].balance:g}")
        balance.append(" (worked back; outside deliveries unknown)", style="dim")
        self.query_one("#balance-label", Static).update(balance)
        self.query_one("#balance-spark", Sparkline).data = balances
        sales = Text("Sold per day: ")
        if not has_history:
            sales.append("no sales history yet (Reorder, o, reads it)", style="dim")
        else:
            sales.append(f"{detail.sold:g} in {len(days)} days, most {max(sold, default=0):g}")
        self.query_one("#sales-label", Static).update(sales)
        self.query_one("#sales-spark", Sparkline).data = sold

    def _show_events(self, events: list[ItemEvent]) -> None:
        table = self.query_one("#item-events", DataTable)
        zone = self.zinv.clock_zone
        with self.app.batch_update():
            table.clear()
            for index, event in enumerate(events):
                moment = event.when.astimezone(zone)
                when = f"{moment:%m-%d}" if event.day_only else f"{moment:%m-%d %H:%M}"
                change = Text(f"{event.change:+g}" if event.change else "", justify="right")
                if event.change < 0:
                    change.stylize("red")
                after = "" if event.balance_after is None else str(event.balance_after)
                table.add_row(
                    Text(when),
                    Text(KIND_MARKS[event.kind] + event.what, no_wrap=True, overflow="ellipsis"),
                    change,
                    Text(after, justify="right"),
                    key=str(index),
                )
            if not events:
                table.add_row(
                    Text(""), Text("No movements in this window", style="dim"), Text(""), Text("")
                )

    def action_move(self) -> None:
        """``m``: a movement of this item, its quantity ready to type."""
        self.zinv.open_screen("movement", keys=[self.key], focus_quantity=True)
