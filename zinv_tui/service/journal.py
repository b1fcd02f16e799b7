"""The movement journal: a SQLite file that is both the outbox and the local history.

Every movement is written here *before* anything is sent, with an ``external_uuid`` minted at that
moment. Sending happens in batches: a batch (its members and the externalUuid it is sent with) is
written before the first attempt and never changes afterwards, so a re-send after a crash, a timeout
or a kill carries the same externalUuid and Zettle applies it at most once. A batch's externalUuid
is its first entry's own externalUuid when that one was never used for a batch, else a fresh one.

Entry statuses: ``PENDING`` (recorded, not acknowledged: waiting, in a batch, or in flight),
``ACKNOWLEDGED`` (Zettle answered 2xx), ``NEEDS_ATTENTION`` (Zettle refused it for a reason that
repeating won't fix; the server's words are kept in ``last_error``), ``CANCELLED`` (a refused entry
the user dismissed). Nothing is ever deleted: the journal is the append-only history.

A batch whose last attempt may have been applied without a readable answer (a lost connection,
a 5xx, a 2xx that proves nothing, a kill mid-send) is *in doubt*: before it is sent again, the
sender reads the stock and compares it with the balances read just before that attempt (the
batch's ``reference``), see :mod:`zinv_tui.service.outcome`. A batch that reading cannot settle
is *unconfirmed*: its entries need attention, with what is known in ``last_error``. While one
process sends a batch it holds the batch's lease (``sender``), so another process sharing the
journal does not send it at the same time.

The file uses WAL and ``synchronous=FULL``: a committed record survives a power cut. Two processes
may share one journal (the TUI and a CLI command): batches are formed inside ``BEGIN IMMEDIATE`` and
a batch sent twice is applied once by Zettle thanks to its externalUuid.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from zinv_tui.api.models import LocationType, carried
from zinv_tui.service.movements import Reason
from zinv_tui.service.rows import RowKey
from zinv_tui.service.state_db import Transaction, open_state_db, stored_time

SCHEMA_VERSION = 1

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    external_uuid TEXT NOT NULL UNIQUE,
    created REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'open',          -- open | acknowledged | refused | unconfirmed
    attempts INTEGER NOT NULL DEFAULT 0,
    in_doubt INTEGER NOT NULL DEFAULT 0,
    reference TEXT,
    sender TEXT,
    sender_until REAL
);
CREATE TABLE IF NOT EXISTS entries (
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
    from_type TEXT NOT NULL,
    to_type TEXT NOT NULL,
    from_location_uuid TEXT NOT NULL,
    to_location_uuid TEXT NOT NULL,
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
);
CREATE INDEX IF NOT EXISTS entries_status ON entries(status, batch_id);
CREATE INDEX IF NOT EXISTS entries_undo_of ON entries(undo_of);
INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '{SCHEMA_VERSION}');
"""


_BATCH_COLUMNS_ADDED = {
    "in_doubt": "INTEGER NOT NULL DEFAULT 0",
    "reference": "TEXT",
    "sender": "TEXT",
    "sender_until": "REAL",
}
"""Columns of ``batches`` newer than the first schema, added to older files when opened."""


def _add_batch_columns(db: sqlite3.Connection) -> None:
    """Bring an older journal's ``batches`` up to date (additive; old versions ignore them).

    A batch attempted before its file knew about doubt may have been applied: it starts in doubt.
    """
    have = {row[1] for row in db.execute("PRAGMA table_info(batches)")}
    missing = [name for name in _BATCH_COLUMNS_ADDED if name not in have]
    if not missing:
        return
    with Transaction(db):
        for name in missing:
            db.execute(f"ALTER TABLE batches ADD COLUMN {name} {_BATCH_COLUMNS_ADDED[name]}")
        if "in_doubt" in missing:
            db.execute("UPDATE batches SET in_doubt = 1 WHERE state = 'open' AND attempts > 0")


class UndoRefused(ValueError):
    """The movement can't be undone; the message says why in plain words."""


