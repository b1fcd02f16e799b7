"""Wire situations the sandbox does not produce, on a raw loopback HTTP server (see canned_http)."""

from __future__ import annotations

import asyncio
import json
import time
import traceback
import tracemalloc
import uuid

import pytest

from tests.api.canned_http import TOKEN, CannedServer, Seen, reply, token_reply
from zinv_tui.api import (
    ApiEndpoints,
    MalformedResponse,
    NetworkError,
    RateLimited,
    ServerError,
    TokenExpired,
    ZettleClient,
)
from zinv_tui.api.models import MovementRequest, StockChange
from zinv_tui.api.pipeline import BytesSink
from zinv_tui.redaction import MASK

pytestmark = pytest.mark.timeout(30)

API_KEY = "opaque-test-api-key-0123456789abcdef"
LOCATIONS = [
    {"uuid": str(uuid.uuid1()), "type": kind, "name": kind, "default": kind == "STORE"}
    for kind in ("STORE", "SUPPLIER", "BIN", "SOLD")
]
STORE = LOCATIONS[0]["uuid"]
BALANCES = {"locationUuid": STORE, "trackedProducts": [], "variants": [], "latest": 7}


def client_for(server: CannedServer, **options) -> ZettleClient:
    settings = {"backoff_base": 0.01, "backoff_cap": 0.02, "requests_per_second": None}
    settings.update(options)
    return ZettleClient(
        API_KEY, endpoints=ApiEndpoints.single(server.url), client_id="client-1", **settings
    )


def movement(external: bool) -> MovementRequest:
    change = StockChange(
        product_uuid=uuid.uuid1(),
        variant_uuid=uuid.uuid1(),
        from_location_uuid=uuid.uuid1(),
        to_location_uuid=STORE,
        change=3,
    )
    return MovementRequest(changes=[change], external_uuid=uuid.uuid1() if external else None)


async def test_100_continue_before_the_answer_is_tolerated() -> None:
    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on(
            "GET",
            "/organizations/self/locations",
            reply(200, LOCATIONS, interim=b"HTTP/1.1 100 Continue\r\n\r\n"),
        )
        async with client_for(server) as client:
            locations = await client.get_locations()
        assert [location.type.value for location in locations] == [
            "STORE",
            "SUPPLIER",
            "BIN",
            "SOLD",
        ]


async def test_token_request_is_the_documented_assertion_grant() -> None:
    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on("GET", "/organizations/self/locations", reply(200, LOCATIONS))
        async with client_for(server) as client:
            await client.get_locations()
            await client.get_locations()
        (token_request,) = server.requests_to("POST", "/token")
        assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
        from urllib.parse import parse_qs

        form = parse_qs(token_request.body.decode())
        assert form == {
            "grant_type": ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
            "client_id": ["client-1"],
            "assertion": [API_KEY],
        }
        for seen in server.requests_to("GET", "/organizations/self/locations"):
            assert seen.headers["authorization"] == f"Bearer {TOKEN}"


async def test_bytes_on_the_wire_are_counted_exactly() -> None:
    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on("GET", "/organizations/self/locations", reply(200, LOCATIONS))
        server.on("PUT", "/organizations/self/inventory", reply(200, BALANCES))
        async with client_for(server) as client:
            await client.get_locations()
            await client.move_stock(movement(external=True))
            stats = client.stats
        assert stats.requests == 3 and stats.token_requests == 1 and stats.retries == 0
        assert stats.bytes_sent == server.bytes_read
        assert stats.bytes_received == server.bytes_written


