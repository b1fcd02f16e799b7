"""Whole numbers as Zettle (and people) write them: ``42``, ``"42"``, ``"9.0"``, ``9.0``."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

LARGEST_WHOLE_NUMBER = 2**63 - 1
"""The largest balance or level the app reads: Zettle's numbers fit in 64 signed bits."""

MAX_NUMBER_TEXT = 40
"""The longest text read as a number: a 64-bit number, its sign, ``.0`` and spaces fit easily."""

MAX_EXPONENT = 20
"""The largest exponent in ``"5E3"``-style text (a 64-bit number has 19 digits)."""

_NUMBER_TEXT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]{1,4})?")
"""ASCII digits only: ``int()`` and ``Decimal()`` also read other scripts' digits (``"١٢"``)."""


def _bounded(number: int, value: Any) -> int:
    if -LARGEST_WHOLE_NUMBER - 1 <= number <= LARGEST_WHOLE_NUMBER:
        return number
    raise ValueError(f"expected a whole number that fits in 64 bits, got {_shown(value)}")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 50 else text[:47] + "..."


def parse_whole_number(value: Any) -> int:
    """Read a whole number from ``42``, ``"42"``, ``"9.0"`` or ``9.0``; refuse anything else.

    The text and the size are checked *before* any conversion, so an absurd value (``"1e1000000"``,
    a million digits) is refused at once instead of being expanded; every answer fits in 64 bits.
    """
    if isinstance(value, bool):
        raise ValueError("expected a whole number, got a boolean")
    if isinstance(value, int):
        return _bounded(value, value)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(f"expected a whole number, got {value!r}")
        if abs(value) >= 2.0**63:
            raise ValueError(f"expected a whole number that fits in 64 bits, got {value!r}")
        return int(value)
    if isinstance(value, str):
        if len(value) > MAX_NUMBER_TEXT:
            raise ValueError(f"expected a whole number, got {len(value):,} characters")
        text = value.strip(" \t\r\n")
        if not _NUMBER_TEXT.fullmatch(text):
            raise ValueError(f"expected a whole number, got {_shown(value)}")
        mantissa, _, exponent = text.lower().partition("e")
        if exponent and abs(int(exponent)) > MAX_EXPONENT:
            raise ValueError(f"expected a whole number that fits in 64 bits, got {_shown(value)}")
        if not exponent and "." not in mantissa:
            return _bounded(int(mantissa), value)
        number = Decimal(text)
        if number != number.to_integral_value():
            raise ValueError(f"expected a whole number, got {_shown(value)}")
        return _bounded(int(number), value)
    raise ValueError(f"expected a whole number, got {type(value).__name__}")
