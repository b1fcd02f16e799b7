"""The movement journal: a SQLite file that is both the outbox and the local history.

Every movement is written here *before* anything is sent, with its own key (``external_uuid``)
minted at that moment. Sending happens in batches: a batch (its members and the key it is sent
under) is written before the first attempt and never changes afterwards, so a re-send after a
crash, a timeout or a kill carries the same key; Zettle is never trusted to deduplicate on it
(an unknown outcome is settled by reading, see :mod:`zinv_tui.service.outcome`). A batch's key is
its first entry's own key when that one was never used for a batch, else a fresh one.

Entry statuses: ``PENDING`` (recorded, not acknowledged: waiting, in a batch, or in flight),
``ACKNOWLEDGED`` (Zettle applied it), ``NEEDS_ATTENTION`` (Zettle refused it for a reason that
repeating won't fix, the server's words kept in ``last_error``; or reading could not tell whether
it was applied: *unconfirmed*), ``CANCELLED`` (a needs-attention entry the user dismissed). Nothing
is ever deleted: the journal is the append-only history. Each entry names its two places by UUID
and kind.

The file's jobs are split: its schema and migrations (:mod:`zinv_tui.service.journal_schema`),
the entries (:mod:`zinv_tui.service.journal_entries`) and the batch state machine
(:mod:`zinv_tui.service.journal_batches`); :class:`OutboxJournal` is all three on one connection.

The file uses WAL and ``synchronous=FULL``: a committed record survives a power cut. Two processes
may share one journal (the TUI and a CLI command): batches are formed inside ``BEGIN IMMEDIATE``
and a batch being sent is leased to one sender.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from zinv_tui.service.journal_batches import Batch, BatchStates
from zinv_tui.service.journal_entries import (
    EntryDraft,
    HistoryEntry,
    OutboxEntry,
    OutboxStatus,
    UndoRefused,
)
from zinv_tui.service.journal_schema import SCHEMA_VERSION, SchemaTooNew, open_outbox_db

__all__ = [
    "SCHEMA_VERSION",
    "Batch",
    "EntryDraft",
    "HistoryEntry",
    "OutboxEntry",
    "OutboxJournal",
    "OutboxStatus",
    "SchemaTooNew",
    "UndoRefused",
]

OUTBOX_FILE = "outbox.sqlite"
"""The journal's file in the profile's state directory (counts live in it too)."""


class OutboxJournal(BatchStates):
    """The SQLite journal at ``state_dir/outbox.sqlite``: entries (the history) and batches
    (the outbox), opened at the current schema version (migrated when older)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db = open_outbox_db(self.path, foreign_keys=True)
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
