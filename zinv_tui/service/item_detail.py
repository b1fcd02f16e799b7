"""One variant up close: its daily sales and estimated balance over a window, what moved it, its
value at cost.

- **Sales per day** come from the local sales history (the Purchase API), refunds apart.
- **Balance per day** (closing, local days) is *estimated* the way the reorder maths
  reconstructs stock-outs (:mod:`zinv_tui.service.reorder`): from today's balance backwards, a
  day's opening is its closing plus its sales minus the app's own movements that day. Deliveries
  or corrections made outside zinv-tui are unknown, so the past line is a guide, not a record.
- **Movements**: the app's own journal entries (newest first) and, where the journal shows it,
  what changed outside the app between two of them (Zettle's balance after one movement against
  the balance seen when the next was recorded), and each day's units sold from the history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from zinv_tui.service.journal import OutboxEntry, OutboxStatus
from zinv_tui.service.rows import StockRow
from zinv_tui.service.sales_history import VariantDay
from zinv_tui.service.stock_value import ValueLine

EVENTS_SHOWN = 60
"""Movements listed at most (newest first)."""


class EventKind(StrEnum):
    OWN = "own"
    """A movement recorded in zinv-tui (its reason and note say what)."""
    OUTSIDE = "outside"
    """A change Zettle's balance shows between two own movements (sales, other tools)."""
    SALES = "sales"
    """A day's units sold at the till (the Purchase API)."""


@dataclass(frozen=True, slots=True)
class DayPoint:
    """One local day of the window: units sold and refunded, the estimated closing balance."""

    day: int
    """The local date as an ordinal (``date.toordinal()``)."""
    sold: float
    refunded: float
    balance: float

    @property
    def date(self) -> date:
        return date.fromordinal(self.day)


@dataclass(frozen=True, slots=True)
class ItemEvent:
    """One line of the item's recent movements."""

    when: datetime
    kind: EventKind
    what: str
    change: float
    """Change of the STORE balance (units; sales are negative)."""
    balance_after: int | None
    day_only: bool = False
    """Only the day is known (a day's sales)."""


@dataclass(frozen=True, slots=True)
class ItemDetail:
    """Everything the item detail shows of one variant."""

    row: StockRow
    days: list[DayPoint]
    """The window's local days, oldest first, today last."""
    events: list[ItemEvent]
    """Newest first, at most :data:`EVENTS_SHOWN`."""
    value: ValueLine
    on_order: int

    @property
    def sold(self) -> float:
        return sum(point.sold for point in self.days)


def estimated_balances(
    balance_now: int,
    first_day: int,
    today: int,
    sales: Mapping[int, float],
    own_changes: Mapping[int, int],
) -> list[float]:
    """Closing balance of each day ``first_day..today`` (oldest first), worked back from
    ``balance_now``: the closing of the day before is this day's closing plus its sales minus
    the app's own movements that day."""
    closing = float(balance_now)
    found = []
    for day in range(today, first_day - 1, -1):
        found.append(closing)
        closing = closing + sales.get(day, 0.0) - own_changes.get(day, 0)
    found.reverse()
    return found


def _own_text(entry: OutboxEntry) -> str:
    words = entry.reason.value.replace("_", " ").lower()
    route = f"{entry.from_type.value}->{entry.to_type.value}"
    state = {
        OutboxStatus.PENDING: " (sending)",
        OutboxStatus.NEEDS_ATTENTION: " (refused)",
        OutboxStatus.CANCELLED: " (dropped)",
    }.get(entry.status, "")
    note = f": {entry.note}" if entry.note else ""
    return f"{words} {route}{state}{note}"


def journal_events(entries: Iterable[OutboxEntry]) -> list[ItemEvent]:
    """The variant's own movements and, between two of them, changes made outside the app."""
    ordered = sorted(entries, key=lambda entry: entry.id)
    events: list[ItemEvent] = []
    previous: OutboxEntry | None = None
    for entry in ordered:
        if (
            previous is not None
            and previous.status is OutboxStatus.ACKNOWLEDGED
            and previous.balance_after is not None
            and previous.acknowledged is not None
            and previous.acknowledged <= entry.created
            and entry.balance_before is not None
            and entry.balance_before != previous.balance_after
        ):
            events.append(
                ItemEvent(
                    entry.created,
                    EventKind.OUTSIDE,
                    "changed outside zinv-tui (sales, other tools)",
                    entry.balance_before - previous.balance_after,
                    entry.balance_before,
                )
            )
        counts = entry.status in (OutboxStatus.PENDING, OutboxStatus.ACKNOWLEDGED)
        events.append(
            ItemEvent(
                entry.created,
                EventKind.OWN,
                _own_text(entry),
                entry.store_change if counts else 0,
                entry.balance_after,
            )
        )
        if counts:
            previous = entry
    return events


def sales_events(days: Sequence[VariantDay], starts: Mapping[int, datetime]) -> list[ItemEvent]:
    """A line per day with sales or refunds (``starts``: each day's local midnight)."""
    events = []
    for point in days:
        if not point.sold and not point.refunded:
            continue
        what = f"sold {point.sold:g} at the till"
        if point.refunded:
            what += f" ({point.refunded:g} refunded later)"
        events.append(
            ItemEvent(starts[point.day], EventKind.SALES, what, -point.sold, None, day_only=True)
        )
    return events


def newest_first(events: Iterable[ItemEvent], limit: int = EVENTS_SHOWN) -> list[ItemEvent]:
    """Events newest first (a day's sales, dated its midnight, after that day's movements), at
    most ``limit``."""
    return sorted(events, key=_recency, reverse=True)[:limit]


def _recency(event: ItemEvent) -> tuple[datetime, int]:
    """An outside change is dated by the own movement that revealed it, and came before it."""
    return (event.when, 1 if event.kind is EventKind.OWN else 0)
