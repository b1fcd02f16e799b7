"""Reading quantities typed by a person: whole numbers only, with messages that say what to type."""

from __future__ import annotations

import re

from zinv_tui.service import MAX_QUANTITY

_WHOLE = re.compile(r"^\+?[0-9]+$")

ABOVE_ZERO = "Enter a whole number above 0"
ZERO_OR_MORE = "Enter a whole number, 0 or more"
TOO_LARGE = f"That is more than {MAX_QUANTITY:,}: check the number"


class QuantityError(ValueError):
    """The text is not an acceptable quantity; ``str(error)`` says what to type instead."""


def read_quantity(text: str, *, allow_zero: bool = False) -> int:
    """The whole number in ``text`` (spaces and a leading ``+`` allowed, thousands separators not).

    Raises :class:`QuantityError` for blanks, decimals, negatives, words, zero (unless allowed) and
    numbers above a million (a fat-finger guard).
    """
    message = ZERO_OR_MORE if allow_zero else ABOVE_ZERO
    cleaned = text.strip()
    if not _WHOLE.match(cleaned):
        raise QuantityError(message)
    value = int(cleaned)
    if value == 0 and not allow_zero:
        raise QuantityError(message)
    if value > MAX_QUANTITY:
        raise QuantityError(TOO_LARGE)
    return value
