"""Purchase orders and receiving: CSV for the supplier, on order, partial and faulty deliveries."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from tests.support.clients import running_service
from tests.support.sandbox import SandboxAdmin
from zinv_tui.service import (
    LineState,
    MovementRejected,
    OrderError,
    OrderStatus,
    Reason,
    ReceiptStatus,
    ReceivingError,
    UnknownItem,
    reorder_desk,
)

pytestmark = pytest.mark.timeout(180)


def _supplier_moves(info, tag: str, service) -> Counter:
    """Per variant, units the sandbox moved for the journal entries with ``tag``."""
    entries = [e for e in service.history(text=tag) if e.reason is Reason.RESTOCK]
    batches = {e.sent_as for e in entries}
    moved: Counter = Counter()
    for move in SandboxAdmin(info).ledger():
        if move["externalUuid"] in batches:
            moved[move["variantUuid"]] += move["change"]
    return moved


async def test_an_order_goes_to_the_supplier_as_csv_and_counts_as_on_order(
    sandbox_factory, tmp_path: Path
) -> None:
    info = sandbox_factory(products=30)
    async with running_service(info, tmp_path) as service:
        desk = reorder_desk(service)
        rows = sorted(service.rows.values(), key=lambda row: row.key)[:3]
        order = desk.orders.create("=Bean Co")  # a supplier name a spreadsheet would run
        desk.orders.set_line(order.id, rows[0], 24, pack_size=12, supplier_code="OAT-1L")
        desk.orders.set_line(order.id, rows[1], 5, unit_cost=199)
        desk.orders.set_line(order.id, rows[1], 6, unit_cost=199)  # changed, not doubled
        with pytest.raises(OrderError, match="packs of 12"):
            desk.orders.set_line(order.id, rows[2], 13, pack_size=12)
        with pytest.raises(OrderError):
            desk.orders.set_line(order.id, rows[2], 0)
        assert desk.orders.on_order() == {}  # a draft is not on order
        path = tmp_path / "po.csv"
        assert desk.orders.export_csv(order.id, path) == 2
        lines = list(csv.DictReader(path.open(encoding="utf-8")))
        assert [(line["sku"], line["quantity"], line["packs"]) for line in lines] == [
            (rows[0].sku, "24", "2"),
            (rows[1].sku, "6", "6"),
        ]
        assert lines[0]["supplier"] == "'=Bean Co" and lines[0]["supplier_code"] == "OAT-1L"
        assert lines[1]["unit_cost"] == "1.99" and lines[1]["line_total"] == "11.94"
        assert desk.orders.order(order.id).status is OrderStatus.ORDERED
        assert desk.orders.on_order() == {rows[0].variant_uuid: 24, rows[1].variant_uuid: 6}
        assert desk.orders.order(order.id).name.startswith("PO-")


async def test_a_partial_delivery_leaves_the_rest_on_order(sandbox_factory, tmp_path: Path) -> None:
    info = sandbox_factory(products=30)
    async with running_service(info, tmp_path) as service:
        desk = reorder_desk(service)
        rows = sorted((r for r in service.rows.values() if r.sku), key=lambda row: row.key)
        first, second, third, stranger = rows[:4]
        before = {row.key: row.shown_balance for row in rows[:4]}
        order = desk.orders.create("Harbour Foods")
        desk.orders.set_line(order.id, first, 10)
        desk.orders.set_line(order.id, second, 12, pack_size=6)
        desk.orders.set_line(order.id, third, 4)
        desk.orders.mark_ordered(order.id)

        receipt = desk.receiving.start(order.id)
        for _ in range(6):
            desk.receiving.scan(receipt.id, first.sku)  # 6 of 10: short
        desk.receiving.set_received(receipt.id, second.key, good=13, damaged=1)  # over, 1 broken
        desk.receiving.add(receipt.id, stranger.key, 2)  # not on the order: a substitution
        desk.receiving.scan(receipt.id, first.sku)
        assert desk.receiving.take_back(receipt.id).good == 6  # the 7th scan taken back
        with pytest.raises(UnknownItem):
            desk.receiving.scan(receipt.id, "no-such-code")
        plan = desk.receiving.plan(receipt.id)
        states = {line.key: line.state for line in plan.lines}
        assert states == {
            first.key: LineState.SHORT,
            second.key: LineState.OVER,
            third.key: LineState.NOT_RECEIVED,
            stranger.key: LineState.EXTRA,
        }
        assert plan.summary() == (
            "21 units into stock on 3 lines; 1 short, 1 not received, 1 over, 1 extra, "
            "1 damaged (not booked)"
        )
        result = await desk.receiving.commit(receipt.id)
        assert result.order_status is OrderStatus.PARTIAL
        assert all(
            entry.note == f"received {order.name} ({receipt.tag})" for entry in result.entries
        )
        assert await service.flush(20)
        # the rest stays on order: 4 of the first line, all of the third; the over line is done
        assert desk.orders.on_order() == {first.variant_uuid: 4, third.variant_uuid: 4}

        second_receipt = desk.receiving.start(order.id)
        assert second_receipt.id != receipt.id
        desk.receiving.receive_all(second_receipt.id)
        result = await desk.receiving.commit(second_receipt.id)
        assert result.order_status is OrderStatus.RECEIVED
        assert desk.orders.on_order() == {}
        assert await service.flush(20)
        await service.refresh(full=True)
        after = {key: service.rows[key].shown_balance for key in before}
        assert after == {
            first.key: before[first.key] + 10,
            second.key: before[second.key] + 13,
            third.key: before[third.key] + 4,
            stranger.key: before[stranger.key] + 2,
        }
        truth = SandboxAdmin(info).store_balances()
        assert all(truth[key] == after[key] for key in after)
        with pytest.raises(ReceivingError):
            desk.receiving.start(order.id)  # received: nothing left to receive


SPEED = 5.0
"""Zettle's time, scaled for the fault test: the throttle allows SPEED x 4 requests a second and
asks SPEED times shorter waits, and the poller polls SPEED times as often (the ratios the outbox
meets are the real ones)."""


@pytest.mark.slow(seconds=8)
async def test_receiving_through_faults_loses_and_doubles_nothing(
    sandbox_factory, tmp_path: Path
) -> None:
    info = sandbox_factory(products=40, fault_seed=7)
    async with running_service(
        info,
        tmp_path,
        max_batch=3,
        poll_interval=0.3 / SPEED,
        client_options={"max_retries": 0},
    ) as service:
        desk = reorder_desk(service)
        rows = sorted(service.rows.values(), key=lambda row: row.key)[:9]
        order = desk.orders.create("Flaky Wholesale")
        for index, row in enumerate(rows):
            desk.orders.set_line(order.id, row, index + 1)
        desk.orders.mark_ordered(order.id)
        receipt = desk.receiving.start(order.id)
        desk.receiving.receive_all(receipt.id)
        SandboxAdmin(info).faults(
            error_rate=0.3,
            drop_rate=0.3,
            drop_phase="both",
            throttle=True,
            throttle_rate=4.0 * SPEED,  # Retry-After scales with it
        )
        result = await desk.receiving.commit(receipt.id)
        again = await desk.receiving.commit(receipt.id)  # a second press posts nothing more
        assert again.receipt.status is ReceiptStatus.COMMITTED
        assert sorted(e.id for e in again.entries) == [e.id for e in result.entries]
        assert await service.flush(90), service.status
        SandboxAdmin(info).faults(error_rate=0.0, drop_rate=0.0, throttle=False)
        moved = _supplier_moves(info, receipt.tag, service)
        assert moved == {row.variant_uuid: index + 1 for index, row in enumerate(rows)}
        assert any(entry.attempts for entry in service.history(text=receipt.tag))


async def test_a_crash_between_the_journal_and_the_receipt_never_books_twice(
    sandbox_factory, tmp_path: Path
) -> None:
    info = sandbox_factory(products=30)
    async with running_service(info, tmp_path) as service:
        desk = reorder_desk(service)
        rows = sorted(service.rows.values(), key=lambda row: row.key)[:2]
        order = desk.orders.create("Bean Co")
        for row in rows:
            desk.orders.set_line(order.id, row, 5)
        desk.orders.mark_ordered(order.id)
        receipt = desk.receiving.start(order.id)
        desk.receiving.receive_all(receipt.id)
        plan = desk.receiving.plan(receipt.id)
        # what commit does up to the crash: committing, then the journal, then... nothing
        desk.db.execute("UPDATE receipts SET status = 'committing' WHERE id = ?", (receipt.id,))
        await service.record(plan.intents)
        result = await desk.receiving.commit(receipt.id)  # the next attempt mends it
        assert result.receipt.status is ReceiptStatus.COMMITTED
        assert result.order_status is OrderStatus.RECEIVED
        journaled = [e for e in service.history(text=receipt.tag)]
        assert len(journaled) == 2
        # and a receipt left committing before anything reached the journal is open again
        other = desk.orders.create("Bean Co")
        desk.orders.set_line(other.id, rows[0], 3)
        desk.orders.mark_ordered(other.id)
        second = desk.receiving.start(other.id)
        desk.receiving.receive_all(second.id)
        desk.db.execute("UPDATE receipts SET status = 'committing' WHERE id = ?", (second.id,))
        (mended,) = desk.receiving.recover()
        assert mended.status is ReceiptStatus.OPEN
        assert not service.history(text=second.tag)


async def test_a_refused_receipt_books_nothing_and_stays_open(sandbox_factory, tmp_path) -> None:
    info = sandbox_factory(products=30)
    async with running_service(info, tmp_path) as service:
        desk = reorder_desk(service)
        row = sorted(service.rows.values(), key=lambda row: row.key)[0]
        order = desk.orders.create("Bean Co")
        desk.orders.set_line(order.id, row, 5)
        desk.orders.mark_ordered(order.id)
        receipt = desk.receiving.start(order.id)
        with pytest.raises(ReceivingError, match="Nothing received"):
            await desk.receiving.commit(receipt.id)
        desk.receiving.add(receipt.id, ("0" * 8 + "-0000-1000-8000-" + "0" * 12, "x"), 1)
        with pytest.raises(MovementRejected):
            await desk.receiving.commit(receipt.id)
        assert desk.receiving.receipt(receipt.id).status is ReceiptStatus.OPEN
        assert desk.orders.on_order() == {row.variant_uuid: 5}
