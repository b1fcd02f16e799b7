"""Whether Zettle keeps the service waiting: the status stops saying "live" once a call to Zettle
has been outstanding longer than it usually takes, and says it again once the call ends.

A call (a poll, a send attempt) is watched while it runs, with one timer armed when it starts and
cancelled when it ends: nothing runs while the service is idle. :attr:`AnswerWatch.waiting` is
True from the moment a call overruns until no overrunning call is left; each change is reported
through ``on_change`` (the service publishes its status then).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

PATIENCE = 3.0
"""Seconds a call to Zettle may take before the status stops saying "live" (Zettle answers a
poll or a movement within a second; a call known to take longer is given its usual time)."""


class AnswerWatch:
    """Counts the calls to Zettle running past their time; ``on_change`` when that starts or
    ends."""

    def __init__(self, on_change: Callable[[], None], patience: float = PATIENCE) -> None:
        if not patience > 0:
            raise ValueError("the patience must be above zero seconds")
        self.patience = float(patience)
        self._on_change = on_change
        self._overdue = 0

    @property
    def waiting(self) -> bool:
        """A call to Zettle has run longer than it usually takes and has not ended yet."""
        return self._overdue > 0

    @contextlib.contextmanager
    def call(self, usual: float = 0.0) -> Iterator[None]:
        """Watch the call made inside the block, which usually takes ``usual`` seconds (it is
        overdue after that or :attr:`patience`, whichever is longer)."""
        late = False

        def overdue() -> None:
            nonlocal late
            late = True
            self._overdue += 1
            if self._overdue == 1:
                self._on_change()

        timer = asyncio.get_running_loop().call_later(max(self.patience, usual), overdue)
        try:
            yield
        finally:
            timer.cancel()
            if late:
                self._overdue -= 1
                if not self._overdue:
                    self._on_change()


def watched(watch: AnswerWatch | None, usual: float = 0.0) -> AbstractContextManager[None]:
    """``watch.call(usual)``, or nothing to watch with (no watch given)."""
    return contextlib.nullcontext() if watch is None else watch.call(usual)
