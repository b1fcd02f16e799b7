"""The sandbox's admin surface (``/sandbox/*``: no auth, never faulted), wrapped once for every
test directory: the ledger, fault knobs, POS sales, token expiry, extra API keys."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx

from zinv_tui.api.client import tls_context
from zinv_tui.sandbox.server import SandboxInfo

RowKey = tuple[str, str]


def sent_key(movement: dict[str, Any]) -> str | None:
    """The batch key a ledger movement was sent under (v1: ``externalUuid``, v3: ``identifier``)."""
    return movement.get("externalUuid") or movement.get("identifier")


class SandboxAdmin:
    """``SandboxAdmin(info)``: the admin calls of one running sandbox."""

    def __init__(self, info: SandboxInfo | str) -> None:
        self.url = info if isinstance(info, str) else info.url

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(
            method, f"{self.url}/sandbox/{path}", json=body, timeout=30, verify=tls_context()
        )
        response.raise_for_status()
        return response.json()

    def ledger(self) -> list[dict[str, Any]]:
        """Every movement the sandbox applied, oldest first (``GET /sandbox/ledger``)."""
        return self._call("GET", "ledger")

    def api_movements(self, variant_uuid: str) -> list[dict[str, Any]]:
        """Movements made through the API (not opening balances or POS sales) of a variant."""
        return [
            movement
            for movement in self.ledger()
            if movement.get("source") == "api" and movement.get("variantUuid") == variant_uuid
        ]

    def faults(self, **knobs: Any) -> dict[str, Any]:
        """Change the fault knobs at run time; returns them all."""
        return self._call("POST", "faults", knobs)

    def sale(self, variant_uuid: str | UUID, quantity: int) -> dict[str, Any]:
        """A sale rung up at the till (a POS sale, not through the API)."""
        return self._call("POST", "sales", {"variantUuid": str(variant_uuid), "quantity": quantity})

    def purchase(self, body: dict[str, Any]) -> dict[str, Any]:
        """A purchase (a sale with lines and a time) in the Purchase API's history."""
        return self._call("POST", "purchases", body)

    def refund(self, purchase_uuid: str) -> dict[str, Any]:
        """A refund of a purchase made through :meth:`purchase`."""
        return self._call("POST", "purchases/refund", {"purchaseUuid": purchase_uuid})

    def purchase_settings(self, **knobs: Any) -> dict[str, Any]:
        """Knobs of the Purchase API (page size, faults of its own)."""
        return self._call("POST", "purchases/settings", knobs)

    def expire_tokens(self) -> int:
        """Expire every access token; how many there were."""
        return self._call("POST", "tokens/expire")["expired"]

    def new_key(self, scopes: list[str]) -> str:
        """Another API key of the sandbox's organization, with these scopes."""
        return self._call("POST", "keys", {"scopes": scopes})["api_key"]

    def info(self) -> dict[str, Any]:
        return self._call("GET", "info")

    def store_balances(self) -> dict[RowKey, int]:
        """STORE balances as the ledger says (the truth to compare a view with)."""
        store = next(loc["uuid"] for loc in self.info()["locations"] if loc["type"] == "STORE")
        totals: dict[RowKey, int] = {}
        for move in self.ledger():
            key = (move["productUuid"], move["variantUuid"])
            if move["toLocationUuid"] == store:
                totals[key] = totals.get(key, 0) + move["change"]
            if move["fromLocationUuid"] == store:
                totals[key] = totals.get(key, 0) - move["change"]
        return totals
