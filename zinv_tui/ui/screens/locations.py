"""The locations screen: Zettle's locations (every STORE, SUPPLIER, BIN, SOLD; type, name, UUID),
the stock held in each, and a new store (Zettle v3)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from zinv_tui.service import PlaceKind, RowDiff, RowKey
from zinv_tui.service.backend import Place
from zinv_tui.service.wording import number, plural, store_label
from zinv_tui.ui.screens.columns import flexible_width
from zinv_tui.ui.screens.dialogs import NameDialog
from zinv_tui.ui.screens.service_screen import ServiceScreen
from zinv_tui.ui.stores import NO_SEVERAL_STORES
from zinv_tui.ui.widgets.key_bar import KeyBar
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
    """``l``: every STORE (the default first; several with Zettle v3, ``n`` makes another), then
    SUPPLIER, BIN and SOLD, with their UUIDs (``c`` copies) and the balances held in each."""

    TITLE = "Locations"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = [
        Binding("c", "copy_uuid", "Copy UUID"),
        Binding("n", "new_store", "New store"),
        Binding("r", "reload", "Reload"),
        Binding("tab", "switch_table", "Switch table", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._balances: dict[str, dict[RowKey, int]] = {}
        """Balances held at each place, by its UUID (the shown store's from the live rows)."""
        self._shown: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Locations", style="bold"), id="locations-title")
        yield ListTable(id="locations-table", cursor_type="row")
        yield Static(id="balances-title")
        yield ListTable(id="location-balances", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#locations-table", DataTable)
        # The name before the UUID: at 80x24 a store's name must show; the UUID (copied with its
        # key) may be cut.
        table.add_column("Type", key="type", width=8)
        table.add_column("Name", key="name", width=26)
        table.add_column("Variants", key="variants", width=8)
        table.add_column("Units", key="units", width=9)
        uuid_width = min(36, flexible_width(self.app.size.width, (8, 26, 8, 9), minimum=8))
        table.add_column("UUID", key="uuid", width=uuid_width)
        balances = self.query_one("#location-balances", DataTable)
        balances.add_column("Product / variant", key="label", width=40)
        balances.add_column("SKU", key="sku", width=14)
        balances.add_column("Balance", key="balance", width=9)
        self._fill_locations()
        table.focus()
        self._store_changed()
        if self._shown_place is not None:
            self._show_balances(self._shown_place.uuid)
        self.load_other_balances()
        self.follow_rows(self._store_changed)

    @property
    def _shown_place(self) -> Place | None:
        """The store whose stock the app shows (its balances are the live rows)."""
        return self.service.locations.get(PlaceKind.STORE)

    def places(self) -> list[Place]:
        """The places listed, in order: the stores (default first), SUPPLIER, BIN, SOLD."""
        stores = self.service.stores or [
            place for place in [self._shown_place] if place is not None
        ]
        locations = self.service.locations
        others = [locations[kind] for kind in LOCATION_ORDER[1:] if kind in locations]
        return [*stores, *others]

    def _place(self, uuid: str | None) -> Place | None:
        return next((place for place in self.places() if place.uuid == uuid), None)

    def _store_changed(self, _diff: RowDiff | None = None) -> None:
        """Shop stock moved (a sale, a movement): refresh the shown store's figures."""
        shown = self._shown_place
        if shown is None:
            return
        self._balances[shown.uuid] = {
            key: row.shown_balance for key, row in self.service.rows.items()
        }
        self._show_totals(shown.uuid)
        if self._shown == shown.uuid:
            self._show_balances(shown.uuid)

    def _place_name(self, place: Place) -> str:
        """The Name column: a store's own name and marks when there are several."""
        several = len(self.service.stores) > 1
        if place.kind is not PlaceKind.STORE or not several:
            return place.name or LOCATION_MEANING.get(place.kind, "")
        marks = [
            word
            for word, yes in (("default", place.default), ("shown", self._is_shown(place)))
            if yes
        ]
        label = store_label(place)
        return f"{label} ({', '.join(marks)})" if marks else label

    def _is_shown(self, place: Place) -> bool:
        shown = self._shown_place
        return shown is not None and shown.uuid == place.uuid

    def _fill_locations(self) -> None:
        table = self.query_one("#locations-table", DataTable)
        cursor = self.selected_place()
        table.clear()
        for place in self.places():
            table.add_row(
                Text(place.kind.value, style="bold"),
                Text(self._place_name(place), overflow="ellipsis", no_wrap=True),
                Text("…", justify="right"),
                Text("…", justify="right"),
                Text(str(place.uuid), overflow="ellipsis", no_wrap=True),
                key=place.uuid,
            )
            self._show_totals(place.uuid)
        if cursor is not None and cursor.uuid in table.rows:
            table.move_cursor(row=table.get_row_index(cursor.uuid), animate=False)

    def _show_totals(self, uuid: str) -> None:
        table = self.query_one("#locations-table", DataTable)
        balances = self._balances.get(uuid)
        if balances is None or uuid not in table.rows:
            return
        variants, units = balance_summary(balances)
        table.update_cell(uuid, "variants", Text(number(variants), justify="right"))
        table.update_cell(uuid, "units", Text(number(units), justify="right"))

    def _where(self, place: Place | None) -> str:
        """A place in the balances' title: its kind, or a store's name when there are several."""
        if place is None:
            return "?"
        if place.kind is PlaceKind.STORE and len(self.service.stores) > 1:
            return store_label(place)
        return place.kind.value

    def _show_balances(self, uuid: str) -> None:
        """List the largest balances held at ``uuid`` (the cursor stays on its variant)."""
        same = self._shown == uuid
        self._shown = uuid
        where = self._where(self._place(uuid))
        title = self.query_one("#balances-title", Static)
        table = self.query_one("#location-balances", DataTable)
        cursor_key = None
        if same and table.row_count:
            cursor_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        table.clear()
        balances = self._balances.get(uuid)
        if balances is None:
            title.update(Text(f"Balances in {where}: loading…"))
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
                f"Balances in {where}: {plural(variants, 'variant')}, {plural(units, 'unit')}{more}"
            )
        )

    @work(exclusive=True, group="location-balances", exit_on_error=False)
    async def load_other_balances(self) -> None:
        """Read the other stores', SUPPLIER's, BIN's and SOLD's balances, one after the other."""
        for place in self.places():
            if self._is_shown(place):
                continue
            try:
                if place.kind is PlaceKind.STORE:
                    balances = await self.service.store_balances(place.uuid)
                else:
                    balances = await self.service.location_balances(place.kind)
            except Exception as error:  # shown in plain words; the screen stays usable
                self.notify(
                    f"Could not read the {self._where(place)} balances: {error}",
                    severity="error",
                    markup=False,
                )
                continue
            self._balances[place.uuid] = dict(balances)
            self._show_totals(place.uuid)
            if self._shown == place.uuid:
                self._show_balances(place.uuid)

    @on(DataTable.RowHighlighted, "#locations-table")
    def _on_location_highlighted(self, event: DataTable.RowHighlighted) -> None:
        uuid = event.row_key.value
        if uuid is not None and uuid != self._shown:
            self._show_balances(uuid)

    def selected_place(self) -> Place | None:
        table = self.query_one("#locations-table", DataTable)
        if table.row_count == 0:
            return None
        row_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self._place(row_key.value)

    def selected_type(self) -> PlaceKind | None:
        place = self.selected_place()
        return place.kind if place is not None else None

    def action_copy_uuid(self) -> None:
        place = self.selected_place()
        if place is None:
            self.notify("Choose a location first", severity="warning")
            return
        self.app.copy_to_clipboard(str(place.uuid))
        self.notify(f"Copied the {self._where(place)} location's UUID: {place.uuid}")

    def action_new_store(self) -> None:
        """``n``: name a new store (Zettle v3); on v1, say why there is one store."""
        if not self.service.several_stores:
            self.notify(NO_SEVERAL_STORES, title="One store", timeout=10, markup=False)
            return
        dialog = NameDialog(
            "New store",
            note="A store inventory of its own (e.g. a back room, a second shop). Its stock "
            "starts at zero: fill it with a Transfer from another store.",
        )
        self.app.push_screen(dialog, self._named)

    def _named(self, name: str | None) -> None:
        if name:
            self.create_store(name)

    @work(exclusive=True, group="new-store", exit_on_error=False)
    async def create_store(self, name: str) -> None:
        try:
            created = await self.service.create_store(name)
        except Exception as error:  # ValueError or ZettleError: in words, nothing lost
            self.notify(f"No store was created: {error}", severity="error", markup=False)
            return
        self._balances.setdefault(created.uuid, {})
        self._fill_locations()
        table = self.query_one("#locations-table", DataTable)
        if created.uuid in table.rows:
            table.move_cursor(row=table.get_row_index(created.uuid), animate=False)
        self.notify(
            f"Store {store_label(created)!r} created: switch to it on the balances with w",
            markup=False,
        )

    def action_reload(self) -> None:
        """Read every location's balances again."""
        self._fill_locations()
        self._store_changed()
        self.load_other_balances()

    def action_switch_table(self) -> None:
        locations = self.query_one("#locations-table", DataTable)
        balances = self.query_one("#location-balances", DataTable)
        (balances if locations.has_focus else locations).focus()
