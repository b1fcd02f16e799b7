"""Counting: one always-focused scan field; each scan adds 1 to its item and flashes the line.

In the field: a barcode or SKU then Enter counts one; ``+12`` adds 12 to the last item; ``=40``
sets its exact total. A name (or part of one) opens the search with it; a code that matches
nothing is said so (with a bell) and kept in the count's unknown codes; ``ctrl+f`` searches by
name. An item a filtered or full count did not list asks "not on this shelf: add anyway?" first
(Enter skips it). The latest scans are listed below, newest first: ``ctrl+z`` takes back the last
one, or Tab to the list and ``delete`` the highlighted one; a scan while the list has the focus
still goes to the scan field. Blind counts never show the expected stock here. Everything is on
disk at once: Esc pauses the count.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Static

from zinv_tui.service import CountError, CountLine, CountScan, CountSession, RowDiff, RowKey
from zinv_tui.service.wording import number, plural
from zinv_tui.ui.screens.columns import fit_label, flexible_width
from zinv_tui.ui.screens.count_common import COUNTS_CSS, UNCOUNTED, number_text
from zinv_tui.ui.screens.dialogs import ConfirmDialog
from zinv_tui.ui.screens.quantities import QuantityError, read_quantity
from zinv_tui.ui.screens.session_screen import SessionScreen
from zinv_tui.ui.screens.variant_search import VariantIndex, VariantPicker, clean_code
from zinv_tui.ui.widgets.key_bar import KeyBar
from zinv_tui.ui.widgets.text_input import TextInput
from zinv_tui.ui.widgets.touch_button import TouchButton

TOUCH_BUTTONS = (
    ("+1", "plus_one"),
    ("-1", "minus_one"),
    ("Undo scan", "undo_scan"),
    ("Search", "find"),
    ("Review", "review"),
)
"""The count's buttons in a browser (a tablet): label, action."""
FLASH_SECONDS = 0.8
SCAN_WIDTHS = {"scan": 6, "count": 7, "expected": 8}


def scan_word(scan: CountScan) -> str:
    return f"={scan.amount}" if scan.kind == "set" else f"+{scan.amount}"


class ScanField(TextInput):
    """The scan field: Enter, a scanner's LF or Tab end a code, and empty the field at once.

    These keys are handled as they arrive, in the field's own queue: a binding would run later,
    after the rest of a burst (several scans arriving in one read over SSH) was already typed in,
    and the codes would run together.
    """

    SUBMIT_KEYS = frozenset({"enter", "ctrl+j", "tab"})
    BINDINGS = [
        Binding("enter,ctrl+j", "submit", "Count the code", show=False),
        Binding("tab", "submit_or_next", "Count the code, or go to the scans", show=False),
    ]

    class Scanned(Message):
        """A code (or ``+N`` / ``=N``) was entered."""

        def __init__(self, field: ScanField, text: str) -> None:
            super().__init__()
            self.field = field
            self.text = text

        @property
        def control(self) -> ScanField:
            return self.field

    async def on_key(self, event: events.Key) -> None:
        """Before the field's own handlers: an end key submits (``prevent_default`` skips them)."""
        if event.key in self.SUBMIT_KEYS:
            event.stop()
            event.prevent_default()
            if event.key == "tab":
                await self.action_submit_or_next()
            else:
                await self.action_submit()

    async def action_submit(self) -> None:
        text = self.value
        self.value = ""
        if text.strip():
            self.post_message(self.Scanned(self, text))

    async def action_submit_or_next(self) -> None:
        if self.value.strip():
            await self.action_submit()
        else:
            self.screen.focus_next()


def looks_like_barcode(text: str) -> bool:
    """Digits only, as a scanner sends them (a name or SKU typed by hand is searched instead)."""
    return text.isdigit()


class ScanList(DataTable):
    """The latest scans. Arrows move, ``delete`` removes; any character typed here (a scan
    while the list has the focus) goes to the scan field, so no scan is lost."""

    def on_key(self, event: events.Key) -> None:
        """Before the table's own key handling: a character goes to the scan field."""
        if event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            field = self.screen.query_one("#scan", ScanField)
            field.focus()
            field.insert_text_at_cursor(event.character)


class OutsideScopeDialog(ConfirmDialog):
    """ "Not on this shelf: add anyway?" Skipping is the default (Enter, Esc, ``n``); ``y`` adds.

    A scan arriving while it is open (any other character) skips this item and goes to the scan
    field, so a scanner burst is not swallowed by the question.
    """

    def __init__(self, title: str, body: Text, spill: Callable[[str], None]) -> None:
        super().__init__(title, body, "Add anyway", safe_default=True)
        self._spill = spill

    def on_key(self, event: events.Key) -> None:
        """Before the dialog's own key handling: a character (not y or n) skips, and spills."""
        if event.is_printable and event.character and event.character not in "yn":
            event.stop()
            event.prevent_default()
            self.dismiss(False)
            self._spill(event.character)


