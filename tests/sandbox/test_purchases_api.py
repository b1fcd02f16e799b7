"""The sandbox's Purchase API v2 (raw HTTP): receipts from the ledger, paging, refunds, history."""

from __future__ import annotations

import base64
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.sandbox.raw_http import authed_client, read_shop
from zinv_tui.sandbox.demo_data import generate_shop
from zinv_tui.sandbox.history import SHOP_ZONE, without_opening_balances, write_history
from zinv_tui.sandbox.inventory import Inventory
from zinv_tui.sandbox.purchases import PurchaseBook
from zinv_tui.sandbox.store import LedgerStore

pytestmark = pytest.mark.timeout(120)


def _all(client: httpx.Client, **params) -> list[dict]:
    found, query = [], {"limit": 1000, **params}
    while True:
        page = client.get("/purchases/v2", params=query).json()
        if not page["purchases"]:
            return found
        found += page["purchases"]
        query["lastPurchaseHash"] = page["lastPurchaseHash"]


def _variant_with_stock(client: httpx.Client) -> tuple[str, str]:
    status = client.get("/organizations/self/inventory").json()
    line = max(status["variants"], key=lambda item: int(item["balance"]))
    return line["productUuid"], line["variantUuid"]


def test_every_pos_sale_is_a_purchase_in_the_same_ledger(sandbox_factory) -> None:
    info = sandbox_factory(products=40)
    with authed_client(info) as client:
        product, variant = _variant_with_stock(client)
        catalogue = {p["uuid"]: p for p in client.get("/organizations/self/products/v2").json()}
        sale = httpx.post(
            f"{info.url}/sandbox/sales", json={"variantUuid": variant, "quantity": 2}
        ).json()
        (purchase,) = _all(client)
    (row,) = purchase["products"]
    wire_variant = next(v for v in catalogue[product]["variants"] if v["uuid"] == variant)
    assert row["quantity"] == "2" and isinstance(row["quantity"], str)
    assert (row["productUuid"], row["variantUuid"], row["type"]) == (product, variant, "PRODUCT")
    assert row["unitPrice"] == wire_variant["price"]["amount"]
    assert row["name"] == catalogue[product]["name"]
    assert row["sku"] == wire_variant["sku"] and row.get("barcode") == wire_variant.get("barcode")
    assert purchase["amount"] == 2 * row["unitPrice"] and purchase["refund"] is False
    ledger = httpx.get(f"{info.url}/sandbox/ledger").json()
    assert [m for m in ledger if m["source"] == "pos"] == [
        next(m for m in ledger if m["seq"] == sale["sales"][0]["seq"])
    ]
    # the deprecated twin is the same 16 bytes, and the hash is created-ms + that twin
    short = purchase["purchaseUUID"]
    assert uuid.UUID(bytes=base64.urlsafe_b64decode(short + "==")) == uuid.UUID(
        purchase["purchaseUUID1"]
    )


def test_paging_cursor_is_exclusive_and_the_next_link_repeats_the_query(sandbox_factory) -> None:
    info = sandbox_factory(products=30, history_days=3)
    with authed_client(info) as client:
        everything = _all(client)
        start = "2000-01-01"
        first = client.get("/purchases/v2", params={"startDate": start, "limit": 5}).json()
        assert len(first["purchases"]) == 5
        last_hash = first["lastPurchaseHash"]
        assert len(last_hash) == 35 and last_hash[:13].isdigit()
        assert last_hash[13:] == first["purchases"][-1]["purchaseUUID"]
        (link,) = first["linkUrls"]
        assert link.endswith('>; rel="next"')
        query = parse_qsl(urlsplit(link[1 : link.index(">")]).query)
        assert query == [("startDate", start), ("limit", "5"), ("lastPurchaseHash", last_hash)]
        second = client.get(link[1 : link.index(">")]).json()
        assert {p["purchaseUUID1"] for p in second["purchases"]}.isdisjoint(
            p["purchaseUUID1"] for p in first["purchases"]
        )
        assert [p["purchaseUUID1"] for p in first["purchases"] + second["purchases"]] == [
            p["purchaseUUID1"] for p in everything[:10]
        ]
        newest = client.get("/purchases/v2", params={"limit": 3, "descending": "true"}).json()
        assert [p["purchaseUUID1"] for p in newest["purchases"]] == [
            p["purchaseUUID1"] for p in everything[::-1][:3]
        ]
        after_last = {"limit": 5, "lastPurchaseHash": _hash(everything[-1])}
        assert client.get("/purchases/v2", params=after_last).json() == {
            "purchases": [],
            "linkUrls": [],
        }


