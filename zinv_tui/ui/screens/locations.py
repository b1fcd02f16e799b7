"""The locations screen: Zettle's four locations (type, name, UUID) and the stock held in each."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from zinv_tui.service import PlaceKind, RowDiff, RowKey
from zinv_tui.service.wording import number, plural
from zinv_tui.ui.screens.service_screen import ServiceScreen
from zinv_tui.ui.widgets.list_table import ListTable

LOCATION_ORDER = (PlaceKind.STORE, PlaceKind.SUPPLIER, PlaceKind.BIN, PlaceKind.SOLD)
LOCATION_MEANING = {
    PlaceKind.STORE: "stock in the shop",
    PlaceKind.SUPPLIER: "where restocks come from",
    PlaceKind.BIN: "discarded stock",
    PlaceKind.SOLD: "what has been sold",
}
SHOWN_BALANCES = 200
"""Balances listed per location (largest first); the totals always count every variant."""


def balance_summary(balances: Mapping[RowKey, int]) -> tuple[int, int]:
    """``(variants with a non-zero balance, total units)`` of one location."""
    nonzero = [value for value in balances.values() if value]
    return len(nonzero), sum(nonzero)


class LocationsScreen(ServiceScreen[None]):
    """``l``: the four locations with their UUIDs (``c`` copies) and the balances held in each."""

    TITLE = "Locations"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = [
        Binding("c", "copy_uuid", "Copy UUID"),
        Binding("r", "reload", "Reload"),
        Binding("tab", "switch_table", "Switch table", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._balances: dict[PlaceKind, dict[RowKey, int]] = {}
        self._shown_type: PlaceKind | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Locations", style="bold"), id="locations-title")
        yield ListTable(id="locations-table", cursor_type="row")
        yield Static(id="balances-title")
        yield ListTable(id="location-balances", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#locations-table", DataTable)
        table.add_column("Type", key="type", width=8)
        table.add_column("UUID", key="uuid", width=36)
        table.add_column("Variants", key="variants", width=8)
        table.add_column("Units", key="units", width=9)
        table.add_column("Name", key="name")
        balances = self.query_one("#location-balances", DataTable)
        balances.add_column("Product / variant", key="label", width=40)
        balances.add_column("SKU", key="sku", width=14)
        balances.add_column("Balance", key="balance", width=9)
        self._fill_locations()
        table.focus()
        self._balances[PlaceKind.STORE] = {
            key: row.shown_balance for key, row in self.service.rows.items()
        }
        self._show_totals(PlaceKind.STORE)
        self._show_balances(PlaceKind.STORE)
        self.load_other_balances()
        self.follow_rows(self._store_changed)

    def _store_changed(self, _diff: RowDiff | None = None) -> None:
        """Shop stock moved (a sale, a movement): refresh the STORE figures."""
        self._balances[PlaceKind.STORE] = {
            key: row.shown_balance for key, row in self.service.rows.items()
        }
        self._show_totals(PlaceKind.STORE)
        if self._shown_type is PlaceKind.STORE:
            self._show_balances(PlaceKind.STORE)

    def _fill_locations(self) -> None:
        table = self.query_one("#locations-table", DataTable)
        table.clear()
        locations = self.service.locations
        for location_type in LOCATION_ORDER:
            location = locations.get(location_type)
            if location is None:
                continue
            table.add_row(
                Text(location_type.value, style="bold"),
                Text(str(location.uuid)),
                Text("…", justify="right"),
                Text("…", justify="right"),
                Text(location.name or LOCATION_MEANING[location_type], overflow="ellipsis"),
                key=location_type.value,
            )

    def _show_totals(self, location_type: PlaceKind) -> None:
        table = self.query_one("#locations-table", DataTable)
        balances = self._balances.get(location_type)
        if balances is None or location_type.value not in table.rows:
            return
        variants, units = balance_summary(balances)
        table.update_cell(location_type.value, "variants", Text(number(variants), justify="right"))
        table.update_cell(location_type.value, "units", Text(number(units), justify="right"))

    def _show_balances(self, location_type: PlaceKind) -> None:
        """List the largest balances of ``location_type`` (the cursor stays on its variant)."""
        same = self._shown_type is location_type
        self._shown_type = location_type
        title = self.query_one("#balances-title", Static)
        table = self.query_one("#location-balances", DataTable)
        cursor_key = None
        if same and table.row_count:
            cursor_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        table.clear()
        balances = self._balances.get(location_type)
        if balances is None:
            title.update(Text(f"Balances in {location_type.value}: loading…"))
            return
        nonzero = [(key, value) for key, value in balances.items() if value]
        nonzero.sort(key=lambda item: (-abs(item[1]), item[0]))
        rows = self.service.rows
        for key, value in nonzero[:SHOWN_BALANCES]:
            row = rows.get(key)
            label = row.label if row is not None else f"{key[0]} / {key[1]}"
            sku = row.sku if row is not None else ""
            table.add_row(
                Text(label, overflow="ellipsis", no_wrap=True),
                Text(sku or "", overflow="ellipsis", no_wrap=True),
                Text(number(value), justify="right"),
                key=f"{key[0]}:{key[1]}",
            )
        if cursor_key is not None and cursor_key in table.rows:
            table.move_cursor(row=table.get_row_index(cursor_key), animate=False)
        variants, units = balance_summary(balances)
        shown = min(len(nonzero), SHOWN_BALANCES)
        more = f", largest {shown} shown" if shown < len(nonzero) else ""
        title.update(
            Text(
                f"Balances in {location_type.value}: {plural(variants, 'variant')}, "
                f"{plural(units, 'unit')}{more}"
            )
        )

    @work(exclusive=True, group="location-balances", exit_on_error=False)
    async def load_other_balances(self) -> None:
        """Read SUPPLIER, BIN and SOLD balances from Zettle, one after the other."""
        for location_type in LOCATION_ORDER[1:]:
            if location_type not in self.service.locations:
                continue
            try:
                balances = await self.service.location_balances(location_type)
            except Exception as error:  # shown in plain words; the screen stays usable
                self.notify(
                    f"Could not read the {location_type.value} balances: {error}",
                    severity="error",
                    markup=False,
                )
                continue
            self._balances[location_type] = dict(balances)
            self._show_totals(location_type)
            if self._shown_type == location_type:
                self._show_balances(location_type)

    @on(DataTable.RowHighlighted, "#locations-table")
    def _on_location_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is None:
            return
        location_type = PlaceKind(event.row_key.value)
        if location_type != self._shown_type:
            self._show_balances(location_type)

    def selected_type(self) -> PlaceKind | None:
        table = self.query_one("#locations-table", DataTable)
        if table.row_count == 0:
            return None
        row_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return PlaceKind(row_key.value) if row_key.value else None

    def action_copy_uuid(self) -> None:
        location_type = self.selected_type()
        location = self.service.locations.get(location_type) if location_type else None
        if location_type is None or location is None:
            self.notify("Choose a location first", severity="warning")
            return
        self.app.copy_to_clipboard(str(location.uuid))
        self.notify(f"Copied the {location_type.value} location's UUID: {location.uuid}")

    def action_reload(self) -> None:
        """Read every location's balances again."""
        self._store_changed()
        self.load_other_balances()

    def action_switch_table(self) -> None:
        locations = self.query_one("#locations-table", DataTable)
        balances = self.query_one("#location-balances", DataTable)
        (balances if locations.has_focus else locations).focus()
