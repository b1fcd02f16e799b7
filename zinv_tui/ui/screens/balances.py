"""The balances (home) screen: every tracked variant's stock, live, with filter, sort and selection.

Keys: ``/`` filter as you type (Esc clears and closes, Enter keeps it), ``s``/``S`` sort and
reverse (remembered for the next launch), ``space`` select, ``ctrl+a`` select all shown, ``enter``
new movement for the row under the cursor (its quantity ready to type), ``m`` new movement with the
selection (or the row under the cursor offered under an empty Find field), ``i`` the item under the
cursor up close, ``o`` reorder, ``r`` refresh now, ``w`` which store (when there are several, the
title names the one shown),
``Esc`` clears the selection. The rows come from ``app.service.rows``; each service diff is applied
in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input, Label

from zinv_tui.service import RowDiff, RowKey, StockRow
from zinv_tui.service.wording import plural
from zinv_tui.ui.screens.service_screen import zinv_app
from zinv_tui.ui.stock_index import SORTABLE
from zinv_tui.ui.widgets.key_bar import KeyBar
from zinv_tui.ui.widgets.status_bar import StatusBar
from zinv_tui.ui.widgets.stock_table import StockTable
from zinv_tui.ui.widgets.text_input import TextInput

if TYPE_CHECKING:
    from zinv_tui.ui.app import ZinvApp


class BalancesScreen(Screen[None]):
    """Home: the stock table, its filter line, the status bar and the footer."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    AUTO_FOCUS = "StockTable"
    _preview_total: int | None = None
    """How many rows a launch from the snapshot has while only its first screenful is drawn."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="balances.filter"),
        Binding("m", "move", "Move", id="balances.move"),
        # The app's screen keys, shown here (home) and nowhere else: the footer's one full line.
        Binding("a", "app.open('low_stock')", "Alerts", id="balances.low_stock"),
        Binding("l", "app.open('locations')", "Locations", id="balances.locations"),
        Binding("h", "app.open('history')", "History", id="balances.history"),
        Binding("t", "app.open('tracking')", "Tracking", id="balances.tracking"),
        Binding("c", "app.open('counts')", "Counts", id="balances.counts"),
        # o (reorder) is the app's key: the footer has no room for it at 80 columns
        Binding("i", "item", "Item detail", show=False, id="balances.item"),
        Binding("r", "refresh", "Refresh", show=False, id="balances.refresh"),
        Binding("w", "app.switch_store", "Switch store", show=False, id="balances.store"),
        Binding("escape", "clear", "Clear", show=False, id="balances.clear"),
    ]

    def compose(self) -> ComposeResult:
        with Horizontal(id="top-bar"):
            yield Label("Balances", id="title")
            yield TextInput(
                placeholder="filter: name, variant, SKU or barcode",
                id="filter",
                compact=True,
            )
            yield Label("", id="count")
        yield StockTable(id="stock", highlight_seconds=self.zinv_app.highlight_seconds)
        yield StatusBar()
        yield KeyBar(compact=True, show_command_palette=False)

    @property
    def zinv_app(self) -> ZinvApp:
        """The app, typed."""
        return zinv_app(self)

    @property
    def table(self) -> StockTable:
        return self.query_one(StockTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#filter", Input)

    def on_mount(self) -> None:
        self.table.empty_text = "No tracked variants yet: press t to choose products to track."
        self._restore_sort()
        filter_input = self.filter_input
        filter_input.display = False
        self.watch(filter_input, "value", self._filter_changed, init=False)
        app = self.zinv_app
        if app.frozen:
            filter_input.cursor_blink = False
        app.stock_signal.subscribe(self, self._stock_changed)
        if app.service_ready:
            self._load_all()
        else:
            self.table.loading = True

    # ------------------------------------------------------------ data

    def _load_all(self) -> None:
        table = self.table
        service = self.zinv_app.service
        rows: Iterable[StockRow] | Mapping[RowKey, StockRow] = service.rows
        preview = service.preview if not rows else None
        self._preview_total = None
        if not rows and preview is None and service.status.last_success is None:
            table.loading = True  # nothing known yet (another store's rows being read)
            return
        if preview is not None:  # the snapshot's first screenful, its other rows coming
            if not table.shows_top_by_product():
                table.loading = True  # another order or a filter: its top rows are not known
                return
            rows, self._preview_total = preview.rows, preview.total
        if table.loading:
            table.loading = False
            self.refresh_bindings()  # a loading table's keys were left out of the footer
        table.set_rows(rows)
        self._show_store()

    def _show_store(self, name: str | None = None) -> None:
        """The title names the store shown when the shop has several (``name``: one loading)."""
        service = self.zinv_app.service
        store = service.store
        text = "Balances"
        if name is not None:
            text = f"Balances · {name} (loading…)"
        elif store is not None and len(service.stores) > 1:
            text = f"Balances · {service.store_name(store.uuid)}"
        self.query_one("#title", Label).update(text)

    def store_loading(self, name: str) -> None:
        """Another store's balances are being read: the table waits, the title says which."""
        self.table.loading = True
        self._show_store(name)

    def _stock_changed(self, diff: RowDiff | None) -> None:
        table = self.table
        if diff is None or table.row_count == 0 or len(diff) > table.row_count // 2:
            self._load_all()  # first load, or most rows changed: cheaper to start over
            return
        # Also for the service's periodic full snapshot: its diff lists only what changed.
        table.apply_diff(diff.upserts(), diff.removed_keys())
        self._update_count()

    def _update_count(self) -> None:
        """The "N variants" / "N of M · K selected" label, updated in the frame of the change."""
        table = self.table
        if self._preview_total is not None and not table.selected_keys:
            text = plural(self._preview_total, "variant")  # all of them, their first ones drawn
        elif table.shown_count == table.row_count:
            text = plural(table.row_count, "variant")
        else:
            text = f"{table.shown_count:,} of {table.row_count:,}"
        selected = len(table.selected_keys)
        if selected:
            text += f" · {selected:,} selected"
        label = self.query_one("#count", Label)
        if str(label.content) != text:
            label.update(text, layout=False)  # fixed width: no layout pass of the screen

    @on(StockTable.ViewChanged)
    @on(StockTable.SelectionChanged)
    def _view_changed(self) -> None:
        self._update_count()

    @on(StockTable.ViewChanged)
    def _remember_sort(self, message: StockTable.ViewChanged) -> None:
        self.zinv_app.remember_sort(message.column, message.reverse)

    def _restore_sort(self) -> None:
        chosen = self.zinv_app.preferences.current
        for column in SORTABLE:  # a remembered name this version does not know is ignored
            if column == chosen.sort_column:
                self.table.sort_by(column, reverse=chosen.sort_reverse)

    # ------------------------------------------------------------ filter

    def action_filter(self) -> None:
        filter_input = self.filter_input
        filter_input.display = True
        self.query_one("#title", Label).display = False
        filter_input.focus()

    def _filter_changed(self, value: str) -> None:
        """Filter as the field's value changes (a watcher, so the table repaints in the same
        frame as the typed character rather than one message later)."""
        self.table.set_filter(value)
        self._update_count()

    @on(Input.Submitted, "#filter")
    def _filter_kept(self, _event: Input.Submitted) -> None:
        if not self.filter_input.value:
            self._close_filter()
        self.table.focus()

    def _close_filter(self) -> None:
        filter_input = self.filter_input
        filter_input.value = ""
        self.table.set_filter("")
        filter_input.display = False
        self.query_one("#title", Label).display = True
        self.table.focus()

    def action_clear(self) -> None:
        """Esc: close the filter if it is open or set, else clear the selection."""
        if self.filter_input.display or self.table.filter_text:
            self._close_filter()
        elif self.table.selected_keys:
            self.table.clear_selection()

    # ------------------------------------------------------------ actions

    @on(StockTable.RowActivated)
    def _row_activated(self, message: StockTable.RowActivated) -> None:
        self._open_movement(keys=[message.key], focus_quantity=True)

    def action_move(self) -> None:
        """``m``: the selected rows as lines, else the row under the cursor offered in Find;
        either way the typing goes to Find."""
        table = self.table
        selected = table.selected_keys
        if selected:  # in the order they are shown (then any the filter hides now)
            shown = [key for key in table.shown_keys() if key in selected]
            self._open_movement(keys=shown + sorted(selected.difference(shown)))
        else:
            self._open_movement(offer=[table.cursor_key] if table.cursor_key else [])

    def _open_movement(self, **options: Any) -> None:
        self.zinv_app.open_screen("movement", **options)

    def action_item(self) -> None:
        """``i``: the item under the cursor up close (sparklines, movements, value)."""
        from zinv_tui.ui.screens.desk_screen import open_item_detail

        open_item_detail(self.app, self.table.cursor_key)

    async def action_refresh(self) -> None:
        """``r``: poll Zettle now (the app's refresh runs in a worker)."""
        await self.app.run_action("refresh")

    def action_sort(self, column: str) -> None:
        for known in SORTABLE:
            if known == column:
                self.table.sort_by(known, reverse=False)

    def action_reverse_sort(self) -> None:
        self.table.action_reverse_sort()

    def action_select_all(self) -> None:
        self.table.action_select_all()

    def action_clear_selection(self) -> None:
        self.table.clear_selection()
