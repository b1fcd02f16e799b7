"""The history screen: the local movement journal, newest first, filterable by text (``/``) and by
reason (``f`` cycles them, as ``history --reason`` in the CLI), exportable to CSV (what the filters
show, never over an existing file without asking), with undo of a selected movement (it records
the opposite movement; nothing is deleted)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, tzinfo
from functools import partial
from pathlib import Path
from typing import TypedDict

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static

from zinv_tui.service import OutboxEntry, OutboxStatus, Reason, RowDiff, SyncStatus
from zinv_tui.service.wording import number, plural
from zinv_tui.ui.downloads import offer_csv
from zinv_tui.ui.marks import PENDING_MARK
from zinv_tui.ui.screens.columns import fit_label, flexible_width
from zinv_tui.ui.screens.dialogs import ConfirmDialog, PathDialog
from zinv_tui.ui.screens.service_screen import ServiceScreen
from zinv_tui.ui.widgets.key_bar import KeyBar
from zinv_tui.ui.widgets.list_table import ListTable
from zinv_tui.ui.widgets.text_input import TextInput

PAGE_SIZE = 500
"""Movements listed at once (newest first); the filter narrows the rest."""

REASON_WORDS = {
    Reason.RESTOCK: "Restock",
    Reason.SALE: "Sale",
    Reason.DISCARD: "Discard",
    Reason.RETURN_TO_SUPPLIER: "Return",
    Reason.SET_COUNT: "Count",
    Reason.MOVE: "Move",
    Reason.TRANSFER: "Transfer",
    Reason.UNDO: "Undo",
}
REASON_CYCLE: list[Reason | None] = [None, *REASON_WORDS]
"""``f`` steps through these: every reason, then one at a time."""


class HistoryFilters(TypedDict):
    """The screen's filters, as :meth:`~zinv_tui.service.InventoryPort.history` takes them."""

    text: str | None
    reason: Reason | None


FIXED_WIDTHS = {"time": 11, "reason": 7, "route": 14, "qty": 5, "status": 9}


def status_text(entry: OutboxEntry) -> Text:
    """The entry's state in words with a symbol (readable without colour)."""
    status = entry.status
    if status is OutboxStatus.PENDING:
        return Text(f"{PENDING_MARK} sending", style="bold yellow")
    if entry.unconfirmed:
        return Text("? unconfirmed", style="bold magenta")
    if status is OutboxStatus.NEEDS_ATTENTION:
        return Text("! refused", style="bold red")
    if status is OutboxStatus.CANCELLED:
        return Text("✗ dropped", style="dim")
    if entry.undone_by is not None:
        return Text("✓ undone", style="dim")
    return Text("✓ done", style="green")


def route_text(entry: OutboxEntry) -> str:
    return f"{entry.from_type.value}→{entry.to_type.value}"


def default_export_path(now: datetime) -> Path:
    """``~/zinv-history-YYYYMMDD-HHMM.csv``."""
    return Path.home() / f"zinv-history-{now:%Y%m%d-%H%M}.csv"


