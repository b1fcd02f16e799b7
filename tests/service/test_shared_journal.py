"""Two processes on one profile's journal (two browser tabs of ``serve --demo``, two terminals on
one profile): a movement one of them sends leaves the other's rows, and what its subscribers
were given, with no pending mark and Zettle's balance.

Both services run in this test's loop on one state dir and one sandbox. Ana's movement writes go
through a proxy that refuses them (429) until the test lets them through, so Bo polls once while
her movement is surely pending and not applied, then once after it was applied and acknowledged:
the poll in which the balance moves and the overlay empties together.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.odd_server import OddProxy, answer
from tests.support.clients import running_service
from tests.support.sandbox import SandboxAdmin
from zinv_tui.sandbox.server import SandboxInfo
from zinv_tui.service import InventoryService, MovementIntent, Reason, RowDiff, RowKey, StockRow

pytestmark = pytest.mark.timeout(60)

MOVEMENT_WRITES = {
    "v1": ("PUT", "/organizations/self/inventory"),
    "v3": ("POST", "/v3/movements"),
}
HELD = answer(429, {}, headers={"Retry-After": "0.2"})
"""Zettle's "too many requests": surely not applied, tried again shortly."""
COUNTED = 2


class Screen:
    """What a subscriber (the TUI's stock table) shows: the rows at subscription, then each diff
    applied in the order it came."""

    def __init__(self, service: InventoryService) -> None:
        self.rows: dict[RowKey, StockRow] = dict(service.rows)
        service.subscribe(self.apply)

    def apply(self, diff: RowDiff) -> None:
        for key in diff.removed_keys():
            self.rows.pop(key, None)
        for row in diff.upserts():
            self.rows[row.key] = row


def shown(row: StockRow) -> tuple[int, int]:
    return (row.balance, row.pending)


def through(proxy: OddProxy, info: SandboxInfo) -> SimpleNamespace:
    return SimpleNamespace(url=proxy.url, api_key=info.api_key, client_id=info.client_id)


def a_stocked_row(service: InventoryService) -> RowKey:
    return next(key for key, row in sorted(service.rows.items()) if row.balance > COUNTED + 3)


async def test_a_movement_another_process_sent_leaves_no_pending_on_the_second(
    sandbox_factory, tmp_path, generation
):
    info = sandbox_factory(api=generation, products=20)
    with OddProxy(info.url) as proxy:
        async with (
            running_service(info, tmp_path, generation=generation, user="Bo") as bo,
            running_service(
                through(proxy, info),
                tmp_path,
                {"max_retries": 0},
                generation=generation,
                user="Ana",
            ) as ana,
        ):
            screen = Screen(bo)
            key = a_stocked_row(bo)
            balance = bo.rows[key].balance
            proxy.on(*MOVEMENT_WRITES[generation], HELD)
            await ana.record([MovementIntent(Reason.SET_COUNT, key, count=COUNTED)])
            assert not await ana.flush(0.5)  # refused, so surely not applied: still pending
            await bo.refresh()
            assert shown(bo.rows[key]) == (balance, COUNTED - balance)
            assert shown(screen.rows[key]) == (balance, COUNTED - balance)

            proxy.clear()
            assert await ana.flush(10)
            assert SandboxAdmin(info).store_balances()[key] == COUNTED
            await bo.refresh()  # the balance moves and the overlay empties in one poll

            assert bo.status.pending_count == 0
            assert shown(bo.rows[key]) == (COUNTED, 0)
            assert shown(screen.rows[key]) == (COUNTED, 0)  # what Bo's table was given
            assert screen.rows == dict(bo.rows)
            await bo.refresh()  # and it stays so
            assert screen.rows == dict(bo.rows)
