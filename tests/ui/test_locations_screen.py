"""Locations screen: the four locations with UUIDs (copied to the clipboard) and their balances."""

from __future__ import annotations

import pytest

from tests.support.sandbox import SandboxAdmin
from tests.support.screens import pick_row, screen_app, settle, shop
from zinv_tui.service import MovementIntent, PlaceKind, Reason
from zinv_tui.service.wording import plural
from zinv_tui.ui.screens.locations import LOCATION_ORDER, LocationsScreen, balance_summary

pytestmark = pytest.mark.timeout(60)


async def test_locations_uuids_copy_and_balances(sandbox, tmp_path):
    async with shop(sandbox, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await settle(pilot)
            await pilot.press("l")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, LocationsScreen)
            table = screen.query_one("#locations-table")
            listed = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
            assert listed == [kind.value for kind in LOCATION_ORDER]
            uuids = [str(table.get_row_at(i)[4]) for i in range(table.row_count)]
            assert uuids == [str(service.locations[kind].uuid) for kind in LOCATION_ORDER]

            await pilot.press("c")
            await settle(pilot)
            assert app.clipboard == str(service.locations[PlaceKind.STORE].uuid)
            assert any("Copied the STORE" in str(n.message) for n in app._notifications)

            store_variants, store_units = balance_summary(
                {key: row.shown_balance for key, row in service.rows.items()}
            )
            assert str(table.get_row_at(0)[2]) == f"{store_variants:,}"
            assert str(table.get_row_at(0)[3]) == f"{store_units:,}"  # thousands separated

            await pilot.press("down", "down")  # BIN, read from Zettle in a worker
            await settle(pilot)
            await pilot.press("c")
            assert app.clipboard == str(service.locations[PlaceKind.BIN].uuid)
            bin_balances = await service.location_balances(PlaceKind.BIN)
            variants, units = balance_summary(bin_balances)
            assert str(table.get_row_at(2)[2]) == f"{variants:,}"
            title = str(screen.query_one("#balances-title").content)
            assert title.startswith(
                f"Balances in BIN: {plural(variants, 'variant')}, {plural(units, 'unit')}"
            )
            shown = screen.query_one("#location-balances")
            assert shown.row_count == min(variants, 200)

            await pilot.press("escape")
            await settle(pilot)
            assert not isinstance(app.screen, LocationsScreen)


async def test_store_figures_follow_a_sale(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    admin = SandboxAdmin(info)
    async with shop(info, tmp_path) as service:
        row = pick_row(service)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.open_screen("locations")
            await settle(pilot)
            screen = app.screen
            table = screen.query_one("#locations-table")
            units_before = int(str(table.get_row_at(0)[3]).replace(",", ""))
            balances = screen.query_one("#location-balances")
            balances.focus()
            await pilot.press("down", "down")
            cursor_before = balances.coordinate_to_cell_key(balances.cursor_coordinate).row_key
            admin.sale(row.variant_uuid, 2)  # rung up at the till
            await service.refresh()
            await settle(pilot)
            assert int(str(table.get_row_at(0)[3]).replace(",", "")) == units_before - 2
            cursor_after = balances.coordinate_to_cell_key(balances.cursor_coordinate).row_key
            assert cursor_after == cursor_before  # still on the same variant


async def test_one_variant_in_a_place_is_one_variant(sandbox_factory, tmp_path):
    """Walk: ``Balances in BIN: 1 variants, -8 units``."""
    info = sandbox_factory(products=20)
    async with shop(info, tmp_path) as service:
        row = pick_row(service)
        await service.record([MovementIntent(Reason.DISCARD, row.key, quantity=1)])
        await service.flush()
        assert balance_summary(await service.location_balances(PlaceKind.BIN)) == (1, 1)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.open_screen("locations")
            await settle(pilot)
            await pilot.press("down", "down")  # BIN
            await settle(pilot)
            title = str(app.screen.query_one("#balances-title").content)
            assert title.startswith("Balances in BIN: 1 variant, 1 unit")
