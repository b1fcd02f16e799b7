"""Purchase orders: what was ordered from which supplier, what is still on its way.

Zettle has no purchase orders, so they are local documents in ``reorder.sqlite``. An order is
``draft`` (being put together; not on order yet), ``ordered`` (sent or exported: its lines count as
on order), ``partial`` (some of it arrived), ``received`` (everything arrived), ``closed`` (closed
short: what did not arrive is no longer expected) or ``cancelled``. Quantities are whole units;
with a pack size they are whole packs. What a line still expects is ``ordered - good - damaged``
over its committed receipts (:mod:`zinv_tui.service.receiving`); **on order** for a variant sums
that over every ordered or partial order, whatever its expected date (subtracting only orders
"due soon" is how other tools end up ordering twice).
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from zinv_tui.service import journal_entries
from zinv_tui.service.csv_export import spreadsheet_text
from zinv_tui.service.quantities import MAX_QUANTITY, too_large
from zinv_tui.service.rows import RowKey, StockRow
from zinv_tui.service.state_db import Transaction, stored_time
from zinv_tui.service.stock_value import money

MAX_NAME_LENGTH = 60
MAX_NOTE_LENGTH = 500


class OrderStatus(StrEnum):
    DRAFT = "draft"
    ORDERED = "ordered"
    PARTIAL = "partial"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """Its lines are on order (sent, not all arrived, not closed)."""
        return self in (OrderStatus.ORDERED, OrderStatus.PARTIAL)

    @property
    def editable(self) -> bool:
        """Lines may still change (nothing has arrived yet)."""
        return self in (OrderStatus.DRAFT, OrderStatus.ORDERED)


OPEN_STATUSES = tuple(status.value for status in OrderStatus if status.is_open)
COUNTED_RECEIPTS = ("committed", "committing")
"""Receipts whose units are (being) booked into stock: they no longer count as on order."""


class OrderError(ValueError):
    """An order operation that is not allowed; the message says why."""


@dataclass(frozen=True, slots=True)
class PurchaseOrder:
    id: int
    name: str
    supplier: str
    status: OrderStatus
    created: datetime
    created_by: str
    ordered: datetime | None
    expected: str | None
    closed: datetime | None
    note: str


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One variant of an order, with what arrived of it so far (committed receipts)."""

    order_id: int
    product_uuid: str
    variant_uuid: str
    product_name: str
    variant_name: str
    sku: str
    barcode: str
    supplier_code: str
    ordered: int
    pack_size: int
    unit_cost: int | None
    received: int = 0
    damaged: int = 0

    @property
    def key(self) -> RowKey:
        return (self.product_uuid, self.variant_uuid)

    @property
    def label(self) -> str:
        return (
            f"{self.product_name} / {self.variant_name}"
            if self.variant_name
            else (self.product_name)
        )

    @property
    def remaining(self) -> int:
        """Units still expected (never below zero: an over-delivery covers only its own line)."""
        return max(0, self.ordered - self.received - self.damaged)

    @property
    def packs(self) -> float:
        return self.ordered / max(1, self.pack_size)


_ORDER_COLUMNS = "id, name, supplier, status, created, created_by, ordered, expected, closed, note"
_LINE_COLUMNS = (
    "l.order_id, l.product_uuid, l.variant_uuid, l.product_name, l.variant_name, l.sku, "
    "l.barcode, l.supplier_code, l.ordered, l.pack_size, l.unit_cost"
)
_ARRIVED = (
    "SELECT r.order_id, rl.variant_uuid, SUM(rl.good) AS good, SUM(rl.damaged) AS damaged "
    "FROM receipt_lines rl JOIN receipts r ON r.id = rl.receipt_id "
    f"WHERE r.status IN ({', '.join(repr(s) for s in COUNTED_RECEIPTS)}) "
    "GROUP BY r.order_id, rl.variant_uuid"
)

EXPORT_COLUMNS = (
    "order",
    "supplier",
    "supplier_code",
    "sku",
    "barcode",
    "product",
    "variant",
    "quantity",
    "pack_size",
    "packs",
    "unit_cost",
    "line_total",
    "variant_uuid",
)


def _order(row: tuple[Any, ...]) -> PurchaseOrder:
    return PurchaseOrder(
        id=row[0],
        name=row[1],
        supplier=row[2],
        status=OrderStatus(row[3]),
        created=datetime.fromtimestamp(row[4], UTC),
        created_by=row[5],
        ordered=stored_time(row[6]),
        expected=row[7],
        closed=stored_time(row[8]),
        note=row[9],
    )


def _line(row: tuple[Any, ...]) -> OrderLine:
    return OrderLine(
        order_id=row[0],
        product_uuid=row[1],
        variant_uuid=row[2],
        product_name=row[3],
        variant_name=row[4],
        sku=row[5],
        barcode=row[6],
        supplier_code=row[7],
        ordered=row[8],
        pack_size=row[9],
        unit_cost=row[10],
        received=row[11] or 0,
        damaged=row[12] or 0,
    )


