"""Typed async client for the Zettle Inventory API and the Product Library read."""

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
from zinv_tui.api.stats import ClientStats

__all__ = [
    "ApiEndpoints",
    "ApiKeyRejected",
    "ClientStats",
    "MalformedResponse",
    "NetworkError",
    "NotFound",
    "PermissionDenied",
    "ProductNotTracked",
    "ProductsPage",
    "RateLimited",
    "RawProductsPage",
    "RequestRejected",
    "ServerError",
    "TokenExpired",
    "TokenInfo",
    "ZettleClient",
    "ZettleError",
]
