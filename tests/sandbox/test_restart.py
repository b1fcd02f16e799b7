"""A sandbox restarted on its own database keeps working, and two sandboxes on one database file
never hand out the same change number (issue 9 item 1, issue 8 item 1, walkthrough #1).

Each test leaves a database the way a real session can leave it, starts a new sandbox on it and
moves stock twice: every movement is applied, ``latest`` never goes backwards and the ledger's
change numbers stay unique and in order.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.sandbox.raw_http import Shop, authed_client, read_shop
from zinv_tui.sandbox.server import SandboxConfig, SandboxInfo, SandboxServer
from zinv_tui.sandbox.store import LedgerStore

pytestmark = pytest.mark.timeout(120)

PRODUCTS = 20


def _restock(client: httpx.Client, shop: Shop, product: str | None = None, n: int = 1) -> dict:
    product = product or shop.tracked[0]
    body = {
        "changes": [
            {
                "productUuid": product,
                "variantUuid": shop.variants(product)[0],
                "fromLocationUuid": shop.locations["SUPPLIER"],
                "toLocationUuid": shop.locations["STORE"],
                "change": n,
            }
        ],
        "externalUuid": str(uuid.uuid1()),
    }
    answer = client.put("/organizations/self/inventory", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _latest(client: httpx.Client) -> int:
    answer = client.get("/inventory")
    assert answer.status_code == 200, answer.text
    return int(answer.json()["latest"])


def _seqs(info: SandboxInfo) -> list[int]:
    return [row["seq"] for row in httpx.get(f"{info.url}/sandbox/ledger", timeout=30).json()]


def _check_restart(db: Path, latest_before: int) -> None:
    """Start on ``db``; two movements work, ``latest`` grows from where it was."""
    with SandboxServer(SandboxConfig(products=PRODUCTS, db_path=db)) as info:
        with authed_client(info) as client:
            assert _latest(client) == latest_before
            shop = read_shop(client)
            _restock(client, shop)
            _restock(client, shop, shop.tracked[1])
            latest = _latest(client)
        seqs = _seqs(info)
    assert latest > latest_before
    assert seqs == sorted(set(seqs))
    assert seqs[-2:] == [latest - 1, latest]


def _leave_fresh(db: Path) -> None:
    """Nothing: the file does not exist yet."""


def _leave_schema_only(db: Path) -> None:
    """Killed while loading the shop: the load is one transaction, so only the tables remain."""
    LedgerStore(db).close()


def _leave_never_moved(db: Path) -> None:
    """Walkthrough #1 Repro A: a first session closed before any sale or movement."""
    with (
        SandboxServer(SandboxConfig(products=PRODUCTS, db_path=db)) as info,
        authed_client(info) as client,
    ):
        client.get("/inventory")


def _leave_after_sales(db: Path) -> None:
    with SandboxServer(SandboxConfig(products=PRODUCTS, db_path=db)) as info:
        answer = httpx.post(f"{info.url}/sandbox/sales", json={"count": 3}, timeout=30)
        assert answer.status_code == 200, answer.text


def _leave_after_movements(db: Path) -> None:
    with (
        SandboxServer(SandboxConfig(products=PRODUCTS, db_path=db)) as info,
        authed_client(info) as client,
    ):
        shop = read_shop(client)
        _restock(client, shop)
        _restock(client, shop, n=4)


def _leave_after_tracking_only(db: Path) -> None:
    """The newest change is a tracking change (its number lives in the tracking table)."""
    with (
        SandboxServer(SandboxConfig(products=PRODUCTS, db_path=db)) as info,
        authed_client(info) as client,
    ):
        product = read_shop(client).tracked[-1]
        stop = client.delete(f"/organizations/self/inventory/products/{product}")
        assert stop.status_code == 204
        start = client.post("/organizations/self/inventory", json={"productUuid": product})
        assert start.status_code == 200


def _leave_with_stale_meta_counter(db: Path) -> None:
    """A database of an older sandbox that kept the counter in a ``meta`` row, now behind."""
    _leave_after_movements(db)
    with sqlite3.connect(db) as connection:
        connection.execute("INSERT OR REPLACE INTO meta VALUES ('seq', '1')")


