"""The profile's local SQLite file (``outbox.sqlite``): opening it safely, and transactions.

The journal and the count store each hold a connection to the same file. WAL lets both (and other
processes: the TUI and a CLI command) read and write; ``synchronous=FULL`` makes a committed write
survive a power cut.

Opening never writes to a file whose tables are all there, so a read (``zinv-tui history``) works
while another process holds the write lock. A new file is built under a private name and linked
into place complete (mode 0600, and so its ``-wal``/``-shm``), so no process ever sees it half made.
A file that is not a database (emptied to 0 bytes, garbage, a page SQLite calls corrupt) is never
silently replaced: it is moved aside under a timestamped name and :class:`StateFileDamaged` says so;
the next open starts a fresh file. Every other SQLite or file-system failure becomes a
:class:`StateFileError` with a plain sentence (disk full, read-only, busy).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sqlite3
import stat
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

BUSY_TIMEOUT = 10.0
"""Seconds a write waits for another process's write lock (reads never wait for one: WAL)."""
FILE_MODE = 0o600
DIR_MODE = 0o700
SIDE_FILES = ("-wal", "-shm")
"""SQLite's companions of the file in WAL mode (same name plus these)."""
_HEADER = b"SQLite format 3\x00"
_NAMED = re.compile(r"CREATE\s+(?:TABLE|INDEX)\s+IF\s+NOT\s+EXISTS\s+(\w+)", re.IGNORECASE)
_DAMAGE_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


class StateFileError(Exception):
    """A local file could not be opened, read or written; the message says why in plain words."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class StateFileDamaged(StateFileError):
    """The file is not a readable database; it was moved to ``kept_as`` (``None``: it could not
    be moved, and stays where it is)."""

    def __init__(self, message: str, path: Path, kept_as: Path | None) -> None:
        super().__init__(message, path)
        self.kept_as = kept_as


def open_state_db(
    path: Path,
    schema: str,
    *,
    foreign_keys: bool = False,
    migrate: Callable[[sqlite3.Connection, Path], None] | None = None,
) -> sqlite3.Connection:
    """Open ``path`` in autocommit mode, WAL and ``synchronous=FULL``, creating the folder (0700),
    the file (0600) and the tables of ``schema`` that are missing.

    ``migrate(db, path)``, when given, runs on an existing file before anything is written to it
    (it may refuse the file with a :class:`StateFileError`, or bring it up to date).

    Raises :class:`StateFileDamaged` (the file was moved aside) or :class:`StateFileError`.
    """
    path = Path(path)
    _make_folder(path.parent)
    if not path.exists():
        _set_aside_orphans(path)
        _create(path, schema)
    else:
        _check_file(path)
    try:
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
    except sqlite3.Error as error:
        raise state_error(path, error) from None
    try:
        present = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        wanted = set(_NAMED.findall(schema))
        foreign = present and "meta" not in present and not present & wanted
        if not foreign and migrate is not None:
            migrate(db, path)
            present = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        if foreign_keys:
            db.execute("PRAGMA foreign_keys=ON")
        if not foreign and not wanted <= present:
            db.executescript(schema)
    except StateFileError:
        db.close()
        raise
    except sqlite3.Error as error:
        db.close()
        if getattr(error, "sqlite_errorcode", 0) & 0xFF in _DAMAGE_CODES:
            raise _set_aside(path, f"SQLite reports: {error}") from None
        raise state_error(path, error) from None
    if foreign:
        db.close()
        raise _set_aside(path, "it holds tables of another program")
    _keep_private(path)
    return db


def state_error(path: Path, error: sqlite3.Error | OSError) -> StateFileError:
    """A plain sentence for a failure of the state file at ``path`` (not damage: see
    :func:`open_state_db`)."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    if code == sqlite3.SQLITE_FULL or getattr(error, "errno", None) == errno.ENOSPC:
        text = f"cannot write {path}: the disk is full; nothing was changed. Free some space"
    elif code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        text = (
            f"{path} is busy: another program has held its write lock for over "
            f"{BUSY_TIMEOUT:g} s; nothing was changed. Try again, or close the other program"
        )
    elif code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        text = (
            f"cannot write {path} ({error}); make {path.parent} and the files in it writable by you"
        )
    elif code in _DAMAGE_CODES:
        text = f"{path} is damaged ({error}); nothing was changed"
    elif isinstance(error, OSError):
        text = f"cannot use {error.filename or path}: {_os_reason(error)}"
    else:
        text = f"{path}: {error}"
    return StateFileError(text, path)


def stored_time(epoch: float | None) -> datetime | None:
    """A time stored as epoch seconds, as an aware UTC datetime (``None`` stays ``None``)."""
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


