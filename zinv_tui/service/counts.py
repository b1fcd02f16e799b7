"""Stock counts: sessions of scans turned into count corrections, safe while the shop is open.

A :class:`CountSession` is *ad-hoc* (only what is scanned), *filtered* (the variants whose name,
SKU or barcode contained a text when it started) or *full* (every tracked variant then). Each
:class:`CountLine` keeps the counted quantity (``None``: not counted yet) and the live balance
**when the line was first counted** (``expected``). Committing posts, per counted line,
``counted - expected`` applied to today's balance (``SET_COUNT`` with ``counted_against``), so POS
sales rung up between counting and committing are kept. Increases go SUPPLIER -> STORE, decreases
STORE -> BIN, all through ``InventoryService.record`` (the outbox: durable, batched, exactly once),
with the note ``count correction: <name> (count #<id>)`` in the history.

Rules: a line whose live balance moved since it was counted (*drift*) needs ``confirm_drift``;
uncounted variants of a full or filtered count are left alone unless ``zero_uncounted``; a
committed or abandoned count takes no more scans. Reference::

    book = CountBook(service)                     # or count_book(service): one per service
    session = book.start(scope=CountScope.FULL, blind=True)
    book.scan(session.id, "7310865004703")        # +1 (barcode, SKU); UnknownCode if not found
    book.outside_scope(session.id, key)           # a filtered / full count's list lacks it: ask
    book.add(session.id, key, 12) ; book.set_count(session.id, key, 40) ; book.remove_line(...)
    book.last_scans(session.id) ; book.remove_scan(session.id, scan_id)
    book.review(session.id)  -> list[ReviewLine]  # expected, counted, variance, live, drift
                                                  #   (no drift once committed: its own changes)
    book.plan_commit(session.id, zero_uncounted=False) -> CommitPlan
    await book.commit(session.id, confirm_drift=True) -> CommitResult
    book.export_csv(session.id, path)             # lines, then the unknown codes
"""

from __future__ import annotations

import csv
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

from zinv_tui.service.codes import scanned_code
from zinv_tui.service.count_store import CountStore, LineNames
from zinv_tui.service.csv_export import CsvTarget, csv_stream, spreadsheet_text
from zinv_tui.service.journal import OUTBOX_FILE, OutboxEntry
from zinv_tui.service.movements import MovementIntent, Reason
from zinv_tui.service.quantities import MAX_QUANTITY, too_large
from zinv_tui.service.row_text import row_matches, variant_label
from zinv_tui.service.rows import RowKey, StockRow
from zinv_tui.service.state_db import stored_time
from zinv_tui.service.wording import number, plural

MAX_NAME_LENGTH = 120
LAST_SCANS = 50


class CountScope(StrEnum):
    """What a count covers."""

    ADHOC = "adhoc"
    FILTERED = "filtered"
    FULL = "full"

    @property
    def title(self) -> str:  # type: ignore[override]  # a scope's words, not str.title()
        return {"adhoc": "ad-hoc", "filtered": "filtered", "full": "full"}[self.value]


class CountStatus(StrEnum):
    """Where a count stands. ``COMMITTING`` only between journaling and marking it done."""

    OPEN = "open"
    COMMITTING = "committing"
    COMMITTED = "committed"
    ABANDONED = "abandoned"


class CountError(ValueError):
    """A count operation that can't be done; the message says why in plain words."""


class UnknownCode(CountError):
    """No tracked variant has this barcode or SKU (kept in the session's unknown codes)."""

    def __init__(self, code: str, candidates: Sequence[StockRow] = ()) -> None:
        self.code = code
        self.candidates = list(candidates)
        if candidates:
            message = f"{code!r} matches {len(candidates)} variants - pick one with search"
        else:
            message = f"Nothing tracked has the code {code!r} - search by name, or skip it"
        super().__init__(message)