def _hash(purchase: dict) -> str:
    created = datetime.fromisoformat(purchase["created"])
    return f"{int(created.timestamp() * 1000):013d}{purchase['purchaseUUID']}"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"startDate": "yesterday"}, 400),
        ({"endDate": "2026-13-01"}, 400),
        ({"limit": "0"}, 400),
        ({"limit": "1001"}, 400),
        ({"limit": "ten"}, 400),
        ({"descending": "maybe"}, 400),
        ({"lastPurchaseHash": "abc"}, 400),
        ({"startDate": "2026-01-01T10:30", "limit": "1"}, 200),
        ({"startDate": "2026-01-01T10:30:00.000Z", "limit": "1"}, 200),
        ({"startDate": "2026-01-01T10:30:00+0000", "limit": "1"}, 200),
    ],
)
def test_parameters_are_checked(sandbox, params, status) -> None:
    with authed_client(sandbox) as client:
        answer = client.get("/purchases/v2", params=params)
    assert answer.status_code == status, answer.text
    if status == 400:
        assert answer.json()["errorType"] == "INVALID_PARAMETER"


def test_a_reversed_window_is_an_empty_page_and_limit_can_clamp(sandbox_factory) -> None:
    info = sandbox_factory(products=30, history_days=2)
    with authed_client(info) as client:
        reversed_window = client.get(
            "/purchases/v2", params={"startDate": "2026-02-01", "endDate": "2026-01-01"}
        )
        assert reversed_window.json() == {"purchases": [], "linkUrls": []}
        httpx.post(f"{info.url}/sandbox/purchases/settings", json={"limit_policy": "clamp"})
        clamped = client.get("/purchases/v2", params={"limit": "5000"})
        assert clamped.status_code == 200
        assert len(clamped.json()["purchases"]) == min(1000, len(_all(client)))
        no_limit = client.get("/purchases/v2").json()["purchases"]
        assert len(no_limit) == len(_all(client))


def test_single_fetch_takes_either_id_and_answers_404(sandbox_factory) -> None:
    info = sandbox_factory(products=30, history_days=1)
    with authed_client(info) as client:
        purchase = _all(client)[0]
        by_uuid = client.get(f"/purchase/v2/{purchase['purchaseUUID1'].upper()}").json()
        by_short = client.get(f"/purchase/v2/{purchase['purchaseUUID']}").json()
        assert by_uuid == by_short == purchase
        missing = client.get(f"/purchase/v2/{uuid.uuid4()}")
        assert missing.status_code == 404
        assert missing.json()["developerMessage"] == "Purchase not found"


def test_refunds_are_their_own_purchases_and_mark_the_original(sandbox_factory) -> None:
    info = sandbox_factory(products=40)
    with authed_client(info) as client:
        _, variant = _variant_with_stock(client)
        made = httpx.post(
            f"{info.url}/sandbox/purchases",
            json={"lines": [{"variantUuid": variant, "quantity": 3}], "customAmount": 500},
        ).json()
        refund = httpx.post(
            f"{info.url}/sandbox/purchases/refund",
            json={"purchaseUuid": made["purchaseUUID1"], "lines": {variant: 1}},
        ).json()
        too_many = httpx.post(
            f"{info.url}/sandbox/purchases/refund",
            json={"purchaseUuid": made["purchaseUUID1"], "lines": {variant: 3}},
        )
        original = client.get(f"/purchase/v2/{made['purchaseUUID1']}").json()
    assert refund["refund"] is True and refund["amount"] < 0
    assert refund["refundsPurchaseUUID1"] == made["purchaseUUID1"]
    (row,) = refund["products"]
    assert row["quantity"] == "-1" and row["unitPrice"] > 0 and row["variantUuid"] == variant
    assert original["refunded"] is True
    assert original["refundedByPurchaseUUIDs1"] == [refund["purchaseUUID1"]]
    assert too_many.status_code == 400  # only 2 are left to refund
    custom = [p for p in made["products"] if p["type"] == "CUSTOM_AMOUNT"]
    assert custom and "productUuid" not in custom[0] and made["customAmountSale"] is True


def test_a_refund_returns_nothing_to_stock_unless_asked(sandbox_factory) -> None:
    info = sandbox_factory(products=40)
    with authed_client(info) as client:
        _, variant = _variant_with_stock(client)
        made = httpx.post(
            f"{info.url}/sandbox/purchases",
            json={"lines": [{"variantUuid": variant, "quantity": 2}]},
        ).json()
        before = len(httpx.get(f"{info.url}/sandbox/ledger").json())
        httpx.post(
            f"{info.url}/sandbox/purchases/refund",
            json={"purchaseUuid": made["purchaseUUID1"], "lines": {variant: 1}},
        ).raise_for_status()
        assert len(httpx.get(f"{info.url}/sandbox/ledger").json()) == before
        httpx.post(
            f"{info.url}/sandbox/purchases/refund",
            json={"purchaseUuid": made["purchaseUUID1"], "returnToStock": True},
        ).raise_for_status()
        (back,) = httpx.get(f"{info.url}/sandbox/ledger").json()[before:]
        shop = read_shop(client)
    assert (back["fromLocationUuid"], back["toLocationUuid"]) == (
        shop.locations["SOLD"],
        shop.locations["STORE"],
    )
    assert back["change"] == 1 and back["variantUuid"] == variant


