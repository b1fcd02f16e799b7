"""The local snapshot: a service starts from it at once, then follows the feed from its cursor.

All against the sandbox over loopback HTTP (through a counting proxy where requests are counted).
"""

from __future__ import annotations

import asyncio
import logging
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tests.odd_server import OddProxy
from tests.support.clients import FAST_CLIENT, FAST_SERVICE
from tests.support.sandbox import SandboxAdmin
from zinv_tui.build import ShopAccess, open_inventory
from zinv_tui.sandbox.server import SandboxInfo
from zinv_tui.service import (
    InventoryService,
    MovementIntent,
    MovementRejected,
    Reason,
    RowDiff,
    StockCounts,
    SyncState,
)
from zinv_tui.service.local_snapshot import (
    HEAD_ROWS,
    SNAPSHOT_FILE,
    SNAPSHOT_VERSION,
    bucket_of,
    product_order,
    saved_row,
)

PROFILE = "shop"


def snapshot_service(
    info: SandboxInfo, home: Path, url: str | None = None, **options: Any
) -> InventoryService:
    """The TUI's kind of service: a profile's state and cache dirs, its local snapshot."""
    return open_inventory(
        ShopAccess.local(url or info.url, info.api_key, info.client_id),
        state_dir=home / "state",
        cache_dir=home / "cache",
        client_options=dict(FAST_CLIENT),
        snapshot_profile=options.pop("profile", PROFILE),
        **{**FAST_SERVICE, **options},
    )


async def first_run(info: SandboxInfo, home: Path) -> dict[tuple[str, str], int]:
    """A first launch (full load, snapshot written); the balances it showed."""
    service = snapshot_service(info, home)
    await service.start(require_load=True)
    rows = {key: row.balance for key, row in service.rows.items()}
    await service.stop()
    assert (home / "cache" / SNAPSHOT_FILE).exists()
    return rows


async def confirmed(service: InventoryService, seconds: float = 20.0) -> None:
    """Wait (on status events, no polling) until the first poll after the start succeeded."""
    done = asyncio.Event()

    def seen(_status: object) -> None:
        if service.loaded:
            done.set()

    unsubscribe = service.subscribe_status(seen)
    try:
        if not service.loaded:
            await asyncio.wait_for(done.wait(), seconds)
    finally:
        unsubscribe()


def store_reads(proxy: OddProxy) -> list[str]:
    """Targets of the STORE balance reads the proxy saw (full ones have no ``since``)."""
    return [
        seen.target
        for seen in proxy.seen
        if seen.method == "GET" and seen.path.endswith("/inventory")
    ]


def some_stocked(service: InventoryService) -> tuple[str, str]:
    return next(key for key, row in sorted(service.rows.items()) if row.balance > 3)