class DriftNotConfirmed(CountError):
    """Some counted lines' live balance moved since they were counted; ``lines`` lists them."""

    def __init__(self, lines: Sequence[ReviewLine]) -> None:
        self.lines = list(lines)
        super().__init__(
            f"{plural(len(self.lines), 'counted line')} changed since "
            "counting (sales or movements): confirm to apply the counts to today's balances"
        )


@dataclass(frozen=True, slots=True)
class CountSession:
    """One count: its name, scope, blind flag, status, who started it and how far it got."""

    id: int
    name: str
    scope: CountScope
    scope_filter: str
    blind: bool
    status: CountStatus
    created: datetime
    created_by: str
    closed: datetime | None
    closed_by: str
    counted_lines: int
    scope_lines: int
    place_uuid: str | None = None
    """The STORE place counted (None: begun before places were kept: the default STORE)."""

    @property
    def is_open(self) -> bool:
        return self.status is CountStatus.OPEN

    @property
    def tag(self) -> str:
        """Put in every correction's note, so the history says which count made it."""
        return f"(count #{self.id})"


@dataclass(frozen=True, slots=True)
class CountLine:
    """One variant of a count. ``counted`` None = not counted; ``expected`` = live balance when
    first counted (None until then); ``in_scope``: listed when a full / filtered count started."""

    key: RowKey
    product_name: str
    variant_name: str
    sku: str
    barcode: str
    in_scope: bool
    counted: int | None
    expected: int | None
    first_counted: datetime | None
    last_counted: datetime | None
    note: str

    @property
    def label(self) -> str:
        return variant_label(self.product_name, self.variant_name, unnamed=self.key[0])

    @property
    def is_counted(self) -> bool:
        return self.counted is not None

    @property
    def variance(self) -> int | None:
        """Counted minus expected (None while uncounted or when no balance was known)."""
        if self.counted is None or self.expected is None:
            return None
        return self.counted - self.expected


@dataclass(frozen=True, slots=True)
class CountScan:
    """One observation: ``add`` (a scan is +1, ``+N`` adds N) or ``set`` (exact total)."""

    id: int
    key: RowKey
    kind: str
    amount: int
    code: str
    created: datetime
    user: str


@dataclass(frozen=True, slots=True)
class ReviewLine:
    """A line with today's live balance: ``drift`` = live - expected (how much sales or other
    movements changed it since counting); ``live`` None when the variant is no longer tracked.
    ``settled``: the count was committed, so the live balance holds its own corrections and
    there is no drift to show."""

    line: CountLine
    live: int | None
    settled: bool = False

    @property
    def key(self) -> RowKey:
        return self.line.key

    @property
    def variance(self) -> int | None:
        return self.line.variance

    @property
    def drift(self) -> int | None:
        if self.settled:
            return None
        if self.line.counted is None or self.line.expected is None or self.live is None:
            return None
        return self.live - self.line.expected

    @property
    def has_drift(self) -> bool:
        return bool(self.drift)

    @property
    def after(self) -> int | None:
        """Today's balance after committing this line (uncounted lines: unchanged)."""
        if self.live is None:
            return None
        variance = self.variance
        return self.live if variance is None else self.live + variance


@dataclass(frozen=True, slots=True)
class CommitPlan:
    """What committing would post: lines up, lines down, the rest, and the drift to confirm."""

    intents: list[MovementIntent]
    increases: int
    decreases: int
    unchanged: int
    untouched: int
    zeroed: int
    units_up: int
    units_down: int
    drift: list[ReviewLine] = field(default_factory=list)
    not_tracked: list[CountLine] = field(default_factory=list)

    @property
    def movements(self) -> int:
        return self.increases + self.decreases

    def summary(self, amounts: bool = True) -> str:
        """One sentence: ``"3 increases (+14), 2 decreases (-5); 40 unchanged; 7 untouched."``
        (``amounts=False``: without the units, for a blind count not yet revealed)."""
        up = f" (+{number(self.units_up)})" if amounts else ""
        down = f" (-{number(self.units_down)})" if amounts else ""
        parts = [
            f"{plural(self.increases, 'increase')}{up}",
            f"{plural(self.decreases, 'decrease')}{down}",
        ]
        text = ", ".join(parts) + f"; {self.unchanged} unchanged"
        if self.zeroed:
            text += f"; {self.zeroed} uncounted set to 0"
        if self.untouched:
            text += f"; {self.untouched} uncounted left untouched"
        if self.not_tracked:
            text += f"; {len(self.not_tracked)} no longer tracked (skipped)"
        return text + "."


