"""Typed async client for Zettle: Inventory, the Product Library read and the Purchase API.

The names below load on first use, so importing one small part (``zinv_tui.api.errors``, as the
service does) does not import the HTTP stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zinv_tui.api.auth import TokenInfo
    from zinv_tui.api.client import ProductsPage, ZettleClient
    from zinv_tui.api.endpoints import ApiEndpoints
    from zinv_tui.api.errors import (
        ApiKeyRejected,
        MalformedResponse,
        NetworkError,
        NotFound,
        PermissionDenied,
        ProductNotTracked,
        PurchaseScopeMissing,
        RateLimited,
        RequestRejected,
        ServerError,
        TokenExpired,
        ZettleError,
    )
    from zinv_tui.api.purchase_wire import Purchase, PurchaseLine, PurchasePage
    from zinv_tui.api.purchases import READ_PURCHASE, PurchasesApi
    from zinv_tui.api.stats import ClientStats

_WHERE = {
    "TokenInfo": "zinv_tui.api.auth",
    "ProductsPage": "zinv_tui.api.client",
    "ZettleClient": "zinv_tui.api.client",
    "ApiEndpoints": "zinv_tui.api.endpoints",
    "ApiKeyRejected": "zinv_tui.api.errors",
    "MalformedResponse": "zinv_tui.api.errors",
    "NetworkError": "zinv_tui.api.errors",
    "NotFound": "zinv_tui.api.errors",
    "PermissionDenied": "zinv_tui.api.errors",
    "ProductNotTracked": "zinv_tui.api.errors",
    "RateLimited": "zinv_tui.api.errors",
    "RequestRejected": "zinv_tui.api.errors",
    "ServerError": "zinv_tui.api.errors",
    "TokenExpired": "zinv_tui.api.errors",
    "ZettleError": "zinv_tui.api.errors",
    "Purchase": "zinv_tui.api.purchase_wire",
    "PurchaseLine": "zinv_tui.api.purchase_wire",
    "PurchasePage": "zinv_tui.api.purchase_wire",
    "READ_PURCHASE": "zinv_tui.api.purchases",
    "PurchasesApi": "zinv_tui.api.purchases",
    "PurchaseScopeMissing": "zinv_tui.api.errors",
    "ClientStats": "zinv_tui.api.stats",
}

__all__ = [
    "READ_PURCHASE",
    "ApiEndpoints",
    "ApiKeyRejected",
    "ClientStats",
    "MalformedResponse",
    "NetworkError",
    "NotFound",
    "PermissionDenied",
    "ProductNotTracked",
    "ProductsPage",
    "Purchase",
    "PurchaseLine",
    "PurchasePage",
    "PurchaseScopeMissing",
    "PurchasesApi",
    "RateLimited",
    "RequestRejected",
    "ServerError",
    "TokenExpired",
    "TokenInfo",
    "ZettleClient",
    "ZettleError",
]


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value
