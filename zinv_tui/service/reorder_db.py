"""The profile's ``reorder.sqlite``: sales history, reorder settings, purchase orders, receipts.

Its own file beside ``outbox.sqlite`` (whose schema another part of the app migrates), created
readable by the owner only (0600: it holds the shop's sales), WAL with ``synchronous=FULL`` like
the journal, and versioned with ``PRAGMA user_version``: a file written by a newer version of the
app is refused rather than misread. :data:`MIGRATIONS` lists the steps from each version to the
next; version 1 is the first.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from zinv_tui.service.state_db import BUSY_TIMEOUT

REORDER_FILE = "reorder.sqlite"
SCHEMA_VERSION = 1

_V1 = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- Sales history (service/sales_history.py): days are local-date ordinals (date.toordinal()).
CREATE TABLE IF NOT EXISTS purchases_seen (
    uuid BLOB PRIMARY KEY,                 -- purchaseUUID1, 16 bytes
    day INTEGER NOT NULL,
    ms INTEGER NOT NULL,                   -- sale time, epoch ms (UTC)
    refund INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS purchases_seen_ms ON purchases_seen (ms);
CREATE TABLE IF NOT EXISTS daily_sales (
    variant_uuid TEXT NOT NULL,
    day INTEGER NOT NULL,
    product_uuid TEXT NOT NULL,
    sold REAL NOT NULL DEFAULT 0,          -- units in sales (non-refund receipts)
    refunded REAL NOT NULL DEFAULT 0,      -- units refunded later, booked on the sale's day
    receipts INTEGER NOT NULL DEFAULT 0,   -- receipts with this variant
    PRIMARY KEY (variant_uuid, day)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS daily_sales_day ON daily_sales (day);
CREATE TABLE IF NOT EXISTS unmatched_refunds (
    variant_uuid TEXT NOT NULL,
    day INTEGER NOT NULL,                  -- the refund's own day (its sale is not in the history)
    product_uuid TEXT NOT NULL,
    refunded REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (variant_uuid, day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shop_days (
    day INTEGER PRIMARY KEY,
    receipts INTEGER NOT NULL DEFAULT 0,   -- sales receipts (the shop traded that day)
    refunds INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS observed_days (day INTEGER PRIMARY KEY, observations INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS out_of_stock_marks (
    variant_uuid TEXT NOT NULL,
    day INTEGER NOT NULL,                  -- at or below zero at every observation of that day
    PRIMARY KEY (variant_uuid, day)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS out_of_stock_marks_day ON out_of_stock_marks (day);

-- Reorder settings (service/reorder_settings.py).
CREATE TABLE IF NOT EXISTS suppliers (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    lead_time_days REAL,
    cover_days REAL,
    contact TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS variant_settings (
    variant_uuid TEXT PRIMARY KEY,
    product_uuid TEXT NOT NULL,
    supplier TEXT,
    supplier_code TEXT,
    pack_size INTEGER,
    lead_time_days REAL,
    cover_days REAL,
    safety_days REAL,
    min_level INTEGER,
    max_level INTEGER,
    updated REAL NOT NULL
);

-- Purchase orders and receiving (service/purchase_orders.py, service/receiving.py).
CREATE TABLE IF NOT EXISTS purchase_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    supplier TEXT NOT NULL,
    status TEXT NOT NULL,                  -- draft|ordered|partial|received|closed|cancelled
    created REAL NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    ordered REAL,
    expected TEXT,
    closed REAL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS order_lines (
    order_id INTEGER NOT NULL REFERENCES purchase_orders(id),
    product_uuid TEXT NOT NULL,
    variant_uuid TEXT NOT NULL,
    product_name TEXT NOT NULL DEFAULT '',
    variant_name TEXT NOT NULL DEFAULT '',
    sku TEXT NOT NULL DEFAULT '',
    barcode TEXT NOT NULL DEFAULT '',
    supplier_code TEXT NOT NULL DEFAULT '',
    ordered INTEGER NOT NULL,              -- units (whole packs when pack_size > 1)
    pack_size INTEGER NOT NULL DEFAULT 1,
    unit_cost INTEGER,                     -- minor units per unit, when known
    position INTEGER NOT NULL,
    PRIMARY KEY (order_id, variant_uuid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS receipts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL REFERENCES purchase_orders(id),
    tag TEXT NOT NULL UNIQUE,              -- in every movement note: finds them after a crash
    status TEXT NOT NULL,                  -- open | committing | committed | abandoned
    created REAL NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    committed REAL,
    close_short INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS receipt_lines (
    receipt_id INTEGER NOT NULL REFERENCES receipts(id),
    product_uuid TEXT NOT NULL,
    variant_uuid TEXT NOT NULL,
    product_name TEXT NOT NULL DEFAULT '',
    variant_name TEXT NOT NULL DEFAULT '',
    sku TEXT NOT NULL DEFAULT '',
    barcode TEXT NOT NULL DEFAULT '',
    good INTEGER NOT NULL DEFAULT 0,       -- units that arrived sellable (booked into STORE)
    damaged INTEGER NOT NULL DEFAULT 0,    -- units that arrived unsellable (not booked)
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (receipt_id, variant_uuid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS receipt_scans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    receipt_id INTEGER NOT NULL REFERENCES receipts(id),
    variant_uuid TEXT NOT NULL,
    field TEXT NOT NULL,                   -- good | damaged
    kind TEXT NOT NULL,                    -- add | set
    amount INTEGER NOT NULL,
    previous INTEGER NOT NULL,             -- the line's value before (for taking a scan back)
    code TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0
);
"""

MIGRATIONS: dict[int, str] = {0: _V1}
"""``from_version -> SQL`` that brings the file to ``from_version + 1``."""


class ReorderDbError(RuntimeError):
    """The file can't be used (made by a newer version of the app, or not a database)."""


def _create_private(path: Path) -> None:
    """Create the file readable and writable by the owner only (if it does not exist)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def open_reorder_db(path: Path | str) -> sqlite3.Connection:
    """Open (creating, 0600) and bring up to :data:`SCHEMA_VERSION` the reorder database."""
    target = Path(path)
    _create_private(target)
    try:
        db = sqlite3.connect(target, timeout=BUSY_TIMEOUT, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as error:
        raise ReorderDbError(f"{target} is not a reorder database ({error})") from None
    if version > SCHEMA_VERSION:
        db.close()
        raise ReorderDbError(
            f"{target} was written by a newer zinv-tui (schema {version}, this one knows "
            f"{SCHEMA_VERSION}) - update zinv-tui"
        )
    while version < SCHEMA_VERSION:
        db.execute("BEGIN IMMEDIATE")
        try:
            current = int(db.execute("PRAGMA user_version").fetchone()[0])
            if current == version:  # another process may have migrated meanwhile
                for statement in _statements(MIGRATIONS[version]):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
    return db


def _statements(script: str) -> list[str]:
    """The statements of a migration script (comments dropped), to run inside one transaction."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [statement.strip() for statement in "\n".join(lines).split(";") if statement.strip()]
