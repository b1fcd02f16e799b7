"""The tracking screen: the catalogue's products that Zettle does not count stock for (or, toggled,
those it does), and starting or stopping tracking for one or several after a clear confirmation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static

from zinv_tui.service import (
    CatalogueProduct,
    RowChange,
    RowDiff,
    RowKey,
    StockRow,
    joined_text,
    search_terms,
    text_matches,
)
from zinv_tui.service.wording import number, plural
from zinv_tui.ui.marks import PICKED_MARK
from zinv_tui.ui.screens.columns import flexible_width
from zinv_tui.ui.screens.dialogs import ConfirmDialog
from zinv_tui.ui.screens.service_screen import ServiceScreen
from zinv_tui.ui.widgets.key_bar import KeyBar
from zinv_tui.ui.widgets.list_table import ListTable
from zinv_tui.ui.widgets.text_input import TextInput

MAX_LISTED = 1000
"""Products listed at once (by name); ``/`` filters the rest."""
START_EXPLANATION = (
    "Zettle starts counting their stock: sales in the shop take from the balance, and they "
    "appear on the balances screen. A product tracked before gets its saved balances back; "
    "a new one starts at 0 until you restock or count it."
)
STOP_EXPLANATION = (
    "Zettle keeps the saved balances but stops counting sales; starting again brings them back. "
    "They leave the balances screen until then."
)


@dataclass(frozen=True, slots=True)
class ProductLine:
    """One product in the list: its UUID, name, variants, and (tracked) shop units."""

    uuid: str
    name: str
    variants: int
    skus: str
    units: int | None = None
    text: str = field(default="", compare=False)
    """What the filter looks in: the name and SKUs (the service's rule of text matching)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", joined_text(self.name, self.skus))


def untracked_lines(products: Iterable[CatalogueProduct]) -> list[ProductLine]:
    """Lines for the catalogue's untracked products, by name."""
    lines = []
    for product in products:
        skus = ", ".join(variant.sku for variant in product.variants if variant.sku)
        lines.append(
            ProductLine(str(product.uuid), product.name or "(unnamed)", len(product.variants), skus)
        )
    lines.sort(key=lambda line: (line.name.casefold(), line.uuid))
    return lines


def tracked_lines(rows: Mapping[RowKey, StockRow]) -> list[ProductLine]:
    """Lines for the tracked products (grouped from the stock rows), by name."""
    grouped: dict[str, list[StockRow]] = {}
    for row in rows.values():
        grouped.setdefault(row.product_uuid, []).append(row)
    lines = []
    for uuid, variants in grouped.items():
        skus = ", ".join(row.sku for row in variants if row.sku)
        units = sum(row.shown_balance for row in variants)
        name = variants[0].product_name or "(unnamed)"
        lines.append(ProductLine(uuid, name, len(variants), skus, units))
    lines.sort(key=lambda line: (line.name.casefold(), line.uuid))
    return lines


class TrackingScreen(ServiceScreen[None]):
    """``t``: start tracking products Zettle does not count yet; ``v`` shows the tracked ones."""

    TITLE = "Tracking"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = [
        Binding("enter,s", "apply", "Start/stop"),
        Binding("space", "toggle_select", "Select"),
        Binding("asterisk", "select_all", "Select all", key_display="*"),
        Binding("v", "toggle_view", "Other list"),
        Binding("slash", "filter", "Filter"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.showing_tracked = False
        self._all_lines: list[ProductLine] = []
        self._matching = 0
        self._lines: list[ProductLine] = []
        self._selected: set[str] = set()
        self._busy = False
        self._name_width = 0

    def compose(self) -> ComposeResult:
        yield Static(id="tracking-title")
        yield TextInput(placeholder="Filter: product name or SKU", id="tracking-filter")
        yield ListTable(id="tracking-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="tracking-empty")
        yield Static(id="tracking-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#tracking-filter", Input).display = False
        self.reload()
        self.follow_rows(self._rows_changed)
        self.query_one("#tracking-table", DataTable).focus()

    def on_resize(self, _event: events.Resize) -> None:
        self._fill()

    @property
    def listed_uuids(self) -> list[str]:
        return [line.uuid for line in self._lines]

    @property
    def selected_uuids(self) -> set[str]:
        return set(self._selected)

    def _rows_changed(self, diff: RowDiff | None) -> None:
        """Products came or went: re-read. Only balances moved: update the shop units in place."""
        if self._busy:
            return
        if diff is None or diff.reshaped:
            self.reload()
        elif self.showing_tracked:
            self._update_units(diff.changed)

    def _update_units(self, changes: Iterable[RowChange]) -> None:
        deltas: dict[str, int] = {}
        for change in changes:
            delta = change.new.shown_balance - change.old.shown_balance
            if delta:
                deltas[change.new.product_uuid] = deltas.get(change.new.product_uuid, 0) + delta
        if not deltas:
            return
        table = self.query_one("#tracking-table", DataTable)
        for index, line in enumerate(self._all_lines):
            moved = deltas.get(line.uuid)
            if moved and line.units is not None:
                self._all_lines[index] = replace(line, units=line.units + moved)
        shown = {line.uuid: line for line in self._all_lines}
        for index, line in enumerate(self._lines):
            if line.uuid in deltas and line.uuid in shown:
                updated = shown[line.uuid]
                self._lines[index] = updated
                table.update_cell(line.uuid, "units", Text(str(updated.units), justify="right"))

    @property
    def filter_text(self) -> str:
        return self.query_one("#tracking-filter", Input).value.strip().casefold()

    def reload(self) -> None:
        """Re-read the products of the current view from the service."""
        if self.showing_tracked:
            self._all_lines = tracked_lines(self.service.rows)
        else:
            self._all_lines = untracked_lines(self.service.untracked_products())
        self._apply_filter()

    def _apply_filter(self) -> None:
        """Every word typed in the name or the SKUs (ignoring case)."""
        words = search_terms(self.filter_text)
        matching = [line for line in self._all_lines if text_matches(words, line.text)]
        self._matching = len(matching)
        self._lines = matching[:MAX_LISTED]
        self._selected &= set(self.listed_uuids)
        self._fill()

    def _fill(self) -> None:
        table = self.query_one("#tracking-table", DataTable)
        cursor = table.cursor_row
        with self.app.batch_update():
            fixed = [1, 8, 24] + ([7] if self.showing_tracked else [])
            self._name_width = flexible_width(self.size.width, fixed)
            table.clear(columns=True)
            table.add_column(" ", key="selected", width=1)
            table.add_column("Product", key="name", width=self._name_width)
            table.add_column("Variants", key="variants", width=8)
            if self.showing_tracked:
                table.add_column("In shop", key="units", width=7)
            table.add_column("SKUs", key="skus", width=24)
            for line in self._lines:
                cells = [
                    Text(PICKED_MARK if line.uuid in self._selected else " "),
                    Text(line.name, overflow="ellipsis", no_wrap=True),
                    Text(str(line.variants), justify="right"),
                ]
                if self.showing_tracked:
                    cells.append(Text(str(line.units), justify="right"))
                cells.append(Text(line.skus, overflow="ellipsis", no_wrap=True))
                table.add_row(*cells, key=line.uuid)
            if self._lines:
                table.move_cursor(row=min(cursor, len(self._lines) - 1))
        self._update_texts()

    def _update_texts(self) -> None:
        count = self._matching
        if self.showing_tracked:
            title = Text(f"Tracked products: {number(count)}", style="bold")
            hint = "Enter stops tracking the selected products · v shows the untracked ones"
            empty = "No product is tracked yet. Press v to see the untracked ones."
        else:
            title = Text(f"Not tracked: {plural(count, 'product')}", style="bold")
            hint = "Enter starts tracking the selected products · v shows the tracked ones"
            empty = "Every product in the catalogue is tracked. Press v to see them."
        if self.filter_text:
            title.append(" matching ")
            title.append(repr(self.filter_text), style="italic")
            empty = "Nothing matches the filter. Esc clears it."
        if count > len(self._lines):
            title.append(f" (first {len(self._lines)} shown: / filters)")
        if self._selected:
            title.append(f"  {len(self._selected)} selected", style="reverse")
        self.query_one("#tracking-title", Static).update(title)
        self.query_one("#tracking-hint", Static).update(Text(hint, style="dim"))
        placeholder = self.query_one("#tracking-empty", Static)
        placeholder.update(empty if not self._lines else "")
        placeholder.display = not self._lines

    def _cursor_uuid(self) -> str | None:
        table = self.query_one("#tracking-table", DataTable)
        if not self._lines or table.cursor_row >= len(self._lines):
            return None
        return self._lines[table.cursor_row].uuid

    def _targets(self) -> list[ProductLine]:
        if self._selected:
            return [line for line in self._lines if line.uuid in self._selected]
        uuid = self._cursor_uuid()
        return [line for line in self._lines if line.uuid == uuid]

    def action_filter(self) -> None:
        field = self.query_one("#tracking-filter", Input)
        field.display = True
        field.focus()

    @on(Input.Changed, "#tracking-filter")
    def _filter_changed(self) -> None:
        self._apply_filter()

    @on(Input.Submitted, "#tracking-filter")
    def _filter_kept(self) -> None:
        self.query_one("#tracking-table", DataTable).focus()

    def action_back(self) -> None:
        """Esc: clear and close the filter first, then go back."""
        field = self.query_one("#tracking-filter", Input)
        if field.display:
            field.value = ""
            field.display = False
            self.query_one("#tracking-table", DataTable).focus()
            return
        super().action_back()

    def action_toggle_view(self) -> None:
        self.showing_tracked = not self.showing_tracked
        self._selected.clear()
        self.query_one("#tracking-table", DataTable).move_cursor(row=0)
        self.reload()

    def action_toggle_select(self) -> None:
        uuid = self._cursor_uuid()
        if uuid is None:
            return
        self._selected.symmetric_difference_update({uuid})
        table = self.query_one("#tracking-table", DataTable)
        table.update_cell(uuid, "selected", Text(PICKED_MARK if uuid in self._selected else " "))
        if table.cursor_row < len(self._lines) - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self._update_texts()

    def action_select_all(self) -> None:
        listed = set(self.listed_uuids)
        self._selected = set() if self._selected >= listed else listed
        self._fill()

    @on(DataTable.RowSelected, "#tracking-table")
    def action_apply(self) -> None:
        targets = self._targets()
        if not targets or self._busy:
            return
        start = not self.showing_tracked
        names = ", ".join(line.name for line in targets[:3])
        if len(targets) > 3:
            names += f" and {len(targets) - 3} more"
        verb = "Start" if start else "Stop"
        count = plural(len(targets), "product")
        body = Text(f"{verb} tracking {count}: ")
        body.append(names, style="bold")
        body.append("\n\n" + (START_EXPLANATION if start else STOP_EXPLANATION))

        what = targets[0].name if len(targets) == 1 else count

        def answered(yes: bool | None) -> None:
            if yes:
                self.change_tracking([line.uuid for line in targets], start, what)

        self.app.push_screen(ConfirmDialog(f"{verb} tracking?", body, f"{verb} tracking"), answered)

    @work(exclusive=True, group="tracking-write", exit_on_error=False)
    async def change_tracking(self, uuids: list[str], start: bool, what: str = "") -> None:
        """Tell Zettle to start or stop tracking, then re-read the list (``what``: the products
        in words, for the message)."""
        self._busy = True
        what = what or plural(len(uuids), "product")
        try:
            if start:
                await self.service.start_tracking(uuids)
            else:
                await self.service.stop_tracking(uuids)
        except Exception as error:
            verb = "started" if start else "stopped"
            self.notify(f"Tracking was not {verb}: {error}", severity="error", markup=False)
            return
        finally:
            self._busy = False
        self._selected.clear()
        self.reload()
        self.notify(f"Now tracking {what}" if start else f"Stopped tracking {what}", markup=False)
