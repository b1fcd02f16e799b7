"""Writes through the client against fresh sandboxes: movements, replay, tracking, bulk, low stock.

The documented request bodies are sent as written in ``zettle-docs`` (with this shop's UUIDs), so
these are also contract tests of the client's request shapes.
"""

from __future__ import annotations

import uuid

import pytest

from tests.support.clients import by_type
from tests.support.sandbox import SandboxAdmin
from zinv_tui.api import ProductNotTracked, RequestRejected, ZettleClient
from zinv_tui.api.models import (
    BulkRequest,
    LocationType,
    LowStockLevelUpdate,
    LowStockVariantRef,
    MovementRequest,
)
from zinv_tui.values.catalogue import CatalogueProduct as Product

pytestmark = pytest.mark.timeout(60)


async def shop(client: ZettleClient) -> tuple[dict[LocationType, str], list[Product], set[str]]:
    locations = by_type(await client.get_locations())
    page = await client.get_products()
    assert page.products is not None
    tracked = set((await client.get_store_balances()).tracked_products)
    return locations, page.products, tracked


async def untracked_product(client: ZettleClient, products: list[Product], tracked: set[str]):
    for product in products:
        if product.uuid not in tracked and len(product.variants) >= 2:
            return product
    product = next(p for p in products if len(p.variants) >= 2)
    await client.stop_tracking(product.uuid)
    return product


async def test_movement_round_trip_with_the_documented_body(sandbox_factory, clients) -> None:
    info = sandbox_factory(products=40)
    client = clients(info)
    locations, products, tracked = await shop(client)
    product = next(p for p in products if p.uuid in tracked and len(p.variants) >= 2)
    first, second = product.variants[:2]
    store, supplier = locations[LocationType.STORE], locations[LocationType.SUPPLIER]
    before = {v.variant_uuid: v.balance for v in (await client.get_store_balances()).variants}
    cursor = (await client.get_store_balances()).latest
    # update-inventory-balance.md, request body as documented (two changes, numbers).
    documented = {
        "changes": [
            {
                "productUuid": str(product.uuid),
                "variantUuid": str(first.uuid),
                "fromLocationUuid": str(supplier),
                "toLocationUuid": str(store),
                "change": 42,
            },
            {
                "productUuid": str(product.uuid),
                "variantUuid": str(second.uuid),
                "fromLocationUuid": str(supplier),
                "toLocationUuid": str(store),
                "change": 1337,
            },
        ]
    }
    request = MovementRequest.model_validate(documented)
    assert request.to_wire() == documented
    answer = await client.move_stock(request)
    assert answer.location_uuid == store  # STORE when returnBalanceForLocationUuid is absent
    got = {v.variant_uuid: v.balance for v in answer.variants}
    assert got == {
        first.uuid: before.get(first.uuid, 0) + 42,
        second.uuid: before.get(second.uuid, 0) + 1337,
    }
    assert all(v.location_type == LocationType.STORE for v in answer.variants)
    # Read back: one product in one location, and the change feed since the old cursor.
    read = await client.get_product_balance(store, product.uuid)
    assert {v.variant_uuid: v.balance for v in read.variants if v.variant_uuid in got} == got
    feed = await client.get_store_balances(since=cursor)
    assert {v.variant_uuid: v.balance for v in feed.variants} == got
    assert feed.latest != cursor
    # Sell 5 back out (STORE to SOLD) and ask for the SOLD balance in the answer.
    sold = locations[LocationType.SOLD]
    out = await client.move_stock(
        MovementRequest.model_validate(
            {
                "changes": [
                    {
                        "productUuid": str(product.uuid),
                        "variantUuid": str(first.uuid),
                        "fromLocationUuid": str(store),
                        "toLocationUuid": str(sold),
                        "change": "5",  # how-inventories-work.md sends the change as a string
                    }
                ],
                "returnBalanceForLocationUuid": str(sold),
                "externalUuid": str(uuid.uuid1()),
            }
        )
    )
    assert out.location_uuid == sold
    store_now = await client.get_product_balance(store, product.uuid)
    now = {v.variant_uuid: v.balance for v in store_now.variants}
    assert now[first.uuid] == got[first.uuid] - 5


