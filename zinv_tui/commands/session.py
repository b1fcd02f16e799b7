"""Open the profile's InventoryService for a command: the same service and outbox as the TUI."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from pydantic import SecretStr

from zinv_tui.commands.context import limit_calls, network_deadline, within
from zinv_tui.config import CredentialsError, ResolvedSettings, resolve_api_key
from zinv_tui.config.credentials import make_private_dir
from zinv_tui.service import InventoryService

_OFFLINE_KEY = SecretStr("offline")
"""Stands in for a missing key when a command only reads the local journal (never sent)."""


@contextlib.asynccontextmanager
async def open_service(
    settings: ResolvedSettings, *, online: bool = True
) -> AsyncIterator[InventoryService]:
    """The profile's service. ``online``: loaded from Zettle first, within the command's network
    deadline (errors raise, so the command exits with 3 or 4; a network failure is a
    :class:`~zinv_tui.api.errors.NetworkError` or an exit-4 ``CommandError`` whichever call met
    it); otherwise only the local journal is read (history, outbox, export history) and no key is
    needed."""
    if online:
        key = resolve_api_key(settings).value
    else:
        try:
            key = resolve_api_key(settings).value
        except CredentialsError:
            key = _OFFLINE_KEY
    from zinv_tui.build import inventory_for

    make_private_dir(settings.state_dir)
    service = inventory_for(settings, key)
    try:
        if online:
            # The calls stop in time with their own reason; `within` is the safety net.
            async with within(settings):
                limit_calls(service.backend, network_deadline(settings))
                await service.start(require_load=True)
            limit_calls(service.backend, None)
        yield service
    finally:
        await service.stop()
