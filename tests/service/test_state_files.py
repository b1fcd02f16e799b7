"""The journal's file on a bad day: emptied, garbage, locked, full, wrong type, too open, newer.

Nothing is ever silently replaced: a damaged file is moved aside and the open says so; the next
open starts an empty journal.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest

from zinv_tui.service import OutboxStatus, PlaceKind, Reason, state_db
from zinv_tui.service.count_store import CountStore
from zinv_tui.service.journal import OutboxJournal
from zinv_tui.service.state_db import StateFileDamaged, StateFileError

from .test_journal import draft


def journal_with_entries(path: Path, count: int = 3) -> None:
    journal = OutboxJournal(path)
    journal.record([draft(f"v{i}") for i in range(count)], user="ana")
    journal.close()


def kept_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("outbox.sqlite.damaged-*"))


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        pytest.param(b"", "empty (0 bytes)", id="emptied"),
        pytest.param(os.urandom(8192), "not an SQLite database", id="garbage"),
        pytest.param(b"SQLite format 3\x00" + b"\xa5" * 8176, "SQLite reports", id="bad-pages"),
    ],
)
def test_a_damaged_journal_is_kept_aside_and_said_not_silently_recreated(
    tmp_path: Path, damage: bytes, why: str
) -> None:
    path = tmp_path / "outbox.sqlite"
    journal_with_entries(path)
    path.write_bytes(damage)

    with pytest.raises(StateFileDamaged) as raised:
        OutboxJournal(path)

    kept = kept_files(tmp_path)
    assert len(kept) == 1 and kept[0] == raised.value.kept_as
    assert kept[0].read_bytes() == damage
    message = str(raised.value)
    assert why in message and kept[0].name in message and "next run starts an empty" in message
    assert not path.exists()
    again = OutboxJournal(path)  # only the next open starts fresh
    assert again.entries() == []
    again.close()


def test_a_stale_write_ahead_log_without_its_database_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    Path(f"{path}-wal").write_bytes(b"\x37\x7f\x06\x82" + b"\0" * 60)
    with pytest.raises(StateFileDamaged, match="write-ahead log remains"):
        OutboxJournal(path)
    assert not Path(f"{path}-wal").exists()
    OutboxJournal(path).close()


def test_a_database_of_another_program_is_not_written_into(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    other.commit()
    other.close()
    with pytest.raises(StateFileDamaged, match="another program"):
        OutboxJournal(path)
    (kept,) = kept_files(tmp_path)
    names = sqlite3.connect(kept).execute("SELECT name FROM sqlite_master").fetchall()
    assert names == [("photos",)]


def test_reading_needs_no_write_lock(tmp_path: Path) -> None:
    """A read-only ``history`` while another process holds the write lock: at once, no 10 s wait."""
    path = tmp_path / "outbox.sqlite"
    journal_with_entries(path)
    CountStore(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE entries SET note = 'busy'")
    try:
        started = time.monotonic()
        journal = OutboxJournal(path)
        assert len(journal.entries()) == 3
        journal.close()
        CountStore(path).close()
        assert time.monotonic() - started < 5.0  # not the 10 s busy timeout
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_write_held_up_by_another_process_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state_db, "BUSY_TIMEOUT", 0.2)
    path = tmp_path / "outbox.sqlite"
    journal = OutboxJournal(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StateFileError, match="is busy: another program") as raised:
            journal.record([draft()], user="ana")
        assert not isinstance(raised.value, sqlite3.Error)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert journal.entries() == []
    journal.close()


def test_a_full_disk_is_a_plain_error_and_records_nothing(tmp_path: Path) -> None:
    journal = OutboxJournal(tmp_path / "outbox.sqlite")
    journal.record([draft("v0")], user="ana")
    pages = journal._db.execute("PRAGMA page_count").fetchone()[0]
    journal._db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "disk full"
    with pytest.raises(StateFileError, match="the disk is full; nothing was changed"):
        journal.record([draft(f"v{i}", note="x" * 400) for i in range(1, 200)], user="ana")
    assert len(journal.entries()) == 1
    journal.close()


def test_a_folder_in_place_of_the_journal_or_a_file_in_place_of_the_folder(
    tmp_path: Path,
) -> None:
    (tmp_path / "outbox.sqlite").mkdir()
    with pytest.raises(StateFileError, match="is not a file"):
        OutboxJournal(tmp_path / "outbox.sqlite")
    (tmp_path / "state").write_text("not a folder")
    with pytest.raises(StateFileError, match=r"cannot use the folder .*state.*directory is needed"):
        OutboxJournal(tmp_path / "state" / "profiles" / "outbox.sqlite")


def test_journal_and_its_side_files_are_private(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        journal = OutboxJournal(tmp_path / "state" / "outbox.sqlite")
        journal.record([draft()], user="ana")
        files = [tmp_path / "state" / name for name in ("outbox.sqlite", "outbox.sqlite-wal")]
        files.append(tmp_path / "state" / "outbox.sqlite-shm")
        for file in files:
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
        journal.close()
        assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
        assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["outbox.sqlite"]
    finally:
        os.umask(old_umask)


def test_an_old_journal_made_readable_by_all_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    journal_with_entries(path)
    path.chmod(0o644)
    OutboxJournal(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_two_processes_creating_the_journal_at_once_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            journal = OutboxJournal(path)
            journal.record([draft()], user="ana")
            journal.close()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    journal = OutboxJournal(path)
    assert len(journal.entries()) == 6
    journal.close()
    assert not kept_files(tmp_path) and not list(tmp_path.glob(".outbox.sqlite.*"))


def test_values_a_later_version_wrote_are_carried(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    journal_with_entries(path, count=2)
    raw = sqlite3.connect(path)
    raw.execute(
        "UPDATE entries SET reason = 'RELOCATE', status = 'SUPERSEDED', "
        "from_type = 'WAREHOUSE' WHERE id = 1"
    )
    raw.commit()
    raw.close()
    journal = OutboxJournal(path)
    newest, oldest = journal.entries()
    assert oldest.reason == "RELOCATE" and isinstance(oldest.reason, Reason)
    assert oldest.status == "SUPERSEDED" and oldest.status is not OutboxStatus.PENDING
    assert oldest.from_type == "WAREHOUSE" and isinstance(oldest.from_type, PlaceKind)
    assert list(Reason) == [reason for reason in Reason if reason != "RELOCATE"]
    assert newest.reason is Reason.RESTOCK
    assert journal.counts() == (1, 0)
    journal.close()


def test_a_folder_that_refuses_new_files_is_named_in_plain_words() -> None:
    folder = Path("/sys")  # refuses new files even to root (who runs CI here); chmod would not
    try:
        (folder / ".zinv-probe").touch()
    except OSError:
        pass
    else:
        (folder / ".zinv-probe").unlink()
        pytest.skip("needs a folder that refuses new files")
    with pytest.raises(StateFileError, match=r"^cannot create /sys/outbox\.sqlite: "):
        OutboxJournal(folder / "outbox.sqlite")
