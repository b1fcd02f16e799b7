"""The schema of ``outbox.sqlite`` (journal, history, batches, counts) and its migrations.

The file's version is ``PRAGMA user_version`` (mirrored in ``meta.schema_version`` for people
reading the file). A new file is made at :data:`SCHEMA_VERSION` at once; an older one is brought
up to date step by step when it is opened:

- each step of :data:`MIGRATIONS` runs in its own ``BEGIN IMMEDIATE`` transaction and sets the
  version it reaches in that same transaction, so a crash (or a second process) leaves the file
  at a whole version, and a process that finds the work done skips it;
- before the first step, the file is copied next to itself as
  ``outbox.sqlite.before-v<N>-<time>`` (SQLite's backup: a consistent copy with the WAL's
  content), so nothing an upgrade does is beyond undoing by hand;
- a file written by a *newer* version (a version above :data:`SCHEMA_VERSION`) is refused before
  anything is written to it, with a :class:`SchemaTooNew` that says so in plain words.

Versions:

1. The release before migrations (``meta.schema_version = '1'``, ``user_version`` 0): entries,
   batches (perhaps without the doubt and lease columns: older releases added them on opening),
   count sessions.
2. Batches carry doubt and a lease (``in_doubt``, ``reference``, ``sender``, ``sender_until``);
   a batch attempted before its file knew about doubt starts in doubt.
3. Places: a batch's reference balances are kept by place UUID (they were kept by location
   type); a count remembers the STORE place it counts (``count_sessions.place_uuid``, NULL for
   counts begun before: the default STORE).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from zinv_tui.service.state_db import FILE_MODE, StateFileError, Transaction, open_state_db

SCHEMA_VERSION = 3
"""The version this code writes and reads."""

_JOURNAL_TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    external_uuid TEXT NOT NULL UNIQUE,
    created REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'open',          -- open | acknowledged | refused | unconfirmed
    attempts INTEGER NOT NULL DEFAULT 0,
    in_doubt INTEGER NOT NULL DEFAULT 0,
    reference TEXT,                              -- balances before the last attempt, by place
    sender TEXT,
    sender_until REAL
)""",
    """CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    external_uuid TEXT NOT NULL UNIQUE,
    group_uuid TEXT NOT NULL,
    reason TEXT NOT NULL,
    product_uuid TEXT NOT NULL,
    variant_uuid TEXT NOT NULL,
    product_name TEXT NOT NULL DEFAULT '',
    variant_name TEXT NOT NULL DEFAULT '',
    sku TEXT NOT NULL DEFAULT '',
    barcode TEXT NOT NULL DEFAULT '',
    from_type TEXT NOT NULL,                     -- the kind of the place moved from
    to_type TEXT NOT NULL,                       -- the kind of the place moved to
    from_location_uuid TEXT NOT NULL,            -- the place moved from
    to_location_uuid TEXT NOT NULL,              -- the place moved to
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    store_change INTEGER NOT NULL,
    balance_before INTEGER,
    note TEXT NOT NULL DEFAULT '',
    user TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'PENDING',
    batch_id INTEGER REFERENCES batches(id),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    acknowledged REAL,
    balance_after INTEGER,
    undo_of INTEGER REFERENCES entries(id)
)""",
    "CREATE INDEX IF NOT EXISTS entries_status ON entries(status, batch_id)",
    "CREATE INDEX IF NOT EXISTS entries_undo_of ON entries(undo_of)",
)
_COUNT_TABLES = (
    """CREATE TABLE IF NOT EXISTS count_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    scope TEXT NOT NULL,                 -- adhoc | filtered | full
    scope_filter TEXT NOT NULL DEFAULT '',
    blind INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'open', -- open | committing | committed | abandoned
    created REAL NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    closed REAL,
    closed_by TEXT NOT NULL DEFAULT '',
    scope_lines INTEGER NOT NULL DEFAULT 0,
    place_uuid TEXT                      -- the STORE place counted (NULL: the default STORE)
)""",
    """CREATE TABLE IF NOT EXISTS count_lines (
    session_id INTEGER NOT NULL REFERENCES count_sessions(id),
    product_uuid TEXT NOT NULL,
    variant_uuid TEXT NOT NULL,
    product_name TEXT NOT NULL DEFAULT '',
    variant_name TEXT NOT NULL DEFAULT '',
    sku TEXT NOT NULL DEFAULT '',
    barcode TEXT NOT NULL DEFAULT '',
    in_scope INTEGER NOT NULL DEFAULT 0,  -- listed when the count started (full / filtered)
    counted INTEGER,                      -- NULL: not counted
    expected INTEGER,                     -- live balance when first counted
    first_counted REAL,
    last_counted REAL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (session_id, product_uuid, variant_uuid)
)""",
    """CREATE TABLE IF NOT EXISTS count_scans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES count_sessions(id),
    product_uuid TEXT NOT NULL,
    variant_uuid TEXT NOT NULL,
    kind TEXT NOT NULL,                   -- add | set
    amount INTEGER NOT NULL,
    code TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    user TEXT NOT NULL DEFAULT '',
    removed INTEGER NOT NULL DEFAULT 0
)""",
    "CREATE INDEX IF NOT EXISTS count_lines_counted ON count_lines(session_id, counted)",
    "CREATE INDEX IF NOT EXISTS count_scans_line "
    "ON count_scans(session_id, product_uuid, variant_uuid)",
    """CREATE TABLE IF NOT EXISTS count_unknown_codes (
    session_id INTEGER NOT NULL REFERENCES count_sessions(id),
    code TEXT NOT NULL,
    times INTEGER NOT NULL DEFAULT 1,
    last_seen REAL NOT NULL,
    PRIMARY KEY (session_id, code)
)""",
)