async def test_external_uuid_replay_applies_once(sandbox_factory, clients) -> None:
    info = sandbox_factory(products=40)
    client = clients(info)
    locations, products, tracked = await shop(client)
    product = next(p for p in products if p.uuid in tracked)
    variant = product.variants[0]
    request = MovementRequest.model_validate(
        {
            "changes": [
                {
                    "productUuid": str(product.uuid),
                    "variantUuid": str(variant.uuid),
                    "fromLocationUuid": str(locations[LocationType.SUPPLIER]),
                    "toLocationUuid": str(locations[LocationType.STORE]),
                    "change": 7,
                }
            ],
            "externalUuid": "947d712a-892d-11ea-bc55-0242ac130003",  # the concept doc's example
        }
    )
    before = len(SandboxAdmin(info).ledger())
    first = await client.move_stock(request)
    second = await client.move_stock(request)
    assert first == second
    ledger = SandboxAdmin(info).ledger()[before:]
    assert [row["externalUuid"] for row in ledger] == ["947d712a-892d-11ea-bc55-0242ac130003"]
    assert ledger[0]["change"] == 7 and ledger[0]["source"] == "api"


async def test_tracking_lifecycle_and_product_not_tracked(sandbox_factory, clients) -> None:
    info = sandbox_factory(products=40)
    client = clients(info)
    locations, products, tracked = await shop(client)
    product = await untracked_product(client, products, tracked)
    variant = product.variants[0]
    restock = MovementRequest.model_validate(
        {
            "changes": [
                {
                    "productUuid": str(product.uuid),
                    "variantUuid": str(variant.uuid),
                    "fromLocationUuid": str(locations[LocationType.SUPPLIER]),
                    "toLocationUuid": str(locations[LocationType.STORE]),
                    "change": 4,
                }
            ],
            "externalUuid": str(uuid.uuid1()),
        }
    )
    with pytest.raises(ProductNotTracked) as caught:
        await client.move_stock(restock)
    assert isinstance(caught.value, RequestRejected)
    assert caught.value.error_type == "PRODUCT_NOT_TRACKED" and caught.value.status == 400
    assert "start tracking" in str(caught.value)
    # enable-tracking.md: body {"productUuid"}; answer {"locationUuid", "variants"} for STORE.
    started = await client.start_tracking(product.uuid)
    assert started.location_uuid == locations[LocationType.STORE]
    assert product.uuid in (await client.get_store_balances()).tracked_products
    await client.move_stock(restock)
    balance = {v.variant_uuid: v.balance for v in (await client.get_store_balances()).variants}
    kept = balance[variant.uuid]
    await client.stop_tracking(product.uuid)
    await client.stop_tracking(product.uuid)  # idempotent
    hidden = await client.get_store_balances()
    assert product.uuid not in hidden.tracked_products
    assert variant.uuid not in {v.variant_uuid for v in hidden.variants}
    again = await client.start_tracking(product.uuid)
    assert {v.variant_uuid: v.balance for v in again.variants}[variant.uuid] == kept


async def test_bulk_start_tracking_with_movements_as_documented(sandbox_factory, clients) -> None:
    info = sandbox_factory(products=40)
    client = clients(info)
    locations, products, tracked = await shop(client)
    product = await untracked_product(client, products, tracked)
    store, supplier = locations[LocationType.STORE], locations[LocationType.SUPPLIER]
    started = await client.start_tracking(product.uuid)
    before = {v.variant_uuid: v.balance for v in started.variants}
    await client.stop_tracking(product.uuid)
    # update-inventory-balance.md, bulk body as documented.
    documented = {
        "returnBalanceForLocationUuid": str(store),
        "productChanges": [
            {
                "productUuid": str(product.uuid),
                "trackingStatusChange": "START_TRACKING",
                "variantChanges": [
                    {
                        "variantUuid": str(variant.uuid),
                        "fromLocationUuid": str(supplier),
                        "toLocationUuid": str(store),
                        "change": change,
                    }
                    for variant, change in zip(product.variants[:2], (42, 1337), strict=True)
                ],
            }
        ],
        "externalUuid": str(uuid.uuid1()),
    }
    request = BulkRequest.model_validate(documented)
    assert request.to_wire() == documented
    answer = await client.bulk_update(request)
    assert answer.location_uuid == store
    expected = {
        variant.uuid: before.get(variant.uuid, 0) + change
        for variant, change in zip(product.variants[:2], (42, 1337), strict=True)
    }
    assert {v.variant_uuid: v.balance for v in answer.variants} == expected
    assert product.uuid in (await client.get_store_balances()).tracked_products
    # enable-tracking.md: tracking-only bulk reports no stock levels.
    stop_and_start = BulkRequest.model_validate(
        {
            "returnBalanceForLocationUuid": str(store),
            "productChanges": [
                {"productUuid": str(product.uuid), "trackingStatusChange": "STOP_TRACKING"}
            ],
        }
    )
    assert (await client.bulk_update(stop_and_start)).variants == []
    assert product.uuid not in (await client.get_store_balances()).tracked_products


