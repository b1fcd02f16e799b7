"""Helpers for the screens' tests: the real app on a real service on a real sandbox (no mocks).

``shop(info, tmp_path)`` starts an :class:`InventoryService` on a sandbox and
``screen_app(service)`` wraps it in a frozen ``ZinvApp`` (the test owns the service's life).
``Ledger`` reads the sandbox's ``/sandbox/*`` admin surface.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from textual.pilot import Pilot

from zinv_tui.api import ApiEndpoints, ZettleClient
from zinv_tui.sandbox.server import SandboxInfo
from zinv_tui.service import InventoryService
from zinv_tui.ui.app import ZinvApp

RowKey = tuple[str, str]


@asynccontextmanager
async def shop(
    info: SandboxInfo, state_dir: Path, *, poll_interval: float = 60.0
) -> AsyncIterator[InventoryService]:
    """A started service on ``info`` (slow polling unless asked: tests refresh explicitly).

    The client retries quickly (tiny backoff) so fault tests stay fast."""
    client = ZettleClient(
        info.api_key,
        endpoints=ApiEndpoints.single(info.url),
        client_id=info.client_id,
        requests_per_second=None,
        max_retries=1,
        backoff_base=0.01,
        backoff_cap=0.05,
    )
    service = InventoryService(
        client, state_dir, poll_interval=poll_interval, user="tester", retry_base=0.05
    )
    await service.start(require_load=True)
    try:
        yield service
    finally:
        await service.stop()
        await client.aclose()


def screen_app(service: InventoryService, **options: Any) -> ZinvApp:
    """The real app, deterministic (``frozen``), on a service the test started."""
    return ZinvApp(service, manage_service=False, frozen=True, **options)


async def settle(pilot: Pilot[Any], rounds: int = 3) -> None:
    """Let messages, workers and timers of the app run."""
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def screen_text(app: Any) -> list[str]:
    """The lines on screen as the user reads them (no colours)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type ``text`` key by key, as a person or a barcode scanner would."""
    await pilot.press(*[_key_name(char) for char in text])


def _key_name(char: str) -> str:
    names = {" ": "space", "/": "slash", "-": "minus", ".": "full_stop", "?": "question_mark"}
    return names.get(char, char)


class Ledger:
    """The sandbox's admin surface (``/sandbox/...``, no auth, never faulted)."""

    def __init__(self, info: SandboxInfo) -> None:
        self.url = info.url

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(method, f"{self.url}/sandbox/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def movements(self) -> list[dict[str, Any]]:
        """Every movement in the sandbox's ledger (``GET /sandbox/ledger``)."""
        answer = self._call("GET", "ledger")
        return answer["movements"] if isinstance(answer, dict) else answer

    def api_movements(self, variant_uuid: str) -> list[dict[str, Any]]:
        """Movements made through the API (not the opening balances or POS sales) of a variant."""
        return [
            movement
            for movement in self.movements()
            if movement.get("source") == "api" and movement.get("variantUuid") == variant_uuid
        ]

    def sale(self, variant_uuid: str, quantity: int) -> Any:
        return self._call("POST", "sales", {"variantUuid": variant_uuid, "quantity": quantity})

    def faults(self, **knobs: Any) -> Any:
        return self._call("POST", "faults", knobs)


def pick_row(
    service: InventoryService,
    *,
    minimum: int = 3,
    with_barcode: bool = False,
    exclude: Iterable[RowKey] = (),
) -> Any:
    """A stable choice of a tracked row with at least ``minimum`` in stock (by SKU order)."""
    excluded = set(exclude)
    rows = sorted(service.rows.values(), key=lambda row: (row.sku, row.variant_uuid))
    for row in rows:
        if row.key in excluded or row.shown_balance < minimum:
            continue
        if with_barcode and not row.barcode:
            continue
        if "[" in row.product_name:
            continue
        return row
    raise AssertionError("no suitable row in the demo shop")
