"""``GET /v3/stock/updates?ts=``: rows changed strictly after ``ts`` as ``updated`` shows it (to the
millisecond), zero balances included, paged with ``ts`` kept in the ``Link``; ``ts`` as ISO-8601
(``Z``, an offset, naive, any precision) or epoch milliseconds; nonsense refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.sandbox.raw_http import Shop, authed_client, read_shop
from tests.sandbox.v3_http import next_url, read_all
from zinv_tui.sandbox.server import SandboxInfo

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def fresh(sandbox_factory) -> Iterator[tuple[SandboxInfo, httpx.Client, Shop]]:
    info = sandbox_factory(products=40, seed=11)
    with authed_client(info) as client:
        yield info, client, read_shop(client)


def _inventories(client: httpx.Client) -> dict[str, str]:
    listed = client.get("/v3/inventories").json()
    return {i["inventoryType"]: i["inventoryUuid"] for i in listed[:4]}


def _move(client: httpx.Client, product: str, variant: str, source: str, target: str, n: int):
    places = _inventories(client)
    answer = client.post(
        "/v3/movements",
        json={
            "movements": [
                {
                    "productUuid": product,
                    "variantUuid": variant,
                    "from": places[source],
                    "to": places[target],
                    "change": n,
                }
            ]
        },
    )
    assert answer.status_code == 204, answer.text


def _updates(client: httpx.Client, ts: str, **params: object) -> list[dict]:
    rows, _ = read_all(client, "/v3/stock/updates", ts=ts, **params)
    return rows


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def test_strictly_after_at_millisecond_precision_zero_balances_included(fresh) -> None:
    _info, client, shop = fresh
    everything, _ = read_all(client, "/v3/stock", limit=1000)
    newest = max(row["updated"] for row in everything)
    assert _updates(client, newest) == []  # nothing changed after the newest row
    product = shop.tracked[0]
    variant = shop.variants(product)[0]
    row = next(r for r in everything if r["variantUuid"] == variant)
    _move(client, product, variant, "STORE", "SOLD", row["balance"])  # sold out
    changed = _updates(client, newest)
    assert [(r["variantUuid"], r["balance"]) for r in changed] == [(variant, 0)]
    assert changed[0]["inventoryUuid"] == _inventories(client)["STORE"]  # STORE-type only
    stamp = changed[0]["updated"]
    moment = _at(stamp)
    assert _updates(client, stamp) == []  # equal is not after
    assert _updates(client, stamp[:-1] + "999Z") == []  # finer than ms: cut to ms, equal
    assert _updates(client, stamp[:-1] + "999999+00:00") == []
    earlier = _iso(moment - timedelta(milliseconds=1))
    assert [r["variantUuid"] for r in _updates(client, earlier)] == [variant]
    assert [r["variantUuid"] for r in _updates(client, earlier[:-1] + "999Z")] == [variant]
    epoch_ms = int(moment.timestamp() * 1000)
    assert _updates(client, str(epoch_ms)) == []
    assert [r["variantUuid"] for r in _updates(client, str(epoch_ms - 1))] == [variant]
    offset = (moment - timedelta(milliseconds=1)).astimezone(timezone_plus_two())
    assert [r["variantUuid"] for r in _updates(client, offset.isoformat())] == [variant]
    naive = (moment - timedelta(milliseconds=1)).replace(tzinfo=None).isoformat()
    assert [r["variantUuid"] for r in _updates(client, naive)] == [variant]
    # The zero balance is a row of the full read too (it moved once), not of v1's full read.
    rows, _ = read_all(client, "/v3/stock", limit=1000)
    assert next(r for r in rows if r["variantUuid"] == variant)["balance"] == 0
    v1 = client.get("/organizations/self/inventory").json()["variants"]
    assert variant not in {v["variantUuid"] for v in v1}


def timezone_plus_two():
    from datetime import timezone

    return timezone(timedelta(hours=2))


def test_updates_page_in_updated_order_with_ts_kept_in_the_link(fresh) -> None:
    _info, client, shop = fresh
    everything, _ = read_all(client, "/v3/stock", limit=1000)
    since = max(row["updated"] for row in everything)
    moved = []
    for product in shop.tracked[:4]:
        for variant in shop.variants(product)[:2]:
            _move(client, product, variant, "SUPPLIER", "STORE", 1)
            moved.append(variant)
    first = client.get("/v3/stock/updates", params={"ts": since, "limit": 3})
    url = next_url(first)
    assert url is not None
    query = parse_qsl(urlsplit(url).query)
    assert [k for k, _ in query] == ["cursor", "limit", "ts"]
    assert query[1][1] == "3" and query[2][1] == since
    rows, pages = read_all(client, "/v3/stock/updates", ts=since, limit=3)
    assert pages == -(-len(moved) // 3)
    assert sorted(r["variantUuid"] for r in rows) == sorted(moved)
    keys = [(r["updated"], r["inventoryUuid"], r["variantUuid"]) for r in rows]
    assert keys == sorted(keys)
    # Without ts: every row (the whole STORE), same as the full read, in updated order.
    all_rows, _ = read_all(client, "/v3/stock/updates", limit=1000)
    full, _ = read_all(client, "/v3/stock", limit=1000)
    assert sorted(r["variantUuid"] for r in all_rows) == sorted(r["variantUuid"] for r in full)
    # A filter by inventory: SUPPLIER rows moved too.
    supplier = _inventories(client)["SUPPLIER"]
    from_supplier = _updates(client, since, inventoryUuid=supplier)
    assert sorted(r["variantUuid"] for r in from_supplier) == sorted(moved)
    assert all(r["balance"] < 0 for r in from_supplier)
    same = _updates(client, since, **{"inventoryUuid[]": supplier})
    assert same == from_supplier


def test_a_product_tracked_again_shows_in_the_updates(fresh) -> None:
    _info, client, shop = fresh
    product = shop.tracked[0]
    everything, _ = read_all(client, "/v3/stock", limit=1000)
    since = max(row["updated"] for row in everything)
    client.post("/v3/products", json=[{"productUuid": product, "tracking": "disable"}])
    assert _updates(client, since) == []
    client.post("/v3/products", json=[{"productUuid": product, "tracking": "enable"}])
    again = _updates(client, since)
    assert {r["productUuid"] for r in again} == {product}
    assert sorted(r["variantUuid"] for r in again) == sorted(
        r["variantUuid"] for r in everything if r["productUuid"] == product
    )


@pytest.mark.parametrize(
    "ts",
    [
        "yesterday",
        "",
        "2026-13-01T00:00:00Z",
        "1e12",
        "9" * 16,
        "٢٠٢٦-01-01",
        "x" * 65,
        "2026-01-01T00:00:00Z" + " " * 60,
    ],
)
def test_bad_ts_is_a_400(api: httpx.Client, ts: str) -> None:
    answer = api.get("/v3/stock/updates", params={"ts": ts})
    assert answer.status_code == 400, answer.text
    assert answer.json()["violations"][0]["propertyName"] == "ts"


def test_bad_inventory_filters_are_400s(api: httpx.Client) -> None:
    assert api.get("/v3/stock/updates", params={"inventoryUuid": "x"}).status_code == 400
    unknown = "6b1a0a4e-0000-11ef-8000-000000000000"
    assert api.get("/v3/stock/updates", params={"inventoryUuid": unknown}).status_code == 400


def test_the_feed_seeks_into_the_updated_index() -> None:
    """Each page starts where the last ended (no walk over earlier rows, no sort of a whole
    inventory): what keeps an idle poll and every page cheap at 50,000 variants."""
    from zinv_tui.sandbox.demo_data import generate_shop
    from zinv_tui.sandbox.store import LedgerStore

    store = LedgerStore(None)
    store.load_shop(generate_shop(30, 1), 30)
    stores = [uuid for uuid, kind, *_ in store.locations() if kind == "STORE"]
    seen: list[str] = []
    store.connection.set_trace_callback(seen.append)
    store.stock_updates(stores, ("2026-01-01T00:00:00.000Z", "a", "b"), 101)
    store.connection.set_trace_callback(None)
    plan = " | ".join(row[3] for row in store.connection.execute(f"EXPLAIN QUERY PLAN {seen[-1]}"))
    assert "INDEX balances_updated ((updated,location_uuid,variant_uuid)>" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
    store.close()
