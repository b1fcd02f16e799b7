"""Receiving a delivery against a purchase order, like a count: scan or type what arrived.

A receipt belongs to one order (one open receipt per order at a time). Each line has the units
that arrived sellable (``good``) and unsellable (``damaged``); every scan (+1) and typed amount is
appended to ``receipt_scans`` first, so a crash or a dropped SSH session loses nothing and the
last scan can be taken back. Items not on the order may be received too (a substitution: an
*extra* line). Against the order a line is *short* (less than still expected), *complete*,
*over* (more arrived: allowed, flagged, and it never completes another line) or *extra*.

Committing posts the good units as SUPPLIER -> STORE movements (reason ``RESTOCK``) through
``InventoryService.record``, i.e. the outbox (durable, sent exactly once), each with the note
``received <order name> (<receipt tag>)``; damaged units are not booked (claim them from the
supplier). The order then is ``received`` when nothing is left to come, else ``partial`` (the rest
stays on order), or ``closed`` with ``close_short``. The receipt goes ``open -> committing ->
committed``; a crash between the journal and ``committed`` is mended on the next open: the
movements are found in the journal by the receipt's tag and never posted twice.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from zinv_tui.service.journal import OutboxEntry, OutboxStatus
from zinv_tui.service.movements import MovementIntent, Reason
from zinv_tui.service.purchase_orders import OrderError, OrderLine, OrderStatus, PurchaseOrders
from zinv_tui.service.quantities import MAX_QUANTITY, too_large
from zinv_tui.service.rows import RowKey, StockRow
from zinv_tui.service.state_db import Transaction, stored_time
from zinv_tui.service.wording import plural


class ReceiptStatus(StrEnum):
    OPEN = "open"
    COMMITTING = "committing"
    COMMITTED = "committed"
    ABANDONED = "abandoned"


class LineState(StrEnum):
    NOT_RECEIVED = "not received"
    SHORT = "short"
    COMPLETE = "complete"
    OVER = "over"
    EXTRA = "extra"


class ReceivingError(ValueError):
    """A receiving step that is not allowed; the message says why."""


class UnknownItem(ReceivingError):
    """A scanned or typed code that matches no tracked variant (or several, none on the order)."""

    def __init__(self, code: str, candidates: Sequence[StockRow] = ()) -> None:
        self.code = code
        self.candidates = list(candidates)
        what = "several items" if candidates else "no tracked item"
        super().__init__(f"{code!r} matches {what}")


@dataclass(frozen=True, slots=True)
class Receipt:
    id: int
    order_id: int
    tag: str
    status: ReceiptStatus
    created: datetime
    created_by: str
    committed: datetime | None
    close_short: bool


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    """What arrived of one variant in this receipt."""

    product_uuid: str
    variant_uuid: str
    product_name: str
    variant_name: str
    sku: str
    barcode: str
    good: int
    damaged: int
    note: str

    @property
    def key(self) -> RowKey:
        return (self.product_uuid, self.variant_uuid)


@dataclass(frozen=True, slots=True)
class ReceivingLine:
    """One line of the receipt's review: the order's view and this delivery's."""

    key: RowKey
    label: str
    ordered: int
    expected: int
    """Still expected before this receipt (ordered less earlier receipts)."""
    good: int
    damaged: int
    state: LineState

    @property
    def still_expected(self) -> int:
        """What stays on order after this receipt (unless the order is closed short)."""
        return max(0, self.expected - self.good - self.damaged)


@dataclass(frozen=True, slots=True)
class ReceiptPlan:
    """What committing would do: the movements, and the lines by state."""

    lines: list[ReceivingLine]
    intents: list[MovementIntent]

    def count(self, state: LineState) -> int:
        return sum(1 for line in self.lines if line.state is state)

    @property
    def good_units(self) -> int:
        return sum(line.good for line in self.lines)

    @property
    def damaged_units(self) -> int:
        return sum(line.damaged for line in self.lines)

    def summary(self) -> str:
        """``"24 units into stock on 3 lines; 1 short, 1 over, 2 damaged"``."""
        booked = len(self.intents)
        text = f"{plural(self.good_units, 'unit')} into stock on {plural(booked, 'line')}"
        notes = [
            f"{self.count(state)} {state.value}"
            for state in (LineState.SHORT, LineState.NOT_RECEIVED, LineState.OVER, LineState.EXTRA)
            if self.count(state)
        ]
        if self.damaged_units:
            notes.append(f"{self.damaged_units} damaged (not booked)")
        return text + ("; " + ", ".join(notes) if notes else "")


