"""Whole numbers in requests, bounded before they are converted.

A number in a request body may be a JSON number or a string (Zettle's docs send ``"change": "1"``
and balances like ``"9.0"``). Text is checked for its length and for ASCII digits first, and the
magnitude is checked before any conversion, so a hostile ``"1e1000000"`` or a 4,000-digit number
costs microseconds and answers 400. Non-ASCII digits (``"١٢"``, which ``int()`` accepts) are not
digits here.
"""

from __future__ import annotations

import math
import re
from typing import Any

MAX_CHANGE = 99_999
"""The most one movement line may move (Zettle's own limit suggests it)."""
BALANCE_MIN = -(2**63)
BALANCE_MAX = 2**63 - 1
"""A balance (and a low-stock level) is a signed 64-bit integer, what SQLite stores as INTEGER."""

_MAX_TEXT = 32
_WHOLE_TEXT = re.compile(r"[+-]?[0-9]{1,25}(?:\.0{0,6})?")
"""Digits, optionally ``.0`` (``"9.0"``); no exponent, no other fraction."""

NUMBER_FIELDS = {
    "change": MAX_CHANGE,
    "lowStockLevel": BALANCE_MAX,
    "low_stock_level": BALANCE_MAX,
}
"""Request fields holding whole numbers, with the largest magnitude each may have."""


def whole_number(value: Any, limit: int) -> int:
    """``value`` as an int whose magnitude is at most ``limit``; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("expected a whole number, got a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(f"expected a whole number, got {value!r}")
        if abs(value) > limit:
            raise ValueError(f"out of range: at most {limit} in size")
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_TEXT or not _WHOLE_TEXT.fullmatch(text):
            raise ValueError('expected a whole number written in digits (like 12 or "12")')
        number = int(text.partition(".")[0])
    else:
        raise ValueError(f"expected a whole number, got {type(value).__name__}")
    if abs(number) > limit:
        raise ValueError(f"out of range: at most {limit} in size")
    return number
