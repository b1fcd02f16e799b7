"""A lean decoder of the STORE low-stock levels (``GET /custom-low-stock/v2/locations/{store}``).

A big shop sets levels on thousands of variants; read through pydantic (a model, a ``UUID`` and a
``__dict__`` per line) the answer cost 20 MB at the peak and left 11 MB of scattered heap behind at
50,000 variants. msgspec decodes it into small structs, and the settings are keyed with the UUID
strings the rows or the catalogue already hold, so nothing of the answer outlives the read.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from zinv_tui.api.models import parse_whole_number
from zinv_tui.service.balance_feed import Balance
from zinv_tui.service.catalogue import Catalogue
from zinv_tui.service.rows import RowKey, StockRow
from zinv_tui.service.view import LowStockSetting


class _VariantLevel(msgspec.Struct, rename="camel", gc=False):
    variant_uuid: str
    custom_low_stock_level: Balance | float | str | None = None
    low_stock_alert: bool = False


class _ProductLevels(msgspec.Struct, rename="camel", gc=False):
    product_uuid: str
    custom_low_stock_level_for_variants: list[_VariantLevel] = []


class _LowStockAnswer(msgspec.Struct, rename="camel", gc=False):
    custom_low_stock_levels_for_products: list[_ProductLevels] = []


_decoder = msgspec.json.Decoder(_LowStockAnswer, strict=False)


class LowStockFeedError(ValueError):
    """The low-stock answer could not be read (bad JSON, wrong shape, a level not a number)."""


def _lower(text: str) -> str:
    return text if text.islower() else text.lower()


def decode_low_stock(
    payload: bytes,
    rows: Mapping[RowKey, StockRow],
    catalogue: Catalogue,
) -> dict[RowKey, LowStockSetting]:
    """``{(product, variant): (level, alert)}`` from the raw answer.

    Keys reuse the rows' (or else the catalogue's) UUID strings, and equal settings share one
    tuple, so tens of thousands of levels cost little memory. Raises :class:`LowStockFeedError`.
    """
    try:
        answer = _decoder.decode(payload)
    except (msgspec.DecodeError, RecursionError) as error:  # deeply nested: RecursionError
        raise LowStockFeedError(f"unreadable low-stock levels: {error}") from None
    settings: dict[RowKey, LowStockSetting] = {}
    shared: dict[LowStockSetting, LowStockSetting] = {}
    products = catalogue.products
    for product_levels in answer.custom_low_stock_levels_for_products:
        product_uuid = _lower(product_levels.product_uuid)
        product = products.get(product_uuid)
        if product is not None:
            product_uuid = product.uuid
        for line in product_levels.custom_low_stock_level_for_variants:
            variant_uuid = _lower(line.variant_uuid)
            row = rows.get((product_uuid, variant_uuid))
            if row is not None:
                key = row.key
            else:
                variant = product.variant(variant_uuid) if product is not None else None
                key = (product_uuid, variant.uuid if variant is not None else variant_uuid)
            level = line.custom_low_stock_level
            if level is not None and not isinstance(level, int):
                try:
                    level = parse_whole_number(level)
                except ValueError as error:
                    raise LowStockFeedError(f"unreadable low-stock level: {error}") from None
            setting = (level, line.low_stock_alert)
            settings[key] = shared.setdefault(setting, setting)
    return settings
