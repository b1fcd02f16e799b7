"""Count sessions on disk: four tables in the profile's ``outbox.sqlite``, beside the journal
(their schema and its migrations: :mod:`zinv_tui.service.journal_schema`).

A second connection to the journal's file (WAL lets both read and write), so the journal's class
stays untouched and a count draft lives where the design puts local state. Every scan is
appended to ``count_scans`` and never deleted (a wrong scan is marked ``removed``); a line's count
is the replay of its live scans (``add`` adds, ``set`` replaces), cached in ``count_lines``. So a
closed SSH session or a crash loses nothing, and two processes counting the same session add up.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from zinv_tui.service.journal_schema import open_outbox_db
from zinv_tui.service.state_db import Transaction

SESSION_COLUMNS = (
    "id, name, scope, scope_filter, blind, status, created, created_by, closed, closed_by, "
    "(SELECT COUNT(*) FROM count_lines l WHERE l.session_id = s.id AND l.counted IS NOT NULL), "
    "scope_lines, place_uuid"
)
LINE_COLUMNS = (
    "product_uuid, variant_uuid, product_name, variant_name, sku, barcode, in_scope, counted, "
    "expected, first_counted, last_counted, note"
)
SCAN_COLUMNS = "id, product_uuid, variant_uuid, kind, amount, code, created, user"

Row = tuple[Any, ...]
"""A row as SQLite gives it."""

LineNames = tuple[str, str, str, str]
"""``(product_name, variant_name, sku, barcode)`` as they were when the line was made."""


class CountStore:
    """The count tables of ``path`` (normally ``state_dir/outbox.sqlite``)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db = open_outbox_db(self.path)

    def close(self) -> None:
        self._db.close()

    def _begin(self) -> Transaction:
        return Transaction(self._db, self.path)

    # -- sessions ------------------------------------------------------------------------------

    def create_session(
        self,
        name: str,
        scope: str,
        scope_filter: str,
        blind: bool,
        user: str,
        members: Iterable[tuple[str, str, LineNames]],
        place_uuid: str | None = None,
    ) -> int:
        """A new open session of the STORE place ``place_uuid`` with its in-scope variants
        (uncounted); returns its id."""
        with self._begin():
            cursor = self._db.execute(
                "INSERT INTO count_sessions(name, scope, scope_filter, blind, created, created_by, "
                "place_uuid) VALUES (?,?,?,?,?,?,?)",
                (name, scope, scope_filter, int(blind), time.time(), user, place_uuid),
            )
            session_id = int(cursor.lastrowid or 0)
            inserted = self._db.executemany(
                "INSERT INTO count_lines(session_id, product_uuid, variant_uuid, product_name, "
                "variant_name, sku, barcode, in_scope) VALUES (?,?,?,?,?,?,?,1)",
                ((session_id, p, v, *names) for p, v, names in members),
            ).rowcount
            self._db.execute(
                "UPDATE count_sessions SET scope_lines = ? WHERE id = ?",
                (max(inserted, 0), session_id),
            )
        return session_id

    def session_row(self, session_id: int) -> Row | None:
        row: Row | None = self._db.execute(
            f"SELECT {SESSION_COLUMNS} FROM count_sessions s WHERE id = ?", (session_id,)
        ).fetchone()
        return row

    def status(self, session_id: int) -> str | None:
        """Just the status (cheap: checked before every scan)."""
        row = self._db.execute(
            "SELECT status FROM count_sessions WHERE id = ?", (session_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def session_rows(self, statuses: Sequence[str] | None) -> list[Row]:
        sql = f"SELECT {SESSION_COLUMNS} FROM count_sessions s"
        args: list[object] = []
        if statuses:
            sql += f" WHERE status IN ({','.join('?' * len(statuses))})"
            args.extend(statuses)
        return self._db.execute(sql + " ORDER BY id DESC", args).fetchall()

    def set_status(
        self, session_id: int, status: str, expected: Sequence[str], user: str = ""
    ) -> bool:
        """Move a session from one of ``expected`` statuses to ``status``; False if it was not."""
        closing = status in ("committed", "abandoned")
        with self._begin():
            changed = self._db.execute(
                f"UPDATE count_sessions SET status = ?, closed = ?, closed_by = ? "
                f"WHERE id = ? AND status IN ({','.join('?' * len(expected))})",
                (
                    status,
                    time.time() if closing else None,
                    user if closing else "",
                    session_id,
                    *expected,
                ),
            ).rowcount
        return bool(changed)

    def rename(self, session_id: int, name: str) -> None:
        with self._begin():
            self._db.execute("UPDATE count_sessions SET name = ? WHERE id = ?", (name, session_id))

    # -- lines and scans -----------------------------------------------------------------------

    def line_row(self, session_id: int, product: str, variant: str) -> Row | None:
        row: Row | None = self._db.execute(
            f"SELECT {LINE_COLUMNS} FROM count_lines "
            "WHERE session_id = ? AND product_uuid = ? AND variant_uuid = ?",
            (session_id, product, variant),
        ).fetchone()
        return row

    def line_rows(self, session_id: int) -> list[Row]:
        return self._db.execute(
            f"SELECT {LINE_COLUMNS} FROM count_lines WHERE session_id = ? "
            "ORDER BY lower(product_name), lower(variant_name), variant_uuid",
            (session_id,),
        ).fetchall()

    def add_scan(
        self,
        session_id: int,
        key: tuple[str, str],
        names: LineNames,
        kind: str,
        amount: int,
        code: str,
        user: str,
        expected_now: int | None,
    ) -> None:
        """Append a scan and recount its line; a line's first count records ``expected_now``."""
        now = time.time()
        with self._begin():
            self._db.execute(
                "INSERT INTO count_lines(session_id, product_uuid, variant_uuid, product_name, "
                "variant_name, sku, barcode) VALUES (?,?,?,?,?,?,?) "
                "ON CONFLICT(session_id, product_uuid, variant_uuid) DO NOTHING",
                (session_id, *key, *names),
            )
            self._db.execute(
                "INSERT INTO count_scans(session_id, product_uuid, variant_uuid, kind, amount, "
                "code, created, user) VALUES (?,?,?,?,?,?,?,?)",
                (session_id, *key, kind, amount, code, now, user),
            )
            self._recount(session_id, key, expected_now, now)

    def remove_scans(
        self, session_id: int, scan_ids: Sequence[int] | None, key: tuple[str, str]
    ) -> None:
        """Mark scans removed (all of the line's when ``scan_ids`` is None) and recount."""
        with self._begin():
            if scan_ids is None:
                self._db.execute(
                    "UPDATE count_scans SET removed = 1 WHERE session_id = ? AND product_uuid = ? "
                    "AND variant_uuid = ?",
                    (session_id, *key),
                )
            else:
                self._db.executemany(
                    "UPDATE count_scans SET removed = 1 WHERE id = ? AND session_id = ?",
                    [(scan_id, session_id) for scan_id in scan_ids],
                )
            self._recount(session_id, key, None, None)
            self._db.execute(
                "DELETE FROM count_lines WHERE session_id = ? AND product_uuid = ? "
                "AND variant_uuid = ? AND in_scope = 0 AND counted IS NULL",
                (session_id, *key),
            )

    def set_note(self, session_id: int, key: tuple[str, str], note: str) -> None:
        with self._begin():
            self._db.execute(
                "UPDATE count_lines SET note = ? WHERE session_id = ? AND product_uuid = ? "
                "AND variant_uuid = ?",
                (note, session_id, *key),
            )

    def scan_rows(self, session_id: int, limit: int | None) -> list[Row]:
        sql = (
            f"SELECT {SCAN_COLUMNS} FROM count_scans WHERE session_id = ? AND removed = 0 "
            "ORDER BY id DESC"
        )
        args: list[object] = [session_id]
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return self._db.execute(sql, args).fetchall()

    def scan_row(self, session_id: int, scan_id: int) -> Row | None:
        row: Row | None = self._db.execute(
            f"SELECT {SCAN_COLUMNS} FROM count_scans WHERE session_id = ? AND id = ? "
            "AND removed = 0",
            (session_id, scan_id),
        ).fetchone()
        return row

    def note_unknown(self, session_id: int, code: str) -> None:
        with self._begin():
            self._db.execute(
                "INSERT INTO count_unknown_codes(session_id, code, last_seen) VALUES (?,?,?) "
                "ON CONFLICT(session_id, code) DO UPDATE SET times = times + 1, "
                "last_seen = excluded.last_seen",
                (session_id, code, time.time()),
            )

    def unknown_rows(self, session_id: int) -> list[tuple[str, int]]:
        return self._db.execute(
            "SELECT code, times FROM count_unknown_codes WHERE session_id = ? ORDER BY last_seen",
            (session_id,),
        ).fetchall()

    def _recount(
        self,
        session_id: int,
        key: tuple[str, str],
        expected_now: int | None,
        now: float | None,
    ) -> None:
        """Replay the line's live scans into ``counted``; keep or record ``expected``."""
        counted: int | None = None
        last: float | None = None
        for kind, amount, created in self._db.execute(
            "SELECT kind, amount, created FROM count_scans WHERE session_id = ? "
            "AND product_uuid = ? AND variant_uuid = ? AND removed = 0 ORDER BY id",
            (session_id, *key),
        ):
            counted = amount if kind == "set" else (counted or 0) + amount
            last = created
        if counted is None:
            self._db.execute(
                "UPDATE count_lines SET counted = NULL, expected = NULL, first_counted = NULL, "
                "last_counted = NULL WHERE session_id = ? AND product_uuid = ? "
                "AND variant_uuid = ?",
                (session_id, *key),
            )
            return
        self._db.execute(
            "UPDATE count_lines SET counted = ?, last_counted = ?, "
            "expected = CASE WHEN expected IS NULL THEN ? ELSE expected END, "
            "first_counted = COALESCE(first_counted, ?) "
            "WHERE session_id = ? AND product_uuid = ? AND variant_uuid = ?",
            (counted, last, expected_now, now or last, session_id, *key),
        )
