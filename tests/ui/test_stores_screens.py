"""Several stores in the app at 80x24 (Zettle v3): Locations lists and creates them, a Transfer
moves stock between two, the balances switch stores; on v1 the key says why there is one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from tests.service.test_stores import balances_at
from tests.service.test_v3_sandbox import v3_service
from tests.support.sandbox import SandboxAdmin
from tests.support.screens import enter_text, pick_row, screen_app, settle, shop
from zinv_tui.service import InventoryService, Reason
from zinv_tui.ui.preferences import PreferenceFile
from zinv_tui.ui.screens.balances import BalancesScreen
from zinv_tui.ui.screens.dialogs import ChoiceDialog, NameDialog
from zinv_tui.ui.screens.locations import LocationsScreen
from zinv_tui.ui.screens.movement import MovementScreen
from zinv_tui.ui.screens.variant_search import VariantPicker

pytestmark = pytest.mark.timeout(90)


@asynccontextmanager
async def v3_shop(info, state_dir: Path) -> AsyncIterator[InventoryService]:
    """A started service speaking v3 to ``info`` (slow polling: the test refreshes)."""
    service = v3_service(info.url, info.api_key, state_dir, poll_interval=60.0)
    await service.start(require_load=True)
    try:
        yield service
    finally:
        await service.stop()


def toasts(app) -> str:
    return " ".join(str(note.message) for note in app._notifications)


async def test_create_a_store_transfer_into_it_and_switch_the_balances_to_it(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(api="v3", products=20)
    async with v3_shop(info, tmp_path) as service:
        main = service.store
        assert main is not None
        row = pick_row(service, minimum=5)
        before = row.shown_balance
        app = screen_app(service)
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await settle(pilot)
            await pilot.press("l")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, LocationsScreen)
            table = screen.query_one("#locations-table")
            assert table.row_count == 4

            await pilot.press("n")
            await settle(pilot)
            assert isinstance(app.screen, NameDialog)
            await pilot.press("enter")  # no name yet: refused where it is typed
            await settle(pilot)
            assert isinstance(app.screen, NameDialog)
            assert "Type a name" in str(app.screen.query_one("#name-error").content)
            await enter_text(pilot, app.screen.query_one("#name", Input), "Back room")
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is screen
            kinds = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
            names = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
            assert kinds == ["STORE", "STORE", "SUPPLIER", "BIN", "SOLD"]
            assert names[:2] == ["Main store (default, shown)", "Back room"]
            back = service.stores[1]
            assert back.name == "Back room" and screen.selected_place() == back
            assert "Back room" in toasts(app)
            assert "Balances in Back room: 0 variants" in str(
                screen.query_one("#balances-title").content
            )

            await pilot.press("escape")
            await settle(pilot)
            app.open_screen("movement")
            await settle(pilot)
            movement = app.screen
            assert isinstance(movement, MovementScreen)
            movement.query_one("#reason", Select).value = Reason.TRANSFER
            await settle(pilot)
            assert movement.query_one("#to-store", Select).value == back.uuid
            await enter_text(pilot, movement.query_one(VariantPicker).input, row.sku)
            await pilot.press("enter")
            await settle(pilot)
            (line,) = movement.lines
            await enter_text(pilot, line.quantity_input, "3")
            await settle(pilot)
            preview = str(line.query_one(".line-preview").content)
            assert preview == f"{before} -> {before - 3}  Back room 0 -> 3"
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, BalancesScreen)
            assert await service.flush(10)
            assert balances_at(info, back.uuid)[row.key] == 3
            assert balances_at(info, main.uuid)[row.key] == before - 3
            (entry,) = service.history(limit=1)
            assert entry.reason is Reason.TRANSFER and entry.to_location_uuid == back.uuid

            home = app.screen
            assert isinstance(home, BalancesScreen)
            await pilot.press("w")
            await settle(pilot)
            assert isinstance(app.screen, ChoiceDialog)
            await pilot.press("down", "enter")
            await settle(pilot)
            assert app.screen is home
            assert service.store == back
            assert str(home.query_one("#title").content) == "Balances · Back room"
            assert home.table.get_row(row.key).balance == 3
            assert not home.table.loading
            assert PreferenceFile(tmp_path).current.store == back.uuid
    sent = [move for move in SandboxAdmin(info).ledger() if move.get("source") == "api"]
    assert len(sent) == 1 and sent[0]["change"] == 3  # the transfer, sent once


async def test_the_remembered_store_is_shown_again_at_the_next_launch(sandbox_factory, tmp_path):
    info = sandbox_factory(api="v3", products=10)
    async with v3_shop(info, tmp_path) as service:
        back = await service.create_store("Back room")
        PreferenceFile(tmp_path).update(store=back.uuid)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, rounds=5)
            assert service.store == back
            home = app.screen
            assert isinstance(home, BalancesScreen)
            assert str(home.query_one("#title").content) == "Balances · Back room"


async def test_on_v1_new_store_explains_there_is_one_and_transfer_is_not_offered(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(api="v1", products=10)
    async with shop(info, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await settle(pilot)
            await pilot.press("w")
            await settle(pilot)
            assert isinstance(app.screen, BalancesScreen)
            assert "only Zettle's current API (v3) has several" in toasts(app)
            await pilot.press("l")
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            assert isinstance(app.screen, LocationsScreen)
            assert toasts(app).count("only Zettle's current API (v3) has several") == 2
            assert len(service.stores) == 1
            app.open_screen("movement")
            await settle(pilot)
            reasons = [value for _, value in app.screen.query_one("#reason", Select)._options]
            assert Reason.TRANSFER not in reasons
