"""The local snapshot: a profile's last known stock, so the next launch paints at once.

One SQLite file per profile (``snapshot.sqlite`` in the profile's cache dir) holds what the view
knew last: every row's Zettle balance and low-stock setting, the levels of variants without a row,
the tracked products, the places, and the change feed's cursor (opaque, whichever backend gave
it). Never a pending movement (those live in the journal and are laid on top, see
:mod:`zinv_tui.service.outbox`), never a key or token.

- **Whose**: the file names its owner (:class:`SnapshotOwner`: profile, organisation, API
  generation). A snapshot of another owner is never read; the first full load replaces it.
- **Cheap**: rows are kept in :data:`BUCKETS` blobs (msgpack, a variant's bucket by a hash of its
  UUID), names included, so a launch reads a few hundred blobs and paints without the catalogue
  (46,000 rows in about 0.05 s). Each bucket keeps how many rows it holds and how many are out
  and low, and a *head* blob keeps the first :data:`HEAD_ROWS` rows by product (the balances'
  first screenful), kept a prefix of that order through diffs: a launch paints from the head and
  the sums (:meth:`LocalSnapshot.load_preview`, about 2 ms) and reads every row once that is
  drawn. After a full load the whole stock is written once; afterwards a diff rewrites only the
  buckets of the rows it changed, and the cursor moves in the same transaction as the rows it
  follows.
- **Safe**: every write is one SQLite transaction (WAL), so a crash or a ``kill -9`` mid-write
  leaves the last committed snapshot; rows are always at least as new as the stored cursor, and
  replaying the feed from there sets absolute balances (harmless twice).
- **Off the loop**: writes go through a queue to one writer thread; the service never waits on
  the disk (:meth:`LocalSnapshot.flush` waits, for tests and for stopping).
- **Versioned**: ``PRAGMA user_version``. A missing, unreadable, damaged or other-version file is
  ignored with a log line (the app does a full load) and rewritten from scratch; never a crash.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import logging
import queue
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import starmap
from pathlib import Path
from typing import Literal, TypeVar

import msgspec

from zinv_tui.service.backend import Cursor, Place, PlaceKind
from zinv_tui.service.row_text import joined_text
from zinv_tui.service.rows import RowKey, StockRow
from zinv_tui.service.stock_rules import StockCounts
from zinv_tui.values.open_enums import carried

log = logging.getLogger(__name__)

SNAPSHOT_FILE = "snapshot.sqlite"
SNAPSHOT_VERSION = 4
"""Bumped whenever the file's layout or meaning changes; other versions are ignored."""

