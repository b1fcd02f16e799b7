"""ZinvApp: the Textual application — screens, keys, themes, and the link to the service.

Contract for screens (see the team brief):

- ``ZinvApp.SCREEN_CLASSES`` maps a registry key to ``"module:Class"``; classes are imported when
  first opened (``app.open_screen(key, **kwargs)``) so startup stays fast. Keys: ``l`` locations,
  ``m`` movement, ``a`` low-stock alerts, ``t`` tracking, ``h`` history, ``c`` stock counts,
  ``o`` reorder, ``?`` help, ``/`` filter,
  ``Esc`` back, ``q`` quit, ``ctrl+p`` command palette. No F-keys.
- The service is an :class:`~zinv_tui.service.InventoryPort` (what the UI uses of it, typed; the
  ``InventoryService`` satisfies it). Screens reach the app typed as ``self.zinv_app`` and the
  service as ``self.service`` (:class:`~.screens.service_screen.ServiceScreen`);
  ``zinv_app.demo`` is True in demo mode; errors go to ``notify(..., markup=False)`` in plain
  words.
- Navigation is a stack: a screen opens over the one it was opened from, so ``Esc`` (and finishing
  a movement) goes back there; opening a screen that is already open goes back to it.
- A screen where typing is the work (``KEEPS_LETTER_KEYS = True``, the movement screen) keeps every
  letter: the screen-switching keys do nothing there. A screen holding a draft has
  ``leave(then)``: it asks before the draft is dropped, closes, then runs ``then``; ``draft_size``
  says how many lines would be lost. Quitting asks when a draft would be dropped or movements are
  still waiting to be sent.
- UI preferences (theme, balances sort) live in the profile's state dir (:mod:`.preferences`).
- In a web browser (``zinv-tui serve``; ``app.browser``, from ``App.is_web`` unless given): the
  session starts by asking who is working (``service.user``, shown in the status line), the keys
  a browser keeps have second keys shown first (:mod:`.browser_keys`), the count and movement
  screens add touch buttons (the app has the ``-touch`` class), and exports are downloads
  (:mod:`.downloads`) instead of files on the server.
- The app owns the status line: it mounts a :class:`StatusBar` (sync state, outbox, attention,
  low-stock badge, DEMO) on every full screen that lacks one, so screens need not yield it.
- ``app.stock_signal`` publishes every service diff (or ``None`` for "reload everything") on the UI
  thread; ``app.sync_status`` (reactive) holds the latest ``SyncStatus``; ``app.stock_counts``
  (reactive) how many variants are out and low (the service's one rule), None while loading.

Determinism for snapshots and tests: ``ZinvApp(service, frozen=True)`` turns off the change
highlight (rows changed by a refresh are not tinted), shows times in UTC, and stops the filter's
cursor from blinking. ``highlight_seconds`` and ``clock_zone`` can also be set one by one.

The app never waits on the network in a handler: ``service.start()``, ``refresh()`` and exports run
in workers, and the service's callbacks only post messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.signal import Signal
from textual.theme import Theme
from textual.widget import Widget

from zinv_tui.service import InventoryPort, RowDiff, StockCounts, StockTally, SyncStatus
from zinv_tui.service.wording import plural
from zinv_tui.tuning import freeze_after_load
from zinv_tui.ui.after_paint import after_paint
from zinv_tui.ui.preferences import PreferenceFile
from zinv_tui.ui.screens.balances import BalancesScreen
from zinv_tui.ui.screens.service_screen import ServiceScreen
from zinv_tui.ui.sending_toast import SendingToasts
from zinv_tui.ui.stock_index import SORTABLE
from zinv_tui.ui.stores import NO_SEVERAL_STORES, ONE_STORE, store_choice
from zinv_tui.ui.textual_compat import share_css_parses
from zinv_tui.ui.themes import DEFAULT_THEME, register_themes
from zinv_tui.ui.widgets.key_bar import KeyBar
from zinv_tui.ui.widgets.status_bar import StatusBar


@dataclass(frozen=True, slots=True)
class PaletteCommand:
    """One command palette entry: its title, a line of help, and the action it runs."""

    title: str
    help: str
    action: str


PAINT_WAIT = 5.0
"""Seconds :meth:`ZinvApp.rows_painted` waits at most (a screen that never draws the rows must
not keep the service from catching up)."""


class ZinvCommands(Provider):
    """Every zinv-tui action in the command palette (next to Textual's system commands)."""

    def _commands(self) -> list[PaletteCommand]:
        app = self.app
        return list(app.palette_commands()) if isinstance(app, ZinvApp) else []

    def _run(self, action: str) -> None:
        app = self.app
        if isinstance(app, ZinvApp):
            app.call_later(app.run_command, action)
        else:
            app.call_later(app.run_action, action)

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.title, partial(self._run, command.action), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    partial(self._run, command.action),
                    help=command.help,
                )


