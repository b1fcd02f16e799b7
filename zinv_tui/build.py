"""The composition root: the one place where a shop's settings become a backend and a service.

The TUI (:mod:`zinv_tui.ui.launch`), the CLI (:mod:`zinv_tui.commands.session`), the screenshots
tool and the tests all build through here, so a new setting (the API generation, a directory)
reaches every one of them. Nothing else names a backend; the service never sees which one it got.

- :class:`ShopAccess`: how to reach one shop (key, hosts, timeout, API generation);
  :func:`access_of` reads it from a profile's resolved settings, :meth:`ShopAccess.local` is the
  sandbox's.
- :func:`open_client` / :func:`open_backend`: the client and the backend on it (``api_version``:
  ``v1`` or ``v3`` forced, or ``auto``: probed once, remembered in the profile's cache dir, see
  :mod:`zinv_tui.api.generations`). :func:`generation_in_use` says which and why (doctor).
- :func:`open_inventory`: an :class:`~zinv_tui.service.InventoryService` on a new backend, with
  every directory passed on (the journal in ``state_dir``, the catalogue cache in ``cache_dir``);
  the service closes the backend when it stops. :func:`inventory_for` does it for a profile.
- :func:`local_snapshot`: the profile's local snapshot (``snapshot.sqlite`` in the cache dir),
  owned by the profile, the key's organisation and the backend's API generation; the TUI's
  service paints from it at launch (``open_inventory(snapshot_profile=...)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from zinv_tui.api.apikey import read_api_key_claims
from zinv_tui.api.auth import TokenInfo
from zinv_tui.api.client import ZettleClient
from zinv_tui.api.endpoints import ApiEndpoints
from zinv_tui.api.errors import ApiKeyRejected
from zinv_tui.api.generations import (
    GENERATION_FILE,
    GENERATIONS,
    AutoBackend,
    Choice,
    backend_of,
)
from zinv_tui.service import InventoryService, StockBackend
from zinv_tui.service.backend import Place
from zinv_tui.service.local_snapshot import SNAPSHOT_FILE, LocalSnapshot, SnapshotOwner

if TYPE_CHECKING:
    from zinv_tui.config import ResolvedSettings

DEFAULT_TIMEOUT = 15.0
"""Seconds to wait for Zettle (a command: in all; the app: per request) when the profile does
not say."""

API_VERSIONS = ("auto", *GENERATIONS)
"""The API generations a profile may choose (``api_version``)."""


@dataclass(frozen=True)
class ShopAccess:
    """How to reach one shop: its API key, the hosts, and which Zettle API to speak."""

    api_key: SecretStr
    endpoints: ApiEndpoints
    client_id: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    api_version: str = "v1"
    rate_limited: bool = True
    """Keep under Zettle's 4 requests per second (off for the local sandbox)."""
    generation_file: Path | None = None
    """Where ``auto`` remembers the generation it found (None: probe at every start)."""

    @classmethod
    def local(
        cls, base_url: str, api_key: str | SecretStr, client_id: str | None = None
    ) -> ShopAccess:
        """Every API on one local ``base_url`` (the sandbox), without a rate limit."""
        return cls(_secret(api_key), ApiEndpoints.single(base_url), client_id, rate_limited=False)


def _secret(value: str | SecretStr) -> SecretStr:
    return value if isinstance(value, SecretStr) else SecretStr(value)


def access_of(settings: ResolvedSettings, api_key: str | SecretStr) -> ShopAccess:
    """The shop of a profile's resolved settings, with ``api_key``."""
    profile = settings.profile
    return ShopAccess(
        _secret(api_key),
        settings.endpoints(),
        client_id=profile.client_id,
        timeout=profile.timeout,
        api_version=profile.api_version,
        generation_file=settings.cache_dir / GENERATION_FILE,
    )


def open_client(access: ShopAccess, **options: Any) -> ZettleClient:
    """A client for the shop (``options``: :class:`~zinv_tui.api.client.ZettleClient`'s knobs).

    Close it with ``await client.aclose()`` (or ``async with``) when done."""
    if not access.rate_limited:
        options.setdefault("requests_per_second", None)
    return ZettleClient(
        access.api_key,
        endpoints=access.endpoints,
        client_id=access.client_id,
        timeout=options.pop("timeout", access.timeout),
        **options,
    )


