"""Contract tests: every request shown in the Zettle inventory docs, sent as written (the docs'
UUIDs swapped for real demo ones), gets the documented answer shape back, with strings vs numbers
exactly as documented."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from uuid import UUID

import httpx
import pytest

from tests.sandbox.raw_http import Shop, authed_client, read_shop
from zinv_tui.sandbox.server import SandboxConfig, SandboxInfo, SandboxServer

pytestmark = pytest.mark.timeout(60)

STATUS_KEYS = {"locationUuid", "trackedProducts", "variants", "latest"}
VARIANT_KEYS = {"locationUuid", "locationType", "productUuid", "variantUuid", "balance"}


@pytest.fixture(scope="module")
def docs_sandbox() -> Iterator[SandboxInfo]:
    with SandboxServer(SandboxConfig(products=60, seed=11)) as info:
        yield info


@pytest.fixture(scope="module")
def client(docs_sandbox: SandboxInfo) -> Iterator[httpx.Client]:
    with authed_client(docs_sandbox) as client:
        yield client


@pytest.fixture(scope="module")
def shop(client: httpx.Client) -> Shop:
    return read_shop(client)


def substitute(body: str, mapping: dict[str, str]) -> dict:
    """The doc's JSON with its UUIDs replaced; every UUID in it must be mapped."""
    for doc_uuid, real in mapping.items():
        body = body.replace(doc_uuid, real)
    leftovers = set(
        re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-11e[0-9a-f]-[0-9a-f]{4}-[0-9a-f]{12}", body)
    )
    known = set(mapping.values())
    assert leftovers <= known, f"unmapped doc UUIDs: {leftovers - known}"
    return json.loads(body)


def assert_uuid(value: object) -> None:
    assert isinstance(value, str)
    UUID(value)


def assert_status_shape(body: dict, location: str, location_type: str = "STORE") -> None:
    """The GET "location status" shape: balances as strings, trackedProducts, integer latest."""
    assert set(body) == STATUS_KEYS
    assert body["locationUuid"] == location
    assert all(isinstance(uuid, str) for uuid in body["trackedProducts"])
    assert isinstance(body["latest"], int)
    for variant in body["variants"]:
        assert set(variant) == VARIANT_KEYS
        assert variant["locationUuid"] == location
        assert variant["locationType"] == location_type
        assert isinstance(variant["balance"], str)
        int(variant["balance"])
        assert variant["balance"] != "0"  # plain reads list non-zero balances only


def test_fetch_inventory_locations(client: httpx.Client, docs_sandbox: SandboxInfo) -> None:
    """GET /organizations/self/locations and the org-UUID form: a bare array of four."""
    for path in (
        "/organizations/self/locations",
        f"/organizations/{docs_sandbox.organization_uuid}/locations",
    ):
        answer = client.get(path)
        assert answer.status_code == 200
        body = answer.json()
        assert isinstance(body, list)
        assert {item["type"] for item in body} == {"STORE", "SUPPLIER", "BIN", "SOLD"}
        for item in body:
            assert set(item) == {"uuid", "type", "name", "description", "default"}
            assert UUID(item["uuid"]).version == 1
            assert item["description"] == "System generated location"
            assert item["default"] is (item["type"] == "STORE")


def test_enable_tracking_single(client: httpx.Client, shop: Shop) -> None:
    product = shop.untracked()[0]
    body = substitute(
        '{"productUuid": "d42260ae-423d-11ec-95a4-10307542d8a2"}',
        {"d42260ae-423d-11ec-95a4-10307542d8a2": product},
    )
    answer = client.post("/organizations/self/inventory", json=body)
    assert answer.status_code == 200
    assert answer.json() == {"locationUuid": shop.locations["STORE"], "variants": []}
    assert product in client.get("/inventory").json()["trackedProducts"]


def test_enable_tracking_bulk(client: httpx.Client, shop: Shop) -> None:
    product = shop.untracked()[1]
    body = substitute(
        """{
          "returnBalanceForLocationUuid": "61f6bfae-092f-11eb-8018-0bf432cc48c7",
          "productChanges": [
            {"productUuid": "8d772d4a-111d-11ea-9ee7-141cd50f3f99",
             "trackingStatusChange": "START_TRACKING"}
          ]
        }""",
        {
            "61f6bfae-092f-11eb-8018-0bf432cc48c7": shop.locations["STORE"],
            "8d772d4a-111d-11ea-9ee7-141cd50f3f99": product,
        },
    )
    answer = client.post("/organizations/self/v2/inventory/bulk", json=body)
    assert answer.status_code == 200
    assert answer.json() == {"locationUuid": shop.locations["STORE"], "variants": []}


