"""The reorder list end to end: sandbox receipts -> local history -> per-day figures and orders."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.sandbox.raw_http import authed_client
from tests.support.clients import running_service
from tests.support.sandbox import SandboxAdmin
from zinv_tui.service import ReorderParams, ReorderStatus, reorder_desk

pytestmark = pytest.mark.timeout(180)

LONDON = ZoneInfo("Europe/London")


def _at_noon(day: date) -> str:
    return datetime.combine(day, time(12)).replace(tzinfo=LONDON).astimezone(UTC).isoformat()


def _sell(info, day: date, lines: list[tuple[str, int]]) -> dict:
    body = {
        "lines": [{"variantUuid": v, "quantity": q} for v, q in lines],
        "timestamp": _at_noon(day),
    }
    return SandboxAdmin(info).purchase(body)


def _opening_balances(info) -> dict[str, tuple[str, int]]:
    """``variant -> (product, balance)`` of the demo shop as loaded (nothing sold yet)."""
    found = {}
    for move in SandboxAdmin(info).ledger():
        found[move["variantUuid"]] = (move["productUuid"], move["change"])
    return found


async def test_known_sales_give_the_expected_figures_and_suggestions(
    sandbox_factory, tmp_path: Path
) -> None:
    info = sandbox_factory(products=40)
    opening = _opening_balances(info)
    ordered = sorted(opening.items(), key=lambda item: item[1][1])
    (out_variant, (_, out_stock)) = next(item for item in ordered if 10 <= item[1][1] <= 60)
    (steady, (steady_product, steady_stock)) = ordered[-1]
    today = datetime.now(LONDON).date()
    # The shop traded every day of the window (a custom amount is enough to count as open).
    for back in range(1, 29):
        day = _at_noon(today - timedelta(back))
        SandboxAdmin(info).purchase({"customAmount": 250, "timestamp": day})
    # out_variant sells all it had over days -20..-11, then is out of stock for ten days.
    for back in range(20, 10, -1):
        quantity = out_stock // 10 + (out_stock % 10 if back == 20 else 0)
        _sell(info, today - timedelta(back), [(out_variant, quantity)])
    # steady sells 1 a day on 14 days, 2 of them are refunded later; an old sale's refund is not
    # demand of this window.
    sales = [_sell(info, today - timedelta(back), [(steady, 1)]) for back in range(2, 29, 2)]
    SandboxAdmin(info).refund(sales[0]["purchaseUUID1"])
    SandboxAdmin(info).refund(sales[5]["purchaseUUID1"])
    old = _sell(info, today - timedelta(70), [(steady, 3)])
    SandboxAdmin(info).refund(old["purchaseUUID1"])

    async with running_service(info, tmp_path) as service:
        desk = reorder_desk(service, zone=LONDON)
        await desk.refresh_sales()
        desk.settings.update((steady_product, steady), pack_size=6, supplier="Harbour Foods")
        lines = {line.row.variant_uuid: line for line in desk.reorder_lines(ReorderParams())}

        out_line = lines[out_variant]
        assert out_line.balance == 0 and out_line.status is ReorderStatus.OUT
        assert out_line.demand.out_days == 10
        assert out_line.demand.in_stock_days == 18
        assert out_line.per_day == pytest.approx(out_stock / 18)  # not out_stock / 28
        target = out_stock / 18 * (7 + 14 + 2)
        assert out_line.suggested == math.ceil(target - 1e-9)

        steady_line = lines[steady]
        balance = steady_stock - 14 - 3
        assert steady_line.balance == balance
        assert steady_line.demand.sold == 14 and steady_line.demand.refunded == 2
        assert steady_line.demand.out_days == 0
        assert steady_line.per_day == pytest.approx(12 / 28)
        need = 12 / 28 * 23 - balance
        assert steady_line.suggested == (6 * math.ceil(need / 6 - 1e-9) if need > 0 else 0)
        assert steady_line.plan.supplier == "Harbour Foods"
        record = steady_line.record()
        assert {
            "sku",
            "variant_uuid",
            "name",
            "balance",
            "per_day",
            "days_of_cover",
            "on_order",
            "suggested",
            "pack_size",
        } <= record.keys()
        assert record["pack_size"] == 6
        assert desk.reorder_lines()[0].status is ReorderStatus.OUT  # most urgent first

        # An order for the out-of-stock item counts as on order, whatever its date.
        (order,) = desk.draft_orders([out_line])
        assert desk.reorder_lines()[0].on_order == 0  # a draft is not on order yet
        desk.orders.mark_ordered(order.id, expected="2099-01-01")
        again = {line.row.variant_uuid: line for line in desk.reorder_lines()}[out_variant]
        assert again.on_order == out_line.suggested
        assert again.suggested == 0 and again.status is ReorderStatus.ON_ORDER


@pytest.fixture(scope="module")
def history_shop():
    from zinv_tui.sandbox.server import SandboxConfig, SandboxServer

    with SandboxServer(SandboxConfig(products=80, history_days=35)) as info:
        purchases: list[dict] = []
        with authed_client(info) as client:
            query: dict = {"limit": 1000}
            while (page := client.get("/purchases/v2", params=query).json())["purchases"]:
                purchases += page["purchases"]
                query["lastPurchaseHash"] = page["lastPurchaseHash"]
        yield info, purchases


def _truth(purchases: list[dict], today: int, window: int) -> dict:
    """Independently of the app: sold, refunded (on the sale's day), trading days, last sale."""
    first = today - window
    day_of = {
        p["purchaseUUID1"]: datetime.fromisoformat(p["timestamp"]).astimezone(LONDON).toordinal()
        for p in purchases
    }
    trading = {day_of[p["purchaseUUID1"]] for p in purchases if not p["refund"]}
    sold: dict[str, float] = defaultdict(float)
    refunded: dict[str, float] = defaultdict(float)
    last_sale: dict[str, int] = {}
    for purchase in purchases:
        for row in purchase["products"]:
            if row["type"] != "PRODUCT":
                continue
            variant = row["variantUuid"]
            if purchase["refund"]:
                day = day_of[purchase["refundsPurchaseUUID1"]]
                if first <= day < today:
                    refunded[variant] -= float(row["quantity"])
            else:
                day = day_of[purchase["purchaseUUID1"]]
                last_sale[variant] = max(last_sale.get(variant, 0), day)
                if first <= day < today:
                    sold[variant] += float(row["quantity"])
    return {
        "trading": {day for day in trading if first <= day < today},
        "sold": sold,
        "refunded": refunded,
        "last_sale": last_sale,
    }


async def test_generated_history_gives_the_per_day_figures_worked_out_by_hand(
    history_shop, tmp_path: Path
) -> None:
    info, purchases = history_shop
    async with running_service(info, tmp_path) as service:
        desk = reorder_desk(service, zone=LONDON)
        await desk.refresh_sales()
        lines = desk.reorder_lines(ReorderParams(window_days=28))
    today = desk.history.today()
    truth = _truth(purchases, today, 28)
    trading = truth["trading"]
    checked = out_now = 0
    for line in lines:
        variant = line.row.variant_uuid
        counted = max(0.0, truth["sold"][variant] - truth["refunded"][variant])
        if counted < 8:
            continue  # slow items are measured over 56 days (checked below)
        out = 0
        if line.balance <= 0:  # out since its last sale: those trading days are left out
            out = sum(1 for day in trading if day > truth["last_sale"][variant])
            out_now += out > 0
        assert line.demand.window_days == 28
        assert line.demand.out_days == out, line.row.label
        assert line.per_day == pytest.approx(counted / (len(trading) - out)), line.row.label
        checked += 1
    assert checked >= 20 and out_now >= 1
    slow = [line for line in lines if line.demand.sold > 0 and line.demand.window_days == 56]
    assert slow and all(line.demand.counted >= 0 for line in slow)
