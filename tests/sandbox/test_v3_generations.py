"""``--api v1|v3|both``: a generation switched off answers 404 as an unknown path; every fault
applies to v3 as to v1; ``--idempotency keyed|none`` for v1's externalUuid, and v3's identifier
never deduplicating."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.sandbox.raw_http import authed_client, read_shop
from tests.sandbox.v3_http import v1_store_balances, v3_store_balances
from zinv_tui.sandbox.server import SandboxInfo

pytestmark = pytest.mark.timeout(60)

V1_READS = ["/organizations/self/locations", "/organizations/self/inventory", "/inventory"]
V3_READS = ["/v3/inventories", "/v3/stock", "/v3/products"]


def _faults(info: SandboxInfo, **knobs: object) -> None:
    answer = httpx.post(f"{info.url}/sandbox/faults", json=knobs, timeout=10)
    assert answer.status_code == 200, answer.text


def _ledger(info: SandboxInfo) -> list[dict]:
    return httpx.get(f"{info.url}/sandbox/ledger", timeout=10).json()


def _v3_restock(client: httpx.Client, identifier: str | None = None) -> dict:
    inventories = {
        i["inventoryType"]: i["inventoryUuid"] for i in client.get("/v3/inventories").json()
    }
    tracked = client.get("/v3/products").json()[0]["productUuid"]
    variant = client.get(f"/v3/stock/{inventories['STORE']}/products/{tracked}").json()[0]
    body: dict = {
        "movements": [
            {
                "productUuid": tracked,
                "variantUuid": variant["variantUuid"],
                "from": inventories["SUPPLIER"],
                "to": inventories["STORE"],
                "change": 3,
            }
        ]
    }
    if identifier:
        body["identifier"] = identifier
    return body


def _v1_restock(client: httpx.Client, external: str) -> dict:
    shop = read_shop(client)
    product = shop.tracked[0]
    return {
        "externalUuid": external,
        "changes": [
            {
                "productUuid": product,
                "variantUuid": shop.variants(product)[0],
                "fromLocationUuid": shop.locations["SUPPLIER"],
                "toLocationUuid": shop.locations["STORE"],
                "change": 3,
            }
        ],
    }


@pytest.mark.parametrize(
    ("api", "on", "off"), [("v1", V1_READS, V3_READS), ("v3", V3_READS, V1_READS)]
)
def test_a_generation_switched_off_is_an_unknown_path(sandbox_factory, api, on, off) -> None:
    info = sandbox_factory(products=5, api=api)
    with authed_client(info) as client:
        for path in on:
            assert client.get(path).status_code == 200, path
        for path in off:
            answer = client.get(path)
            assert answer.status_code == 404, path
            assert answer.json()["errorType"] == "NOT_FOUND"
        # Not part of either generation: OAuth (above), the Product Library, the admin API.
        assert client.get("/organizations/self/products/v2").status_code == 200
        about = httpx.get(f"{info.url}/sandbox/info").json()
        assert (about["api"], about["idempotency"]) == (api, "keyed")
        if api == "v1":
            assert client.post("/v3/movements", json={}).status_code == 404
            assert client.post("/custom-low-stock/locations/x", json={}).status_code == 400
        else:
            assert client.put("/organizations/self/inventory", json={}).status_code == 404
            assert client.get(f"/custom-low-stock/v2/locations/{uuid.uuid1()}").status_code == 404


def test_both_generations_by_default(sandbox: SandboxInfo) -> None:
    with authed_client(sandbox) as client:
        assert all(client.get(path).status_code == 200 for path in V1_READS + V3_READS)


def test_a_v1_only_and_a_v3_only_sandbox_of_one_seed_agree(sandbox_factory) -> None:
    one = sandbox_factory(products=30, seed=8, api="v1")
    three = sandbox_factory(products=30, seed=8, api="v3")
    with authed_client(one) as v1, authed_client(three) as v3:
        assert v1_store_balances(v1) == v3_store_balances(v3)


def test_errors_and_bugs_apply_to_v3(sandbox_factory) -> None:
    info = sandbox_factory(products=5, api="v3")
    with authed_client(info) as client:
        _faults(info, error_rate=1.0)
        answer = client.get("/v3/stock")
        assert answer.status_code == 503 and answer.json()["errorType"] == "SERVICE_UNAVAILABLE"
        assert client.post("/v3/movements", json=_v3_restock_offline()).status_code == 503
        _faults(info, error_rate=0.0, bug_rate=1.0)
        assert client.get("/v3/inventories").status_code == 500
        _faults(info, bug_rate=0.0, latency_ms=600)
        started = time.perf_counter()
        assert client.get("/v3/inventories").status_code == 200
        assert time.perf_counter() - started >= 0.6


def _v3_restock_offline() -> dict:
    return {
        "movements": [
            {
                "productUuid": str(uuid.uuid1()),
                "variantUuid": str(uuid.uuid1()),
                "from": str(uuid.uuid1()),
                "to": str(uuid.uuid1()),
                "change": 1,
            }
        ]
    }


def test_throttle_applies_to_v3(sandbox_factory) -> None:
    info = sandbox_factory(products=5, api="v3", throttle=True)
    with authed_client(info) as client:
        codes = [client.get("/v3/inventories") for _ in range(10)]
        limited = [answer for answer in codes if answer.status_code == 429]
        assert limited and limited[0].headers["Retry-After"] == "1"
        assert limited[0].json()["errorType"] == "TOO_MANY_REQUESTS"


@pytest.mark.parametrize(("phase", "applied"), [("before", 0), ("after", 1)])
def test_drops_apply_to_v3_movements(sandbox_factory, phase: str, applied: int) -> None:
    info = sandbox_factory(products=5, api="v3")
    with authed_client(info) as client:
        body = _v3_restock(client, str(uuid.uuid1()))
        size = len(_ledger(info))
        _faults(info, drop_rate=1.0, drop_phase=phase)
        with pytest.raises(httpx.TransportError):
            client.post("/v3/movements", json=body)
        _faults(info, drop_rate=0.0)
        assert len(_ledger(info)) == size + applied


def test_v3_identifier_is_never_deduplicated(sandbox_factory) -> None:
    info = sandbox_factory(products=5)
    with authed_client(info) as client:
        identifier = str(uuid.uuid1())
        body = _v3_restock(client, identifier)
        before = v3_store_balances(client)
        variant = body["movements"][0]["variantUuid"]
        assert client.post("/v3/movements", json=body).status_code == 204
        assert client.post("/v3/movements", json=body).status_code == 204
        assert v3_store_balances(client)[variant] == before.get(variant, 0) + 6
        echoed = [row for row in _ledger(info) if row["externalUuid"] == identifier]
        assert len(echoed) == 2 and all(row["source"] == "api" for row in echoed)


@pytest.mark.parametrize(("idempotency", "times"), [("keyed", 1), ("none", 2)])
def test_v1_external_uuid_keyed_or_not(sandbox_factory, idempotency: str, times: int) -> None:
    info = sandbox_factory(products=5, idempotency=idempotency)
    with authed_client(info) as client:
        external = str(uuid.uuid1())
        body = _v1_restock(client, external)
        variant = body["changes"][0]["variantUuid"]
        before = v1_store_balances(client).get(variant, 0)
        first = client.put("/organizations/self/inventory", json=body)
        second = client.put("/organizations/self/inventory", json=body)
        assert first.status_code == second.status_code == 200
        assert v1_store_balances(client)[variant] == before + 3 * times
        assert len([r for r in _ledger(info) if r["externalUuid"] == external]) == times
        bulk = {
            "externalUuid": external,
            "productChanges": [
                {
                    "productUuid": body["changes"][0]["productUuid"],
                    "trackingStatusChange": "NO_CHANGE",
                    "variantChanges": [
                        {k: v for k, v in body["changes"][0].items() if k != "productUuid"}
                    ],
                }
            ],
        }
        assert client.post("/organizations/self/v2/inventory/bulk", json=bulk).status_code == 200
        expected = 3 * times if idempotency == "keyed" else 3 * (times + 1)
        assert v1_store_balances(client)[variant] == before + expected


def test_generation_flags_reach_the_config() -> None:
    from zinv_tui.cli import build_parser
    from zinv_tui.sandbox.server import config_from_args

    parser = build_parser()
    default = config_from_args(parser.parse_args(["sandbox"]))
    assert (default.api, default.idempotency) == ("both", "keyed")
    chosen = config_from_args(
        parser.parse_args(["sandbox", "--api", "v3", "--idempotency", "none"])
    )
    assert (chosen.api, chosen.idempotency) == ("v3", "none")
    with pytest.raises(SystemExit):
        parser.parse_args(["sandbox", "--api", "v2"])