def test_fetch_inventory_balance_bare_path(client: httpx.Client, shop: Shop) -> None:
    answer = client.get("/inventory")
    assert answer.status_code == 200
    body = answer.json()
    assert_status_shape(body, shop.locations["STORE"])
    assert body["variants"], "the demo shop has stock"


def test_fetch_inventory_balance_for_location(client: httpx.Client, shop: Shop) -> None:
    store = shop.locations["STORE"]
    answer = client.get(f"/organizations/self/inventory/locations/{store}")
    assert answer.status_code == 200
    assert_status_shape(answer.json(), store)
    assert answer.json()["variants"] == client.get("/inventory").json()["variants"]


@pytest.mark.parametrize(
    "path",
    [
        "/organizations/self/inventory/locations/?type=STORE",  # as documented
        "/organizations/self/inventory/locations?type=store",  # as nopCommerce sends it
    ],
)
def test_fetch_inventory_balance_by_type(client: httpx.Client, shop: Shop, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200
    assert_status_shape(answer.json(), shop.locations["STORE"])


def test_fetch_balance_for_other_location_types(client: httpx.Client, shop: Shop) -> None:
    answer = client.get("/organizations/self/inventory/locations?type=SUPPLIER")
    assert answer.status_code == 200
    assert_status_shape(answer.json(), shop.locations["SUPPLIER"], "SUPPLIER")


def test_fetch_inventory_balance_for_products(client: httpx.Client, shop: Shop) -> None:
    first, second = shop.tracked[:2]
    body = substitute(
        """{
          "locationType": "STORE",
          "productUuids": [
            "b9675342-5ce0-11ec-bf63-0242ac130002",
            "24977020-5ce1-11ec-bf63-0242ac130002"
          ]
        }""",
        {
            "b9675342-5ce0-11ec-bf63-0242ac130002": first,
            "24977020-5ce1-11ec-bf63-0242ac130002": second,
        },
    )
    answer = client.post("/organizations/self/inventory/products", json=body)
    assert answer.status_code == 200
    result = answer.json()
    assert_status_shape(result, shop.locations["STORE"])
    assert set(result["trackedProducts"]) == {first, second}
    assert {v["productUuid"] for v in result["variants"]} <= {first, second}


def test_fetch_inventory_balance_for_product_in_location(client: httpx.Client, shop: Shop) -> None:
    store = shop.locations["STORE"]
    product = next(v["productUuid"] for v in client.get("/inventory").json()["variants"])
    answer = client.get(f"/organizations/self/inventory/locations/{store}/products/{product}")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"locationUuid", "variants"}
    assert body["locationUuid"] == store
    assert body["variants"]
    for variant in body["variants"]:
        assert set(variant) == VARIANT_KEYS
        assert variant["productUuid"] == product
        assert isinstance(variant["balance"], str)


def _store_balance(client: httpx.Client, shop: Shop, product: str, variant: str) -> int:
    store = shop.locations["STORE"]
    body = client.get(f"/organizations/self/inventory/locations/{store}/products/{product}").json()
    return next((int(v["balance"]) for v in body["variants"] if v["variantUuid"] == variant), 0)


def test_update_inventory_balance_purchase_example(client: httpx.Client, shop: Shop) -> None:
    """how-inventories-work.md: a purchase with ``"change": "1"`` (a string) and an externalUuid."""
    product = shop.tracked[2]
    variant = shop.variants(product)[0]
    before = _store_balance(client, shop, product, variant)
    body = substitute(
        """{
          "changes": [
            {
              "productUuid": "{{product_uuid}}",
              "variantUuid": "{{product_variant_uuid}}",
              "change": "1",
              "fromLocationUuid": "{{store_location_uuid}}",
              "toLocationUuid": "{{sold_location_uuid}}"
            }
          ],
          "externalUuid": "947d712a-892d-11ea-bc55-0242ac130003"
        }""",
        {
            "{{product_uuid}}": product,
            "{{product_variant_uuid}}": variant,
            "{{store_location_uuid}}": shop.locations["STORE"],
            "{{sold_location_uuid}}": shop.locations["SOLD"],
            "947d712a-892d-11ea-bc55-0242ac130003": "947d712a-892d-11ea-bc55-0242ac130003",
        },
    )
    answer = client.put("/organizations/self/inventory", json=body)
    assert answer.status_code == 200
    result = answer.json()
    assert result["locationUuid"] == shop.locations["STORE"]
    (row,) = result["variants"]
    assert set(row) == VARIANT_KEYS
    assert row["balance"] == before - 1
    assert isinstance(row["balance"], int)


