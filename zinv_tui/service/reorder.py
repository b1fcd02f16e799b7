"""Reorder maths, pure: velocity over in-stock days, days of cover, reorder point, target, order.

Per variant, in stock units (``reorder-practice.md`` §0):

- **velocity** ``v`` = units sold / *in-stock days* of the window (the ``W`` local days before
  today). A day counts when the shop traded (at least one receipt) and the item could sell: a day
  without its sales on which it was out of stock is left out, so a stock-out never reads as zero
  demand. Refunds: by default a refund reduces the demand of its sale's day (both inside the
  window); refunds of sales outside the window are not demand (``refunds_reduce_demand=False``
  ignores refunds altogether, e.g. a café where the coffee was made anyway). A slow item (fewer
  than ``slow_sales`` units in ``W``) is measured over ``2 W`` instead.
- **days of cover** = on hand / ``v`` (None when ``v`` is 0: "no recent sales").
- **safety stock** ``SS = v x safety_days``; **reorder point** ``ROP = v x lead + SS``;
  **target** ``T = v x (lead + cover) + SS``. A pinned ``min_level``/``max_level`` replaces
  ``ROP``/``T`` (the formula's values stay visible in :attr:`ReorderLine.explain`).
- **suggested** = ``max(0, T - on_hand - on_order)`` rounded **up** to whole packs (on hand below
  zero counts as zero). On order counts every open purchase order, whatever its date.
- **status**: ``out`` (nothing on hand but demand), ``order`` (on hand + on order at or below the
  reorder point), ``on order`` (on hand alone is, open orders cover it), ``soon`` (a top-up is
  suggested), ``ok``, ``excess`` (cover beyond twice lead + cover + safety), ``no sales``.

Stock-out days (:func:`out_of_stock_days`) come from the day's observations when there were any
(``SalesHistory.observe_stock``), else from a reconstruction backwards from today's balance: the
opening balance of a day is the next day's plus that day's sales minus the app's own movements
that day. Deliveries booked outside the app are unknown to it, so a reconstructed day is in stock
unless the numbers prove it was not: the item out of stock *now*, its last sale days ago, is the
case this catches (the one that spirals: no sales -> low velocity -> small order -> out again).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import msgspec

from zinv_tui.service.wording import plural

DEFAULT_WINDOW_DAYS = 28
DEFAULT_LEAD_TIME_DAYS = 7.0
DEFAULT_COVER_DAYS = 14.0
DEFAULT_SAFETY_DAYS = 2.0
SLOW_SALES = 8.0
"""Fewer units than this in the window: the item is measured over twice the window."""
MAX_DAYS_SETTING = 365.0
MAX_PACK_SIZE = 100_000


class ReorderStatus(StrEnum):
    """Why a line is where it is in the list, most urgent first."""

    OUT = "out"
    ORDER = "order"
    ON_ORDER = "on order"
    SOON = "soon"
    OK = "ok"
    EXCESS = "excess"
    NO_SALES = "no sales"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {status: index for index, status in enumerate(ReorderStatus)}


@dataclass(frozen=True, slots=True)
class ReorderParams:
    """The defaults of one reorder list (per-variant settings override the last four)."""

    window_days: int = DEFAULT_WINDOW_DAYS
    lead_time_days: float = DEFAULT_LEAD_TIME_DAYS
    cover_days: float = DEFAULT_COVER_DAYS
    safety_days: float = DEFAULT_SAFETY_DAYS
    refunds_reduce_demand: bool = True
    slow_sales: float = SLOW_SALES

    def __post_init__(self) -> None:
        if not 1 <= self.window_days <= MAX_DAYS_SETTING:
            raise ValueError(f"the window must be 1-{MAX_DAYS_SETTING:g} days")
        for name in ("lead_time_days", "cover_days", "safety_days"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 <= value <= MAX_DAYS_SETTING):
                raise ValueError(f"{name.replace('_', ' ')} must be 0-{MAX_DAYS_SETTING:g} days")


class VariantPlan(msgspec.Struct, frozen=True, gc=False):
    """One variant's settings, resolved (variant override, else supplier, else the default)."""

    lead_time_days: float = DEFAULT_LEAD_TIME_DAYS
    cover_days: float = DEFAULT_COVER_DAYS
    safety_days: float = DEFAULT_SAFETY_DAYS
    pack_size: int = 1
    min_level: int | None = None
    max_level: int | None = None
    supplier: str = ""