class ZinvApp(App[None]):
    """Keyboard-first Zettle inventory: balances at home, other screens one key away."""

    TITLE = "zinv-tui"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    COMMANDS = App.COMMANDS | {ZinvCommands}
    DEFAULT_MODE = "balances"
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {"balances": BalancesScreen}
    """The home screen is a mode, so Textual loads its ``.tcss`` like any pushed screen's."""

    SCREEN_CLASSES: ClassVar[dict[str, str]] = {
        "locations": "zinv_tui.ui.screens.locations:LocationsScreen",
        "movement": "zinv_tui.ui.screens.movement:MovementScreen",
        "low_stock": "zinv_tui.ui.screens.low_stock:LowStockScreen",
        "tracking": "zinv_tui.ui.screens.tracking:TrackingScreen",
        "history": "zinv_tui.ui.screens.history:HistoryScreen",
        "counts": "zinv_tui.ui.screens.counts:CountsScreen",
        "reorder": "zinv_tui.ui.screens.reorder:ReorderScreen",
        "purchase_orders": "zinv_tui.ui.screens.purchase_orders:PurchaseOrdersScreen",
        "purchase_order": "zinv_tui.ui.screens.purchase_order:PurchaseOrderScreen",
        "receiving": "zinv_tui.ui.screens.receiving:ReceivingScreen",
        "item_detail": "zinv_tui.ui.screens.item_detail:ItemDetailScreen",
        "count": "zinv_tui.ui.screens.count_session:CountScreen",
        "count_review": "zinv_tui.ui.screens.count_review:CountReviewScreen",
        "help": "zinv_tui.ui.screens.help:HelpScreen",
    }
    SCREEN_TITLES: ClassVar[dict[str, str]] = {
        "locations": "Locations",
        "movement": "New movement",
        "low_stock": "Low-stock alerts",
        "tracking": "Tracking",
        "history": "History",
        "counts": "Stock counts",
        "reorder": "Reorder",
        "purchase_orders": "Purchase orders",
        "help": "Help",
    }
    """Screens the palette opens by name (the others need an item, an order or a count to open
    on)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # The screen keys are shown in the balances' footer only (it lists them as its own): on
        # the other screens their own keys, ? and q fill the footer at 80 columns.
        Binding("slash", "filter", "Filter", show=False, id="app.filter"),
        Binding("m", "open('movement')", "Move", show=False, id="app.movement"),
        Binding("a", "open('low_stock')", "Alerts", show=False, id="app.low_stock"),
        Binding("l", "open('locations')", "Locations", show=False, id="app.locations"),
        Binding("h", "open('history')", "History", show=False, id="app.history"),
        Binding("t", "open('tracking')", "Tracking", show=False, id="app.tracking"),
        Binding("c", "open('counts')", "Counts", show=False, id="app.counts"),
        Binding("o", "open('reorder')", "Reorder", show=False, id="app.reorder"),
        Binding("question_mark", "open('help')", "Help", id="app.help"),
        Binding("f1", "open('help')", "Help", show=False, id="app.help_f1"),
        Binding("escape", "back", "Back", show=False, id="app.back"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    # repaint=False: an App reactive would otherwise repaint the whole screen on every change;
    # the status bars watch these and repaint themselves.
    worker_name: reactive[str] = reactive("", repaint=False)
    """Who is working (asked in a browser session); shown in the status line when set."""
    sync_status: reactive[SyncStatus | None] = reactive(None, always_update=True, repaint=False)
    """The service's latest ``SyncStatus`` (None until the first one)."""
    stock_counts: reactive[StockCounts | None] = reactive(None, repaint=False)
    """How many variants are out and low (None until the rows are loaded)."""

    class StockChanged(Message):
        """The service changed rows (posted from the service's callback)."""

        def __init__(self, diff: RowDiff) -> None:
            super().__init__()
            self.diff = diff

    class StatusChanged(Message):
        """The service published a new sync status."""

        def __init__(self, status: SyncStatus) -> None:
            super().__init__()
            self.status = status

    def __init__(
        self,
        service: InventoryPort,
        demo: bool = False,
        *,
        frozen: bool = False,
        highlight_seconds: float | None = None,
        clock_zone: tzinfo | None = None,
        manage_service: bool = True,
        theme: str | None = None,
        on_exit: list[Callable[[], Awaitable[Any]]] | None = None,
        freeze_gc: bool = True,
        browser: bool | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``service``: the service (started and stopped here unless
        ``manage_service=False``); ``demo`` shows the DEMO marker; ``frozen`` makes the screen
        deterministic for snapshots (no highlight, UTC times, no blinking cursor); ``on_exit``:
        coroutines to await after the service stops (e.g. ``client.aclose``); ``freeze_gc``:
        freeze the loaded stock out of the collector's full passes when the process is tuned
        (see ``_service_started``); ``browser``: run as in a web browser (who is working,
        browser keys, touch buttons, downloads); None: when the driver is textual-serve's
        (``App.is_web``); ``clock``: what time it is (to pin "this year" in pictures)."""
        share_css_parses()  # Textual parses all its CSS again at each re-parse (see the module)
        super().__init__()
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        """Now (aware); ``format_moment`` shows the year of moments not in this one's year."""
        self.service = service
        self.demo = demo
        self.frozen = frozen
        self.highlight_seconds = (
            highlight_seconds if highlight_seconds is not None else (0.0 if frozen else 2.0)
        )
        self.clock_zone: tzinfo | None = (
            clock_zone if clock_zone is not None else (UTC if frozen else None)
        )
        self.manage_service = manage_service
        self.service_ready = False
        self._service_starting = False
        self._awaiting_stock = False
        """The service started with no rows: the first successful poll shows them."""
        self.stock_signal: Signal[RowDiff | None] = Signal(self, "stock-changed")
        """Published with each service ``RowDiff``, or ``None`` when all rows should be reloaded."""
        self._stock_tally = StockTally()
        self._tally_stale = True
        """The tally has not counted the service's rows yet (a launch from the snapshot shows the
        snapshot's counts until the rows are painted)."""
        self._last_error: str | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._initial_theme = theme
        self._on_exit = list(on_exit or [])
        self.freeze_gc = freeze_gc
        self._browser = browser
        self._froze_gc = False
        self._rows_painted = asyncio.Event()
        self._commanding = False
        self.preferences = PreferenceFile(service.state_dir)
        """The remembered theme and sort order of this profile."""
        self.sending_toasts = SendingToasts(self, service)
        """The toasts of movements just recorded ("sending to Zettle") until they are sent."""
        register_themes(self)
        # The theme before the first parse of the CSS: parsed once with its colours, not once
        # with Textual's default theme and then again.
        remembered = self.preferences.current.theme
        if self._initial_theme is None and remembered in self.available_themes:
            self.theme = remembered
        else:
            self.theme = self._initial_theme or DEFAULT_THEME

    # ------------------------------------------------------------ lifecycle

    @property
    def browser(self) -> bool:
        """Whether the app runs in a web browser (or was told to behave as if)."""
        return self.is_web if self._browser is None else self._browser

    def on_mount(self) -> None:
        if self.browser:
            self._set_up_browser()
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        if self.demo:
            self.sub_title = "DEMO"
        self.screen_change_signal.subscribe(self, self._ensure_status_bar)
        self._subscribe_to_service()
        if self.manage_service:
            self._start_service()
        else:
            self.call_later(self._service_started)

    def _set_up_browser(self) -> None:
        """Browser keys first, touch-sized buttons, and who is working before anything else."""
        from zinv_tui.ui.browser_keys import BROWSER_KEYMAP
        from zinv_tui.ui.screens.who import WhoScreen, recent_names

        self.set_keymap(BROWSER_KEYMAP)
        self.add_class("-touch")
        self.push_screen(WhoScreen(recent_names(self.service)), self._worker_named)

    def _worker_named(self, name: str | None) -> None:
        if name:
            self.service.user = name
            self.worker_name = name

    def _subscribe_to_service(self) -> None:
        service = self.service
        self.sync_status = service.status  # a service started before the app has one already
        self._unsubscribe.append(service.subscribe(self._on_service_diff))
        self._unsubscribe.append(service.subscribe_status(self._on_service_status))

    def _on_service_diff(self, diff: RowDiff) -> None:
        if self.service_ready:  # before, the full load after start() covers it (once, not twice)
            self.post_message(self.StockChanged(diff))

    def _on_service_status(self, status: SyncStatus) -> None:
        self.post_message(self.StatusChanged(status))

    @work(exclusive=True, group="service-start", exit_on_error=False)
    async def _start_service(self) -> None:
        self._service_starting = True
        try:
            await self.service.start()
        except Exception as error:
            self.notify(
                f"Could not load the stock: {error}",
                title="Zettle",
                severity="error",
                markup=False,
                timeout=15,
            )
            return
        service = self.service
        if service.rows or service.preview is not None or service.status.last_success is not None:
            self._service_started()
        else:  # nothing to show yet (Zettle not reached): the table says it is loading
            self._awaiting_stock = True

    def _service_started(self) -> None:
        self._awaiting_stock = False
        self.service_ready = True
        self.stock_signal.publish(None)
        restored = self.service.restored_counts
        if restored is not None:  # painted from the snapshot: its counts now, the tally after
            self.stock_counts = restored
        else:
            self._recount_low()
        self._restore_store()
        after_paint(self, self._rows_painted.set)
        after_paint(self, self._recount_if_stale)
        if self.freeze_gc:
            # The loaded stock lives as long as the app: in a tuned process (the program's
            # choice, see zinv_tui.tuning) it leaves the cyclic collector's full passes, which
            # otherwise stall a frame by ~0.1 s now and then at 50k rows. ``on_unmount`` unfreezes.
            # After the rows are painted: the collection takes 0.04 s at 46,000 rows.
            after_paint(self, self._freeze_loaded_stock)

    async def rows_painted(self) -> None:
        """Return once the service's rows were first drawn (at most :data:`PAINT_WAIT` s)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._rows_painted.wait(), PAINT_WAIT)

    def _freeze_loaded_stock(self) -> None:
        if not self._froze_gc and self.is_running:
            self._froze_gc = freeze_after_load()

    async def on_unmount(self) -> None:
        if self._froze_gc:  # let the collector have this app's cycles once it is gone
            gc.unfreeze()
            self._froze_gc = False
        for unsubscribe in self._unsubscribe:
            with contextlib.suppress(Exception):
                unsubscribe()
        self._unsubscribe.clear()
        if self.manage_service and self._service_starting:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.service.stop(), timeout=5)
        for close in self._on_exit:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(close(), timeout=5)

    # ------------------------------------------------------------ service events

    @on(StockChanged)
    def _stock_changed(self, message: StockChanged) -> None:
        diff = message.diff  # only posted once the service is ready (see _on_service_diff)
        self.stock_signal.publish(diff)  # first, so the table's repaint leads the status bar's
        if diff.full or self._tally_stale:
            self._recount_low()
            return
        self.stock_counts = self._stock_tally.update(diff.upserts(), diff.removed_keys())

    def _recount_low(self) -> None:
        self.stock_counts = self._stock_tally.reset(self.service.rows.values())
        self._tally_stale = False

    def _recount_if_stale(self) -> None:
        if self._tally_stale and self.service.preview is None:  # (its rows come as a full diff)
            self._recount_low()

    @property
    def low_stock_count(self) -> int:
        """Variants that are low (not out), 0 while loading."""
        counts = self.stock_counts
        return counts.low if counts is not None else 0

    @on(StatusChanged)
    def _status_changed(self, message: StatusChanged) -> None:
        status = message.status
        self.sync_status = status
        self.sending_toasts.status_changed()
        if self._awaiting_stock and status.last_success is not None:
            self._service_started()
        error = status.last_error or status.sending_error
        if error and error != self._last_error:
            self.notify(str(error), title="Zettle", severity="warning", markup=False, timeout=8)
        self._last_error = error

    # ------------------------------------------------------------ screens

    def screen_class(self, key: str) -> type[Screen[Any]]:
        """The screen class registered under ``key`` (imported on first use)."""
        module_name, _, class_name = self.SCREEN_CLASSES[key].partition(":")
        screen_class = vars(importlib.import_module(module_name))[class_name]
        if not (isinstance(screen_class, type) and issubclass(screen_class, Screen)):
            raise TypeError(f"{self.SCREEN_CLASSES[key]} is not a screen")
        return screen_class

    def open_screen(self, key: str, **kwargs: Any) -> None:
        """Show the screen registered as ``key`` over the current one (``Esc`` comes back here).

        A screen of that kind already open is gone back to (and replaced when ``kwargs`` are
        given), so the stack stays short. Leaving a draft asks first (see :meth:`leave_then`).
        """
        screen_class = self.screen_class(key)
        if isinstance(self.screen, screen_class) and not kwargs:
            return
        if issubclass(screen_class, ModalScreen):
            self.push_screen(screen_class(**kwargs))
            return
        self.leave_then(partial(self._show_screen, screen_class, kwargs))

    def _show_screen(self, screen_class: type[Screen[Any]], kwargs: dict[str, Any]) -> None:
        stack = self.screen_stack
        for index in range(len(stack) - 1, 0, -1):
            if type(stack[index]) is screen_class:
                while len(self.screen_stack) > index + 1:
                    self.pop_screen()
                if not kwargs:
                    return
                self.pop_screen()
                break
        self.push_screen(screen_class(**kwargs))

    def back_to(self, key: str) -> None:
        """Close screens down to the nearest one registered as ``key`` (just the current one when
        none is open)."""
        screen_class = self.screen_class(key)
        stack = self.screen_stack
        below = [index for index, screen in enumerate(stack[:-1]) if type(screen) is screen_class]
        pops = len(stack) - 1 - below[-1] if below else 1
        for _ in range(min(pops, len(stack) - 1)):
            self.pop_screen()

    def leave_then(self, then: Callable[[], object]) -> None:
        """Run ``then`` now, or, on a screen holding a draft, once the user agreed to drop it
        (the screen closes first)."""
        screen = self.screen
        if isinstance(screen, ServiceScreen):
            screen.leave(then)
        else:
            then()

    def action_open(self, key: str) -> None:
        self.open_screen(key)

    def action_home(self) -> None:
        self.leave_then(self._pop_to_home)

    def _pop_to_home(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    async def action_back(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()

    def action_filter(self) -> None:
        """Go to the balances and open the filter."""
        self._balances_action("filter")

    async def action_quit(self) -> None:
        """``q``: leave; asks first when a draft would be dropped or movements wait to be sent."""
        screen = self.screen
        drafted = screen.draft_size if isinstance(screen, ServiceScreen) else 0
        waiting = self.service.status.pending_count
        if not drafted and not waiting:
            self.exit()
            return
        body = Text()
        if drafted:
            title = "Drop this movement?"  # not "Discard": that is a reason for a movement
            body.append(f"{plural(drafted, 'line')} will be dropped; nothing is sent.")
            verb = "Drop and quit"
        else:
            title = f"Quit with {plural(waiting, 'movement')} not sent yet?"
            verb = "Quit"
        if waiting:
            body.append("\n" if drafted else "")
            one = waiting == 1
            body.append(
                f"{plural(waiting, 'movement')} still {'waits' if one else 'wait'} to be sent "
                f"to Zettle. Nothing is lost: {'it is' if one else 'they are'} kept on this "
                "computer and sent the next time zinv-tui starts."
            )

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        from zinv_tui.ui.screens.dialogs import ConfirmDialog

        self.push_screen(ConfirmDialog(title, body, verb), answered)

    async def run_command(self, action: str) -> None:
        """Run ``action`` chosen by name (the command palette): unlike a key, it may leave a
        screen that keeps its letter keys (asking first if a draft would be dropped)."""
        self._commanding = True
        try:
            await self.run_action(action)
        finally:
            self._commanding = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Screen-switching keys do nothing while a dialog (modal screen) is open, nor on a screen
        that keeps its letter keys (the palette may still switch from there; help always opens).
        ``q`` does nothing in a dialog either: it is answered or closed first."""
        screen = self.screen
        if action == "quit":  # a dialog is answered (or closed with Esc) first
            return not screen.has_class(DIALOG_CLASS)
        if action not in {"open", "filter", "home"}:
            return True
        if isinstance(screen, ModalScreen):
            return False
        if parameters == ("help",) or self._commanding:
            return True
        return not (isinstance(screen, ServiceScreen) and screen.KEEPS_LETTER_KEYS)

    def _ensure_status_bar(self, screen: Screen) -> None:
        """Give ``screen`` a status bar once it has composed (unless it has one); a dialog gets a
        key bar of its own keys instead (the screen behind's footer would show keys that do
        nothing while it is up)."""
        if isinstance(screen, ModalScreen):
            if screen.has_class(DIALOG_CLASS):
                screen.call_after_refresh(_add_once, screen, KeyBar)
            return
        screen.call_after_refresh(_add_once, screen, StatusBar)

    # ------------------------------------------------------------ actions

    @work(exclusive=True, group="refresh", exit_on_error=False)
    async def action_refresh(self) -> None:
        """Poll Zettle now."""
        try:
            await self.service.refresh()
        except Exception as error:
            self.notify(f"Refresh failed: {error}", severity="error", markup=False)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def action_export_balances(self) -> None:
        """Write the balances to a CSV file in the current folder (a download in a browser)."""
        name = f"zinv-balances-{datetime.now():%Y%m%d-%H%M%S}.csv"
        if self.browser:
            from zinv_tui.ui.downloads import offer_csv

            self.call_from_thread(offer_csv, self, name, self.service.export_balances_csv, "row")
            return
        path = Path.cwd() / name
        try:
            self.service.export_balances_csv(path)
        except Exception as error:
            self.notify(f"Export failed: {error}", severity="error", markup=False)
            return
        self.notify(f"Balances written to {path}", markup=False)

    def action_switch_store(self) -> None:
        """Choose the store whose balances are shown (Zettle v3 may have several)."""
        service = self.service
        stores = service.stores
        if len(stores) < 2:
            words = ONE_STORE if service.several_stores else NO_SEVERAL_STORES
            self.notify(words, title="One store", timeout=10, markup=False)
            return
        from zinv_tui.ui.screens.dialogs import ChoiceDialog

        current = service.store.uuid if service.store is not None else None
        choices = [(store.uuid, store_choice(store)) for store in stores]
        self.push_screen(ChoiceDialog("Show the stock of", choices, current), self._store_chosen)

    def _store_chosen(self, uuid: str | None) -> None:
        store = self.service.store
        if uuid and (store is None or uuid != store.uuid):
            self.switch_store(uuid)

    @work(exclusive=True, group="switch-store", exit_on_error=False)
    async def switch_store(self, uuid: str) -> None:
        """Show the store ``uuid``: the balances load in the background (the table says so),
        and the choice is remembered for the next launch."""
        service = self.service
        name = service.store_name(uuid)
        for screen in self.screen_stack:
            if isinstance(screen, BalancesScreen):
                screen.store_loading(name)
        try:
            diff = await service.switch_store(uuid)
        except Exception as error:  # a store gone meanwhile: in words, the old one stays
            self.notify(f"Could not switch store: {error}", severity="error", markup=False)
            diff = RowDiff()
        else:
            self.preferences.update(store=uuid)
            if diff is None and service.status.last_success is not None:
                # (before Zettle first answered, as at a launch, the table says it is loading)
                self.notify(
                    f"{name}: its balances could not be read yet - trying again",
                    severity="warning",
                    markup=False,
                )
        self._recount_low()
        self.stock_signal.publish(None)  # every screen redraws from the rows

    def _restore_store(self) -> None:
        """Show the store shown last time, when it is not the default and still exists."""
        remembered = self.preferences.current.store
        store = self.service.store
        if not remembered or store is None or remembered == store.uuid:
            return
        if any(place.uuid == remembered for place in self.service.stores):
            self.switch_store(remembered)

    def action_set_theme(self, name: str) -> None:
        self.theme = name

    def _theme_changed(self, theme: Theme) -> None:
        self.preferences.update(theme=theme.name or self.theme)

    def remember_sort(self, column: str, reverse: bool) -> None:
        """The balances were sorted: start with this order next time."""
        self.preferences.update(sort_column=column, sort_reverse=reverse)

    def format_clock(self, moment: datetime) -> str:
        """``HH:MM`` in the display time zone (local, or UTC when frozen)."""
        return moment.astimezone(self.clock_zone).strftime("%H:%M")

    def format_moment(self, moment: datetime) -> str:
        """``MM-DD HH:MM`` this year, ``YYYY-MM-DD`` in another (display time zone; both fit
        the same column)."""
        local = moment.astimezone(self.clock_zone)
        if local.year == self.clock().astimezone(self.clock_zone).year:
            return local.strftime("%m-%d %H:%M")
        return local.strftime("%Y-%m-%d")

    def palette_commands(self) -> Iterable[PaletteCommand]:
        """Every action, for the command palette."""
        yield PaletteCommand("Balances", "The stock of every tracked variant (home)", "home")
        yield PaletteCommand("Filter balances", "Type to filter by name, SKU or barcode", "filter")
        for key, title in self.SCREEN_TITLES.items():
            if key in {"help", "movement"}:
                continue
            yield PaletteCommand(title, f"Open {title.lower()}", f"open('{key}')")
        yield PaletteCommand(
            "New movement", "Restock, sale, discard, return, set count or move", "open('movement')"
        )
        yield PaletteCommand("Keys of this screen", "Every key binding, in words", "open('help')")
        yield PaletteCommand("Refresh now", "Ask Zettle for the latest balances", "refresh")
        yield PaletteCommand(
            "Switch store", "Show the balances of another store (Zettle v3)", "switch_store"
        )
        yield PaletteCommand(
            "Export balances to CSV", "Write every balance to a CSV file", "export_balances"
        )
        for column in SORTABLE:
            yield PaletteCommand(
                f"Sort balances by {column}", f"Order the balances by {column}", f"sort('{column}')"
            )
        yield PaletteCommand("Reverse sort", "Flip the balances' order", "reverse_sort")
        yield PaletteCommand("Select all shown", "Select every row the filter shows", "select_all")
        yield PaletteCommand("Clear selection", "Unselect every row", "clear_selection")
        for theme, label in (
            ("zinv-dark", "dark"),
            ("zinv-light", "light"),
            ("zinv-high-contrast", "high contrast"),
        ):
            yield PaletteCommand(
                f"Theme: {label}", f"Switch to the {label} theme", f"set_theme('{theme}')"
            )
        yield PaletteCommand("Quit", "Leave zinv-tui", "quit")

    # Balances actions reachable from anywhere (the palette): forwarded to the home screen.
    def _balances_action(self, action: str) -> None:
        def run() -> None:
            self._pop_to_home()
            self.call_later(self.screen.run_action, action)

        self.leave_then(run)

    def action_sort(self, column: str) -> None:
        self._balances_action(f"sort('{column}')")

    def action_reverse_sort(self) -> None:
        self._balances_action("reverse_sort")

    def action_select_all(self) -> None:
        self._balances_action("select_all")

    def action_clear_selection(self) -> None:
        self._balances_action("clear_selection")


DIALOG_CLASS = "zinv-dialog-screen"
"""The class of the app's dialogs (modal screens over the work): footer of their own, no toasts."""


async def _add_once(screen: Screen, widget_class: type[Widget]) -> None:
    """Mount a ``widget_class()`` on ``screen`` unless it has one (or is gone)."""
    if screen.is_attached and not screen.query(widget_class):
        await screen.mount(widget_class())
