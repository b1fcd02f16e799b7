"""Helpers for the client's tests against the sandbox: a client factory and the admin surface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx

from zinv_tui.api import ApiEndpoints, ZettleClient
from zinv_tui.api.models import Location, LocationType
from zinv_tui.api.pipeline import BytesSink
from zinv_tui.sandbox.server import SandboxInfo

FAST_RETRIES = {"backoff_base": 0.01, "backoff_cap": 0.05}
"""Tiny backoff so fault tests stay fast (the policy itself is tested on a fake clock)."""


def make_client(info: SandboxInfo, **options: Any) -> ZettleClient:
    """A client on ``info`` with fast retries and (unless told otherwise) no 4/s limit."""
    settings: dict[str, Any] = {**FAST_RETRIES, "requests_per_second": 200.0}
    settings.update(options)
    return ZettleClient(info.api_key, endpoints=ApiEndpoints.single(info.url), **settings)


@dataclass
class Admin:
    """The sandbox's ``/sandbox/*`` surface (no auth, never faulted)."""

    url: str

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(method, f"{self.url}/sandbox/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def faults(self, **knobs: Any) -> dict[str, Any]:
        return self._call("POST", "faults", knobs)

    def ledger(self) -> list[dict[str, Any]]:
        return self._call("GET", "ledger")

    def expire_tokens(self) -> int:
        return self._call("POST", "tokens/expire")["expired"]

    def new_key(self, scopes: list[str]) -> str:
        return self._call("POST", "keys", {"scopes": scopes})["api_key"]

    def sale(self, variant_uuid: UUID, quantity: int) -> Any:
        return self._call("POST", "sales", {"variantUuid": str(variant_uuid), "quantity": quantity})


def admin(info: SandboxInfo) -> Admin:
    return Admin(info.url)


def by_type(locations: list[Location]) -> dict[LocationType, str]:
    """Each location's UUID (as the balance answers write it) by type."""
    return {location.type: str(location.uuid) for location in locations}


async def raw_store_balances(client: ZettleClient, since: int | str | None = None) -> bytes:
    """The STORE balance answer's body as it came."""
    return (await client.get_store_balances_into(BytesSink, since=since)).getvalue()