class CountScreen(SessionScreen):
    """One open count: scan, ``+N``, ``=N``, take back scans, then ``ctrl+r`` to review. In a
    browser, buttons do +1, -1, undo, search and review too."""

    TITLE = "Count"
    CSS_PATH = COUNTS_CSS
    BINDINGS = [
        Binding("ctrl+r", "review", "Review & commit", id="count.review"),
        Binding("ctrl+z", "undo_scan", "Undo last scan"),
        Binding("ctrl+f", "find", "Search", id="count.find"),
        Binding("delete", "remove_scan", "Remove scan"),
        Binding("f1", "app.open('help')", "Keys", show=False),
    ]

    def __init__(self, session_id: int) -> None:
        super().__init__(session_id)
        self._index: VariantIndex | None = None
        self._scans: list[CountScan] = []
        self._item_width = 0

    def compose(self) -> ComposeResult:
        yield Static(id="count-title")
        with Horizontal(id="scan-row"):
            yield Static("Scan", classes="field-label")
            yield ScanField(
                placeholder="barcode or SKU, Enter  |  +N adds  |  =N sets",
                id="scan",
                select_on_focus=False,  # a scan typed from the list or a question keeps its start
            )
        if self.zinv_app.browser:
            with Horizontal(id="count-touch", classes="touch-row"):
                for label, action in TOUCH_BUTTONS:
                    yield TouchButton(label, action_name=action, classes="count-touch")
        yield VariantPicker(
            self.service.rows, placeholder="Search by name or SKU, Enter counts one", id="search"
        )
        yield Static(id="scan-message")
        yield ScanList(id="scans-table", cursor_type="row", zebra_stripes=True)
        yield Static(
            Text(
                "Tab: the scan list (delete removes a scan)  ^z undo last  Esc pauses",
                style="dim",
            ),
            id="count-hint",
        )
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#search", VariantPicker).display = False
        self._build_columns()
        self.reload()
        self._show_message(
            Text("Ready: scan an item, or type its SKU and press Enter", style="dim")
        )
        self.focus_scan()
        self.follow_rows(self._rows_changed)
        self._poll_now()

    @work(exclusive=True, group="count-refresh", exit_on_error=False)
    async def _poll_now(self) -> None:
        """Read Zettle now, so the first counts record balances with the latest sales in them."""
        await self.service.refresh()

    def on_screen_resume(self) -> None:
        self.reload()
        self.focus_scan()

    def focus_scan(self) -> None:
        self.query_one("#scan", Input).focus()

    @property
    def index(self) -> VariantIndex:
        if self._index is None:
            self._index = VariantIndex.build(self.service.rows)
        return self._index

    def _rows_changed(self, diff: RowDiff | None) -> None:
        if diff is None or diff.reshaped:
            self._index = None
            self.query_one("#search", VariantPicker).rebuild(self.service.rows)
        self.reload_soon(0.3)

    # ---------------------------------------------------------------- table

    @property
    def blind(self) -> bool:
        return bool(self.session.blind)

    def _build_columns(self) -> None:
        table = self.query_one("#scans-table", DataTable)
        widths = dict(SCAN_WIDTHS)
        if self.blind:
            widths.pop("expected")
        self._item_width = flexible_width(self.size.width, list(widths.values()))
        table.clear(columns=True)
        table.add_column("Item (newest scan first)", key="item", width=self._item_width)
        table.add_column("Scan", key="scan", width=widths["scan"])
        table.add_column("Count", key="count", width=widths["count"])
        if "expected" in widths:
            table.add_column("Expected", key="expected", width=widths["expected"])

    def on_resize(self, event: events.Resize) -> None:
        widths = [w for k, w in SCAN_WIDTHS.items() if k != "expected" or not self.blind]
        if flexible_width(event.size.width, widths) != self._item_width:
            self._build_columns()
            self.reload()

    @property
    def scans(self) -> list[CountScan]:
        """The scans listed, newest first."""
        return list(self._scans)

    def line(self, key: RowKey) -> CountLine | None:
        """The count's line of ``key`` (None when not counted nor in scope)."""
        return self.book.line_or_none(self.session_id, key)

    def reload(self) -> None:
        """Re-read the latest scans and the title."""
        self._session = session = self.book.session(self.session_id)
        self._scans = self.book.last_scans(self.session_id)
        lines: dict[RowKey, CountLine | None] = {}
        table = self.query_one("#scans-table", DataTable)
        with self.app.batch_update():
            table.clear()
            for scan in self._scans:
                if scan.key not in lines:
                    lines[scan.key] = self.line(scan.key)
                line = lines[scan.key]
                label = (
                    fit_label(line.product_name or line.key[0], line.variant_name, self._item_width)
                    if line is not None
                    else scan.key[1]
                )
                cells = [
                    Text(label, overflow="ellipsis", no_wrap=True),
                    Text(scan_word(scan), justify="right"),
                    number_text(line.counted if line else None),
                ]
                if not session.blind:
                    cells.append(self._expected_text(line))
                table.add_row(*cells, key=str(scan.id))
        self._show_title(session)

    def _expected_text(self, line: CountLine | None) -> Text:
        if line is None or line.expected is None:
            return number_text(None)
        text = number_text(line.expected)
        row = self.service.rows.get(line.key)
        if row is not None and row.shown_balance != line.expected:
            text.append("⚠", style="bold yellow")  # moved since counted: see the review
        return text

    def _show_title(self, session: CountSession) -> None:
        title = Text("Count: ", style="bold")
        title.append(session.name, style="bold")
        title.append(f"  {session.scope.title}")
        if session.blind:
            title.append("  ◌ blind")
        if session.scope_lines:
            title.append(f"  {number(session.counted_lines)}/{number(session.scope_lines)} counted")
        else:
            title.append(f"  {plural(session.counted_lines, 'item')} counted")
        self.query_one("#count-title", Static).update(title)

    def _show_message(self, text: Text, flash: bool = False) -> None:
        message = self.query_one("#scan-message", Static)
        message.update(text)
        if flash and not self.zinv_app.frozen:
            message.add_class("-flash")
            self.set_timer(FLASH_SECONDS, lambda: message.remove_class("-flash"))

    def _counted_message(self, line: CountLine, what: str) -> Text:
        text = Text()
        text.append("✓ ", style="bold green")
        text.append(f"{what}  ", style="bold")
        text.append(line.label, style="bold")
        text.append(f"  now {line.counted}")
        if not self.blind and line.expected is not None:
            text.append(f"  (expected {line.expected})", style="dim")
        return text

    # ---------------------------------------------------------------- scanning

    @on(ScanField.Scanned, "#scan")
    def _scanned(self, event: ScanField.Scanned) -> None:
        event.stop()
        self.enter(event.text)

    def enter(self, raw: str) -> None:
        """What the scan field does with a submitted text (a code, ``+N`` or ``=N``)."""
        text = clean_code(raw)
        if not text:
            return
        try:
            if text[0] in "+=":
                self._adjust_last(text[0], text[1:])
            else:
                self._count_code(text)
        except CountError as error:
            self.app.bell()
            self._show_message(Text(f"✗ {error}", style="bold red"))

    def _last_key(self) -> RowKey | None:
        last = self.book.last_scans(self.session_id, limit=1)
        return last[0].key if last else None

    def _adjust_last(self, sign: str, number: str) -> None:
        key = self._last_key()
        if key is None:
            raise CountError("Scan an item first: +N and =N apply to the last item scanned")
        try:
            amount = read_quantity(number, allow_zero=sign == "=")
        except QuantityError as error:
            raise CountError(f"{sign}{number}: {error}") from None
        if sign == "+":
            line = self.book.add(self.session_id, key, amount)
            what = f"+{amount}"
        else:
            line = self.book.set_count(self.session_id, key, amount)
            what = f"={amount}"
        self.reload()
        self._show_message(self._counted_message(line, what), flash=True)

    def _count_code(self, code: str) -> None:
        key = self.index.exact(code)
        if key is not None and key in self.service.rows:
            self.count_one(key, code)
            return
        found = bool(self.index.search(code, limit=1))
        if found and not looks_like_barcode(code):  # a name typed by hand: search, no fuss
            message = Text("Not a code: pick ", style="dim")
            message.append(repr(code), style="bold")
            message.append(" from the search below (Enter counts one, Esc closes)", style="dim")
            self._show_message(message)
            self.open_search(code)
            return
        self.book.note_unknown(self.session_id, code)
        self.app.bell()
        message = Text("✗ Unknown code ", style="bold red")
        message.append(repr(code), style="bold")
        message.append(": not counted", style="bold red")
        if found:
            message.append("; pick it below or Esc")
            self.open_search(code)
        else:
            message.append("; ^f searches by name")
        self._show_message(message)

    def count_one(self, key: RowKey, code: str = "") -> None:
        """One more of ``key`` (a scan); first asks when the count did not list it."""
        if self.book.outside_scope(self.session_id, key):
            self._ask_outside_scope(key, code)
            return
        self._tally(key, code)

    def _ask_outside_scope(self, key: RowKey, code: str) -> None:
        row = self.service.rows.get(key)
        label = row.label if row is not None else key[1]
        session = self.session
        shelf = f"'{session.scope_filter}'" if session.scope_filter else "this count"
        self.app.bell()
        body = Text()
        body.append(label, style="bold")
        body.append(f" is not in {shelf}: it was not listed when the count started. ")
        body.append("Counting it here would set its stock when the count is committed.")
        body.append("\n\ny adds it; Enter, n or a new scan skips it.", style="dim")

        def answered(add: bool | None) -> None:
            if add:
                self._tally(key, code)
                return
            message = Text("↷ Not counted: ", style="bold")
            message.append(label, style="bold")
            message.append(f" is not in {shelf}", style="dim")
            self._show_message(message)
            self.focus_scan()

        self.app.push_screen(
            OutsideScopeDialog("Not on this shelf: add anyway?", body, self._spill), answered
        )

    def _spill(self, character: str) -> None:
        """A key typed while a question was open: the start of the next scan."""
        field = self.query_one("#scan", ScanField)
        field.insert_text_at_cursor(character)
        field.focus()

    def _tally(self, key: RowKey, code: str) -> None:
        line = self.book.tally(self.session_id, key, 1, code=code)
        self.reload()
        self._show_message(self._counted_message(line, "+1"), flash=True)
        table = self.query_one("#scans-table", DataTable)
        if table.row_count:
            table.move_cursor(row=0)

    # ---------------------------------------------------------------- touch

    @on(Button.Pressed, ".count-touch")
    async def _touch(self, event: Button.Pressed) -> None:
        event.stop()
        action = event.button.name or ""
        await self.run_action(action)
        if action in {"plus_one", "minus_one", "undo_scan"}:
            self.focus_scan()

    def action_plus_one(self) -> None:
        """One more of the item scanned last (``+1``)."""
        self.enter("+1")

    def action_minus_one(self) -> None:
        """One less of the item scanned last (its count set one lower)."""
        key = self._last_key()
        line = self.line(key) if key is not None else None
        if line is None or not line.counted:
            self.app.bell()
            self._show_message(Text("✗ Nothing to take one from: scan an item first", "bold red"))
            return
        self.enter(f"={line.counted - 1}")

    # ---------------------------------------------------------------- search

    def open_search(self, text: str = "") -> None:
        picker = self.query_one("#search", VariantPicker)
        picker.display = True
        picker.input.value = text
        picker.input.cursor_position = len(text)
        picker.focus_input()

    def close_search(self) -> None:
        picker = self.query_one("#search", VariantPicker)
        picker.close()
        picker.input.value = ""
        picker.display = False
        self.focus_scan()

    def action_find(self) -> None:
        picker = self.query_one("#search", VariantPicker)
        if picker.display:
            self.close_search()
        else:
            self.open_search()

    @on(VariantPicker.Picked, "#search")
    def _picked(self, event: VariantPicker.Picked) -> None:
        event.stop()
        self.close_search()
        try:
            self.count_one(event.key)
        except CountError as error:
            self._show_message(Text(f"✗ {error}", style="bold red"))

    # ---------------------------------------------------------------- taking scans back

    def action_undo_scan(self) -> None:
        if not self._scans:
            self._show_message(Text("No scans to take back", style="dim"))
            return
        self._remove(self._scans[0])

    def action_remove_scan(self) -> None:
        table = self.query_one("#scans-table", DataTable)
        if not table.has_focus or not self._scans or table.cursor_row >= len(self._scans):
            return
        self._remove(self._scans[table.cursor_row])
        table.focus()

    def _remove(self, scan: CountScan) -> None:
        try:
            line = self.book.remove_scan(self.session_id, scan.id)
        except CountError as error:
            self._show_message(Text(f"✗ {error}", style="bold red"))
            return
        self.reload()
        message = Text(f"↶ Took back {scan_word(scan)}  ")
        if line is not None:
            message.append(line.label, style="bold")
            message.append(f"  now {UNCOUNTED if line.counted is None else line.counted}")
        else:
            row = self.service.rows.get(scan.key)
            message.append(row.label if row is not None else scan.key[1], style="bold")
            message.append("  no longer in this count")
        self._show_message(message)

    # ---------------------------------------------------------------- leaving

    def action_review(self) -> None:
        self.zinv_app.open_screen("count_review", session_id=self.session_id)

    def action_back(self) -> None:
        """Esc: close the search if open, else pause the count (it is already saved)."""
        if self.query_one("#search", VariantPicker).display:
            self.close_search()
            return
        super().action_back()
