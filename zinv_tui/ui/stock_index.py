"""StockIndex: the balances' rows in sort order, with the filtered view (pure: no Textual).

Per row, computed once when the row arrives: its search text (:func:`~zinv_tui.service.search_text`:
product, variant, SKU, barcode, case-folded) for the filter, and a sort key for the sort column
(ending with the row key, so keys are unique). Rows in sort order live in one list (``_sorted``,
with the search texts in a list beside it); the filtered view is a second sorted list, or the same
one when there is no filter. A diff moves each changed row with binary searches, so a 100-row diff
at 50k rows costs a few milliseconds. A reversed sort is the same list read backwards: positions
(0 = top) count from its end.

A first load can be deferred (``set_rows(rows, defer=True)``, what the balances table does): only
the rows at the top are ordered before the first paint, and the rest when :meth:`StockIndex.build`
runs (once the rows are drawn) or as soon as anything else asks; what is shown is the same.

The filter is the service's one rule (:mod:`zinv_tui.service.row_text`): every word of the text
in the product, variant, SKU or barcode, ignoring case, as ``zinv-tui balances --filter``.
:class:`~zinv_tui.ui.widgets.stock_table.StockTable` draws the index; it keeps the cursor, the
selection and the change highlights.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from itertools import compress, repeat
from operator import attrgetter, contains, itemgetter
from typing import Literal

from zinv_tui.service import (
    RowKey,
    StockRow,
    leading_names,
    search_terms,
    search_text,
    search_texts,
    text_matches,
)

ColumnKey = Literal["product", "variant", "sku", "barcode", "balance", "low"]
SORTABLE: tuple[ColumnKey, ...] = ("product", "variant", "sku", "barcode", "balance", "low")
"""The columns the rows can be sorted by, in the order ``s`` cycles through them."""

SortKey = tuple[object, ...]
SortKeyFunction = Callable[[StockRow, RowKey, str], SortKey]
"""``(row, key, search text) -> sort key``."""
_KEY_OF = attrgetter("product_uuid", "variant_uuid")
_LAST = itemgetter(-1)
_SORT_KEY_OF_PAIR = itemgetter(0, 1)
"""``(text, key)`` of a ``(text, key, row)``: the sort key by product."""


def _by_product(row: StockRow, key: RowKey, text: str) -> SortKey:
    return (text, key)


PREVIEW_ROWS = 120
"""Rows :meth:`StockIndex.set_rows` orders at once when asked to ``defer`` (the first screenful
of the tallest terminal worth drawing quickly); the rest wait for :meth:`StockIndex.build`."""


def sort_key_function(column: ColumnKey, reverse: bool = False) -> SortKeyFunction:
    """A function giving a row's unique sort key for ``column`` (``reverse``: for a descending
    sort, which reads the sorted list backwards).

    By product, the key is the search text itself (product, variant, SKU, barcode, casefolded
    and joined by NUL, which sorts before any character), so the two share one string per row.
    By level, variants without one come last either way.
    """
    if column == "product":
        return _by_product  # StockIndex._resort makes these keys in C (zip)
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

    def __init__(self, preview_rows: int = PREVIEW_ROWS) -> None:
        """``preview_rows``: how many rows a deferred :meth:`set_rows` orders at once."""
        self.preview_rows = preview_rows
        self._rows: dict[RowKey, StockRow] = {}
        self._search: dict[RowKey, str] = {}
        self._sort_keys: dict[RowKey, SortKey] = {}
        self._sort_column: ColumnKey = "product"
        self._sort_reverse = False
        self._key_of: SortKeyFunction = sort_key_function("product")
        self._sorted: list[RowKey] = []
        self._sorted_text: list[str] | None = []
        """Search texts aligned with ``_sorted`` (a scan of a list beats 50k dict look-ups);
        None until a filter needs them (not made before the first paint)."""
        self._view: list[RowKey] = self._sorted
        self._view_text: list[str] | None = self._sorted_text
        self._terms: tuple[str, ...] = ()
        self._filter_text = ""
        self._waiting: list[StockRow] | None = None
        """Rows given to a deferred :meth:`set_rows`, not indexed yet (nor their texts made)."""
        self._preview: list[RowKey] = []
        """While rows wait: the keys shown at the top, top to bottom."""
        self._preview_rows: dict[RowKey, StockRow] = {}

    # ----------------------------------------------------------------- reading

    @property
    def row_count(self) -> int:
        """All rows held (filtered or not)."""
        if self._waiting is not None:
            return len(self._waiting)
        return len(self._rows)

    @property
    def shown_count(self) -> int:
        """Rows that pass the filter."""
        if self._waiting is not None:  # no filter while rows wait
            return len(self._waiting)
        return len(self._view)

    @property
    def waiting(self) -> bool:
        """True while rows of a deferred :meth:`set_rows` wait to be indexed."""
        return self._waiting is not None

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
        if self._waiting is not None:
            if key in self._preview_rows:
                return self._preview_rows[key]
            self.build()
        return self._rows.get(key)

    def __getitem__(self, key: RowKey) -> StockRow:
        row = self.get(key)
        if row is None:
            raise KeyError(key)
        return row

    def __contains__(self, key: object) -> bool:
        self.build()
        return key in self._rows

    def key_at(self, position: int) -> RowKey:
        """The key shown at ``position`` (0 = top)."""
        if self._waiting is not None:
            if 0 <= position < len(self._preview):
                return self._preview[position]
            self.build()
        if self._sort_reverse:
            return self._view[len(self._view) - 1 - position]
        return self._view[position]

    def shown_keys(self) -> list[RowKey]:
        """Keys of the shown rows, top to bottom."""
        self.build()
        return list(reversed(self._view)) if self._sort_reverse else list(self._view)

    def shown_set(self) -> set[RowKey]:
        """Keys of the shown rows, unordered."""
        self.build()
        return set(self._view)

    def position_of(self, key: RowKey) -> int | None:
        """Where ``key`` is shown (0 = top), or None when it is not shown."""
        self.build()
        sort_key = self._sort_keys.get(key)
        if sort_key is None:
            return None
        view = self._view
        index = bisect_left(view, sort_key, key=self._sort_keys.__getitem__)
        if index >= len(view) or view[index] != key:
            return None
        return len(view) - 1 - index if self._sort_reverse else index

    # ----------------------------------------------------------------- changing

    def set_rows(
        self, rows: Iterable[StockRow] | Mapping[RowKey, StockRow], *, defer: bool = False
    ) -> None:
        """Replace every row. With ``defer`` (rows of distinct keys, such as the service's), only
        the rows shown at the top (``preview_rows``) are ordered now when the order is by
        product and nothing is filtered: the rest are indexed by :meth:`build`, or by the first
        call that needs them (46,000 rows: the first paint waits about 10 ms instead of 150)."""
        listed = list(rows.values() if isinstance(rows, Mapping) else rows)
        self._waiting, self._preview, self._preview_rows = None, [], {}
        if defer and self._key_of is _by_product and not self._terms:
            self._preview_top(listed)
            if self._waiting is not None:
                return
        self._index(listed, search_texts(listed))

    def build(self) -> None:
        """Index rows a deferred :meth:`set_rows` left waiting (nothing when none wait)."""
        waiting = self._waiting
        if waiting is not None:
            self._waiting = None
            self._preview, self._preview_rows = [], {}
            self._index(waiting, search_texts(waiting))

    def _preview_top(self, rows: list[StockRow]) -> None:
        """Order only the rows shown at the top, by product (:func:`_by_product`: the search
        text, then the key), and leave the rest waiting, their texts not made yet. Names in
        order are texts in order (:func:`~zinv_tui.service.leading_names`), so the rows whose
        name is not past the ``preview_rows``-th are a prefix of the whole order, ties included
        (without such names, everything is indexed at once)."""
        count = self.preview_rows
        if len(rows) <= count or count < 1:
            return
        names = leading_names(rows)
        if names is None:
            return
        reverse = self._sort_reverse
        if reverse:
            edge = heapq.nlargest(count, names)[-1]
            near = list(map(edge.__le__, names))
        else:
            edge = heapq.nsmallest(count, names)[-1]
            near = list(map(edge.__ge__, names))
        chosen = list(compress(rows, near))
        top = sorted(
            zip(search_texts(chosen), map(_KEY_OF, chosen), chosen, strict=True),
            key=_SORT_KEY_OF_PAIR,
            reverse=reverse,
        )
        self._preview = [key for _text, key, _row in top]
        self._preview_rows = {key: row for _text, key, row in top}
        self._waiting = rows

    def _index(self, listed: list[StockRow], texts: list[str]) -> None:
        """Every row by key, its search text and its place in the order."""
        keys: list[RowKey] = list(map(_KEY_OF, listed))
        self._rows = dict(zip(keys, listed, strict=True))
        if len(self._rows) != len(listed):  # a key twice: the last row of it counts
            last = dict(zip(keys, zip(listed, texts, strict=True), strict=True))
            keys = list(last)
            listed = [row for row, _text in last.values()]
            texts = [text for _row, text in last.values()]
        self._search = dict(zip(keys, texts, strict=True))
        self._resort(keys, listed, texts)

    def apply(
        self, upserts: Iterable[StockRow] = (), removed: Iterable[RowKey] = ()
    ) -> list[RowKey]:
        """Add or replace ``upserts`` and drop ``removed``, in place; the keys of the upserts."""
        self.build()
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
        self.build()
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
        self.build()
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

    def _texts_of_sorted(self) -> list[str]:
        """The search texts aligned with ``_sorted`` (made now if they were not yet)."""
        if self._sorted_text is None:
            self._sorted_text = list(map(self._search.__getitem__, self._sorted))
        return self._sorted_text

    # ----------------------------------------------------------------- internals

    def _place(
        self,
        keys: list[RowKey],
        texts: list[str] | None,
        key: RowKey,
        sort_key: SortKey,
        text: str,
    ) -> None:
        index = bisect_left(keys, sort_key, key=self._sort_keys.__getitem__)
        keys.insert(index, key)
        if texts is not None:
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
                if texts is not None:
                    del texts[index]

    def _resort(
        self,
        keys: list[RowKey] | None = None,
        rows: list[StockRow] | None = None,
        texts: list[str] | None = None,
    ) -> None:
        """Sort every row by fresh sort keys (of the current column), then re-apply the filter.
        Each row's sort key is made once, in C where it can be (``keys``, ``rows`` and
        ``texts``: every row's key, row and search text, aligned; 46,000 rows: about 50 ms)."""
        if keys is None or rows is None or texts is None:
            keys, rows = list(self._rows), list(self._rows.values())
            texts = list(map(self._search.__getitem__, keys))
        if self._key_of is _by_product:
            sort_key_list: list[SortKey] = list(zip(texts, keys, strict=True))
        else:
            sort_key_list = list(map(self._key_of, rows, keys, texts))
        self._sort_keys = dict(zip(keys, sort_key_list, strict=True))
        # Every sort key ends with its row's key (unique): sorting the sort keys themselves needs
        # no key function called per row.
        sort_key_list.sort()
        self._sorted = list(map(_LAST, sort_key_list))
        self._sorted_text = None  # made when a filter first needs it
        self._rebuild_view(self._sorted, None)

    def _rebuild_view(self, keys: list[RowKey], texts: list[str] | None) -> None:
        """The view: rows of ``keys`` (with aligned ``texts``; None: ``keys`` are ``_sorted``
        and their texts are made when needed) that contain every filter term."""
        if not self._terms:
            self._view, self._view_text = self._sorted, self._sorted_text
            return
        if texts is None:
            texts = self._texts_of_sorted()
        for term in self._terms:
            # map(contains, ...) runs the loop in C: about twice as fast as a comprehension.
            flags = list(map(contains, texts, repeat(term)))
            keys, texts = list(compress(keys, flags)), list(compress(texts, flags))
        self._view, self._view_text = keys, texts
