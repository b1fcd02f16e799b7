"""Column widths for the screens' DataTables: fixed columns, and one that takes what is left."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size

CELL_PADDING = 2
"""A DataTable cell has one space of padding on each side."""
SCROLLBAR = 2


def flexible_width(total: int, fixed: Sequence[int], minimum: int = 12) -> int:
    """Width for the one flexible column when the table is ``total`` cells wide."""
    used = sum(fixed) + CELL_PADDING * (len(fixed) + 1) + SCROLLBAR
    return max(minimum, total - used)


ELLIPSIS = "…"


def _head(text: str, width: int) -> str:
    """The start of ``text`` that fits in ``width`` cells."""
    return set_cell_size(text, width).rstrip() if cell_len(text) > width else text


def _tail(text: str, width: int) -> str:
    """The end of ``text`` that fits in ``width`` cells."""
    cut = text
    while cut and cell_len(cut) > width:
        cut = cut[1:]
    return cut


def fit_tail(text: str, width: int) -> str:
    """``text``, or its end behind an ellipsis: a SKU's tail (``…0241-S-OAT``) tells variants
    apart, its head (``APP-00``) is the same for a whole category."""
    if cell_len(text) <= width:
        return text
    return ELLIPSIS + _tail(text, width - 1) if width > 1 else ELLIPSIS[:width]


def fit_middle(text: str, width: int) -> str:
    """``text``, or its start and end around an ellipsis (``Coffee Clu…ron No. 3``): the end of a
    name often tells items apart ("No. 2", "No. 3")."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    tail_width = (width - 1) // 2
    return _head(text, width - 1 - tail_width) + ELLIPSIS + _tail(text, tail_width).lstrip()


def fit_label(product: str, variant: str, width: int, minimum_product: int = 12) -> str:
    """``Product / Variant`` in ``width`` cells: the product is shortened in the middle first, so
    the variant (what tells the rows of one product apart) stays whole as long as it can."""
    product = product.strip()
    variant = variant.strip()
    if not variant or variant == product:
        return fit_middle(product, width)
    full = f"{product} / {variant}"
    if cell_len(full) <= width:
        return full
    room = width - 3 - cell_len(variant)
    if room >= minimum_product:
        return f"{fit_middle(product, room)} / {variant}"
    product_width = min(cell_len(product), minimum_product)
    variant_width = width - 3 - product_width
    return f"{fit_middle(product, product_width)} / {fit_middle(variant, variant_width)}"