SCHEMA = (
    ";\n".join(
        [
            *_JOURNAL_TABLES,
            *_COUNT_TABLES,
            "INSERT OR REPLACE INTO meta(key, value) "
            f"VALUES ('schema_version', '{SCHEMA_VERSION}')",
            f"PRAGMA user_version = {SCHEMA_VERSION}",
        ]
    )
    + ";\n"
)
"""The whole file at :data:`SCHEMA_VERSION` (what a new file is made with)."""


class SchemaTooNew(StateFileError):
    """The file was written by a newer version of zinv-tui; nothing was changed."""

    def __init__(self, path: Path, found: int) -> None:
        super().__init__(
            f"{path} was written by a newer version of zinv-tui (its journal is version {found}; "
            f"this version reads up to {SCHEMA_VERSION}), so it was left as it is. Upgrade "
            "zinv-tui to open it (movements waiting in it are kept)",
            path,
        )
        self.found = found


# -- the steps ---------------------------------------------------------------------------------


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def _tables(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


_BATCH_COLUMNS_ADDED = {
    "in_doubt": "INTEGER NOT NULL DEFAULT 0",
    "reference": "TEXT",
    "sender": "TEXT",
    "sender_until": "REAL",
}


def _to_2_batch_doubt_and_lease(db: sqlite3.Connection) -> None:
    """Batches get doubt and a lease; one attempted before its file knew doubt starts in doubt."""
    missing = [name for name in _BATCH_COLUMNS_ADDED if name not in _columns(db, "batches")]
    for name in missing:
        db.execute(f"ALTER TABLE batches ADD COLUMN {name} {_BATCH_COLUMNS_ADDED[name]}")
    if "in_doubt" in missing:
        db.execute("UPDATE batches SET in_doubt = 1 WHERE state = 'open' AND attempts > 0")


def _to_3_places(db: sqlite3.Connection) -> None:
    """References by place UUID; a count remembers its STORE place (and the count tables exist:
    files from before counts had none); the cached locations become the cached places."""
    for statement in _COUNT_TABLES:
        db.execute(statement)
    if "place_uuid" not in _columns(db, "count_sessions"):
        db.execute("ALTER TABLE count_sessions ADD COLUMN place_uuid TEXT")
    for batch_id, reference in db.execute(
        "SELECT id, reference FROM batches WHERE reference IS NOT NULL"
    ).fetchall():
        places = {
            kind: uuid
            for rows in (
                db.execute(
                    "SELECT from_type, from_location_uuid FROM entries WHERE batch_id = ?",
                    (batch_id,),
                ),
                db.execute(
                    "SELECT to_type, to_location_uuid FROM entries WHERE batch_id = ?",
                    (batch_id,),
                ),
            )
            for kind, uuid in rows
        }
        db.execute(
            "UPDATE batches SET reference = ? WHERE id = ?",
            (_by_place(reference, places), batch_id),
        )
    row = db.execute("SELECT value FROM meta WHERE key = 'locations'").fetchone()
    cached = _places_of(row[0]) if row else None
    if cached is not None:
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('places', ?)", (cached,))
    db.execute("DELETE FROM meta WHERE key = 'locations'")


def _places_of(locations: str) -> str | None:
    """The old cache of locations (``{"STORE": {"uuid": ..., "name": ..., "default": ...}}``) as
    the cache of places (``[{"uuid", "kind", "name", "default"}]``); None when unreadable (the
    next start reads them from Zettle)."""
    try:
        data = json.loads(locations)
        places = [
            {
                "uuid": str(value["uuid"]).lower(),
                "kind": str(kind),
                "name": str(value.get("name") or ""),
                "default": bool(value.get("default")),
            }
            for kind, value in data.items()
        ]
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
        return None
    return json.dumps(places)


def _by_place(reference: str, places: dict[str, str]) -> str | None:
    """A reference kept by location type (``{"STORE": [[p, v, b], ...]}``) kept by place UUID;
    None (no reference: reading then can't tell, and says so) when it can't be read."""
    try:
        data = json.loads(reference)
        if not isinstance(data, dict):
            return None
        moved = {places.get(kind, kind): lines for kind, lines in data.items()}
    except (ValueError, RecursionError):
        return None
    return json.dumps(moved, separators=(",", ":"))


MIGRATIONS: tuple[tuple[int, str, Callable[[sqlite3.Connection], None]], ...] = (
    (2, "batches carry doubt and a lease", _to_2_batch_doubt_and_lease),
    (3, "places by UUID in references and counts", _to_3_places),
)
"""``(version reached, what it does, the step)``, in order."""


# -- running them ------------------------------------------------------------------------------


def file_version(db: sqlite3.Connection) -> int:
    """The version of the open file: ``user_version``, else 1 for a file of the release before
    migrations (it has a ``meta`` table), else 0 (empty)."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version:
        return version
    return 1 if "meta" in _tables(db) else 0


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the open file up to :data:`SCHEMA_VERSION` (see the module doc); raise
    :class:`SchemaTooNew` (before writing anything) for a newer file. An empty file is left to
    the caller, which makes the tables of :data:`SCHEMA`."""
    version = file_version(db)
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(path, version)
    if version == SCHEMA_VERSION or version == 0:
        return  # current, or empty (the caller makes the tables)
    backup(db, path, version)
    for target, _what, step in MIGRATIONS:
        if target <= version:
            continue
        with Transaction(db, path):
            if file_version(db) >= target:  # another process did it meanwhile
                continue
            step(db)
            db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                (str(target),),
            )
            db.execute(f"PRAGMA user_version = {target}")