class OutboxStatus(StrEnum):
    """Where a movement stands."""

    PENDING = "PENDING"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    NEEDS_ATTENTION = "NEEDS_ATTENTION"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """A movement about to be journaled (the service builds these from planned movements)."""

    reason: Reason
    key: RowKey
    product_name: str
    variant_name: str
    sku: str
    barcode: str
    from_type: LocationType
    to_type: LocationType
    from_location_uuid: str
    to_location_uuid: str
    quantity: int
    store_change: int
    balance_before: int | None
    note: str = ""
    undo_of: int | None = None


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One journaled movement: what, why, who, when, and where it stands with Zettle.

    ``external_uuid`` is this movement's own idempotency key (minted when recorded); ``sent_as`` is
    the externalUuid of the request that carries it (its batch), once batched. ``undone_by`` is the
    id of the entry that undoes this one, if any.
    """

    id: int
    external_uuid: str
    group_uuid: str
    reason: Reason
    product_uuid: str
    variant_uuid: str
    product_name: str
    variant_name: str
    sku: str
    barcode: str
    from_type: LocationType
    to_type: LocationType
    from_location_uuid: str
    to_location_uuid: str
    quantity: int
    store_change: int
    balance_before: int | None
    note: str
    user: str
    created: datetime
    status: OutboxStatus
    attempts: int
    last_error: str | None
    acknowledged: datetime | None
    balance_after: int | None
    undo_of: int | None
    undone_by: int | None
    sent_as: str | None

    @property
    def key(self) -> RowKey:
        return (self.product_uuid, self.variant_uuid)

    @property
    def label(self) -> str:
        """``"Product / Variant"`` as it was called when recorded."""
        name = self.product_name or self.product_uuid
        return f"{name} / {self.variant_name}" if self.variant_name else name

    @property
    def can_undo(self) -> bool:
        """Acknowledged, not an undo itself, not undone already (see ``InventoryService.undo``)."""
        return (
            self.status is OutboxStatus.ACKNOWLEDGED
            and self.reason is not Reason.UNDO
            and self.undone_by is None
        )


HistoryEntry = OutboxEntry
"""The history *is* the journal: one entry per movement, newest first when listed."""


@dataclass(frozen=True, slots=True)
class Batch:
    """Entries sent together in one PUT under one externalUuid."""

    id: int
    external_uuid: str
    attempts: int
    entries: tuple[OutboxEntry, ...]


_ENTRY_COLUMNS = (
    "e.id, e.external_uuid, e.group_uuid, e.reason, e.product_uuid, e.variant_uuid, "
    "e.product_name, e.variant_name, e.sku, e.barcode, e.from_type, e.to_type, "
    "e.from_location_uuid, e.to_location_uuid, e.quantity, e.store_change, e.balance_before, "
    "e.note, e.user, e.created, "
    "e.status, e.attempts, e.last_error, e.acknowledged, e.balance_after, e.undo_of, "
    "(SELECT MIN(u.id) FROM entries u WHERE u.undo_of = e.id AND u.status != 'CANCELLED'), "
    "b.external_uuid"
)
_ENTRY_FROM = "entries e LEFT JOIN batches b ON b.id = e.batch_id"


def _entry(row: tuple) -> OutboxEntry:
    """A row as an entry; a reason, status or location a later version wrote is carried."""
    return OutboxEntry(
        id=row[0],
        external_uuid=row[1],
        group_uuid=row[2],
        reason=carried(Reason, row[3]),
        product_uuid=row[4],
        variant_uuid=row[5],
        product_name=row[6],
        variant_name=row[7],
        sku=row[8],
        barcode=row[9],
        from_type=carried(LocationType, row[10]),
        to_type=carried(LocationType, row[11]),
        from_location_uuid=row[12],
        to_location_uuid=row[13],
        quantity=row[14],
        store_change=row[15],
        balance_before=row[16],
        note=row[17],
        user=row[18],
        created=stored_time(row[19]),  # type: ignore[arg-type]
        status=carried(OutboxStatus, row[20]),
        attempts=row[21],
        last_error=row[22],
        acknowledged=stored_time(row[23]),
        balance_after=row[24],
        undo_of=row[25],
        undone_by=row[26],
        sent_as=row[27],
    )


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class OutboxJournal:
    """The SQLite journal at ``state_dir/outbox.sqlite``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db = open_state_db(self.path, _SCHEMA, foreign_keys=True)
        _add_batch_columns(self._db)
        self._on_close: list[Callable[[], object]] | None = []

    def close(self) -> None:
        """Close the file, then call what :meth:`on_close` registered (once)."""
        self._db.close()
        callbacks, self._on_close = self._on_close or [], None
        for callback in callbacks:
            callback()

    def on_close(self, callback: Callable[[], object]) -> None:
        """Call ``callback()`` when the journal closes (now, if it is closed already): other
        connections to its file (the count store) close with it."""
        if self._on_close is None:
            callback()
        else:
            self._on_close.append(callback)

    # -- writing -----------------------------------------------------------------------------

    def record(
        self, drafts: Sequence[EntryDraft], user: str, now: float | None = None
    ) -> list[OutboxEntry]:
        """Journal movements as one group, each with a fresh externalUuid; durable on return."""
        created = time.time() if now is None else now
        group = str(uuid.uuid4())
        ids: list[int] = []
        with self._transaction():
            for draft in drafts:
                if draft.undo_of is not None:
                    self.check_undoable(draft.undo_of)
                cursor = self._db.execute(
                    "INSERT INTO entries(external_uuid, group_uuid, reason, product_uuid, "
                    "variant_uuid, product_name, variant_name, sku, barcode, from_type, to_type, "
                    "from_location_uuid, to_location_uuid, quantity, store_change, balance_before, "
                    "note, user, created, undo_of) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        str(uuid.uuid4()),
                        group,
                        draft.reason.value,
                        draft.key[0],
                        draft.key[1],
                        draft.product_name,
                        draft.variant_name,
                        draft.sku,
                        draft.barcode,
                        draft.from_type.value,
                        draft.to_type.value,
                        draft.from_location_uuid,
                        draft.to_location_uuid,
                        draft.quantity,
                        draft.store_change,
                        draft.balance_before,
                        draft.note,
                        user,
                        created,
                        draft.undo_of,
                    ),
                )
                ids.append(int(cursor.lastrowid or 0))
        return self.entries_by_id(ids)

    def open_batches(self) -> list[Batch]:
        """Batches formed but not settled (e.g. left over from a crash), oldest first."""
        rows = self._db.execute(
            "SELECT id, external_uuid, attempts FROM batches WHERE state = 'open' ORDER BY id"
        ).fetchall()
        return [self._batch(*row) for row in rows]

    def next_batch(self, max_size: int) -> Batch | None:
        """The oldest open batch, else a new one of unbatched pending entries, else None."""
        with self._transaction():
            row = self._db.execute(
                "SELECT id, external_uuid, attempts FROM batches WHERE state = 'open' "
                "ORDER BY id LIMIT 1"
            ).fetchone()
            if row is not None:
                return self._batch(*row)
            members = self._db.execute(
                "SELECT id, external_uuid FROM entries WHERE status = 'PENDING' "
                "AND batch_id IS NULL ORDER BY id LIMIT ?",
                (max_size,),
            ).fetchall()
            if not members:
                return None
            batch_id, external = self._new_batch(members[0][1])
            self._db.executemany(
                "UPDATE entries SET batch_id = ? WHERE id = ?",
                [(batch_id, member[0]) for member in members],
            )
        return self._batch(batch_id, external, 0)

    def batch_is_open(self, batch_id: int) -> bool:
        """True while the batch is neither acknowledged nor refused."""
        row = self._db.execute("SELECT state FROM batches WHERE id = ?", (batch_id,)).fetchone()
        return row is not None and row[0] == "open"

    def begin_attempt(self, batch_id: int, reference: str | None = None) -> int:
        """Count a send attempt *before* it starts (durably); returns how many came before.

        The batch is in doubt from now until the attempt's outcome is known, with ``reference``
        (the balances read just before, as text) kept to settle it by reading. So after a crash
        mid-send the journal knows the batch may already be applied, and how to tell.
        """
        with self._transaction():
            row = self._db.execute(
                "SELECT attempts FROM batches WHERE id = ?", (batch_id,)
            ).fetchone()
            self._db.execute(
                "UPDATE batches SET attempts = attempts + 1, in_doubt = 1, reference = ? "
                "WHERE id = ?",
                (reference, batch_id),
            )
            self._db.execute(
                "UPDATE entries SET attempts = attempts + 1 WHERE batch_id = ?", (batch_id,)
            )
        return int(row[0]) if row else 0

    def note_failure(self, batch_id: int, error: str, *, in_doubt: bool | None = None) -> None:
        """Remember why the latest attempt failed (shown with the entries); ``in_doubt=False``
        when it surely was not applied (refused before any work, never sent)."""
        with self._transaction():
            self._db.execute(
                "UPDATE entries SET last_error = ? WHERE batch_id = ?", (error, batch_id)
            )
            if in_doubt is not None:
                self._db.execute(
                    "UPDATE batches SET in_doubt = ? WHERE id = ?", (int(in_doubt), batch_id)
                )

    def doubt(self, batch_id: int) -> tuple[bool, str | None]:
        """``(in doubt, reference)``: whether the last attempt may have been applied unseen, and
        the balances read before it (None when not recorded, e.g. by an older version)."""
        row = self._db.execute(
            "SELECT in_doubt, reference FROM batches WHERE id = ?", (batch_id,)
        ).fetchone()
        return (bool(row[0]), row[1]) if row else (False, None)

    def claim(
        self,
        batch_id: int,
        sender: str,
        lease: float,
        *,
        gone: Callable[[str], bool] = lambda sender: False,
        now: float | None = None,
    ) -> bool:
        """Take the batch for ``sender`` for ``lease`` seconds; False while another sender holds
        it (one whose lease runs and that is not ``gone``, e.g. its process ended)."""
        when = time.time() if now is None else now
        with self._transaction():
            row = self._db.execute(
                "SELECT sender, sender_until FROM batches WHERE id = ?", (batch_id,)
            ).fetchone()
            if row is None:
                return False
            holder, until = row
            if holder and holder != sender and (until or 0) > when and not gone(holder):
                return False
            self._db.execute(
                "UPDATE batches SET sender = ?, sender_until = ? WHERE id = ?",
                (sender, when + lease, batch_id),
            )
        return True

    def release(self, batch_id: int, sender: str) -> None:
        """Give the batch back (after an attempt), if ``sender`` still holds it."""
        with self._transaction():
            self._db.execute(
                "UPDATE batches SET sender = NULL, sender_until = NULL WHERE id = ? AND sender = ?",
                (batch_id, sender),
            )

    def unconfirm(self, batch_id: int, messages: dict[int, str]) -> list[OutboxEntry]:
        """Reading could not tell whether Zettle applied the batch: its entries need attention,
        each with ``messages[entry id]`` (what is known). Never sent again unless asked."""
        return self._to_attention(batch_id, "unconfirmed", messages)

    def refuse_all(self, batch_id: int, message: str) -> list[OutboxEntry]:
        """Zettle refused the batch for a reason no entry is to blame for (the key's access):
        every entry needs attention at once, without splitting the batch."""
        members = self._db.execute(
            "SELECT id FROM entries WHERE batch_id = ? AND status = 'PENDING'", (batch_id,)
        ).fetchall()
        return self._to_attention(batch_id, "refused", {row[0]: message for row in members})

    def _to_attention(
        self, batch_id: int, state: str, messages: dict[int, str]
    ) -> list[OutboxEntry]:
        with self._transaction():
            self._db.execute(
                "UPDATE batches SET state = ?, in_doubt = 0 WHERE id = ? AND state = 'open'",
                (state, batch_id),
            )
            members = [
                row[0]
                for row in self._db.execute(
                    "SELECT id FROM entries WHERE batch_id = ? AND status = 'PENDING' ORDER BY id",
                    (batch_id,),
                )
            ]
            self._db.executemany(
                "UPDATE entries SET status = 'NEEDS_ATTENTION', last_error = ? WHERE id = ?",
                [(messages.get(member, ""), member) for member in members],
            )
        return self.entries_by_id(members)

    def acknowledge(
        self, batch_id: int, balances: dict[RowKey, int], now: float | None = None
    ) -> list[OutboxEntry]:
        """Zettle answered 2xx: acknowledge the batch's entries, with the balances it reported."""
        when = time.time() if now is None else now
        with self._transaction():
            self._db.execute(
                "UPDATE batches SET state = 'acknowledged', in_doubt = 0 "
                "WHERE id = ? AND state = 'open'",
                (batch_id,),
            )
            members = self._db.execute(
                "SELECT id, product_uuid, variant_uuid FROM entries "
                "WHERE batch_id = ? AND status = 'PENDING'",
                (batch_id,),
            ).fetchall()
            self._db.executemany(
                "UPDATE entries SET status = 'ACKNOWLEDGED', acknowledged = ?, last_error = NULL, "
                "balance_after = ? WHERE id = ?",
                [(when, balances.get((member[1], member[2])), member[0]) for member in members],
            )
        return self.entries_by_id([member[0] for member in members])

    def refuse(self, batch_id: int, message: str) -> tuple[list[OutboxEntry], list[Batch]]:
        """Zettle refused the batch for good.

        A single-entry batch: its entry needs attention (returned first). A bigger batch: nothing
        was applied, so its entries are re-sent one per batch to find the culprit (new batches
        returned).
        """
        with self._transaction():
            self._db.execute(
                "UPDATE batches SET state = 'refused', in_doubt = 0 WHERE id = ?", (batch_id,)
            )
            members = self._db.execute(
                "SELECT id, external_uuid FROM entries WHERE batch_id = ? AND status = 'PENDING' "
                "ORDER BY id",
                (batch_id,),
            ).fetchall()
            if len(members) == 1:
                self._db.execute(
                    "UPDATE entries SET status = 'NEEDS_ATTENTION', last_error = ? WHERE id = ?",
                    (message, members[0][0]),
                )
                return self.entries_by_id([members[0][0]]), []
            singles: list[tuple[int, str]] = []
            for entry_id, external in members:
                single_id, single_external = self._new_batch(external)
                self._db.execute(
                    "UPDATE entries SET batch_id = ? WHERE id = ?", (single_id, entry_id)
                )
                singles.append((single_id, single_external))
        return [], [self._batch(batch_id, external, 0) for batch_id, external in singles]

    def requeue(self, entry_id: int) -> OutboxEntry:
        """Send a needs-attention entry again (in a new batch, under a fresh externalUuid)."""
        return self._leave_attention(
            entry_id, "status = 'PENDING', batch_id = NULL, last_error = NULL"
        )

    def dismiss(self, entry_id: int) -> OutboxEntry:
        """Give up on a needs-attention entry; it stays in the history as CANCELLED."""
        return self._leave_attention(entry_id, "status = 'CANCELLED'")

    def _leave_attention(self, entry_id: int, assignments: str) -> OutboxEntry:
        """Apply ``assignments`` (fixed SQL) to a needs-attention entry; the entry after."""
        with self._transaction():
            changed = self._db.execute(
                f"UPDATE entries SET {assignments} WHERE id = ? AND status = 'NEEDS_ATTENTION'",
                (entry_id,),
            ).rowcount
        if not changed:
            raise LookupError(f"movement {entry_id} is not waiting for attention")
        return self.entry(entry_id)

    # -- reading -----------------------------------------------------------------------------

    def entry(self, entry_id: int) -> OutboxEntry:
        found = self.entries_by_id([entry_id])
        if not found:
            raise LookupError(f"no movement {entry_id} in the journal")
        return found[0]

    def entries_by_id(self, ids: Iterable[int]) -> list[OutboxEntry]:
        wanted = list(ids)
        found: dict[int, OutboxEntry] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM {_ENTRY_FROM} WHERE e.id IN ({marks})", chunk
            ):
                entry = _entry(row)
                found[entry.id] = entry
        return [found[i] for i in wanted if i in found]

    def entries(
        self,
        *,
        status: OutboxStatus | Iterable[OutboxStatus] | None = None,
        reason: Reason | None = None,
        text: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        newest_first: bool = True,
    ) -> list[OutboxEntry]:
        """Entries matching every filter; ``text`` searches names, SKU, barcode, note, user."""
        where: list[str] = []
        args: list[object] = []
        if status is not None:
            statuses = [status] if isinstance(status, OutboxStatus) else list(status)
            where.append(f"e.status IN ({','.join('?' * len(statuses))})")
            args.extend(s.value for s in statuses)
        if reason is not None:
            where.append("e.reason = ?")
            args.append(Reason(reason).value)
        if text:
            fields = (
                "e.product_name",
                "e.variant_name",
                "e.sku",
                "e.barcode",
                "e.note",
                "e.user",
                "e.product_uuid",
                "e.variant_uuid",
                "e.external_uuid",
            )
            where.append("(" + " OR ".join(f"lower({f}) LIKE ? ESCAPE '\\'" for f in fields) + ")")
            args.extend([_like(text)] * len(fields))
        if since is not None:
            where.append("e.created >= ?")
            args.append(since.timestamp())
        if until is not None:
            where.append("e.created < ?")
            args.append(until.timestamp())
        sql = f"SELECT {_ENTRY_COLUMNS} FROM {_ENTRY_FROM}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY e.id " + ("DESC" if newest_first else "ASC")
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return [_entry(row) for row in self._db.execute(sql, args)]

    def pending_changes(self) -> dict[RowKey, int]:
        """Sum of STORE changes of unacknowledged entries per variant (the optimistic overlay)."""
        return {
            (product, variant): int(total)
            for product, variant, total in self._db.execute(
                "SELECT product_uuid, variant_uuid, SUM(store_change) FROM entries "
                "WHERE status = 'PENDING' GROUP BY product_uuid, variant_uuid"
            )
        }

    def unconfirmed_ids(self) -> set[int]:
        """Needs-attention entries whose fate is unknown (Zettle may have applied them): never
        part of a blanket retry, each needs the user's own decision."""
        return {
            row[0]
            for row in self._db.execute(
                "SELECT e.id FROM entries e JOIN batches b ON b.id = e.batch_id "
                "WHERE e.status = 'NEEDS_ATTENTION' AND b.state = 'unconfirmed'"
            )
        }

    def counts(self) -> tuple[int, int]:
        """``(pending, needs_attention)``."""
        row = self._db.execute(
            "SELECT SUM(status = 'PENDING'), SUM(status = 'NEEDS_ATTENTION') FROM entries"
        ).fetchone()
        return int(row[0] or 0), int(row[1] or 0)

    def meta(self, key: str) -> str | None:
        """A small value kept beside the journal (e.g. the cached locations)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- internals ---------------------------------------------------------------------------

    def check_undoable(self, entry_id: int) -> None:
        """Raise :class:`UndoRefused` saying why ``entry_id`` can't be undone now (else nothing)."""
        row = self._db.execute(
            "SELECT reason, status FROM entries WHERE id = ?", (entry_id,)
        ).fetchone()
        if row is None:
            raise UndoRefused(f"There is no movement #{entry_id} in the history")
        if row[0] == Reason.UNDO.value:
            raise UndoRefused(
                f"Movement #{entry_id} is itself an undo - record the movement again instead"
            )
        if row[1] != OutboxStatus.ACKNOWLEDGED.value:
            state = {
                "PENDING": "is still waiting to be sent",
                "NEEDS_ATTENTION": "was refused by Zettle",
                "CANCELLED": "was cancelled",
            }.get(row[1], "is not acknowledged")
            raise UndoRefused(f"Movement #{entry_id} {state}, so there is nothing to undo yet")
        undone = self._db.execute(
            "SELECT id FROM entries WHERE undo_of = ? AND status != 'CANCELLED'", (entry_id,)
        ).fetchone()
        if undone is not None:
            raise UndoRefused(f"Movement #{entry_id} was already undone by #{undone[0]}")

    def _batch(self, batch_id: int, external_uuid: str, attempts: int) -> Batch:
        rows = self._db.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM {_ENTRY_FROM} WHERE e.batch_id = ? "
            "AND e.status = 'PENDING' ORDER BY e.id",
            (batch_id,),
        ).fetchall()
        return Batch(batch_id, external_uuid, attempts, tuple(_entry(row) for row in rows))

    def _new_batch(self, preferred_uuid: str) -> tuple[int, str]:
        used = self._db.execute(
            "SELECT 1 FROM batches WHERE external_uuid = ?", (preferred_uuid,)
        ).fetchone()
        external = str(uuid.uuid4()) if used else preferred_uuid
        cursor = self._db.execute(
            "INSERT INTO batches(external_uuid, created) VALUES (?, ?)", (external, time.time())
        )
        return int(cursor.lastrowid or 0), external

    def _transaction(self) -> Transaction:
        return Transaction(self._db, self.path)
