"""Simulated shop traffic: POS sales (STORE -> SOLD, source "pos") at a steady average rate."""

from __future__ import annotations

import asyncio
import logging

from zinv_tui.sandbox.state import SandboxState

_log = logging.getLogger(__name__)


async def run_pos_sales(state: SandboxState) -> None:
    """Sell one or two units of a random stocked, tracked variant at ``sales_per_minute`` on average
    (exponential gaps, like real customers), until cancelled."""
    rng = state.sales_rng
    while True:
        rate = state.sales_per_minute
        if rate <= 0:
            await asyncio.sleep(1.0)
            continue
        await asyncio.sleep(min(rng.expovariate(rate / 60.0), 3600.0))
        try:
            await state.db.run(state.inventory.random_sales, 1, rng)
        except Exception:  # a simulated customer must never take the server down
            _log.exception("simulated POS sale failed")
