"""What a subscriber (the TUI's stock table) was given always ends equal to the service's rows.

Two processes on one profile's journal (two browser tabs of ``serve --demo``, two terminals on
one profile): a movement one of them sends leaves the other's rows, and its table, with no
pending mark and Zettle's balance. Both services run in this test's loop on one state dir and
one sandbox; Ana's movement writes go through a proxy that refuses them (429: surely not
applied) until the test lets them through, so Bo polls (or paints from the local snapshot) once
while her movement is pending, then once after it was applied and acknowledged: the poll in
which the balance moves and the overlay empties together.

One process: a movement recorded while a poll awaits an answer is not painted over by the
poll's older rows.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.odd_server import Action, OddProxy, Reply, Seen, answer
from tests.support.clients import FAST_CLIENT, FAST_SERVICE, running_service, track_elsewhere
from tests.support.sandbox import SandboxAdmin
from zinv_tui.build import ShopAccess, open_inventory
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


async def refused(service: InventoryService) -> None:
    """Wait (on status events) until the service's sender met a refusal."""
    done = asyncio.Event()
    unsubscribe = service.subscribe_status(
        lambda status: done.set() if status.sending_error else None
    )
    try:
        if not service.status.sending_error:
            await asyncio.wait_for(done.wait(), 10)
    finally:
        unsubscribe()
    assert service.status.pending_count


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
            await refused(ana)  # so surely not applied: pending in the journal
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


def profile_service(
    url: str, info: SandboxInfo, home: Path, generation: str, **options: Any
) -> InventoryService:
    """The TUI's kind of service on one profile (two terminals: the same state and cache dirs,
    the same local snapshot)."""
    access = replace(ShopAccess.local(url, info.api_key, info.client_id), api_version=generation)
    return open_inventory(
        access,
        state_dir=home / "state",
        cache_dir=home / "cache",
        client_options={**FAST_CLIENT, **options.pop("client_options", {})},
        snapshot_profile="shop",
        **{**FAST_SERVICE, **options},
    )


async def test_a_terminal_painted_from_the_snapshot_while_it_was_pending_clears_it(
    sandbox_factory, tmp_path, generation
):
    info = sandbox_factory(api=generation, products=20)
    first = profile_service(info.url, info, tmp_path, generation)
    await first.start(require_load=True)  # a first launch writes the snapshot
    key = a_stocked_row(first)
    balance = first.rows[key].balance
    await first.stop()

    with OddProxy(info.url) as proxy:
        proxy.on(*MOVEMENT_WRITES[generation], HELD)
        ana = profile_service(
            proxy.url, info, tmp_path, generation, client_options={"max_retries": 0}, user="Ana"
        )
        await ana.start(require_load=True)
        caught_up = asyncio.Event()
        bo = profile_service(info.url, info, tmp_path, generation, catch_up_after=caught_up.wait)
        try:
            await ana.record([MovementIntent(Reason.SET_COUNT, key, count=COUNTED)])
            await refused(ana)  # so surely not applied: pending in the journal

            await bo.start()  # painted from the snapshot, Ana's count pending on top
            assert bo.restored_at is not None and not bo.loaded
            screen = Screen(bo)
            assert shown(screen.rows[key]) == (balance, COUNTED - balance)

            proxy.clear()
            assert await ana.flush(10)
            loaded = asyncio.Event()
            bo.subscribe_status(lambda _status: loaded.set() if bo.loaded else None)
            caught_up.set()  # Bo catches up from the snapshot's cursor
            await asyncio.wait_for(loaded.wait(), 20)

            assert shown(bo.rows[key]) == (COUNTED, 0)
            assert shown(screen.rows[key]) == (COUNTED, 0)
            assert screen.rows == dict(bo.rows)
        finally:
            await bo.stop()
            await ana.stop()


def held_until(release: threading.Event, reached: threading.Event) -> tuple[Action, bool]:
    """Forward the request, then keep its answer until ``release`` (``reached`` says it came)."""

    def act(_seen: Seen, sent: Reply | None) -> Reply:
        assert sent is not None
        reached.set()
        release.wait(10)
        return sent

    return act, True


