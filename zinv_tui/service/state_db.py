"""The profile's local SQLite file (``outbox.sqlite``): opening it durably, and transactions.

The journal and the count store each hold a connection to the same file. WAL lets both (and other
processes: the TUI and a CLI command) read and write; ``synchronous=FULL`` makes a committed write
survive a power cut.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

BUSY_TIMEOUT = 10.0
"""Seconds to wait for another process's write lock."""


def open_state_db(path: Path, schema: str, *, foreign_keys: bool = False) -> sqlite3.Connection:
    """Open (creating the folder and file) ``path`` in autocommit mode, WAL and
    ``synchronous=FULL``, and create the tables of ``schema`` that are missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    if foreign_keys:
        db.execute("PRAGMA foreign_keys=ON")
    db.executescript(schema)
    return db


def stored_time(epoch: float | None) -> datetime | None:
    """A time stored as epoch seconds, as an aware UTC datetime (``None`` stays ``None``)."""
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


class Transaction:
    """``with Transaction(db):`` runs ``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error)."""

    __slots__ = ("_db",)

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")
