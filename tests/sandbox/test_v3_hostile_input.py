"""Hostile input on v3 is refused as on v1 (issue 9's rules): 400 at once for absurd numbers,
bounded array sizes, wrong shapes, oversized bodies (413), and never a float or an out-of-range
balance in the store."""

from __future__ import annotations

import json
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.sandbox.raw_http import authed_client
from tests.sandbox.test_hostile_input import CPU_BUDGET, HOSTILE, _timed
from zinv_tui.sandbox.server import SandboxConfig, SandboxInfo, SandboxServer

pytestmark = pytest.mark.timeout(120)


class Shop3:
    """What the tests need of a sandbox, read through v3 only."""

    def __init__(self, client: httpx.Client) -> None:
        listed = client.get("/v3/inventories").json()
        self.inventories = {i["inventoryType"]: i["inventoryUuid"] for i in listed[:4]}
        row = client.get("/v3/stock", params={"limit": 1}).json()[0]
        self.product, self.variant = row["productUuid"], row["variantUuid"]

    def line(self, change: object, source: str = "SUPPLIER", target: str = "STORE") -> dict:
        return {
            "productUuid": self.product,
            "variantUuid": self.variant,
            "from": self.inventories[source],
            "to": self.inventories[target],
            "change": change,
        }

    def level(self, value: object) -> dict:
        return {
            "inventoryUuid": self.inventories["STORE"],
            "productUuid": self.product,
            "variantUuid": self.variant,
            "lowStockLevel": value,
        }


@pytest.fixture
def fresh(sandbox_factory) -> Iterator[tuple[SandboxInfo, httpx.Client, Shop3]]:
    info = sandbox_factory(products=20, seed=3, api="v3")
    with authed_client(info) as client:
        yield info, client, Shop3(client)


@pytest.fixture(scope="module")
def refusing() -> Iterator[tuple[SandboxInfo, httpx.Client, Shop3]]:
    """One sandbox for the tests whose requests are all refused (nothing changes)."""
    with (
        SandboxServer(SandboxConfig(products=20, seed=3, api="v3")) as info,
        authed_client(info) as client,
    ):
        yield info, client, Shop3(client)


def _ledger(info: SandboxInfo) -> list[dict]:
    return httpx.get(f"{info.url}/sandbox/ledger").json()


@pytest.mark.parametrize("value", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_change_is_refused_at_once(refusing, value: object) -> None:
    info, client, shop = refusing
    before = _ledger(info)
    answer, took = _timed(
        lambda: client.post("/v3/movements", json={"movements": [shop.line(1), shop.line(value)]})
    )
    assert answer.status_code == 400, answer.text
    assert took < CPU_BUDGET, f"{took:.2f} s"
    assert answer.json()["violations"][0]["propertyName"] == "movements[1].change"
    assert _ledger(info) == before


@pytest.mark.parametrize("value", ["1e1000000", "\u0661", 2**64, "9" * 40, -1, 1.5, "2.5"], ids=str)
def test_hostile_low_stock_levels_are_refused_at_once(refusing, value: object) -> None:
    _, client, shop = refusing
    answer, took = _timed(
        lambda: client.post("/v3/custom-low-stock", json=[shop.level(3), shop.level(value)])
    )
    assert answer.status_code == 400, answer.text
    assert took < CPU_BUDGET
    assert answer.json()["violations"][0]["propertyName"] == "[1].lowStockLevel"
    row = client.get(f"/v3/stock/{shop.inventories['STORE']}/products/{shop.product}").json()
    assert next(r for r in row if r["variantUuid"] == shop.variant)["lowStockLevel"] != 3


@pytest.mark.parametrize(
    "raw",
    ["1" + "0" * 5000, "1e1000000", "-" + "9" * 4000, "1" + "0" * 400 + ".0"],
    ids=["5000-digit-number", "exponent-number", "negative-4000-digits", "400-digit-float"],
)
def test_absurd_json_numbers_are_refused_at_once(refusing, raw: str) -> None:
    _, client, shop = refusing
    text = json.dumps({"movements": [shop.line(1)]}).replace('"change": 1', f'"change": {raw}')
    answer, took = _timed(
        lambda: client.post(
            "/v3/movements", content=text, headers={"Content-Type": "application/json"}
        )
    )
    assert answer.status_code == 400, answer.text
    assert took < CPU_BUDGET


def test_whole_numbers_clients_send_are_accepted_as_integers(fresh) -> None:
    info, client, shop = fresh
    for value in (1, "2", " 3 ", "4.0", 5.0, 99_999, "+6"):
        answer = client.post("/v3/movements", json={"movements": [shop.line(value)]})
        assert answer.status_code == 204, (value, answer.text)
    assert [row["change"] for row in _ledger(info)[-7:]] == [1, 2, 3, 4, 5, 99_999, 6]
    assert client.post("/v3/custom-low-stock", json=[shop.level("7.0")]).status_code == 204
    row = client.get(f"/v3/stock/{shop.inventories['STORE']}/products/{shop.product}").json()
    assert next(r for r in row if r["variantUuid"] == shop.variant)["lowStockLevel"] == 7


@pytest.mark.parametrize(
    ("path", "item"),
    [
        ("/v3/movements", None),
        (
            "/v3/products",
            {"productUuid": "6b1a0a4e-0000-11ef-8000-000000000000", "tracking": "enable"},
        ),
        ("/v3/products/status", "6b1a0a4e-0000-11ef-8000-000000000000"),
        ("/v3/custom-low-stock", "level"),
    ],
)
def test_more_than_1000_items_are_refused(refusing, path: str, item: object) -> None:
    info, client, shop = refusing
    before = _ledger(info)
    if item is None:
        body: object = {"movements": [shop.line(1)] * 1001}
    elif item == "level":
        body = [shop.level(1)] * 1001
    else:
        body = [item] * 1001
    answer = client.post(path, json=body)
    assert answer.status_code == 400, answer.text
    assert _ledger(info) == before
    store = shop.inventories["STORE"]
    assert client.post(f"/v3/stock/{store}/products", json=[shop.product] * 1001).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"movements": "all"},
        {"movements": [1]},
        {"movements": [None]},
        {"movements": [{"from": 1}]},
        {"movements": [{}]},
        {"identifier": 5, "movements": []},
        {"identifier": {"a": 1}},
        "movements",
        None,
        [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
    ],
    ids=str,
)
def test_wrong_shapes_are_400s_never_500s(refusing, body: object) -> None:
    _, client, _ = refusing
    assert client.post("/v3/movements", json=body).status_code == 400
    assert client.post("/v3/products", json=body).status_code == 400
    assert client.post("/v3/custom-low-stock", json=body).status_code == 400
    assert client.post("/v3/inventories", json=body).status_code == 400


