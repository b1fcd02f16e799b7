"""The toast of movements just recorded ("⧗ Restock: 2 movements recorded, sending to Zettle"),
kept honest: once none of them waits to be sent any more, it gives way at once to a short
"✓ Restock: 2 movements recorded, sent to Zettle" (or, when Zettle refused some or its answer was
lost, a warning that sends the user to the History) instead of saying "sending" for seconds
after the outbox emptied.

Only a toast still on screen is followed up. The movements are looked up in the journal when the
service's status changes (every send changes the outbox counts), and only while such a toast is
up: nothing runs otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.notifications import Notification

from zinv_tui.service import InventoryPort, OutboxEntry, OutboxStatus, SyncState, SyncStatus
from zinv_tui.ui.marks import PENDING_MARK, SENT_MARK
from zinv_tui.ui.textual_compat import show_notification, withdraw_notification

SENT_TIMEOUT = 3.0
"""Seconds the "sent to Zettle" confirmation stays (it only confirms what was said)."""


def on_the_way(status: SyncStatus | None, count: int = 1) -> str:
    """What happens to movements just recorded, to end a sentence: ``, sending to Zettle``, or,
    while Zettle cannot be reached (``status``: the service's ``SyncStatus``), that they will be
    sent when it can."""
    unreachable = status is not None and (
        status.state is SyncState.OFFLINE or bool(status.sending_unreachable)
    )
    if not unreachable:
        return ", sending to Zettle"
    return f"; {'it' if count == 1 else 'they'} will be sent when Zettle is reachable"


@dataclass(frozen=True, slots=True)
class _Sending:
    notification: Notification
    recorded: str
    ids: tuple[int, ...]


class SendingToasts:
    """The app's "sending" toasts still on screen, and what they turn into once sent."""

    def __init__(self, app: App[Any], service: InventoryPort) -> None:
        self._app = app
        self._service = service
        self._shown: list[_Sending] = []

    def show(
        self,
        recorded: str,
        entries: Sequence[OutboxEntry],
        *,
        after: str = "",
        timeout: float | None = None,
    ) -> None:
        """Toast ``recorded`` (``"Restock: 2 movements recorded"``) and that ``entries`` are on
        their way (or will be sent once Zettle is reachable); ``after`` ends the sentence."""
        on_way = on_the_way(self._service.status, len(entries))
        notification = Notification(
            f"{PENDING_MARK} {recorded}{on_way}{after}",
            timeout=self._app.NOTIFICATION_TIMEOUT if timeout is None else timeout,
        )
        show_notification(self._app, notification)
        if entries:
            self._shown.append(_Sending(notification, recorded, tuple(e.id for e in entries)))
            self._app.call_later(self.status_changed)  # sent before this toast showed

    def status_changed(self) -> None:
        """Follow up every toast whose movements are no longer waiting to be sent."""
        if not self._shown:
            return
        waiting: list[_Sending] = []
        for sending in self._shown:
            if sending.notification.has_expired:
                continue  # gone from the screen: nothing to follow up
            entries = self._service.entries_by_id(sending.ids)
            if any(entry.status is OutboxStatus.PENDING for entry in entries):
                waiting.append(sending)
                continue
            withdraw_notification(self._app, sending.notification)
            self._follow_up(sending.recorded, entries)
        self._shown = waiting

    def _follow_up(self, recorded: str, entries: Sequence[OutboxEntry]) -> None:
        attention = sum(entry.status is OutboxStatus.NEEDS_ATTENTION for entry in entries)
        if attention:
            count = len(entries)
            which = f"{attention} of them" if attention < count else "it" if count == 1 else "them"
            self._app.notify(
                f"⚠ {recorded}, but Zettle did not confirm {which}: see History (h)",
                severity="warning",
                markup=False,
            )
        elif all(entry.status is OutboxStatus.ACKNOWLEDGED for entry in entries):
            self._app.notify(
                f"{SENT_MARK} {recorded}, sent to Zettle", timeout=SENT_TIMEOUT, markup=False
            )
