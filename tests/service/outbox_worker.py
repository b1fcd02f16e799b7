"""A separate process for the kill -9 test: records movements and sends them until killed.

Usage: ``python outbox_worker.py URL API_KEY STATE_DIR COUNT FAULTS_JSON [GENERATION]``
(GENERATION: ``v1``, the default, or ``v3``). Prints ``loaded`` once
the service has started and ``recorded`` once COUNT movements are journaled, then keeps sending.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path

import httpx

from zinv_tui.build import ShopAccess, open_inventory
from zinv_tui.service import MovementIntent, Reason


async def main(
    url: str, api_key: str, state_dir: str, count: int, faults: str, generation: str
) -> None:
    service = open_inventory(
        replace(ShopAccess.local(url, api_key), api_version=generation),
        state_dir=Path(state_dir),
        poll_interval=0.2,
        max_batch=3,
        retry_base=0.02,
        retry_max=0.1,
        client_options={"max_retries": 1, "backoff_base": 0.01, "backoff_cap": 0.05},
    )
    async with service:
        print("loaded", flush=True)
        async with httpx.AsyncClient() as admin:
            (await admin.post(f"{url}/sandbox/faults", json=json.loads(faults))).raise_for_status()
        keys = sorted(service.rows)[:6]
        for i in range(count):
            await service.record([MovementIntent(Reason.RESTOCK, keys[i % 6], quantity=1 + i % 4)])
            await asyncio.sleep(0.002)
        print("recorded", flush=True)
        await service.flush()
        print("sent", flush=True)
        await asyncio.sleep(3600)


if __name__ == "__main__":
    url, api_key, state_dir, count, faults = sys.argv[1:6]
    generation = sys.argv[6] if len(sys.argv) > 6 else "v1"
    asyncio.run(main(url, api_key, state_dir, int(count), faults, generation))
