"""The client against a hostile server (the odd-answer proxy in front of a real sandbox): every
failure of the transport and the decoders becomes a ZettleError, absurd numbers are refused at
once, and a movement's fate is marked open whenever its answer is lost or unreadable."""

from __future__ import annotations

import gzip
import time

import pytest

from tests.odd_server import OddProxy, answer, forward_then
from zinv_tui.api import ApiEndpoints, ZettleClient
from zinv_tui.api.errors import MalformedResponse, RequestRejected, ZettleError
from zinv_tui.api.models import parse_whole_number
from zinv_tui.api.retry import parse_retry_after
from zinv_tui.api.v1.balances import BalanceFeedError, decode_balances
from zinv_tui.api.v1.catalogue import CatalogueError, decode_products
from zinv_tui.api.v1.low_stock import LowStockFeedError, decode_low_stock

pytestmark = pytest.mark.timeout(60)

LOCATIONS = "/organizations/self/locations"
INVENTORY = "/organizations/self/inventory"
NESTED = b"[" * 100_000 + b"]" * 100_000
ABSURD = ["1e1000000", "1e100000000", "9" * 100_000, "1" + "0" * 5000, "-1e400"]


def proxied(proxy: OddProxy, info, **options) -> ZettleClient:
    return ZettleClient(
        info.api_key,
        endpoints=ApiEndpoints.single(proxy.url),
        requests_per_second=None,
        max_retries=1,
        backoff_base=0.01,
        backoff_cap=0.02,
        **options,
    )


# -- numbers -------------------------------------------------------------------------------------


def short_id(value: object) -> str:
    text = str(value)
    return text if len(text) <= 24 else f"{text[:12]}..{len(text)}chars"


@pytest.mark.parametrize(
    "text", [*ABSURD, "9223372036854775808", "-9223372036854775809"], ids=short_id
)
def test_absurd_numbers_are_refused_at_once(text: str) -> None:
    started = time.process_time()
    with pytest.raises(ValueError):
        parse_whole_number(text)
    assert time.process_time() - started < 0.1


@pytest.mark.parametrize(
    "text", ["١٢", "\uff11\uff12", "1_000", "0x10", "٣.0", "12\u00a0", "inf", "nan"]
)
def test_only_ascii_digits_are_digits(text: str) -> None:
    with pytest.raises(ValueError):
        parse_whole_number(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2**63 - 1, 2**63 - 1),
        (-(2**63), -(2**63)),
        ("9223372036854775807", 2**63 - 1),
        (" 42 ", 42),
        ("9.0", 9),
        ("5E1", 50),
        (9.0, 9),
    ],
)
def test_whole_numbers_up_to_64_bits_still_read(value, expected) -> None:
    assert parse_whole_number(value) == expected


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 2.0**63, 1e300])
def test_numbers_beyond_64_bits_are_refused(value) -> None:
    with pytest.raises(ValueError, match="64 bits"):
        parse_whole_number(value)


@pytest.mark.parametrize(
    "balance",
    [f'"{text}"' for text in ABSURD] + ["1e309", "9" * 5000, "18446744073709551616", '"١٢"'],
    ids=short_id,
)
def test_the_lean_decoders_refuse_absurd_balances_and_levels_at_once(balance: str) -> None:
    line = f'{{"productUuid":"p","variantUuid":"v","balance":{balance}}}'
    started = time.process_time()
    with pytest.raises(BalanceFeedError):
        decode_balances(f'{{"variants":[{line}]}}'.encode())
    levels = (
        '{"customLowStockLevelsForProducts":[{"productUuid":"p","customLowStockLevelForVariants":'
        f'[{{"variantUuid":"v","customLowStockLevel":{balance}}}]}}]}}'
    )
    with pytest.raises(LowStockFeedError):
        decode_low_stock(levels.encode())
    assert time.process_time() - started < 0.1


def test_the_lean_decoders_refuse_deeply_nested_json() -> None:
    """Nested where a field is skipped (msgspec recurses there, and raised RecursionError)."""
    with pytest.raises(BalanceFeedError):
        decode_balances(b'{"x":' + NESTED + b',"variants":[]}')
    with pytest.raises(LowStockFeedError):
        decode_low_stock(b'{"x":' + NESTED + b"}")
    with pytest.raises(CatalogueError):
        decode_products(b'[{"uuid":"p","x":' + NESTED + b"}]")


@pytest.mark.parametrize("value", ["1_0", "١٢", "inf", "1e999", "Fri, 31 Dec 99999 23:59:59 GMT"])
def test_odd_retry_after_values_are_ignored(value: str) -> None:
    assert parse_retry_after(value) is None


# -- the wire ------------------------------------------------------------------------------------


async def test_an_absurd_balance_on_the_wire_is_refused_in_well_under_a_second(sandbox) -> None:
    def absurd(body: bytes) -> bytes:
        return body.replace(b'"balance":"', b'"balance":"1e1000000', 1)

    with OddProxy(sandbox.url) as proxy:
        proxy.on("GET", INVENTORY, forward_then(body=absurd))
        async with proxied(proxy, sandbox) as client:
            started = time.process_time()
            with pytest.raises(MalformedResponse, match="GET inventory"):
                await client.get_store_balances()
            assert time.process_time() - started < 1.0