async def test_low_stock_levels_set_read_delete(sandbox_factory, clients) -> None:
    info = sandbox_factory(products=40)
    client = clients(info)
    locations, products, _ = await shop(client)
    store = locations[LocationType.STORE]
    existing = await client.get_low_stock_levels(store)
    with_levels = {p.product_uuid for p in existing.custom_low_stock_levels_for_products}
    product = next(p for p in products if p.uuid not in with_levels and len(p.variants) >= 2)
    first, second = product.variants[:2]
    # set-low-stock-level: {"productUuid","variantUuid","lowStockLevel":10,"lowStockAlert":true}
    one = LowStockLevelUpdate.model_validate(
        {
            "productUuid": str(product.uuid),
            "variantUuid": str(first.uuid),
            "lowStockLevel": 10,
            "lowStockAlert": True,
        }
    )
    await client.set_low_stock_level(store, one)
    read = await client.get_product_low_stock_levels(store, product.uuid)
    levels = {v.variant_uuid: (v.custom_low_stock_level, v.low_stock_alert) for v in
              read.custom_low_stock_level_for_variants}  # fmt: skip
    assert levels == {first.uuid: (10, True)}
    many = [
        LowStockLevelUpdate(product_uuid=product.uuid, variant_uuid=first.uuid, low_stock_level=3),
        LowStockLevelUpdate(product_uuid=product.uuid, variant_uuid=second.uuid, low_stock_level=8),
    ]
    await client.set_low_stock_levels(store, many)
    location_levels = await client.get_low_stock_levels(store)
    mine = next(
        p for p in location_levels.custom_low_stock_levels_for_products
        if p.product_uuid == product.uuid
    )  # fmt: skip
    set_levels = {
        v.variant_uuid: v.custom_low_stock_level for v in mine.custom_low_stock_level_for_variants
    }
    assert set_levels == {first.uuid: 3, second.uuid: 8}
    await client.delete_low_stock_level(store, product.uuid, first.uuid)
    left = await client.get_product_low_stock_levels(store, product.uuid)
    assert [v.variant_uuid for v in left.custom_low_stock_level_for_variants] == [second.uuid]
    await client.delete_low_stock_levels(
        store, [LowStockVariantRef(product_uuid=product.uuid, variant_uuid=second.uuid)]
    )
    after = await client.get_low_stock_levels(store)
    assert product.uuid not in {p.product_uuid for p in after.custom_low_stock_levels_for_products}
    # Writing the defaults clears a level (documented rule), and deleting again is harmless.
    await client.set_low_stock_level(
        store, LowStockLevelUpdate(product_uuid=product.uuid, variant_uuid=first.uuid)
    )
    await client.delete_low_stock_level(store, product.uuid, first.uuid)


async def test_refused_movements_carry_zettles_details(sandbox_factory, clients) -> None:
    info = sandbox_factory(products=40)
    client = clients(info)
    locations, products, tracked = await shop(client)
    product = next(p for p in products if p.uuid in tracked)
    store = locations[LocationType.STORE]
    same_place = MovementRequest.model_validate(
        {
            "changes": [
                {
                    "productUuid": str(product.uuid),
                    "variantUuid": str(product.variants[0].uuid),
                    "fromLocationUuid": str(store),
                    "toLocationUuid": str(store),
                    "change": 1,
                }
            ],
            "externalUuid": str(uuid.uuid1()),
        }
    )
    before = len(SandboxAdmin(info).ledger())
    with pytest.raises(RequestRejected) as caught:
        await client.move_stock(same_place)
    error = caught.value
    assert error.status == 400 and error.violations
    assert error.violations[0].property_name == "changes[0].toLocationUuid"
    assert str(error).startswith("Zettle refused the request: ")
    assert len(SandboxAdmin(info).ledger()) == before
