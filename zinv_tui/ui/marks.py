"""The symbols that say a row's state in words and shapes (never by colour alone), once.

The themes colour them, but each one reads the same without colour (``NO_COLOR``, a monochrome
terminal, a screenshot): out ``✗ OUT``, low ``▼ LOW``, a movement waiting to be sent ``⧗``.
"""

from __future__ import annotations

from zinv_tui.service import StockState
from zinv_tui.service.wording import number

PENDING_MARK = "⧗"
"""Own movements not yet acknowledged by Zettle: "sending"."""
SENT_MARK = "✓"
"""Own movements Zettle acknowledged: "sent"."""
OUT_SYMBOL = "✗"
LOW_SYMBOL = "▼"
OUT_MARK = f"{OUT_SYMBOL} OUT"
LOW_MARK = f"{LOW_SYMBOL} LOW"
SELECTED_MARK = "✓"
"""A selected row of the balances."""
PICKED_MARK = "●"
"""A selected line of the other lists (low stock, tracking)."""
STATE_MARKS: dict[StockState, str] = {
    StockState.OUT: OUT_MARK,
    StockState.LOW: LOW_MARK,
    StockState.OK: "",
}
"""The balances' marker of each state (nothing for OK)."""
STATE_WORDS: dict[StockState, str] = {
    StockState.OUT: "OUT",
    StockState.LOW: "LOW",
    StockState.OK: "ok",
}
"""A state in one word, for the lists that have a column of their own for it."""


def with_pending(balance: int, pending: bool) -> str:
    """``⧗1,200`` for a balance that includes movements still being sent, else ``1,200``."""
    shown = number(balance)
    return f"{PENDING_MARK}{shown}" if pending else shown
