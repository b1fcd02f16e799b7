"""The service on a backend shaped like Zettle v3: no change feed (full reads, paced), low-stock
levels on the balance lines, writes answered with no balances, tracking told apart.

The backend is the real v1 backend on a real sandbox, seen through an adapter that hides what v3
lacks and moves the levels onto the lines, as a v3 backend would give them: the service must keep
the stock right with only what the port promises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.support.sandbox import SandboxAdmin
from zinv_tui.api.v1.backend import ZettleV1Backend
from zinv_tui.build import ShopAccess, open_client
from zinv_tui.service import InventoryService, MovementIntent, OutboxStatus, Reason
from zinv_tui.service.backend import (
    Applied,
    BalanceLine,
    Capabilities,
    LineSink,
    MovementBatch,
    Place,
    RowKey,
    SendOutcome,
    SinkT,
    SnapshotEnd,
)

pytestmark = pytest.mark.timeout(60)


class Line(NamedTuple):
    product_uuid: str
    variant_uuid: str
    balance: int
    low_stock_level: int | None
    low_stock_alert: bool


class Levelled:
    """A sink that hands on lines with their low-stock setting, as v3's stock rows carry it."""

    def __init__(self, sink: LineSink, levels: dict[RowKey, tuple[int | None, bool]]) -> None:
        self.sink = sink
        self.levels = levels

    def take(self, lines: Sequence[BalanceLine]) -> None:
        self.sink.take(
            [
                Line(
                    line.product_uuid,
                    line.variant_uuid,
                    line.balance,
                    *self.levels.get(
                        (line.product_uuid.lower(), line.variant_uuid.lower()), (None, False)
                    ),
                )
                for line in lines
            ]
        )


class V3Shaped:
    """The v1 backend with v3's shape (see the module doc)."""

    name = "v3-shaped sandbox"
    capabilities = Capabilities(levels_on_rows=True, max_batch=100)
    change_feed = None

    def __init__(self, v1: ZettleV1Backend) -> None:
        self.v1 = v1
        self.snapshots = 0
        self.tracking_asked = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.v1, name)

    async def read_snapshot(
        self, place: Place, new_sink: Callable[[], SinkT]
    ) -> tuple[SinkT, SnapshotEnd]:
        self.snapshots += 1
        levels = {
            (line.product_uuid.lower(), line.variant_uuid.lower()): (line.level, line.alert)
            for line in await self.v1.low_stock(place)
        }
        made: list[SinkT] = []

        def levelled() -> Levelled:
            made.append(new_sink())
            return Levelled(made[-1], levels)

        await self.v1.read_snapshot(place, levelled)
        return made[-1], SnapshotEnd(tracked_products=None, cursor=None)  # v3 says neither

    async def tracking(self, products: Sequence[str]) -> dict[str, bool]:
        self.tracking_asked += 1
        return await self.v1.tracking(products)

    async def low_stock(self, place: Place) -> list[Any]:
        raise AssertionError("levels come with the balances: no separate read")

    async def send(self, batch: MovementBatch) -> SendOutcome:
        outcome = await self.v1.send(batch)
        return Applied(None) if isinstance(outcome, Applied) else outcome  # 204: no balances


def v3_service(info: Any, state_dir: Path) -> tuple[InventoryService, V3Shaped]:
    client = open_client(ShopAccess.local(info.url, info.api_key), backoff_base=0.02)
    backend = V3Shaped(ZettleV1Backend(client))
    service = InventoryService(
        backend,
        state_dir,
        poll_interval=0.05,
        user="tester",
        close_backend=True,
        retry_base=0.05,
        paced_full_every=2.0,
    )
    return service, backend


async def test_the_stock_stays_right_on_a_v3_shaped_backend(sandbox_factory, tmp_path) -> None:
    info = sandbox_factory(products=30)
    service, backend = v3_service(info, tmp_path)
    await service.start(require_load=True)
    try:
        truth = SandboxAdmin(info).store_balances()
        assert {key: row.balance for key, row in service.rows.items()} == {
            key: truth.get(key, 0) for key in service.rows
        }
        assert backend.tracking_asked >= 1  # the snapshot did not say which are tracked
        levelled = [row for row in service.rows.values() if row.low_stock_level is not None]
        assert levelled, "the demo shop sets levels: they came with the balances"
        # No change feed: every poll is a full read, paced, never the 0.05 s interval.
        engine = service._engine
        assert engine is not None and engine.next_delay >= 2.0
        diff = await service.refresh()
        assert diff is not None and diff.full and backend.snapshots >= 2
        # A level set here is read back from the lines on the next full read.
        key = sorted(service.rows)[0]
        await service.set_low_stock([key], level=7, alert=True)
        await service.refresh()
        assert (service.rows[key].low_stock_level, service.rows[key].low_stock_alert) == (7, True)
        # A movement: applied with no balances in the answer, so the service reads them.
        before = service.rows[key].balance
        (entry,) = await service.record([MovementIntent(Reason.RESTOCK, key, quantity=3)])
        assert await service.flush(10)
        assert service.journal.entry(entry.id).status is OutboxStatus.ACKNOWLEDGED
        assert (service.rows[key].balance, service.rows[key].pending) == (before + 3, 0)
        mine = [
            m
            for m in SandboxAdmin(info).ledger()
            if m["externalUuid"] == service.journal.entry(entry.id).sent_as
        ]
        assert len(mine) == 1
        # Tracking stopped: the rows leave, and the next full read (asking tracking) agrees.
        product = key[0]
        await service.stop_tracking([product])
        assert not [k for k in service.rows if k[0] == product]
        await service.refresh()
        assert not [k for k in service.rows if k[0] == product]
        assert product in {p.uuid for p in service.untracked_products()}
    finally:
        await service.stop()
