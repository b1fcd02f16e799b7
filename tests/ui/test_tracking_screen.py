"""Tracking screen end to end: start tracking an untracked product, then stop it again."""

from __future__ import annotations

import pytest

from tests.support.sandbox import SandboxAdmin
from tests.support.screens import enter_text, pick_row, screen_app, settle, shop, type_text
from zinv_tui.ui.screens.dialogs import ConfirmDialog
from zinv_tui.ui.screens.tracking import STOP_EXPLANATION, TrackingScreen

pytestmark = pytest.mark.timeout(60)


async def tracked_in_sandbox(service) -> set[str]:
    balances = await service.backend.client.get_store_balances()
    return {str(uuid) for uuid in balances.tracked_products}


def notes(app) -> list[str]:
    return [str(note.message) for note in app._notifications]


async def test_one_match_is_one_product(sandbox_factory, tmp_path):
    """Walk: ``Not tracked: 1 products matching 'almond scone'``."""
    info = sandbox_factory(products=40)
    async with shop(info, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("t")
            await settle(pilot)
            names = [product.name for product in service.untracked_products()]
            name = next(n for n in names if sum(n.casefold() in m.casefold() for m in names) == 1)
            await pilot.press("slash")
            await type_text(pilot, name.casefold())
            await settle(pilot)
            title = str(app.screen.query_one("#tracking-title").content)
            assert title.startswith(f"Not tracked: 1 product matching '{name.casefold()}'")


async def test_start_then_stop_tracking_with_confirmations(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    async with shop(info, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("t")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, TrackingScreen)
            untracked = sorted(
                service.untracked_products(), key=lambda p: (p.name.casefold(), str(p.uuid))
            )
            assert screen.listed_uuids == [str(product.uuid) for product in untracked]
            assert untracked, "the demo shop has untracked products"
            product = untracked[0]
            uuid = str(product.uuid)
            assert uuid not in await tracked_in_sandbox(service)

            await pilot.press("enter")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, ConfirmDialog)
            body = str(dialog.query_one(".dialog-body").content)
            assert product.name in body and "saved balances back" in body
            await pilot.press("escape")  # cancel: nothing happens
            await settle(pilot)
            assert app.screen is screen and uuid in screen.listed_uuids

            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("enter")  # the confirm button has the focus
            await settle(pilot)
            assert app.screen is screen
            assert uuid not in screen.listed_uuids
            assert uuid in await tracked_in_sandbox(service)
            assert notes(app)[-1] == f"Now tracking {product.name}"  # was "1 product"
            assert any(key[0] == uuid for key in service.rows)

            await pilot.press("v")  # the tracked products
            await settle(pilot)
            assert screen.showing_tracked and uuid in screen.listed_uuids
            table = screen.query_one("#tracking-table")
            table.move_cursor(row=screen.listed_uuids.index(uuid))
            await pilot.press("s")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, ConfirmDialog)
            body = str(dialog.query_one(".dialog-body").content)
            assert STOP_EXPLANATION in body
            await pilot.press("y")
            await settle(pilot)
            assert uuid not in screen.listed_uuids
            assert uuid not in await tracked_in_sandbox(service)
            assert notes(app)[-1] == f"Stopped tracking {product.name}"
            assert not any(key[0] == uuid for key in service.rows)
            assert uuid in {str(p.uuid) for p in service.untracked_products()}


async def test_selecting_several_products_starts_them_together(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    async with shop(info, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.open_screen("tracking")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, TrackingScreen)
            chosen = screen.listed_uuids[:2]
            await pilot.press("space", "space")
            assert screen.selected_uuids == set(chosen)
            await pilot.press("enter")
            await settle(pilot)
            body = str(app.screen.query_one(".dialog-body").content)
            assert body.startswith("Start tracking 2 products")
            await pilot.press("enter")
            await settle(pilot)
            assert set(chosen) <= await tracked_in_sandbox(service)
            assert not set(chosen) & set(screen.listed_uuids)


async def test_tracked_view_filters_and_follows_sales_in_place(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    admin = SandboxAdmin(info)
    async with shop(info, tmp_path) as service:
        row = pick_row(service)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.open_screen("tracking")
            await settle(pilot)
            screen = app.screen
            await pilot.press("v")
            await settle(pilot)
            await pilot.press("slash")
            await enter_text(pilot, screen.query_one("#tracking-filter"), row.sku)
            assert screen.listed_uuids == [row.product_uuid]
            await pilot.press("enter")  # keep the filter, back to the list
            table = screen.query_one("#tracking-table")
            before = int(str(table.get_row_at(0)[3]))
            admin.sale(row.variant_uuid, 1)
            await service.refresh()
            await settle(pilot)
            assert int(str(table.get_row_at(0)[3])) == before - 1
            await pilot.press("escape")  # clears the filter
            await settle(pilot)
            assert len(screen.listed_uuids) > 1 and app.screen is screen
