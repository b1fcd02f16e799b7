"""When and how long to wait before repeating a request.

Which failures are retried at all is decided in :mod:`zinv_tui.api.pipeline` (its docstring lists
the rules). Exponential backoff with full jitter (a random wait between zero and
``base * 2**attempt``, capped), so that many clients hit by the same outage don't come back in
lockstep. ``Retry-After`` from a 429 or 503 wins over the computed wait when present.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_SECONDS = re.compile(r"-?[0-9]{1,12}(?:\.[0-9]{1,6})?")
"""Delta-seconds in ASCII digits (``float()`` would also read ``"1_0"``, ``"inf"`` or ``"١٢"``)."""

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
"""Answers worth repeating: throttled, or the server (or a proxy in front of it) failed."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times to repeat and how long to wait in between."""

    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_cap: float = 10.0
    max_retry_after: float = 60.0
    """A longer ``Retry-After`` is not waited out: the error goes up with ``retry_after`` set."""
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be zero or more")
        if self.backoff_base < 0 or self.backoff_cap < 0 or self.max_retry_after < 0:
            raise ValueError("backoff times must not be negative")

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0 for the first retry): full jitter."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return self.rng.uniform(0.0, ceiling)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date); ``None`` if unusable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _SECONDS.fullmatch(text):
        seconds = float(text)
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        try:
            seconds = (when - (now or datetime.now(UTC))).total_seconds()
        except (TypeError, OverflowError):  # a date with an odd offset
            return None
    if seconds != seconds or seconds == float("inf"):  # NaN or infinite
        return None
    return max(0.0, seconds)
