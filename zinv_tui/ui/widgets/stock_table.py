"""StockTable: a virtualised, keyboard-first table of stock rows (Textual Line API).

The table keeps the service's ``StockRow`` objects as they are, in a
:class:`~zinv_tui.ui.stock_index.StockIndex` (sort order, filter, in-place diffs: pure, no
Textual), and renders only the lines on screen, so a frame costs the same at 50 rows or 50,000.
The table adds the cursor (it stays on its row across filters and diffs; a new sort shows its
top), the selection,
change highlights, the columns and the drawing.

Names are data, never markup: cells are plain ``Segment`` text with control characters replaced,
so ``Nut [/] Butter`` shows as typed.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import LoadingIndicator

from zinv_tui.service import RowKey, StockRow, StockState
from zinv_tui.ui.after_paint import after_paint
from zinv_tui.ui.marks import SELECTED_MARK, STATE_MARKS, with_pending
from zinv_tui.ui.stock_index import ColumnKey, StockIndex
from zinv_tui.ui.textual_compat import SteadyScrollView


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
MARK_WIDTH = 7
"""Selection tick (1), space, status marker (5)."""
BARCODE_MIN_WIDTH = 100
"""Below this many cells the barcode column is dropped (it stays searchable)."""


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


class StockLoading(LoadingIndicator):
    """The table while its rows load: the words, drawn once. (Textual's pulsing indicator redraws
    16 times a second, and every frame is taken from decoding the rows on the same thread.)"""

    @property
    def auto_refresh(self) -> float | None:
        return None

    @auto_refresh.setter
    def auto_refresh(self, interval: float | None) -> None:
        """Never redrawn by a timer (the base class asks for one when mounted)."""

    def render(self) -> Text:
        return Text("Loading stock…")


class StockTable(SteadyScrollView, can_focus=True):
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
        self._index = StockIndex()
        self._cursor_key: RowKey | None = None
        self._cursor = 0
        self._selected: set[RowKey] = set()
        self._flash_until: dict[RowKey, float] = {}
        self._flash_timer: Timer | None = None
        self._layout_width = -1
        self._layout: list[tuple[Column, int]] = []
        self._styles: dict[str | None, Style] = {}

    def get_loading_widget(self) -> Widget:
        return StockLoading()

    # ----------------------------------------------------------------- data in

    @property
    def index(self) -> StockIndex:
        """The rows, their order and the filter (read it; change it through the table)."""
        return self._index

    @property
    def row_count(self) -> int:
        """All rows held (filtered or not)."""
        return self._index.row_count

    @property
    def shown_count(self) -> int:
        """Rows that pass the filter."""
        return self._index.shown_count

    @property
    def sort_column(self) -> ColumnKey:
        """The column the rows are sorted by (change it with ``sort_by``)."""
        return self._index.sort_column

    @property
    def sort_reverse(self) -> bool:
        """True when the sort is descending."""
        return self._index.sort_reverse

    @property
    def filter_text(self) -> str:
        return self._index.filter_text

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

    def get_row(self, key: RowKey) -> StockRow | None:
        return self._index.get(key)

    def shown_keys(self) -> list[RowKey]:
        """Keys of the shown rows, top to bottom."""
        return self._index.shown_keys()

    def key_at(self, position: int) -> RowKey:
        """The key shown at ``position`` (0 = top)."""
        return self._index.key_at(position)

    def shows_top_by_product(self) -> bool:
        """True when the rows shown first are the first by product (ascending, no filter):
        the order of a launch's first screenful from the snapshot."""
        return self.sort_column == "product" and not self.sort_reverse and not self.filter_text

    def set_rows(self, rows: Iterable[StockRow] | Mapping[RowKey, StockRow]) -> None:
        """Replace every row (first load); keeps cursor, selection and filter where possible.
        The rows on screen are ordered first: the index of the rest is made once they are drawn
        and sent (or as soon as something needs it), so a first paint of 46,000 rows waits for
        120."""
        index = self._index
        index.set_rows(rows, defer=True)
        self._selected = {key for key in self._selected if key in index}
        self._flash_until.clear()
        self._after_change()
        after_paint(self, index.build)

    def apply_diff(
        self,
        upserts: Iterable[StockRow] = (),
        removed: Iterable[RowKey] = (),
        *,
        highlight: bool = True,
    ) -> None:
        """Add or replace ``upserts`` and drop ``removed``, in place; highlight what changed."""
        removed = list(removed)
        touched = self._index.apply(upserts, removed)
        for key in removed:
            self._selected.discard(key)
            self._flash_until.pop(key, None)
        if highlight and self.highlight_seconds > 0 and touched:
            deadline = self._monotonic() + self.highlight_seconds
            for key in touched:
                self._flash_until[key] = deadline
            self._arm_flash_timer()
        self._after_change()

    # ------------------------------------------------------------ sort/filter

    def sort_by(self, column: ColumnKey, reverse: bool | None = None) -> None:
        """Sort by ``column`` (ascending unless ``reverse``); a new order shows its top (the
        cursor goes to the first row)."""
        if self._index.sort_by(column, reverse):
            self._cursor_key = None
            self._cursor = 0
        self._after_change()

    def set_filter(self, text: str) -> None:
        """Show only rows whose product, variant, SKU or barcode contain every word of ``text``
        (the service's one rule of text matching)."""
        if self._index.set_filter(text):
            self._after_change()

    # ---------------------------------------------------------------- cursor

    def _after_change(self) -> None:
        """Resize, re-anchor the cursor on its row, repaint, tell the screen."""
        index = self._index
        count = index.shown_count
        self.set_virtual_height(count + 1)
        position = index.position_of(self._cursor_key) if self._cursor_key is not None else None
        if position is None:
            position = min(self._cursor, count - 1) if count else 0
        self._set_cursor(position, scroll=True, announce=True)
        self.refresh()
        self.post_message(
            self.ViewChanged(self, count, index.row_count, index.sort_column, index.sort_reverse)
        )

    def _set_cursor(self, position: int, *, scroll: bool = True, announce: bool = True) -> None:
        count = self._index.shown_count
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
        position = self._index.position_of(key)
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
        self._set_cursor(self._index.shown_count - 1)

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
        shown = self._index.shown_set()
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
        columns = [column.key for column, _ in self._columns_for(self._line_width())]
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
            for column, width in self._columns_for(self._line_width()):
                if x <= offset.x < x + width + 1:
                    reverse = not self.sort_reverse if column.key == self.sort_column else False
                    self.sort_by(column.key, reverse=reverse)
                    return
                x += width + 1
            return
        position = round(self.scroll_y) + offset.y - 1
        if 0 <= position < self._index.shown_count:
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

    def _line_width(self) -> int:
        """Cells per line (cached until a resize: the scrollbar is always there)."""
        return self.line_width

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
        width = self._line_width()
        base = self._style()
        layout = self._columns_for(width)
        if y == 0:
            return self._render_header(layout, width, base)
        position = round(self.scroll_y) + y - 1
        shown = self._index.shown_count
        if position >= shown:
            if position == 1 and not shown and not self.loading:
                return self._render_empty_note(width, base)
            return Strip.blank(width, base)
        return self._render_row(position, layout, width, base)

    def _render_empty_note(self, width: int, base: Style) -> Strip:
        """One line saying why the table is empty (the filter, or no tracked variants)."""
        if self._index.row_count:
            note = f"No variant matches “{printable(self.filter_text)}”. Esc clears the filter."
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
        key = self._index.key_at(position)
        row = self._index[key]
        style = base
        if key in self._selected:
            style += self._style("stock-table--selected")
        if self._flash_until and self.is_highlighted(key):
            style += self._style("stock-table--changed")
        if position == self._cursor:
            style += self._style("stock-table--cursor")
            if self.app.no_color:
                style += Style(reverse=True)
        state = row.state
        tick = SELECTED_MARK if key in self._selected else " "
        marker = STATE_MARKS[state]
        marker_style = style
        if state is not StockState.OK:
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
                text = with_pending(row.shown_balance, bool(row.pending))
                if row.pending:
                    cell_style = style + self._style("stock-table--pending")
            else:
                level = row.low_stock_level
                text = "" if level is None else f"{level:,}"
            segments.append(Segment(fit(text, column_width, column.right), cell_style))
            length += column_width + 1
        if length == width:  # the usual case: cells fill the line exactly
            return Strip(segments, width)
        return Strip(segments).crop_extend(0, width, style)

    def on_resize(self, _event: events.Resize) -> None:
        self.resized(self._index.shown_count + 1)
        self._scroll_to_cursor()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self.refresh()