def _backend(access: ShopAccess, client: ZettleClient) -> StockBackend:
    if access.api_version == "auto":
        return AutoBackend(client, access.generation_file)
    if access.api_version in GENERATIONS:
        return backend_of(access.api_version, client)
    raise ValueError(
        f"unknown api_version {access.api_version!r} (one of {', '.join(API_VERSIONS)})"
    )


def open_backend(access: ShopAccess, **client_options: Any) -> tuple[StockBackend, ZettleClient]:
    """The backend for the shop's API generation, and the client under it."""
    if access.api_version not in API_VERSIONS:
        raise ValueError(
            f"unknown api_version {access.api_version!r} (one of {', '.join(API_VERSIONS)})"
        )
    client = open_client(access, **client_options)
    return _backend(access, client), client


async def generation_in_use(access: ShopAccess) -> tuple[Choice, list[Place]]:
    """Which generation the shop is spoken to in and why, and its places as that generation
    reads them (``auto`` probes when nothing is remembered, and remembers). Raises the
    backend's errors (:class:`~zinv_tui.api.errors.GenerationMissing` when a forced generation
    is not answered)."""
    backend, client = open_backend(access)
    try:
        if isinstance(backend, AutoBackend):
            await backend.choose()
            places = await backend.places()
            assert backend.choice is not None
            return backend.choice, places
        return Choice(access.api_version, "forced"), await backend.places()
    finally:
        await client.aclose()


def open_inventory(
    access: ShopAccess,
    *,
    state_dir: Path | str,
    cache_dir: Path | str | None = None,
    poll_interval: float = 5.0,
    user: str | None = None,
    client_options: dict[str, Any] | None = None,
    snapshot_profile: str | None = None,
    **service_options: Any,
) -> InventoryService:
    """An :class:`~zinv_tui.service.InventoryService` on a new backend for the shop; stopping
    the service closes the backend. ``service_options``: the service's tuning knobs;
    ``snapshot_profile``: keep (and start from) the local snapshot of this profile in
    ``cache_dir`` (None: none)."""
    backend, client = open_backend(access, **(client_options or {}))
    if snapshot_profile is not None and "snapshot" not in service_options:
        folder = Path(cache_dir if cache_dir is not None else state_dir)
        service_options["snapshot"] = local_snapshot(folder, snapshot_profile, access, backend)
    return InventoryService(
        backend,
        state_dir,
        poll_interval,
        user,
        cache_dir=cache_dir,
        sales=client.purchases,
        close_backend=True,
        **service_options,
    )


def local_snapshot(
    folder: Path, profile: str, access: ShopAccess, backend: StockBackend
) -> LocalSnapshot | None:
    """The profile's local snapshot in ``folder``, owned by the organisation the key names and
    the backend's API; None when the key does not say its organisation (offline, nothing would
    tell another organisation's snapshot from this one's)."""
    try:
        organization = read_api_key_claims(access.api_key.get_secret_value()).organization_uuid
    except ApiKeyRejected:
        organization = None
    if organization is None:
        return None
    owner = SnapshotOwner(profile, str(organization), backend.name)
    return LocalSnapshot(folder / SNAPSHOT_FILE, owner)


def inventory_for(
    settings: ResolvedSettings,
    api_key: str | SecretStr,
    *,
    snapshot: bool = False,
    **service_options: Any,
) -> InventoryService:
    """The profile's service: its shop, its state and cache directories, its poll interval and
    user name; with ``snapshot``, its local snapshot (the TUI's)."""
    return open_inventory(
        access_of(settings, api_key),
        state_dir=settings.state_dir,
        cache_dir=settings.cache_dir,
        poll_interval=settings.profile.poll_interval,
        user=settings.profile.user,
        snapshot_profile=settings.profile_name if snapshot else None,
        **service_options,
    )


async def key_info(access: ShopAccess) -> TokenInfo:
    """Sign in with the shop's key afresh and say who it speaks for (first run, doctor)."""
    async with open_client(access) as client:
        return await client.fetch_token_info()
