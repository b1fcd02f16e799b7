"""``get_products_into``: the Product Library fed to a sink as it arrives, a fresh sink per try."""

from __future__ import annotations

import pytest

from tests.support.clients import make_client, raw_store_balances
from zinv_tui.api.pipeline import BytesSink

pytestmark = pytest.mark.timeout(60)


class Chunks:
    """A sink that keeps what it was given (and counts how many were made)."""

    made = 0

    def __init__(self) -> None:
        Chunks.made += 1
        self.parts: list[bytes] = []

    def write(self, chunk: bytes) -> None:
        self.parts.append(chunk)

    @property
    def body(self) -> bytes:
        return b"".join(self.parts)


async def test_products_into_a_sink_with_etag(sandbox) -> None:
    async with make_client(sandbox) as client:
        whole, whole_etag = await client.get_products_into(BytesSink)
        assert whole is not None
        sink, etag = await client.get_products_into(Chunks)
        assert sink is not None and sink.body == whole.getvalue() and etag == whole_etag
        again, same = await client.get_products_into(Chunks, etag=etag)
        assert again is None and same == etag  # 304: no sink, nothing written


async def test_a_drop_mid_body_retries_with_a_fresh_sink(sandbox_factory) -> None:
    # Dropped connections send the headers and part of the body, then cut the connection.
    info = sandbox_factory(products=40, drop_rate=0.5, drop_phase="before", fault_seed=4)
    async with make_client(info, max_retries=20) as client:
        await client.get_locations()  # the token first: from here on every retry is the read's
        retried = 0
        for _ in range(10):
            Chunks.made = 0
            before = client.stats.retries
            sink, _ = await client.get_products_into(Chunks)
            assert sink is not None
            if client.stats.retries > before:
                retried += 1
                whole, _ = await client.get_products_into(BytesSink)
                assert whole is not None
                expected = whole.getvalue()
                assert sink.body == expected  # only the last sink's bytes count
                assert Chunks.made >= 2  # each attempt that got an answer had its own sink
        assert retried, "the faults never hit a products read"


async def test_store_balances_into_a_sink_count_the_same_bytes(sandbox) -> None:
    async with make_client(sandbox) as client:
        body = await raw_store_balances(client)
        before = client.stats.snapshot()
        raw_again = await raw_store_balances(client)
        raw_cost = client.stats - before
        before = client.stats.snapshot()
        sink = await client.get_store_balances_into(Chunks)
        sink_cost = client.stats - before
        assert sink.body == raw_again == body
        assert len(sink.parts) > 1  # it really arrived in pieces
        assert (sink_cost.requests, sink_cost.bytes_sent, sink_cost.bytes_received) == (
            raw_cost.requests,
            raw_cost.bytes_sent,
            raw_cost.bytes_received,
        )
        since = await client.get_store_balances_into(Chunks, since=0)
        assert since.body == await raw_store_balances(client, since=0)


async def test_store_balances_drop_mid_body_retries_with_a_fresh_sink(sandbox_factory) -> None:
    info = sandbox_factory(products=200, drop_rate=0.5, drop_phase="before", fault_seed=7)
    async with make_client(info, max_retries=20) as client:
        await client.get_locations()
        retried = 0
        for _ in range(10):
            Chunks.made = 0
            before = client.stats.retries
            sink = await client.get_store_balances_into(Chunks)
            if client.stats.retries > before:
                retried += 1
                assert sink.body == await raw_store_balances(client)
                assert Chunks.made >= 2
        assert retried, "the faults never hit a balance read"
