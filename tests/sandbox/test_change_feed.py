"""The ``since`` / ``latest`` change feed: integer cursors, zero balances, tracking changes,
the ``untrackedProducts`` extension, ISO-8601 date-times, and tiny idle answers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from tests.sandbox.raw_http import Shop, authed_client, read_shop
from zinv_tui.sandbox.server import SandboxInfo

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def fresh(sandbox_factory) -> Iterator[tuple[SandboxInfo, httpx.Client, Shop]]:
    info = sandbox_factory(products=40, seed=9)
    with authed_client(info) as client:
        yield info, client, read_shop(client)


def _move(client: httpx.Client, shop: Shop, product: str, variant: str, n: int, to: str) -> None:
    source, target = ("SUPPLIER", "STORE") if to == "STORE" else ("STORE", to)
    answer = client.put(
        "/organizations/self/inventory",
        json={
            "changes": [
                {
                    "productUuid": product,
                    "variantUuid": variant,
                    "fromLocationUuid": shop.locations[source],
                    "toLocationUuid": shop.locations[target],
                    "change": n,
                }
            ]
        },
    )
    assert answer.status_code == 200, answer.text


def test_latest_is_an_integer_cursor_usable_as_since(fresh) -> None:
    _, client, shop = fresh
    full = client.get("/organizations/self/inventory").json()
    assert isinstance(full["latest"], int)
    assert "untrackedProducts" not in full
    idle = client.get(f"/organizations/self/inventory?since={full['latest']}")
    assert idle.status_code == 200
    assert idle.json() == {
        "locationUuid": shop.locations["STORE"],
        "trackedProducts": [],
        "variants": [],
        "latest": full["latest"],
        "untrackedProducts": [],
    }
    assert len(idle.content) < 300
    assert client.get(f"/inventory?since={full['latest']}").json() == idle.json()


def test_since_returns_only_changes_including_zero_balances(fresh) -> None:
    _, client, shop = fresh
    full = client.get("/inventory").json()
    row = full["variants"][0]
    product, variant, balance = row["productUuid"], row["variantUuid"], int(row["balance"])
    _move(client, shop, product, variant, balance, "BIN")  # empty it: balance 0
    changed = client.get(f"/inventory?since={full['latest']}").json()
    assert changed["variants"] == [
        {
            "locationUuid": shop.locations["STORE"],
            "locationType": "STORE",
            "productUuid": product,
            "variantUuid": variant,
            "balance": "0",
        }
    ]
    assert changed["trackedProducts"] == []
    assert changed["latest"] > full["latest"]
    after_full = client.get("/inventory").json()
    assert variant not in {v["variantUuid"] for v in after_full["variants"]}
    assert client.get(f"/inventory?since={changed['latest']}").json()["variants"] == []


def test_pos_sales_show_up_in_the_feed(fresh) -> None:
    info, client, _ = fresh
    latest = client.get("/inventory").json()["latest"]
    sales = httpx.post(f"{info.url}/sandbox/sales", json={"count": 3}).json()["sales"]
    assert len(sales) == 3
    feed = client.get(f"/inventory?since={latest}").json()
    sold = {sale["variantUuid"]: sale["balance"] for sale in sales}
    got = {v["variantUuid"]: int(v["balance"]) for v in feed["variants"]}
    assert got == sold


def test_tracking_changes_in_the_feed(fresh) -> None:
    _, client, shop = fresh
    full = client.get("/inventory").json()
    stopped = full["variants"][0]["productUuid"]
    started = shop.untracked()[0]
    assert client.delete(f"/organizations/self/inventory/products/{stopped}").status_code == 204
    assert (
        client.post("/organizations/self/inventory", json={"productUuid": started}).status_code
        == 200
    )
    feed = client.get(f"/inventory?since={full['latest']}").json()
    assert feed["trackedProducts"] == [started]
    assert feed["untrackedProducts"] == [stopped]
    assert stopped not in {v["productUuid"] for v in feed["variants"]}
    # Restarting brings the old balances back into the feed, zeros included.
    mark = feed["latest"]
    client.post("/organizations/self/inventory", json={"productUuid": stopped})
    again = client.get(f"/inventory?since={mark}").json()
    assert again["trackedProducts"] == [stopped]
    assert again["untrackedProducts"] == []
    assert {v["variantUuid"] for v in again["variants"]} >= {
        v["variantUuid"] for v in full["variants"] if v["productUuid"] == stopped
    }


def test_since_zero_is_everything_tracked(fresh) -> None:
    _, client, _ = fresh
    full = client.get("/inventory").json()
    everything = client.get("/inventory?since=0").json()
    assert set(everything["trackedProducts"]) == set(full["trackedProducts"])
    assert {v["variantUuid"] for v in everything["variants"]} >= {
        v["variantUuid"] for v in full["variants"]
    }


def test_since_accepts_an_iso_date_time(fresh) -> None:
    _, client, shop = fresh
    time.sleep(0.01)
    moment = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    row = client.get("/inventory").json()["variants"][1]
    _move(client, shop, row["productUuid"], row["variantUuid"], 2, "STORE")
    feed = client.get("/inventory", params={"since": moment}).json()
    assert [v["variantUuid"] for v in feed["variants"]] == [row["variantUuid"]]
    naive = client.get("/inventory", params={"since": "2000-01-01T00:00:00"}).json()
    assert len(naive["variants"]) > 1


@pytest.mark.parametrize("since", ["-1", "yesterday", "1.5"])
def test_bad_since_is_400(api: httpx.Client, since: str) -> None:
    answer = api.get("/inventory", params={"since": since})
    assert answer.status_code == 400
    assert answer.json()["violations"][0]["propertyName"] == "since"


def test_since_ahead_of_latest_is_refused(api: httpx.Client) -> None:
    latest = api.get("/inventory").json()["latest"]
    answer = api.get("/inventory", params={"since": latest + 1000})
    assert answer.status_code == 400
    assert answer.json()["errorType"] == "INVALID_CURSOR"
