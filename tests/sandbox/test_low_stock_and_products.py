"""Low-stock rules (defaults not stored, write vs read field names, 204s, ETags) and Product Library
reads (ETag / If-None-Match -> 304, count, one product)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.sandbox.raw_http import Shop, authed_client, read_shop
from zinv_tui.sandbox.ids import is_valid_ean13
from zinv_tui.sandbox.server import SandboxInfo

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def fresh(sandbox_factory) -> Iterator[tuple[SandboxInfo, httpx.Client, Shop]]:
    info = sandbox_factory(products=30, seed=4)
    with authed_client(info) as client:
        yield info, client, read_shop(client)


def _levels(client: httpx.Client, store: str, product: str) -> list[dict]:
    answer = client.get(f"/custom-low-stock/v2/locations/{store}/products/{product}")
    assert answer.status_code == 200
    return answer.json()["customLowStockLevelForVariants"]


def test_writing_defaults_deletes_the_record(fresh) -> None:
    _, client, shop = fresh
    store = shop.locations["STORE"]
    product = shop.tracked[0]
    variant = shop.variants(product)[0]
    ref = {"productUuid": product, "variantUuid": variant}
    client.put(f"/custom-low-stock/locations/{store}", json=ref | {"lowStockLevel": 4})
    assert _levels(client, store, product)[0] == {
        "variantUuid": variant,
        "customLowStockLevel": 4.0,
        "lowStockAlert": False,
    }
    client.put(f"/custom-low-stock/locations/{store}", json=ref | {"lowStockAlert": True})
    assert _levels(client, store, product)[0]["customLowStockLevel"] is None
    assert _levels(client, store, product)[0]["lowStockAlert"] is True
    answer = client.put(
        f"/custom-low-stock/locations/{store}",
        json=ref | {"lowStockLevel": None, "lowStockAlert": False},
    )
    assert answer.status_code == 204
    assert variant not in {v["variantUuid"] for v in _levels(client, store, product)}


def test_low_stock_refusals(fresh) -> None:
    _, client, shop = fresh
    store = shop.locations["STORE"]
    product = shop.tracked[0]
    variant = shop.variants(product)[0]
    for bad in (
        {"productUuid": product, "variantUuid": variant, "lowStockLevel": -1},
        {"productUuid": product, "variantUuid": variant, "lowStockLevel": 2.5},
        {"productUuid": product},
        {"productUuid": str(uuid.uuid1()), "variantUuid": variant, "lowStockLevel": 1},
        {"productUuid": shop.tracked[1], "variantUuid": variant, "lowStockLevel": 1},
    ):
        answer = client.put(f"/custom-low-stock/locations/{store}", json=bad)
        assert answer.status_code == 400, bad
        assert answer.json()["violations"]
    assert (
        client.post(f"/custom-low-stock/locations/{store}", json={"requests": []}).status_code
        == 400
    )
    unknown = client.get(f"/custom-low-stock/v2/locations/{uuid.uuid1()}")
    assert unknown.status_code == 404
    assert unknown.json()["errorType"] == "ENTITY_NOT_FOUND"


def test_low_stock_read_has_an_etag(fresh) -> None:
    _, client, shop = fresh
    store = shop.locations["STORE"]
    first = client.get(f"/custom-low-stock/v2/locations/{store}")
    etag = first.headers["ETag"]
    assert (
        client.get(
            f"/custom-low-stock/v2/locations/{store}", headers={"If-None-Match": etag}
        ).status_code
        == 304
    )
    product = shop.tracked[0]
    client.put(
        f"/custom-low-stock/locations/{store}",
        json={
            "productUuid": product,
            "variantUuid": shop.variants(product)[0],
            "lowStockLevel": 77,
        },
    )
    changed = client.get(f"/custom-low-stock/v2/locations/{store}", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_demo_shop_has_low_stock_levels(api: httpx.Client, session_shop: Shop) -> None:
    body = api.get(f"/custom-low-stock/v2/locations/{session_shop.locations['STORE']}").json()
    rows = [
        v
        for p in body["customLowStockLevelsForProducts"]
        for v in p["customLowStockLevelForVariants"]
    ]
    assert len(rows) > 20
    assert any(row["lowStockAlert"] for row in rows)
    assert all(isinstance(row["customLowStockLevel"], float | None) for row in rows)


def test_products_list_etag_and_304(api: httpx.Client) -> None:
    first = api.get("/organizations/self/products/v2")
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = api.get("/organizations/self/products/v2", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    weak = api.get("/organizations/self/products/v2", headers={"If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304
    other = api.get("/organizations/self/products/v2", headers={"If-None-Match": '"nope"'})
    assert other.status_code == 200
    assert api.get("/organizations/self/products").json() == first.json()


def test_products_shape(api: httpx.Client, sandbox: SandboxInfo) -> None:
    products = api.get(f"/organizations/{sandbox.organization_uuid}/products/v2").json()
    assert api.get("/organizations/self/products/v2/count").json() == {"productCount": 300}
    assert len(products) == 300
    variants = [v for p in products for v in p["variants"]]
    assert len(variants) > 300
    for product in products:
        assert {"uuid", "name", "variants", "etag", "created", "updated"} <= set(product)
        assert product["variants"]
    barcodes = [v["barcode"] for v in variants if "barcode" in v]
    assert len(barcodes) > 0.9 * len(variants)
    assert all(is_valid_ean13(code) for code in barcodes)
    assert len(set(barcodes)) == len(barcodes)
    assert any("[/]" in product["name"] for product in products)
    options = {option["name"] for v in variants for option in v["options"]}
    assert options == {"Size", "Colour"}


def test_one_product_etag(api: httpx.Client) -> None:
    product = api.get("/organizations/self/products/v2").json()[3]
    answer = api.get(f"/organizations/self/products/{product['uuid']}")
    assert answer.json() == product
    assert answer.headers["ETag"] == f'"{product["etag"]}"'
    cached = api.get(
        f"/organizations/self/products/{product['uuid']}",
        headers={"If-None-Match": answer.headers["ETag"]},
    )
    assert cached.status_code == 304
    assert api.get(f"/organizations/self/products/{uuid.uuid1()}").status_code == 404
    assert api.get("/organizations/self/products/zzz").status_code == 400


def test_legacy_unversioned_reads_have_no_alert_flag(api: httpx.Client, session_shop: Shop) -> None:
    store = session_shop.locations["STORE"]
    legacy = api.get(f"/custom-low-stock/locations/{store}").json()
    current = api.get(f"/custom-low-stock/v2/locations/{store}").json()
    rows = [
        v
        for p in legacy["customLowStockLevelsForProducts"]
        for v in p["customLowStockLevelForVariants"]
    ]
    assert rows
    assert all(set(row) == {"variantUuid", "customLowStockLevel"} for row in rows)
    with_level = [
        v
        for p in current["customLowStockLevelsForProducts"]
        for v in p["customLowStockLevelForVariants"]
        if v["customLowStockLevel"] is not None
    ]
    assert len(rows) == len(with_level)
    product = legacy["customLowStockLevelsForProducts"][0]["productUuid"]
    one = api.get(f"/custom-low-stock/locations/{store}/products/{product}").json()
    assert (
        one["customLowStockLevelForVariants"]
        == legacy["customLowStockLevelsForProducts"][0]["customLowStockLevelForVariants"]
    )
