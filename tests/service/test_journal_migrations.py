"""``outbox.sqlite`` written by the release before migrations opens after the upgrade and keeps
working; a file from a newer release is refused, untouched, with a plain sentence.

The state dir in ``tests/fixtures/state_schema1`` was made by that release's own code
(``tests/fixtures/make_state_schema1.py``): pending movements, an open batch in doubt, a refused
and an unconfirmed movement, acknowledged history with an undo, a committed and an open count.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from tests.support.clients import running_service
from tests.support.sandbox import SandboxAdmin
from zinv_tui.service import (
    OutboxStatus,
    Reason,
    SchemaTooNew,
    StateFileError,
    count_book,
)
from zinv_tui.service.backend import PlaceKind
from zinv_tui.service.journal import OutboxJournal
from zinv_tui.service.journal_schema import MIGRATIONS, SCHEMA_VERSION, migrate
from zinv_tui.service.outcome import load_balances

pytestmark = pytest.mark.timeout(60)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "state_schema1"
FACTS = json.loads((FIXTURE / "fixture.json").read_text())


def old_state(tmp_path: Path) -> Path:
    """A copy of the fixture's state dir (the test may change it)."""
    state = tmp_path / "state"
    shutil.copytree(FIXTURE, state)
    (state / "fixture.json").unlink()
    return state


def versions(path: Path) -> tuple[int, str]:
    db = sqlite3.connect(path)
    try:
        user_version = db.execute("PRAGMA user_version").fetchone()[0]
        meta = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    finally:
        db.close()
    return user_version, meta


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_fixture_is_what_the_old_release_wrote(tmp_path: Path) -> None:
    # Read from a copy: opening the committed file makes SQLite's -wal and -shm files beside it
    # for a moment, which a test copying the folder at that moment found gone (a CI failure).
    assert versions(old_state(tmp_path) / "outbox.sqlite") == (0, "1")
    assert FACTS["schema_version"] == 1


def test_opening_upgrades_step_by_step_after_a_backup(tmp_path: Path) -> None:
    state = old_state(tmp_path)
    path = state / "outbox.sqlite"
    journal = OutboxJournal(path)
    try:
        assert versions(path) == (SCHEMA_VERSION, str(SCHEMA_VERSION))
        # Every movement is still there, as it stood.
        status = {entry.id: entry.status for entry in journal.entries()}
        assert {i: status[i] for i in FACTS["acknowledged"]} == dict.fromkeys(
            FACTS["acknowledged"], OutboxStatus.ACKNOWLEDGED
        )
        assert status[FACTS["needs_attention"]] is OutboxStatus.NEEDS_ATTENTION
        assert status[FACTS["unconfirmed"]["entry"]] is OutboxStatus.NEEDS_ATTENTION
        assert journal.unconfirmed_ids() == {FACTS["unconfirmed"]["entry"]}
        assert journal.entry(FACTS["unconfirmed"]["entry"]).unconfirmed  # settled with `a`
        for entry_id in (*FACTS["pending"], FACTS["in_doubt"]["entry"]):
            assert status[entry_id] is OutboxStatus.PENDING
        assert journal.entry(FACTS["undone"]["entry"]).undone_by == FACTS["undone"]["by"]
        # The in-doubt batch's reference is kept by place now (it was by location type).
        in_doubt, reference = journal.doubt(FACTS["in_doubt"]["batch"])
        kept = load_balances(reference)
        assert in_doubt and kept is not None
        places = FACTS["locations"]
        assert set(kept) == {places["STORE"], places["SUPPLIER"]}
        key = tuple(FACTS["in_doubt"]["key"])
        assert kept[places["STORE"]][key] + kept[places["SUPPLIER"]][key] == 0
        # The places the old release cached are known by UUID and kind.
        cached = json.loads(journal.meta("places") or "[]")
        assert {(p["kind"], p["uuid"]) for p in cached} == {
            (kind, uuid) for kind, uuid in places.items()
        }
        row = journal._db.execute("SELECT place_uuid FROM count_sessions WHERE id = 2").fetchone()
        assert row == (None,)  # begun before counts knew their place: the default STORE
    finally:
        journal.close()
    (backup,) = state.glob("outbox.sqlite.before-v2-*")
    assert versions(backup) == (0, "1")
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    db = sqlite3.connect(backup)
    try:
        assert db.execute("SELECT COUNT(*) FROM entries").fetchone() == (9,)
    finally:
        db.close()
    # Opening again changes nothing and copies nothing.
    before = digest(path)
    OutboxJournal(path).close()
    assert len(list(state.glob("outbox.sqlite.before-*"))) == 1
    assert versions(path) == (SCHEMA_VERSION, str(SCHEMA_VERSION)) and digest(path) == before


