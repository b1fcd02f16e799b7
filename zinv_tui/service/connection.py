"""The connection to Zettle a service runs on, built here so that the UI never names the client."""

from __future__ import annotations

from pydantic import SecretStr

from zinv_tui.api import ApiEndpoints, ZettleClient

DEFAULT_TIMEOUT = 15.0
"""Seconds to wait for Zettle per request when the profile does not say."""


def open_client(
    api_key: str | SecretStr,
    endpoints: ApiEndpoints,
    *,
    client_id: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> ZettleClient:
    """A client for a shop at ``endpoints`` (a profile's), within Zettle's rate limit.

    Close it with ``await client.aclose()`` (or ``async with``) when done."""
    return ZettleClient(api_key, endpoints=endpoints, client_id=client_id, timeout=timeout)


def open_local_client(
    base_url: str, api_key: str | SecretStr, *, client_id: str | None = None
) -> ZettleClient:
    """A client for every API on one local ``base_url`` (the sandbox), without a rate limit."""
    return ZettleClient(
        api_key,
        endpoints=ApiEndpoints.single(base_url),
        client_id=client_id,
        requests_per_second=None,
    )