async def test_malformed_json_and_wrong_shapes_become_malformed_response() -> None:
    odd_uuid = {"productUuid": "x", "variantUuid": str(uuid.uuid1()), "balance": "1"}
    odd_balance = {
        "productUuid": str(uuid.uuid1()),
        "variantUuid": str(uuid.uuid1()),
        "balance": "9.5",
    }
    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on("GET", "/organizations/self/locations", reply(200, b"[{not json"))
        server.on(
            "GET",
            "/organizations/self/inventory",
            reply(200, {"variants": [odd_uuid]}),
            reply(200, {"variants": [odd_balance]}),
            reply(200, {"variants": [odd_balance]}),
        )
        server.on("GET", f"/organizations/self/inventory/locations/{STORE}", reply(200, b""))
        async with client_for(server) as client:
            with pytest.raises(MalformedResponse) as bad_json:
                await client.get_locations()
            assert "not valid JSON" in str(bad_json.value)
            with pytest.raises(MalformedResponse) as bad_shape:
                await client.get_store_balances()
            assert "variants[0].productUuid" in str(bad_shape.value)
            with pytest.raises(MalformedResponse) as bad_number:
                await client.get_store_balances()
            message = str(bad_number.value)
            assert "variants[0].balance" in message and "'9.5'" in message
            with pytest.raises(MalformedResponse, match="empty answer"):
                await client.get_location_balances(STORE)
            # Fed to a sink, the body is not decoded: it comes back as sent.
            raw = (await client.get_store_balances_into(BytesSink)).getvalue()
            assert b'"9.5"' in raw
        for error in (bad_json.value, bad_shape.value, bad_number.value):
            assert "pydantic" not in "".join(traceback.format_exception(error))
            assert "msgspec" not in "".join(traceback.format_exception(error))


async def test_empty_write_answers_are_success() -> None:
    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on("PUT", "/organizations/self/inventory", reply(204, b""))
        server.on("POST", "/organizations/self/v2/inventory/bulk", reply(200, b""))
        async with client_for(server) as client:
            answer = await client.move_stock(movement(external=False))
            assert answer.variants == [] and answer.location_uuid is None


async def test_retry_after_is_honoured_and_a_long_one_is_handed_up() -> None:
    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on(
            "GET",
            "/organizations/self/locations",
            reply(429, {"errorType": "TOO_MANY_REQUESTS"}, {"Retry-After": "0.3"}),
            reply(200, LOCATIONS),
        )
        server.on(
            "GET",
            "/organizations/self/inventory",
            reply(429, {"errorType": "TOO_MANY_REQUESTS"}, {"Retry-After": "120"}),
        )
        async with client_for(server, requests_per_second=50.0) as client:
            started = time.monotonic()
            await client.get_locations()
            assert time.monotonic() - started >= 0.3
            with pytest.raises(RateLimited) as caught:
                await client.get_store_balances()
            assert caught.value.retry_after == 120.0
            assert len(server.requests_to("GET", "/organizations/self/inventory")) == 1


async def test_server_errors_retry_reads_but_never_movements() -> None:
    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on(
            "GET",
            "/organizations/self/locations",
            reply(503, b"<html>busy</html>"),
            reply(500, b""),
            reply(200, LOCATIONS),
        )
        server.on("PUT", "/organizations/self/inventory", reply(503, b""))
        async with client_for(server) as client:
            assert len(await client.get_locations()) == 4
            assert client.stats.retries == 2
            with pytest.raises(ServerError) as caught:
                await client.move_stock(movement(external=False))
            assert caught.value.status == 503 and caught.value.outcome_unknown
            assert len(server.requests_to("PUT", "/organizations/self/inventory")) == 1
            # An externalUuid changes nothing: the server is not trusted to deduplicate.
            with pytest.raises(ServerError) as caught:
                await client.move_stock(movement(external=True))
            assert caught.value.outcome_unknown
            assert len(server.requests_to("PUT", "/organizations/self/inventory")) == 2


async def test_unkeyed_write_is_repeated_after_429_since_zettle_refused_it_unapplied() -> None:
    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on(
            "PUT",
            "/organizations/self/inventory",
            reply(429, b"", {"Retry-After": "0"}),
            reply(200, BALANCES),
        )
        async with client_for(server) as client:
            await client.move_stock(movement(external=False))
        assert len(server.requests_to("PUT", "/organizations/self/inventory")) == 2


