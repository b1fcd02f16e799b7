"""StockIndex: the balances' rows in sort order, with the filtered view (pure: no Textual).

Per row, computed once when the row arrives: its search text (:func:`~zinv_tui.service.search_text`:
product, variant, SKU, barcode, case-folded) for the filter, and a sort key for the sort column
(ending with the row key, so keys are unique). Rows in sort order live in one list (``_sorted``,
with the search texts in a list beside it); the filtered view is a second sorted list, or the same
one when there is no filter. A diff moves each changed row with binary searches, so a 100-row diff
at 50k rows costs a few milliseconds. A reversed sort is the same list read backwards: positions
(0 = top) count from its end.

The filter is the service's one rule (:mod:`zinv_tui.service.row_text`): every word of the text
in the product, variant, SKU or barcode, ignoring case, as ``zinv-tui balances --filter``.
:class:`~zinv_tui.ui.widgets.stock_table.StockTable` draws the index; it keeps the cursor, the
selection and the change highlights.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from itertools import compress, repeat
from operator import contains
from typing import Literal

from zinv_tui.service import RowKey, StockRow, search_terms, search_text, text_matches

ColumnKey = Literal["product", "variant", "sku", "barcode", "balance", "low"]
SORTABLE: tuple[ColumnKey, ...] = ("product", "variant", "sku", "barcode", "balance", "low")
"""The columns the rows can be sorted by, in the order ``s`` cycles through them."""

SortKey = tuple[object, ...]
SortKeyFunction = Callable[[StockRow, RowKey, str], SortKey]
"""``(row, key, search text) -> sort key``."""


def sort_key_function(column: ColumnKey, reverse: bool = False) -> SortKeyFunction:
    """A function giving a row's unique sort key for ``column`` (``reverse``: for a descending
    sort, which reads the sorted list backwards).

    By product, the key is the search text itself (product, variant, SKU, barcode, casefolded
    and joined by NUL, which sorts before any character), so the two share one string per row.
    By level, variants without one come last either way.
    """
    if column == "product":
        return lambda r, k, text: (text, k)
    if column == "variant":
        return lambda r, k, text: (
            (r.variant_name or "").casefold(),
            (r.product_name or "").casefold(),
            k,
        )
    if column == "sku":
        return lambda r, k, text: ((r.sku or "").casefold(), k)
    if column == "barcode":
        return lambda r, k, text: (r.barcode or "", k)
    if column == "balance":
        return lambda r, k, text: (r.shown_balance, text, k)
    return lambda r, k, text: (
        (r.low_stock_level is None) != reverse,
        r.low_stock_level or 0,
        text,
        k,
    )


class StockIndex:
    """Rows by key, in sort order, and the rows the filter shows (in the same order)."""

    def __init__(self) -> None:
        self._rows: dict[RowKey, StockRow] = {}
        self._search: dict[RowKey, str] = {}
        self._sort_keys: dict[RowKey, SortKey] = {}
        self._sort_column: ColumnKey = "product"
        self._sort_reverse = False
        self._key_of: SortKeyFunction = sort_key_function("product")
        self._sorted: list[RowKey] = []
        self._sorted_text: list[str] = []
        """Search texts aligned with ``_sorted`` (a scan of a list beats 50k dict look-ups)."""
        self._view: list[RowKey] = self._sorted
        self._view_text: list[str] = self._sorted_text
        self._terms: tuple[str, ...] = ()
        self._filter_text = ""

    # ----------------------------------------------------------------- reading

    @property
    def row_count(self) -> int:
        """All rows held (filtered or not)."""
        return len(self._rows)

    @property
    def shown_count(self) -> int:
        """Rows that pass the filter."""
        return len(self._view)

    @property
    def sort_column(self) -> ColumnKey:
        return self._sort_column

    @property
    def sort_reverse(self) -> bool:
        return self._sort_reverse

    @property
    def filter_text(self) -> str:
        """The filter as typed (its words are what counts)."""
        return self._filter_text

    def get(self, key: RowKey) -> StockRow | None:
        return self._rows.get(key)

    def __getitem__(self, key: RowKey) -> StockRow:
        return self._rows[key]

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def key_at(self, position: int) -> RowKey:
        """The key shown at ``position`` (0 = top)."""
        if self._sort_reverse:
            return self._view[len(self._view) - 1 - position]
        return self._view[position]

    def shown_keys(self) -> list[RowKey]:
        """Keys of the shown rows, top to bottom."""
        return list(reversed(self._view)) if self._sort_reverse else list(self._view)

    def shown_set(self) -> set[RowKey]:
        """Keys of the shown rows, unordered."""
        return set(self._view)

    def position_of(self, key: RowKey) -> int | None:
        """Where ``key`` is shown (0 = top), or None when it is not shown."""
        sort_key = self._sort_keys.get(key)
        if sort_key is None:
            return None
        view = self._view
        index = bisect_left(view, sort_key, key=self._sort_keys.__getitem__)
        if index >= len(view) or view[index] != key:
            return None
        return len(view) - 1 - index if self._sort_reverse else index

    # ----------------------------------------------------------------- changing

    def set_rows(self, rows: Iterable[StockRow] | Mapping[RowKey, StockRow]) -> None:
        """Replace every row."""
        if isinstance(rows, Mapping):
            rows = rows.values()
        new_rows: dict[RowKey, StockRow] = {}
        for row in rows:
            new_rows[(row.product_uuid, row.variant_uuid)] = row
        self._rows = new_rows
        self._search = dict(zip(new_rows, map(search_text, new_rows.values()), strict=True))
        self._resort()

    def apply(
        self, upserts: Iterable[StockRow] = (), removed: Iterable[RowKey] = ()
    ) -> list[RowKey]:
        """Add or replace ``upserts`` and drop ``removed``, in place; the keys of the upserts."""
        rows, search, sort_keys, key_of = self._rows, self._search, self._sort_keys, self._key_of
        view_is_all = self._view is self._sorted
        for key in removed:
            key = (key[0], key[1])
            if key not in rows:
                continue
            self._unplace(key)
            del rows[key], search[key], sort_keys[key]
        touched: list[RowKey] = []
        for row in upserts:
            key = (row.product_uuid, row.variant_uuid)
            touched.append(key)
            text = search_text(row)
            sort_key = key_of(row, key, text)
            if key in rows:
                if sort_key == sort_keys[key] and text == search[key]:
                    rows[key] = row  # same place, same filter match: nothing moves
                    continue
                self._unplace(key)
            rows[key] = row
            search[key] = text
            sort_keys[key] = sort_key
            self._place(self._sorted, self._sorted_text, key, sort_key, text)
            if not view_is_all and text_matches(self._terms, text):
                self._place(self._view, self._view_text, key, sort_key, text)
        return touched

    def sort_by(self, column: ColumnKey, reverse: bool | None = None) -> bool:
        """Sort by ``column`` (the direction kept unless ``reverse`` is given); True when the
        order changed (a new column or direction)."""
        if column not in SORTABLE:
            raise ValueError(f"unknown column {column!r}")
        if reverse is None:
            reverse = self._sort_reverse
        changed = column != self._sort_column or reverse != self._sort_reverse
        if column != self._sort_column or (column == "low" and changed):
            self._key_of = sort_key_function(column, reverse)
            self._sort_column = column
            self._resort()
        self._sort_reverse = reverse
        return changed

    def set_filter(self, text: str) -> bool:
        """Show only rows where every word of ``text`` is in the product, variant, SKU or barcode;
        False when the words are the same as before (nothing to redraw)."""
        terms = search_terms(text)
        self._filter_text = text
        if terms == self._terms:
            return False
        old_terms = self._terms
        narrowing = (
            bool(old_terms)
            and len(terms) >= len(old_terms)
            and all(new.find(old) >= 0 for old, new in zip(old_terms, terms, strict=False))
        )
        self._terms = terms
        if narrowing:
            self._rebuild_view(self._view, self._view_text)
        else:
            self._rebuild_view(self._sorted, self._sorted_text)
        return True

    # ----------------------------------------------------------------- internals

    def _place(
        self, keys: list[RowKey], texts: list[str], key: RowKey, sort_key: SortKey, text: str
    ) -> None:
        index = bisect_left(keys, sort_key, key=self._sort_keys.__getitem__)
        keys.insert(index, key)
        texts.insert(index, text)

    def _unplace(self, key: RowKey) -> None:
        """Take ``key`` out of the sorted list and the view (before its sort key changes)."""
        sort_key = self._sort_keys[key]
        getter = self._sort_keys.__getitem__
        pairs = [(self._sorted, self._sorted_text)]
        if self._view is not self._sorted:
            pairs.append((self._view, self._view_text))
        for keys, texts in pairs:
            index = bisect_left(keys, sort_key, key=getter)
            if index < len(keys) and keys[index] == key:
                del keys[index]
                del texts[index]

    def _resort(self) -> None:
        """Sort every row by fresh sort keys (of the current column), then re-apply the filter.
        Each row's search text and sort key are made once (46,000 rows: about 0.1 s)."""
        rows, search, key_of = self._rows, self._search, self._key_of
        self._sort_keys = sort_keys = {
            key: key_of(row, key, search[key]) for key, row in rows.items()
        }
        # Every sort key ends with its row's key (unique): sorting the sort keys themselves needs
        # no key function called per row.
        ordered: list[SortKey] = sorted(sort_keys.values())
        self._sorted = [sort_key[-1] for sort_key in ordered]  # type: ignore[misc]
        self._sorted_text = [search[key] for key in self._sorted]
        self._rebuild_view(self._sorted, self._sorted_text)

    def _rebuild_view(self, keys: list[RowKey], texts: list[str]) -> None:
        """The view: rows of ``keys`` (with aligned ``texts``) that contain every filter term."""
        if not self._terms:
            self._view, self._view_text = self._sorted, self._sorted_text
            return
        for term in self._terms:
            # map(contains, ...) runs the loop in C: about twice as fast as a comprehension.
            flags = list(map(contains, texts, repeat(term)))
            keys, texts = list(compress(keys, flags)), list(compress(texts, flags))
        self._view, self._view_text = keys, texts
