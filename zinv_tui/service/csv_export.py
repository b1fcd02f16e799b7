"""CSV exports of balances and of the movement history (UTF-8, header row, one line per item).

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``) get
a leading apostrophe; numbers are written as numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from zinv_tui.service.journal import OutboxEntry
    from zinv_tui.service.rows import StockRow

BALANCE_COLUMNS = (
    "product",
    "variant",
    "sku",
    "barcode",
    "balance",
    "pending",
    "shown_balance",
    "low_stock_level",
    "low_stock_alert",
    "product_uuid",
    "variant_uuid",
)

HISTORY_COLUMNS = (
    "id",
    "created",
    "reason",
    "product",
    "variant",
    "sku",
    "barcode",
    "from",
    "to",
    "quantity",
    "store_change",
    "balance_before",
    "balance_after",
    "status",
    "user",
    "note",
    "undo_of",
    "undone_by",
    "error",
    "external_uuid",
    "sent_as",
    "product_uuid",
    "variant_uuid",
)


CsvTarget = Path | str | TextIO
"""Where a CSV goes: a file path (created or replaced), or an open text stream (written to and left
open: a browser download, a test's ``StringIO``)."""


@contextmanager
def csv_stream(target: CsvTarget) -> Iterator[TextIO]:
    """A text stream on ``target``: the file opened by its path (UTF-8, closed after), or the
    stream itself (not closed)."""
    if isinstance(target, str | Path):
        with open(target, "w", newline="", encoding="utf-8") as handle:
            yield handle
    else:
        yield target


def spreadsheet_text(value: str | None) -> str:
    """``value`` as a CSV text cell: a leading apostrophe when a spreadsheet would run it as a
    formula (it starts with ``=``, ``+``, ``-``, ``@``, tab or CR); ``None`` is empty."""
    if not value:
        return ""
    return "'" + value if value[0] in "=+-@\t\r" else value


def write_balances_csv(target: CsvTarget, rows: Iterable[StockRow]) -> int:
    """Write balance rows (sorted by product and variant name) to a file or stream; returns how
    many."""
    ordered = sorted(rows, key=lambda row: (row.product_name.lower(), row.variant_name.lower()))
    with csv_stream(target) as handle:
        writer = csv.writer(handle)
        writer.writerow(BALANCE_COLUMNS)
        for row in ordered:
            writer.writerow(
                (
                    spreadsheet_text(row.product_name),
                    spreadsheet_text(row.variant_name),
                    spreadsheet_text(row.sku),
                    spreadsheet_text(row.barcode),
                    row.balance,
                    row.pending,
                    row.shown_balance,
                    "" if row.low_stock_level is None else row.low_stock_level,
                    "yes" if row.low_stock_alert else "no",
                    row.product_uuid,
                    row.variant_uuid,
                )
            )
    return len(ordered)


def write_history_csv(target: CsvTarget, entries: Iterable[OutboxEntry]) -> int:
    """Write history entries in the order given to a file or stream; returns how many."""
    count = 0
    with csv_stream(target) as handle:
        writer = csv.writer(handle)
        writer.writerow(HISTORY_COLUMNS)
        for entry in entries:
            writer.writerow(
                (
                    entry.id,
                    entry.created.isoformat(timespec="seconds"),
                    entry.reason.value,
                    spreadsheet_text(entry.product_name),
                    spreadsheet_text(entry.variant_name),
                    spreadsheet_text(entry.sku),
                    spreadsheet_text(entry.barcode),
                    entry.from_type.value,
                    entry.to_type.value,
                    entry.quantity,
                    entry.store_change,
                    "" if entry.balance_before is None else entry.balance_before,
                    "" if entry.balance_after is None else entry.balance_after,
                    entry.status.value,
                    spreadsheet_text(entry.user),
                    spreadsheet_text(entry.note),
                    entry.undo_of or "",
                    entry.undone_by or "",
                    spreadsheet_text(entry.last_error),
                    entry.external_uuid,
                    entry.sent_as or "",
                    entry.product_uuid,
                    entry.variant_uuid,
                )
            )
            count += 1
    return count