def backup(db: sqlite3.Connection, path: Path, version: int) -> Path:
    """Copy the open file to ``<name>.before-v<version+1>-<time>`` beside it (mode 0600)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    copy = path.with_name(f"{path.name}.before-v{version + 1}-{stamp}")
    suffix = 1
    while copy.exists():
        suffix += 1
        copy = path.with_name(f"{path.name}.before-v{version + 1}-{stamp}-{suffix}")
    try:
        target = sqlite3.connect(copy)
        try:
            db.backup(target)
        finally:
            target.close()
        copy.chmod(FILE_MODE)
    except (sqlite3.Error, OSError) as error:
        with contextlib.suppress(OSError):
            copy.unlink()
        raise StateFileError(
            f"cannot upgrade {path}: its copy before the upgrade could not be written ({error}); "
            "nothing was changed",
            path,
        ) from None
    return copy


def open_outbox_db(path: Path, *, foreign_keys: bool = False) -> sqlite3.Connection:
    """Open ``outbox.sqlite`` at the current version (made, or migrated, as needed); see
    :func:`~zinv_tui.service.state_db.open_state_db` for the errors it raises, and
    :class:`SchemaTooNew`."""
    return open_state_db(path, SCHEMA, foreign_keys=foreign_keys, migrate=migrate)
