"""Base of the screens that show the service's data: access, its streams, and Esc to go back."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial
from typing import Any, Generic, TypeVar

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

from zinv_tui.service.status import SyncState

ResultT = TypeVar("ResultT")


def on_the_way(status: Any, count: int = 1) -> str:
    """What happens to movements just recorded, to end a sentence: ``, sending to Zettle``, or,
    while Zettle cannot be reached (``status``: the service's ``SyncStatus``), that they will be
    sent when it can."""
    unreachable = status is not None and (
        status.state is SyncState.OFFLINE or bool(status.sending_unreachable)
    )
    if not unreachable:
        return ", sending to Zettle"
    return f"; {'it' if count == 1 else 'they'} will be sent when Zettle is reachable"


class ScreenActions(Provider):
    """The command palette entries of the current screen's own keys ("History: Export CSV")."""

    def _commands(self) -> list[tuple[str, str, str]]:
        screen = self.screen
        title = getattr(screen, "TITLE", None) or type(screen).__name__
        found: dict[str, tuple[str, str, str]] = {}
        for bindings in screen._bindings.key_to_bindings.values():
            for binding in bindings:
                if not binding.description or binding.action in found or binding.system:
                    continue
                if binding.action.startswith("app."):
                    continue  # the app's own commands list those
                keys = screen.app.get_key_display(binding)
                found[binding.action] = (f"{title}: {binding.description}", binding.action, keys)
        return list(found.values())

    def _run(self, action: str) -> None:
        screen = self.screen
        screen.call_later(screen.run_action, action)

    async def discover(self) -> Hits:
        for title, action, keys in self._commands():
            yield DiscoveryHit(title, partial(self._run, action), help=f"key: {keys}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, keys in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(title), partial(self._run, action), help=f"key: {keys}"
                )


def steady_cursors(node: Widget) -> None:
    """In a frozen app (snapshots), text cursors under ``node`` stop blinking."""
    if getattr(node.app, "frozen", False):
        for field in node.query(Input):
            field.cursor_blink = False


class ServiceScreen(Screen[ResultT], Generic[ResultT]):
    """A screen pushed over the home screen that reads ``self.app.service``.

    :meth:`follow_rows` and :meth:`follow_status` subscribe to the service's streams for as long as
    the screen is mounted.
    """

    BINDINGS = [Binding("escape", "back", "Back")]
    COMMANDS = {ScreenActions}

    def __init__(self) -> None:
        super().__init__()
        self._unsubscribers: list[Callable[[], None]] = []

    @property
    def service(self) -> Any:
        """The app's :class:`~zinv_tui.service.InventoryService`."""
        return self.app.service  # type: ignore[attr-defined]

    def follow_rows(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback(diff)`` after each change of the service's rows (``None``: reload all).

        Uses the app's ``stock_signal`` when there is one (delivered on this screen's queue, so
        never after it closed), else the service's own ``subscribe``.
        """
        signal = getattr(self.app, "stock_signal", None)
        if signal is not None:
            signal.subscribe(self, callback)
            self._unsubscribers.append(lambda: signal.unsubscribe(self))
            return
        self._follow("subscribe", "unsubscribe", callback)

    def follow_status(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback(status)`` after each change of the sync status."""
        if hasattr(type(self.app), "sync_status"):
            self.watch(self.app, "sync_status", callback, init=False)
            return
        self._follow("subscribe_status", "unsubscribe_status", callback)

    def _follow(self, name: str, undo_name: str, callback: Callable[[Any], None]) -> None:
        service = self.service

        def queued(event: Any) -> None:
            if self.is_attached:
                self.call_next(callback, event)

        handle = getattr(service, name)(queued)
        if callable(handle):
            self._unsubscribers.append(handle)
        elif (undo := getattr(service, undo_name, None)) is not None:
            self._unsubscribers.append(lambda: undo(queued))

    def on_mount(self) -> None:
        steady_cursors(self)

    def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribers:
            with contextlib.suppress(Exception):  # the service may already be stopped
                unsubscribe()
        self._unsubscribers.clear()

    def action_back(self) -> None:
        """Esc: back to the screen below."""
        if len(self.app.screen_stack) > 1:
            self.dismiss()
