"""StockTable: a virtualised, keyboard-first table of stock rows (Textual Line API).

The table keeps the service's row objects as they are (anything shaped like ``StockRow``) and
renders only the lines on screen, so a frame costs the same at 50 rows or 50,000.

Per row, computed once when the row arrives: a lowercase search text (product, variant, SKU,
barcode) for the filter, and a sort key for the sort column (ending with the row key, so keys are
unique). Rows in sort order live in one list (``_sorted``, with the search texts in a list beside
it); the filtered view is a second sorted list, or the same one when there is no filter. A diff
moves each changed row with binary searches, so a 100-row diff at 50k rows costs a few
milliseconds, and the cursor stays on its row across filters and diffs (a new sort shows its top).
A reversed sort is the same list read backwards.

Names are data, never markup: cells are plain ``Segment`` text with control characters replaced,
so ``Nut [/] Butter`` shows as typed.
"""

from __future__ import annotations

import time
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from itertools import compress, repeat
from operator import contains
from typing import ClassVar, Literal, Protocol

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from zinv_tui.service.stock_rules import StockState, row_state

RowKey = tuple[str, str]


class StockRowLike(Protocol):
    """The fields of the service's ``StockRow`` that the table reads."""

    product_uuid: str
    variant_uuid: str
    product_name: str
    variant_name: str
    sku: str | None
    barcode: str | None
    balance: int
    pending: int
    low_stock_level: int | None
    low_stock_alert: bool


ColumnKey = Literal["product", "variant", "sku", "barcode", "balance", "low"]


@dataclass(frozen=True, slots=True)
class Column:
    """One data column: its key, header label, width rule and alignment."""

    key: ColumnKey
    label: str
    width: int
    """Fixed width, or the minimum width when ``flex`` > 0."""
    flex: int = 0
    """Share of the spare width (0 = fixed)."""
    right: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("product", "Product", 12, flex=3),
    Column("variant", "Variant", 8, flex=2),
    Column("sku", "SKU", 12, flex=1),
    Column("barcode", "Barcode", 13),
    Column("balance", "Balance", 9, right=True),
    Column("low", "Low", 6, right=True),
)
SORTABLE: tuple[ColumnKey, ...] = tuple(column.key for column in COLUMNS)
MARK_WIDTH = 7
"""Selection tick (1), space, status marker (5)."""
BARCODE_MIN_WIDTH = 100
"""Below this many cells the barcode column is dropped (it stays searchable)."""

OUT_MARK = "✗ OUT"
LOW_MARK = "▼ LOW"
PENDING_MARK = "⧗"
SELECTED_MARK = "✓"


def row_key(row: StockRowLike) -> RowKey:
    """The table key of a row: (product UUID, variant UUID)."""
    return (row.product_uuid, row.variant_uuid)


def effective_balance(row: StockRowLike) -> int:
    """The balance shown: the server's figure plus our own unacknowledged movements."""
    return row.balance + row.pending


def stock_state(row: StockRowLike) -> StockState:
    """The row's marker: the service's one rule (out, low or ok; equal to those strings)."""
    return row_state(row)


def printable(text: str | None) -> str:
    """Text safe to put on a terminal: control characters become U+FFFD, None becomes ''."""
    if not text:
        return ""
    if text.isprintable():
        return text
    return "".join(
        char if char == " " or unicodedata.category(char)[0] != "C" else "\ufffd" for char in text
    )


def fit(text: str, width: int, right: bool = False) -> str:
    """``text`` cut (with an ellipsis) or padded to exactly ``width`` cells."""
    if width <= 0:
        return ""
    length = len(text) if text.isascii() else cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…"
    if right:
        return " " * (width - length) + text
    return text + " " * (width - length)


def search_text(row: StockRowLike) -> str:
    """The lowercase text the filter matches against."""
    return "\x00".join(
        (
            row.product_name or "",
            row.variant_name or "",
            row.sku or "",
            row.barcode or "",
        )
    ).casefold()


SortKeyFunction = Callable[[StockRowLike, RowKey, str], tuple]
"""``(row, key, search text) -> sort key``."""


def _sort_key(column: ColumnKey, reverse: bool = False) -> SortKeyFunction:
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
        return lambda r, k, text: (r.balance + r.pending, text, k)
    return lambda r, k, text: (
        (r.low_stock_level is None) != reverse,
        r.low_stock_level or 0,
        text,
        k,
    )


