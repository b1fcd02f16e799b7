"""Enums that carry names a later version (or Zettle) added, instead of refusing them."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, TypeVar

E = TypeVar("E", bound=StrEnum)
_CARRIED_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


def carried(kind: type[E], value: Any) -> E:
    """``kind(value)``; for a name a later version (or Zettle) added, such as a ``WAREHOUSE``
    location, a stand-in member of ``kind`` that carries it: equal to its text, never listed by
    iterating ``kind``. Anything that is not such a name raises ``ValueError``."""
    try:
        return kind(value)
    except ValueError:
        if not isinstance(value, str) or not _CARRIED_NAME.fullmatch(value):
            raise
    member = str.__new__(kind, value)
    member._name_ = value
    member._value_ = value
    return member
