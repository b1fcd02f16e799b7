"""The reorder list: every tracked variant's demand, cover and suggested order, most urgent first.

Joins the live rows (on hand = the balance shown, own pending movements included), the local
sales history, the per-variant settings, what is on order and the app's own movements (for the
stock-out reconstruction), and applies :mod:`zinv_tui.service.reorder` to each variant. Windows
are whole local days before today: ``W`` days, and ``2 W`` for slow items (fewer than
``slow_sales`` units in ``W``) when the history reaches that far.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from zinv_tui.service.journal import OutboxEntry, OutboxStatus
from zinv_tui.service.reorder import (
    Demand,
    ReorderParams,
    ReorderStatus,
    Suggestion,
    VariantPlan,
    demand,
    explain,
    out_of_stock_days,
    suggest,
)
from zinv_tui.service.rows import RowKey, StockRow
from zinv_tui.service.sales_history import SalesHistory, local_day

_RANK = {status: status.rank for status in ReorderStatus}

RECORD_KEYS = (
    "sku",
    "variant_uuid",
    "name",
    "balance",
    "per_day",
    "days_of_cover",
    "on_order",
    "suggested",
    "pack_size",
    "status",
    "supplier",
    "reorder_point",
    "target",
    "window_days",
    "in_stock_days",
    "sold",
    "refunded",
    "product_uuid",
)
"""The keys of :meth:`ReorderLine.record` (``zinv-tui reorder --format json|csv``)."""


class ReorderLine(msgspec.Struct, frozen=True, gc=False):
    """One variant of the reorder list."""

    row: StockRow
    demand: Demand
    suggestion: Suggestion
    plan: VariantPlan
    on_order: int

    @property
    def key(self) -> RowKey:
        return self.row.key

    @property
    def status(self) -> ReorderStatus:
        return self.suggestion.status

    @property
    def balance(self) -> int:
        return self.row.shown_balance

    @property
    def per_day(self) -> float:
        return self.suggestion.per_day

    @property
    def days_of_cover(self) -> float | None:
        return self.suggestion.days_of_cover

    @property
    def suggested(self) -> int:
        return self.suggestion.suggested

    def explain(self) -> str:
        """The numbers behind the suggestion, in words."""
        return explain(self.demand, self.suggestion, self.balance, self.on_order, self.plan)

    def record(self) -> dict[str, Any]:
        """The line as printed by ``zinv-tui reorder`` (rounded for people and scripts)."""
        cover = self.days_of_cover
        return {
            "sku": self.row.sku,
            "variant_uuid": self.row.variant_uuid,
            "name": self.row.label,
            "balance": self.balance,
            "per_day": round(self.per_day, 2),
            "days_of_cover": None if cover is None else round(cover, 1),
            "on_order": self.on_order,
            "suggested": self.suggested,
            "pack_size": self.plan.pack_size,
            "status": self.status.value,
            "supplier": self.plan.supplier,
            "reorder_point": round(self.suggestion.reorder_point, 1),
            "target": round(self.suggestion.target, 1),
            "window_days": self.demand.window_days,
            "in_stock_days": self.demand.in_stock_days,
            "sold": round(self.demand.sold, 3),
            "refunded": round(self.demand.refunded, 3),
            "product_uuid": self.row.product_uuid,
        }


def urgency(line: ReorderLine) -> tuple[int, float, int, float, str, str, str]:
    """Sort key: out and order-now first, by days of cover, then the rest by status; ties by
    sales per day, fastest first (the most sales lost while it is missing), then by name (the
    same list every time, whatever order the stock was loaded in)."""
    suggestion = line.suggestion
    status = suggestion.status
    first = 0 if status is ReorderStatus.OUT or status is ReorderStatus.ORDER else 1
    cover = suggestion.days_of_cover
    row = line.row
    return (
        first,
        math.inf if cover is None else cover,
        _RANK[status],
        -suggestion.per_day,
        row.product_name,
        row.variant_name,
        row.variant_uuid,
    )


def own_changes_by_day(
    entries: Iterable[OutboxEntry], history: SalesHistory
) -> dict[str, dict[int, int]]:
    """Per variant, per local day, the net STORE change of the app's own movements that count
    (pending or acknowledged; refused and cancelled ones never happened)."""
    found: dict[str, dict[int, int]] = {}
    for entry in entries:
        if entry.status not in (OutboxStatus.PENDING, OutboxStatus.ACKNOWLEDGED):
            continue
        if not entry.store_change:
            continue
        day = local_day(entry.created, history.zone)
        days = found.setdefault(entry.variant_uuid, {})
        days[day] = days.get(day, 0) + entry.store_change
    return found


def reorder_lines(
    rows: Iterable[StockRow],
    history: SalesHistory,
    *,
    params: ReorderParams,
    plans: Mapping[str, VariantPlan],
    default_plan: VariantPlan,
    on_order: Mapping[str, int],
    own_changes: Mapping[str, Mapping[int, int]],
) -> list[ReorderLine]:
    """The reorder list for ``rows``, most urgent first (see :func:`urgency`)."""
    today = history.today()
    window = params.window_days
    last = today - 1
    short_from = today - window
    long_from = today - 2 * window
    complete_from = history.first_complete_day()
    long_known = complete_from is not None and complete_from <= long_from
    trading = history.trading_days(long_from, last)
    trading_short = sum(1 for day in trading if day >= short_from)
    trading_long = len(trading)
    totals = history.totals(long_from, last, short_from)
    marks = history.out_of_stock_marks(long_from, last)
    observed = set(history.observed_days(long_from, last))
    row_list = list(rows)
    # Stock-out days matter only for what sold (no sales: no demand either way), and can only be
    # found for what is out now, was seen out, or was moved by the app.
    candidates = {
        row.variant_uuid
        for row in row_list
        if row.variant_uuid in totals
        and (row.shown_balance <= 0 or row.variant_uuid in marks or row.variant_uuid in own_changes)
    }
    detail = history.sold_by_day(sorted(candidates), long_from, today) if candidates else {}
    long_days = range(long_from, today)
    reduce = params.refunds_reduce_demand
    slow = params.slow_sales
    nothing = (0.0, 0.0, 0.0, 0.0)
    none: dict[int, int] = {}
    zero_suggestion = suggest(0.0, 0, 0, default_plan)
    zero_demand = demand(0.0, 0.0, trading_short, 0, window, refunds_reduce_demand=reduce)
    lines: list[ReorderLine] = []
    idle: list[ReorderLine] = []
    empty: dict[int, float] = {}
    for row in row_list:
        variant = row.variant_uuid
        on_hand = row.shown_balance
        pending = on_order.get(variant, 0) if on_order else 0
        plan = plans.get(variant, default_plan) if plans else default_plan
        sold_long, refunded_long, sold_short, refunded_short = totals.get(variant, nothing)
        out_short = out_long = 0
        if variant in candidates:
            out = out_of_stock_days(
                long_days,
                trading,
                today,
                on_hand,
                detail.get(variant, empty),
                own_changes.get(variant, none),
                observed,
                marks.get(variant, ()),
            )
            out_long = len(out)
            out_short = sum(1 for day in out if day >= short_from)
        if not sold_long and not out_long and plan is default_plan:
            # Nothing sold in either window: no demand, no suggestion (the common case). These
            # lines all sort last, equal, in row order: they skip the sort.
            idle.append(ReorderLine(row, zero_demand, zero_suggestion, plan, pending))
            continue
        found = demand(
            sold_short, refunded_short, trading_short, out_short, window,
            refunds_reduce_demand=reduce,
        )  # fmt: skip
        if found.counted < slow and long_known and sold_long > sold_short:
            found = demand(
                sold_long, refunded_long, trading_long, out_long, 2 * window,
                refunds_reduce_demand=reduce,
            )  # fmt: skip
        suggestion = suggest(found.per_day, on_hand, pending, plan)
        lines.append(ReorderLine(row, found, suggestion, plan, pending))
    lines.sort(key=urgency)
    lines.extend(idle)
    return lines
