"""The low-stock screen: every variant that is out of stock or low (and those flagged for alerts),
most urgent first, with a small form to set or clear the level and alert flag of one or several.

Out and low are the service's one rule (:mod:`zinv_tui.service.stock_rules`): an out-of-stock
variant is listed whether it has a level or not, and the title's counts are the status badge's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Static

from zinv_tui.service import (
    RowDiff,
    RowKey,
    StockCounts,
    StockRow,
    StockState,
    restock_need,
    urgency,
)
from zinv_tui.service.wording import number, plural
from zinv_tui.ui.marks import PICKED_MARK, STATE_WORDS, with_pending
from zinv_tui.ui.screens.columns import fit_label, fit_tail, flexible_width
from zinv_tui.ui.screens.quantities import QuantityError, read_quantity
from zinv_tui.ui.screens.service_screen import ServiceScreen, steady_cursors
from zinv_tui.ui.screens.variant_search import VariantPicker
from zinv_tui.ui.widgets.key_bar import KeyBar
from zinv_tui.ui.widgets.list_table import ListTable
from zinv_tui.ui.widgets.text_input import TextInput
from zinv_tui.ui.widgets.tick_box import TickBox

MAX_LISTED = 1000
"""Variants listed at once, most urgent first (a DataTable stays quick at this size)."""
FIXED_WIDTHS = {"selected": 1, "state": 5, "sku": 12, "balance": 7, "level": 5, "alert": 5}


def qualifies(row: StockRow, show_all: bool = False) -> bool:
    """Listed on this screen: out of stock or low, or flagged for alerts (or, with ``show_all``,
    any variant with a level)."""
    return (
        row.needs_restock or row.low_stock_alert or (show_all and row.low_stock_level is not None)
    )


def alert_rows(rows: Mapping[RowKey, StockRow], show_all: bool = False) -> list[StockRow]:
    """The rows this screen lists, most urgent first (the service's :func:`urgency`).

    By default: out of stock or low, or with the alert flag. With ``show_all``: also every variant
    that has a level, whatever its balance.
    """
    chosen = [row for row in rows.values() if qualifies(row, show_all)]
    chosen.sort(key=urgency)
    return chosen


STATE_STYLES = {StockState.OUT: "bold red", StockState.LOW: "bold yellow", StockState.OK: "dim"}


def state_marker(row: StockRow) -> Text:
    """A word, not just a colour: OUT, LOW, or ok."""
    return Text(STATE_WORDS[row.state], style=STATE_STYLES[row.state])


@dataclass(frozen=True, slots=True)
class LowStockChoice:
    """The form's answer: the level (``None``: no level) and whether to alert."""

    level: int | None
    alert: bool


class LowStockDialog(ModalScreen[LowStockChoice | None]):
    """Set or clear the low-stock level and alert flag of one variant or several."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save", id="low_stock.save"),
    ]

    def __init__(self, subject: str, level: int | None, alert: bool) -> None:
        super().__init__(classes="zinv-dialog-screen")
        self._subject = subject
        self._level = level
        self._alert = alert

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="low-stock-dialog"):
            yield Static(Text("Low-stock level", style="bold"), classes="dialog-title")
            yield Static(Text(self._subject), classes="dialog-body")
            with Horizontal(classes="form-row"):
                yield Static("Level", classes="form-label")
                yield TextInput(
                    "" if self._level is None else str(self._level),
                    placeholder="blank: no level",
                    id="level",
                    compact=True,
                )
            yield Static("", id="level-error", classes="field-error")
            yield TickBox("Alert when at or below the level", self._alert, id="alert", compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save", compact=True)
                yield Button("Clear", id="clear", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        steady_cursors(self)
        self.query_one("#level", Input).focus()

    @on(Input.Changed, "#level")
    def _clear_error(self) -> None:
        self.query_one("#level-error", Static).update("")

    @on(Input.Submitted, "#level")
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        text = self.query_one("#level", Input).value
        level: int | None = None
        if text.strip():
            try:
                level = read_quantity(text, allow_zero=True)
            except QuantityError as error:
                self.query_one("#level-error", Static).update(
                    f"{error} (or leave it blank for no level)"
                )
                self.query_one("#level", Input).focus()
                return
        self.dismiss(LowStockChoice(level, self.query_one("#alert", TickBox).value))

    @on(Button.Pressed, "#clear")
    def _clear(self) -> None:
        self.dismiss(LowStockChoice(None, False))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class AddVariantDialog(ModalScreen[RowKey | None]):
    """Pick any tracked variant (to give it a low-stock level)."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, rows: Mapping[RowKey, StockRow]) -> None:
        super().__init__(classes="zinv-dialog-screen")
        self._rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="add-variant-dialog"):
            yield Static(
                Text("Set a level for which variant?", style="bold"), classes="dialog-title"
            )
            yield VariantPicker(self._rows, id="add-picker")

    def on_mount(self) -> None:
        steady_cursors(self)
        self.query_one(VariantPicker).focus_input()

    @on(VariantPicker.Picked)
    def _picked(self, event: VariantPicker.Picked) -> None:
        self.dismiss(event.key)

    def action_cancel(self) -> None:
        self.dismiss(None)