async def test_401_renews_once_then_gives_up_plainly() -> None:
    async with CannedServer() as server:
        server.on("POST", "/token", token_reply(token="first-token-abcdef"), token_reply())
        server.on(
            "GET",
            "/organizations/self/locations",
            reply(401, b"", {"WWW-Authenticate": 'Bearer error="invalid_token"'}),
            reply(200, LOCATIONS),
        )
        server.on("GET", "/organizations/self/inventory", reply(401, b""))
        async with client_for(server) as client:
            assert len(await client.get_locations()) == 4
            assert client.stats.token_requests == 2
            with pytest.raises(TokenExpired) as caught:
                await client.get_store_balances()
        assert len(server.requests_to("GET", "/organizations/self/inventory")) == 2
        assert "my.zettle.com/apps/api-keys" in str(caught.value)


async def test_server_text_echoing_secrets_is_redacted() -> None:
    def echo(seen: Seen) -> bytes:
        header = seen.headers.get("authorization", "")
        return reply(
            400,
            {
                "developerMessage": f"bad header {header} for key {API_KEY}",
                "errorType": "VALIDATION_ERROR",
                "violations": [{"propertyName": "auth", "value": header}],
            },
        )

    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on("GET", "/organizations/self/locations", echo)
        async with client_for(server) as client:
            with pytest.raises(Exception) as caught:
                await client.get_locations()
        error = caught.value
        shown = " ".join(
            [
                str(error),
                repr(error),
                str(error.developer_message),
                repr(error.violations),
                "".join(traceback.format_exception(error)),
            ]
        )
        assert TOKEN not in shown and API_KEY not in shown
        assert MASK in str(error)


async def test_store_balances_fall_back_to_the_documented_path() -> None:
    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on("GET", "/inventory", reply(200, BALANCES))
        async with client_for(server) as client:
            first = await client.get_store_balances(since=3)
            second = (
                await client.get_store_balances_into(BytesSink, since=first.latest)
            ).getvalue()
        assert first.latest == 7 and b'"latest": 7' in second
        paths = [seen.target for seen in server.seen if seen.method == "GET"]
        assert paths == ["/organizations/self/inventory?since=3", "/inventory?since=3",
                         "/inventory?since=7"]  # fmt: skip


async def test_products_etag_round_trip() -> None:
    product = {"uuid": str(uuid.uuid1()), "name": "Mug", "variants": [{"uuid": str(uuid.uuid1())}]}

    def products(seen: Seen) -> bytes:
        if seen.headers.get("if-none-match") == '"v1"':
            return reply(304, b"", {"ETag": '"v1"'}, reason="Not Modified")
        return reply(200, [product], {"ETag": '"v1"'})

    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on("GET", "/organizations/self/products/v2", products)
        async with client_for(server) as client:
            page = await client.get_products()
            again = await client.get_products(etag=page.etag)
        assert page.etag == '"v1"' and not page.not_modified
        assert page.products and page.products[0].name == "Mug"
        assert again.not_modified and again.products is None and again.etag == '"v1"'


async def test_refused_connection_is_a_network_error_after_retries() -> None:
    async with CannedServer() as server:
        url = server.url
    client = ZettleClient(
        API_KEY,
        endpoints=ApiEndpoints.single(url),
        client_id="c",
        max_retries=2,
        backoff_base=0.01,
        backoff_cap=0.01,
    )
    async with client:
        with pytest.raises(NetworkError) as caught:
            await client.get_locations()
    assert str(caught.value) == (
        "Can't reach Zettle (127.0.0.1: connection refused) - check the connection"
    )
    assert client.stats.requests == 3 and client.stats.bytes_sent == 0


async def test_a_slow_server_times_out_within_the_configured_time() -> None:
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        client = ZettleClient(
            API_KEY,
            endpoints=ApiEndpoints.single(f"http://127.0.0.1:{port}"),
            client_id="c",
            timeout=0.2,
            max_retries=1,
            backoff_base=0.01,
        )
        started = time.monotonic()
        async with client:
            with pytest.raises(NetworkError, match=r"no answer within 0\.2 s"):
                await client.fetch_token_info()
        assert time.monotonic() - started < 2.0
    finally:
        server.close()


