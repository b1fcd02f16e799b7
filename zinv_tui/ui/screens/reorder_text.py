"""How the reorder screens write numbers and states: short, readable without colour."""

from __future__ import annotations

from rich.text import Text

from zinv_tui.service import LineState, OrderStatus, ReorderStatus
from zinv_tui.ui.marks import PENDING_MARK

NONE = "—"

STATUS_WORDS: dict[ReorderStatus, tuple[str, str]] = {
    ReorderStatus.OUT: ("✗ OUT", "bold red"),
    ReorderStatus.ORDER: ("! ORDER", "bold yellow"),
    ReorderStatus.ON_ORDER: (f"{PENDING_MARK} on ord", "cyan"),
    ReorderStatus.SOON: ("▼ soon", "yellow"),
    ReorderStatus.OK: ("ok", "dim"),
    ReorderStatus.EXCESS: ("▲ excess", "magenta"),
    ReorderStatus.NO_SALES: ("no sales", "dim"),
}
"""Status -> (word, style): a symbol and a word, so no state depends on colour."""

ORDER_WORDS: dict[OrderStatus, tuple[str, str]] = {
    OrderStatus.DRAFT: ("✎ draft", "bold"),
    OrderStatus.ORDERED: (f"{PENDING_MARK} ordered", "cyan"),
    OrderStatus.PARTIAL: ("◐ partial", "yellow"),
    OrderStatus.RECEIVED: ("✓ received", "green"),
    OrderStatus.CLOSED: ("✓ closed", "dim"),
    OrderStatus.CANCELLED: ("✗ cancelled", "dim"),
}

LINE_WORDS: dict[LineState, tuple[str, str]] = {
    LineState.NOT_RECEIVED: ("· none yet", "dim"),
    LineState.SHORT: ("▼ short", "bold yellow"),
    LineState.COMPLETE: ("✓ complete", "green"),
    LineState.OVER: ("▲ over", "bold magenta"),
    LineState.EXTRA: ("+ extra", "bold cyan"),
}


def worded(words: tuple[str, str]) -> Text:
    return Text(words[0], style=words[1], no_wrap=True, overflow="ellipsis")


def rate_text(per_day: float) -> str:
    """Units per day: ``0.4``, ``12``; blank for none."""
    if per_day <= 0:
        return ""
    return f"{per_day:.1f}" if per_day < 10 else f"{per_day:.0f}"


def cover_text(days: float | None) -> str:
    """Days of cover: ``0``, ``3.5``, ``40``; ``—`` when nothing sells."""
    if days is None:
        return NONE
    if days >= 999:
        return "999+"
    return f"{days:.1f}" if 0 < days < 10 else f"{days:.0f}"


def count_text(value: int, blank_zero: bool = True) -> Text:
    """A right-aligned whole number (blank for 0 unless asked)."""
    return Text("" if blank_zero and not value else f"{value:,}", justify="right")


def right(text: str, style: str = "") -> Text:
    return Text(text, style=style, justify="right")