BUCKETS = 256
"""Row blobs: a diff rewrites the buckets of its rows (46,000 rows: about 180 per bucket)."""

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE buckets (
    id INTEGER PRIMARY KEY, data BLOB NOT NULL,
    size INTEGER NOT NULL, out INTEGER NOT NULL, low INTEGER NOT NULL
);
CREATE TABLE blobs (name TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;
"""

SavedRow = tuple[
    str, str, str, str, str, str, int, Literal[0], int | None, bool, Literal[True], bool
]
"""A stored row: :class:`StockRow`'s fields in its order (so a launch makes the rows in C), the
pending overlay never in it (always 0, the row tracked): product and variant UUID, product and
variant name, SKU, barcode, balance, 0, low-stock level and alert, True, known (in the
catalogue)."""

_encode = msgspec.msgpack.Encoder().encode
_decode_bucket = msgspec.msgpack.Decoder(list[SavedRow]).decode
_decode_head = msgspec.msgpack.Decoder(tuple[bool, list[SavedRow]]).decode
_decode_tracked = msgspec.msgpack.Decoder(list[str]).decode
_decode_levels = msgspec.msgpack.Decoder(list[tuple[str, str, int | None, bool]]).decode


def bucket_of(variant_uuid: str) -> int:
    """The bucket a variant's row is kept in."""
    return zlib.crc32(variant_uuid.encode()) % BUCKETS


def saved_row(row: StockRow) -> SavedRow:
    return (
        row.product_uuid,
        row.variant_uuid,
        row.product_name,
        row.variant_name,
        row.sku,
        row.barcode,
        row.balance,
        0,
        row.low_stock_level,
        row.low_stock_alert,
        True,
        row.known,
    )


def bucket_counts(rows: Iterable[SavedRow]) -> tuple[int, int]:
    """How many of a bucket's rows are out and how many low, as a launch restores them
    (Zettle's balance, tracked): kept beside the bucket, so a launch has the counts without
    judging every row before the first paint."""
    counts = StockCounts.of(starmap(StockRow, rows))
    return counts.out, counts.low


def _bucket(number: int, rows: list[SavedRow]) -> tuple[int, bytes, int, int, int]:
    """A ``buckets`` line: the rows, how many, and their counts."""
    return (number, _encode(rows), len(rows), *bucket_counts(rows))


HEAD_ROWS = 120
"""Rows kept in product order for a launch's first paint (the tallest terminal worth drawing)."""
HEAD_NEEDED = 60
"""Fewest head rows a first paint can be made of (fewer: the snapshot is read whole first)."""


def product_order(saved: SavedRow) -> tuple[str, tuple[str, str]]:
    """Where a row stands in the balances' order by product: its search text, then its key
    (:func:`~zinv_tui.service.row_text.search_text`; the table orders by the same)."""
    return (joined_text(saved[2], saved[3], saved[4], saved[5]), (saved[0], saved[1]))


def _head_after(
    head: list[SavedRow], whole: bool, upserts: Sequence[SavedRow], removed: Iterable[str]
) -> tuple[list[SavedRow], bool]:
    """The head (the first rows in product order; ``whole``: every row) after a diff. A row
    enters only before the head's last row (unless the head is whole), so the head stays a
    prefix of the whole order; rows that leave it make it shorter, never wrong."""
    latest = {saved[1]: saved for saved in upserts}  # a variant twice: its last version
    gone = set(removed) | latest.keys()
    kept = [saved for saved in head if saved[1] not in gone]
    edge = product_order(head[-1]) if head and not whole else None
    kept += [saved for saved in latest.values() if edge is None or product_order(saved) < edge]
    kept.sort(key=product_order)
    if len(kept) > HEAD_ROWS:
        return kept[:HEAD_ROWS], False
    return kept, whole


LowStockSetting = tuple[int | None, bool]


@dataclass(frozen=True, slots=True)
class SnapshotOwner:
    """Whose stock a snapshot is: one profile, one organisation, one API generation."""

    profile: str
    organization: str
    api: str

    def as_text(self) -> str:
        return json.dumps([self.profile, self.organization.lower(), self.api])


@dataclass(slots=True)
class SavedStock:
    """A snapshot as read back (see :meth:`LocalSnapshot.load`)."""

    saved_at: datetime
    """When it was last written (UTC)."""
    full_at: float
    """When the last full read it follows was made (seconds since the epoch)."""
    store: str
    """The STORE place its rows are of."""
    places: list[Place]
    cursor: Cursor | None
    rows: list[StockRow]
    """Every row, named, with Zettle's balance (pending 0)."""
    counts: StockCounts
    """How many of ``rows`` are out and how many low."""
    tracked: set[str]
    levels: dict[RowKey, LowStockSetting] = field(default_factory=dict)
    """Low-stock settings of variants without a row."""


@dataclass(frozen=True, slots=True)
class SnapshotPreview:
    """A snapshot's first screenful (see :meth:`LocalSnapshot.load_preview`)."""

    saved_at: datetime
    store: str
    places: list[Place]
    total: int
    """How many rows the snapshot holds."""
    counts: StockCounts
    """How many of them are out and how many low."""
    head: list[StockRow]
    """The first rows in product order (:func:`product_order`), pending 0."""


_Read = TypeVar("_Read")


@dataclass(frozen=True, slots=True)
class _Full:
    rows: list[StockRow]
    levels: dict[RowKey, LowStockSetting]
    tracked: frozenset[str]
    store: str
    places: list[Place]
    cursor: Cursor | None
    full_at: float


@dataclass(frozen=True, slots=True)
class _Diff:
    upserts: list[StockRow]
    removed: list[str]
    """Variant UUIDs whose rows left."""


@dataclass(frozen=True, slots=True)
class _Position:
    cursor: Cursor | None
    tracked: frozenset[str] | None
    full_at: float | None


_Op = _Full | _Diff | _Position | threading.Event | None


def _cursor_text(cursor: Cursor | None) -> str:
    return json.dumps(cursor)


def _cursor_of(text: str) -> Cursor | None:
    value = json.loads(text)
    if value is None or (isinstance(value, (int, str)) and not isinstance(value, bool)):
        return value
    raise ValueError("not a cursor")


def _places_text(places: Sequence[Place]) -> str:
    return json.dumps(
        [
            {"uuid": p.uuid, "kind": p.kind.value, "name": p.name, "default": p.default}
            for p in places
        ]
    )


def _places_of(text: str) -> list[Place]:
    return [
        Place(
            uuid=str(item["uuid"]),
            kind=carried(PlaceKind, item["kind"]),
            name=str(item.get("name") or ""),
            default=bool(item.get("default")),
        )
        for item in json.loads(text)
    ]


class LocalSnapshot:
    """The snapshot file of one owner: :meth:`load` at start, writes queued to a thread."""

    def __init__(self, path: Path | str, owner: SnapshotOwner) -> None:
        self.path = Path(path)
        self.owner = owner
        self._queue: queue.SimpleQueue[_Op] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._db: sqlite3.Connection | None = None
        self._ours = False
        """The open file is this owner's and holds a full snapshot (diffs may go in)."""
        self._closed = False
        self._broken = False
        self.writes = 0
        """Transactions committed (for tests and benchmarks)."""

    # -- reading ------------------------------------------------------------------------------

    def load(self) -> SavedStock | None:
        """The snapshot, or None (with a log line) when there is none usable: missing,
        unreadable, damaged, of another version or of another owner."""
        return self._reading(self._read)

    def load_preview(self) -> SnapshotPreview | None:
        """What a first paint needs, without reading every row: the head rows, the counts, the
        places. None (with a log line when the snapshot is unusable) when there is no head
        worth painting: then :meth:`load` it whole."""
        return self._reading(self._read_preview)

    def rows_of(self, variants: Collection[str]) -> dict[str, StockRow]:
        """The saved rows of ``variants`` (pending 0), by variant UUID: only their buckets are
        read (empty when the snapshot is unusable)."""
        return self._reading(lambda db: self._read_rows_of(db, variants)) or {}

    def _reading(self, read: Callable[[sqlite3.Connection], _Read]) -> _Read | None:
        if not self.path.exists():
            log.info("no local snapshot at %s: loading everything", self.path)
            return None
        try:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        except sqlite3.Error as error:
            log.warning("the local snapshot can't be opened (%s): loading everything", error)
            return None
        try:
            return read(db)
        except (
            sqlite3.Error,
            msgspec.DecodeError,
            ValueError,
            TypeError,
            KeyError,
            AttributeError,
        ) as error:
            log.warning("the local snapshot is unreadable (%s): loading everything", error)
            return None
        finally:
            db.close()

    def _meta(self, db: sqlite3.Connection) -> dict[str, str] | None:
        """The file's meta when it is a complete snapshot of this version and owner."""
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version != SNAPSHOT_VERSION:
            log.warning(
                "the local snapshot is of version %s, not %s: loading everything",
                version,
                SNAPSHOT_VERSION,
            )
            return None
        meta = dict(db.execute("SELECT key, value FROM meta"))
        if meta.get("owner") != self.owner.as_text():
            log.warning("the local snapshot belongs to another shop or API: loading everything")
            return None
        if meta.get("complete") != "1":
            log.info("the local snapshot was never completed: loading everything")
            return None
        return meta

    def _read_preview(self, db: sqlite3.Connection) -> SnapshotPreview | None:
        meta = self._meta(db)
        found = db.execute("SELECT data FROM blobs WHERE name = 'head'").fetchone()
        if meta is None or found is None:
            return None
        total, out, low = map(
            int, db.execute("SELECT total(size), total(out), total(low) FROM buckets").fetchone()
        )
        whole, head = _decode_head(found[0])
        if len(head) < min(total, HEAD_NEEDED) or (whole and len(head) != total):
            return None  # too few rows known in order: read it whole
        if min(out, low) < 0 or out + low > total:
            raise ValueError("the counts do not fit the rows")
        return SnapshotPreview(
            saved_at=datetime.fromtimestamp(float(meta["saved_at"]), UTC),
            store=str(meta["store"]),
            places=_places_of(meta["places"]),
            total=total,
            counts=StockCounts(out, low),
            head=list(starmap(StockRow, head)),
        )

    def _read_rows_of(
        self, db: sqlite3.Connection, variants: Collection[str]
    ) -> dict[str, StockRow] | None:
        if self._meta(db) is None:
            return None
        wanted = set(variants)
        rows: dict[str, StockRow] = {}
        for number in sorted({bucket_of(variant) for variant in wanted}):
            bucket = db.execute("SELECT data FROM buckets WHERE id = ?", (number,)).fetchone()
            if bucket is not None:
                rows.update(
                    (saved[1], StockRow(*saved))
                    for saved in _decode_bucket(bucket[0])
                    if saved[1] in wanted
                )
        return rows

    def _read(self, db: sqlite3.Connection) -> SavedStock | None:
        meta = self._meta(db)
        if meta is None:
            return None
        rows: list[StockRow] = []
        out = low = 0
        for data, size, bucket_out, bucket_low in db.execute(
            "SELECT data, size, out, low FROM buckets"
        ):
            saved = _decode_bucket(data)
            if (
                size != len(saved)
                or min(bucket_out, bucket_low) < 0
                or bucket_out + bucket_low > size
            ):
                raise ValueError("a bucket's counts do not fit its rows")
            rows += starmap(StockRow, saved)  # pending 0: the view lays the overlay on
            out += bucket_out
            low += bucket_low
        blobs = dict(db.execute("SELECT name, data FROM blobs"))
        levels: dict[RowKey, LowStockSetting] = {
            (product, variant): (level, alert)
            for product, variant, level, alert in _decode_levels(blobs["levels"])
        }
        tracked = set(_decode_tracked(blobs["tracked"]))
        return SavedStock(
            saved_at=datetime.fromtimestamp(float(meta["saved_at"]), UTC),
            full_at=float(meta["full_at"]),
            store=str(meta["store"]),
            places=_places_of(meta["places"]),
            cursor=_cursor_of(meta["cursor"]),
            rows=rows,
            counts=StockCounts(out, low),
            tracked=tracked,
            levels=levels,
        )

    # -- writing (queued) ---------------------------------------------------------------------

    def save_full(
        self,
        rows: Iterable[StockRow],
        levels: dict[RowKey, LowStockSetting],
        tracked: Iterable[str],
        store: Place,
        places: Sequence[Place],
        cursor: Cursor | None,
        full_at: float | None = None,
    ) -> None:
        """Replace the whole snapshot (after a full read)."""
        self._put(
            _Full(
                list(rows),
                dict(levels),
                frozenset(tracked),
                store.uuid,
                list(places),
                cursor,
                time.time() if full_at is None else full_at,
            )
        )

    def save_diff(self, upserts: Sequence[StockRow], removed: Sequence[str]) -> None:
        """Rows that changed (their balance or low-stock setting) and rows that left."""
        if upserts or removed:
            self._put(_Diff(list(upserts), list(removed)))

    def save_position(self, cursor: Cursor | None, tracked: Iterable[str] | None = None) -> None:
        """Where the feed goes on from (after the rows it follows), and the tracked products
        when they changed."""
        self._put(_Position(cursor, None if tracked is None else frozenset(tracked), None))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued write is on disk; False on timeout."""
        if self._thread is None:
            return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the writer. Harmless to repeat."""
        if self._closed:
            return
        self._closed = True
        thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _put(self, op: _Op) -> None:
        if self._closed:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._writer, name="zinv-snapshot", daemon=True)
            self._thread.start()
        self._queue.put(op)

    # -- the writer thread --------------------------------------------------------------------

    def _writer(self) -> None:
        stop = False
        while not stop:
            ops = [self._queue.get()]
            with contextlib.suppress(queue.Empty):
                while True:
                    ops.append(self._queue.get_nowait())
            events = [op for op in ops if isinstance(op, threading.Event)]
            work = [op for op in ops if isinstance(op, (_Full, _Diff, _Position))]
            stop = any(op is None for op in ops)
            if work:
                try:
                    self._write(work)
                except (sqlite3.Error, OSError) as error:
                    log.warning("could not write the local snapshot: %s", error)
                    self._drop_connection()
                    self._broken = True  # the next full write starts a new file
                except Exception:
                    log.exception("the local snapshot writer failed")
                    self._drop_connection()
            for event in events:
                event.set()
        self._drop_connection()

    def _drop_connection(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        self._ours = False

    def _write(self, ops: list[_Full | _Diff | _Position]) -> None:
        last_full = max((i for i, op in enumerate(ops) if isinstance(op, _Full)), default=-1)
        if last_full >= 0:
            ops = ops[last_full:]  # an earlier write is replaced by the later full one anyway
        db = self._fresh_db() if last_full >= 0 else self._open_ours()
        if db is None:
            return  # not ours (yet): only a full snapshot starts it
        db.execute("BEGIN IMMEDIATE")
        try:
            for op in ops:
                if isinstance(op, _Full):
                    self._write_full(db, op)
                elif isinstance(op, _Diff):
                    self._write_diff(db, op)
                else:
                    self._write_position(db, op)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('saved_at', ?)", (repr(time.time()),))
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        self._ours = True
        self.writes += 1

    def _open_ours(self) -> sqlite3.Connection | None:
        """The file when it is this owner's complete snapshot (diffs may go in), else None."""
        if self._broken:
            return None
        if self._db is None:
            db = self._connect()
            if db is None:
                return None
            complete = db.execute("SELECT value FROM meta WHERE key = 'complete'").fetchone()
            self._ours = complete is not None and complete[0] == "1"
        return self._db if self._ours else None

    def _fresh_db(self) -> sqlite3.Connection:
        """A connection to a file of this version and owner (an old or foreign one replaced)."""
        db = self._db
        if db is not None and self._ours and not self._broken:
            return db
        self._drop_connection()
        db = None if self._broken else self._connect()
        if db is not None:
            return db
        self._drop_connection()
        self._broken = False
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{self.path}{suffix}").unlink()
        created = self._connect(create=True)
        assert created is not None
        return created

    def _connect(self, create: bool = False) -> sqlite3.Connection | None:
        """Open the file; None when it is not a usable file of this version and owner."""
        if not create and not self.path.exists():
            return None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if create:
                db.executescript(
                    "BEGIN;" + _SCHEMA + f"PRAGMA user_version={SNAPSHOT_VERSION}; COMMIT;"
                )
                db.execute("INSERT INTO meta VALUES ('owner', ?)", (self.owner.as_text(),))
                self.path.chmod(0o600)
            else:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                owner = db.execute("SELECT value FROM meta WHERE key = 'owner'").fetchone()
                if version != SNAPSHOT_VERSION or owner is None or owner[0] != self.owner.as_text():
                    db.close()
                    return None
        except sqlite3.Error:
            db.close()
            if create:
                raise
            return None
        self._db = db
        return db

    def _write_full(self, db: sqlite3.Connection, op: _Full) -> None:
        buckets: list[list[SavedRow]] = [[] for _ in range(BUCKETS)]
        every = list(map(saved_row, op.rows))
        for saved in every:
            buckets[bucket_of(saved[1])].append(saved)
        head = heapq.nsmallest(HEAD_ROWS, every, key=product_order)
        db.execute("DELETE FROM buckets")
        db.executemany(
            "INSERT INTO buckets VALUES (?, ?, ?, ?, ?)",
            (_bucket(number, rows) for number, rows in enumerate(buckets) if rows),
        )
        levels = [(p, v, level, alert) for (p, v), (level, alert) in op.levels.items()]
        db.executemany(
            "INSERT OR REPLACE INTO blobs VALUES (?, ?)",
            [
                ("levels", _encode(levels)),
                ("tracked", _encode(sorted(op.tracked))),
                ("head", _encode((len(every) <= HEAD_ROWS, head))),
            ],
        )
        db.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [
                ("store", op.store),
                ("places", _places_text(op.places)),
                ("cursor", _cursor_text(op.cursor)),
                ("full_at", repr(op.full_at)),
                ("complete", "1"),
            ],
        )

    def _write_diff(self, db: sqlite3.Connection, op: _Diff) -> None:
        """Rewrite the buckets the diff touches (read, change, write back)."""
        changed = list(map(saved_row, op.upserts))
        touched: dict[int, tuple[dict[str, SavedRow], list[str]]] = {}
        for saved in changed:
            touched.setdefault(bucket_of(saved[1]), ({}, []))[0][saved[1]] = saved
        for variant_uuid in op.removed:
            touched.setdefault(bucket_of(variant_uuid), ({}, []))[1].append(variant_uuid)
        found = db.execute("SELECT data FROM blobs WHERE name = 'head'").fetchone()
        if found is not None:
            whole, head = _decode_head(found[0])
            head, whole = _head_after(head, whole, changed, op.removed)
            db.execute("INSERT OR REPLACE INTO blobs VALUES ('head', ?)", (_encode((whole, head)),))
        for number, (upserts, removed) in touched.items():
            found = db.execute("SELECT data FROM buckets WHERE id = ?", (number,)).fetchone()
            rows = {saved[1]: saved for saved in _decode_bucket(found[0])} if found else {}
            for variant_uuid in removed:
                rows.pop(variant_uuid, None)
            rows.update(upserts)
            if rows:
                db.execute(
                    "INSERT OR REPLACE INTO buckets VALUES (?, ?, ?, ?, ?)",
                    _bucket(number, list(rows.values())),
                )
            else:
                db.execute("DELETE FROM buckets WHERE id = ?", (number,))

    def _write_position(self, db: sqlite3.Connection, op: _Position) -> None:
        db.execute("INSERT OR REPLACE INTO meta VALUES ('cursor', ?)", (_cursor_text(op.cursor),))
        if op.tracked is not None:
            db.execute(
                "INSERT OR REPLACE INTO blobs VALUES ('tracked', ?)", (_encode(sorted(op.tracked)),)
            )