async def test_a_body_labelled_gzip_that_is_not_becomes_malformed_response(sandbox) -> None:
    with OddProxy(sandbox.url) as proxy:
        proxy.on("GET", LOCATIONS, forward_then(headers={"Content-Encoding": "gzip"}))
        async with proxied(proxy, sandbox) as client:
            with pytest.raises(MalformedResponse, match="can't decode") as caught:
                await client.get_locations()
            assert caught.value.status == 200
            assert proxy.count("GET", LOCATIONS) == 1  # not retried: it would read the same
            proxy.on("GET", INVENTORY, forward_then(headers={"Content-Encoding": "gzip"}))
            with pytest.raises(MalformedResponse):
                await client.get_store_balances()
            # A real gzip body still reads.
            proxy.on(
                "GET",
                LOCATIONS,
                forward_then(body=gzip.compress, headers={"Content-Encoding": "gzip"}),
            )
            assert len(await client.get_locations()) == 4


async def test_an_error_answer_labelled_gzip_still_maps_by_its_status(sandbox) -> None:
    with OddProxy(sandbox.url) as proxy:
        proxy.on("PUT", INVENTORY, answer(400, b"plain", headers={"Content-Encoding": "gzip"}))
        async with proxied(proxy, sandbox) as client:
            locations = {loc.type.value: loc.uuid for loc in await client.get_locations()}
            request = _restock(await client.get_store_balances(), locations)
            with pytest.raises(RequestRejected) as caught:
                await client.move_stock(request)
            assert caught.value.status == 400 and not caught.value.outcome_unknown


async def test_deeply_nested_json_becomes_malformed_response_or_its_status(sandbox) -> None:
    with OddProxy(sandbox.url) as proxy:
        proxy.on("GET", LOCATIONS, answer(200, NESTED))
        proxy.on("PUT", INVENTORY, answer(400, NESTED))
        async with proxied(proxy, sandbox) as client:
            with pytest.raises(MalformedResponse):
                await client.get_locations()
            balances = await client.get_store_balances()
            from uuid import uuid1

            request = _restock(balances, {"SUPPLIER": uuid1(), "STORE": uuid1()})
            with pytest.raises(RequestRejected):
                await client.move_stock(request)


async def test_a_write_answer_that_cannot_be_read_leaves_the_outcome_open(sandbox_factory) -> None:
    info = sandbox_factory(products=5)
    with OddProxy(info.url) as proxy:
        async with proxied(proxy, info) as client:
            locations = {loc.type.value: loc.uuid for loc in await client.get_locations()}
            request = _restock(await client.get_store_balances(), locations)
            line = request.changes[0]
            for balance in ("null", '"abc"', '"3.7"', "1e309", '"1e1000000"'):
                body = (
                    f'{{"variants":[{{"productUuid":"{line.product_uuid}",'
                    f'"variantUuid":"{line.variant_uuid}","balance":{balance}}}]}}'
                )
                proxy.on("PUT", INVENTORY, forward_then(body=body.encode()), times=1)
                with pytest.raises(MalformedResponse) as caught:
                    await client.move_stock(request)
                assert caught.value.outcome_unknown and caught.value.status == 200
            for body in (b"{", NESTED):
                proxy.on("PUT", INVENTORY, forward_then(body=body), times=1)
                with pytest.raises(MalformedResponse) as caught:
                    await client.move_stock(request)
                assert caught.value.outcome_unknown and caught.value.status == 200
            proxy.on("PUT", INVENTORY, forward_then(status=502), times=1)
            with pytest.raises(ZettleError) as caught:
                await client.move_stock(request)
            assert caught.value.outcome_unknown
            proxy.on("PUT", INVENTORY, forward_then(drop=3), times=1)
            with pytest.raises(ZettleError) as caught:
                await client.move_stock(request)
            assert caught.value.outcome_unknown
        assert proxy.count("PUT", INVENTORY) == 9  # none of them repeated


def _restock(balances, locations):
    from zinv_tui.api.models import MovementRequest, StockChange

    line = balances.variants[0]
    return MovementRequest(
        changes=[
            StockChange(
                product_uuid=line.product_uuid,
                variant_uuid=line.variant_uuid,
                from_location_uuid=locations["SUPPLIER"],
                to_location_uuid=locations["STORE"],
                change=1,
            )
        ]
    )


@pytest.mark.parametrize(
    "lifetime",
    ["1e300", "10" + "0" * 40, "-5", '"soon"'],
    ids=["1e300", "1e41", "negative", "text"],
)
async def test_an_absurd_token_lifetime_is_a_malformed_answer(sandbox, lifetime: str) -> None:
    body = f'{{"access_token": "abc", "expires_in": {lifetime}}}'.encode()
    with OddProxy(sandbox.url) as proxy:
        proxy.on("POST", "/token", answer(200, body))
        async with proxied(proxy, sandbox) as client:
            with pytest.raises(MalformedResponse, match="sign-in"):
                await client.get_locations()