@dataclass(frozen=True, slots=True)
class CommitResult:
    """The committed session, its plan and the journaled corrections."""

    session: CountSession
    plan: CommitPlan
    entries: list[OutboxEntry]


def _session(row: tuple[Any, ...]) -> CountSession:
    return CountSession(
        id=row[0],
        name=row[1],
        scope=CountScope(row[2]),
        scope_filter=row[3],
        blind=bool(row[4]),
        status=CountStatus(row[5]),
        created=stored_time(row[6]),  # type: ignore[arg-type]
        created_by=row[7],
        closed=stored_time(row[8]),
        closed_by=row[9],
        counted_lines=int(row[10]),
        scope_lines=int(row[11]),
        place_uuid=row[12],
    )


def _line(row: tuple[Any, ...]) -> CountLine:
    return CountLine(
        key=(row[0], row[1]),
        product_name=row[2],
        variant_name=row[3],
        sku=row[4],
        barcode=row[5],
        in_scope=bool(row[6]),
        counted=row[7],
        expected=row[8],
        first_counted=stored_time(row[9]),
        last_counted=stored_time(row[10]),
        note=row[11],
    )


def _scan(row: tuple[Any, ...]) -> CountScan:
    return CountScan(
        id=row[0],
        key=(row[1], row[2]),
        kind=row[3],
        amount=row[4],
        code=row[5],
        created=stored_time(row[6]),  # type: ignore[arg-type]
        user=row[7],
    )


def _names(row: StockRow) -> LineNames:
    return (row.product_name, row.variant_name, row.sku or "", row.barcode or "")


def default_name(scope: CountScope, scope_filter: str = "", when: datetime | None = None) -> str:
    """``"Count 2026-11-23 full"`` / ``"... filtered 'tea'"``."""
    moment = (when or datetime.now()).strftime("%Y-%m-%d")
    scope_words = scope.title
    if scope is CountScope.FILTERED and scope_filter:
        scope_words += f" '{scope_filter}'"
    return f"Count {moment} {scope_words}"