def _check_quantity(value: object, pack_size: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OrderError("Order quantities are whole numbers")
    if value <= 0:
        raise OrderError("Order at least 1 (remove the line to order none)")
    if value > MAX_QUANTITY:
        raise OrderError(too_large(value))
    if value % pack_size:
        raise OrderError(f"{value} is not a whole number of packs of {pack_size}")
    return value


class PurchaseOrders:
    """The purchase orders of one profile."""

    def __init__(self, db: sqlite3.Connection, user: str = "") -> None:
        self._db = db
        self.user = user

    # -- reading ---------------------------------------------------------------------------------

    def order(self, order_id: int) -> PurchaseOrder:
        row = self._db.execute(
            f"SELECT {_ORDER_COLUMNS} FROM purchase_orders WHERE id = ?", (order_id,)
        ).fetchone()
        if row is None:
            raise OrderError(f"No purchase order #{order_id}")
        return _order(row)

    def orders(self, statuses: Iterable[OrderStatus] | None = None) -> list[PurchaseOrder]:
        """Orders (of these statuses), newest first."""
        sql = f"SELECT {_ORDER_COLUMNS} FROM purchase_orders"
        params: list[str] = []
        if statuses is not None:
            wanted = [OrderStatus(status).value for status in statuses]
            sql += f" WHERE status IN ({', '.join('?' * len(wanted))})"
            params = wanted
        return [_order(row) for row in self._db.execute(sql + " ORDER BY id DESC", params)]

    def lines(self, order_id: int) -> list[OrderLine]:
        """An order's lines in the order they were added, with what arrived."""
        return [
            _line(row)
            for row in self._db.execute(
                f"SELECT {_LINE_COLUMNS}, a.good, a.damaged FROM order_lines l "
                f"LEFT JOIN ({_ARRIVED}) a ON a.order_id = l.order_id "
                "AND a.variant_uuid = l.variant_uuid WHERE l.order_id = ? ORDER BY l.position",
                (order_id,),
            )
        ]

    def on_order(self) -> dict[str, int]:
        """Per variant, the units still expected from every open order."""
        found: dict[str, int] = {}
        for variant, ordered, good, damaged in self._db.execute(
            f"SELECT l.variant_uuid, l.ordered, a.good, a.damaged FROM order_lines l "
            f"JOIN purchase_orders o ON o.id = l.order_id "
            f"AND o.status IN ({', '.join('?' * len(OPEN_STATUSES))}) "
            f"LEFT JOIN ({_ARRIVED}) a ON a.order_id = l.order_id "
            "AND a.variant_uuid = l.variant_uuid",
            OPEN_STATUSES,
        ):
            left = max(0, ordered - (good or 0) - (damaged or 0))
            if left:
                found[variant] = found.get(variant, 0) + left
        return found

    # -- writing ---------------------------------------------------------------------------------

    def _next_name(self) -> str:
        year = datetime.fromtimestamp(journal_entries.clock(), UTC).year
        count = self._db.execute(
            "SELECT COUNT(*) FROM purchase_orders WHERE name LIKE ?", (f"PO-{year}-%",)
        ).fetchone()[0]
        number = count + 1
        while self._db.execute(
            "SELECT 1 FROM purchase_orders WHERE name = ?", (f"PO-{year}-{number:04d}",)
        ).fetchone():
            number += 1
        return f"PO-{year}-{number:04d}"

    def create(self, supplier: str, *, name: str | None = None, note: str = "") -> PurchaseOrder:
        """A new, empty draft order for ``supplier`` (named ``PO-<year>-<n>`` unless given)."""
        supplier = " ".join((supplier or "").split())
        if not supplier or len(supplier) > 80:
            raise OrderError("An order needs a supplier (1-80 characters)")
        if name is not None:
            name = " ".join(name.split())
            if not name or len(name) > MAX_NAME_LENGTH:
                raise OrderError(f"An order name is 1-{MAX_NAME_LENGTH} characters")
        if len(note) > MAX_NOTE_LENGTH:
            raise OrderError(f"The note is longer than {MAX_NOTE_LENGTH} characters")
        with Transaction(self._db):
            chosen = name or self._next_name()
            if self._db.execute(
                "SELECT 1 FROM purchase_orders WHERE name = ?", (chosen,)
            ).fetchone():
                raise OrderError(f"There is already an order named {chosen}")
            cursor = self._db.execute(
                "INSERT INTO purchase_orders (name, supplier, status, created, created_by, note) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    chosen,
                    supplier,
                    OrderStatus.DRAFT.value,
                    journal_entries.clock(),
                    self.user,
                    note,
                ),
            )
        assert cursor.lastrowid is not None
        return self.order(cursor.lastrowid)

    def _editable(self, order_id: int) -> PurchaseOrder:
        order = self.order(order_id)
        if not order.status.editable:
            raise OrderError(f"{order.name} is {order.status.value}: its lines can't change")
        return order

    def set_line(
        self,
        order_id: int,
        row: StockRow,
        quantity: int,
        *,
        pack_size: int = 1,
        supplier_code: str = "",
        unit_cost: int | None = None,
    ) -> OrderLine:
        """Order ``quantity`` units of a variant (adds the line, or replaces its quantity)."""
        pack = max(1, int(pack_size))
        _check_quantity(quantity, pack)
        with Transaction(self._db):
            self._editable(order_id)
            position = self._db.execute(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM order_lines WHERE order_id = ?",
                (order_id,),
            ).fetchone()[0]
            self._db.execute(
                "INSERT INTO order_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (order_id, variant_uuid) DO UPDATE SET ordered = excluded.ordered, "
                "pack_size = excluded.pack_size, supplier_code = excluded.supplier_code, "
                "unit_cost = excluded.unit_cost",
                (
                    order_id,
                    row.product_uuid,
                    row.variant_uuid,
                    row.product_name,
                    row.variant_name,
                    row.sku,
                    row.barcode,
                    supplier_code,
                    quantity,
                    pack,
                    unit_cost,
                    position,
                ),
            )
        return next(line for line in self.lines(order_id) if line.variant_uuid == row.variant_uuid)

    def remove_line(self, order_id: int, variant_uuid: str) -> None:
        with Transaction(self._db):
            self._editable(order_id)
            self._db.execute(
                "DELETE FROM order_lines WHERE order_id = ? AND variant_uuid = ?",
                (order_id, variant_uuid),
            )

    def _set_status(
        self, order_id: int, status: OrderStatus, allowed: Sequence[OrderStatus], **stamps: float
    ) -> PurchaseOrder:
        with Transaction(self._db):
            order = self.order(order_id)
            if order.status not in allowed:
                raise OrderError(
                    f"{order.name} is {order.status.value}; it can't become {status.value}"
                )
            sets = ", ".join(["status = ?", *(f"{name} = ?" for name in stamps)])
            self._db.execute(
                f"UPDATE purchase_orders SET {sets} WHERE id = ?",
                (status.value, *stamps.values(), order_id),
            )
        return self.order(order_id)

    def mark_ordered(self, order_id: int, expected: str | None = None) -> PurchaseOrder:
        """The order was sent: its lines count as on order from now on."""
        if not self.lines(order_id):
            raise OrderError("An empty order can't be sent - add lines first")
        order = self._set_status(
            order_id, OrderStatus.ORDERED, (OrderStatus.DRAFT,), ordered=journal_entries.clock()
        )
        if expected is not None:
            self._db.execute(
                "UPDATE purchase_orders SET expected = ? WHERE id = ?", (expected[:40], order_id)
            )
            order = self.order(order_id)
        return order

    def cancel(self, order_id: int) -> PurchaseOrder:
        """Give up an order nothing of which has arrived."""
        return self._set_status(
            order_id,
            OrderStatus.CANCELLED,
            (OrderStatus.DRAFT, OrderStatus.ORDERED),
            closed=journal_entries.clock(),
        )

    def close_short(self, order_id: int) -> PurchaseOrder:
        """What has not arrived is no longer expected (it stops counting as on order)."""
        return self._set_status(
            order_id,
            OrderStatus.CLOSED,
            (OrderStatus.ORDERED, OrderStatus.PARTIAL),
            closed=journal_entries.clock(),
        )

    def settle(self, order_id: int, *, close_short: bool = False) -> PurchaseOrder:
        """After a receipt: ``received`` when every line arrived, else ``partial`` (or, with
        ``close_short``, ``closed``)."""
        order = self.order(order_id)
        if not order.status.is_open:
            return order
        complete = all(line.remaining == 0 for line in self.lines(order_id))
        if complete:
            return self._set_status(
                order_id, OrderStatus.RECEIVED, (order.status,), closed=journal_entries.clock()
            )
        if close_short:
            return self.close_short(order_id)
        if order.status is OrderStatus.ORDERED:
            return self._set_status(order_id, OrderStatus.PARTIAL, (OrderStatus.ORDERED,))
        return order

    # -- for the supplier ------------------------------------------------------------------------

    def export_csv(self, order_id: int, path: Path | str, *, mark_ordered: bool = True) -> int:
        """Write the order as CSV for the supplier; a draft becomes ``ordered`` (on order).
        Returns the number of lines."""
        order = self.order(order_id)
        lines = self.lines(order_id)
        if not lines:
            raise OrderError("An empty order can't be exported - add lines first")
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(EXPORT_COLUMNS)
            for line in lines:
                total = None if line.unit_cost is None else line.unit_cost * line.ordered
                writer.writerow(
                    (
                        spreadsheet_text(order.name),
                        spreadsheet_text(order.supplier),
                        spreadsheet_text(line.supplier_code),
                        spreadsheet_text(line.sku),
                        spreadsheet_text(line.barcode),
                        spreadsheet_text(line.product_name),
                        spreadsheet_text(line.variant_name),
                        line.ordered,
                        line.pack_size,
                        f"{line.packs:g}",
                        money(line.unit_cost) or "",
                        money(total) or "",
                        line.variant_uuid,
                    )
                )
        if mark_ordered and order.status is OrderStatus.DRAFT:
            self.mark_ordered(order_id)
        return len(lines)
