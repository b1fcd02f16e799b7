"""How much a person may enter as one quantity: the one rule for screens, commands and counts.

- One quantity (a restock, a sale, a count, an order line, what arrived) is a whole number up to
  :data:`MAX_QUANTITY`. Above it the number is refused as a likely typo (a fat-finger "160000"
  for "16"), with :func:`too_large` saying so in the same words everywhere.
- Zettle takes at most 99,999 in one movement line
  (:data:`~zinv_tui.service.backend.MOVEMENT_LINE_MAX`); that is the backend's business, not the
  person's: a larger movement is sent as several lines of one request, which Zettle applies
  together or not at all. So a shop that really received 150,000 screws can say so.
"""

from __future__ import annotations

from zinv_tui.values.numbers import parse_whole_number

MAX_QUANTITY = 1_000_000
"""The largest quantity (or count) a person may enter at once; above it, likely a typo."""


def too_large(value: int) -> str:
    """The sentence for a quantity above :data:`MAX_QUANTITY`."""
    return f"{value:,} is more than {MAX_QUANTITY:,} - is that a typo?"


def quantity_problem(value: object, what: str = "quantity", minimum: int = 1) -> str | None:
    """What is wrong with ``value`` as a quantity (None: nothing). ``minimum`` is 1 (above zero)
    or 0 (zero or more), or lower for a balance."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"The {what} must be a whole number"
    if value < minimum:
        return f"The {what} must be {'zero or more' if minimum == 0 else 'above zero'}"
    if value > MAX_QUANTITY:
        return f"The {what} {too_large(value)}"
    return None


def parse_quantity(text: str | int) -> int:
    """Read a quantity typed by a person; ``ValueError`` says in a sentence what is wrong."""
    try:
        value = parse_whole_number(text)
    except ValueError:
        raise ValueError(f"{str(text).strip()!r} is not a whole number") from None
    if value <= 0:
        raise ValueError("The quantity must be a whole number above zero")
    if value > MAX_QUANTITY:
        raise ValueError(too_large(value))
    return value