class CountBook:
    """Count sessions of one service (one profile): start, scan, review, commit, export.

    Opens its own connection to ``service.state_dir / outbox.sqlite``; close it with
    :meth:`close` (or use :func:`count_book`, which keeps one per service and closes it with the
    service).
    """

    def __init__(self, service: Any, path: Path | str | None = None) -> None:
        self.service = service
        self._store = CountStore(Path(path) if path else Path(service.state_dir) / OUTBOX_FILE)

    def close(self) -> None:
        self._store.close()

    @property
    def _user(self) -> str:
        return str(getattr(self.service, "user", "") or "")

    @property
    def _rows(self) -> Mapping[RowKey, StockRow]:
        rows: Mapping[RowKey, StockRow] = self.service.rows
        return rows

    @property
    def _place(self) -> str | None:
        """The STORE place the service shows (what a count counts), when known."""
        store = getattr(self.service, "store", None)
        return getattr(store, "uuid", None)

    # -- sessions ------------------------------------------------------------------------------

    def start(
        self,
        name: str | None = None,
        scope: CountScope | str = CountScope.ADHOC,
        *,
        scope_filter: str = "",
        blind: bool = False,
    ) -> CountSession:
        """Open a new count. Full and filtered counts list their variants now (uncounted)."""
        scope = CountScope(scope)
        scope_filter = scope_filter.strip()
        if scope is CountScope.FILTERED and not scope_filter:
            raise CountError("A filtered count needs a filter (part of a name, SKU or barcode)")
        if scope is not CountScope.FILTERED:
            scope_filter = ""
        name = (name or "").strip() or default_name(scope, scope_filter)
        if len(name) > MAX_NAME_LENGTH:
            raise CountError(f"The name is longer than {MAX_NAME_LENGTH} characters")
        members: list[tuple[str, str, LineNames]] = []
        if scope is not CountScope.ADHOC:
            for key, row in self._rows.items():
                if scope is CountScope.FULL or row_matches(row, scope_filter):
                    members.append((key[0], key[1], _names(row)))
            if not members:
                raise CountError(
                    "Nothing tracked matches that filter"
                    if scope is CountScope.FILTERED
                    else "Nothing is tracked yet - start tracking products first"
                )
        session_id = self._store.create_session(
            name, scope.value, scope_filter, blind, self._user, members, self._place
        )
        return self.session(session_id)

    def session(self, session_id: int) -> CountSession:
        row = self._store.session_row(session_id)
        if row is None:
            raise CountError(f"There is no count #{session_id}")
        return _session(row)

    def sessions(
        self, status: CountStatus | Iterable[CountStatus] | None = None
    ) -> list[CountSession]:
        """Counts, newest first (all, or those with ``status``)."""
        if status is None:
            statuses = None
        elif isinstance(status, CountStatus):
            statuses = [status.value]
        else:
            statuses = [CountStatus(s).value for s in status]
        return [_session(row) for row in self._store.session_rows(statuses)]

    def rename(self, session_id: int, name: str) -> CountSession:
        name = name.strip()
        if not name or len(name) > MAX_NAME_LENGTH:
            raise CountError(f"A name has 1 to {MAX_NAME_LENGTH} characters")
        self._open(session_id)
        self._store.rename(session_id, name)
        return self.session(session_id)

    def abandon(self, session_id: int) -> CountSession:
        """Close the count without posting anything (its scans stay on disk)."""
        if not self._store.set_status(
            session_id, CountStatus.ABANDONED.value, [CountStatus.OPEN.value], self._user
        ):
            raise CountError(f"Count #{session_id} is not open")
        return self.session(session_id)

    def _open(self, session_id: int) -> None:
        status = self._store.status(session_id)
        if status is None:
            raise CountError(f"There is no count #{session_id}")
        if status != CountStatus.OPEN.value:
            raise CountError(f"Count #{session_id} is {status}, not open")

    # -- counting ------------------------------------------------------------------------------

    def resolve(self, code: str) -> StockRow:
        """The tracked variant with this barcode or SKU; :class:`UnknownCode` otherwise."""
        cleaned = scanned_code(code)
        if not cleaned:
            raise CountError("Nothing was scanned")
        found: list[StockRow] = self.service.find_rows(cleaned)
        if not found and len(cleaned) % 2 == 0 and cleaned[: len(cleaned) // 2] * 2 == cleaned:
            found = self.service.find_rows(cleaned[: len(cleaned) // 2])  # a doubled scan
        if len(found) == 1:
            return found[0]
        raise UnknownCode(cleaned, found)

    def scan(self, session_id: int, code: str) -> CountLine:
        """One scan of a barcode or SKU: +1 on its line. Unknown codes are kept and raised."""
        self._open(session_id)
        try:
            row = self.resolve(code)
        except UnknownCode as unknown:
            self._store.note_unknown(session_id, unknown.code)
            raise
        return self._observe(session_id, row.key, "add", 1, code=code.strip())

    def tally(self, session_id: int, key: RowKey, amount: int = 1, code: str = "") -> CountLine:
        """Add ``amount`` (default one scan) to a variant's count."""
        return self.add(session_id, key, amount, code=code)

    def add(self, session_id: int, key: RowKey, amount: int, *, code: str = "") -> CountLine:
        """Add ``amount`` (1 to a million) to the line."""
        _check_amount(amount, minimum=1)
        self._open(session_id)
        return self._observe(session_id, key, "add", amount, code=code)

    def set_count(self, session_id: int, key: RowKey, count: int) -> CountLine:
        """Set the line's exact total (0 allowed: counted and none found)."""
        _check_amount(count, minimum=0)
        self._open(session_id)
        return self._observe(session_id, key, "set", count, code="")

    def _observe(
        self, session_id: int, key: RowKey, kind: str, amount: int, code: str
    ) -> CountLine:
        row = self._rows.get(key)
        existing = self._store.line_row(session_id, *key)
        if row is None and existing is None:
            raise CountError("That variant is not tracked - start tracking its product first")
        if row is not None:
            names = _names(row)
        else:
            assert existing is not None
            names = (existing[2], existing[3], existing[4], existing[5])
        expected_now = row.shown_balance if row is not None else None
        self._store.add_scan(session_id, key, names, kind, amount, code, self._user, expected_now)
        return self.line(session_id, key)

    def remove_line(self, session_id: int, key: RowKey) -> None:
        """Forget every scan of the line (it becomes uncounted; ad-hoc lines disappear)."""
        self._open(session_id)
        self._store.remove_scans(session_id, None, key)

    def remove_scan(self, session_id: int, scan_id: int) -> CountLine | None:
        """Take back one scan (a wrong one); returns the line after, None if it went away."""
        self._open(session_id)
        found = self._store.scan_row(session_id, scan_id)
        if found is None:
            raise CountError("That scan was already removed")
        scan = _scan(found)
        self._store.remove_scans(session_id, [scan_id], scan.key)
        return self.line_or_none(session_id, scan.key)

    def set_note(self, session_id: int, key: RowKey, note: str) -> None:
        self._open(session_id)
        self._store.set_note(session_id, key, note.strip()[:200])

    def line(self, session_id: int, key: RowKey) -> CountLine:
        found = self.line_or_none(session_id, key)
        if found is None:
            raise CountError("That variant is not part of this count")
        return found

    def line_or_none(self, session_id: int, key: RowKey) -> CountLine | None:
        row = self._store.line_row(session_id, *key)
        return None if row is None else _line(row)

    def lines(self, session_id: int) -> list[CountLine]:
        """Every line (counted or in scope), by name."""
        return [_line(row) for row in self._store.line_rows(session_id)]

    def last_scans(self, session_id: int, limit: int | None = LAST_SCANS) -> list[CountScan]:
        """The latest scans (not removed), newest first."""
        return [_scan(row) for row in self._store.scan_rows(session_id, limit)]

    def outside_scope(self, session_id: int, key: RowKey) -> bool:
        """True when a filtered or full count did not list this variant when it started (a scan
        of it is probably from another shelf: ask before counting it)."""
        session = self.session(session_id)
        if session.scope is CountScope.ADHOC:
            return False
        line = self.line_or_none(session_id, key)
        return line is None or not line.in_scope

    def note_unknown(self, session_id: int, code: str) -> None:
        """Keep a code that matched nothing (for the report), when it was resolved elsewhere."""
        self._open(session_id)
        self._store.note_unknown(session_id, code.strip())

    def unknown_codes(self, session_id: int) -> list[tuple[str, int]]:
        """Codes scanned that matched nothing: ``(code, times)``, oldest first."""
        return self._store.unknown_rows(session_id)

    # -- review and commit -----------------------------------------------------------------------

    def review(self, session_id: int) -> list[ReviewLine]:
        """Every line with its live balance now (drift shows what moved since counting; none
        for a committed count, whose corrections are in the live balance)."""
        rows = self._rows
        settled = self._store.status(session_id) == CountStatus.COMMITTED.value
        found: list[ReviewLine] = []
        for line in self.lines(session_id):
            row = rows.get(line.key)
            live = row.shown_balance if row is not None else None
            found.append(ReviewLine(line, live, settled))
        return found

    def uncounted(self, session_id: int) -> list[ReviewLine]:
        """In-scope lines of a full or filtered count not counted yet."""
        return [item for item in self.review(session_id) if not item.line.is_counted]

    def plan_commit(
        self,
        session_id: int,
        *,
        zero_uncounted: bool = False,
        review: Sequence[ReviewLine] | None = None,
    ) -> CommitPlan:
        """What :meth:`commit` would post now (nothing is written); ``review``: lines just read
        with :meth:`review` (saves reading them again)."""
        session = self.session(session_id)
        intents: list[MovementIntent] = []
        increases = decreases = unchanged = untouched = zeroed = up = down = 0
        drift: list[ReviewLine] = []
        not_tracked: list[CountLine] = []
        note = _note(session)
        for item in self.review(session_id) if review is None else review:
            line = item.line
            if not line.is_counted:
                if not zero_uncounted:
                    untouched += 1
                    continue
                if item.live is None:
                    not_tracked.append(line)
                    continue
                if item.live == 0:
                    unchanged += 1
                    continue
                intents.append(MovementIntent(Reason.SET_COUNT, line.key, count=0, note=note))
                zeroed += 1
                if item.live > 0:
                    decreases += 1
                    down += item.live
                else:
                    increases += 1
                    up -= item.live
                continue
            if item.live is None or line.expected is None:
                not_tracked.append(line)
                continue
            assert line.counted is not None
            if item.has_drift:
                drift.append(item)
            variance = line.counted - line.expected
            if variance == 0:
                unchanged += 1
                continue
            intents.append(
                MovementIntent(
                    Reason.SET_COUNT,
                    line.key,
                    count=line.counted,
                    counted_against=line.expected,
                    note=note,
                )
            )
            if variance > 0:
                increases += 1
                up += variance
            else:
                decreases += 1
                down -= variance
        return CommitPlan(
            intents, increases, decreases, unchanged, untouched, zeroed, up, down, drift,
            not_tracked,
        )  # fmt: skip

    async def commit(
        self, session_id: int, *, confirm_drift: bool = False, zero_uncounted: bool = False
    ) -> CommitResult:
        """Post the corrections through the outbox and close the count.

        Raises :class:`DriftNotConfirmed` when a counted line's balance moved since counting and
        ``confirm_drift`` is False. Crash-safe: a count left ``committing`` by a crash after its
        corrections were journaled is closed without posting them twice.
        """
        session = self.session(session_id)
        if session.status is CountStatus.COMMITTING:
            done = self._journaled(session)
            if done:
                self._store.set_status(
                    session_id, CountStatus.COMMITTED.value, [CountStatus.COMMITTING.value],
                    self._user,
                )  # fmt: skip
                plan = self.plan_commit(session_id, zero_uncounted=zero_uncounted)
                return CommitResult(self.session(session_id), plan, done)
            self._store.set_status(
                session_id, CountStatus.OPEN.value, [CountStatus.COMMITTING.value]
            )
            session = self.session(session_id)
        if session.status is not CountStatus.OPEN:
            raise CountError(f"Count #{session_id} is {session.status.value}, not open")
        place = self._place
        if session.place_uuid is not None and place is not None and session.place_uuid != place:
            named = getattr(self.service, "store_name", None)
            where = named(session.place_uuid) if callable(named) else session.place_uuid
            raise CountError(
                f"Count #{session_id} counts the stock of {where}, not of the store shown - "
                "switch to that store to commit it"
            )
        plan = self.plan_commit(session_id, zero_uncounted=zero_uncounted)
        if session.place_uuid is not None:  # never recorded against another store
            plan = replace(
                plan, intents=[replace(i, store=session.place_uuid) for i in plan.intents]
            )
        if plan.drift and not confirm_drift:
            raise DriftNotConfirmed(plan.drift)
        if not self._store.set_status(
            session_id, CountStatus.COMMITTING.value, [CountStatus.OPEN.value]
        ):
            raise CountError(f"Count #{session_id} is being committed elsewhere")
        try:
            entries = await self.service.record(plan.intents) if plan.intents else []
        except BaseException:
            self._store.set_status(
                session_id, CountStatus.OPEN.value, [CountStatus.COMMITTING.value]
            )
            raise
        self._store.set_status(
            session_id, CountStatus.COMMITTED.value, [CountStatus.COMMITTING.value], self._user
        )
        return CommitResult(self.session(session_id), plan, list(entries))

    def _journaled(self, session: CountSession) -> list[OutboxEntry]:
        """Corrections already in the history for this count (after a crash mid-commit)."""
        return [
            entry
            for entry in self.service.history(text=session.tag)
            if entry.reason is Reason.SET_COUNT and entry.note.endswith(session.tag)
        ]

    def corrections(self, session_id: int) -> list[OutboxEntry]:
        """The history entries a committed count posted."""
        return self._journaled(self.session(session_id))

    # -- report ----------------------------------------------------------------------------------

    def export_csv(self, session_id: int, target: CsvTarget) -> int:
        """Write the count report to a file or text stream: one row per line, then one per unknown
        code (``counted``: how often it was scanned, ``counted_yes_no``: ``unknown code``);
        returns the rows written."""
        session = self.session(session_id)
        items = self.review(session_id)
        unknown = self.unknown_codes(session_id)
        with csv_stream(target) as handle:
            writer = csv.writer(handle)
            writer.writerow(REPORT_COLUMNS)
            for item in items:
                line = item.line
                writer.writerow(
                    (
                        session.id,
                        spreadsheet_text(session.name),
                        spreadsheet_text(line.product_name),
                        spreadsheet_text(line.variant_name),
                        spreadsheet_text(line.sku),
                        spreadsheet_text(line.barcode),
                        _number(line.expected),
                        _number(line.counted),
                        _number(item.variance),
                        _number(item.live),
                        _number(item.drift),
                        "yes" if line.is_counted else "no",
                        line.last_counted.isoformat(timespec="seconds")
                        if line.last_counted
                        else "",
                        spreadsheet_text(line.note),
                        line.key[0],
                        line.key[1],
                    )
                )
            for code, times in unknown:
                writer.writerow(
                    (
                        session.id,
                        spreadsheet_text(session.name),
                        "", "", "",
                        spreadsheet_text(code),
                        "", times, "", "", "",
                        UNKNOWN_CODE,
                        "", "matched no tracked variant; not counted", "", "",
                    )
                )  # fmt: skip
        return len(items) + len(unknown)


UNKNOWN_CODE = "unknown code"
"""``counted_yes_no`` of a report row for a scanned code that matched nothing (in ``barcode``)."""
REPORT_COLUMNS = (
    "count_id",
    "count_name",
    "product",
    "variant",
    "sku",
    "barcode",
    "expected_at_count",
    "counted",
    "variance",
    "live_balance",
    "drift",
    "counted_yes_no",
    "last_counted",
    "note",
    "product_uuid",
    "variant_uuid",
)


def _number(value: int | None) -> int | str:
    return "" if value is None else value


def _note(session: CountSession) -> str:
    return f"count correction: {session.name} {session.tag}"


def _check_amount(value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CountError("Counts are whole numbers")
    if value < minimum:
        raise CountError("Enter a number above 0" if minimum else "Enter a number, 0 or more")
    if value > MAX_QUANTITY:
        raise CountError(too_large(value))


_BOOKS: weakref.WeakKeyDictionary[Any, CountBook] = weakref.WeakKeyDictionary()


def count_book(service: Any) -> CountBook:
    """The :class:`CountBook` of ``service``: made on first use, closed (and forgotten) when the
    service's journal closes, i.e. on ``await service.stop()``."""
    book = _BOOKS.get(service)
    if book is None:
        book = CountBook(service)
        _BOOKS[service] = book
        journal = getattr(service, "journal", None)
        if journal is not None and hasattr(journal, "on_close"):
            journal.on_close(partial(_close_book, service))
    return book


def _close_book(service: Any) -> None:
    book = _BOOKS.pop(service, None)
    if book is not None:
        book.close()
