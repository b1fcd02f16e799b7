"""The Purchase API client: paging to the empty page, faults, scope, and odd answers.

Against the sandbox's ``/purchases/v2`` (with generated history) and, for answers the sandbox never
gives, a raw loopback server (``canned_http``).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.api.canned_http import CannedServer, reply, token_reply
from tests.support.sandbox import SandboxAdmin
from zinv_tui.api import (
    ApiEndpoints,
    MalformedResponse,
    PurchaseScopeMissing,
    ZettleClient,
)
from zinv_tui.api.purchase_wire import parse_quantity, read_page
from zinv_tui.api.purchases import format_time

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def shop(sandbox_factory_module):
    """A sandbox with 20 days of a small café's sales."""
    return sandbox_factory_module(products=60, history_days=20)


@pytest.fixture(scope="module")
def sandbox_factory_module():
    from zinv_tui.sandbox.server import SandboxConfig, SandboxServer

    servers = []

    def start(**overrides):
        server = SandboxServer(SandboxConfig(**overrides))
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


def _summary(info) -> dict:
    return httpx.get(f"{info.url}/sandbox/purchases/summary", timeout=10).json()


def _settings(info, **knobs) -> None:
    httpx.post(f"{info.url}/sandbox/purchases/settings", json=knobs, timeout=10).raise_for_status()


async def _read_all(client: ZettleClient, **options) -> tuple[list, int]:
    purchases, pages = [], 0
    async for page in client.purchases.pages(**options):
        pages += 1
        purchases.extend(page.purchases)
    return purchases, pages


