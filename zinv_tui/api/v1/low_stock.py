"""The one decoder of Zettle v1's low-stock reads (``GET /custom-low-stock/v2/locations/{loc}``
and its per-product form).

A big shop sets levels on thousands of variants; read through pydantic (a model, a ``UUID`` and a
``__dict__`` per line) the answer cost 20 MB at the peak and left 11 MB of scattered heap behind at
50,000 variants. msgspec decodes it into small structs, and nothing of the answer outlives the
read. Levels arrive as ``5``, ``"5"`` or ``5.0`` and leave as ``int``.
"""

from __future__ import annotations

import msgspec

from zinv_tui.api.v1.balances import Balance, UuidText
from zinv_tui.values.numbers import parse_whole_number


class VariantLevel(msgspec.Struct, rename="camel", gc=False):
    """A variant's own level (``None``: none) and alert flag."""

    variant_uuid: UuidText
    custom_low_stock_level: Balance | float | str | None = None
    low_stock_alert: bool = False


class ProductLevels(msgspec.Struct, rename="camel", gc=False):
    """One product's levels (also the answer of the per-product read)."""

    product_uuid: UuidText
    custom_low_stock_level_for_variants: list[VariantLevel] = []


class LocationLowStock(msgspec.Struct, rename="camel", gc=False):
    """Every level set at one location."""

    custom_low_stock_levels_for_products: list[ProductLevels] = []
    organization_uuid: UuidText | None = None
    location_uuid: UuidText | None = None


class LowStockFeedError(ValueError):
    """The low-stock answer could not be read (bad JSON, wrong shape, a level not a number)."""


_decoder = msgspec.json.Decoder(LocationLowStock, strict=False)
_product_decoder = msgspec.json.Decoder(ProductLevels, strict=False)


def _whole_levels(products: list[ProductLevels]) -> None:
    for product in products:
        for line in product.custom_low_stock_level_for_variants:
            level = line.custom_low_stock_level
            if level is not None and not isinstance(level, int):
                try:
                    line.custom_low_stock_level = parse_whole_number(level)
                except ValueError as error:
                    raise LowStockFeedError(f"unreadable low-stock level: {error}") from None


def decode_low_stock(payload: bytes | bytearray) -> LocationLowStock:
    """A location's levels, every level a whole number; raises :class:`LowStockFeedError`."""
    try:
        answer = _decoder.decode(payload)
    except (msgspec.DecodeError, RecursionError) as error:  # deeply nested: RecursionError
        raise LowStockFeedError(f"unreadable low-stock levels: {error}") from None
    _whole_levels(answer.custom_low_stock_levels_for_products)
    return answer


def decode_product_low_stock(payload: bytes | bytearray) -> ProductLevels:
    """One product's levels, every level a whole number; raises :class:`LowStockFeedError`."""
    try:
        answer = _product_decoder.decode(payload)
    except (msgspec.DecodeError, RecursionError) as error:
        raise LowStockFeedError(f"unreadable low-stock levels: {error}") from None
    _whole_levels([answer])
    return answer
