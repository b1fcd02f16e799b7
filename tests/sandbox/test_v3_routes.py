"""The v3 surface on the same port and ledger as v1: inventories (and creating STORE ones), stock
reads in pages with ``Link`` followed to the end, ``limit`` bounds, movements answering 204, v1 and
v3 agreeing whichever generation moved the stock, and the paths v3 does not have."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.sandbox.raw_http import Shop, authed_client, read_shop
from tests.sandbox.v3_http import next_url, read_all, v1_store_balances, v3_store_balances
from zinv_tui.sandbox.server import SandboxInfo

pytestmark = pytest.mark.timeout(90)

UPDATED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def fresh(sandbox_factory) -> Iterator[tuple[SandboxInfo, httpx.Client, Shop]]:
    info = sandbox_factory(products=40, seed=5)
    with authed_client(info) as client:
        yield info, client, read_shop(client)


def _inventories(client: httpx.Client) -> dict[str, str]:
    listed = client.get("/v3/inventories").json()
    found = {
        i["inventoryType"]: i["inventoryUuid"] for i in listed if i["inventoryType"] != "STORE"
    }
    found["STORE"] = next(i["inventoryUuid"] for i in listed if i["defaultInventory"])
    return found


def test_inventories_are_v1_locations_with_v3_field_names(api: httpx.Client) -> None:
    answer = api.get("/v3/inventories")
    assert answer.status_code == 200
    listed = answer.json()
    assert [i["inventoryType"] for i in listed[:4]] == ["STORE", "SUPPLIER", "BIN", "SOLD"]
    v1 = {loc["uuid"]: loc for loc in api.get("/organizations/self/locations").json()}
    for item in listed[:4]:
        assert set(item) == {
            "inventoryUuid",
            "inventoryType",
            "name",
            "description",
            "defaultInventory",
        }
        assert v1[item["inventoryUuid"]]["type"] == item["inventoryType"]
        assert item["defaultInventory"] is (item["inventoryType"] == "STORE")
    one = api.get(f"/v3/inventories/{listed[0]['inventoryUuid']}/")
    assert one.status_code == 200 and one.json() == listed[0]
    assert api.get(f"/v3/inventories/{uuid.uuid1()}").json()["errorType"] == "ENTITY_NOT_FOUND"
    assert api.get("/v3/inventories/not-a-uuid").status_code == 400


def test_stock_pages_follow_link_to_the_end(api: httpx.Client, session_shop: Shop) -> None:
    everything, pages = read_all(api, "/v3/stock", limit=1000)
    assert pages == 1 and len(everything) > 250
    rows, pages = read_all(api, "/v3/stock")  # default limit 100
    assert pages == -(-len(everything) // 100)
    assert rows == everything  # same rows, same order, none twice, none missed
    first = api.get("/v3/stock")
    assert len(first.json()) == 100
    link = first.headers["link"]
    url = next_url(first)
    assert url is not None and url.startswith(f"{api.base_url}".rstrip("/") + "/v3/stock?")
    assert re.fullmatch(r"<[^>]+>; rel=\"next\"", link)
    query = parse_qsl(urlsplit(url).query)
    assert [k for k, _ in query[:2]] == ["cursor", "limit"] and query[1][1] == "100"
    row = everything[0]
    assert set(row) == {
        "organizationUuid",
        "inventoryUuid",
        "productUuid",
        "variantUuid",
        "balance",
        "lowStockLevel",
        "lowStockAlert",
        "updated",
        "checksum",
    }
    assert all(type(r["balance"]) is int for r in everything)
    assert all(UPDATED.match(r["updated"]) for r in everything)
    assert all(r["checksum"].isdigit() for r in everything)
    assert {r["productUuid"] for r in everything} <= set(session_shop.tracked)


def test_stock_pages_over_a_thousand_rows(sandbox_factory) -> None:
    info = sandbox_factory(products=700, seed=3)
    with authed_client(info) as client:
        supplier = _inventories(client)["SUPPLIER"]
        by_1000, pages_1000 = read_all(client, f"/v3/stock/{supplier}", limit=1000)
        by_100, pages_100 = read_all(client, f"/v3/stock/{supplier}", limit=100)
    assert len(by_1000) > 1000 and pages_1000 == 2
    assert by_100 == by_1000 and pages_100 == -(-len(by_1000) // 100)
    assert all(r["inventoryUuid"] == supplier and r["balance"] < 0 for r in by_1000)


def test_a_cursor_alone_is_enough_and_bad_ones_are_refused(api: httpx.Client) -> None:
    first = api.get("/v3/stock", params={"limit": 3})
    cursor = dict(parse_qsl(urlsplit(next_url(first) or "").query))["cursor"]
    rebuilt = api.get("/v3/stock", params={"cursor": cursor})  # limit remembered
    followed = api.get(next_url(first) or "")
    assert rebuilt.json() == followed.json() and len(rebuilt.json()) == 3
    assert api.get("/v3/stock", params={"cursor": str(uuid.uuid1())}).status_code == 400
    assert api.get("/v3/stock", params={"cursor": "x"}).json()["errorType"] == "INVALID_CURSOR"
    store = _inventories(api)["STORE"]
    assert api.get(f"/v3/stock/{store}", params={"cursor": cursor}).status_code == 400


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "ten", "1.5", "١٢", "9" * 40, ""])
def test_limit_outside_1_to_1000_is_a_400(api: httpx.Client, limit: str) -> None:
    answer = api.get("/v3/stock", params={"limit": limit})
    assert answer.status_code == 400, answer.text
    assert answer.json()["violations"][0]["propertyName"] == "limit"


def test_last_page_and_empty_lists_have_no_link(api: httpx.Client) -> None:
    rows, _ = read_all(api, "/v3/stock", limit=1000)
    exact = api.get("/v3/stock", params={"limit": len(rows)})
    assert "link" not in exact.headers and len(exact.json()) == len(rows)
    bin_uuid = _inventories(api)["BIN"]
    assert api.get(f"/v3/stock/{bin_uuid}").json() == []
    assert "link" not in api.get(f"/v3/stock/{bin_uuid}").headers


def test_per_product_reads(api: httpx.Client, session_shop: Shop) -> None:
    store = _inventories(api)["STORE"]
    product = session_shop.multi_variant_tracked()
    answer = api.get(f"/v3/stock/{store}/products/{product}")
    assert answer.status_code == 200
    assert {r["variantUuid"] for r in answer.json()} <= set(session_shop.variants(product))
    assert all(r["productUuid"] == product for r in answer.json())
    untracked = session_shop.untracked()[0]
    assert api.get(f"/v3/stock/{store}/products/{untracked}").json() == []
    assert api.get(f"/v3/stock/{store}/products/{uuid.uuid1()}").status_code == 404
    assert api.get(f"/v3/stock/{uuid.uuid1()}/products/{product}").status_code == 404
    several = api.post(f"/v3/stock/{store}/products", json=[product, untracked, product])
    assert several.status_code == 200 and several.json() == answer.json()
    legacy = api.post(f"/v3/stock/{store}/products", json={"productUuids": [product]})
    assert legacy.json() == answer.json()
    assert api.post(f"/v3/stock/{store}/products", json=["nope"]).status_code == 400
    assert api.post(f"/v3/stock/{store}/products", json=[product] * 1001).status_code == 400


def test_paths_v3_does_not_have(api: httpx.Client) -> None:
    assert api.get("/v3/locations").status_code == 404
    assert api.get("/V3/inventories").status_code == 404
    assert api.get("/v3/history").status_code == 404
    assert api.delete("/v3/movements").status_code == 405


def test_auth_is_v1s(sandbox: SandboxInfo) -> None:
    assert httpx.get(f"{sandbox.url}/v3/stock").status_code == 401
    bad = httpx.get(f"{sandbox.url}/v3/stock", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    key = httpx.post(f"{sandbox.url}/sandbox/keys", json={"scopes": ["READ:PRODUCT"]}).json()
    with authed_client(sandbox, key["api_key"]) as reader:
        assert reader.get("/v3/stock").status_code == 200
        assert reader.post("/v3/movements", json={"movements": []}).status_code == 403
        assert reader.post("/v3/inventories", json={"name": "x"}).status_code == 403


def test_create_store_inventory(fresh) -> None:
    info, client, shop = fresh
    answer = client.post("/v3/inventories", json={"name": " Back room ", "description": "B"})
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["inventoryType"] == "STORE" and created["defaultInventory"] is False
    assert created["name"] == "Back room" and created["description"] == "B"
    assert answer.headers["location"] == f"{info.url}/v3/inventories/{created['inventoryUuid']}"
    assert client.get(answer.headers["location"]).json() == created
    listed = client.get("/v3/inventories").json()
    assert listed[-1] == created and len(listed) == 5
    # v1 still knows one STORE: the default.
    v1 = client.get("/organizations/self/locations").json()
    assert len(v1) == 4 and created["inventoryUuid"] not in {loc["uuid"] for loc in v1}
    for bad in ({}, {"name": ""}, {"name": "  "}, {"name": "x" * 256}, {"name": 5}, []):
        assert client.post("/v3/inventories", json=bad).status_code == 400, bad
    # Stock can be moved into it and shows in /v3/stock beside the default STORE.
    inventories = _inventories(client)
    product = shop.tracked[0]
    variant = shop.variants(product)[0]
    moved = client.post(
        "/v3/movements",
        json={
            "movements": [
                {
                    "productUuid": product,
                    "variantUuid": variant,
                    "from": inventories["STORE"],
                    "to": created["inventoryUuid"],
                    "change": 2,
                }
            ]
        },
    )
    assert moved.status_code == 204 and moved.content == b""
    rows, _ = read_all(client, "/v3/stock", limit=1000)
    extra = [r for r in rows if r["inventoryUuid"] == created["inventoryUuid"]]
    assert [(r["variantUuid"], r["balance"]) for r in extra] == [(variant, 2)]
    only = client.get("/v3/stock", params={"inventoryUuid": created["inventoryUuid"]}).json()
    assert only == extra


def _v3_move(client: httpx.Client, moves: list[tuple[str, str, str, str, int]], **extra) -> int:
    inventories = _inventories(client)
    body = {
        "movements": [
            {
                "productUuid": p,
                "variantUuid": v,
                "from": inventories[a],
                "to": inventories[b],
                "change": n,
            }
            for p, v, a, b, n in moves
        ],
        **extra,
    }
    return client.post("/v3/movements", json=body).status_code


def test_v1_and_v3_agree_whichever_moved(fresh) -> None:
    info, client, shop = fresh
    assert v3_store_balances(client) == v1_store_balances(client)
    product = shop.multi_variant_tracked()
    first, second = shop.variants(product)[:2]
    assert (
        _v3_move(
            client,
            [(product, first, "SUPPLIER", "STORE", 5), (product, second, "STORE", "SOLD", 1)],
        )
        == 204
    )
    assert v3_store_balances(client) == v1_store_balances(client)
    v1_put = client.put(
        "/organizations/self/inventory",
        json={
            "changes": [
                {
                    "productUuid": product,
                    "variantUuid": first,
                    "fromLocationUuid": shop.locations["STORE"],
                    "toLocationUuid": shop.locations["BIN"],
                    "change": 2,
                }
            ]
        },
    )
    assert v1_put.status_code == 200
    assert v3_store_balances(client) == v1_store_balances(client)
    httpx.post(f"{info.url}/sandbox/sales", json={"count": 5})
    assert v3_store_balances(client) == v1_store_balances(client)
    # Virtual inventories hold signed running balances in both.
    bin_v3 = {
        r["variantUuid"]: r["balance"]
        for r in client.get(f"/v3/stock/{_inventories(client)['BIN']}").json()
    }
    bin_v1 = client.get(f"/organizations/self/inventory/locations/{shop.locations['BIN']}").json()
    assert bin_v3 == {r["variantUuid"]: int(r["balance"]) for r in bin_v1["variants"]}


def test_movements_are_validated_whole_and_applied_all_or_nothing(fresh) -> None:
    _info, client, shop = fresh
    before = v3_store_balances(client)
    product = shop.tracked[0]
    variant = shop.variants(product)[0]
    untracked = shop.untracked()[0]
    bad_batch = [
        (product, variant, "SUPPLIER", "STORE", 4),
        (untracked, shop.variants(untracked)[0], "SUPPLIER", "STORE", 1),
    ]
    answer = client.post(
        "/v3/movements",
        json={
            "movements": [
                {
                    "productUuid": p,
                    "variantUuid": v,
                    "from": _inventories(client)[a],
                    "to": _inventories(client)[b],
                    "change": n,
                }
                for p, v, a, b, n in bad_batch
            ]
        },
    )
    assert answer.status_code == 400
    assert answer.json()["errorType"] == "PRODUCT_NOT_TRACKED"
    assert answer.json()["violations"][0]["propertyName"] == "movements[1].productUuid"
    assert v3_store_balances(client) == before
    assert _v3_move(client, [(product, variant, "STORE", "STORE", 1)]) == 400
    assert client.post("/v3/movements", json={"movements": []}).status_code == 400
    assert client.post("/v3/movements", json={}).status_code == 400
    assert client.post("/v3/movements", json=[]).status_code == 400
    assert (
        _v3_move(client, [(product, variant, "SUPPLIER", "STORE", 1)], identifier="not-a-uuid")
        == 400
    )
    assert v3_store_balances(client) == before


def test_tracking_enable_disable_status(fresh) -> None:
    _info, client, shop = fresh
    product = shop.tracked[0]
    untracked = shop.untracked()[0]
    unknown = str(uuid.uuid1())
    status = client.post("/v3/products/status", json=[product, untracked, unknown, product])
    assert status.json() == [
        {"productUuid": product, "enabled": True},
        {"productUuid": untracked, "enabled": False},
        {"productUuid": unknown, "enabled": False},
    ]
    store = _inventories(client)["STORE"]
    rows_before = client.get(f"/v3/stock/{store}/products/{product}").json()
    answer = client.post(
        "/v3/products",
        json=[
            {"productUuid": product, "tracking": "disable"},
            {"productUuid": untracked, "tracking": "enable"},
            {"productUuid": unknown, "tracking": "enable"},
        ],
    )
    assert answer.status_code == 204 and answer.content == b""
    assert [
        s["enabled"]
        for s in client.post("/v3/products/status", json=[product, untracked, unknown]).json()
    ] == [False, True, False]
    assert client.get(f"/v3/stock/{store}/products/{product}").json() == []
    assert product not in client.get("/organizations/self/inventory").json()["trackedProducts"]
    tracked, _ = read_all(client, "/v3/products")
    assert {"productUuid": untracked, "enabled": True} in tracked
    assert all(t["productUuid"] != product for t in tracked)
    client.post("/v3/products", json=[{"productUuid": product, "tracking": "enable"}] * 2)
    again = client.get(f"/v3/stock/{store}/products/{product}").json()
    assert [(r["variantUuid"], r["balance"]) for r in again] == [
        (r["variantUuid"], r["balance"]) for r in rows_before
    ]
    for bad in (
        [{"productUuid": product, "tracking": "maybe"}],
        [{"tracking": "enable"}],
        {"productUuid": product},
        ["x"],
    ):
        assert client.post("/v3/products", json=bad).status_code == 400, bad
    updates = client.get("/v3/products/updates", params={"ts": "2000-01-01T00:00:00Z"}).json()
    assert {u["productUuid"]: u["enabled"] for u in updates}[product] is True
    assert all(UPDATED.match(u["updated"]) for u in updates)


def test_custom_low_stock_is_a_flat_list_read_back_on_stock_rows(fresh) -> None:
    _info, client, shop = fresh
    inventories = _inventories(client)
    product = shop.multi_variant_tracked()
    first, second = shop.variants(product)[:2]
    setting = [
        {
            "inventoryUuid": inventories["STORE"],
            "productUuid": product,
            "variantUuid": first,
            "lowStockLevel": 7,
            "lowStockAlert": True,
        },
        {
            "inventoryUuid": inventories["STORE"],
            "productUuid": product,
            "variantUuid": second,
            "lowStockLevel": "3",
        },
    ]
    answer = client.post("/v3/custom-low-stock", json=setting)
    assert answer.status_code == 204 and answer.content == b""
    rows = {
        r["variantUuid"]: r
        for r in client.get(f"/v3/stock/{inventories['STORE']}/products/{product}").json()
    }
    assert (rows[first]["lowStockLevel"], rows[first]["lowStockAlert"]) == (7, True)
    assert (rows[second]["lowStockLevel"], rows[second]["lowStockAlert"]) == (3, False)
    v1 = client.get(f"/custom-low-stock/v2/locations/{shop.locations['STORE']}/products/{product}")
    assert {
        v["variantUuid"]: v["customLowStockLevel"]
        for v in v1.json()["customLowStockLevelForVariants"]
    }[first] == 7.0
    cleared = client.post("/v3/custom-low-stock", json=[{**setting[0], "lowStockLevel": 0}])
    assert cleared.status_code == 204
    row = next(
        r
        for r in client.get(f"/v3/stock/{inventories['STORE']}/products/{product}").json()
        if r["variantUuid"] == first
    )
    assert (row["lowStockLevel"], row["lowStockAlert"]) == (None, True)
    assert row["updated"] >= rows[first]["updated"] and row["checksum"] != rows[first]["checksum"]
    for bad in (
        [{**setting[0], "inventoryUuid": str(uuid.uuid1())}],
        [{**setting[0], "variantUuid": shop.variants(shop.tracked[1])[0]}],
        [{**setting[0], "lowStockLevel": -1}],
        [{**setting[0], "lowStockLevel": 1.5}],
        [{**setting[0], "lowStockLevel": "1e3"}],
        setting[0],
    ):
        assert client.post("/v3/custom-low-stock", json=bad).status_code == 400, bad


def test_updated_is_milliseconds_utc(api: httpx.Client) -> None:
    row = api.get("/v3/stock", params={"limit": 1}).json()[0]
    parsed = datetime.fromisoformat(row["updated"])
    assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0


def test_page_cap_makes_pages_smaller_than_asked(sandbox_factory) -> None:
    info = sandbox_factory(products=20, seed=2)
    with authed_client(info) as client:
        everything, pages = read_all(client, "/v3/stock", limit=1000)
        assert pages == 1
        answer = httpx.post(f"{info.url}/sandbox/faults", json={"page_cap": 2})
        assert answer.json()["page_cap"] == 2
        first = client.get("/v3/stock", params={"limit": 1000})
        assert len(first.json()) == 2
        assert dict(parse_qsl(urlsplit(next_url(first) or "").query))["limit"] == "1000"
        capped, pages = read_all(client, "/v3/stock", limit=1000)
        assert capped == everything and pages == -(-len(everything) // 2)
        inventories, _ = read_all(client, "/v3/inventories")
        assert len(inventories) == 4
        for bad in (0, 1001, "x"):
            assert httpx.post(f"{info.url}/sandbox/faults", json={"page_cap": bad}).is_error


def test_knobs_for_the_other_answers_the_reference_leaves_open(fresh) -> None:
    info, client, shop = fresh
    store = _inventories(client)["STORE"]
    product = shop.multi_variant_tracked()
    variant = shop.variants(product)[0]
    row = next(
        r
        for r in client.get(f"/v3/stock/{store}/products/{product}").json()
        if r["variantUuid"] == variant
    )
    assert _v3_move(client, [(product, variant, "STORE", "SOLD", row["balance"])]) == 204
    zero = [r for r in read_all(client, "/v3/stock", limit=1000)[0] if r["variantUuid"] == variant]
    assert [r["balance"] for r in zero] == [0]
    httpx.post(f"{info.url}/sandbox/faults", json={"omit_zero_rows": True})
    rows, _ = read_all(client, "/v3/stock", limit=1000)
    assert rows and all(r["balance"] != 0 for r in rows)
    assert variant not in {r["variantUuid"] for r in client.get(f"/v3/stock/{store}").json()}
    updates = client.get("/v3/stock/updates", params={"ts": "2000-01-01T00:00:00Z", "limit": 1000})
    assert variant in {r["variantUuid"] for r in updates.json()}  # the feed keeps zeros
    untracked = shop.untracked()[0]
    assert client.get(f"/v3/stock/{store}/products/{untracked}").json() == []
    httpx.post(f"{info.url}/sandbox/faults", json={"untracked_read_error": True})
    refused = client.get(f"/v3/stock/{store}/products/{untracked}")
    assert refused.status_code == 400 and refused.json()["errorType"] == "PRODUCT_NOT_TRACKED"
    assert client.get(f"/v3/stock/{store}/products/{product}").status_code == 200