class Demand(msgspec.Struct, frozen=True, gc=False):
    """Sales of one variant over its window: units, refunds netted, and the days that counted."""

    sold: float
    refunded: float
    in_stock_days: int
    out_days: int
    window_days: int
    counted: float
    """Units that count as demand (``sold``, less ``refunded`` when refunds reduce demand)."""

    @property
    def per_day(self) -> float:
        """Velocity: units per in-stock day (0 when no day counted)."""
        return self.counted / self.in_stock_days if self.in_stock_days else 0.0


def demand(
    sold: float,
    refunded: float,
    trading_days: int,
    out_days: int,
    window_days: int,
    *,
    refunds_reduce_demand: bool = True,
) -> Demand:
    """The demand of a window: ``trading_days`` the shop was open, ``out_days`` of them the item
    was out of stock (and did not sell)."""
    counted = sold - refunded if refunds_reduce_demand else sold
    in_stock = trading_days - out_days
    return Demand(
        sold,
        refunded,
        in_stock if in_stock > 0 else 0,
        out_days,
        window_days,
        counted if counted > 0 else 0.0,
    )


def round_up_to_pack(quantity: float, pack_size: int) -> int:
    """Whole packs covering ``quantity`` units (0 for nothing), in units."""
    if quantity <= 0:
        return 0
    pack = max(1, pack_size)
    # a hair of tolerance: 24.000000001 units of floating-point dust is not a second pack
    return math.ceil(quantity / pack - 1e-9) * pack


class Suggestion(msgspec.Struct, frozen=True, gc=False):
    """The numbers of one line, and the formula's own values when min/max are pinned."""

    per_day: float
    days_of_cover: float | None
    reorder_point: float
    target: float
    need: float
    suggested: int
    status: ReorderStatus
    formula_reorder_point: float
    formula_target: float


def suggest(per_day: float, on_hand: int, on_order: int, plan: VariantPlan) -> Suggestion:
    """Reorder point, target, suggested order and status for one variant."""
    shelf = on_hand if on_hand > 0 else 0
    incoming = on_order if on_order > 0 else 0
    safety = per_day * plan.safety_days
    formula_rop = per_day * plan.lead_time_days + safety
    formula_target = per_day * (plan.lead_time_days + plan.cover_days) + safety
    rop = float(plan.min_level) if plan.min_level is not None else formula_rop
    target = float(plan.max_level) if plan.max_level is not None else formula_target
    if target < rop:
        target = rop
    position = shelf + incoming
    need = target - position if target > position else 0.0
    suggested = round_up_to_pack(need, plan.pack_size) if need > 0 else 0
    cover = shelf / per_day if per_day > 0 else None
    pinned = plan.min_level is not None or plan.max_level is not None
    if per_day <= 0 and not pinned:
        status = ReorderStatus.NO_SALES
    elif on_hand <= 0 and position <= rop:
        status = ReorderStatus.OUT
    elif position <= rop:
        status = ReorderStatus.ORDER
    elif shelf <= rop:
        status = ReorderStatus.ON_ORDER
    elif suggested > 0:
        status = ReorderStatus.SOON
    elif (
        cover is not None
        and cover > 2 * (plan.lead_time_days + plan.cover_days + plan.safety_days)
        and not pinned
    ):
        status = ReorderStatus.EXCESS
    else:
        status = ReorderStatus.OK
    return Suggestion(
        per_day, cover, rop, target, need, suggested, status, formula_rop, formula_target
    )


