"""Finding tracked variants by a code: the one rule for scans, the TUI, counts and commands.

A code is a barcode (exact), a SKU (any case: compared case-folded) or a variant's (or, for
:func:`find_rows`, a product's) UUID (any case). Scanners send what they read plus an Enter;
:func:`scanned_code` keeps only printable characters, stripped.

:func:`find_rows` looks through rows once per code (a scan at a time); :class:`CodeIndex` is
built once in O(variants) for many look-ups (a count file of 20,000 lines against 46,000
variants is planned in well under a second).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from zinv_tui.service.rows import StockRow

CODE_COLUMNS = ("sku", "barcode", "variant_uuid")
"""The kinds of code a row can be found by in a :class:`CodeIndex`."""


def scanned_code(text: str) -> str:
    """What a scanner (or a person) typed, without control characters and outer spaces."""
    return "".join(ch for ch in text if ch.isprintable()).strip()


def code_form(column: str, code: str) -> str:
    """The form a code is compared in: SKUs case-folded, UUIDs lower-case, barcodes exact."""
    wanted = code.strip()
    if column == "sku":
        return wanted.casefold()
    if column in ("variant_uuid", "product_uuid"):
        return wanted.lower()
    return wanted


def find_rows(rows: Iterable[StockRow], code: str) -> list[StockRow]:
    """Rows whose barcode or SKU is ``code`` (SKU in any case), or whose variant or product
    UUID is; in the rows' order."""
    wanted = code.strip()
    if not wanted:
        return []
    sku = code_form("sku", wanted)
    uuid = code_form("variant_uuid", wanted)
    return [
        row
        for row in rows
        if row.barcode == wanted
        or (row.sku and row.sku.casefold() == sku)
        or uuid in (row.variant_uuid, row.product_uuid)
    ]


class CodeIndex:
    """The tracked variants of ``rows`` by SKU, barcode and variant UUID."""

    def __init__(self, rows: Iterable[StockRow]) -> None:
        self._by: dict[str, dict[str, list[StockRow]]] = {
            column: defaultdict(list) for column in CODE_COLUMNS
        }
        for row in rows:
            self._by["sku"][code_form("sku", row.sku)].append(row)
            self._by["barcode"][row.barcode].append(row)
            self._by["variant_uuid"][row.variant_uuid].append(row)

    def find(self, column: str, code: str) -> StockRow:
        """The one variant with this ``column`` (``sku``, ``barcode``, ``variant_uuid``) equal to
        ``code``; ``LookupError`` says why there is none or which ones share it."""
        wanted = code.strip()
        rows = self._by[column].get(code_form(column, code), []) if wanted else []
        label = column.replace("_", " ")
        if not rows:
            raise LookupError(f"no tracked variant has {label} {wanted!r}")
        if len(rows) > 1:
            names = "; ".join(f"{row.label} ({row.variant_uuid})" for row in rows[:5])
            raise LookupError(
                f"{len(rows)} variants have {label} {wanted!r}: {names} - use --variant-uuid"
            )
        return rows[0]
