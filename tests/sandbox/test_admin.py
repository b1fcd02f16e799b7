"""The /sandbox/ admin surface: info, ledger, sales, background POS traffic, unknown routes."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.sandbox.raw_http import authed_client

pytestmark = pytest.mark.timeout(60)


def test_info(sandbox_factory) -> None:
    info = sandbox_factory(products=12, seed=3)
    body = httpx.get(f"{info.url}/sandbox/info").json()
    assert body["url"] == info.url
    assert body["organization_uuid"] == info.organization_uuid
    assert body["client_id"] == info.client_id
    assert body["api_key"] == info.api_key
    assert body["products"] == 12
    assert body["variants"] >= 12
    assert len(body["locations"]) == 4
    assert body["faults"]["throttle"] is False


def test_sales_specific_and_random(sandbox_factory) -> None:
    info = sandbox_factory(products=20)
    with authed_client(info) as client:
        row = client.get("/inventory").json()["variants"][0]
    sale = httpx.post(
        f"{info.url}/sandbox/sales", json={"variantUuid": row["variantUuid"], "quantity": 2}
    ).json()["sales"][0]
    assert sale["balance"] == int(row["balance"]) - 2
    made = httpx.post(f"{info.url}/sandbox/sales", json={"count": 5}).json()
    assert len(made["sales"]) == 5
    ledger = httpx.get(f"{info.url}/sandbox/ledger").json()
    assert [r["source"] for r in ledger[-6:]] == ["pos"] * 6
    assert made["latest"] == ledger[-1]["seq"]
    for bad in ({"count": 0}, {"quantity": -1, "variantUuid": row["variantUuid"]}, {"x": 1}):
        assert httpx.post(f"{info.url}/sandbox/sales", json=bad).status_code == 400
    for raw in (b"[", b"[" * 5000, b"[]", b"null"):
        assert httpx.post(f"{info.url}/sandbox/sales", content=raw).status_code == 400
        assert httpx.post(f"{info.url}/sandbox/keys", content=raw).status_code == 400
        assert httpx.post(f"{info.url}/sandbox/faults", content=raw).status_code == 400
    unknown = httpx.post(f"{info.url}/sandbox/sales", json={"variantUuid": str(uuid.uuid1())})
    assert unknown.status_code == 404


def test_background_sales(sandbox_factory) -> None:
    info = sandbox_factory(products=20, sales_per_minute=600)
    before = len(httpx.get(f"{info.url}/sandbox/ledger").json())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = httpx.get(f"{info.url}/sandbox/ledger", params={"since_seq": 0}).json()
        if len(rows) >= before + 3:
            break
        time.sleep(0.2)
    new = rows[before:]
    assert len(new) >= 3
    assert all(r["source"] == "pos" and r["externalUuid"] is None for r in new)


def test_unknown_route_and_method_are_zettle_shaped(api: httpx.Client) -> None:
    missing = api.get("/organizations/self/nothing-here")
    assert missing.status_code == 404
    assert set(missing.json()) == {"developerMessage", "errorType", "violations"}
    wrong = api.patch("/organizations/self/inventory")
    assert wrong.status_code == 405
    assert wrong.json()["errorType"] == "METHOD_NOT_ALLOWED"


def test_ledger_query_validation(sandbox) -> None:
    assert httpx.get(f"{sandbox.url}/sandbox/ledger", params={"since_seq": "x"}).status_code == 400
    rows = httpx.get(f"{sandbox.url}/sandbox/ledger", params={"limit": 2}).json()
    assert len(rows) == 2
    assert set(rows[0]) == {
        "seq",
        "productUuid",
        "variantUuid",
        "fromLocationUuid",
        "toLocationUuid",
        "change",
        "externalUuid",
        "source",
        "created",
    }