async def test_token_info_for_an_opaque_key_comes_from_the_token() -> None:
    import base64
    import json as json_module

    organization = uuid.uuid1()
    payload = {"organizationUuid": str(organization), "scope": ["READ:PRODUCT"]}
    encoded = base64.urlsafe_b64encode(json_module.dumps(payload).encode()).rstrip(b"=").decode()
    access_token = f"eyJhbGciOiJub25lIn0.{encoded}.sig"
    async with CannedServer() as server:
        server.on(
            "POST",
            "/token",
            reply(200, {"access_token": access_token, "expires_in": 60, "scope": "READ:PRODUCT"}),
        )
        async with client_for(server) as client:
            info = await client.fetch_token_info()
    assert info.organization_uuid == organization
    assert info.client_id == "client-1"
    assert info.scopes == ("READ:PRODUCT",)
    assert access_token not in repr(info)


async def test_an_answer_that_trickles_in_is_cut_off_by_the_attempt_deadline() -> None:
    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        )
        try:
            for _ in range(200):  # each byte well within the read timeout, the whole far beyond
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.05)
        except ConnectionError:
            pass
        writer.close()

    server = await asyncio.start_server(trickle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        client = ZettleClient(
            API_KEY,
            endpoints=ApiEndpoints.single(f"http://127.0.0.1:{port}"),
            client_id="c",
            timeout=0.15,
            max_retries=0,
        )
        started = time.monotonic()
        async with client:
            with pytest.raises(NetworkError, match=r"took longer than 0\.6 s"):
                await client.fetch_token_info()
        assert 0.55 < time.monotonic() - started < 5.0  # the whole answer takes 10 s
    finally:
        server.close()


async def test_a_key_revoked_mid_run_is_reported_as_rejected() -> None:
    from zinv_tui.api import ApiKeyRejected

    async with CannedServer() as server:
        server.on(
            "POST",
            "/token",
            token_reply(),
            reply(400, {"error": "invalid_grant", "error_description": "Invalid assertion JWT"}),
        )
        server.on(
            "GET",
            "/organizations/self/locations",
            reply(200, LOCATIONS),
            reply(
                401, b"", {"WWW-Authenticate": 'Bearer error_description="ACCESS_TOKEN_EXPIRED"'}
            ),
        )
        async with client_for(server) as client:
            await client.get_locations()
            with pytest.raises(ApiKeyRejected) as caught:
                await client.get_locations()
    assert str(caught.value) == "API key rejected - create a new key at my.zettle.com/apps/api-keys"
    assert len(server.requests_to("POST", "/token")) == 2


async def test_big_raw_reads_hold_one_copy_of_the_body_and_count_every_byte() -> None:
    # 4 MB of products: Response.aread() would hold the chunks and their join (8 MB) at once.
    variant = {"uuid": str(uuid.uuid1()), "sku": "S" * 60, "barcode": "2" * 13}
    product = {"uuid": str(uuid.uuid1()), "name": "Mug " * 20, "variants": [variant] * 8}
    body = json.dumps([product] * 3100).encode()
    assert len(body) > 4_000_000

    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on("GET", "/organizations/self/products/v2", reply(200, body, {"ETag": '"v9"'}))
        async with client_for(server) as client:
            before = client.stats.snapshot()
            tracemalloc.start()
            try:
                sink, etag = await client.get_products_into(BytesSink)
                assert sink is not None
                got = sink.getvalue()
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            spent = client.stats - before
    assert got == body and etag == '"v9"'
    assert peak < 1.4 * len(body), f"peak {peak:,} B for a {len(body):,} B body"
    assert spent.bytes_received == server.bytes_written  # the token answer included


async def test_raw_products_304_has_no_body() -> None:
    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on(
            "GET",
            "/organizations/self/products/v2",
            reply(304, b"", {"ETag": '"v1"'}, reason="Not Modified"),
        )
        async with client_for(server) as client:
            sink, etag = await client.get_products_into(BytesSink, etag='"v1"')
            page = await client.get_products(etag='"v1"')
    assert sink is None and etag == '"v1"'
    assert page.not_modified and page.products is None and page.etag == '"v1"'
    assert server.seen[-1].headers.get("if-none-match") == '"v1"'
