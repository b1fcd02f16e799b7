"""The tracking screen: the catalogue's products that Zettle does not count stock for (or, toggled,
those it does), and starting or stopping tracking for one or several after a clear confirmation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from zinv_tui.ui.screens.columns import flexible_width
from zinv_tui.ui.screens.dialogs import ConfirmDialog
from zinv_tui.ui.screens.service_screen import ServiceScreen

SELECTED_MARK = "●"
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


def untracked_lines(products: list[Any]) -> list[ProductLine]:
    """Lines for the catalogue's untracked products, by name."""
    lines = []
    for product in products:
        skus = ", ".join(variant.sku for variant in product.variants if variant.sku)
        lines.append(
            ProductLine(str(product.uuid), product.name or "(unnamed)", len(product.variants), skus)
        )
    lines.sort(key=lambda line: (line.name.casefold(), line.uuid))
    return lines


def tracked_lines(rows: Mapping[tuple[str, str], Any]) -> list[ProductLine]:
    """Lines for the tracked products (grouped from the stock rows), by name."""
    grouped: dict[str, list[Any]] = {}
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
    ]

    def __init__(self) -> None:
        super().__init__()
        self.showing_tracked = False
        self._lines: list[ProductLine] = []
        self._selected: set[str] = set()
        self._busy = False
        self._name_width = 0

    def compose(self) -> ComposeResult:
        yield Static(id="tracking-title")
        yield DataTable(id="tracking-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="tracking-empty")
        yield Static(id="tracking-hint")
        yield Footer()

    def on_mount(self) -> None:
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

    def _rows_changed(self, diff: Any) -> None:
        if self._busy:
            return
        full = diff is None or getattr(diff, "full", False)
        if self.showing_tracked or full or getattr(diff, "removed", None):
            self.reload()

    def reload(self) -> None:
        """Re-read the products of the current view from the service."""
        if self.showing_tracked:
            self._lines = tracked_lines(self.service.rows)
        else:
            self._lines = untracked_lines(self.service.untracked_products())
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
                    Text(SELECTED_MARK if line.uuid in self._selected else " "),
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
        count = len(self._lines)
        if self.showing_tracked:
            title = Text(f"Tracked products: {count}", style="bold")
            hint = "Enter stops tracking the selected products · v shows the untracked ones"
            empty = "No product is tracked yet. Press v to see the untracked ones."
        else:
            title = Text(f"Not tracked: {count} products", style="bold")
            hint = "Enter starts tracking the selected products · v shows the tracked ones"
            empty = "Every product in the catalogue is tracked. Press v to see them."
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
        table.update_cell(uuid, "selected", Text(SELECTED_MARK if uuid in self._selected else " "))
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
        count = f"{len(targets)} product{'s' if len(targets) != 1 else ''}"
        body = Text(f"{verb} tracking {count}: ")
        body.append(names, style="bold")
        body.append("\n\n" + (START_EXPLANATION if start else STOP_EXPLANATION))

        def answered(yes: bool | None) -> None:
            if yes:
                self.change_tracking([line.uuid for line in targets], start)

        self.app.push_screen(ConfirmDialog(f"{verb} tracking?", body, f"{verb} tracking"), answered)

    @work(exclusive=True, group="tracking-write", exit_on_error=False)
    async def change_tracking(self, uuids: list[str], start: bool) -> None:
        """Tell Zettle to start or stop tracking, then re-read the list."""
        self._busy = True
        count = f"{len(uuids)} product{'s' if len(uuids) != 1 else ''}"
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
        self.notify(f"Now tracking {count}" if start else f"Stopped tracking {count}")
