"""The SQLite journal: durable records, stable batches, refusals kept, undo rules, history, CSV."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest

from zinv_tui.service import OutboxStatus, PlaceKind, Reason, UndoRefused
from zinv_tui.service.csv_export import write_history_csv
from zinv_tui.service.journal import EntryDraft, OutboxJournal

S, SUP, BIN = PlaceKind.STORE, PlaceKind.SUPPLIER, PlaceKind.BIN


def draft(
    variant: str = "v1", quantity: int = 3, reason: Reason = Reason.RESTOCK, **kw
) -> EntryDraft:
    fields = dict(
        reason=reason,
        key=("p1", variant),
        product_name="=Mug",
        variant_name=variant.upper(),
        sku=f"SKU-{variant}",
        barcode="4006381333931",
        from_type=SUP,
        to_type=S,
        from_location_uuid="sup-uuid",
        to_location_uuid="store-uuid",
        quantity=quantity,
        store_change=quantity,
        balance_before=10,
        note="",
    )
    fields.update(kw)
    return EntryDraft(**fields)


@pytest.fixture
def journal(tmp_path: Path) -> OutboxJournal:
    journal = OutboxJournal(tmp_path / "outbox.sqlite")
    yield journal
    journal.close()


def test_file_is_wal_with_full_sync_and_records_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    journal = OutboxJournal(path)
    entries = journal.record([draft("v1"), draft("v2")], user="ana")
    assert journal._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    journal.close()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again = OutboxJournal(path)
    assert [e.external_uuid for e in again.entries(newest_first=False)] == [
        e.external_uuid for e in entries
    ]
    assert (
        len({e.external_uuid for e in entries}) == 2
        and entries[0].group_uuid == entries[1].group_uuid
    )
    assert all(e.status is OutboxStatus.PENDING and e.user == "ana" for e in entries)
    assert again.pending_changes("store-uuid") == {("p1", "v1"): 3, ("p1", "v2"): 3}
    again.close()


def test_a_batch_is_stable_until_settled_even_across_reopening(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    journal = OutboxJournal(path)
    entries = journal.record([draft(f"v{i}") for i in range(5)], user="")
    batch = journal.next_batch(max_size=3)
    assert batch is not None and [e.id for e in batch.entries] == [e.id for e in entries[:3]]
    assert batch.external_uuid == entries[0].external_uuid
    assert journal.begin_attempt(batch.id) == 0
    journal.note_failure(batch.id, "Can't reach Zettle")
    journal.close()
    journal = OutboxJournal(path)
    again = journal.next_batch(max_size=3)
    assert again is not None and (again.id, again.external_uuid) == (batch.id, batch.external_uuid)
    assert again.attempts == 1 and again.entries[0].last_error == "Can't reach Zettle"
    assert journal.begin_attempt(batch.id) == 1
    journal.acknowledge(batch.id, {("p1", "v0"): 13})
    rest = journal.next_batch(max_size=3)
    assert rest is not None and [e.id for e in rest.entries] == [e.id for e in entries[3:]]
    assert journal.entry(entries[0].id).balance_after == 13
    assert journal.entry(entries[0].id).sent_as == batch.external_uuid
    assert journal.entry(entries[1].id).status is OutboxStatus.ACKNOWLEDGED
    assert journal.counts() == (2, 0)
    journal.close()


def test_a_refusal_that_names_its_culprit_splits_only_the_rest(journal: OutboxJournal) -> None:
    entries = journal.record([draft("v1"), draft("v2"), draft("v3")], user="")
    batch = journal.next_batch(10)
    assert batch is not None
    refused, singles = journal.refuse(batch.id, "v2 is not tracked", only={entries[1].id})
    assert [e.id for e in refused] == [entries[1].id]
    assert refused[0].status is OutboxStatus.NEEDS_ATTENTION
    assert refused[0].last_error == "v2 is not tracked"
    assert [[e.id for e in single.entries] for single in singles] == [
        [entries[0].id],
        [entries[2].id],
    ]
    assert journal.counts() == (2, 1)


def test_refused_batches_are_split_and_the_culprit_needs_attention(journal: OutboxJournal) -> None:
    entries = journal.record([draft("v1"), draft("v2")], user="")
    batch = journal.next_batch(10)
    assert batch is not None
    refused, singles = journal.refuse(batch.id, "not tracked")
    assert refused == [] and [len(s.entries) for s in singles] == [1, 1]
    # The first entry's own uuid was spent on the refused batch: its single gets a fresh one.
    assert singles[0].external_uuid != batch.external_uuid
    assert singles[1].external_uuid == entries[1].external_uuid
    assert journal.next_batch(10).id == singles[0].id
    journal.acknowledge(singles[0].id, {})
    refused, more = journal.refuse(singles[1].id, "Zettle says: PRODUCT_NOT_TRACKED")
    assert more == [] and refused[0].status is OutboxStatus.NEEDS_ATTENTION
    assert refused[0].last_error == "Zettle says: PRODUCT_NOT_TRACKED"
    assert journal.counts() == (0, 1) and journal.next_batch(10) is None
    requeued = journal.requeue(refused[0].id)
    assert requeued.status is OutboxStatus.PENDING
    retry = journal.next_batch(10)
    assert retry is not None and retry.external_uuid not in {
        batch.external_uuid,
        singles[1].external_uuid,
    }
    journal.refuse(retry.id, "still not tracked")
    assert journal.dismiss(refused[0].id).status is OutboxStatus.CANCELLED
    with pytest.raises(LookupError):
        journal.dismiss(refused[0].id)


def test_undo_rules(journal: OutboxJournal) -> None:
    (first,) = journal.record([draft("v1")], user="")
    with pytest.raises(UndoRefused, match="still waiting"):
        journal.check_undoable(first.id)
    journal.acknowledge(journal.next_batch(10).id, {})
    journal.check_undoable(first.id)
    undo = dict(reason=Reason.UNDO, from_type=S, to_type=SUP, store_change=-3, undo_of=first.id)
    (undo_entry,) = journal.record([draft("v1", **undo)], user="")
    assert journal.entry(first.id).undone_by == undo_entry.id
    assert not journal.entry(first.id).can_undo
    with pytest.raises(UndoRefused, match="already undone"):
        journal.record([draft("v1", **undo)], user="")
    journal.acknowledge(journal.next_batch(10).id, {})
    with pytest.raises(UndoRefused, match="itself an undo"):
        journal.check_undoable(undo_entry.id)
    with pytest.raises(UndoRefused, match="no movement"):
        journal.check_undoable(999)


def test_history_filters_and_csv(journal: OutboxJournal, tmp_path: Path) -> None:
    journal.record([draft("v1", note="broken in transport", reason=Reason.DISCARD)], user="ana")
    journal.record([draft("v2", note="delivery 42")], user="bo")
    journal.record([draft("v3", note="50% off_sale")], user="bo")
    assert [e.variant_name for e in journal.entries()] == ["V3", "V2", "V1"]
    assert [e.variant_name for e in journal.entries(text="TRANSPORT")] == ["V1"]
    assert [e.variant_name for e in journal.entries(text="sku-v2")] == ["V2"]
    assert [e.variant_name for e in journal.entries(text="50%")] == ["V3"]  # % is literal
    assert [e.variant_name for e in journal.entries(text="f_s")] == ["V3"]  # _ is literal
    assert [e.variant_name for e in journal.entries(reason=Reason.DISCARD)] == ["V1"]
    assert len(journal.entries(text="bo", limit=1)) == 1
    path = tmp_path / "history.csv"
    assert write_history_csv(path, journal.entries()) == 3
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert rows[0]["product"] == "'=Mug"  # a formula-looking name is neutralised
    assert rows[2]["note"] == "broken in transport" and rows[2]["reason"] == "DISCARD"
    assert rows[2]["user"] == "ana" and rows[2]["status"] == "PENDING"
    stream = io.StringIO()  # a browser download: the same CSV into a text stream, left open
    assert write_history_csv(stream, journal.entries()) == 3
    assert stream.getvalue() == path.read_bytes().decode("utf-8")