def out_of_stock_days(
    window: Sequence[int],
    trading_days: Sequence[int],
    today: int,
    balance_now: int,
    sales: Mapping[int, float],
    own_changes: Mapping[int, int],
    observed: Collection[int],
    marked_out: Collection[int],
) -> set[int]:
    """The trading days of ``window`` (ascending day ordinals, before ``today``) on which the
    item could not sell.

    ``trading_days``: ascending; ``sales``: units sold per day (today included); ``own_changes``:
    net change of the STORE balance by the app's own movements per day (today included);
    ``observed``: days whose stock was observed, ``marked_out`` those of them with the item at
    or below zero every time. A day with sales is always in stock. Observed days are taken as
    observed; the others are reconstructed backwards from ``balance_now``: the opening balance of
    a day is the next day's plus its sales minus the app's own movements. The walk goes from event
    to event (a sale or an own movement) and stops once the balance is above zero with no earlier
    restock by the app to bring it down again, so an item costs little more than its recent sales.
    """
    if not window:
        return set()
    first, last = window[0], window[-1]

    def trading_between(low: int, high: int) -> list[int]:
        """Trading days in ``low..high`` (inclusive)."""
        start = bisect.bisect_left(trading_days, low)
        stop = bisect.bisect_right(trading_days, high)
        return list(trading_days[start:stop])

    out = {
        day
        for day in marked_out
        if first <= day <= last and day in observed and not sales.get(day, 0) > 0
    }
    out.intersection_update(trading_between(first, last) if out else ())
    events = sorted(
        {day for day in sales if first <= day <= today}
        | {day for day in own_changes if first <= day <= today},
        reverse=True,
    )
    restocks = sorted(day for day, change in own_changes.items() if change > 0 and day >= first)
    closing = float(balance_now)
    day = today
    index = 0
    while day >= first:
        event = events[index] if index < len(events) else first - 1
        if event < day:  # a quiet stretch: the balance stays what it is
            if closing <= 0:
                out.update(
                    quiet
                    for quiet in trading_between(max(event + 1, first), min(day, last))
                    if quiet not in observed
                )
            elif not (restocks and restocks[0] <= event):
                break  # in stock, and nothing earlier can take it below zero
            day = event
            continue
        sold = sales.get(day, 0.0)
        opening = closing + sold - own_changes.get(day, 0)
        if (
            day <= last
            and sold <= 0
            and opening <= 0
            and closing <= 0
            and day not in observed
            and trading_between(day, day)
        ):
            out.add(day)
        closing = opening
        day -= 1
        index += 1
    return out


def explain(
    demand_of: Demand,
    suggestion: Suggestion,
    on_hand: int,
    on_order: int,
    plan: VariantPlan,
) -> str:
    """The arithmetic of a line in one paragraph, for a person to check."""
    parts = []
    refunds = f", {demand_of.refunded:g} refunded" if demand_of.refunded else ""
    if demand_of.in_stock_days:
        parts.append(
            f"{demand_of.counted:g} sold{refunds} over "
            f"{plural(demand_of.in_stock_days, 'in-stock day')} of the last {demand_of.window_days}"
            + (f" ({demand_of.out_days} out of stock left out)" if demand_of.out_days else "")
            + f" = {suggestion.per_day:.2f}/day."
        )
    else:
        parts.append(f"No in-stock trading day in the last {plural(demand_of.window_days, 'day')}.")
    if plan.min_level is not None:
        parts.append(
            f"Reorder point pinned at {plan.min_level} "
            f"(formula: {suggestion.formula_reorder_point:.1f})."
        )
    else:
        parts.append(
            f"Reorder point {suggestion.per_day:.2f} x ({plan.lead_time_days:g} lead + "
            f"{plan.safety_days:g} safety days) = {suggestion.reorder_point:.1f}."
        )
    if plan.max_level is not None:
        parts.append(
            f"Target pinned at {plan.max_level} (formula: {suggestion.formula_target:.1f})."
        )
    else:
        parts.append(
            f"Target {suggestion.per_day:.2f} x ({plan.lead_time_days:g} + {plan.cover_days:g} "
            f"cover + {plan.safety_days:g}) = {suggestion.target:.1f}."
        )
    pack = f", rounded up to packs of {plan.pack_size}" if plan.pack_size > 1 else ""
    parts.append(
        f"Order {suggestion.target:.1f} - {max(0, on_hand)} on hand - {max(0, on_order)} on order "
        f"= {suggestion.need:.1f}{pack} -> {suggestion.suggested}."
    )
    return " ".join(parts)
