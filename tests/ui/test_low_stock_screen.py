"""Low-stock screen end to end: urgency order, set and clear levels for one or a selection."""

from __future__ import annotations

from uuid import UUID

import pytest
from screen_support import Ledger, pick_row, screen_app, settle, shop, type_text

from zinv_tui.api.models import LocationType
from zinv_tui.ui.screens.low_stock import LowStockDialog, LowStockScreen, alert_rows, urgency

pytestmark = pytest.mark.timeout(60)


async def sandbox_level(service, key) -> tuple[int | None, bool]:
    """The level and alert flag Zettle (the sandbox) holds for ``key``."""
    store = service.locations[LocationType.STORE].uuid
    answer = await service.client.get_product_low_stock_levels(store, UUID(key[0]))
    for variant in answer.custom_low_stock_level_for_variants:
        if str(variant.variant_uuid) == key[1]:
            return variant.custom_low_stock_level, variant.low_stock_alert
    return None, False


async def open_low_stock(pilot) -> LowStockScreen:
    await pilot.press("a")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, LowStockScreen)
    return screen


async def test_lists_the_most_urgent_first_with_a_count(sandbox, tmp_path):
    async with shop(sandbox, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_low_stock(pilot)
            rows = service.rows
            expected = alert_rows(rows)
            assert screen.listed_keys == [row.key for row in expected]
            assert expected, "the demo shop has low-stock variants"
            keys = [urgency(rows[key]) for key in screen.listed_keys]
            assert keys == sorted(keys)
            for key in screen.listed_keys:
                row = rows[key]
                assert row.low_stock_alert or (
                    row.low_stock_level is not None and row.shown_balance <= row.low_stock_level
                )
            title = str(screen.query_one("#low-stock-title").content)
            out = sum(1 for row in expected if row.shown_balance <= 0)
            assert title.startswith(f"Low stock: {out} out, ")
            await pilot.press("escape")
            await settle(pilot)
            assert not isinstance(app.screen, LowStockScreen)


async def test_set_level_for_a_selection_then_clear_one(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    async with shop(info, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_low_stock(pilot)
            first, second = screen.listed_keys[:2]
            await pilot.press("space", "space")  # select the first two (the cursor moves down)
            assert screen.selected_keys == {first, second}
            await pilot.press("enter")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, LowStockDialog)
            await pilot.press("ctrl+a", "ctrl+k")
            await type_text(pilot, "x")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert app.screen is dialog  # refused inline
            error = str(dialog.query_one("#level-error").content)
            assert "Enter a whole number, 0 or more" in error
            await pilot.press("ctrl+a", "ctrl+k")
            await type_text(pilot, "1000")  # far above any demo balance: both stay listed
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is screen
            for key in (first, second):
                assert service.rows[key].low_stock_level == 1000
                assert await sandbox_level(service, key) == (1000, True)
            assert screen.selected_keys == set()
            # Clear the level of the variant under the cursor.
            screen.query_one("#low-stock-table").move_cursor(row=screen.listed_keys.index(first))
            await pilot.press("x")
            await settle(pilot)
            assert service.rows[first].low_stock_level is None
            assert await sandbox_level(service, first) == (None, False)
            assert service.rows[second].low_stock_level == 1000


async def test_other_variant_gets_a_level_through_the_picker(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    async with shop(info, tmp_path) as service:
        row = pick_row(service, minimum=5)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_low_stock(pilot)
            assert row.key not in screen.listed_keys
            await pilot.press("n")
            await settle(pilot)
            await type_text(pilot, row.sku)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, LowStockDialog)
            await type_text(pilot, str(row.shown_balance))
            await pilot.press("enter")
            await settle(pilot)
            assert service.rows[row.key].low_stock_level == row.shown_balance
            assert row.key in screen.listed_keys  # at its level now: listed as low
            assert await sandbox_level(service, row.key) == (row.shown_balance, True)


async def test_a_sale_down_to_the_level_lists_the_variant_live(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    ledger = Ledger(info)
    async with shop(info, tmp_path) as service:
        row = next(
            row
            for row in sorted(service.rows.values(), key=lambda row: row.sku)
            if row.low_stock_level is not None
            and row.shown_balance > row.low_stock_level
            and not row.low_stock_alert
        )
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_low_stock(pilot)
            assert row.key not in screen.listed_keys
            ledger.sale(row.variant_uuid, row.shown_balance - row.low_stock_level)
            await service.refresh()
            await settle(pilot)
            assert row.key in screen.listed_keys


async def test_a_failed_write_says_so_in_words_and_the_screen_stays_usable(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(products=40)
    ledger = Ledger(info)
    async with shop(info, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await settle(pilot)
            screen = await open_low_stock(pilot)
            key = screen.listed_keys[0]
            level_before = service.rows[key].low_stock_level
            await pilot.press("enter")
            await settle(pilot)
            await type_text(pilot, "7")
            ledger.faults(error_rate=1.0)  # Zettle answers 5xx to everything
            await pilot.press("enter")
            await settle(pilot)
            ledger.faults(error_rate=0.0)
            errors = [n for n in app._notifications if n.severity == "error"]
            assert errors, "the failure is shown"
            message = str(errors[-1].message)
            assert message.startswith("The low-stock level was not saved: ")
            assert "Traceback" not in message and info.api_key not in message
            assert app.screen is screen
            assert service.rows[key].low_stock_level == level_before
            await pilot.press("escape")
            await settle(pilot)
            assert not isinstance(app.screen, LowStockScreen)
