"""The Reorder screen (``o``): what to buy and how much, most urgent first.

Per variant: status, sales per day, days of cover, on hand, on order and the suggested order;
the line under the list explains the highlighted suggestion (the numbers behind it, from the
service). ``space`` picks lines, ``n`` puts the picked lines (or the highlighted one) on a draft
purchase order per supplier, ``e``/Enter edits the variant's settings, ``/`` filters, ``f``
shows every tracked item instead of those needing attention, ``i`` opens the item, ``p`` the
purchase orders.

Opening never waits on the network: the list is computed from the sales kept locally, then the
sales are brought up to date in a worker (the first read of the history shows its progress) and
the list is computed again when something new came in. Without ``READ:PURCHASE`` the screen says
how to add the scope; stock and on order are still listed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, ProgressBar, Static

from zinv_tui.service import (
    PurchaseScopeMissing,
    ReorderDbError,
    ReorderLine,
    ReorderParams,
    ReorderStatus,
    RowDiff,
    RowKey,
    SalesProgress,
    SettingsError,
    VariantSettings,
)
from zinv_tui.service.reorder_settings import resolve
from zinv_tui.ui.screens.columns import fit_label, flexible_width
from zinv_tui.ui.screens.desk_screen import DeskScreen
from zinv_tui.ui.screens.reorder_settings_dialog import VariantSettingsDialog
from zinv_tui.ui.screens.reorder_text import (
    STATUS_WORDS,
    count_text,
    cover_text,
    rate_text,
    right,
    worded,
)
from zinv_tui.ui.widgets.key_bar import KeyBar
from zinv_tui.ui.widgets.list_table import ListTable
from zinv_tui.ui.widgets.text_input import TextInput

MAX_LISTED = 500
"""Lines listed at once, most urgent first (the filter searches them all)."""
FIRST_ROWS = 60
"""Rows put in the table before the first paint; the others follow right after it."""
FIXED_WIDTHS = {"pick": 1, "status": 8, "per_day": 5, "cover": 5, "on_hand": 5, "on_order": 5}
SUGGESTED_WIDTH = 6
PICKED = "●"
DRAFTED = "◇"
ATTENTION = {ReorderStatus.OUT, ReorderStatus.ORDER, ReorderStatus.ON_ORDER, ReorderStatus.SOON}
URGENT = (ReorderStatus.OUT, ReorderStatus.ORDER)
RELOAD_DELAY = 1.0
"""Seconds to gather stock changes before the changed lines are computed again."""


def needs_attention(line: ReorderLine) -> bool:
    """Listed by default: out, order now, on order, soon, or anything suggested."""
    return line.status in ATTENTION or line.suggested > 0


def matches(line: ReorderLine, words: list[str]) -> bool:
    """Every word is in the item's name, SKU, barcode or supplier."""
    row = line.row
    haystack = f"{row.label} {row.sku} {row.barcode} {line.plan.supplier}".casefold()
    return all(word in haystack for word in words)


