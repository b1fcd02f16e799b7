"""``SnapshotStream``: a full balance snapshot decoded as it arrives equals the whole-body decode.

Every body is fed in chunks of several sizes with a tiny flush size, so the stream really cuts
between lines (the checks below assert it did, where the layout allows), and the lines it hands
over, with the tracked products and cursor, must equal :func:`decode_balances` of the whole body.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.api.canned_http import CannedServer, reply, token_reply
from tests.support.clients import make_client
from zinv_tui.api import ApiEndpoints, ZettleClient
from zinv_tui.api.pipeline import BytesSink
from zinv_tui.api.v1.backend import ZettleV1Backend
from zinv_tui.api.v1.balances import (
    BalanceFeedError,
    BalanceLine,
    SnapshotStream,
    decode_balances,
)
from zinv_tui.api.v1.balances import StoreBalances as BalanceAnswer
from zinv_tui.service.backend import Place, PlaceKind
from zinv_tui.service.rows import RowDiff
from zinv_tui.service.status import SyncState
from zinv_tui.service.sync import SyncEngine
from zinv_tui.service.view import InventoryView

pytestmark = pytest.mark.timeout(60)

CHUNKS = [1, 7, 64, 1000, 10**9]


class Lines:
    """A line sink that keeps what it was given and how many batches."""

    def __init__(self) -> None:
        self.lines: list[BalanceLine] = []
        self.batches = 0

    def take(self, lines: list[BalanceLine]) -> None:
        self.batches += 1
        self.lines.extend(lines)


def stream(body: bytes, chunk: int, flush_at: int = 64) -> tuple[Lines, BalanceAnswer, int]:
    """Feed ``body`` in ``chunk``-byte pieces: (the sink, finish()'s answer, lines cut early)."""
    sink = Lines()
    decoder = SnapshotStream(sink, flush_at=flush_at)
    for start in range(0, len(body), chunk):
        decoder.write(body[start : start + chunk])
    early = decoder.lines
    answer = decoder.finish()
    assert answer.variants == []
    assert decoder.lines == len(sink.lines)
    return sink, answer, early


def assert_same_as_whole(body: bytes, *, cuts: bool) -> None:
    whole = decode_balances(body)
    for chunk in CHUNKS:
        sink, answer, early = stream(body, chunk)
        assert sink.lines == whole.variants, chunk
        assert answer.tracked_products == whole.tracked_products
        assert answer.untracked_products == whole.untracked_products
        assert answer.latest == whole.latest
        if not cuts:
            assert early == 0, "decoded whole at the end"
        elif chunk < len(body):
            assert early > 0 and sink.batches > 1, f"no cut with chunks of {chunk}"


def line(product: str, variant: str, balance: object, **extra: object) -> dict[str, object]:
    return {
        "locationUuid": "6e5e8d52-5ce0-11ec-bf63-0242ac130002",
        "locationType": "STORE",
        "productUuid": product,
        "variantUuid": variant,
        "balance": balance,
        **extra,
    }


def body_of(lines: list[dict[str, object]], **fields: object) -> dict[str, object]:
    return {
        "locationUuid": "6e5e8d52-5ce0-11ec-bf63-0242ac130002",
        "trackedProducts": sorted({str(x["productUuid"]) for x in lines}),
        "variants": lines,
        "latest": 17,
        **fields,
    }


def uuid(n: int) -> str:
    return f"{n:08x}-5ce0-11ec-bf63-0242ac130002"


LINES = [line(uuid(i // 3), uuid(1000 + i), str(i * 7 - 20)) for i in range(40)]


async def test_the_sandbox_snapshot_streams_over_http_as_it_decodes_whole(sandbox) -> None:
    async with make_client(sandbox) as client:
        body = (await client.get_store_balances_into(BytesSink)).getvalue()
        received = client.stats.bytes_received
        decoder = await client.get_store_balances_into(
            lambda: SnapshotStream(Lines(), flush_at=512)
        )
        wire = client.stats.bytes_received - received
        early = decoder.lines
        answer = decoder.finish()
    whole = decode_balances(body)
    assert len(whole.variants) > 100
    assert isinstance(decoder.lines_to, Lines)
    assert decoder.lines_to.lines == whole.variants
    assert (answer.tracked_products, answer.latest) == (whole.tracked_products, whole.latest)
    assert early > len(whole.variants) // 2  # most lines were decoded while the body arrived
    assert wire > len(body)  # the same answer, counted on the wire with its headers
    assert_same_as_whole(body, cuts=True)


def test_compact_answer_is_cut_between_lines() -> None:
    assert_same_as_whole(json.dumps(body_of(LINES), separators=(",", ":")).encode(), cuts=True)


def test_pretty_printed_answer_as_in_the_docs_is_cut_too() -> None:
    assert_same_as_whole(json.dumps(body_of(LINES), indent=4).encode(), cuts=True)
    spaced = json.dumps(body_of(LINES), separators=(" , ", " : ")).encode()
    assert_same_as_whole(b"\r\n\t " + spaced.replace(b"}", b"\n}\t") + b" \n", cuts=True)


def test_reordered_keys_and_balances_spelled_every_way() -> None:
    spellings: list[object] = ["42", 42, "9.0", 9.0, " 9 ", "-3", 0, "1e2"]
    lines = [
        {
            "balance": spellings[i % len(spellings)],
            "variantUuid": uuid(2000 + i),
            "productUuid": uuid(i // 2),
        }
        for i in range(40)
    ]
    body = body_of(lines)
    # The cursor first, the variants before the tracked products, an extra key last.
    reordered = {"latest": "abc", "variants": body["variants"], "trackedProducts": [uuid(1)]}
    reordered["untrackedProducts"] = [uuid(2)]
    reordered["extra"] = {"variants": [{"x": 1}]}
    for doc in (body, reordered):
        payload = json.dumps(doc, separators=(",", ":")).encode()
        assert_same_as_whole(payload, cuts=True)
    assert [x.balance for x in decode_balances(payload).variants[:8]] == [
        42,
        42,
        9,
        9,
        9,
        -3,
        0,
        100,
    ]


def test_strings_and_nested_values_that_look_like_cuts_are_not_cut() -> None:
    tricky = [
        line(uuid(1), uuid(11), "1", note='a},{"b":"c'),
        line(uuid(1), uuid(12), "2", nested={"list": [{"a": 1}, {"b": "},{"}], "o": {}}),
        line(uuid(2), uuid(13), "3", note="}, {"),
        *LINES,
    ]
    assert_same_as_whole(json.dumps(body_of(tricky)).encode(), cuts=True)
    # "variants" inside a string or a nested object before the real key: decoded whole.
    in_a_string = {"note": '"variants":[', **body_of(LINES)}
    assert_same_as_whole(json.dumps(in_a_string).encode(), cuts=True)
    nested_first = {"meta": {"variants": [{"a": 1}, {"b": 2}]}, **body_of(LINES)}
    assert_same_as_whole(json.dumps(nested_first).encode(), cuts=False)


def test_empty_and_minimal_answers() -> None:
    for body in (b'{"variants":[]}', b"{}", b'{"latest":3,"variants":[ ]}', b' {"variants": []} '):
        assert_same_as_whole(body, cuts=False)


def test_a_layout_with_no_cuts_is_decoded_whole_at_the_end() -> None:
    one_line = [line(uuid(1), uuid(2), "5", padding="x" * 5000)]
    body = json.dumps(body_of(one_line)).encode()
    sink, _, early = stream(body, 100)
    assert early == 0 and sink.lines == decode_balances(body).variants


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "unreadable"),
        (b"not json", "unreadable"),
        (
            json.dumps(
                {"variants": [{"productUuid": uuid(1), "variantUuid": uuid(2), "balance": "x"}]}
            ).encode(),
            "whole number",
        ),
        (b'{"variants":"nope"}', "unreadable"),
        (
            json.dumps({"variants": [{"productUuid": uuid(1), "balance": "1"}]}).encode(),
            "variantUuid",
        ),
    ],
)
def test_unreadable_answers_raise_a_clear_error(body: bytes, words: str) -> None:
    for chunk in CHUNKS:
        with pytest.raises(BalanceFeedError, match=words):
            stream(body, chunk)


def test_a_malformed_line_mid_stream_raises_at_the_end_and_stops_decoding() -> None:
    good = json.dumps(body_of(LINES), separators=(",", ":")).encode()
    bad_balance = good.replace(b'"balance":"50"', b'"balance":"5 0"')
    assert bad_balance != good
    truncated = good[: len(good) // 2]
    broken = good.replace(b'},{"locationUuid"', b'},{{"locationUuid"', 5)
    for body in (bad_balance, truncated, broken):
        with pytest.raises(BalanceFeedError):
            decode_balances(body)
        for chunk in CHUNKS:
            sink = Lines()
            decoder = SnapshotStream(sink, flush_at=64)
            for start in range(0, len(body), chunk):
                decoder.write(body[start : start + chunk])
            with pytest.raises(BalanceFeedError, match=r"unreadable|whole number"):
                decoder.finish()


async def test_the_engine_reports_a_malformed_snapshot_in_plain_words_and_its_bytes() -> None:
    lines = [line(uuid(1), uuid(10 + i), str(i + 1)) for i in range(3000)]
    good = json.dumps(body_of(lines), separators=(",", ":")).encode()
    malformed = good[: len(good) // 2] + b"\x00garbage" + good[len(good) // 2 :]
    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        server.on("GET", "/organizations/self/inventory", reply(200, malformed), reply(200, good))
        client = ZettleClient(
            "opaque-test-api-key-0123456789abcdef",
            endpoints=ApiEndpoints.single(server.url),
            client_id="client-1",
            requests_per_second=None,
        )
        async with client:
            view = InventoryView()
            diffs: list[RowDiff] = []
            engine = SyncEngine(
                ZettleV1Backend(client),
                view,
                asyncio.Lock(),
                Place(uuid(0), PlaceKind.STORE),
                emit=diffs.append,
                on_state=lambda: None,
            )
            assert await engine.poll(full=True) is None
            assert engine.state is SyncState.STALE and not view.rows and not diffs
            assert engine.last_error is not None
            assert "unreadable answer" in engine.last_error, engine.last_error
            assert client.stats.bytes_received == server.bytes_written  # read to the end
            diff = await engine.poll(full=True)
            assert diff is not None and len(diff.added) == len(view.rows) == 3000
            assert engine.cursor == 17 and engine.state is SyncState.LIVE
            assert client.stats.bytes_received == server.bytes_written