@dataclass(frozen=True, slots=True)
class ReceiptResult:
    receipt: Receipt
    plan: ReceiptPlan
    entries: list[OutboxEntry]
    order_status: OrderStatus


_RECEIPT_COLUMNS = "id, order_id, tag, status, created, created_by, committed, close_short"
_LINE_COLUMNS = (
    "product_uuid, variant_uuid, product_name, variant_name, sku, barcode, good, damaged, note"
)


def _receipt(row: tuple[Any, ...]) -> Receipt:
    return Receipt(
        id=row[0],
        order_id=row[1],
        tag=row[2],
        status=ReceiptStatus(row[3]),
        created=datetime.fromtimestamp(row[4], UTC),
        created_by=row[5],
        committed=stored_time(row[6]),
        close_short=bool(row[7]),
    )


def _check_amount(value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ReceivingError("Received quantities are whole numbers")
    if value < minimum:
        raise ReceivingError("Enter a number above 0" if minimum else "Enter 0 or more")
    if value > MAX_QUANTITY:
        raise ReceivingError(too_large(value))
    return value


def _state(ordered: int, expected: int, arrived: int, on_order: bool) -> LineState:
    if not on_order:
        return LineState.EXTRA
    if arrived == 0:
        return LineState.NOT_RECEIVED if expected else LineState.COMPLETE
    if arrived < expected:
        return LineState.SHORT
    if arrived > expected:
        return LineState.OVER
    return LineState.COMPLETE


class Receiving:
    """Receipts of one profile's purchase orders. ``service`` is its ``InventoryService``
    (rows to resolve codes, ``record`` and ``history`` for the outbox)."""

    def __init__(self, db: sqlite3.Connection, service: Any, orders: PurchaseOrders) -> None:
        self._db = db
        self.service = service
        self.orders = orders

    @property
    def _user(self) -> str:
        return str(getattr(self.service, "user", "") or "")

    # -- receipts --------------------------------------------------------------------------------

    def receipt(self, receipt_id: int) -> Receipt:
        row = self._db.execute(
            f"SELECT {_RECEIPT_COLUMNS} FROM receipts WHERE id = ?", (receipt_id,)
        ).fetchone()
        if row is None:
            raise ReceivingError(f"No receipt #{receipt_id}")
        return _receipt(row)

    def receipts(self, order_id: int) -> list[Receipt]:
        """An order's receipts, oldest first."""
        return [
            _receipt(row)
            for row in self._db.execute(
                f"SELECT {_RECEIPT_COLUMNS} FROM receipts WHERE order_id = ? ORDER BY id",
                (order_id,),
            )
        ]

    def start(self, order_id: int) -> Receipt:
        """The order's open receipt, or a new one (the order must be ordered or partial)."""
        order = self.orders.order(order_id)
        if not order.status.is_open:
            raise ReceivingError(
                f"{order.name} is {order.status.value}: only ordered or partly received orders "
                "can be received"
            )
        with Transaction(self._db):
            row = self._db.execute(
                f"SELECT {_RECEIPT_COLUMNS} FROM receipts WHERE order_id = ? AND status IN "
                "('open', 'committing') ORDER BY id LIMIT 1",
                (order_id,),
            ).fetchone()
            if row is not None:
                return _receipt(row)
            cursor = self._db.execute(
                "INSERT INTO receipts (order_id, tag, status, created, created_by) "
                "VALUES (?, ?, 'open', ?, ?)",
                (order_id, f"receipt {secrets.token_hex(4)}", time.time(), self._user),
            )
        assert cursor.lastrowid is not None
        return self.receipt(cursor.lastrowid)

    def abandon(self, receipt_id: int) -> Receipt:
        """Drop an open receipt (nothing was booked)."""
        self._db.execute(
            "UPDATE receipts SET status = 'abandoned' WHERE id = ? AND status = 'open'",
            (receipt_id,),
        )
        return self.receipt(receipt_id)

    def _open(self, receipt_id: int) -> Receipt:
        receipt = self.receipt(receipt_id)
        if receipt.status is not ReceiptStatus.OPEN:
            raise ReceivingError(f"Receipt #{receipt_id} is {receipt.status.value}, not open")
        return receipt

    # -- lines -----------------------------------------------------------------------------------

    def lines(self, receipt_id: int) -> list[ReceiptLine]:
        return [
            ReceiptLine(*row)
            for row in self._db.execute(
                f"SELECT {_LINE_COLUMNS} FROM receipt_lines WHERE receipt_id = ?", (receipt_id,)
            )
        ]

    def _line(self, receipt_id: int, variant_uuid: str) -> ReceiptLine | None:
        row = self._db.execute(
            f"SELECT {_LINE_COLUMNS} FROM receipt_lines WHERE receipt_id = ? AND variant_uuid = ?",
            (receipt_id, variant_uuid),
        ).fetchone()
        return ReceiptLine(*row) if row else None

    def last_key(self, receipt_id: int) -> RowKey | None:
        """The variant of the latest scan or typed amount still standing (None: none yet)."""
        row = self._db.execute(
            "SELECT rl.product_uuid, rl.variant_uuid FROM receipt_scans s JOIN receipt_lines rl "
            "ON rl.receipt_id = s.receipt_id AND rl.variant_uuid = s.variant_uuid "
            "WHERE s.receipt_id = ? AND s.removed = 0 ORDER BY s.id DESC LIMIT 1",
            (receipt_id,),
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def resolve(self, receipt_id: int, code: str) -> StockRow:
        """The tracked variant a scanned or typed code names (SKU, barcode, UUID); when several
        match, the one on the order."""
        rows: list[StockRow] = self.service.find_rows(code)
        if len(rows) == 1:
            return rows[0]
        if rows:
            on_order = {line.variant_uuid for line in self._order_lines(receipt_id)}
            chosen = [row for row in rows if row.variant_uuid in on_order]
            if len(chosen) == 1:
                return chosen[0]
        raise UnknownItem(code.strip(), rows)

    def _order_lines(self, receipt_id: int) -> list[OrderLine]:
        return self.orders.lines(self.receipt(receipt_id).order_id)

    def _names(self, receipt_id: int, key: RowKey) -> tuple[str, str, str, str]:
        row = self.service.rows.get(key)
        if row is not None:
            return (row.product_name, row.variant_name, row.sku, row.barcode)
        for line in self._order_lines(receipt_id):
            if line.variant_uuid == key[1]:
                return (line.product_name, line.variant_name, line.sku, line.barcode)
        return (key[0], "", "", "")

    def _change(
        self, receipt_id: int, key: RowKey, field: str, kind: str, amount: int, code: str = ""
    ) -> ReceiptLine:
        with Transaction(self._db):
            self._open(receipt_id)
            line = self._line(receipt_id, key[1])
            previous = 0 if line is None else (line.good if field == "good" else line.damaged)
            value = previous + amount if kind == "add" else amount
            _check_amount(value, 0)
            if line is None:
                self._db.execute(
                    "INSERT INTO receipt_lines (receipt_id, product_uuid, variant_uuid, "
                    "product_name, variant_name, sku, barcode) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (receipt_id, key[0], key[1], *self._names(receipt_id, key)),
                )
            self._db.execute(
                f"UPDATE receipt_lines SET {field} = ? WHERE receipt_id = ? AND variant_uuid = ?",
                (value, receipt_id, key[1]),
            )
            self._db.execute(
                "INSERT INTO receipt_scans (receipt_id, variant_uuid, field, kind, amount, "
                "previous, code, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (receipt_id, key[1], field, kind, amount, previous, code, time.time()),
            )
        found = self._line(receipt_id, key[1])
        assert found is not None
        return found

    def scan(self, receipt_id: int, code: str, *, damaged: bool = False) -> ReceiptLine:
        """One unit of the item a code names arrived (good, or ``damaged``)."""
        row = self.resolve(receipt_id, code)
        field = "damaged" if damaged else "good"
        return self._change(receipt_id, row.key, field, "add", 1, code.strip())

    def add(
        self, receipt_id: int, key: RowKey, amount: int, *, damaged: bool = False
    ) -> ReceiptLine:
        """``amount`` more units of a variant arrived."""
        _check_amount(amount, 1)
        return self._change(receipt_id, key, "damaged" if damaged else "good", "add", amount)

    def set_received(
        self, receipt_id: int, key: RowKey, *, good: int | None = None, damaged: int | None = None
    ) -> ReceiptLine:
        """Set what arrived of a variant (either number may be left as it is)."""
        line: ReceiptLine | None = None
        if good is not None:
            line = self._change(receipt_id, key, "good", "set", _check_amount(good, 0))
        if damaged is not None:
            line = self._change(receipt_id, key, "damaged", "set", _check_amount(damaged, 0))
        if line is None:
            raise ReceivingError("Give the good or the damaged quantity")
        return line

    def receive_all(self, receipt_id: int) -> list[ReceiptLine]:
        """Everything still expected arrived, in good order (lines already typed are kept)."""
        for order_line in self._order_lines(receipt_id):
            line = self._line(receipt_id, order_line.variant_uuid)
            if line is None and order_line.remaining:
                self._change(receipt_id, order_line.key, "good", "set", order_line.remaining)
        return self.lines(receipt_id)

    def take_back(self, receipt_id: int) -> ReceiptLine | None:
        """Undo the last scan or typed amount; the line as it is now (None: nothing to undo)."""
        with Transaction(self._db):
            self._open(receipt_id)
            row = self._db.execute(
                "SELECT id, variant_uuid, field, previous FROM receipt_scans WHERE receipt_id = ? "
                "AND removed = 0 ORDER BY id DESC LIMIT 1",
                (receipt_id,),
            ).fetchone()
            if row is None:
                return None
            scan_id, variant, field, previous = row
            self._db.execute(
                f"UPDATE receipt_lines SET {field} = ? WHERE receipt_id = ? AND variant_uuid = ?",
                (previous, receipt_id, variant),
            )
            self._db.execute("UPDATE receipt_scans SET removed = 1 WHERE id = ?", (scan_id,))
            self._db.execute(
                "DELETE FROM receipt_lines WHERE receipt_id = ? AND variant_uuid = ? "
                "AND good = 0 AND damaged = 0",
                (receipt_id, variant),
            )
        return self._line(receipt_id, variant)

    # -- review and commit -----------------------------------------------------------------------

    def plan(self, receipt_id: int) -> ReceiptPlan:
        """The review of a receipt: every order line and extra line, and the movements."""
        receipt = self.receipt(receipt_id)
        order = self.orders.order(receipt.order_id)
        arrived = {line.variant_uuid: line for line in self.lines(receipt_id)}
        before = self._arrived_before(receipt)
        note = f"received {order.name} ({receipt.tag})"
        lines: list[ReceivingLine] = []
        intents: list[MovementIntent] = []
        for order_line in self.orders.lines(receipt.order_id):
            good, damaged = before.get(order_line.variant_uuid, (0, 0))
            expected = max(0, order_line.ordered - good - damaged)
            line = arrived.pop(order_line.variant_uuid, None)
            now_good = line.good if line else 0
            now_damaged = line.damaged if line else 0
            lines.append(
                ReceivingLine(
                    order_line.key,
                    order_line.label,
                    order_line.ordered,
                    expected,
                    now_good,
                    now_damaged,
                    _state(order_line.ordered, expected, now_good + now_damaged, True),
                )
            )
        for line in arrived.values():
            label = (
                f"{line.product_name} / {line.variant_name}"
                if line.variant_name
                else (line.product_name)
            )
            lines.append(
                ReceivingLine(line.key, label, 0, 0, line.good, line.damaged, LineState.EXTRA)
            )
        for item in lines:
            if item.good > 0:
                intents.append(
                    MovementIntent(Reason.RESTOCK, item.key, quantity=item.good, note=note)
                )
        return ReceiptPlan(lines, intents)

    def _arrived_before(self, receipt: Receipt) -> Mapping[str, tuple[int, int]]:
        """Per variant, good and damaged units of the order's other booked receipts."""
        return {
            variant: (good, damaged)
            for variant, good, damaged in self._db.execute(
                "SELECT rl.variant_uuid, SUM(rl.good), SUM(rl.damaged) FROM receipt_lines rl "
                "JOIN receipts r ON r.id = rl.receipt_id WHERE r.order_id = ? AND r.id != ? "
                "AND r.status IN ('committed', 'committing') GROUP BY rl.variant_uuid",
                (receipt.order_id, receipt.id),
            )
        }

    def _journaled(self, receipt: Receipt) -> list[OutboxEntry]:
        """Movements this receipt already put in the journal (after a crash mid-commit)."""
        return [
            entry
            for entry in self.service.history(text=receipt.tag)
            if entry.reason is Reason.RESTOCK
            and entry.note.endswith(f"({receipt.tag})")
            and entry.status is not OutboxStatus.CANCELLED
        ]

    def _set_status(
        self, receipt_id: int, status: ReceiptStatus, expected: ReceiptStatus, **extra: object
    ) -> bool:
        sets = ", ".join(["status = ?", *(f"{name} = ?" for name in extra)])
        cursor = self._db.execute(
            f"UPDATE receipts SET {sets} WHERE id = ? AND status = ?",
            (status.value, *extra.values(), receipt_id, expected.value),
        )
        return cursor.rowcount == 1

    def recover(self) -> list[Receipt]:
        """Mend receipts a crash left ``committing``: committed when their movements are in the
        journal (never posted again), open again when they are not. Returns those mended."""
        mended = []
        for (receipt_id,) in self._db.execute(
            "SELECT id FROM receipts WHERE status = 'committing'"
        ).fetchall():
            receipt = self.receipt(receipt_id)
            if self._journaled(receipt) or not self.plan(receipt_id).intents:
                self._set_status(
                    receipt_id,
                    ReceiptStatus.COMMITTED,
                    ReceiptStatus.COMMITTING,
                    committed=time.time(),
                )
                self.orders.settle(receipt.order_id, close_short=receipt.close_short)
            else:
                self._set_status(receipt_id, ReceiptStatus.OPEN, ReceiptStatus.COMMITTING)
            mended.append(self.receipt(receipt_id))
        return mended

    async def commit(self, receipt_id: int, *, close_short: bool = False) -> ReceiptResult:
        """Book the good units into stock through the outbox and settle the order.

        ``close_short``: what did not arrive is no longer expected (the order closes). Raises
        :class:`ReceivingError` for an empty receipt, and whatever ``service.record`` raises
        (``MovementRejected``: e.g. a variant no longer tracked; nothing is booked then).
        """
        receipt = self.receipt(receipt_id)
        if receipt.status is ReceiptStatus.COMMITTING:
            self.recover()
            receipt = self.receipt(receipt_id)
        if receipt.status is ReceiptStatus.COMMITTED:
            plan = self.plan(receipt_id)
            status = self.orders.order(receipt.order_id).status
            return ReceiptResult(receipt, plan, self._journaled(receipt), status)
        self._open(receipt_id)
        plan = self.plan(receipt_id)
        if not plan.intents and not close_short and not plan.damaged_units:
            raise ReceivingError("Nothing received yet - scan or type what arrived")
        order = self.orders.order(receipt.order_id)
        if not order.status.is_open:
            raise OrderError(f"{order.name} is {order.status.value}: it can't be received")
        if not self._set_status(
            receipt_id,
            ReceiptStatus.COMMITTING,
            ReceiptStatus.OPEN,
            close_short=int(close_short),
        ):
            raise ReceivingError(f"Receipt #{receipt_id} is being committed elsewhere")
        try:
            entries = await self.service.record(plan.intents) if plan.intents else []
        except BaseException:
            self._set_status(receipt_id, ReceiptStatus.OPEN, ReceiptStatus.COMMITTING)
            raise
        # Unconditional (from committing, or open if another process "mended" it meanwhile):
        # the movements are journaled, so the receipt is committed whatever happened since.
        self._db.execute(
            "UPDATE receipts SET status = 'committed', committed = ? WHERE id = ? "
            "AND status IN ('committing', 'open')",
            (time.time(), receipt_id),
        )
        settled = self.orders.settle(receipt.order_id, close_short=close_short)
        return ReceiptResult(self.receipt(receipt_id), plan, list(entries), settled.status)
