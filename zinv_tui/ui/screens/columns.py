"""Column widths for the screens' DataTables: fixed columns, and one that takes what is left."""

from __future__ import annotations

from collections.abc import Sequence

CELL_PADDING = 2
"""A DataTable cell has one space of padding on each side."""
SCROLLBAR = 2


def flexible_width(total: int, fixed: Sequence[int], minimum: int = 12) -> int:
    """Width for the one flexible column when the table is ``total`` cells wide."""
    used = sum(fixed) + CELL_PADDING * (len(fixed) + 1) + SCROLLBAR
    return max(minimum, total - used)
