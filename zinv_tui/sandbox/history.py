"""Past sales for the demo shop (``--history-days N``): receipts and the stock they moved.

A café's weeks, simulated forward from N days ago to now and written in one transaction, so the
ledger and the Purchase API tell the same story:

- the shop opens 07-18 on weekdays, 08-17 on Saturdays and 09-16 on Sundays (``Europe/London``),
  with rushes at 08-10 and 12-14 on weekdays and late morning at weekends; Fridays and weekends
  are busier; it was closed one day (staff training, ten days ago) when the history is long enough;
- baskets of one to four rows; each variant has a steady popularity (bakery and coffee sell most);
  a row whose variant is out of stock is a lost sale (nothing is sold below zero);
- suppliers deliver before opening: bakery every morning but Sunday, everything else once a week on
  its supplier's weekday, up to a full shelf and about ten days of sales (with a low-stock level:
  enough that a week's sales leave it above the level), so most items are comfortably stocked;
  about one delivery in twenty is missed (short stock-outs), a few variants have had no delivery
  for the last sixteen days (most of them out of stock now: the case that fools a naive average)
  and a few others' last delivery was short, up to their low-stock level only (low now);
- about one receipt in a hundred is partly refunded within two days (nothing goes back to stock:
  a refunded coffee was still made), one in twenty-five has a custom-amount row, a few sell a gift
  card, and one was uploaded late (``created`` 20 hours after ``timestamp``).

Every sale moves STORE -> SOLD at its own time (ledger ``source`` ``"history"``), every delivery
SUPPLIER -> STORE; the shop's final balances are where the simulation ends (the demo catalogue's
opening balances are not used). The same ``(shop, days, per_day, seed, now)`` gives the same
history.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zinv_tui.sandbox.demo_data import DemoShop
from zinv_tui.sandbox.inventory import Inventory
from zinv_tui.sandbox.purchases import CUSTOM_AMOUNTS, DAY_MS, NewPurchase, PurchaseBook, SaleLine
from zinv_tui.sandbox.store import LedgerStore, Movement

SHOP_ZONE = "Europe/London"
MAX_DEFAULT_PER_DAY = 600
"""The default number of receipts on an average weekday grows with the catalogue up to this."""

_HOURS = {5: (8, 17), 6: (9, 16)}  # Saturday, Sunday; other days 7-18
_DAY_FACTOR = (0.9, 0.9, 1.0, 1.0, 1.15, 1.35, 1.1)
_CATEGORY_RATE = {
    "Bakery": 6.0,
    "Coffee": 1.2,
    "Tea": 0.8,
    "Confectionery": 1.5,
    "Mugs & Cups": 0.3,
    "Apparel": 0.15,
    "Candles & Home": 0.3,
    "Stationery": 0.4,
    "Cards & Wrap": 0.6,
    "Gifts": 0.2,
}
_SHELF = {
    "Bakery": 6,
    "Coffee": 8,
    "Tea": 8,
    "Confectionery": 10,
    "Mugs & Cups": 6,
    "Apparel": 4,
    "Candles & Home": 5,
    "Stationery": 8,
    "Cards & Wrap": 12,
    "Gifts": 4,
}
"""What a well-kept shelf holds of a variant however slowly it sells (a case, a display)."""
_BASKET_SIZES = (1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4)
_QUANTITIES = (1,) * 17 + (2, 2, 3)
MISSED_DELIVERY = 0.05
OUT_NOW_SHARE = 0.03
LOW_NOW_SHARE = 0.04
REFUND_SHARE = 0.01
CUSTOM_SHARE = 0.04
GIFTCARD_SHARE = 0.005


def shop_zone() -> tzinfo:
    """The café's time zone (UTC when the system has no time zone data)."""
    try:
        return ZoneInfo(SHOP_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


class HistoryConfig(Protocol):
    """What :func:`load_shop_with_history` reads of the sandbox's configuration."""

    @property
    def products(self) -> int: ...
    @property
    def seed(self) -> int: ...
    @property
    def history_days(self) -> int: ...
    @property
    def history_per_day(self) -> int | None: ...
    @property
    def history_end(self) -> datetime | None: ...


@dataclass(slots=True)
class _Variant:
    product_uuid: str
    uuid: str
    weight: float
    daily: float
    level: int
    delivery_weekdays: frozenset[int]
    out_from: date | None
    short_from: date | None = None
    shelf: int = 0
    low_level: int = 0
    balance: int = 0


@dataclass(frozen=True, slots=True)
class HistorySummary:
    """What was generated (for the sandbox's start-up line and for tests)."""

    days: int
    purchases: int
    refunds: int
    sales_units: int
    deliveries: int
    closed_day: date | None


def default_per_day(tracked_variants: int) -> int:
    """Receipts on an average weekday for a catalogue of this size."""
    return max(40, min(MAX_DEFAULT_PER_DAY, round(tracked_variants * 0.25)))


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _store_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _variants(shop: DemoShop, per_day: int, rng: random.Random, today: date) -> list[_Variant]:
    found: list[_Variant] = []
    for product in shop.products:
        if not product.tracked:
            continue
        rate = _CATEGORY_RATE.get(product.category, 0.4)
        weekday = rng.randrange(6)
        delivery = frozenset(range(6)) if product.category == "Bakery" else frozenset({weekday})
        shelf = _SHELF.get(product.category, 4)
        for demo_variant in product.variants:
            weight = rate * rng.lognormvariate(0, 0.8) / max(1, len(product.variants)) ** 0.5
            variant = _Variant(product.uuid, demo_variant.uuid, weight, 0.0, 0, delivery, None)
            variant.shelf = shelf + rng.randrange(shelf // 2 + 1)
            variant.low_level = demo_variant.low_stock_level or 0
            found.append(variant)
    total = sum(v.weight for v in found) or 1.0
    units_per_day = per_day * 1.55 * 1.2
    for variant in found:
        variant.daily = units_per_day * variant.weight / total
        cycle = 1 if len(variant.delivery_weekdays) > 1 else 7
        variant.level = max(2, math.ceil(variant.daily * (cycle + 3) * 1.2))
    sellers = [variant for variant in found if variant.daily >= 0.5]
    for variant in rng.sample(sellers, min(len(sellers), math.ceil(len(found) * OUT_NOW_SHARE))):
        variant.out_from = today - timedelta(days=16)  # no delivery since: out of stock by now
    for variant in found:
        if variant.out_from is None:
            variant.level = _order_up_to(variant)
    levelled = [v for v in found if v.low_level and v.out_from is None and 0.3 <= v.daily <= 1.2]
    for variant in rng.sample(levelled, min(len(levelled), math.ceil(len(found) * LOW_NOW_SHARE))):
        # its supplier's last delivery was short: it came up to the low-stock level only
        variant.short_from = next(
            day
            for day in (today - timedelta(days=back) for back in range(1, 8))
            if day.weekday() in variant.delivery_weekdays
        )
    return found


def _order_up_to(variant: _Variant) -> int:
    """The level a delivery fills a variant up to: a full shelf; with a low-stock level, enough
    that a week's (or a day's) usual sales leave it above that level."""
    if not variant.low_level:
        return max(variant.level, variant.shelf)
    cycle = 1 if len(variant.delivery_weekdays) > 1 else 7
    return max(variant.level, variant.low_level + math.ceil(variant.daily * cycle) + 2)


def _sale_times(day: date, count: int, zone: tzinfo, rng: random.Random) -> list[datetime]:
    opens, closes = _HOURS.get(day.weekday(), (7, 18))
    weekend = day.weekday() >= 5
    moments = []
    for _ in range(count):
        roll = rng.random()
        if weekend and roll < 0.5:
            hour = rng.uniform(10, 13)
        elif not weekend and roll < 0.35:
            hour = rng.uniform(8, 10)
        elif not weekend and roll < 0.65:
            hour = rng.uniform(12, 14)
        else:
            hour = rng.uniform(opens, closes)
        hour = min(max(hour, opens), closes - 1 / 3600)
        seconds = int(hour * 3600)
        local = datetime.combine(day, time(seconds // 3600, seconds // 60 % 60, seconds % 60))
        moments.append(local.replace(tzinfo=zone).astimezone(UTC))
    moments.sort()
    return moments


def write_history(
    store: LedgerStore,
    book: PurchaseBook,
    shop: DemoShop,
    days: int,
    *,
    per_day: int | None = None,
    seed: int = 1,
    now: datetime | None = None,
) -> HistorySummary:
    """Simulate ``days`` days up to ``now`` and write every delivery, sale and receipt (one
    transaction). The shop must have been loaded without opening balances."""
    now = now or datetime.now(UTC)
    now_ms = _ms(now)
    zone = shop_zone()
    today = now.astimezone(zone).date()
    rng = random.Random(f"zinv-sandbox-history-{seed}-{days}")
    locations = {location.type: location.uuid for location in shop.locations}
    supplier, store_uuid, sold = locations["SUPPLIER"], locations["STORE"], locations["SOLD"]
    if per_day is None:
        tracked = sum(len(product.variants) for product in shop.products if product.tracked)
        per_day = default_per_day(tracked)
    variants = _variants(shop, per_day, rng, today)
    cumulative = []
    running = 0.0
    for variant in variants:
        running += variant.weight
        cumulative.append(running)
    first_day = today - timedelta(days=days)
    closed_day = today - timedelta(days=10) if days >= 14 else None
    moves: list[tuple[int, Movement]] = []
    purchases: list[NewPurchase] = []
    deliveries = sales_units = 0
    opening = _ms(datetime.combine(first_day - timedelta(days=1), time(6)).replace(tzinfo=zone))
    for variant in variants:
        variant.balance = variant.level
        stock = Movement(variant.product_uuid, variant.uuid, supplier, store_uuid, variant.level)
        moves.append((opening, stock))
    for offset in range(days + 1):
        day = first_day + timedelta(days=offset)
        delivery_ms = _ms(datetime.combine(day, time(6, 30)).replace(tzinfo=zone))
        if delivery_ms >= now_ms:
            break
        for variant in variants:
            if day.weekday() not in variant.delivery_weekdays or variant.balance >= variant.level:
                continue
            if variant.out_from is not None and day >= variant.out_from:
                continue
            if rng.random() < MISSED_DELIVERY:
                continue
            level = variant.level
            if variant.short_from is not None and day >= variant.short_from:
                level = variant.low_level  # the supplier sent only part of the order
                if variant.balance >= level:
                    continue
            amount = level - variant.balance
            variant.balance = level
            deliveries += 1
            stock = Movement(variant.product_uuid, variant.uuid, supplier, store_uuid, amount)
            moves.append((delivery_ms, stock))
        if day == closed_day or not variants:
            continue
        count = max(1, round(per_day * _DAY_FACTOR[day.weekday()] * rng.gauss(1, 0.08)))
        for moment in _sale_times(day, count, zone, rng):
            moment_ms = _ms(moment)
            if moment_ms >= now_ms:
                break
            lines: dict[str, int] = {}
            for _ in range(rng.choice(_BASKET_SIZES)):
                index = bisect.bisect_left(cumulative, rng.random() * running)
                variant = variants[min(index, len(variants) - 1)]
                quantity = min(rng.choice(_QUANTITIES), variant.balance)
                if quantity <= 0:
                    continue  # out of stock: a lost sale
                variant.balance -= quantity
                sales_units += quantity
                lines[variant.uuid] = lines.get(variant.uuid, 0) + quantity
                sale = Movement(variant.product_uuid, variant.uuid, store_uuid, sold, quantity)
                moves.append((moment_ms, sale))
            purchase = NewPurchase(moment_ms, [SaleLine(v, q) for v, q in lines.items()])
            if rng.random() < CUSTOM_SHARE:
                purchase.custom.append(rng.choice(CUSTOM_AMOUNTS))
            if rng.random() < GIFTCARD_SHARE:
                purchase.giftcard = rng.choice((1000, 2000, 2500, 5000))
            if purchase.lines or purchase.custom or purchase.giftcard:
                purchases.append(purchase)
    late = [p for p in purchases if p.lines and p.timestamp_ms + 20 * 3_600_000 < now_ms]
    if late:
        chosen = late[len(late) // 2]
        chosen.created_ms = chosen.timestamp_ms + 20 * 3_600_000
    moves.sort(key=lambda item: item[0])
    purchases.sort(key=lambda purchase: purchase.created_ms or purchase.timestamp_ms)
    with store.transaction():
        store.record_past([(move, _store_time(ms)) for ms, move in moves], source="history")
        made = book.write(purchases)
        refunds = 0
        for purchase_uuid, purchase in zip(made, purchases, strict=True):
            if not purchase.lines or rng.random() >= REFUND_SHARE:
                continue
            when = purchase.timestamp_ms + rng.randrange(120_000, 2 * DAY_MS)
            if when >= now_ms:
                continue
            variant_uuid = rng.choice(purchase.lines).variant_uuid
            book.refund(purchase_uuid, {variant_uuid: 1}, when)
            refunds += 1
    return HistorySummary(days, len(purchases), refunds, sales_units, deliveries, closed_day)


def without_opening_balances(shop: DemoShop) -> DemoShop:
    """The shop with every opening balance at zero (the history delivers the stock instead)."""
    products = tuple(
        dataclasses.replace(
            product,
            variants=tuple(
                dataclasses.replace(variant, opening_balance=0) for variant in product.variants
            ),
        )
        for product in shop.products
    )
    return dataclasses.replace(shop, products=products)


def load_shop_with_history(store: LedgerStore, shop: DemoShop, config: HistoryConfig) -> None:
    """Load the demo ``shop`` into an empty ``store`` with ``config.history_days`` days of past
    sales instead of its opening balances (the sandbox's ``--history-days``). Nothing happens
    when another process loaded a shop into the file first (it writes the history too)."""
    if not store.load_shop(without_opening_balances(shop), config.products):
        return
    inventory = Inventory(store)
    book = PurchaseBook(
        store,
        inventory.store_location.uuid,
        inventory.location_of_type("SOLD").uuid,
        shop.organization_uuid,
    )
    write_history(
        store,
        book,
        shop,
        config.history_days,
        per_day=config.history_per_day,
        seed=config.seed,
        now=config.history_end,
    )
