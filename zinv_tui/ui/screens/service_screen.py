"""Base of the screens that show the service's data: typed access, its streams, Esc to go back.

Every screen and dialog of zinv-tui runs in a :class:`~zinv_tui.ui.app.ZinvApp`: ``zinv_app(node)``
(and ``ServiceScreen.zinv_app``) is that app, typed, and ``ServiceScreen.service`` its
:class:`~zinv_tui.service.InventoryPort`, so a type checker sees everything a screen uses of them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar, cast

from textual import events, on
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Input

from zinv_tui.service import InventoryPort, RowDiff, SyncStatus

if TYPE_CHECKING:  # type-only: the app imports the screens, never the other way round
    from zinv_tui.ui.app import ZinvApp

ResultT = TypeVar("ResultT")


def zinv_app(node: DOMNode) -> ZinvApp:
    """The app ``node`` runs in, typed (as Posting does: the cast is the contract)."""
    return cast("ZinvApp", node.app)


class ScreenActions(Provider):
    """The command palette entries of the current screen's own keys ("History: Export CSV")."""

    def _commands(self) -> list[tuple[str, str, str]]:
        screen = self.screen
        title = screen.TITLE or type(screen).__name__
        found: dict[str, tuple[str, str, str]] = {}
        for active in screen.active_bindings.values():
            binding = active.binding
            if active.node is not screen or not binding.description or binding.system:
                continue
            if binding.action in found or binding.action.startswith("app."):
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


def steady_cursors(node: DOMNode) -> None:
    """In a frozen app (snapshots), text cursors under ``node`` stop blinking."""
    if zinv_app(node).frozen:
        for field in node.query(Input):
            field.cursor_blink = False


class ServiceScreen(Screen[ResultT], Generic[ResultT]):
    """A screen pushed over the home screen that reads the app's service.

    :meth:`follow_rows` and :meth:`follow_status` subscribe to the service's streams for as long as
    the screen is mounted. A screen holding a draft overrides :attr:`draft_size` and
    :meth:`leave`; a screen where typing is the work sets :attr:`KEEPS_LETTER_KEYS`.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back")]
    COMMANDS = {ScreenActions}
    KEEPS_LETTER_KEYS: ClassVar[bool] = False
    """True where typing is the work: the app's letter keys (screen switching) do nothing here."""

    def __init__(self) -> None:
        super().__init__()
        self._unsubscribers: list[Callable[[], None]] = []

    @property
    def zinv_app(self) -> ZinvApp:
        """The app, typed."""
        return zinv_app(self)

    @property
    def service(self) -> InventoryPort:
        """The app's service."""
        return self.zinv_app.service

    @property
    def draft_size(self) -> int:
        """Lines of unsaved work that leaving now would drop (0: nothing to lose)."""
        return 0

    def leave(self, then: Callable[[], object]) -> None:
        """Run ``then``; a screen holding a draft asks first, then closes and runs it."""
        then()

    def follow_rows(self, callback: Callable[[RowDiff | None], None]) -> None:
        """Call ``callback(diff)`` after each change of the service's rows (``None``: reload all),
        on this screen's queue (so never after it closed)."""
        signal = self.zinv_app.stock_signal
        signal.subscribe(self, callback)
        self._unsubscribers.append(partial(signal.unsubscribe, self))

    def follow_status(self, callback: Callable[[SyncStatus | None], None]) -> None:
        """Call ``callback(status)`` after each change of the sync status."""
        self.watch(self.zinv_app, "sync_status", callback, init=False)

    @on(events.Mount)
    def _steady_cursors(self) -> None:
        """Before the screen's own ``on_mount`` (which may be async): steady cursors."""
        steady_cursors(self)

    def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribers:
            with contextlib.suppress(Exception):  # the app may already be closing
                unsubscribe()
        self._unsubscribers.clear()

    def action_back(self) -> None:
        """Esc: back to the screen below."""
        if len(self.app.screen_stack) > 1:
            self.dismiss()
