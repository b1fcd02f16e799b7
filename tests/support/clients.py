"""Clients and services on a sandbox, over real loopback HTTP, with the fast settings tests use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from zinv_tui.api import ApiEndpoints, ZettleClient
from zinv_tui.api.models import Location, LocationType
from zinv_tui.api.pipeline import BytesSink
from zinv_tui.build import ShopAccess, open_inventory
from zinv_tui.sandbox.server import SandboxInfo
from zinv_tui.service import InventoryService

FAST_CLIENT: dict[str, Any] = {
    "requests_per_second": None,
    "backoff_base": 0.01,
    "backoff_cap": 0.05,
}
"""No 4/s limit and a tiny backoff, so fault tests stay fast (the retry policy itself is tested
on a fake clock)."""
FAST_SERVICE: dict[str, Any] = {
    "poll_interval": 60.0,
    "retry_base": 0.05,
    "retry_max": 0.5,
    "max_backoff": 1.0,
    "user": "tester",
}
"""Slow polling (tests refresh when they mean to) and a sender that retries at once."""
GENERATIONS = ("v1", "v3")
"""The Inventory API generations a test is parametrised over (``generation``): the sandbox is
started with ``api=generation`` (it answers that one only) and the service is forced to it."""


def make_client(info: SandboxInfo, **options: Any) -> ZettleClient:
    """A client on ``info`` (its key and client id) with :data:`FAST_CLIENT` unless overridden."""
    settings: dict[str, Any] = {"client_id": info.client_id, **FAST_CLIENT, **options}
    return ZettleClient(info.api_key, endpoints=ApiEndpoints.single(info.url), **settings)


def sandbox_service(
    info: SandboxInfo,
    state_dir: Path,
    client_options: dict[str, Any] | None = None,
    *,
    generation: str | None = None,
    **options: Any,
) -> InventoryService:
    """A service on ``info`` through the composition root (:data:`FAST_CLIENT` and
    :data:`FAST_SERVICE` unless overridden), not started; stopping it closes its client.
    ``generation`` (``"v1"`` / ``"v3"``) forces the Inventory API generation (default: v1)."""
    access = ShopAccess.local(info.url, info.api_key, info.client_id)
    if generation is not None:
        access = replace(access, api_version=generation)
    return open_inventory(
        access,
        state_dir=state_dir,
        client_options={**FAST_CLIENT, **(client_options or {})},
        **{**FAST_SERVICE, **options},
    )


def client_of(service: InventoryService) -> ZettleClient:
    """The Zettle client under a service's backend (either generation), to act behind its back."""
    return service.backend.client  # type: ignore[attr-defined, no-any-return]


@asynccontextmanager
async def running_service(
    info: SandboxInfo,
    state_dir: Path,
    client_options: dict[str, Any] | None = None,
    *,
    generation: str | None = None,
    **options: Any,
) -> AsyncIterator[InventoryService]:
    """A started service on ``info`` (:data:`FAST_SERVICE` unless overridden), its stock loaded;
    stopped, with its client, afterwards. ``generation`` as in :func:`sandbox_service`."""
    service = sandbox_service(info, state_dir, client_options, generation=generation, **options)
    try:
        await service.start(require_load=True)
        yield service
    finally:
        await service.stop()


async def track_elsewhere(
    info: SandboxInfo, generation: str | None, product_uuid: str, *, on: bool
) -> None:
    """Another client starts (``on``) or stops tracking a product behind the service's back,
    in the generation's own API (v1: ``/organizations/self/inventory``; v3: ``/v3/tracking``)."""
    async with make_client(info) as other:
        if generation == "v3":
            await other.v3.set_tracking([product_uuid], on=on)
        elif on:
            await other.start_tracking(product_uuid)
        else:
            await other.stop_tracking(product_uuid)


def by_type(locations: list[Location]) -> dict[LocationType, str]:
    """Each location's UUID (as the balance answers write it) by type, from
    ``client.get_locations()``."""
    return {location.type: str(location.uuid) for location in locations}


async def raw_store_balances(client: ZettleClient, since: int | str | None = None) -> bytes:
    """The STORE balance answer's body as it came."""
    return (await client.get_store_balances_into(BytesSink, since=since)).getvalue()