class StockTable(ScrollView, can_focus=True):
    """Stock rows with sort, filter, in-place diffs, change highlights, cursor and multi-select."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False),
        Binding("home,g", "first", "First row", show=False),
        Binding("end,G", "last", "Last row", show=False),
        # Not in the footer, which at 80 columns has room for the screen's and the app's keys
        # only (m moves stock too); ? help lists them.
        Binding("enter", "activate", "Move stock", show=False, id="stock-table.activate"),
        Binding("space", "toggle_select", "Select", show=False, id="stock-table.select"),
        Binding("ctrl+a", "select_all", "Select all shown", show=False),
        Binding("s", "cycle_sort", "Sort", show=False, id="stock-table.sort"),
        Binding("S", "reverse_sort", "Reverse", show=False, id="stock-table.reverse"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "stock-table--header",
        "stock-table--cursor",
        "stock-table--selected",
        "stock-table--changed",
        "stock-table--out",
        "stock-table--low",
        "stock-table--pending",
    }

    DEFAULT_CSS = """
    StockTable {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
        background: $surface;
        color: $foreground;
        & > .stock-table--header { background: $panel; color: $text; text-style: bold; }
        & > .stock-table--cursor { background: $block-cursor-blurred-background; }
        &:focus > .stock-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: bold;
        }
        & > .stock-table--selected { background: $secondary 30%; }
        & > .stock-table--changed { background: $accent 35%; }
        & > .stock-table--out { color: $error; text-style: bold; }
        & > .stock-table--low { color: $warning; text-style: bold; }
        & > .stock-table--pending { color: $text-accent; text-style: italic; }
    }
    """

    class RowActivated(Message):
        """Enter (or a double click) on a row."""

        def __init__(self, table: StockTable, key: RowKey) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> StockTable:
            return self.table

    class CursorMoved(Message):
        """The cursor is on another row (``key`` is None when the view is empty)."""

        def __init__(self, table: StockTable, key: RowKey | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> StockTable:
            return self.table

    class SelectionChanged(Message):
        """The set of selected rows changed."""

        def __init__(self, table: StockTable, keys: frozenset[RowKey]) -> None:
            super().__init__()
            self.table = table
            self.keys = keys

        @property
        def control(self) -> StockTable:
            return self.table

    class ViewChanged(Message):
        """Rows shown or their order changed: ``shown`` of ``total`` rows, sorted by ``column``."""

        def __init__(
            self, table: StockTable, shown: int, total: int, column: ColumnKey, reverse: bool
        ) -> None:
            super().__init__()
            self.table = table
            self.shown = shown
            self.total = total
            self.column = column
            self.reverse = reverse

        @property
        def control(self) -> StockTable:
            return self.table

    def __init__(
        self,
        *,
        highlight_seconds: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """``highlight_seconds=0`` turns change highlights off (snapshots); ``monotonic``: clock."""
        super().__init__(name=name, id=id, classes=classes)
        self.highlight_seconds = highlight_seconds
        self.empty_text = "No tracked variants yet."
        """Shown when there are no rows at all."""
        self._monotonic = monotonic
        self._rows: dict[RowKey, StockRowLike] = {}
        self._search: dict[RowKey, str] = {}
        self._sort_keys: dict[RowKey, tuple] = {}
        self._sort_column: ColumnKey = "product"
        self._sort_reverse = False
        self._key_of: SortKeyFunction = _sort_key("product")
        self._sorted: list[RowKey] = []
        self._sorted_text: list[str] = []
        """Search texts aligned with ``_sorted`` (a scan of a list beats 50k dict look-ups)."""
        self._view: list[RowKey] = self._sorted
        self._view_text: list[str] = self._sorted_text
        self._terms: tuple[str, ...] = ()
        self._filter_text = ""
        self._cursor_key: RowKey | None = None
        self._cursor = 0
        self._selected: set[RowKey] = set()
        self._flash_until: dict[RowKey, float] = {}
        self._flash_timer: Timer | None = None
        self._layout_width = -1
        self._layout: list[tuple[Column, int]] = []
        self._width_cache: int | None = None
        self._styles: dict[str | None, Style] = {}

    # ----------------------------------------------------------------- data in

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
        """The column the rows are sorted by (change it with ``sort_by``)."""
        return self._sort_column

    @property
    def sort_reverse(self) -> bool:
        """True when the sort is descending."""
        return self._sort_reverse

    @property
    def filter_text(self) -> str:
        return self._filter_text

    @property
    def cursor_key(self) -> RowKey | None:
        """The key of the row under the cursor, if any."""
        return self._cursor_key

    @property
    def cursor_row(self) -> int:
        """The cursor's position among the shown rows (0 at the top)."""
        return self._cursor

    @property
    def selected_keys(self) -> frozenset[RowKey]:
        return frozenset(self._selected)

    def get_row(self, key: RowKey) -> StockRowLike | None:
        return self._rows.get(key)

    def shown_keys(self) -> list[RowKey]:
        """Keys of the shown rows, top to bottom."""
        return list(reversed(self._view)) if self.sort_reverse else list(self._view)

    def key_at(self, position: int) -> RowKey:
        """The key shown at ``position`` (0 = top)."""
        if self.sort_reverse:
            return self._view[len(self._view) - 1 - position]
        return self._view[position]

    def set_rows(self, rows: Iterable[StockRowLike] | Mapping[Hashable, StockRowLike]) -> None:
        """Replace every row (first load); keeps cursor, selection and filter where possible."""
        if isinstance(rows, Mapping):
            rows = rows.values()
        key_of = self._key_of
        new_rows: dict[RowKey, StockRowLike] = {}
        for row in rows:
            new_rows[(row.product_uuid, row.variant_uuid)] = row
        self._rows = new_rows
        self._sort_keys = {key: key_of(row, key, search_text(row)) for key, row in new_rows.items()}
        self._resort()
        self._selected &= new_rows.keys()
        self._flash_until.clear()
        self._after_change()

    def apply_diff(
        self,
        upserts: Iterable[StockRowLike] = (),
        removed: Iterable[RowKey] = (),
        *,
        highlight: bool = True,
    ) -> None:
        """Add or replace ``upserts`` and drop ``removed``, in place; highlight what changed."""
        rows, search, sort_keys, key_of = self._rows, self._search, self._sort_keys, self._key_of
        view_is_all = self._view is self._sorted
        deadline = self._monotonic() + self.highlight_seconds
        flash = highlight and self.highlight_seconds > 0
        for key in removed:
            key = tuple(key)  # type: ignore[assignment]
            if key not in rows:
                continue
            self._unplace(key)
            del rows[key], search[key], sort_keys[key]
            self._selected.discard(key)
            self._flash_until.pop(key, None)
        for row in upserts:
            key = (row.product_uuid, row.variant_uuid)
            text = search_text(row)
            sort_key = key_of(row, key, text)
            if key in rows:
                if sort_key == sort_keys[key] and text == search[key]:
                    rows[key] = row  # same place, same filter match: nothing moves
                    if flash:
                        self._flash_until[key] = deadline
                    continue
                self._unplace(key)
            rows[key] = row
            search[key] = text
            sort_keys[key] = sort_key
            self._place(self._sorted, self._sorted_text, key, sort_key, text)
            if not view_is_all and self._matches(text):
                self._place(self._view, self._view_text, key, sort_key, text)
            if flash:
                self._flash_until[key] = deadline
        if flash and self._flash_until:
            self._arm_flash_timer()
        self._after_change()

    def _place(
        self, keys: list[RowKey], texts: list[str], key: RowKey, sort_key: tuple, text: str
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
        """Sort every row by the current sort keys, then re-apply the filter."""
        # Fresh keys and search texts, allocated in sort order: a filter walks them in that order
        # (reading each text, and touching each key it keeps), and objects next to each other in
        # memory are read about three times faster than scattered ones.
        self._sorted = [(p, v) for p, v in sorted(self._rows, key=self._sort_keys.__getitem__)]
        rows = self._rows
        self._sorted_text = texts = [search_text(rows[key]) for key in self._sorted]
        self._search = dict(zip(self._sorted, texts, strict=True))
        # Rebuild the sort keys on these copies, so each row holds its text once.
        key_of = self._key_of
        self._sort_keys = {
            key: key_of(rows[key], key, text) for key, text in zip(self._sorted, texts, strict=True)
        }
        self._rebuild_view(self._sorted, self._sorted_text)

    # ------------------------------------------------------------ sort/filter

    def sort_by(self, column: ColumnKey, reverse: bool | None = None) -> None:
        """Sort by ``column`` (ascending unless ``reverse``); a new order shows its top (the
        cursor goes to the first row)."""
        if column not in SORTABLE:
            raise ValueError(f"unknown column {column!r}")
        if reverse is None:
            reverse = self._sort_reverse
        changed = column != self._sort_column or reverse != self._sort_reverse
        if column != self._sort_column or (column == "low" and changed):
            self._key_of = key_of = _sort_key(column, reverse)
            rows = self._rows
            search = self._search
            self._sort_keys = {key: key_of(row, key, search[key]) for key, row in rows.items()}
            self._sort_column = column
            self._resort()
        self._sort_reverse = reverse
        if changed:
            self._cursor_key = None
            self._cursor = 0
        self._after_change()

    def set_filter(self, text: str) -> None:
        """Show only rows whose product, variant, SKU or barcode contain every word of ``text``."""
        terms = tuple(text.casefold().split())
        if terms == self._terms:
            self._filter_text = text
            return
        old_terms = self._terms
        narrowing = (
            bool(old_terms)
            and len(terms) >= len(old_terms)
            and all(new.find(old) >= 0 for old, new in zip(old_terms, terms, strict=False))
        )
        self._terms = terms
        self._filter_text = text
        if narrowing:
            self._rebuild_view(self._view, self._view_text)
        else:
            self._rebuild_view(self._sorted, self._sorted_text)
        self._after_change()

    def _matches(self, text: str) -> bool:
        return all(term in text for term in self._terms)

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

    # ---------------------------------------------------------------- cursor

    def _position_of(self, key: RowKey) -> int | None:
        sort_key = self._sort_keys.get(key)
        if sort_key is None:
            return None
        view = self._view
        index = bisect_left(view, sort_key, key=self._sort_keys.__getitem__)
        if index >= len(view) or view[index] != key:
            return None
        return len(view) - 1 - index if self.sort_reverse else index

    def _after_change(self) -> None:
        """Resize, re-anchor the cursor on its row, repaint, tell the screen."""
        count = len(self._view)
        self._set_virtual_height(count + 1)
        position = self._position_of(self._cursor_key) if self._cursor_key is not None else None
        if position is None:
            position = min(self._cursor, count - 1) if count else 0
        self._set_cursor(position, scroll=True, announce=True)
        self.refresh()
        self.post_message(
            self.ViewChanged(self, count, len(self._rows), self.sort_column, self.sort_reverse)
        )

    def _set_cursor(self, position: int, *, scroll: bool = True, announce: bool = True) -> None:
        count = len(self._view)
        position = max(0, min(position, count - 1)) if count else 0
        old_key = self._cursor_key
        old_position = self._cursor
        self._cursor = position
        self._cursor_key = self.key_at(position) if count else None
        if scroll:
            self._scroll_to_cursor()
        if old_position != position:
            self.refresh_line(old_position + 1)
            self.refresh_line(position + 1)
        if announce and old_key != self._cursor_key:
            self.post_message(self.CursorMoved(self, self._cursor_key))

    def move_cursor_to(self, key: RowKey) -> bool:
        """Put the cursor on ``key`` if it is shown."""
        position = self._position_of(key)
        if position is None:
            return False
        self._set_cursor(position)
        return True

    @property
    def _page_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        top = round(self.scroll_y)
        page = self._page_rows
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + page:
            self.scroll_to(y=self._cursor - page + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self._set_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._set_cursor(self._cursor + 1)

    def action_page_up(self) -> None:
        self._set_cursor(self._cursor - self._page_rows)

    def action_page_down(self) -> None:
        self._set_cursor(self._cursor + self._page_rows)

    def action_first(self) -> None:
        self._set_cursor(0)

    def action_last(self) -> None:
        self._set_cursor(len(self._view) - 1)

    def action_activate(self) -> None:
        if self._cursor_key is not None:
            self.post_message(self.RowActivated(self, self._cursor_key))

    def action_toggle_select(self) -> None:
        key = self._cursor_key
        if key is None:
            return
        if key in self._selected:
            self._selected.discard(key)
        else:
            self._selected.add(key)
        self.refresh_line(self._cursor + 1)
        self.post_message(self.SelectionChanged(self, frozenset(self._selected)))
        self._set_cursor(self._cursor + 1)

    def action_select_all(self) -> None:
        """Select every shown row, or clear the selection if they all are selected."""
        shown = set(self._view)
        if shown and shown <= self._selected:
            self._selected -= shown
        else:
            self._selected |= shown
        self.refresh()
        self.post_message(self.SelectionChanged(self, frozenset(self._selected)))

    def clear_selection(self) -> None:
        if self._selected:
            self._selected.clear()
            self.refresh()
            self.post_message(self.SelectionChanged(self, frozenset()))

    def action_cycle_sort(self) -> None:
        columns = [column.key for column, _ in self._columns_for(self._content_width())]
        index = columns.index(self.sort_column) if self.sort_column in columns else -1
        self.sort_by(columns[(index + 1) % len(columns)], reverse=False)

    def action_reverse_sort(self) -> None:
        self.sort_by(self.sort_column, reverse=not self.sort_reverse)

    # ----------------------------------------------------------------- mouse

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            x = MARK_WIDTH
            for column, width in self._columns_for(self._content_width()):
                if x <= offset.x < x + width + 1:
                    reverse = not self.sort_reverse if column.key == self.sort_column else False
                    self.sort_by(column.key, reverse=reverse)
                    return
                x += width + 1
            return
        position = round(self.scroll_y) + offset.y - 1
        if 0 <= position < len(self._view):
            self._set_cursor(position, scroll=False)
            if event.chain >= 2:
                self.action_activate()

    # ------------------------------------------------------------ highlights

    def _arm_flash_timer(self) -> None:
        if self._flash_timer is None:
            self._flash_timer = self.set_timer(self.highlight_seconds + 0.05, self._expire_flash)

    def _expire_flash(self) -> None:
        self._flash_timer = None
        now = self._monotonic()
        expired = [key for key, until in self._flash_until.items() if until <= now]
        for key in expired:
            del self._flash_until[key]
        self.refresh()
        if self._flash_until:
            wait = max(0.05, min(self._flash_until.values()) - now + 0.05)
            self._flash_timer = self.set_timer(wait, self._expire_flash)

    def is_highlighted(self, key: RowKey) -> bool:
        until = self._flash_until.get(key)
        return until is not None and until > self._monotonic()

    # --------------------------------------------------------------- drawing

    def _content_width(self) -> int:
        """Cells per line (cached: the scrollbar is always there, so only a resize changes it)."""
        if self._width_cache is None:
            self._width_cache = self.scrollable_content_region.width or self.size.width
        return self._width_cache

    def _style(self, component: str | None = None) -> Style:
        """The widget's Rich style, or a component's (cached until the styles change)."""
        style = self._styles.get(component)
        if style is None:
            style = (
                self.rich_style if component is None else self.get_component_rich_style(component)
            )
            self._styles[component] = style
        return style

    def _columns_for(self, width: int) -> list[tuple[Column, int]]:
        """Columns that fit in ``width`` cells, with their widths (cached per width)."""
        if width == self._layout_width:
            return self._layout
        columns = [c for c in COLUMNS if c.key != "barcode" or width >= BARCODE_MIN_WIDTH]
        fixed = MARK_WIDTH + sum(c.width + 1 for c in columns)
        spare = max(0, width - fixed)
        flex_total = sum(c.flex for c in columns)
        layout: list[tuple[Column, int]] = []
        given = 0
        flexible = [c for c in columns if c.flex]
        for column in columns:
            extra = 0
            if column.flex:
                if column is flexible[-1]:
                    extra = spare - given
                else:
                    extra = spare * column.flex // flex_total
                    given += extra
            layout.append((column, column.width + extra))
        self._layout_width, self._layout = width, layout
        return layout

    def _header_text(self, column: Column) -> str:
        if column.key != self.sort_column:
            return column.label
        return f"{column.label} {'▼' if self.sort_reverse else '▲'}"

    def render_line(self, y: int) -> Strip:
        width = self._content_width()
        base = self._style()
        layout = self._columns_for(width)
        if y == 0:
            return self._render_header(layout, width, base)
        position = round(self.scroll_y) + y - 1
        if position >= len(self._view):
            if position == 1 and not self._view and not self.loading:
                return self._render_empty_note(width, base)
            return Strip.blank(width, base)
        return self._render_row(position, layout, width, base)

    def _render_empty_note(self, width: int, base: Style) -> Strip:
        """One line saying why the table is empty (the filter, or no tracked variants)."""
        if self._rows:
            note = f"No variant matches “{printable(self._filter_text)}”. Esc clears the filter."
        else:
            note = self.empty_text
        style = base + Style(italic=True)
        return Strip([Segment(fit(f"  {note}", width), style)]).crop_extend(0, width, style)

    def _render_header(self, layout: list[tuple[Column, int]], width: int, base: Style) -> Strip:
        style = base + self._style("stock-table--header")
        parts = [fit("", MARK_WIDTH)]
        for column, column_width in layout:
            parts.append(fit(self._header_text(column), column_width, column.right))
        return Strip([Segment(" ".join(parts), style)]).crop_extend(0, width, style)

    def _render_row(
        self, position: int, layout: list[tuple[Column, int]], width: int, base: Style
    ) -> Strip:
        key = self.key_at(position)
        row = self._rows[key]
        style = base
        if key in self._selected:
            style += self._style("stock-table--selected")
        if self._flash_until and self.is_highlighted(key):
            style += self._style("stock-table--changed")
        if position == self._cursor:
            style += self._style("stock-table--cursor")
            if self.app.no_color:
                style += Style(reverse=True)
        state = stock_state(row)
        tick = SELECTED_MARK if key in self._selected else " "
        marker = OUT_MARK if state == "out" else LOW_MARK if state == "low" else ""
        marker_style = style
        if state != "ok":
            marker_style = style + self._style(f"stock-table--{state}")
        segments = [Segment(f"{tick} ", style), Segment(fit(marker, 5), marker_style)]
        length = MARK_WIDTH
        for column, column_width in layout:
            segments.append(Segment(" ", style))
            cell_style = style
            if column.key == "product":
                text = printable(row.product_name)
            elif column.key == "variant":
                text = printable(row.variant_name)
            elif column.key == "sku":
                text = printable(row.sku)
            elif column.key == "barcode":
                text = printable(row.barcode)
            elif column.key == "balance":
                balance = row.balance + row.pending
                if row.pending:
                    text = f"{PENDING_MARK}{balance:,}"
                    cell_style = style + self._style("stock-table--pending")
                else:
                    text = f"{balance:,}"
            else:
                level = row.low_stock_level
                text = "" if level is None else f"{level:,}"
            segments.append(Segment(fit(text, column_width, column.right), cell_style))
            length += column_width + 1
        if length == width:  # the usual case: cells fill the line exactly
            return Strip(segments, width)
        return Strip(segments).crop_extend(0, width, style)

    def _set_virtual_height(self, height: int) -> None:
        """Set the scrollable height without a layout pass of the whole screen.

        ``virtual_size`` is a layout reactive: assigning it reflows the screen and repaints the
        scrollbar a frame later. The vertical scrollbar is always shown (``overflow-y: scroll``),
        so the layout cannot change; the scrollbar is updated here, in the same frame.
        """
        size = Size(self.scrollable_content_region.width, height)
        if size == self.virtual_size:
            return
        if not self.is_mounted or not self.container_size:
            self.virtual_size = size
            return
        self.set_reactive(ScrollView.virtual_size, size)
        self._scroll_update(size)

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        """Skip ScrollView's scrollbar update when only someone else's layout ran.

        Any layout pass of the screen (an Input lays itself out on every keystroke) calls this with
        the widget's unchanged size; ScrollView then repaints the scrollbar in one more frame.
        Our scrollbar is already current (see ``_set_virtual_height``), so only real resizes pass.
        """
        if size == self._size and container_size == self.container_size and self._size:
            return False
        self._width_cache = None
        return super()._size_updated(size, virtual_size, container_size, layout)

    def on_resize(self, _event: events.Resize) -> None:
        self._width_cache = None
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._view) + 1)
        self._scroll_to_cursor()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self.refresh()
