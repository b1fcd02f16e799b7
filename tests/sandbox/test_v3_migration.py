"""A database written before v3 (one location per type, balances without ``updated``) opens, is
brought up to date once, and then serves v3 as a new one does: rows dated by their last movement,
extra STORE inventories allowed, v1 unchanged."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.sandbox.raw_http import authed_client
from tests.sandbox.v3_http import read_all, v1_store_balances, v3_store_balances
from zinv_tui.sandbox.server import SandboxConfig, SandboxServer

pytestmark = pytest.mark.timeout(60)

OLD_LOCATIONS = """CREATE TABLE locations (
    uuid TEXT PRIMARY KEY, type TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    description TEXT NOT NULL, is_default INTEGER NOT NULL, ord INTEGER NOT NULL)"""


def _make_old(path: Path) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("ALTER TABLE locations RENAME TO locations_new")
    db.execute(OLD_LOCATIONS)
    db.execute("INSERT INTO locations SELECT * FROM locations_new")
    db.execute("DROP TABLE locations_new")
    db.execute("DROP INDEX balances_updated")
    db.execute("ALTER TABLE balances DROP COLUMN updated")
    db.close()


def test_an_old_database_serves_v3_after_migration(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    config = SandboxConfig(products=30, seed=4, db_path=path)
    with SandboxServer(config) as info, authed_client(info) as client:
        before = v1_store_balances(client)
        ledger = client.get(f"{info.url}/sandbox/ledger").json()
    _make_old(path)
    with SandboxServer(config) as info, authed_client(info) as client:
        assert v1_store_balances(client) == before
        assert v3_store_balances(client) == before
        rows, _ = read_all(client, "/v3/stock", limit=1000)
        created = ledger[-1]["created"][:23] + "Z"
        assert all(re.fullmatch(r"\d{4}-.+\.\d{3}Z", r["updated"]) for r in rows)
        assert max(r["updated"] for r in rows) == created
        answer = client.post("/v3/inventories", json={"name": "Second shop"})
        assert answer.status_code == 201, answer.text
        assert len(client.get("/v3/inventories").json()) == 5
        assert len(client.get("/organizations/self/locations").json()) == 4
    db = sqlite3.connect(path)
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'locations'").fetchone()[0]
    assert "UNIQUE" not in sql.upper()
    db.close()


def test_a_restart_keeps_updated_and_forgets_cursors(tmp_path: Path) -> None:
    config = SandboxConfig(products=30, seed=4, db_path=tmp_path / "shop.sqlite")
    with SandboxServer(config) as info, authed_client(info) as client:
        rows, _ = read_all(client, "/v3/stock", limit=1000)
        link = client.get("/v3/stock", params={"limit": 5}).headers["link"]
        cursor = link.partition("cursor=")[2].partition("&")[0]
    with SandboxServer(config) as info, authed_client(info) as client:
        again, _ = read_all(client, "/v3/stock", limit=1000)
        assert again == rows  # same updated, same checksums
        stale = client.get("/v3/stock", params={"cursor": cursor, "limit": 5})
        assert stale.status_code == 400 and stale.json()["errorType"] == "INVALID_CURSOR"
