"""The journal's entries: what was moved, why, by whom, and where each stands (the history).

Part of :class:`~zinv_tui.service.journal.OutboxJournal`: recording movements, reading and
searching them, the optimistic overlay per place, the undo rule, and the needs-attention
decisions (retry, dismiss). Sending them is :mod:`zinv_tui.service.journal_batches`.
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
from typing import Any

from zinv_tui.service.backend import PlaceKind
from zinv_tui.service.movements import Reason
from zinv_tui.service.rows import RowKey
from zinv_tui.service.state_db import Transaction, stored_time
from zinv_tui.values.open_enums import carried

clock: Callable[[], float] = time.time
"""The journal's clock (seconds since the epoch): when entries are recorded, batched, settled. The
screenshots tool pins it so that pictures do not change with the hour."""


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
    from_type: PlaceKind
    to_type: PlaceKind
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
    from_type: PlaceKind
    to_type: PlaceKind
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
    unconfirmed: bool = False
    """Needs attention because its answer was lost and reading could not tell whether Zettle
    applied it: only the user can settle it (applied, send again, or drop); never resent alone."""

    @property
    def key(self) -> RowKey:
        return (self.product_uuid, self.variant_uuid)

    def change_at(self, place_uuid: str) -> int:
        """The change this movement makes to the balance at the place ``place_uuid``."""
        change = 0
        if self.to_location_uuid == place_uuid:
            change += self.quantity
        if self.from_location_uuid == place_uuid:
            change -= self.quantity
        return change

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


ENTRY_COLUMNS = (
    "e.id, e.external_uuid, e.group_uuid, e.reason, e.product_uuid, e.variant_uuid, "
    "e.product_name, e.variant_name, e.sku, e.barcode, e.from_type, e.to_type, "
    "e.from_location_uuid, e.to_location_uuid, e.quantity, e.store_change, e.balance_before, "
    "e.note, e.user, e.created, "
    "e.status, e.attempts, e.last_error, e.acknowledged, e.balance_after, e.undo_of, "
    "(SELECT MIN(u.id) FROM entries u WHERE u.undo_of = e.id AND u.status != 'CANCELLED'), "
    "b.external_uuid, b.state"
)
ENTRY_FROM = "entries e LEFT JOIN batches b ON b.id = e.batch_id"


def entry_of(row: tuple[Any, ...]) -> OutboxEntry:
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
        from_type=carried(PlaceKind, row[10]),
        to_type=carried(PlaceKind, row[11]),
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
        unconfirmed=row[20] == "NEEDS_ATTENTION" and row[28] == "unconfirmed",
    )


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class EntryQueries:
    """Entries of the journal file (a part of :class:`~zinv_tui.service.journal.OutboxJournal`,
    which opens ``_db`` at ``path``)."""

    path: Path
    _db: sqlite3.Connection

    def _transaction(self) -> Transaction:
        return Transaction(self._db, self.path)

    # -- writing -----------------------------------------------------------------------------

    def record(
        self, drafts: Sequence[EntryDraft], user: str, now: float | None = None
    ) -> list[OutboxEntry]:
        """Journal movements as one group, each with a fresh externalUuid; durable on return."""
        created = clock() if now is None else now
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

    def requeue(self, entry_id: int) -> OutboxEntry:
        """Send a needs-attention entry again (in a new batch, under a fresh externalUuid)."""
        return self._leave_attention(
            entry_id, "status = 'PENDING', batch_id = NULL, last_error = NULL"
        )

    def dismiss(self, entry_id: int) -> OutboxEntry:
        """Give up on a needs-attention entry; it stays in the history as CANCELLED."""
        return self._leave_attention(entry_id, "status = 'CANCELLED'")

    def confirm_applied(self, entry_id: int, now: float | None = None) -> OutboxEntry:
        """The user checked Zettle and found an *unconfirmed* entry applied: it is acknowledged
        (and can be undone). Only an unconfirmed entry: a refused one was never applied."""
        if entry_id not in self.unconfirmed_ids():
            raise LookupError(
                f"movement {entry_id} is not unconfirmed: only a movement whose answer was lost "
                "can be marked as applied"
            )
        when = clock() if now is None else now
        with self._transaction():  # the entry and its batch together: never one without the other
            self._db.execute(
                "UPDATE entries SET status = 'ACKNOWLEDGED', acknowledged = ?, last_error = NULL "
                "WHERE id = ? AND status = 'NEEDS_ATTENTION'",
                (when, entry_id),
            )
            self._db.execute(
                "UPDATE batches SET state = 'acknowledged' WHERE state = 'unconfirmed' AND id = "
                "(SELECT batch_id FROM entries WHERE id = ?) AND NOT EXISTS (SELECT 1 FROM entries "
                "o WHERE o.batch_id = batches.id AND o.status = 'NEEDS_ATTENTION')",
                (entry_id,),
            )
        return self.entry(entry_id)

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
                f"SELECT {ENTRY_COLUMNS} FROM {ENTRY_FROM} WHERE e.id IN ({marks})", chunk
            ):
                entry = entry_of(row)
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
        sql = f"SELECT {ENTRY_COLUMNS} FROM {ENTRY_FROM}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY e.id " + ("DESC" if newest_first else "ASC")
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return [entry_of(row) for row in self._db.execute(sql, args)]

    def pending_changes(self, place_uuid: str) -> dict[RowKey, int]:
        """What unacknowledged entries change at the place ``place_uuid``, per variant (the
        optimistic overlay of that place's view)."""
        return {
            (product, variant): int(total)
            for product, variant, total in self._db.execute(
                "SELECT product_uuid, variant_uuid, "
                "SUM(CASE WHEN to_location_uuid = ?1 THEN quantity ELSE 0 END) "
                "- SUM(CASE WHEN from_location_uuid = ?1 THEN quantity ELSE 0 END) AS total "
                "FROM entries WHERE status = 'PENDING' "
                "AND (to_location_uuid = ?1 OR from_location_uuid = ?1) "
                "GROUP BY product_uuid, variant_uuid HAVING total != 0",
                (place_uuid,),
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
        """A small value kept beside the journal (e.g. the places last read)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- rules ---------------------------------------------------------------------------------

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
