"""Helpers for service tests: a real client and service on a sandbox, the sandbox's admin calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from zinv_tui.api import ApiEndpoints, ZettleClient
from zinv_tui.build import ShopAccess, open_inventory
from zinv_tui.sandbox.server import SandboxInfo
from zinv_tui.service import InventoryService


def make_client(info: SandboxInfo, **options: Any) -> ZettleClient:
    options.setdefault("requests_per_second", None)
    return ZettleClient(info.api_key, endpoints=ApiEndpoints.single(info.url), **options)


def sandbox_service(
    info: SandboxInfo, state_dir: Path, client_options: dict | None = None, **options: Any
) -> InventoryService:
    """A service on the sandbox through the composition root (fast settings unless overridden);
    stopping it closes its client."""
    options.setdefault("poll_interval", 30.0)
    options.setdefault("retry_base", 0.05)
    options.setdefault("retry_max", 0.5)
    options.setdefault("max_backoff", 1.0)
    options.setdefault("user", "tester")
    client_options = {"backoff_base": 0.02, "backoff_cap": 0.2, **(client_options or {})}
    return open_inventory(
        ShopAccess.local(info.url, info.api_key),
        state_dir=state_dir,
        client_options=client_options,
        **options,
    )


def client_of(service: InventoryService) -> ZettleClient:
    """The Zettle client under a service's (v1) backend, to act behind its back."""
    return service.backend.client  # type: ignore[attr-defined, no-any-return]


@asynccontextmanager
async def running_service(
    info: SandboxInfo, state_dir: Path, client_options: dict | None = None, **options: Any
) -> AsyncIterator[InventoryService]:
    """A started service (fast settings unless overridden), stopped and closed afterwards."""
    service = sandbox_service(info, state_dir, client_options, **options)
    try:
        await service.start(require_load=True)
        yield service
    finally:
        await service.stop()


def ledger(info: SandboxInfo) -> list[dict[str, Any]]:
    return httpx.get(f"{info.url}/sandbox/ledger", timeout=30).json()


def set_faults(info: SandboxInfo, **faults: Any) -> None:
    httpx.post(f"{info.url}/sandbox/faults", json=faults, timeout=10).raise_for_status()


def expire_tokens(info: SandboxInfo) -> None:
    httpx.post(f"{info.url}/sandbox/tokens/expire", timeout=10).raise_for_status()


def pos_sale(info: SandboxInfo, variant_uuid: str, quantity: int) -> dict[str, Any]:
    response = httpx.post(
        f"{info.url}/sandbox/sales",
        json={"variantUuid": variant_uuid, "quantity": quantity},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def server_store_balances(info: SandboxInfo) -> dict[tuple[str, str], int]:
    """STORE balances as the sandbox's ledger says (the truth to compare the view with)."""
    store = next(
        loc["uuid"]
        for loc in httpx.get(f"{info.url}/sandbox/info", timeout=10).json()["locations"]
        if loc["type"] == "STORE"
    )
    totals: dict[tuple[str, str], int] = {}
    for move in ledger(info):
        key = (move["productUuid"], move["variantUuid"])
        if move["toLocationUuid"] == store:
            totals[key] = totals.get(key, 0) + move["change"]
        if move["fromLocationUuid"] == store:
            totals[key] = totals.get(key, 0) - move["change"]
    return totals