@pytest.mark.parametrize(
    ("source", "target", "sign"), [("STORE", "SOLD", -1), ("SUPPLIER", "STORE", 1)]
)
def test_set_balance_examples(
    client: httpx.Client, shop: Shop, source: str, target: str, sign: int
) -> None:
    """how-inventories-work.md: 30 -> 20 (move 10 to SOLD) and 30 -> 40 (move 10 from SUPPLIER)."""
    product = shop.tracked[3]
    variant = shop.variants(product)[0]
    before = _store_balance(client, shop, product, variant)
    body = {
        "changes": [
            {
                "productUuid": product,
                "variantUuid": variant,
                "fromLocationUuid": shop.locations[source],
                "toLocationUuid": shop.locations[target],
                "change": 10,
            }
        ]
    }
    answer = client.put("/organizations/self/inventory", json=body)
    assert answer.status_code == 200
    assert answer.json()["variants"][0]["balance"] == before + sign * 10
    assert _store_balance(client, shop, product, variant) == before + sign * 10


def test_update_inventory_balance_example(client: httpx.Client, shop: Shop) -> None:
    """update-inventory-balance.md: two variants, no returnBalanceForLocationUuid -> STORE."""
    product = shop.multi_variant_tracked()
    first, second = shop.variants(product)[:2]
    before = [_store_balance(client, shop, product, v) for v in (first, second)]
    body = substitute(
        """{
          "changes": [
            {"productUuid": "65314d7e-5f0f-11ec-bf63-0242ac130002",
             "variantUuid": "78194842-5f0f-11ec-bf63-0242ac130002",
             "fromLocationUuid": "89ac1e4a-5f0f-11ec-bf63-0242ac130002",
             "toLocationUuid": "92646e02-5f0f-11ec-bf63-0242ac130002",
             "change": 42},
            {"productUuid": "65314d7e-5f0f-11ec-bf63-0242ac130002",
             "variantUuid": "7c6be742-5f0f-11ec-bf63-0242ac130002",
             "fromLocationUuid": "89ac1e4a-5f0f-11ec-bf63-0242ac130002",
             "toLocationUuid": "92646e02-5f0f-11ec-bf63-0242ac130002",
             "change": 1337}
          ]
        }""",
        {
            "65314d7e-5f0f-11ec-bf63-0242ac130002": product,
            "78194842-5f0f-11ec-bf63-0242ac130002": first,
            "7c6be742-5f0f-11ec-bf63-0242ac130002": second,
            "89ac1e4a-5f0f-11ec-bf63-0242ac130002": shop.locations["SUPPLIER"],
            "92646e02-5f0f-11ec-bf63-0242ac130002": shop.locations["STORE"],
        },
    )
    answer = client.put("/organizations/self/inventory", json=body)
    assert answer.status_code == 200
    result = answer.json()
    assert set(result) == {"locationUuid", "variants"}
    assert result["locationUuid"] == shop.locations["STORE"]
    assert [v["variantUuid"] for v in result["variants"]] == [first, second]
    for row, old, change in zip(result["variants"], before, (42, 1337), strict=True):
        assert set(row) == VARIANT_KEYS
        assert row["locationType"] == "STORE"
        assert row["balance"] == old + change
        assert isinstance(row["balance"], int)