class Transaction:
    """``with Transaction(db[, path]):`` runs ``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on
    error); an SQLite failure (disk full, busy) comes out as a :class:`StateFileError` naming
    ``path`` (by default the connection's own main database file)."""

    __slots__ = ("_db", "_given_path")

    def __init__(self, db: sqlite3.Connection, path: Path | None = None) -> None:
        self._db = db
        self._given_path = path

    @property
    def _path(self) -> Path:
        """The file named in messages; asked of SQLite only when a message needs it."""
        if self._given_path is not None:
            return self._given_path
        with contextlib.suppress(sqlite3.Error):
            for _seq, name, file in self._db.execute("PRAGMA database_list"):
                if name == "main" and file:
                    return Path(file)
        return Path("the state file")

    def __enter__(self) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise state_error(self._path, error) from None

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.Error as error:
                value = error
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("ROLLBACK")
        if isinstance(value, sqlite3.DatabaseError) and not isinstance(
            value, sqlite3.IntegrityError
        ):
            raise state_error(self._path, value) from None
        if kind is None and isinstance(value, BaseException):
            raise value


# -- opening -----------------------------------------------------------------------------------


def _os_reason(error: OSError) -> str:
    if error.errno == errno.EEXIST or error.errno == errno.ENOTDIR:
        return "a file is in the way where a directory is needed"
    return error.strerror or str(error)


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except OSError as error:
        raise StateFileError(
            f"cannot use the folder {folder} for local files: {_os_reason(error)}", folder
        ) from None


def _check_file(path: Path) -> None:
    """Refuse a path that is not a regular file; move aside one that is not a database."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise StateFileError(f"{path} is not a file; move it out of the way", path)
        if info.st_size == 0:
            raise _set_aside(path, "it is empty (0 bytes)")
        with path.open("rb") as handle:
            header = handle.read(len(_HEADER))
    except OSError as error:
        raise state_error(path, error) from None
    if header != _HEADER:
        raise _set_aside(path, "it is not an SQLite database")


def _create(path: Path, schema: str) -> None:
    """Build the file under a private name, then link it into place (unless another process was
    quicker: then its file is used)."""
    building = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.new")
    try:
        os.close(os.open(building, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
        db = sqlite3.connect(building, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(schema)
        finally:
            db.close()
        try:
            os.link(building, path)
        except FileExistsError:
            pass
        except OSError as error:  # a file system without hard links
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                raise
            if not path.exists():
                os.replace(building, path)
    except OSError as error:
        raise StateFileError(f"cannot create {path}: {_os_reason(error)}", path) from None
    except sqlite3.Error as error:
        raise state_error(path, error) from None
    finally:
        for name in (building, *(Path(f"{building}{side}") for side in SIDE_FILES)):
            with contextlib.suppress(OSError):
                name.unlink()


def _set_aside_orphans(path: Path) -> None:
    """A ``-wal`` left without its database belongs to a lost file: never replay it into a new
    one."""
    orphan = Path(f"{path}-wal")
    with contextlib.suppress(OSError):
        if orphan.stat().st_size > 0:
            raise _set_aside(path, "the database is missing but its write-ahead log remains")


def _set_aside(path: Path, why: str) -> StateFileDamaged:
    """Rename the damaged file (and its side files) to ``<name>.damaged-<time>``."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = path.with_name(f"{path.name}.damaged-{stamp}")
    suffix = 1
    while kept.exists():
        suffix += 1
        kept = path.with_name(f"{path.name}.damaged-{stamp}-{suffix}")
    try:
        for side in ("", *SIDE_FILES):
            source = Path(f"{path}{side}")
            if side == "" and not source.exists():
                continue
            with contextlib.suppress(FileNotFoundError):
                source.rename(Path(f"{kept}{side}"))
    except OSError as error:
        return StateFileDamaged(
            f"{path} is damaged: {why}. It could not be moved aside ({error.strerror}) and was "
            "left as it is; move it out of the way to start an empty journal",
            path,
            None,
        )
    return StateFileDamaged(
        f"{path} is damaged: {why}. It was moved to {kept.name} with whatever it held; the "
        "next run starts an empty journal. Movements that were waiting in it will not be sent: "
        "check the balances and enter any missing ones again",
        path,
        kept,
    )


def _keep_private(path: Path) -> None:
    """Files made by older versions were 0644: make them (and side files) 0600."""
    for name in (path, *(Path(f"{path}{side}") for side in SIDE_FILES)):
        with contextlib.suppress(OSError):
            if name.stat().st_mode & 0o077:
                name.chmod(FILE_MODE)
