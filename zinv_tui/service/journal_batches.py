"""The journal's batches: the state machine of sending (part of
:class:`~zinv_tui.service.journal.OutboxJournal`).

A batch is formed inside ``BEGIN IMMEDIATE`` from the oldest pending entries, written before its
first attempt and never changed afterwards (its key is sent on every attempt). States: ``open``
(being sent; *in doubt* while an attempt's outcome is unknown, with the balances read before it as
its ``reference``), then ``acknowledged``, ``refused`` (its entries need attention, or went on
alone in single-entry batches to find the culprit) or ``unconfirmed`` (reading could not tell:
its entries need attention). While one process attempts a batch it holds the batch's lease.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass

from zinv_tui.service import journal_entries
from zinv_tui.service.journal_entries import (
    ENTRY_COLUMNS,
    ENTRY_FROM,
    EntryQueries,
    OutboxEntry,
    entry_of,
)
from zinv_tui.service.rows import RowKey


@dataclass(frozen=True, slots=True)
class Batch:
    """Entries sent together, all or none, under the batch's key (``external_uuid``)."""

    id: int
    external_uuid: str
    attempts: int
    entries: tuple[OutboxEntry, ...]


class BatchStates(EntryQueries):
    """Batches of the journal file (a part of :class:`~zinv_tui.service.journal.OutboxJournal`)."""

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
        when = journal_entries.clock() if now is None else now
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
        when = journal_entries.clock() if now is None else now
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

    def refuse(
        self, batch_id: int, message: str, *, only: Collection[int] | None = None
    ) -> tuple[list[OutboxEntry], list[Batch]]:
        """Zettle refused the batch for good (it applied none of it).

        A single-entry batch, or the entries named in ``only`` (those Zettle blamed): they need
        attention (returned first). The rest of a bigger batch is sent again one entry per batch
        (to find the culprit when none was named; new batches returned).
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
            blamed = {entry_id for entry_id, _ in members if only and entry_id in only}
            if len(members) == 1:
                blamed = {members[0][0]}
            self._db.executemany(
                "UPDATE entries SET status = 'NEEDS_ATTENTION', last_error = ? WHERE id = ?",
                [(message, entry_id) for entry_id in sorted(blamed)],
            )
            singles: list[tuple[int, str]] = []
            for entry_id, external in members:
                if entry_id in blamed:
                    continue
                single_id, single_external = self._new_batch(external)
                self._db.execute(
                    "UPDATE entries SET batch_id = ? WHERE id = ?", (single_id, entry_id)
                )
                singles.append((single_id, single_external))
        refused = self.entries_by_id(sorted(blamed))
        return refused, [self._batch(batch_id, external, 0) for batch_id, external in singles]

    def _batch(self, batch_id: int, external_uuid: str, attempts: int) -> Batch:
        rows = self._db.execute(
            f"SELECT {ENTRY_COLUMNS} FROM {ENTRY_FROM} WHERE e.batch_id = ? "
            "AND e.status = 'PENDING' ORDER BY e.id",
            (batch_id,),
        ).fetchall()
        return Batch(batch_id, external_uuid, attempts, tuple(entry_of(row) for row in rows))

    def _new_batch(self, preferred_uuid: str) -> tuple[int, str]:
        used = self._db.execute(
            "SELECT 1 FROM batches WHERE external_uuid = ?", (preferred_uuid,)
        ).fetchone()
        external = str(uuid.uuid4()) if used else preferred_uuid
        cursor = self._db.execute(
            "INSERT INTO batches(external_uuid, created) VALUES (?, ?)",
            (external, journal_entries.clock()),
        )
        return int(cursor.lastrowid or 0), external