class HistoryScreen(ServiceScreen[None]):
    """``h``: every movement made here; ``/`` filters, ``e`` exports, ``u`` undoes."""

    TITLE = "History"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("f", "next_reason", "Reason"),
        Binding("u", "undo", "Undo"),
        Binding("e", "export", "Export CSV"),
        Binding("r", "retry", "Retry"),
        Binding("x", "dismiss_refused", "Drop refused", show=False),
        Binding("a", "applied", "It is in Zettle", show=False),
        Binding("i", "item", "Item detail", show=False),
        Binding("f1", "app.open('help')", "Keys", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._entries: list[OutboxEntry] = []
        self._more = False
        self._item_width = 0
        self._reload_pending = False
        self.reason: Reason | None = None
        """Only movements of this reason (None: all)."""

    def compose(self) -> ComposeResult:
        yield Static(id="history-title")
        yield TextInput(placeholder="Filter: name, SKU, barcode or note", id="history-filter")
        yield ListTable(id="history-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="history-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        filter_input = self.query_one("#history-filter", Input)
        filter_input.display = False
        self._build_columns()
        self.reload()
        self.follow_status(self._status_changed)
        self.follow_rows(self._rows_changed)
        self.query_one("#history-table", DataTable).focus()

    # ---------------------------------------------------------------- data

    @property
    def entries(self) -> list[OutboxEntry]:
        """The movements listed, newest first."""
        return list(self._entries)

    @property
    def filter_text(self) -> str:
        return self.query_one("#history-filter", Input).value.strip()

    @property
    def filters(self) -> HistoryFilters:
        """The screen's filters, as :meth:`InventoryService.history` takes them."""
        return HistoryFilters(text=self.filter_text or None, reason=self.reason)

    def filter_words(self) -> str:
        """The filters in words (``"Discard only, matching 'mug'"``); '' when none."""
        words = [f"{REASON_WORDS[self.reason]} only"] if self.reason is not None else []
        if self.filter_text:
            words.append(f"matching {self.filter_text!r}")
        return ", ".join(words)

    def _status_changed(self, _status: SyncStatus | None) -> None:
        self._schedule_reload()

    def _rows_changed(self, _diff: RowDiff | None) -> None:
        self._schedule_reload()

    def _schedule_reload(self) -> None:
        if not self._reload_pending:
            self._reload_pending = True
            self.set_timer(0.2, self._debounced_reload)

    def _debounced_reload(self) -> None:
        self._reload_pending = False
        self.reload()

    def reload(self) -> None:
        """Re-read the journal (newest first, at most :data:`PAGE_SIZE`), keeping the cursor."""
        table = self.query_one("#history-table", DataTable)
        current = self.selected_entry()
        entries = self.service.history(**self.filters, limit=PAGE_SIZE + 1)
        self._more = len(entries) > PAGE_SIZE
        self._entries = list(entries[:PAGE_SIZE])
        with self.app.batch_update():
            table.clear()
            for entry in self._entries:
                table.add_row(*self._cells(entry), key=str(entry.id))
            if current is not None:
                ids = [entry.id for entry in self._entries]
                if current.id in ids:
                    table.move_cursor(row=ids.index(current.id))
        self._update_title()
        self._show_detail()

    def _zone(self) -> tzinfo | None:
        return self.zinv_app.clock_zone

    def _cells(self, entry: OutboxEntry) -> list[Text]:
        quantity = Text(number(entry.quantity), justify="right")
        return [
            Text(self.zinv_app.format_moment(entry.created)),
            Text(REASON_WORDS.get(entry.reason, str(entry.reason))),
            Text(self._item_label(entry)),
            Text(route_text(entry)),
            quantity,
            status_text(entry),
        ]

    def _item_label(self, entry: OutboxEntry) -> str:
        """``Product / Variant`` cut so the variant stays readable (rows of one product differ)."""
        product = entry.product_name or entry.product_uuid
        return fit_label(product, entry.variant_name or "", self._item_width)

    def _build_columns(self) -> None:
        table = self.query_one("#history-table", DataTable)
        self._item_width = flexible_width(self.size.width, list(FIXED_WIDTHS.values()))
        table.clear(columns=True)
        table.add_column("When", key="time", width=FIXED_WIDTHS["time"])
        table.add_column("Reason", key="reason", width=FIXED_WIDTHS["reason"])
        table.add_column("Item", key="item", width=self._item_width)
        table.add_column("From→to", key="route", width=FIXED_WIDTHS["route"])
        table.add_column("Qty", key="qty", width=FIXED_WIDTHS["qty"])
        table.add_column("Status", key="status", width=FIXED_WIDTHS["status"])

    def on_resize(self, event: events.Resize) -> None:
        width = flexible_width(event.size.width, list(FIXED_WIDTHS.values()))
        if width != self._item_width:
            self._build_columns()
            self.reload()

    def _update_title(self) -> None:
        count = len(self._entries)
        pending = sum(1 for entry in self._entries if entry.status is OutboxStatus.PENDING)
        refused = sum(1 for entry in self._entries if entry.status is OutboxStatus.NEEDS_ATTENTION)
        title = Text("History", style="bold")
        title.append(f": {'newest ' if self._more else ''}{plural(count, 'movement')}")
        if self.reason is not None:
            title.append(f" ({REASON_WORDS[self.reason]} only)", style="bold")
        if self.filter_text:
            title.append(" matching ")
            title.append(repr(self.filter_text), style="italic")
        if pending:
            title.append(f"  {PENDING_MARK} {pending} sending")
        if refused:
            title.append(f"  ! {refused} refused", style="bold red")
        if not count:
            if not self.filter_text and self.reason is None:
                title.append("  (no movements yet: press m to make one)")
            elif self.filter_text.casefold() in {w.casefold() for w in REASON_WORDS.values()}:
                title.append("  (nothing matches: f filters by reason)")
            else:
                title.append("  (nothing matches)")
        self.query_one("#history-title", Static).update(title)

    def selected_entry(self) -> OutboxEntry | None:
        """The movement under the cursor."""
        table = self.query_one("#history-table", DataTable)
        if not self._entries or table.cursor_row >= len(self._entries):
            return None
        return self._entries[table.cursor_row]

    def action_item(self) -> None:
        """``i``: the moved item up close."""
        from zinv_tui.ui.screens.desk_screen import open_item_detail

        entry = self.selected_entry()
        open_item_detail(self.app, entry.key if entry is not None else None)

    @on(DataTable.RowHighlighted, "#history-table")
    def _show_detail(self) -> None:
        detail = self.query_one("#history-detail", Static)
        entry = self.selected_entry()
        if entry is None:
            detail.update("")
            return
        text = Text()
        if entry.balance_before is not None and entry.store_change:
            after = entry.balance_before + entry.store_change
            text.append(f"Shop {entry.balance_before} -> {after}. ")
        if entry.note:
            text.append("Note: ")
            text.append(entry.note, style="italic")
            text.append(". ")
        if entry.user:
            text.append(f"By {entry.user}. ")
        if entry.undo_of is not None:
            text.append(f"Undoes #{entry.undo_of}. ")
        if entry.unconfirmed:
            # The keys first: the explanation is long and must not push them off the screen.
            text.append(
                "Check Zettle: a if it is there (applied), r if it is missing (send again), "
                "x drops it. ",
                style="bold",
            )
            text.append(str(entry.last_error or "Zettle's answer was lost."))
        elif entry.status is OutboxStatus.NEEDS_ATTENTION and entry.last_error:
            # The keys first: a long answer from Zettle must not push them off the screen.
            text.append("r retries, x drops. ", style="bold")
            text.append("Zettle said: ", style="bold red")
            text.append(str(entry.last_error))
        elif entry.status is OutboxStatus.PENDING and entry.last_error:
            text.append(f"Retrying: {entry.last_error}")
        detail.update(text)

    # ---------------------------------------------------------------- filter

    def action_next_reason(self) -> None:
        """``f``: only restocks, then only sales, ... then every reason again."""
        position = REASON_CYCLE.index(self.reason)
        self.reason = REASON_CYCLE[(position + 1) % len(REASON_CYCLE)]
        self.reload()

    def action_filter(self) -> None:
        filter_input = self.query_one("#history-filter", Input)
        filter_input.display = True
        filter_input.focus()

    @on(Input.Changed, "#history-filter")
    def _filter_changed(self) -> None:
        self.reload()

    @on(Input.Submitted, "#history-filter")
    def _filter_kept(self) -> None:
        self.query_one("#history-table", DataTable).focus()

    def action_back(self) -> None:
        """Esc: clear and close the filter first, then go back."""
        filter_input = self.query_one("#history-filter", Input)
        if filter_input.display:
            filter_input.value = ""
            filter_input.display = False
            self.query_one("#history-table", DataTable).focus()
            return
        super().action_back()

    # ---------------------------------------------------------------- export

    def action_export(self) -> None:
        now = datetime.now(self._zone())
        filters = self.filters
        if self.zinv_app.browser:  # a download, never a file on the server
            name = default_export_path(now).name
            offer_csv(self, name, partial(self.service.export_history_csv, **filters), "movement")
            return
        words = self.filter_words()
        count = len(self.service.history(**filters))
        what = plural(count, "movement")
        note = (
            f"The filter applies: the {what} {words}."
            if words
            else f"No filter: the whole history, {what}."
        )

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.export(path, filters)

        self.app.push_screen(
            PathDialog("Export the history to a CSV file", default_export_path(now), note=note),
            chosen,
        )

    @work(exclusive=True, group="history-export", exit_on_error=False)
    async def export(self, path: Path, filters: HistoryFilters | None = None) -> None:
        """Write the movements the screen's filters select (``filters``; all without) to
        ``path`` (on the UI's thread: the journal's SQLite connection belongs to it; local disk
        only, no network)."""
        try:
            count = self.service.export_history_csv(
                path, **(filters or HistoryFilters(text=None, reason=None))
            )
        except Exception as error:
            self.notify(f"The export failed: {error}", severity="error", markup=False)
            return
        movements = plural(count, "movement")
        self.notify(f"History written to {path} ({movements})", markup=False)

    # ---------------------------------------------------------------- undo / retry

    def action_undo(self) -> None:
        entry = self._chosen_entry(_undo_problem)
        if entry is None:
            return
        self._confirm(
            entry,
            "Undo",
            f" ({self.zinv_app.format_moment(entry.created)})?\n\n"
            f"This records the opposite movement: {entry.quantity} from "
            f"{entry.to_type.value} back to {entry.from_type.value}. "
            "The original stays in the history.",
            title="Undo this movement?",
            then=self.undo,
        )

    @work(exclusive=True, group="history-undo", exit_on_error=False)
    async def undo(self, entry_id: int) -> None:
        try:
            entries = await self.service.undo(entry_id)
        except Exception as error:
            self.notify(f"Could not undo: {error}", severity="error", markup=False)
            return
        self.zinv_app.sending_toasts.show("Undo recorded", entries)
        self.reload()

    def action_retry(self) -> None:
        entry = self._chosen_entry(_refused_only)
        if entry is None:
            return
        if entry.unconfirmed:  # Zettle may have it already: sending it again could double it
            self._confirm(
                entry,
                "Send again",
                "?\n\nOnly if it is missing in Zettle: if Zettle applied it, the stock moves "
                "twice.",
                title="Send this movement again?",
                then=self.retry,
                safe_default=True,
            )
            return
        self.retry(entry.id)

    def action_applied(self) -> None:
        """``a``: an unconfirmed movement found in Zettle is recorded as applied (not resent)."""
        entry = self._chosen_entry(_unconfirmed_only)
        if entry is None:
            return
        self._confirm(
            entry,
            "Mark as applied",
            "?\n\nNothing is sent: the movement counts as done in Zettle (it can be undone).",
            title="Is it in Zettle?",
            then=self.mark_applied,
        )

    @work(exclusive=True, group="history-applied", exit_on_error=False)
    async def mark_applied(self, entry_id: int) -> None:
        await self._ask_service(
            lambda: self.service.confirm_applied(entry_id),
            "Could not mark it applied",
            "Recorded as applied in Zettle",
        )
        await self.app.run_action("refresh")  # its balance comes with the next read

    def action_dismiss_refused(self) -> None:
        """``x``: give up on a movement Zettle refused (it stays in the history as dropped)."""
        entry = self._chosen_entry(_refused_only)
        if entry is None:
            return
        self._confirm(
            entry,
            "Drop",
            "?\n\nNothing is sent to Zettle; the movement stays in the history as dropped.",
            title="Drop this movement?",
            then=self.drop,
            safe_default=True,
        )

    @work(exclusive=True, group="history-drop", exit_on_error=False)
    async def drop(self, entry_id: int) -> None:
        await self._ask_service(lambda: self.service.dismiss(entry_id), "Could not drop it")

    @work(exclusive=True, group="history-retry", exit_on_error=False)
    async def retry(self, entry_id: int) -> None:
        try:
            entry = await self.service.retry(entry_id)
        except Exception as error:
            self.notify(f"Could not retry: {error}", severity="error", markup=False)
            return
        self.zinv_app.sending_toasts.show("Movement retried", [entry])  # "sent" once it is
        self.reload()

    def _chosen_entry(self, problem_of: Callable[[OutboxEntry], str | None]) -> OutboxEntry | None:
        """The movement under the cursor, unless ``problem_of`` says why not (as a warning)."""
        entry = self.selected_entry()
        if entry is None:
            return None
        if problem := problem_of(entry):
            self.notify(problem, severity="warning", markup=False)
            return None
        return entry

    def _confirm(
        self,
        entry: OutboxEntry,
        verb: str,
        rest: str,
        *,
        title: str,
        then: Callable[[int], object],
        safe_default: bool = False,
    ) -> None:
        """Ask "<verb> <reason> of <n> x <item><rest>"; on yes, ``then(entry.id)``."""
        body = Text(f"{verb} ")
        body.append(f"{REASON_WORDS.get(entry.reason, entry.reason)} of {entry.quantity} x ")
        body.append(entry.label, style="bold")
        body.append(rest)

        def answered(yes: bool | None) -> None:
            if yes:
                then(entry.id)

        self.app.push_screen(ConfirmDialog(title, body, verb, safe_default=safe_default), answered)

    async def _ask_service(
        self, call: Callable[[], Awaitable[object]], failure: str, success: str | None = None
    ) -> None:
        """Await ``call()``; say ``failure: <why>`` if it fails, else ``success``, and reload."""
        try:
            await call()
        except Exception as error:
            self.notify(f"{failure}: {error}", severity="error", markup=False)
            return
        if success:
            self.notify(success, markup=False)
        self.reload()


def _refused_only(entry: OutboxEntry) -> str | None:
    if entry.status is not OutboxStatus.NEEDS_ATTENTION:
        return "Only a movement Zettle refused can be retried or dropped"
    return None


def _unconfirmed_only(entry: OutboxEntry) -> str | None:
    if not entry.unconfirmed:
        return "Only a movement whose answer was lost (? unconfirmed) can be marked as applied"
    return None


def _undo_problem(entry: OutboxEntry) -> str | None:
    """Why ``entry`` cannot be undone now, in words (None when it can)."""
    if entry.reason is Reason.UNDO:
        return "This is already an undo; make a new movement instead"
    if entry.undone_by is not None:
        return "This movement has already been undone"
    if entry.status is OutboxStatus.PENDING:
        return f"Wait until Zettle has this movement ({PENDING_MARK} sending), then undo it"
    if entry.status is not OutboxStatus.ACKNOWLEDGED:
        return "Zettle never applied this movement, so there is nothing to undo"
    return None