# -- generated history ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def history_shop():
    from zinv_tui.sandbox.server import SandboxConfig, SandboxServer

    with SandboxServer(SandboxConfig(products=80, history_days=35)) as info:
        with authed_client(info) as client:
            purchases = _all(client)
            shop = read_shop(client)
        ledger = httpx.get(f"{info.url}/sandbox/ledger", timeout=30).json()
        yield info, purchases, shop, ledger


def test_history_sales_moved_the_stock_they_sold(history_shop) -> None:
    _, purchases, shop, ledger = history_shop
    store, sold = shop.locations["STORE"], shop.locations["SOLD"]
    receipts: Counter[str] = Counter()
    for purchase in purchases:
        if not purchase["refund"]:
            for row in purchase["products"]:
                if row["type"] == "PRODUCT":
                    receipts[row["variantUuid"]] += int(row["quantity"])
    moved: Counter[str] = Counter()
    balance: Counter[str] = Counter()
    for move in sorted(ledger, key=lambda m: (m["created"], m["seq"])):
        if move["fromLocationUuid"] == store:
            balance[move["variantUuid"]] -= move["change"]
            assert balance[move["variantUuid"]] >= 0, move  # nothing is sold below zero
        if move["toLocationUuid"] == store:
            balance[move["variantUuid"]] += move["change"]
        if move["fromLocationUuid"] == store and move["toLocationUuid"] == sold:
            moved[move["variantUuid"]] += move["change"]
    assert receipts == moved and sum(receipts.values()) > 1000
    assert [m["seq"] for m in ledger] == sorted(m["seq"] for m in ledger)
    assert [m["created"] for m in ledger] == sorted(m["created"] for m in ledger)


def test_history_looks_like_a_cafe(history_shop) -> None:
    _, purchases, _, _ = history_shop
    zone = ZoneInfo(SHOP_ZONE)
    sales = [p for p in purchases if not p["refund"]]
    local = [datetime.fromisoformat(p["timestamp"]).astimezone(zone) for p in sales]
    assert all(7 <= moment.hour < 18 for moment in local)
    by_hour = Counter(moment.hour for moment in local if moment.weekday() < 5)
    assert by_hour[8] + by_hour[9] > 2 * (by_hour[15] + by_hour[16])  # the morning rush
    per_day = Counter(moment.date() for moment in local)
    saturdays = [n for day, n in per_day.items() if day.weekday() == 5]
    tuesdays = [n for day, n in per_day.items() if day.weekday() == 1]
    assert sum(saturdays) / len(saturdays) > 1.2 * sum(tuesdays) / len(tuesdays)
    today = datetime.now(zone).date()
    assert (today - timedelta(days=10)) not in per_day  # closed for staff training
    refunds = [p for p in purchases if p["refund"]]
    assert refunds and all(p["refundsPurchaseUUID1"] for p in refunds)
    rows = [row["type"] for p in sales for row in p["products"]]
    assert "CUSTOM_AMOUNT" in rows and "GIFTCARD" in rows
    late = [p for p in sales if p["created"] != p["timestamp"]]
    assert len(late) == 1


def test_history_has_stock_outs_some_of_them_now(history_shop) -> None:
    info, _, shop, ledger = history_shop
    store = shop.locations["STORE"]
    zone = ZoneInfo(SHOP_ZONE)
    balance: Counter[str] = Counter()
    zero_days: dict[str, set] = defaultdict(set)
    for move in sorted(ledger, key=lambda m: (m["created"], m["seq"])):
        variant = move["variantUuid"]
        change = move["change"] * (
            (move["toLocationUuid"] == store) - (move["fromLocationUuid"] == store)
        )
        balance[variant] += change
        if balance[variant] == 0 and change < 0:
            zero_days[variant].add(datetime.fromisoformat(move["created"]).astimezone(zone).date())
    assert len(zero_days) >= 5
    with authed_client(info) as client:
        status = client.get("/organizations/self/inventory").json()
    in_stock = {line["variantUuid"] for line in status["variants"] if int(line["balance"]) > 0}
    out_now = [variant for variant in zero_days if variant not in in_stock]
    assert out_now  # the case a naive average gets wrong


def test_history_is_the_same_for_the_same_seed_and_moment() -> None:
    now = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)

    def generate() -> list[tuple]:
        store = LedgerStore()
        shop = generate_shop(30, 4)
        store.load_shop(without_opening_balances(shop), 30)
        inventory = Inventory(store)
        book = PurchaseBook(
            store,
            inventory.store_location.uuid,
            inventory.location_of_type("SOLD").uuid,
            shop.organization_uuid,
        )
        write_history(store, book, shop, 14, seed=4, now=now)
        rows = book.select(
            start_ms=0, end_ms=None, after=None, inclusive_cursor=False, descending=False,
            limit=None,
        )  # fmt: skip
        return [(p["purchaseUUID1"], p["timestamp"], p["amount"]) for p in rows]

    first = generate()
    assert first == generate() and len(first) > 300
    assert max(p[1] for p in first) < "2026-03-18T15:30"
