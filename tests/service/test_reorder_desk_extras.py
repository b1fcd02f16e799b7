"""What the reorder screens ask of the desk: read progress, drafts per supplier, the last item a
receipt took, and one item's days, movements and value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.support.clients import running_service
from tests.support.sandbox import SandboxAdmin
from zinv_tui.service import (
    EventKind,
    MovementIntent,
    OrderStatus,
    Reason,
    ReorderParams,
    reorder_desk,
)
from zinv_tui.service.item_detail import estimated_balances

pytestmark = pytest.mark.timeout(120)

LONDON = ZoneInfo("Europe/London")


def test_the_balance_is_worked_back_from_today_through_sales_and_own_movements() -> None:
    # today (day 10) 5 on hand; day 10 sold 2; day 9 restocked 12 by the app and sold 1
    found = estimated_balances(5, 7, 10, {10: 2.0, 9: 1.0, 8: 3.0}, {9: 12})
    # closing day 10 = 5; day 9 = 5 + 2 = 7; day 8 = 7 + 1 - 12 = -4; day 7 = -4 + 3
    assert found == [-1.0, -4.0, 7.0, 5.0]


async def test_the_first_read_reports_progress_page_by_page(sandbox_factory, tmp_path) -> None:
    info = sandbox_factory(products=40, history_days=30)
    async with running_service(info, tmp_path) as service:
        desk = reorder_desk(service, zone=LONDON)
        seen = []
        result = await desk.refresh_sales(14, progress=seen.append)
        assert len(seen) >= result.pages >= 2
        assert [p.pages for p in seen[: result.pages]] == list(range(1, result.pages + 1))
        fractions = [p.fraction for p in seen[: result.pages]]
        assert fractions == sorted(fractions) and 0 < fractions[0] < 1
        assert seen[result.pages - 1].receipts == result.new_receipts
        assert fractions[-1] > 0.9


async def test_picked_lines_go_into_the_suppliers_newest_draft(sandbox_factory, tmp_path) -> None:
    info = sandbox_factory(products=40, history_days=30)
    async with running_service(info, tmp_path) as service:
        desk = reorder_desk(service, zone=LONDON)
        await desk.refresh_sales()
        lines = [line for line in desk.reorder_lines(ReorderParams()) if line.suggested][:3]
        desk.settings.update(lines[0].key, supplier="Bean Co")
        desk.settings.update(lines[1].key, supplier="bean co")  # the same supplier, any case
        lines = [
            line
            for line in desk.reorder_lines(ReorderParams())
            if line.key in {x.key for x in lines}
        ]
        [first] = desk.draft_orders(lines[:1], into_drafts=True)
        again = desk.draft_orders(lines, into_drafts=True)
        bean = [order for order in again if order.supplier.casefold() == "bean co"]
        assert [order.id for order in bean] == [first.id]  # the draft took the new lines
        assert len(desk.orders.orders([OrderStatus.DRAFT])) == 2
        assert len(desk.orders.lines(first.id)) == 2
        drafted = desk.drafted()
        assert {line.row.variant_uuid for line in lines} == set(drafted)
        assert drafted[lines[0].row.variant_uuid] == first.name
        separate = desk.draft_orders(lines[:1])  # without into_drafts: a new order
        assert separate[0].id != first.id


async def test_the_last_item_of_a_receipt_follows_scans_and_take_backs(
    sandbox_factory, tmp_path: Path
) -> None:
    info = sandbox_factory(products=30)
    async with running_service(info, tmp_path) as service:
        desk = reorder_desk(service)
        first, second = sorted((r for r in service.rows.values() if r.sku), key=lambda r: r.key)[:2]
        order = desk.orders.create("Harbour Foods")
        desk.orders.set_line(order.id, first, 5)
        desk.orders.mark_ordered(order.id)
        receipt = desk.receiving.start(order.id)
        assert desk.receiving.last_key(receipt.id) is None
        desk.receiving.scan(receipt.id, first.sku)
        desk.receiving.add(receipt.id, second.key, 2)
        assert desk.receiving.last_key(receipt.id) == second.key
        desk.receiving.take_back(receipt.id)
        assert desk.receiving.last_key(receipt.id) == first.key


async def test_item_detail_has_the_days_movements_and_value(sandbox_factory, tmp_path) -> None:
    info = sandbox_factory(products=30, history_days=30)
    async with running_service(info, tmp_path) as service:
        now = datetime.now(UTC)
        desk = reorder_desk(service, zone=LONDON, clock=now.timestamp)
        await desk.refresh_sales()
        sold = desk.history.totals(desk.history.today() - 28, desk.history.today(), 0)
        variant = max(sold, key=lambda v: sold[v][0])
        row = next(row for row in service.rows.values() if row.variant_uuid == variant)
        await service.record([MovementIntent(Reason.RESTOCK, row.key, quantity=6, note="crate")])
        assert await service.flush(10)
        SandboxAdmin(info).sale(variant, 2)  # sold at the till, between two own movements
        await service.refresh()
        await service.record([MovementIntent(Reason.DISCARD, row.key, quantity=1)])
        assert await service.flush(10)

        detail = desk.item_detail(row.key, window_days=14)
        assert len(detail.days) == 14 and detail.days[-1].day == desk.history.today()
        assert detail.days[-1].balance == service.rows[row.key].shown_balance
        daily = desk.history.daily(variant, detail.days[0].day, detail.days[-1].day)
        assert [p.sold for p in detail.days] == [p.sold for p in daily]
        kinds = [(event.kind, event.change) for event in detail.events[:3]]
        assert kinds == [(EventKind.OWN, -1), (EventKind.OUTSIDE, -2), (EventKind.OWN, 6)]
        assert "crate" in detail.events[2].what
        assert any(event.kind is EventKind.SALES for event in detail.events)
        assert [e.when for e in detail.events] == sorted(
            (e.when for e in detail.events), reverse=True
        )
        value = detail.value
        assert value.unit_cost is not None
        assert value.value == max(0, service.rows[row.key].shown_balance) * value.unit_cost
        assert detail.on_order == 0
        assert detail.days[0].date == (now.astimezone(LONDON) - timedelta(days=13)).date()


def test_window_totals_are_read_again_only_after_the_history_changed(tmp_path) -> None:
    """The reorder list reads the window's totals at every change of stock or settings: they
    are kept until a new sale here or another process's write changes the file."""
    from zinv_tui.api.purchase_wire import Purchase, PurchaseLine
    from zinv_tui.service.reorder_db import open_reorder_db
    from zinv_tui.service.sales_history import SalesHistory

    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    db = open_reorder_db(tmp_path / "reorder.sqlite")
    other = open_reorder_db(tmp_path / "reorder.sqlite")
    history = SalesHistory(db, None, LONDON, clock=now.timestamp)
    elsewhere = SalesHistory(other, None, LONDON, clock=now.timestamp)
    variant = "4b5f3a4e-0000-4000-8000-000000000001"

    def sale(uuid: str, days_ago: int, quantity: int) -> Purchase:
        line = PurchaseLine(
            "PRODUCT", "4b5f3a4e-0000-4000-8000-0000000000aa", variant, float(quantity)
        )
        return Purchase(uuid, now - timedelta(days=days_ago), None, False, None, 100, (line,))

    today = history.today()
    window = (today - 56, today - 1, today - 28)
    history.record_purchases([sale("4b5f3a4e-0000-4000-8000-00000000000a", 3, 2)])
    first = history.totals(*window)
    assert first[variant][0] == 2
    assert history.totals(*window) is first  # kept
    history.record_purchases([sale("4b5f3a4e-0000-4000-8000-00000000000b", 2, 5)])
    assert history.totals(*window)[variant][0] == 7  # a new sale: read again
    kept = history.totals(*window)
    history.observe_stock({variant: 0})
    assert history.totals(*window) is kept  # stock observations are not sales
    elsewhere.record_purchases([sale("4b5f3a4e-0000-4000-8000-00000000000c", 1, 1)])
    assert history.totals(*window)[variant][0] == 8  # another connection wrote: read again
    db.close()
    other.close()
