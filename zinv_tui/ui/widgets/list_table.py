"""ListTable: the app's lists (history, low stock, counts, tracking, locations, a count's review)
with the same keys as the balances table: ``j``/``k`` down and up, ``g``/Home the first row,
``G``/End the last, besides the arrows and PgUp/PgDn of a DataTable."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable


class ListTable(DataTable):
    """A row-cursor DataTable that moves like the balances table (one place for the list keys)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("home,g", "first_row", "First row", show=False),
        Binding("end,G", "last_row", "Last row", show=False),
    ]

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)
