"""v3's decoders and the two Link answers the sandbox never gives (a link to another host, pages
that go round), on a raw loopback server. Everything else about v3 is tested against the sandbox
(tests/service/test_v3_sandbox.py)."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.api.canned_http import CannedServer, reply, token_reply
from zinv_tui.api import ApiEndpoints, MalformedResponse, ZettleClient
from zinv_tui.api.v3.wire import WireError, decode_stock_rows

pytestmark = pytest.mark.timeout(30)

INVENTORY = str(uuid.uuid1())


def row(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "organizationUuid": str(uuid.uuid1()),
        "inventoryUuid": INVENTORY,
        "productUuid": str(uuid.uuid1()),
        "variantUuid": str(uuid.uuid1()),
        "balance": 42,
        "lowStockLevel": None,
        "lowStockAlert": False,
        "updated": "2026-11-30T11:00:00.123Z",
        "checksum": "3770345797",
    }
    base.update(fields)
    return base


def test_stock_rows_are_whole_numbers_and_a_level_of_zero_is_none() -> None:
    rows = decode_stock_rows(
        json.dumps(
            [
                row(balance="7", lowStockLevel=0),
                row(balance=9.0, lowStockLevel=2.5, lowStockAlert=True),
                row(balance=-3, lowStockLevel="4"),
            ]
        ).encode()
    )
    assert [(r.balance, r.low_stock_level, r.low_stock_alert) for r in rows] == [
        (7, None, False),
        (9, 2, True),  # a whole balance is at or below 2.5 exactly when it is at or below 2
        (-3, 4, False),
    ]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (json.dumps([row(balance=2.5)]), "$[0].balance"),
        (json.dumps([row(productUuid="42")]), "productUuid"),
        (json.dumps({"variants": []}), "array"),
        ("[" * 100_000, "unreadable stock rows"),
    ],
    ids=["fractional-balance", "short-uuid", "not-an-array", "too-deep"],
)
def test_unreadable_stock_rows_say_where(body: str, says: str) -> None:
    with pytest.raises(WireError, match=None) as raised:
        decode_stock_rows(body.encode())
    assert says in str(raised.value)


def client_for(server: CannedServer) -> ZettleClient:
    return ZettleClient(
        "opaque-test-api-key-0123456789abcdef",
        endpoints=ApiEndpoints.single(server.url),
        client_id="client-1",
        requests_per_second=None,
        backoff_base=0.01,
    )


@pytest.mark.parametrize(
    ("link", "says"),
    [
        ('<http://attacker.example/v3/stock/{inv}?cursor=a&limit=1000>; rel="next"', "host"),
        ("<{url}/v3/stock/{inv}>; rel=next", "circle"),
    ],
)
async def test_a_link_elsewhere_or_in_a_circle_is_an_error_not_an_end(link: str, says: str) -> None:
    async with CannedServer() as server:
        server.on("POST", "/token", token_reply())
        path = f"/v3/stock/{INVENTORY}"
        server.on(
            "GET",
            path,
            reply(200, [row()], {"Link": link.format(url=server.url, inv=INVENTORY)}),
        )
        async with client_for(server) as client:
            with pytest.raises(MalformedResponse, match=says):
                await client.v3.stock(INVENTORY)
        # The token never went to another host, and a circle is noticed at once.
        assert len(server.requests_to("GET", path)) <= 2
