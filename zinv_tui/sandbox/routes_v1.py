"""Zettle's documented inventory API (v1/v2: ``/organizations/{org}/...`` and
``/custom-low-stock/...``), the generation ``--api v1`` serves; each family in its own module,
shaping v1's JSON on the shared core (:class:`~zinv_tui.sandbox.inventory.Inventory`)."""

from __future__ import annotations

from starlette.routing import Route

from zinv_tui.sandbox.routes_inventory import inventory_routes
from zinv_tui.sandbox.routes_low_stock import low_stock_routes
from zinv_tui.sandbox.state import SandboxState


def v1_routes(state: SandboxState) -> list[Route]:
    """Every v1 inventory route (the Product Library, OAuth and the Purchase API are not part of
    either generation: they answer whatever ``--api`` says)."""
    return [*inventory_routes(state), *low_stock_routes(state)]