async def test_a_second_start_paints_the_snapshot_stale_then_confirms(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    before = await first_run(info, tmp_path)
    admin = SandboxAdmin(info)
    sold = next(variant for (_, variant), balance in sorted(before.items()) if balance > 2)
    admin.sale(sold, 2)

    service = snapshot_service(info, tmp_path)
    statuses = []
    service.subscribe_status(statuses.append)
    await service.start()  # the TUI's start: returns once the rows are painted
    try:
        painted = {key: row.balance for key, row in service.rows.items()}
        assert painted == before  # the snapshot's rows, at once, sale not seen yet
        assert service.status.snapshot_from is not None
        assert not service.loaded
        await confirmed(service)
        assert service.status.snapshot_from is None
        assert service.status.state is SyncState.LIVE
        now = {key[1]: row.balance for key, row in service.rows.items()}
        assert now[sold] == before[next(k for k in before if k[1] == sold)] - 2
    finally:
        await service.stop()
    assert statuses[0].snapshot_from is not None


async def test_resumes_from_the_saved_cursor_without_a_full_read(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    before = await first_run(info, tmp_path)
    admin = SandboxAdmin(info)
    sold = next(variant for (_, variant), balance in sorted(before.items()) if balance > 2)
    admin.sale(sold, 1)
    with OddProxy(info.url) as proxy:
        service = snapshot_service(info, tmp_path, url=proxy.url)
        await service.start(require_load=True)
        try:
            reads = store_reads(proxy)
            assert reads, "the balances were not read at all"
            assert all("since=" in target for target in reads), reads
            balance = {key[1]: row.balance for key, row in service.rows.items()}[sold]
            assert balance == before[next(k for k in before if k[1] == sold)] - 1
        finally:
            await service.stop()


async def test_a_full_read_once_the_safety_interval_has_passed(sandbox_factory, tmp_path):
    info = sandbox_factory(products=20)
    await first_run(info, tmp_path)
    with OddProxy(info.url) as proxy:
        service = snapshot_service(info, tmp_path, url=proxy.url, full_refresh_every=0.0)
        await service.start(require_load=True)
        await service.stop()
    assert any("since=" not in target for target in store_reads(proxy))


async def test_a_refused_cursor_reads_everything(sandbox_factory, tmp_path):
    info = sandbox_factory(products=20)
    before = await first_run(info, tmp_path)
    db = sqlite3.connect(tmp_path / "cache" / SNAPSHOT_FILE)
    with db:
        db.execute("UPDATE meta SET value = '\"not-a-cursor\"' WHERE key = 'cursor'")
    db.close()
    service = snapshot_service(info, tmp_path)
    await service.start(require_load=True)
    try:
        assert {key: row.balance for key, row in service.rows.items()} == before
        assert service.status.state is SyncState.LIVE
    finally:
        await service.stop()


def damage(path: Path, how: str) -> None:
    if how == "garbage":
        path.write_bytes(b"this is not a database" * 100)
        for side in ("-wal", "-shm"):
            Path(f"{path}{side}").unlink(missing_ok=True)
        return
    db = sqlite3.connect(path)
    with db:
        if how == "older":
            db.execute(f"PRAGMA user_version = {SNAPSHOT_VERSION - 1}")
        elif how == "newer":
            db.execute(f"PRAGMA user_version = {SNAPSHOT_VERSION + 1}")
        elif how == "half":
            db.execute("DELETE FROM meta WHERE key = 'complete'")
        elif how == "counts":
            db.execute("UPDATE buckets SET out = out + 1000")
        elif how == "pending":  # a row with a pending quantity: never written, never read
            number, data = db.execute("SELECT id, data FROM buckets LIMIT 1").fetchone()
            rows = msgspec.msgpack.decode(data)
            rows[0][7] = 5
            db.execute(
                "UPDATE buckets SET data = ? WHERE id = ?", (msgspec.msgpack.encode(rows), number)
            )
    db.close()


@pytest.mark.parametrize("how", ["garbage", "older", "newer", "half", "counts", "pending"])
async def test_an_unusable_snapshot_is_ignored_and_replaced(sandbox_factory, tmp_path, caplog, how):
    info = sandbox_factory(products=20)
    before = await first_run(info, tmp_path)
    path = tmp_path / "cache" / SNAPSHOT_FILE
    damage(path, how)
    service = snapshot_service(info, tmp_path)
    with caplog.at_level(logging.INFO, logger="zinv_tui.service.local_snapshot"):
        await service.start()
    try:
        assert service.status.snapshot_from is None  # nothing painted from it
        assert service.loaded  # a full load instead
        assert {key: row.balance for key, row in service.rows.items()} == before
    finally:
        await service.stop()
    assert "loading everything" in caplog.text
    again = snapshot_service(info, tmp_path)  # the full load wrote a good one
    await again.start()
    try:
        assert again.status.snapshot_from is not None
    finally:
        await again.stop()


async def test_another_organisations_snapshot_is_never_read(sandbox_factory, tmp_path):
    ours = sandbox_factory(products=20, seed=1)
    theirs = sandbox_factory(products=30, seed=2)
    assert ours.organization_uuid != theirs.organization_uuid
    await first_run(theirs, tmp_path)
    service = snapshot_service(ours, tmp_path)
    await service.start()
    try:
        assert service.status.snapshot_from is None
        assert service.loaded
        admin = SandboxAdmin(ours)
        assert {key: row.balance for key, row in service.rows.items() if row.balance} == {
            key: balance for key, balance in admin.store_balances().items() if balance
        }
    finally:
        await service.stop()


async def test_another_profile_or_api_never_reads_it(sandbox_factory, tmp_path):
    info = sandbox_factory(products=20)
    await first_run(info, tmp_path)
    service = snapshot_service(info, tmp_path, profile="other")
    await service.start()
    try:
        assert service.status.snapshot_from is None
    finally:
        await service.stop()


async def test_the_snapshot_holds_no_secret(sandbox_factory, tmp_path):
    info = sandbox_factory(products=20)
    await first_run(info, tmp_path)
    data = b"".join(path.read_bytes() for path in (tmp_path / "cache").iterdir() if path.is_file())
    assert info.api_key.encode() not in data
    assert info.api_key.split(".")[-1].encode() not in data  # not even the signature part


async def test_pending_movements_lie_on_top_of_the_snapshot_once(sandbox_factory, tmp_path):
    info = sandbox_factory(products=20)
    await first_run(info, tmp_path)
    service = snapshot_service(info, tmp_path)
    await service.start(require_load=True)
    key = some_stocked(service)
    balance = service.rows[key].balance
    service.record_offline([MovementIntent(Reason.RESTOCK, key, quantity=5)])
    await service.stop()  # not sent: pending in the journal

    again = snapshot_service(info, tmp_path)
    await again.start()  # painted from the snapshot, the pending restock on top
    try:
        row = again.rows[key]
        assert (row.balance, row.pending, row.shown_balance) == (balance, 5, balance + 5)
        await confirmed(again)
        assert await again.flush(wait=10)
        await again.refresh()
        row = again.rows[key]
        assert (row.balance, row.pending) == (balance + 5, 0)
    finally:
        await again.stop()

    third = snapshot_service(info, tmp_path)  # the acknowledged restock is in the snapshot once
    await third.start()
    try:
        assert third.status.snapshot_from is not None
        row = third.rows[key]
        assert (row.balance, row.pending) == (balance + 5, 0)
    finally:
        await third.stop()


async def test_the_snapshot_keeps_the_out_and_low_counts(sandbox_factory, tmp_path):
    """A launch from the snapshot has the out / low counts at once (kept per bucket), the
    pending overlay included; they stand until the rows change."""
    info = sandbox_factory(products=20)
    service = snapshot_service(info, tmp_path)
    await service.start(require_load=True)
    stocked = sorted(key for key, row in service.rows.items() if row.balance > 3)
    low, emptied = stocked[:3], stocked[3]
    await service.set_low_stock(low, 1_000, True)
    await service.flush(wait=10)
    await service.refresh()
    assert service.restored_counts is None  # a full load: nothing restored
    service.record_offline(  # a pending sale that empties a row, on top of the snapshot
        [MovementIntent(Reason.SALE, emptied, quantity=service.rows[emptied].balance)]
    )
    await service.stop()

    again = snapshot_service(info, tmp_path)
    await again.start()
    try:
        assert again.status.snapshot_from is not None
        counts = StockCounts.of(again.rows.values())
        assert counts.low >= 3 and counts.out >= 1
        assert again.rows[emptied].pending < 0  # the overlay moved it to out
        assert again.restored_counts == counts
        await confirmed(again)
        assert await again.flush(wait=10)  # the sale is acknowledged: the rows change
        assert again.restored_counts is None
    finally:
        await again.stop()


async def test_movements_recorded_before_zettle_answers_are_sent_once(sandbox_factory, tmp_path):
    """Rows painted from the snapshot can be moved at once, Zettle not reached yet: the movement
    is journaled as offline ones are (no balance before), shown, and sent once Zettle answers."""
    info = sandbox_factory(products=20)
    await first_run(info, tmp_path)
    admin = SandboxAdmin(info)
    admin.faults(error_rate=1.0)  # Zettle answers nothing useful yet
    service = snapshot_service(info, tmp_path, max_backoff=0.2)
    await service.start()
    try:
        assert service.status.snapshot_from is not None and not service.loaded
        key = some_stocked(service)
        balance = service.rows[key].balance
        entries = await service.record([MovementIntent(Reason.RESTOCK, key, quantity=5)])
        assert [entry.balance_before for entry in entries] == [None]
        assert service.rows[key].shown_balance == balance + 5
        with pytest.raises(MovementRejected, match="count needs the current balance"):
            await service.record([MovementIntent(Reason.SET_COUNT, key, count=1)])
        admin.faults(error_rate=0.0)
        await confirmed(service)
        assert await service.flush(wait=10)
        await service.refresh(full=True)  # Zettle's own balance, read afresh
        row = service.rows[key]
        assert (row.balance, row.pending) == (balance + 5, 0)
    finally:
        await service.stop()


async def test_with_paint_first_a_start_gives_the_first_screenful_then_every_row(
    sandbox_factory, tmp_path
):
    """The TUI's launch: the first rows by product, how many there are and the counts (the
    pending overlay on, inside the first rows and outside), at once; every row once the
    screenful is drawn, as one full diff, the same rows."""
    info = sandbox_factory(products=200)
    await first_run(info, tmp_path)
    service = snapshot_service(info, tmp_path)
    await service.start(require_load=True)
    ordered = sorted(service.rows.values(), key=lambda row: product_order(saved_row(row)))
    inside = next(row for row in ordered[:HEAD_ROWS] if row.balance > 0)
    outside = next(row for row in reversed(ordered) if row.balance > 0)
    service.record_offline(
        [MovementIntent(Reason.SALE, row.key, quantity=row.balance) for row in (inside, outside)]
    )
    await service.stop()

    painted = asyncio.Event()
    diffs: list[RowDiff] = []
    again = snapshot_service(info, tmp_path, paint_first=painted.wait)
    again.subscribe(diffs.append)
    await again.start()
    try:
        preview = again.preview
        assert preview is not None and not again.rows and again.status.snapshot_from is not None
        assert preview.total == len(ordered) > HEAD_ROWS
        assert [row.key for row in preview.rows] == [row.key for row in ordered[:HEAD_ROWS]]
        shown = {row.key: row for row in preview.rows}
        assert shown[inside.key].shown_balance == 0  # the pending sale on top
        counts = again.restored_counts
        painted.set()
        for _ in range(500):
            if again.rows:
                break
            await asyncio.sleep(0.01)
        assert again.preview is None and [diff.full for diff in diffs] == [True]
        assert len(again.rows) == preview.total
        assert [again.rows[row.key] for row in preview.rows] == preview.rows
        assert counts == StockCounts.of(again.rows.values())
        assert again.rows[outside.key].shown_balance == 0
    finally:
        await again.stop()


async def test_a_snapshot_unreadable_after_its_first_screenful_gives_way_to_zettle(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(products=200)
    before = await first_run(info, tmp_path)
    painted = asyncio.Event()
    again = snapshot_service(info, tmp_path, paint_first=painted.wait)
    await again.start()
    try:
        assert again.preview is not None
        db = sqlite3.connect(tmp_path / "cache" / SNAPSHOT_FILE)
        with db:
            db.execute("UPDATE buckets SET data = x'c1'")  # no msgpack: the rows are lost
        db.close()
        painted.set()
        await confirmed(again)
        assert again.preview is None and again.status.snapshot_from is None
        assert {key: row.balance for key, row in again.rows.items()} == before
    finally:
        await again.stop()


def stored_buckets(path: Path) -> dict[int, bytes]:
    db = sqlite3.connect(path)
    try:
        return dict(db.execute("SELECT id, data FROM buckets"))
    finally:
        db.close()


async def test_a_diff_rewrites_only_the_bucket_of_its_row(sandbox_factory, tmp_path):
    info = sandbox_factory(products=30)
    await first_run(info, tmp_path)
    path = tmp_path / "cache" / SNAPSHOT_FILE
    service = snapshot_service(info, tmp_path)
    await service.start(require_load=True)
    try:
        assert service._snapshot is not None and service._snapshot.flush()
        before = stored_buckets(path)
        key = some_stocked(service)
        SandboxAdmin(info).sale(key[1], 1)
        await service.refresh()
        assert service._snapshot.flush()
        after = stored_buckets(path)
        changed = [number for number in after if after[number] != before.get(number)]
        assert changed == [bucket_of(key[1])]
        stored = {row[1]: row for row in msgspec.msgpack.decode(after[changed[0]])}
        assert stored[key[1]][6] == service.rows[key].balance
    finally:
        await service.stop()


WORKER = Path(__file__).with_name("snapshot_worker.py")


def kill_mid_write(info: SandboxInfo, home: Path, times: int) -> None:
    """Run the polling worker on ``home`` and kill -9 it a random moment into its writing."""
    rng = random.Random(12)
    for _ in range(times):
        worker = subprocess.Popen(
            [sys.executable, str(WORKER), info.url, info.api_key, info.client_id, str(home)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "polling"
            time.sleep(rng.uniform(0.1, 0.6))  # the kill's moment is the subject, not a wait
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)


@pytest.mark.slow(seconds=12)
async def test_a_killed_app_restarts_from_its_snapshot(sandbox_factory, tmp_path):
    info = sandbox_factory(products=300)
    admin = SandboxAdmin(info)
    kill_mid_write(info, tmp_path, times=4)
    with OddProxy(info.url) as proxy:
        service = snapshot_service(info, tmp_path, url=proxy.url)
        await service.start()
        try:
            assert service.status.snapshot_from is not None  # painted from what the kill left
            assert len(service.rows) > 0
            await confirmed(service)
            truth = {key: balance for key, balance in admin.store_balances().items() if balance}
            shown = {key: row.balance for key, row in service.rows.items() if row.balance}
            assert shown == truth  # caught up from the saved cursor alone
            assert all("since=" in target for target in store_reads(proxy))
        finally:
            await service.stop()


async def test_a_first_full_read_is_written_once_the_rows_are_painted(sandbox_factory, tmp_path):
    """``first_save_after`` (the TUI: until the rows are drawn) holds a launch's first full
    write: nothing is written before it, the rows and cursor of its own moment are (a change
    meanwhile included), and a stop before it still writes it."""
    info = sandbox_factory(products=20)
    painted = asyncio.Event()
    service = snapshot_service(info, tmp_path, first_save_after=painted.wait)
    await service.start(require_load=True)
    try:
        snapshot, waiting = service._snapshot, service._full_save
        assert snapshot is not None and waiting is not None
        assert snapshot.flush() and snapshot.load() is None  # not written while the paint waits
        key = sorted(k for k, row in service.rows.items() if row.balance > 1)[0]
        SandboxAdmin(info).sale(key[1], 1)
        assert await service.refresh() is not None  # a diff while the first write waits
        painted.set()
        await waiting
        assert snapshot.flush()
        saved = snapshot.load()
        assert saved is not None and service._engine is not None
        assert {row.key: row.balance for row in saved.rows} == {
            k: row.balance for k, row in service.rows.items()
        }
        assert saved.cursor == service._engine.cursor
    finally:
        await service.stop()
    home = tmp_path / "quit-at-once"
    service = snapshot_service(info, home, first_save_after=asyncio.Event().wait)
    await service.start(require_load=True)
    shown = {key: row.balance for key, row in service.rows.items()}
    await service.stop()  # before any paint: written as it stops
    again = snapshot_service(info, home)
    await again.start()
    try:
        assert again.status.snapshot_from is not None
        assert {key: row.balance for key, row in again.rows.items()} == shown
    finally:
        await again.stop()