class ReorderScreen(DeskScreen):
    """``o``: the reorder list; pick lines into purchase orders, edit settings."""

    TITLE = "Reorder"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter"),
        Binding("space", "pick", "Pick"),
        Binding("n", "make_orders", "Order"),
        Binding("e", "edit_settings", "Settings"),
        Binding("enter", "edit_settings", "Settings", show=False),
        # shown in the help and the palette: the footer keeps ? and q at 80 columns
        Binding("p", "orders", "Purchase orders", show=False),
        Binding("i", "item", "Item detail", show=False),
        Binding("f", "toggle_all", "All", show=False),
        Binding("asterisk", "pick_suggested", "Pick all suggested", key_display="*", show=False),
        Binding("r", "reload_sales", "Read new sales", show=False),
        Binding("f1", "app.open('help')", "Keys", show=False),
    ]

    def __init__(self, params: ReorderParams | None = None) -> None:
        super().__init__()
        self.params = params or ReorderParams()
        self.show_all = False
        self.working = True
        """Computing the first list (the sales may still be read after that)."""
        self.scope_missing = False
        self._lines: list[ReorderLine] = []
        self._attention: list[ReorderLine] = []
        self._attention_keys: set[RowKey] = set()
        self._counts = (0, 0)
        self._shown: list[ReorderLine] = []
        self._matching = 0
        self._picked: set[RowKey] = set()
        self._drafted: dict[str, str] = {}
        self._changed: set[RowKey] = set()
        self._reload_pending = False
        self._fill = 0
        """Counts the list's refills (rows added after a paint belong to the latest only)."""
        self._item_width = 0
        self._sales_note = ""

    def compose(self) -> ComposeResult:
        yield Static(id="reorder-title")
        yield TextInput(
            placeholder="Filter: name, SKU, barcode or supplier", id="reorder-filter", compact=True
        )
        with Horizontal(id="reorder-progress"):
            yield Static(id="reorder-progress-label")
            yield ProgressBar(total=1.0, show_eta=False, id="reorder-progress-bar")
        yield Static(id="reorder-notice")
        yield ListTable(id="reorder-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="reorder-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#reorder-filter", Input).display = False
        self.query_one("#reorder-notice", Static).display = False
        self._build_columns()
        self.follow_rows(self._rows_changed)
        self.table.focus()
        self._show_title()
        if self.zinv.service_ready:
            self.load()
        else:
            self._show_progress("Loading the stock from Zettle…", None)

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#reorder-table", DataTable)

    # ---------------------------------------------------------------- loading

    @work(exclusive=True, group="reorder-load", exit_on_error=False)
    async def load(self, read_sales: bool = True) -> None:
        """List from the local sales at once, then read new sales and list again if any."""
        try:
            desk = self.desk
        except ReorderDbError as error:
            self._show_progress(None, None)
            self._notice(Text(str(error), style="bold red"))
            return
        has_history = desk.history.first_complete_day() is not None
        if has_history or not read_sales:
            await self._compute()
        # Today's out-of-stock marks count from tomorrow on (the window ends yesterday): noted
        # after the first paint.
        desk.observe_stock()
        if not read_sales:
            return
        first = not has_history
        self._show_progress(
            "Reading 90 days of sales from Zettle (first time only)…"
            if first
            else "Reading new sales from Zettle…",
            0.0 if first else None,
        )
        try:
            result = await desk.refresh_sales(self.params.window_days, progress=self._progress)
        except PurchaseScopeMissing as error:
            self.scope_missing = True
            self._notice(Text(str(error), style="bold"))
            self._sales_note = "no sales: READ:PURCHASE missing"
            if first:
                await self._compute()
            self._show_progress(None, None)
            return
        except Exception as error:  # offline, Zettle down: the local sales still serve
            self._show_progress(None, None)
            self.notify(
                f"Could not read new sales: {error}", severity="warning", markup=False, timeout=8
            )
            if first:
                await self._compute()
            return
        self._show_progress(None, None)
        self._sales_note = ""
        if first or result.new_receipts:
            await self._compute()
        else:
            self._show_title()

    def _progress(self, progress: SalesProgress) -> None:
        label = f"Reading sales from Zettle: {progress.receipts:,} receipts"
        if progress.reached is not None:
            label += f", up to {progress.reached.astimezone(self.zinv.clock_zone):%d %b}"
        self._show_progress(label, progress.fraction)

    def _show_progress(self, label: str | None, fraction: float | None) -> None:
        box = self.query_one("#reorder-progress", Horizontal)
        box.display = label is not None
        if label is None:
            return
        self.query_one("#reorder-progress-label", Static).update(Text(label))
        bar = self.query_one("#reorder-progress-bar", ProgressBar)
        bar.display = fraction is not None
        if fraction is not None:
            bar.update(total=1.0, progress=fraction)

    def _notice(self, text: Text) -> None:
        notice = self.query_one("#reorder-notice", Static)
        notice.update(text)
        notice.display = bool(text)

    async def _compute(self) -> None:
        """Compute every line (after a paint, so the screen shows before the CPU work)."""
        await asyncio.sleep(0)
        desk = self.desk
        self._lines = desk.reorder_lines(self.params)
        self._drafted = desk.drafted()
        self._changed.clear()
        self.working = False
        self._index()
        self.refresh_list()

    def on_screen_resume(self) -> None:
        """Back from an order: lines whose units on order changed are computed again."""
        if self.working or not self._lines:
            return
        desk = self.desk
        on_order = desk.orders.on_order()
        changed = [
            line.key
            for line in self._lines
            if line.on_order != on_order.get(line.row.variant_uuid, 0)
        ]
        if changed:
            self.recompute(changed)
        else:
            self._drafted = desk.drafted()
            self.refresh_list()

    def _rows_changed(self, diff: RowDiff | None) -> None:
        """A stock change: the changed items' lines are computed again, in place, shortly."""
        if diff is None:
            if self.working and not self._lines:
                self.load()
            return
        if self.working:
            return
        keys = {row.key for row in diff.added}
        keys.update(change.new.key for change in diff.changed)
        if keys:
            self._changed.update(keys)
            if not self._reload_pending:
                self._reload_pending = True
                self.set_timer(RELOAD_DELAY, self._recompute_changed)

    def _recompute_changed(self) -> None:
        self._reload_pending = False
        if not self.is_attached or not self._changed:
            return
        self.recompute(self._changed)
        self._changed.clear()

    def recompute(self, keys: Iterable[RowKey]) -> None:
        """Compute the lines of ``keys`` again and put them where they were (the order changes
        at the next full read, so the cursor does not jump)."""
        rows = self.service.rows
        wanted = [rows[key] for key in keys if key in rows]
        if not wanted:
            return
        fresh = {line.key: line for line in self.desk.reorder_lines(self.params, rows=wanted)}
        listed = {line.key for line in self._lines}
        self._lines = [fresh.get(line.key, line) for line in self._lines]
        self._lines.extend(line for key, line in fresh.items() if key not in listed)
        self._drafted = self.desk.drafted()
        self._index()
        self.refresh_list()

    # ---------------------------------------------------------------- the list

    def _index(self) -> None:
        """The lines needing attention and the title's counts, once per computation (the
        filter and the title read them at every keystroke)."""
        self._attention = [line for line in self._lines if needs_attention(line)]
        self._attention_keys = {line.key for line in self._attention}
        urgent = sum(1 for line in self._attention if line.suggestion.status in URGENT)
        suggested = sum(1 for line in self._attention if line.suggestion.suggested)
        self._counts = (urgent, suggested)

    @property
    def lines(self) -> list[ReorderLine]:
        """The lines listed, in the order shown."""
        return list(self._shown)

    @property
    def picked_keys(self) -> set[RowKey]:
        return set(self._picked)

    @property
    def filter_text(self) -> str:
        return self.query_one("#reorder-filter", Input).value.strip()

    def _build_columns(self) -> None:
        table = self.table
        widths = [*FIXED_WIDTHS.values(), SUGGESTED_WIDTH]
        self._item_width = flexible_width(self.size.width, widths)
        table.clear(columns=True)
        table.add_column(" ", key="pick", width=FIXED_WIDTHS["pick"])
        table.add_column("Status", key="status", width=FIXED_WIDTHS["status"])
        table.add_column("Item", key="item", width=self._item_width)
        table.add_column(right("/day"), key="per_day", width=FIXED_WIDTHS["per_day"])
        table.add_column(right("Cover"), key="cover", width=FIXED_WIDTHS["cover"])
        table.add_column(right("Have"), key="on_hand", width=FIXED_WIDTHS["on_hand"])
        table.add_column(right("OnOrd"), key="on_order", width=FIXED_WIDTHS["on_order"])
        table.add_column(right("Order"), key="suggested", width=SUGGESTED_WIDTH)

    def on_resize(self, event: events.Resize) -> None:
        widths = [*FIXED_WIDTHS.values(), SUGGESTED_WIDTH]
        if flexible_width(event.size.width, widths) != self._item_width:
            self._build_columns()
            self.refresh_list()

    def refresh_list(self) -> None:
        """Show the lines the filters let through (at most :data:`MAX_LISTED`), keeping the
        cursor on the same item."""
        words = self.filter_text.casefold().split()
        source = self._lines if self.show_all else self._attention
        if not self.show_all and not self._picked <= self._attention_keys:
            source = [  # a picked line that needs no attention stays listed
                line
                for line in self._lines
                if line.key in self._attention_keys or line.key in self._picked
            ]
        chosen = [line for line in source if matches(line, words)] if words else source
        self._matching = len(chosen)
        current = self.cursor_line()
        self._shown = chosen[:MAX_LISTED]
        self._fill += 1
        keys = [line.key for line in self._shown]
        row = keys.index(current.key) if current is not None and current.key in keys else 0
        first = max(FIRST_ROWS, row + 1)
        table = self.table
        with self.app.batch_update():
            table.clear()
            self._add_rows(0, first)
            table.move_cursor(row=row)
        if len(self._shown) > first:
            self.call_after_refresh(self._add_rest, self._fill, first)
        self._show_title()
        self._show_detail()

    def _add_rows(self, start: int, stop: int) -> None:
        table = self.table
        for line in self._shown[start:stop]:
            table.add_row(*self._cells(line), key=_table_key(line.key))

    def _add_rest(self, fill: int, start: int) -> None:
        """The rows after the first screenful, once it is painted (unless listed anew since)."""
        if fill == self._fill and self.is_attached:
            self._add_rows(start, len(self._shown))

    def _mark(self, line: ReorderLine) -> Text:
        if line.key in self._picked:
            return Text(PICKED, style="bold")
        if line.row.variant_uuid in self._drafted:
            return Text(DRAFTED, style="dim")
        return Text(" ")

    def _cells(self, line: ReorderLine) -> list[Text]:
        row = line.row
        label = fit_label(row.product_name or row.product_uuid, row.variant_name, self._item_width)
        suggested = line.suggested
        return [
            self._mark(line),
            worded(STATUS_WORDS[line.status]),
            Text(label, no_wrap=True, overflow="ellipsis"),
            right(rate_text(line.per_day)),
            right(cover_text(line.days_of_cover)),
            count_text(line.balance, blank_zero=False),
            count_text(line.on_order),
            right(f"{suggested:,}" if suggested else "", "bold"),
        ]

    def _show_title(self) -> None:
        title = Text("Reorder", style="bold")
        if self.working and not self._lines:
            title.append(": working out what to order…")
            self.query_one("#reorder-title", Static).update(title)
            return
        urgent, suggested = self._counts
        title.append(f": {urgent} to order now, {suggested} suggested")
        shown = "all items" if self.show_all else "needing attention"
        title.append(f" · {shown}", style="dim")
        if self.filter_text:
            title.append(f" matching {self.filter_text!r}", style="dim")
        if self._matching > len(self._shown):
            title.append(f" · first {len(self._shown)} of {self._matching:,}", style="dim")
        if self._picked:
            title.append(f"  {len(self._picked)} picked", style="reverse")
        if self._sales_note:
            title.append(f"  ({self._sales_note})", style="bold yellow")
        self.query_one("#reorder-title", Static).update(title)

    def cursor_line(self) -> ReorderLine | None:
        """The line under the cursor (None when the list is empty)."""
        table = self.table
        if not self._shown or not 0 <= table.cursor_row < len(self._shown):
            return None
        return self._shown[table.cursor_row]

    @on(DataTable.RowHighlighted, "#reorder-table")
    def _show_detail(self) -> None:
        detail = self.query_one("#reorder-detail", Static)
        line = self.cursor_line()
        if line is None:
            detail.update(Text(self._empty_text(), style="dim"))
            return
        plan = line.plan
        text = Text()
        text.append(line.row.label, style="bold")
        facts = [
            f"supplier {plan.supplier or '—'}",
            f"pack {plan.pack_size}",
            f"lead {plan.lead_time_days:g} d",
            f"cover {plan.cover_days:g} d",
        ]
        drafted = self._drafted.get(line.row.variant_uuid)
        if drafted:
            facts.append(f"on draft {drafted}")
        text.append("  " + " · ".join(facts), style="dim")
        text.append("\n")
        text.append(line.explain())
        detail.update(text)

    def _empty_text(self) -> str:
        if self.working:
            return "Working out what to order…"
        if self.filter_text:
            return "Nothing matches the filter (Esc clears it)."
        if not self._lines:
            return "No tracked items yet: press t on the balances to choose products to track."
        return "Nothing needs ordering now. f lists every item."

    # ---------------------------------------------------------------- filter

    def action_filter(self) -> None:
        field = self.query_one("#reorder-filter", Input)
        field.display = True
        field.focus()

    @on(Input.Changed, "#reorder-filter")
    def _filter_changed(self) -> None:
        self.refresh_list()

    @on(Input.Submitted, "#reorder-filter")
    def _filter_kept(self) -> None:
        field = self.query_one("#reorder-filter", Input)
        if not field.value.strip():
            field.display = False
        self.table.focus()

    def action_back(self) -> None:
        """Esc: close the filter if it is open or set, else back."""
        field = self.query_one("#reorder-filter", Input)
        if field.display or field.value:
            field.value = ""
            field.display = False
            self.table.focus()
            return
        super().action_back()

    # ---------------------------------------------------------------- keys

    def action_pick(self) -> None:
        line = self.cursor_line()
        if line is None:
            return
        self._picked.symmetric_difference_update({line.key})
        table = self.table
        table.update_cell(_table_key(line.key), "pick", self._mark(line))
        if table.cursor_row < len(self._shown) - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self._show_title()

    def action_pick_suggested(self) -> None:
        """``*``: pick every listed line with a suggestion (again: unpick them)."""
        wanted = {line.key for line in self._shown if line.suggested}
        self._picked = set() if wanted and wanted <= self._picked else self._picked | wanted
        self.refresh_list()

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self.refresh_list()

    def action_reload_sales(self) -> None:
        self.load()

    def action_item(self) -> None:
        line = self.cursor_line()
        self.show_item(line.key if line else None)

    def action_orders(self) -> None:
        self.zinv.open_screen("purchase_orders")

    def action_make_orders(self) -> None:
        """Put the picked lines (else the highlighted one) on a draft order per supplier."""
        chosen = [line for line in self._lines if line.key in self._picked]
        if not chosen:
            line = self.cursor_line()
            chosen = [line] if line is not None else []
        if not chosen:
            return
        ordering = [line for line in chosen if line.suggested > 0]
        skipped = len(chosen) - len(ordering)
        if not ordering:
            self.notify(
                "Nothing suggested for the picked lines: nothing to order. Set a minimum or "
                "maximum (e) to order an item the sales do not call for.",
                severity="warning",
            )
            return
        try:
            orders = self.desk.draft_orders(ordering, into_drafts=True)
        except Exception as error:  # OrderError, a full disk
            self.notify(f"No order was made: {error}", severity="error", markup=False)
            return
        self._picked.clear()
        self._drafted = self.desk.drafted()
        names = ", ".join(f"{order.name} ({order.supplier})" for order in orders)
        message = f"On draft: {names}. e exports an order for the supplier."
        if skipped:
            message += f" {skipped} picked line{'s' if skipped != 1 else ''} suggested nothing."
        self.notify(message, markup=False, timeout=8)
        self.refresh_list()
        if len(orders) == 1:
            self.zinv.open_screen("purchase_order", order_id=orders[0].id)
        else:
            self.zinv.open_screen("purchase_orders")

    @on(DataTable.RowSelected, "#reorder-table")
    def action_edit_settings(self) -> None:
        line = self.cursor_line()
        if line is None:
            return
        settings = self.desk.settings
        current = settings.get(line.row.variant_uuid)
        _plans, default = settings.plans(self.params)
        supplier = settings.supplier(current.supplier or "")
        blank = resolve(VariantSettings(supplier=current.supplier), supplier, default)
        names = [known.name for known in settings.suppliers()]
        key = line.key

        def chosen(result: VariantSettings | None) -> None:
            if result is not None:
                self.save_settings(key, result)

        self.app.push_screen(VariantSettingsDialog(line.row.label, current, blank, names), chosen)

    def save_settings(self, key: RowKey, chosen: VariantSettings) -> None:
        """Store a variant's settings and compute its line again."""
        try:
            self.desk.settings.update(
                key,
                supplier=chosen.supplier,
                supplier_code=chosen.supplier_code,
                pack_size=chosen.pack_size,
                lead_time_days=chosen.lead_time_days,
                cover_days=chosen.cover_days,
                min_level=chosen.min_level,
                max_level=chosen.max_level,
            )
        except (SettingsError, OSError) as error:
            self.notify(f"Not saved: {error}", severity="error", markup=False)
            return
        self.recompute([key])
        self.notify("Settings saved", timeout=3)


def _table_key(key: RowKey) -> str:
    return f"{key[0]}:{key[1]}"
