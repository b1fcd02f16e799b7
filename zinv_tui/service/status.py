"""Sync status: how fresh the numbers on screen are, in a form a status bar can show as is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SyncState(StrEnum):
    """``STARTING`` until the first load; then ``LIVE``, ``WAITING``, ``STALE`` or ``OFFLINE``."""

    STARTING = "starting"
    LIVE = "live"
    """The last poll succeeded and is recent, and no call to Zettle is overdue."""
    WAITING = "waiting"
    """The last poll succeeded, but a call to Zettle (a poll, a send) has been outstanding longer
    than it usually takes (:mod:`zinv_tui.service.answer_watch`): the numbers may be behind."""
    STALE = "stale"
    """Zettle answered with an error (busy, 5xx, refused) or the last success is too old."""
    OFFLINE = "offline"
    """Zettle could not be reached at all (no connection, timeout)."""


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """Published after every poll and whenever the outbox counts change.

    ``last_error`` is ``str()`` of the client's error: plain words, no secrets. ``sending_error`` is
    the outbox's latest failure to deliver (None once a send succeeds); ``sending_unreachable``
    says that failure was Zettle not being reachable at all (no connection, timeout, dropped
    connection), as opposed to Zettle answering with an error (busy, 5xx, token).
    """

    state: SyncState = SyncState.STARTING
    last_success: datetime | None = None
    last_error: str | None = None
    pending_count: int = 0
    attention_count: int = 0
    sending_error: str | None = None
    sending_unreachable: bool = False
    next_poll_in: float | None = None
    rows: int = 0
    place_uuid: str | None = None
    """The STORE place the rows are of (None until the places are known)."""
    snapshot_from: datetime | None = None
    """The rows shown come from the local snapshot written at this time and are not confirmed
    by Zettle yet (None: they are Zettle's, as of ``last_success``)."""

    @property
    def summary(self) -> str:
        """One short line: ``"live"``, ``"waiting"``, ``"stale since 14:02"``, ``"offline"``, plus
        the outbox."""
        if self.state is SyncState.STALE and self.last_success is not None:
            text = f"stale since {self.last_success.astimezone():%H:%M}"
        else:
            text = self.state.value
        if self.pending_count:
            text += f" · {self.pending_count} waiting to send"
        if self.attention_count:
            text += f" · {self.attention_count} need attention"
        return text
