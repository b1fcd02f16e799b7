"""Stock value: on hand x cost price from the Product Library, per variant and in total.

Rules (``reorder-practice.md`` §8): the cost is the catalogue's ``costPrice`` (minor units); a
balance at or below zero is worth 0 and flagged; a variant without a cost price is listed but left
out of the total (and counted, so the total never silently looks complete). The retail value
(price x on hand) is given beside it when the catalogue has a price.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import msgspec

from zinv_tui.service.catalogue import Catalogue
from zinv_tui.service.rows import StockRow


def money(minor: int | None) -> str | None:
    """Minor units as decimal text: ``1234`` -> ``"12.34"`` (None stays None)."""
    if minor is None:
        return None
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"


class ValueLine(msgspec.Struct, frozen=True, gc=False):
    """One variant's value."""

    row: StockRow
    unit_cost: int | None
    value: int | None
    """``on hand x unit cost`` in minor units (0 for nothing on hand; None without a cost)."""
    unit_price: int | None
    retail_value: int | None
    currency: str

    @property
    def negative(self) -> bool:
        """On hand is below zero (valued at 0)."""
        return self.row.shown_balance < 0


@dataclass(frozen=True, slots=True)
class StockValue:
    """Every line and the totals (over the lines with a cost price)."""

    lines: list[ValueLine]
    total: int
    retail_total: int
    currency: str
    without_cost: int
    """Variants with stock but no cost price (not in :attr:`total`)."""
    negative: int
    """Variants below zero (valued at 0)."""


def stock_value(rows: Iterable[StockRow], catalogue: Catalogue) -> StockValue:
    """The value of every row's stock at catalogue cost, with totals."""
    lines: list[ValueLine] = []
    total = retail = without_cost = negative = 0
    currencies: dict[str, int] = {}
    products = catalogue.products
    for row in rows:
        product = products.get(row.product_uuid)
        variant = product.variant(row.variant_uuid) if product is not None else None
        cost = variant.cost_price if variant is not None else None
        price = variant.price if variant is not None else None
        currency = variant.currency if variant is not None else ""
        shown = row.shown_balance
        on_hand = shown if shown > 0 else 0
        value = None if cost is None else on_hand * cost
        retail_value = None if price is None else on_hand * price
        if shown < 0:
            negative += 1
        if value is None:
            if on_hand:
                without_cost += 1
        else:
            total += value
        if retail_value is not None:
            retail += retail_value
        if currency:
            currencies[currency] = currencies.get(currency, 0) + 1
        lines.append(ValueLine(row, cost, value, price, retail_value, currency))
    main_currency = max(currencies, key=currencies.__getitem__) if currencies else ""
    return StockValue(lines, total, retail, main_currency, without_cost, negative)
