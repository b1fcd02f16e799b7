"""Movements and tracking: refusals as Zettle-shaped 400s (never a 500), PRODUCT_NOT_TRACKED,
atomic requests, externalUuid replay, and stop/start tracking keeping balances."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sandbox.raw_http import Shop, authed_client, read_shop
from zinv_tui.sandbox.server import SandboxInfo

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def fresh(sandbox_factory) -> Iterator[tuple[SandboxInfo, httpx.Client, Shop]]:
    info = sandbox_factory(products=40, seed=5)
    with authed_client(info) as client:
        yield info, client, read_shop(client)


def _change(shop: Shop, product: str, variant: str, source: str, target: str, n: object) -> dict:
    return {
        "productUuid": product,
        "variantUuid": variant,
        "fromLocationUuid": shop.locations[source],
        "toLocationUuid": shop.locations[target],
        "change": n,
    }


def _balances(client: httpx.Client) -> dict[str, str]:
    return {v["variantUuid"]: v["balance"] for v in client.get("/inventory").json()["variants"]}


def _ledger(info: SandboxInfo) -> list[dict]:
    return httpx.get(f"{info.url}/sandbox/ledger", timeout=10).json()


def assert_error(answer: httpx.Response, status: int, error_type: str | None = None) -> dict:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"developerMessage", "errorType", "violations"}
    assert body["developerMessage"]
    if error_type:
        assert body["errorType"] == error_type
    return body


@pytest.mark.parametrize(
    ("mutate", "property_name"),
    [
        (lambda c: c.update(change=0), "changes[0].change"),
        (lambda c: c.update(change=-3), "changes[0].change"),
        (lambda c: c.update(change=1.5), "changes[0].change"),
        (lambda c: c.update(change="two"), "changes[0].change"),
        (lambda c: c.update(change=True), "changes[0].change"),
        (lambda c: c.pop("variantUuid"), "changes[0].variantUuid"),
        (lambda c: c.update(productUuid="not-a-uuid"), "changes[0].productUuid"),
        (lambda c: c.update(toLocationUuid=str(uuid.uuid1())), "changes[0].toLocationUuid"),
        (lambda c: c.update(toLocationUuid=c["fromLocationUuid"]), "changes[0].toLocationUuid"),
        (lambda c: c.update(variantUuid=str(uuid.uuid1())), "changes[0].variantUuid"),
    ],
    ids=[
        "zero",
        "negative",
        "fraction",
        "word",
        "boolean",
        "missing-variant",
        "bad-uuid",
        "unknown-location",
        "same-location",
        "unknown-variant",
    ],
)
def test_bad_movements_are_400_with_violations(
    api: httpx.Client, session_shop: Shop, mutate, property_name: str
) -> None:
    product = session_shop.tracked[0]
    change = _change(
        session_shop, product, session_shop.variants(product)[0], "SUPPLIER", "STORE", 1
    )
    mutate(change)
    answer = api.put("/organizations/self/inventory", json={"changes": [change]})
    body = assert_error(answer, 400)
    assert property_name in {v["propertyName"] for v in body["violations"]}


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"[]", b"null", b'{"changes": []}', b'{"changes": "x"}', b"\xff\xfe", b"[" * 5000],
)
def test_malformed_bodies_are_400(api: httpx.Client, raw: bytes) -> None:
    for method, path in (
        ("PUT", "/organizations/self/inventory"),
        ("POST", "/organizations/self/inventory"),
        ("POST", "/organizations/self/v2/inventory/bulk"),
        ("POST", "/organizations/self/inventory/products"),
    ):
        answer = api.request(method, path, content=raw)
        assert_error(answer, 400)


def test_unknown_product_is_rejected_clearly(api: httpx.Client, session_shop: Shop) -> None:
    stranger = str(uuid.uuid1())
    change = _change(session_shop, stranger, str(uuid.uuid1()), "SUPPLIER", "STORE", 1)
    body = assert_error(
        api.put("/organizations/self/inventory", json={"changes": [change]}),
        400,
        "ENTITY_NOT_FOUND",
    )
    assert stranger in body["developerMessage"]
    assert_error(api.post("/organizations/self/inventory", json={"productUuid": stranger}), 400)
    assert_error(api.delete(f"/organizations/self/inventory/products/{stranger}"), 404)


def test_variant_of_another_product_is_rejected(api: httpx.Client, session_shop: Shop) -> None:
    first, second = session_shop.tracked[:2]
    change = _change(session_shop, first, session_shop.variants(second)[0], "SUPPLIER", "STORE", 1)
    assert_error(api.put("/organizations/self/inventory", json={"changes": [change]}), 400)


def test_untracked_product_is_product_not_tracked(api: httpx.Client, session_shop: Shop) -> None:
    product = session_shop.untracked()[0]
    change = _change(
        session_shop, product, session_shop.variants(product)[0], "SUPPLIER", "STORE", 1
    )
    assert_error(
        api.put("/organizations/self/inventory", json={"changes": [change]}),
        400,
        "PRODUCT_NOT_TRACKED",
    )
    bulk = {"productChanges": [{"productUuid": product, "variantChanges": [change]}]}
    assert_error(
        api.post("/organizations/self/v2/inventory/bulk", json=bulk), 400, "PRODUCT_NOT_TRACKED"
    )


def test_request_is_atomic(fresh) -> None:
    info, client, shop = fresh
    product = shop.tracked[0]
    variant = shop.variants(product)[0]
    before_balances = _balances(client)
    before_ledger = len(_ledger(info))
    good = _change(shop, product, variant, "SUPPLIER", "STORE", 5)
    untracked = shop.untracked()[0]
    bad = _change(shop, untracked, shop.variants(untracked)[0], "SUPPLIER", "STORE", 5)
    assert_error(client.put("/organizations/self/inventory", json={"changes": [good, bad]}), 400)
    bulk = {
        "productChanges": [
            {"productUuid": product, "variantChanges": [good]},
            {
                "productUuid": untracked,
                "trackingStatusChange": "START_TRACKING",
                "variantChanges": [bad | {"change": 0}],
            },
        ]
    }
    assert_error(client.post("/organizations/self/v2/inventory/bulk", json=bulk), 400)
    bulk["productChanges"][1]["variantChanges"] = [bad | {"toLocationUuid": str(uuid.uuid1())}]
    assert_error(client.post("/organizations/self/v2/inventory/bulk", json=bulk), 400)
    assert _balances(client) == before_balances
    assert len(_ledger(info)) == before_ledger
    assert untracked not in client.get("/inventory").json()["trackedProducts"]


def test_put_answers_the_requested_location(fresh) -> None:
    _, client, shop = fresh
    product = shop.multi_variant_tracked()
    first, second = shop.variants(product)[:2]
    body = {
        "changes": [
            _change(shop, product, first, "STORE", "BIN", 1),
            _change(shop, product, second, "STORE", "BIN", 2),
            _change(shop, product, first, "STORE", "BIN", 1),
        ],
        "returnBalanceForLocationUuid": shop.locations["BIN"],
    }
    result = client.put("/organizations/self/inventory", json=body).json()
    assert result["locationUuid"] == shop.locations["BIN"]
    assert [(v["variantUuid"], v["balance"], v["locationType"]) for v in result["variants"]] == [
        (first, 2, "BIN"),
        (second, 2, "BIN"),
    ]


def test_external_uuid_replay_is_not_applied_twice(fresh) -> None:
    info, client, shop = fresh
    product = shop.tracked[1]
    variant = shop.variants(product)[0]
    external = str(uuid.uuid1())
    body = {
        "changes": [_change(shop, product, variant, "SUPPLIER", "STORE", 7)],
        "externalUuid": external,
    }
    first = client.put("/organizations/self/inventory", json=body)
    second = client.put("/organizations/self/inventory", json=body)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    rows = [row for row in _ledger(info) if row["externalUuid"] == external]
    assert len(rows) == 1
    assert rows[0]["source"] == "api"
    bulk_external = str(uuid.uuid1())
    bulk = {
        "productChanges": [
            {
                "productUuid": product,
                "variantChanges": [_change(shop, product, variant, "STORE", "SOLD", 2)],
            }
        ],
        "externalUuid": bulk_external,
    }
    one = client.post("/organizations/self/v2/inventory/bulk", json=bulk)
    two = client.post("/organizations/self/v2/inventory/bulk", json=bulk)
    assert one.content == two.content
    assert len([r for r in _ledger(info) if r["externalUuid"] == bulk_external]) == 1


def test_stop_and_start_tracking_hides_and_restores_balances(fresh) -> None:
    _, client, shop = fresh
    stocked = client.get("/inventory").json()["variants"]
    product = stocked[0]["productUuid"]
    kept = {v["variantUuid"]: v["balance"] for v in stocked if v["productUuid"] == product}
    assert client.delete(f"/organizations/self/inventory/products/{product}").status_code == 204
    after_stop = client.get("/inventory").json()
    assert product not in after_stop["trackedProducts"]
    assert not [v for v in after_stop["variants"] if v["productUuid"] == product]
    store = shop.locations["STORE"]
    single = client.get(f"/organizations/self/inventory/locations/{store}/products/{product}")
    assert single.json()["variants"] == []
    restarted = client.post("/organizations/self/inventory", json={"productUuid": product}).json()
    assert {v["variantUuid"]: v["balance"] for v in restarted["variants"]} == kept
    assert all(isinstance(v["balance"], str) for v in restarted["variants"])
    assert {
        v["variantUuid"]: v["balance"]
        for v in client.get("/inventory").json()["variants"]
        if v["productUuid"] == product
    } == kept


def test_bulk_stop_tracking_and_tracking_only_answer(fresh) -> None:
    _, client, shop = fresh
    product = shop.tracked[2]
    answer = client.post(
        "/organizations/self/v2/inventory/bulk",
        json={
            "productChanges": [{"productUuid": product, "trackingStatusChange": "stop_tracking"}]
        },
    )
    assert answer.json() == {"locationUuid": shop.locations["STORE"], "variants": []}
    assert product not in client.get("/inventory").json()["trackedProducts"]


def test_store_may_go_below_zero(fresh) -> None:
    _, client, shop = fresh
    product = shop.tracked[3]
    variant = shop.variants(product)[0]
    result = client.put(
        "/organizations/self/inventory",
        json={"changes": [_change(shop, product, variant, "STORE", "SOLD", 99_999)]},
    )
    assert result.status_code == 200
    assert result.json()["variants"][0]["balance"] < 0


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
_field_values = st.one_of(
    _json_values, st.uuids().map(str), st.sampled_from(["0", "-1", "1.5", "9.0", "1e3", ""])
)
_change_dicts = st.fixed_dictionaries(
    {},
    optional={
        "productUuid": _field_values,
        "variantUuid": _field_values,
        "fromLocationUuid": _field_values,
        "toLocationUuid": _field_values,
        "change": _field_values,
    },
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        _json_values,
        st.fixed_dictionaries(
            {"changes": st.one_of(_json_values, st.lists(_change_dicts, max_size=3))},
            optional={"externalUuid": _field_values, "returnBalanceForLocationUuid": _field_values},
        ),
        st.fixed_dictionaries(
            {
                "productChanges": st.lists(
                    st.fixed_dictionaries(
                        {"productUuid": _field_values},
                        optional={
                            "trackingStatusChange": _field_values,
                            "variantChanges": st.lists(_change_dicts, max_size=2),
                        },
                    ),
                    max_size=2,
                )
            }
        ),
    )
)
def test_fuzzed_bodies_never_get_a_500(api: httpx.Client, session_shop: Shop, body: object) -> None:
    raw = json.dumps(body).encode()
    for method, path in (
        ("PUT", "/organizations/self/inventory"),
        ("POST", "/organizations/self/v2/inventory/bulk"),
        ("POST", "/organizations/self/inventory/products"),
        ("PUT", "/custom-low-stock/locations/" + session_shop.locations["STORE"]),
        ("POST", "/custom-low-stock/locations/" + session_shop.locations["STORE"]),
    ):
        answer = api.request(method, path, content=raw)
        assert answer.status_code < 500, (path, answer.text)
        if answer.status_code >= 400:
            assert set(answer.json()) == {"developerMessage", "errorType", "violations"}