async def test_a_movement_recorded_while_a_poll_reads_keeps_its_mark_on_the_screen(
    sandbox_factory, tmp_path
):
    """One process: a poll that reads a newly tracked product's balances (v1's feed names it)
    holds its diff across that read; a movement recorded meanwhile must not be painted over."""
    info = sandbox_factory(products=20)
    with OddProxy(info.url) as proxy:
        async with running_service(
            through(proxy, info), tmp_path, {"max_retries": 0}, user="Ana"
        ) as ana:
            screen = Screen(ana)
            key = a_stocked_row(ana)
            balance = ana.rows[key].balance
            untracked = ana.untracked_products()[0]
            SandboxAdmin(info).sale(key[1], 1)  # the feed brings the row in the poll's diff
            await track_elsewhere(info, "v1", untracked.uuid, on=True)
            release, reached = threading.Event(), threading.Event()
            proxy.on(*MOVEMENT_WRITES["v1"], HELD)
            proxy.on(
                "POST",
                "/organizations/self/inventory/products",
                held_until(release, reached),
                times=1,
            )

            polling = asyncio.create_task(ana.refresh())
            assert await asyncio.to_thread(reached.wait, 10)  # the poll reads the new product
            await ana.record([MovementIntent(Reason.RESTOCK, key, quantity=5)])
            release.set()
            assert await polling is not None

            assert {row.product_uuid for row in ana.rows.values()} >= {untracked.uuid}
            assert shown(ana.rows[key]) == (balance - 1, 5)
            assert shown(screen.rows[key]) == (balance - 1, 5)
            assert screen.rows == dict(ana.rows)


async def test_a_movement_recorded_while_a_poll_reads_balances_keeps_new_levels_and_its_mark(
    sandbox_factory, tmp_path
):
    """One process (v1, levels read apart): a poll's new low-stock levels were held across its
    balance read, so a movement recorded meanwhile was painted over by the older row."""
    info = sandbox_factory(products=20)
    with OddProxy(info.url) as proxy:
        async with (
            running_service(
                through(proxy, info),
                tmp_path / "ana",
                {"max_retries": 0},
                user="Ana",
                catalogue_every=0.0,
            ) as ana,
            running_service(info, tmp_path / "bo", user="Bo") as bo,
        ):
            screen = Screen(ana)
            key = a_stocked_row(ana)
            balance = ana.rows[key].balance
            await bo.set_low_stock([key], 7, True)  # elsewhere: Ana's next poll reads it
            release, reached = threading.Event(), threading.Event()
            proxy.on(*MOVEMENT_WRITES["v1"], HELD)
            proxy.on("GET", "/organizations/self/inventory", held_until(release, reached), times=1)

            polling = asyncio.create_task(ana.refresh())
            assert await asyncio.to_thread(reached.wait, 10)  # levels read, balances on the way
            await ana.record([MovementIntent(Reason.RESTOCK, key, quantity=5)])
            release.set()
            assert await polling is not None

            row = ana.rows[key]
            assert (row.balance, row.pending, row.low_stock_level) == (balance, 5, 7)
            assert screen.rows[key] == row
            assert screen.rows == dict(ana.rows)


async def test_new_levels_reach_the_screen_when_the_balance_read_then_fails(
    sandbox_factory, tmp_path
):
    """v1 reads levels apart, before the balances: a failed balance read used to drop their
    diff (the rows had the new level, the table never heard of it)."""
    info = sandbox_factory(products=20)
    with OddProxy(info.url) as proxy:
        async with (
            running_service(
                through(proxy, info), tmp_path / "ana", {"max_retries": 0}, catalogue_every=0.0
            ) as ana,
            running_service(info, tmp_path / "bo", user="Bo") as bo,
        ):
            screen = Screen(ana)
            key = a_stocked_row(ana)
            await bo.set_low_stock([key], 7, True)
            proxy.on("GET", "/organizations/self/inventory", answer(503, {}), times=1)

            assert await ana.refresh() is None  # the balances could not be read

            assert ana.rows[key].low_stock_level == 7
            assert screen.rows == dict(ana.rows)
