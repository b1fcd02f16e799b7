"""The demo shop after its generated sales history looks like a well-run shop on a normal day."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from zinv_tui.sandbox.demo_data import generate_shop
from zinv_tui.sandbox.history import without_opening_balances, write_history
from zinv_tui.sandbox.inventory import Inventory
from zinv_tui.sandbox.purchases import PurchaseBook
from zinv_tui.sandbox.store import LedgerStore
from zinv_tui.service.stock_rules import StockState, stock_state


def test_the_demo_shop_after_sixty_days_is_mostly_well_stocked() -> None:
    shop = generate_shop(300, 1)
    store = LedgerStore()
    store.load_shop(without_opening_balances(shop), 300)
    inventory = Inventory(store)
    book = PurchaseBook(
        store,
        inventory.store_location.uuid,
        inventory.location_of_type("SOLD").uuid,
        shop.organization_uuid,
    )
    write_history(store, book, shop, 60, now=datetime(2026, 3, 18, 15, 30, tzinfo=UTC))
    variants = [
        variant for product in shop.products if product.tracked for variant in product.variants
    ]
    balances = store.balances_in(inventory.store_location.uuid, [v.uuid for v in variants])
    states = Counter(
        stock_state(balances.get(variant.uuid, 0), variant.low_stock_level) for variant in variants
    )
    stocked = sum(1 for variant in variants if balances.get(variant.uuid, 0) >= 3)
    total = len(variants)
    assert stocked >= 0.85 * total  # most items comfortably stocked (not 1 or 2 left)
    assert 0 < states[StockState.LOW] <= 0.06 * total  # some low
    assert 0 < states[StockState.OUT] <= 0.06 * total  # a few out
