"""Request bodies of Zettle's inventory API v3 as the sandbox reads them (zettle-v3.md §2-3).

Built on the shared v1 models' rules (:mod:`zinv_tui.api.models`): camelCase on the wire, whole
numbers bounded before conversion, unknown fields ignored. Bare-array bodies are read with
:func:`zinv_tui.sandbox.request_parsing.parse_list`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BeforeValidator, Field

from zinv_tui.api.models import LowStockQuantity, PositiveQuantity, ZettleModel

MAX_ITEMS = 1000
"""The most elements any v3 array body may hold (sandbox choice, zettle-v3.md C17)."""


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


class Movement(ZettleModel):
    """One element of ``POST /v3/movements``'s ``movements``."""

    product_uuid: UUID
    variant_uuid: UUID
    change: PositiveQuantity
    from_: UUID = Field(alias="from")
    to: UUID


class MovementsRequest(ZettleModel):
    """``POST /v3/movements``: ``identifier`` is an echo (never deduplicated)."""

    identifier: UUID | None = None
    movements: list[Movement] = Field(min_length=1, max_length=MAX_ITEMS)


class TrackingChange(ZettleModel):
    """One element of ``POST /v3/products``."""

    product_uuid: UUID
    tracking: Annotated[Literal["enable", "disable"], BeforeValidator(_lower)]


class InventoryCreate(ZettleModel):
    """``POST /v3/inventories`` (only STORE inventories can be created)."""

    name: Annotated[str, BeforeValidator(lambda v: v.strip() if isinstance(v, str) else v)] = Field(
        min_length=1, max_length=255
    )
    description: str = Field(default="", max_length=255)


class LowStockSetting(ZettleModel):
    """One element of ``POST /v3/custom-low-stock``; a level of null or 0 removes the level."""

    inventory_uuid: UUID
    product_uuid: UUID
    variant_uuid: UUID
    low_stock_level: LowStockQuantity | None = None
    low_stock_alert: bool = False
