"""Low-stock settings from a backend's lines, keyed with the strings the rows already hold.

A big shop sets levels on tens of thousands of variants: keys reuse the rows' (or else the
catalogue's) UUID strings and equal settings share one tuple, so the settings cost little memory
and nothing of the answer outlives the read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from zinv_tui.service.backend import LowStockLine, RowKey
from zinv_tui.service.catalogue import Catalogue
from zinv_tui.service.rows import StockRow
from zinv_tui.service.view import LowStockSetting


def _lower(text: str) -> str:
    return text if text.islower() else text.lower()


def low_stock_settings(
    lines: Iterable[LowStockLine],
    rows: Mapping[RowKey, StockRow],
    catalogue: Catalogue,
) -> dict[RowKey, LowStockSetting]:
    """``{(product, variant): (level, alert)}`` of every line."""
    settings: dict[RowKey, LowStockSetting] = {}
    shared: dict[LowStockSetting, LowStockSetting] = {}
    products = catalogue.products
    for product_uuid, variant_uuid, level, alert in lines:
        product_uuid = _lower(product_uuid)
        product = products.get(product_uuid)
        if product is not None:
            product_uuid = product.uuid
        variant_uuid = _lower(variant_uuid)
        row = rows.get((product_uuid, variant_uuid))
        if row is not None:
            key = row.key
        else:
            variant = product.variant(variant_uuid) if product is not None else None
            key = (product_uuid, variant.uuid if variant is not None else variant_uuid)
        setting = (level, alert)
        settings[key] = shared.setdefault(setting, setting)
    return settings