class LowStockScreen(ServiceScreen[None]):
    """``a``: what needs restocking, most urgent first; Enter sets a level, space selects."""

    TITLE = "Low stock"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = [
        Binding("enter,e", "edit", "Set level"),
        Binding("space", "toggle_select", "Select"),
        Binding("asterisk", "select_all", "Select all", key_display="*"),
        Binding("x", "clear_level", "Clear level"),
        Binding("n", "add_variant", "Other variant"),
        Binding("f", "toggle_show_all", "All levels"),
        Binding("m", "restock", "Restock", show=False),
        Binding("i", "item", "Item detail", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[StockRow] = []
        self._selected: set[RowKey] = set()
        self._label_width = 0
        self._counts = (StockCounts(), 0)
        self.show_all = False

    def compose(self) -> ComposeResult:
        yield Static(id="low-stock-title")
        yield ListTable(id="low-stock-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="low-stock-empty")
        yield KeyBar()

    def on_mount(self) -> None:
        self._build_columns()
        self.refresh_rows()
        self.follow_rows(self._rows_changed)
        self.query_one("#low-stock-table", DataTable).focus()

    def _rows_changed(self, diff: RowDiff | None) -> None:
        """Rebuild only when the diff touches a variant that is, or was, listed."""
        if diff is None or diff.full or diff.removed:
            self.refresh_rows()
            return
        touched = list(diff.added)
        for change in diff.changed:
            touched.extend((change.old, change.new))
        if any(qualifies(row, self.show_all) for row in touched):
            self.refresh_rows()

    def _build_columns(self) -> None:
        table = self.query_one("#low-stock-table", DataTable)
        self._label_width = flexible_width(self.size.width, list(FIXED_WIDTHS.values()))
        table.clear(columns=True)
        table.add_column(" ", key="selected", width=FIXED_WIDTHS["selected"])
        table.add_column("State", key="state", width=FIXED_WIDTHS["state"])
        table.add_column("Product / variant", key="label", width=self._label_width)
        table.add_column("SKU", key="sku", width=FIXED_WIDTHS["sku"])
        table.add_column("Balance", key="balance", width=FIXED_WIDTHS["balance"])
        table.add_column("Level", key="level", width=FIXED_WIDTHS["level"])
        table.add_column("Alert", key="alert", width=FIXED_WIDTHS["alert"])

    def on_resize(self, event: events.Resize) -> None:
        if flexible_width(event.size.width, list(FIXED_WIDTHS.values())) != self._label_width:
            self._build_columns()
            self.refresh_rows()

    @property
    def listed_keys(self) -> list[RowKey]:
        """The keys of the listed variants, in the order shown."""
        return [row.key for row in self._rows]

    @property
    def selected_keys(self) -> set[RowKey]:
        return set(self._selected)

    def refresh_rows(self) -> None:
        """Rebuild the list from the service's rows, keeping the cursor on the same variant."""
        table = self.query_one("#low-stock-table", DataTable)
        current = self._cursor_key()
        everything = alert_rows(self.service.rows, self.show_all) if self.loaded else []
        counts = StockCounts.of(everything)
        self._counts = (counts, len(everything) - counts.out - counts.low)
        self._rows = everything[:MAX_LISTED]
        listed = {row.key for row in self._rows}
        self._selected &= listed
        with self.app.batch_update():
            table.clear()
            for row in self._rows:
                table.add_row(*self._cells(row), key=_table_key(row.key))
            if current is not None and current in listed:
                table.move_cursor(row=self.listed_keys.index(current))
        self._update_title()

    def _cells(self, row: StockRow) -> list[Text]:
        level = "" if row.low_stock_level is None else number(row.low_stock_level)
        balance = with_pending(row.shown_balance, bool(row.pending))
        return [
            Text(PICKED_MARK if row.key in self._selected else " "),
            state_marker(row),
            Text(fit_label(row.product_name or "", row.variant_name or "", self._label_width)),
            Text(fit_tail(row.sku or "", FIXED_WIDTHS["sku"])),
            Text(balance, justify="right"),
            Text(level, justify="right"),
            Text("on" if row.low_stock_alert else "off"),
        ]

    @property
    def loaded(self) -> bool:
        """True once the service has its rows (before that, the screen says it is loading)."""
        return self.zinv_app.service_ready

    def _update_title(self) -> None:
        empty = self.query_one("#low-stock-empty", Static)
        if not self.loaded:
            self.query_one("#low-stock-title", Static).update(
                Text("Low stock: loading the stock…", style="bold")
            )
            empty.update("Loading the stock from Zettle…")
            empty.display = True
            return
        counts, others = self._counts
        title = Text(f"Low stock: {counts.out} out, {counts.low} low", style="bold")
        scope = "with a level or alert" if self.show_all else "with alerts on"
        title.append(f" (+{others} {scope})")
        total = counts.out + counts.low + others
        if total > len(self._rows):
            title.append(f", most urgent {len(self._rows)} shown")
        if self._selected:
            title.append(f"  {len(self._selected)} selected", style="reverse")
        self.query_one("#low-stock-title", Static).update(title)
        empty.update(
            ""
            if self._rows
            else "Nothing is out of stock or at or below its low-stock level. "
            "Press n to set a level for a variant."
        )
        empty.display = not self._rows

    def _cursor_key(self) -> RowKey | None:
        table = self.query_one("#low-stock-table", DataTable)
        if not self._rows or table.cursor_row >= len(self._rows):
            return None
        return self._rows[table.cursor_row].key

    def _targets(self) -> list[RowKey]:
        if self._selected:
            return [key for key in self.listed_keys if key in self._selected]
        key = self._cursor_key()
        return [key] if key else []

    def action_toggle_select(self) -> None:
        key = self._cursor_key()
        if key is None:
            return
        self._selected.symmetric_difference_update({key})
        table = self.query_one("#low-stock-table", DataTable)
        mark = PICKED_MARK if key in self._selected else " "
        table.update_cell(_table_key(key), "selected", Text(mark))
        if table.cursor_row < len(self._rows) - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self._update_title()

    def action_select_all(self) -> None:
        listed = set(self.listed_keys)
        self._selected = set() if self._selected >= listed else listed
        self.refresh_rows()

    def action_toggle_show_all(self) -> None:
        self.show_all = not self.show_all
        self.refresh_rows()

    @on(DataTable.RowSelected, "#low-stock-table")
    def action_edit(self) -> None:
        self._open_form(self._targets())

    def action_add_variant(self) -> None:
        def picked(key: RowKey | None) -> None:
            if key is not None:
                self._open_form([key])

        self.app.push_screen(AddVariantDialog(self.service.rows), picked)

    def action_clear_level(self) -> None:
        targets = self._targets()
        if targets:
            self.apply(targets, LowStockChoice(None, False))

    def action_item(self) -> None:
        """``i``: the variant under the cursor up close."""
        from zinv_tui.ui.screens.desk_screen import open_item_detail

        open_item_detail(self.app, self._cursor_key())

    def action_restock(self) -> None:
        """Open a restock movement for the selected variants (or the one under the cursor), each
        with what brings it back above its level."""
        targets = self._targets()
        if targets:
            rows = self.service.rows
            needs = {key: restock_need(rows[key]) for key in targets if key in rows}
            self.zinv_app.open_screen("movement", keys=targets, quantities=needs)

    def _open_form(self, keys: list[RowKey]) -> None:
        if not keys:
            self.notify("Nothing to set: the list is empty. Press n to pick a variant.")
            return
        rows = self.service.rows
        first = rows.get(keys[0])
        if first is None:
            return
        subject = first.label if len(keys) == 1 else f"{len(keys):,} selected variants"
        levels = {rows[key].low_stock_level for key in keys if key in rows}
        alerts = {rows[key].low_stock_alert for key in keys if key in rows}
        level = next(iter(levels)) if len(levels) == 1 else None
        # No level yet: setting one usually means "tell me", so the alert starts on.
        alert = next(iter(alerts)) if len(alerts) == 1 and levels != {None} else True

        def chosen(choice: LowStockChoice | None) -> None:
            if choice is not None:
                self.apply(keys, choice)

        self.app.push_screen(LowStockDialog(subject, level, alert), chosen)

    @work(group="low-stock-write", exit_on_error=False)
    async def apply(self, keys: Iterable[RowKey], choice: LowStockChoice) -> None:
        """Send the level and flag to Zettle; the list updates from the service's diff."""
        keys = list(keys)
        rows = self.service.rows
        what = (
            rows[keys[0]].label
            if len(keys) == 1 and keys[0] in rows
            else plural(len(keys), "variant")
        )
        try:
            await self.service.set_low_stock(keys, choice.level, choice.alert)
        except Exception as error:
            self.notify(
                f"The low-stock level was not saved: {error}", severity="error", markup=False
            )
            return
        if choice.level is None and not choice.alert:
            self.notify(f"Cleared the low-stock level of {what}", markup=False)
        else:
            level = "no level" if choice.level is None else f"level {choice.level}"
            alert = "alert on" if choice.alert else "alert off"
            self.notify(f"Saved {level}, {alert} for {what}", markup=False)
        self._selected.clear()
        self.refresh_rows()


def _table_key(key: RowKey) -> str:
    return f"{key[0]}:{key[1]}"