async def test_every_page_is_read_until_the_empty_one(shop, clients) -> None:
    client = clients(shop)
    total = _summary(shop)["purchases"]
    purchases, pages = await _read_all(client, limit=250)
    assert len({p.uuid for p in purchases}) == len(purchases) == total
    assert pages == -(-total // 250)
    # every page plus the empty one that ends the loop, plus the sign-in
    assert client.stats.requests == pages + 1 + 1
    assert sum(1 for p in purchases if p.refund) == _summary(shop)["refunds"]


async def test_a_window_keeps_start_inclusive_and_end_exclusive(shop, clients) -> None:
    client = clients(shop)
    everything, _ = await _read_all(client)
    middle = sorted(everything, key=lambda p: p.timestamp)[len(everything) // 2].timestamp
    start = middle.replace(second=0, microsecond=0)
    end = start + timedelta(hours=6)
    window, _ = await _read_all(client, start=start, end=end)
    expected = {p.uuid for p in everything if start <= p.timestamp < end}
    assert {p.uuid for p in window} == expected and expected


async def test_an_overlapping_boundary_record_is_read_and_the_loop_still_ends(
    sandbox_factory, clients
) -> None:
    info = sandbox_factory(products=30, history_days=5)
    _settings(info, duplicate_boundary=True, empty_hashes="null")
    client = clients(info)
    purchases, pages = await _read_all(client, limit=100)
    uuids = [p.uuid for p in purchases]
    assert len(uuids) > len(set(uuids))  # pages overlap by one record...
    assert len(set(uuids)) == _summary(info)["purchases"]  # ...and nothing is missing
    assert pages >= 2


async def test_a_one_shot_500_and_throttling_are_retried(sandbox_factory, clients) -> None:
    info = sandbox_factory(products=30, history_days=3, throttle=True)
    _settings(info, fail_next=2)
    client = clients(info, requests_per_second=None)
    purchases, _ = await _read_all(client, limit=50)
    assert len({p.uuid for p in purchases}) == _summary(info)["purchases"]
    assert client.stats.retries >= 2


async def test_a_key_without_read_purchase_is_told_how_to_add_it_without_a_request(
    shop, clients
) -> None:
    key = SandboxAdmin(shop).new_key(["READ:PRODUCT", "WRITE:PRODUCT"])
    async with ZettleClient(
        key, endpoints=ApiEndpoints.single(shop.url), requests_per_second=None
    ) as client:
        with pytest.raises(PurchaseScopeMissing) as raised:
            await _read_all(client)
        assert client.stats.requests == 0
        assert "READ:PURCHASE" in str(raised.value)
        assert "my.zettle.com/apps/api-keys" in str(raised.value)
        # the rest of the client works as before
        assert len(await client.get_locations()) == 4


def test_the_sandbox_refuses_a_token_without_the_scope_with_401(shop) -> None:
    key = SandboxAdmin(shop).new_key(["READ:PRODUCT"])
    token = httpx.post(
        f"{shop.url}/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "client_id": shop.client_id,
            "assertion": key,
        },
        timeout=10,
    ).json()["access_token"]
    answer = httpx.get(
        f"{shop.url}/purchases/v2",
        params={"limit": 1},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 401
    assert "READ:PURCHASE" in answer.json()["developerMessage"]


async def test_one_purchase_by_uuid_and_an_unknown_one(shop, clients) -> None:
    client = clients(shop)
    page = await client.purchases.page(limit=3)
    wanted = page.purchases[1]
    found = await client.purchases.purchase(wanted.uuid.upper())
    assert found is not None and found.uuid == wanted.uuid
    assert found.lines == wanted.lines
    assert await client.purchases.purchase(str(uuid.uuid4())) is None
    with pytest.raises(ValueError):
        await client.purchases.purchase("../inventory")


# -- odd answers (a raw loopback server) --------------------------------------------------------

OPAQUE_KEY = "opaque-test-api-key-0123456789abcdef"
VARIANT = str(uuid.uuid1())
PRODUCT = str(uuid.uuid1())


def _purchase(**fields) -> dict:
    base = {
        "purchaseUUID1": str(uuid.uuid4()),
        "timestamp": "2026-03-02T09:15:00.000+0000",
        "products": [
            {"quantity": "2", "productUuid": PRODUCT, "variantUuid": VARIANT, "type": "PRODUCT"}
        ],
    }
    base.update(fields)
    return base


def _client(server: CannedServer) -> ZettleClient:
    return ZettleClient(
        OPAQUE_KEY,
        endpoints=ApiEndpoints.single(server.url),
        client_id="client-1",
        requests_per_second=None,
        backoff_base=0.01,
        backoff_cap=0.02,
    )


async def test_odd_purchases_and_rows_are_skipped_and_counted_not_fatal() -> None:
    odd = [
        _purchase(),
        _purchase(purchaseUUID1=None),  # no identity
        _purchase(timestamp="yesterday", created=None),  # no readable time
        _purchase(timestamp="9999-01-01T00:00:00Z"),  # not believable
        "not an object",
        _purchase(
            products=[
                {"quantity": "0.5", "productUuid": PRODUCT, "variantUuid": VARIANT},
                {"quantity": "abc", "variantUuid": VARIANT},
                {"quantity": "1e999", "variantUuid": VARIANT},
                {"quantity": 3, "type": "CUSTOM_AMOUNT", "name": "Delivery"},
                {"quantity": "-1", "productUuid": PRODUCT, "variantUuid": "not-a-uuid"},
                {"quantity": True, "variantUuid": VARIANT},
                ["a", "list"],
            ],
            refund="yes",
            amount="12",
            unknownField={"nested": [1, 2]},
        ),
    ]
    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on(
            "GET",
            "/purchases/v2",
            reply(200, {"purchases": odd, "lastPurchaseHash": "h1"}),
            reply(200, {"purchases": []}),
        )
        async with _client(server) as client:
            pages = [page async for page in client.purchases.pages()]
    (page,) = pages
    assert len(page.purchases) == 2 and page.skipped == 4 and page.size == 6
    rows = page.purchases[1].lines
    assert [(line.quantity, line.type, line.is_product) for line in rows] == [
        (0.5, "PRODUCT", True),
        (3.0, "CUSTOM_AMOUNT", False),
        (-1.0, "PRODUCT", False),
    ]
    assert page.skipped_lines == 4
    assert page.purchases[1].refund is False  # only a JSON true is a refund
    # the second request continued after the first page's hash with the same other parameters
    first, second = server.requests_to("GET", "/purchases/v2")
    assert "lastPurchaseHash=h1" in second.target
    assert first.target.split("?")[1] in second.target


async def test_a_server_that_repeats_its_cursor_does_not_loop_forever() -> None:
    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on(
            "GET",
            "/purchases/v2",
            reply(200, {"purchases": [_purchase()], "lastPurchaseHash": "same"}),
        )
        async with _client(server) as client:
            pages = [page async for page in client.purchases.pages()]
    assert len(pages) == 2  # the first, then the same cursor again: stop
    assert len(server.requests_to("GET", "/purchases/v2")) == 2


async def test_a_page_without_a_hash_ends_the_reading() -> None:
    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on("GET", "/purchases/v2", reply(200, {"purchases": [_purchase()]}))
        async with _client(server) as client:
            pages = [page async for page in client.purchases.pages()]
    assert len(pages) == 1


@pytest.mark.parametrize(
    "body",
    [b"[]", b'{"purchases": {"a": 1}}', b"<html>busy</html>", b"", b'"text"'],
    ids=["array", "purchases-not-a-list", "html", "empty", "string"],
)
async def test_an_answer_that_is_not_a_page_is_a_malformed_response(body: bytes) -> None:
    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on("GET", "/purchases/v2", reply(200, body))
        async with _client(server) as client:
            with pytest.raises(MalformedResponse):
                await client.purchases.page()


async def test_a_403_on_purchases_names_the_purchase_scope() -> None:
    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on(
            "GET",
            "/purchases/v2",
            reply(403, {"developerMessage": "Forbidden", "errorType": "FORBIDDEN"}),
        )
        async with _client(server) as client:
            with pytest.raises(PurchaseScopeMissing, match="READ:PURCHASE"):
                await client.purchases.page()


def test_dates_are_sent_in_a_documented_utc_form() -> None:
    stockholm_summer = datetime(2026, 6, 1, 0, 0, tzinfo=UTC) - timedelta(hours=2)
    assert format_time(stockholm_summer) == "2026-05-31T22:00"
    assert format_time(datetime(2026, 1, 2, 3, 4, 59)) == "2026-01-02T03:04"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)


@given(JSON)
def test_quantity_parsing_never_raises(value) -> None:
    quantity = parse_quantity(value)
    assert quantity is None or abs(quantity) <= 1_000_000


@given(st.dictionaries(st.sampled_from(["purchases", "lastPurchaseHash", "linkUrls", "x"]), JSON))
def test_any_json_object_reads_as_a_page_or_a_malformed_response(data) -> None:
    try:
        page = read_page(json.dumps(data).encode())
    except MalformedResponse:
        return
    assert page.size >= len(page.purchases)
