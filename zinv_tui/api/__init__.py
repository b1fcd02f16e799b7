"""Typed async client for Zettle: Inventory, the Product Library read and the Purchase API."""

import zinv_tui.api.httpx_without_cli  # noqa: F401  (first: httpx without its CLI's imports)
from zinv_tui.api.auth import TokenInfo
from zinv_tui.api.client import ProductsPage, RawProductsPage, ZettleClient
from zinv_tui.api.endpoints import ApiEndpoints
from zinv_tui.api.errors import (
    ApiKeyRejected,
    MalformedResponse,
    NetworkError,
    NotFound,
    PermissionDenied,
    ProductNotTracked,
    RateLimited,
    RequestRejected,
    ServerError,
    TokenExpired,
    ZettleError,
)
from zinv_tui.api.purchase_wire import Purchase, PurchaseLine, PurchasePage
from zinv_tui.api.purchases import READ_PURCHASE, PurchasesApi, PurchaseScopeMissing
from zinv_tui.api.stats import ClientStats

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
    "RawProductsPage",
    "RequestRejected",
    "ServerError",
    "TokenExpired",
    "TokenInfo",
    "ZettleClient",
    "ZettleError",
]
