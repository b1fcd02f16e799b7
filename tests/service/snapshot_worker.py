"""A separate process for the snapshot kill -9 test: polls as fast as it can until killed.

Usage: ``python snapshot_worker.py URL API_KEY CLIENT_ID HOME``. Starts the TUI's kind of service
(the profile's local snapshot in ``HOME/cache``), prints ``polling`` and then refreshes without
pause, five till sales before each (every fifth refresh a full read), so the snapshot is written
all the time: a kill lands mid-write.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx

from zinv_tui.build import ShopAccess, open_inventory


async def main(url: str, api_key: str, client_id: str, home: str) -> None:
    service = open_inventory(
        ShopAccess.local(url, api_key, client_id),
        state_dir=Path(home) / "state",
        cache_dir=Path(home) / "cache",
        poll_interval=60.0,
        snapshot_profile="shop",
        client_options={"requests_per_second": None},
    )
    await service.start(require_load=True)
    print("polling", flush=True)
    round_ = 0
    async with httpx.AsyncClient() as admin:
        while True:
            round_ += 1
            sold = await admin.post(f"{url}/sandbox/sales", json={"count": 5})
            sold.raise_for_status()
            await service.refresh(full=round_ % 5 == 0)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