def _leave_killed_mid_session(db: Path) -> None:
    """``zinv-tui sandbox`` killed with SIGKILL right after a movement (no clean shutdown)."""
    ready = db.parent / "ready.json"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "zinv_tui", "sandbox", "--port", "0"),
            *("--ready-file", str(ready), "--products", str(PRODUCTS), "--db", str(db)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert process.poll() is None and time.monotonic() < deadline, "sandbox did not start"
            time.sleep(0.05)
        data = json.loads(ready.read_text())
        info = SandboxInfo(
            data["url"], data["api_key"], data["client_id"], data["organization_uuid"]
        )
        with authed_client(info) as client:
            _restock(client, read_shop(client))
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)


LEFT: dict[str, Callable[[Path], None]] = {
    "fresh": _leave_fresh,
    "schema-only": _leave_schema_only,
    "never-moved": _leave_never_moved,
    "after-sales-only": _leave_after_sales,
    "after-api-movements": _leave_after_movements,
    "after-tracking-only": _leave_after_tracking_only,
    "stale-meta-counter": _leave_with_stale_meta_counter,
}
if os.name == "posix":
    LEFT["killed-mid-session"] = _leave_killed_mid_session


@pytest.mark.parametrize("leave", list(LEFT.values()), ids=list(LEFT))
def test_stop_start_move_on_every_kind_of_database(
    tmp_path: Path, leave: Callable[[Path], None]
) -> None:
    db = tmp_path / "sandbox.sqlite"
    leave(db)
    for _ in range(2):  # a restart after a restart must work as well
        with (
            SandboxServer(SandboxConfig(products=PRODUCTS, db_path=db)) as info,
            authed_client(info) as client,
        ):
            latest = _latest(client)
        _check_restart(db, latest)


def test_two_sandboxes_on_one_database_never_share_a_change_number(tmp_path: Path) -> None:
    """Two `zinv-tui demo` at once (walkthrough #1 Repro B): interleaved and concurrent movements
    and sales on both servers; no 500, ``latest`` never goes backwards, every change numbered
    once."""
    db = tmp_path / "shared.sqlite"
    with (
        SandboxServer(SandboxConfig(products=PRODUCTS, db_path=db)) as first,
        SandboxServer(SandboxConfig(products=PRODUCTS, db_path=db)) as second,
        authed_client(first) as a,
        authed_client(second) as b,
    ):
        shop = read_shop(a)
        start = _latest(a)
        seen = [start]
        for index in range(6):
            client = (a, b)[index % 2]
            _restock(client, shop, shop.tracked[index % 3])
            seen.extend([_latest(a), _latest(b)])
        sale = httpx.post(f"{second.url}/sandbox/sales", json={"count": 2}, timeout=30)
        assert sale.status_code == 200, sale.text
        seen.extend([_latest(a), _latest(b)])
        assert seen == sorted(seen)
        assert seen[-1] == start + 8

        statuses: list[int] = []

        def hammer(info: SandboxInfo) -> None:
            with authed_client(info) as client:
                for n in range(15):
                    product = shop.tracked[n % 4]
                    answer = client.put(
                        "/organizations/self/inventory",
                        json={
                            "changes": [
                                {
                                    "productUuid": product,
                                    "variantUuid": shop.variants(product)[0],
                                    "fromLocationUuid": shop.locations["SUPPLIER"],
                                    "toLocationUuid": shop.locations["STORE"],
                                    "change": 1,
                                }
                            ]
                        },
                    )
                    statuses.append(answer.status_code)
                    statuses.append(client.get("/inventory", params={"since": start}).status_code)

        threads = [threading.Thread(target=hammer, args=(info,)) for info in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
        assert statuses == [200] * 60
        assert _latest(a) == _latest(b) == start + 38
        seqs = _seqs(first)
        assert seqs == sorted(set(seqs)) and seqs == _seqs(second)
        api_rows = [
            r for r in httpx.get(f"{first.url}/sandbox/ledger").json() if r["source"] == "api"
        ]
        assert len(api_rows) == 36


def test_two_sandboxes_starting_together_on_a_new_file_load_one_shop(tmp_path: Path) -> None:
    """Two demos launched at the same moment on a file that does not exist yet."""
    db = tmp_path / "new.sqlite"
    servers = [SandboxServer(SandboxConfig(products=PRODUCTS, db_path=db)) for _ in range(2)]
    errors: list[BaseException] = []

    def start(server: SandboxServer) -> None:
        try:
            server.start()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=start, args=(server,)) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert not errors
        first, second = (server.info for server in servers)
        assert first.api_key == second.api_key
        with authed_client(first) as a, authed_client(second) as b:
            assert read_shop(a).products == read_shop(b).products
            assert _latest(a) == _latest(b)
    finally:
        for server in servers:
            server.stop()