def test_deep_nesting_and_garbage_bodies(fresh) -> None:
    _, client, _ = fresh
    deep = "[" * 100_000 + "]" * 100_000
    for path in ("/v3/movements", "/v3/products", "/v3/products/status", "/v3/custom-low-stock"):
        for content in (deep, "{", "", "\x00", "[1, 2"):
            answer = client.post(
                path, content=content, headers={"Content-Type": "application/json"}
            )
            assert answer.status_code == 400, (path, content[:5], answer.text)


def test_declared_oversized_body_is_refused(fresh) -> None:
    info, client, _ = fresh
    host, port = info.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            (
                "POST /v3/movements HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: {client.headers['Authorization']}\r\n"
                "Content-Type: application/json\r\nContent-Length: 40000000\r\n\r\n"
            ).encode()
        )
        status = sock.recv(4096).split(b" ")[1]
    assert status == b"413"


def test_a_v3_movement_never_takes_a_balance_beyond_64_bits(tmp_path: Path) -> None:
    db = tmp_path / "big.sqlite"
    config = SandboxConfig(products=10, db_path=db, api="v3")
    with SandboxServer(config) as info, authed_client(info) as client:
        shop = Shop3(client)
    with sqlite3.connect(db) as connection:
        connection.execute(
            "UPDATE balances SET balance = ? WHERE location_uuid = ? AND variant_uuid = ?",
            (2**63 - 10, shop.inventories["STORE"], shop.variant),
        )
    with SandboxServer(config) as info, authed_client(info) as client:
        assert client.post("/v3/movements", json={"movements": [shop.line(9)]}).status_code == 204
        over = client.post("/v3/movements", json={"movements": [shop.line(1)]})
        assert over.status_code == 400, over.text
        assert over.json()["violations"][0]["constraintType"] == "INVALID_RANGE"
        assert over.json()["violations"][0]["propertyName"] == "movements[0].change"
        row = client.get(f"/v3/stock/{shop.inventories['STORE']}/products/{shop.product}").json()
        assert next(r for r in row if r["variantUuid"] == shop.variant)["balance"] == 2**63 - 1
        top = client.post("/v3/custom-low-stock", json=[shop.level(2**63 - 1)])
        assert top.status_code == 204
    with sqlite3.connect(db) as connection:
        kinds = {row[0] for row in connection.execute("SELECT typeof(balance) FROM balances")}
        kinds |= {row[0] for row in connection.execute("SELECT typeof(change) FROM ledger")}
        kinds |= {
            row[0]
            for row in connection.execute("SELECT typeof(level) FROM low_stock")
            if row[0] != "null"
        }
    assert kinds == {"integer"}


def test_inventories_are_bounded(fresh) -> None:
    _, client, _ = fresh
    statuses = [
        client.post("/v3/inventories", json={"name": f"S{n}"}).status_code for n in range(97)
    ]
    assert statuses == [201] * 96 + [400]
    listed = []
    url: str | None = "/v3/inventories"
    while url:
        answer = client.get(url)
        listed += answer.json()
        link = answer.headers.get("link")
        url = link[1:].partition(">")[0] if link else None
    assert len(listed) == 100
    assert client.get("/v3/stock", params={"limit": 5}).status_code == 200