def test_bulk_update_example(client: httpx.Client, shop: Shop) -> None:
    """update-inventory-balance.md: bulk START_TRACKING plus two variant changes in one request."""
    product = next(p for p in shop.untracked()[2:] if len(shop.variants(p)) >= 2)
    first, second = shop.variants(product)[:2]
    body = substitute(
        """{
          "returnBalanceForLocationUuid": "89ac1e4a-5f0f-11ec-bf63-0242ac130002",
          "productChanges": [
            {
              "productUuid": "3cc3b9f6-623b-11ec-90d6-0242ac120003",
              "trackingStatusChange": "START_TRACKING",
              "variantChanges": [
                {"variantUuid": "4066f6cc-623b-11ec-90d6-0242ac120003",
                 "fromLocationUuid": "92646e02-5f0f-11ec-bf63-0242ac130002",
                 "toLocationUuid": "89ac1e4a-5f0f-11ec-bf63-0242ac130002",
                 "change": 42},
                {"variantUuid": "45900c4c-623b-11ec-90d6-0242ac120003",
                 "fromLocationUuid": "92646e02-5f0f-11ec-bf63-0242ac130002",
                 "toLocationUuid": "89ac1e4a-5f0f-11ec-bf63-0242ac130002",
                 "change": 1337}
              ]
            }
          ]
        }""",
        {
            "89ac1e4a-5f0f-11ec-bf63-0242ac130002": shop.locations["STORE"],
            "92646e02-5f0f-11ec-bf63-0242ac130002": shop.locations["SUPPLIER"],
            "3cc3b9f6-623b-11ec-90d6-0242ac120003": product,
            "4066f6cc-623b-11ec-90d6-0242ac120003": first,
            "45900c4c-623b-11ec-90d6-0242ac120003": second,
        },
    )
    answer = client.post("/organizations/self/v2/inventory/bulk", json=body)
    assert answer.status_code == 200
    assert answer.json() == {
        "locationUuid": shop.locations["STORE"],
        "variants": [
            {"productUuid": product, "variantUuid": first, "balance": 42},
            {"productUuid": product, "variantUuid": second, "balance": 1337},
        ],
    }
    reread = client.get("/inventory").json()
    assert product in reread["trackedProducts"]
    balances = {v["variantUuid"]: v["balance"] for v in reread["variants"]}
    assert balances[first] == "42"
    assert balances[second] == "1337"


def test_low_stock_documented_requests(client: httpx.Client, shop: Shop) -> None:
    """The low-stock requests of zettle-api.md §7, end to end, with the read shape."""
    store = shop.locations["STORE"]
    product = shop.multi_variant_tracked()
    first, second = shop.variants(product)[:2]
    one = {"productUuid": product, "variantUuid": first, "lowStockLevel": 10, "lowStockAlert": True}
    assert client.put(f"/custom-low-stock/locations/{store}", json=one).status_code == 204
    many = {
        "requests": [
            {
                "productUuid": product,
                "variantUuid": second,
                "lowStockLevel": 8,
                "lowStockAlert": False,
            }
        ]
    }
    assert client.post(f"/custom-low-stock/locations/{store}", json=many).status_code == 204
    read = client.get(f"/custom-low-stock/v2/locations/{store}/products/{product}")
    assert read.status_code == 200
    assert read.json() == {
        "productUuid": product,
        "customLowStockLevelForVariants": [
            {"variantUuid": first, "customLowStockLevel": 10.0, "lowStockAlert": True},
            {"variantUuid": second, "customLowStockLevel": 8.0, "lowStockAlert": False},
        ],
    }
    assert '"customLowStockLevel":10.0' in read.text
    whole = client.get(f"/custom-low-stock/v2/locations/{store}").json()
    assert set(whole) == {"organizationUuid", "locationUuid", "customLowStockLevelsForProducts"}
    assert whole["locationUuid"] == store
    deleted = client.delete(
        f"/custom-low-stock/locations/{store}/products/{product}/variants/{first}"
    )
    assert deleted.status_code == 204
    bulk_delete = client.post(
        f"/custom-low-stock/locations/{store}/delete",
        json={"requests": [{"productUuid": product, "variantUuid": second}]},
    )
    assert bulk_delete.status_code == 204
    after = client.get(f"/custom-low-stock/v2/locations/{store}/products/{product}").json()
    assert after["customLowStockLevelForVariants"] == []


def test_stop_tracking(client: httpx.Client, shop: Shop) -> None:
    product = shop.tracked[5]
    answer = client.delete(f"/organizations/self/inventory/products/{product}")
    assert answer.status_code == 204
    assert answer.content == b""
    assert product not in client.get("/inventory").json()["trackedProducts"]