async def test_the_upgraded_state_keeps_working(sandbox_factory, tmp_path: Path) -> None:
    state = old_state(tmp_path)
    info = sandbox_factory(**FACTS["sandbox"])
    async with running_service(info, state) as service:
        # The places are the sandbox's own (the same seed): movements go where they went.
        assert {k.value: p.uuid for k, p in service.locations.items()} == FACTS["locations"]
        waiting = [*FACTS["pending"], FACTS["in_doubt"]["entry"]]
        assert service.status.pending_count == len(waiting)
        assert await service.flush(20), service.status
        sent = service.journal.entries_by_id(waiting)
        assert all(entry.status is OutboxStatus.ACKNOWLEDGED for entry in sent)
        # Each went to Zettle exactly once (a batch is one row per movement in the ledger): the
        # in-doubt one was settled by reading first.
        batches = Counter(entry.sent_as for entry in sent)
        applied = Counter(move["externalUuid"] for move in SandboxAdmin(info).ledger())
        assert {key: applied[key] for key in batches} == batches
        # Undo an acknowledged movement of the old release.
        sale = service.journal.entry(FACTS["undoable"])
        (undo,) = await service.undo(sale.id)
        assert await service.flush(10)
        undo = service.journal.entry(undo.id)
        assert undo.status is OutboxStatus.ACKNOWLEDGED and undo.undo_of == sale.id
        assert (undo.from_type, undo.to_type) == (PlaceKind.SOLD, PlaceKind.STORE)
        # Resume the open count, then commit it.
        book = count_book(service)
        session = FACTS["counts"]["open"]
        first, last = (tuple(key) for key in FACTS["counts"]["open_keys"])
        counted = {line.key: line.counted for line in book.lines(session)}
        assert counted[first] == 4 and counted[last] == 2
        book.add(session, last, 1)
        result = await book.commit(session, confirm_drift=True)
        assert result.session.status.value == "committed"
        assert await service.flush(10)
        for entry in book.corrections(session):
            assert entry.status is OutboxStatus.ACKNOWLEDGED and entry.reason is Reason.SET_COUNT
        assert [e.id for e in book.corrections(FACTS["counts"]["committed"])] == [5]
        # Zettle's balances and the rows agree once read again.
        await service.refresh(full=True)
        assert service.status.pending_count == 0


def test_a_file_from_a_newer_release_is_refused_untouched(tmp_path: Path) -> None:
    state = old_state(tmp_path)
    path = state / "outbox.sqlite"
    OutboxJournal(path).close()
    newer = SCHEMA_VERSION + 1
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {newer}")
    db.close()
    before = digest(path)
    with pytest.raises(SchemaTooNew) as caught:
        OutboxJournal(path)
    message = str(caught.value)
    assert "newer version of zinv-tui" in message and str(path) in message
    assert f"version {newer}" in message and f"up to {SCHEMA_VERSION}" in message
    assert "Upgrade zinv-tui" in message
    assert isinstance(caught.value, StateFileError)  # the CLI and TUI show it as it is
    assert digest(path) == before
    assert not list(state.glob("*.damaged-*"))
    assert len(list(state.glob("outbox.sqlite.before-*"))) == 1  # from the first upgrade only


def test_an_older_file_without_doubt_columns_starts_its_attempted_batches_in_doubt(
    tmp_path: Path,
) -> None:
    state = old_state(tmp_path)
    path = state / "outbox.sqlite"
    db = sqlite3.connect(path)
    for column in ("sender_until", "sender", "reference", "in_doubt"):
        db.execute(f"ALTER TABLE batches DROP COLUMN {column}")
    db.commit()
    db.close()
    journal = OutboxJournal(path)
    try:
        open_batches = {batch.id: batch for batch in journal.open_batches()}
        assert list(open_batches) == [FACTS["in_doubt"]["batch"]]
        assert journal.doubt(FACTS["in_doubt"]["batch"]) == (True, None)
    finally:
        journal.close()


def test_a_step_that_fails_leaves_the_file_at_the_last_whole_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = old_state(tmp_path)
    path = state / "outbox.sqlite"

    def broken(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE count_sessions ADD COLUMN place_uuid TEXT")
        raise sqlite3.OperationalError("disk I/O error")

    steps = tuple(
        (target, what, broken if target == 3 else step) for target, what, step in MIGRATIONS
    )
    monkeypatch.setattr("zinv_tui.service.journal_schema.MIGRATIONS", steps)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        with pytest.raises(StateFileError):
            migrate(db, path)
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
        columns = {row[1] for row in db.execute("PRAGMA table_info(count_sessions)")}
        assert "place_uuid" not in columns  # the half-done step was rolled back
    finally:
        db.close()
    monkeypatch.undo()
    OutboxJournal(path).close()  # the next open finishes the upgrade
    assert versions(path) == (SCHEMA_VERSION, str(SCHEMA_VERSION))
