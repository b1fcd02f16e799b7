"""The stock counts screen (``c``): the list of counts, new count, resume, abandon, export.

A count is a local draft (kept in the profile's ``outbox.sqlite``): Esc from a count pauses it,
and it is resumed from here, also after a crash or a dropped SSH session. Counting happens in
:class:`~zinv_tui.ui.screens.count_session.CountScreen`, the review and commit in
:class:`~zinv_tui.ui.screens.count_review.CountReviewScreen`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Select, Static

from zinv_tui.service import CountBook, CountError, CountScope, CountSession, CountStatus
from zinv_tui.service.wording import number
from zinv_tui.ui.browser_keys import shown_key
from zinv_tui.ui.marks import PENDING_MARK
from zinv_tui.ui.screens.columns import flexible_width
from zinv_tui.ui.screens.count_common import (
    COUNTS_CSS,
    default_report_path,
    download_report,
    export_report,
)
from zinv_tui.ui.screens.dialogs import ConfirmDialog, PathDialog
from zinv_tui.ui.screens.service_screen import ServiceScreen, steady_cursors, zinv_app
from zinv_tui.ui.widgets.key_bar import KeyBar
from zinv_tui.ui.widgets.list_table import ListTable
from zinv_tui.ui.widgets.text_input import TextInput
from zinv_tui.ui.widgets.tick_box import TickBox
from zinv_tui.ui.widgets.touch_button import TouchButton

FIXED_WIDTHS = {"scope": 9, "counted": 9, "status": 10, "started": 11}
STATUS_WORDS = {
    CountStatus.OPEN: ("● open", "bold"),
    CountStatus.COMMITTING: (f"{PENDING_MARK} posting", "bold yellow"),
    CountStatus.COMMITTED: ("✓ posted", "green"),
    CountStatus.ABANDONED: ("✗ dropped", "dim"),
}
SCOPE_CHOICES = [
    ("Ad-hoc: only what I scan", CountScope.ADHOC),
    ("Filtered: name/SKU contains...", CountScope.FILTERED),
    ("Full: every tracked variant", CountScope.FULL),
]


def counted_text(session: CountSession) -> Text:
    """``"3"`` for an ad-hoc count, ``"3/120"`` for a scoped one."""
    if session.scope is CountScope.ADHOC:
        return Text(number(session.counted_lines), justify="right")
    return Text(f"{number(session.counted_lines)}/{number(session.scope_lines)}", justify="right")


class NewCountDialog(ModalScreen[dict[str, Any] | None]):
    """Name, scope (ad-hoc / filtered / full) and blind; ``ctrl+s`` or Start opens the count."""

    CSS_PATH = [Path(__file__).parent / "dialogs.tcss", COUNTS_CSS]
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "start", "Start", id="new_count.start"),
    ]

    def __init__(self) -> None:
        super().__init__(classes="zinv-dialog-screen")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="new-count"):
            yield Static(Text("New stock count", style="bold"), classes="dialog-title")
            with Horizontal(classes="new-count-row"):
                yield Static("Name", classes="new-count-label")
                yield TextInput(placeholder="Count <date> <scope>", id="count-name", compact=True)
            with Horizontal(classes="new-count-row"):
                yield Static("Scope", classes="new-count-label")
                yield Select(
                    SCOPE_CHOICES,
                    value=CountScope.ADHOC,
                    allow_blank=False,
                    compact=True,
                    id="count-scope",
                )
            with Horizontal(classes="new-count-row", id="filter-row"):
                yield Static("Filter", classes="new-count-label")
                yield TextInput(
                    placeholder="part of a name, SKU or barcode", id="count-filter", compact=True
                )
            yield TickBox(
                "Blind: hide the expected stock while counting", id="count-blind", compact=True
            )
            yield Static("", id="new-count-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                browser = zinv_app(self).browser
                start_key = shown_key(self.app, "new_count.start", "ctrl+s", browser=browser)
                yield Button(f"Start {start_key}", variant="primary", id="start", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        steady_cursors(self)
        self._show_filter()
        self.query_one("#count-name", Input).focus()

    @property
    def scope(self) -> CountScope:
        value = self.query_one("#count-scope", Select).value
        return value if isinstance(value, CountScope) else CountScope.ADHOC

    @on(Select.Changed, "#count-scope")
    def _show_filter(self) -> None:
        self.query_one("#filter-row").display = self.scope is CountScope.FILTERED

    @on(Input.Submitted)
    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        scope = self.scope
        text = self.query_one("#count-filter", Input).value.strip()
        if scope is CountScope.FILTERED and not text:
            self.query_one("#new-count-error", Static).update("Type what the items' names contain")
            self.query_one("#count-filter", Input).focus()
            return
        self.dismiss(
            {
                "name": self.query_one("#count-name", Input).value.strip() or None,
                "scope": scope,
                "scope_filter": text,
                "blind": self.query_one("#count-blind", TickBox).value,
            }
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class CountsScreen(ServiceScreen[None]):
    """``c``: stock counts: ``n`` starts one, Enter resumes (or reviews a closed one)."""

    TITLE = "Stock counts"
    CSS_PATH = COUNTS_CSS
    BINDINGS = [
        Binding("n", "new", "New count"),
        Binding("enter", "open_count", "Open", show=False),
        Binding("x", "abandon", "Abandon"),
        Binding("e", "export", "Export CSV"),
        Binding("f1", "app.open('help')", "Keys", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._sessions: list[CountSession] = []
        self._name_width = 0

    @property
    def book(self) -> CountBook:
        return self.service.counts

    def compose(self) -> ComposeResult:
        yield Static(id="counts-title")
        yield ListTable(id="counts-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="counts-hint")
        if self.zinv_app.browser:
            with Horizontal(id="counts-touch", classes="touch-row"):
                for label, action in (("New count", "new"), ("Open", "open_count")):
                    yield TouchButton(label, action_name=action, classes="counts-touch")
        yield KeyBar()

    def on_mount(self) -> None:
        self._build_columns()
        self.reload()
        self.query_one("#counts-table", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.reload()

    @property
    def sessions(self) -> list[CountSession]:
        """The counts listed, newest first."""
        return list(self._sessions)

    def _build_columns(self) -> None:
        table = self.query_one("#counts-table", DataTable)
        self._name_width = flexible_width(self.size.width, [4, *FIXED_WIDTHS.values()])
        table.clear(columns=True)
        table.add_column("#", key="id", width=4)
        table.add_column("Name", key="name", width=self._name_width)
        table.add_column("Scope", key="scope", width=FIXED_WIDTHS["scope"])
        table.add_column("Counted", key="counted", width=FIXED_WIDTHS["counted"])
        table.add_column("Status", key="status", width=FIXED_WIDTHS["status"])
        table.add_column("Started", key="started", width=FIXED_WIDTHS["started"])

    def on_resize(self, event: events.Resize) -> None:
        if flexible_width(event.size.width, [4, *FIXED_WIDTHS.values()]) != self._name_width:
            self._build_columns()
            self.reload()

    def reload(self) -> None:
        """Re-read the counts, keeping the cursor on the same one."""
        table = self.query_one("#counts-table", DataTable)
        current = self.selected()
        self._sessions = self.book.sessions()
        moment = self.zinv_app.format_moment
        with self.app.batch_update():
            table.clear()
            for session in self._sessions:
                word, style = STATUS_WORDS[session.status]
                scope = session.scope.title + (" ◌" if session.blind else "")
                table.add_row(
                    Text(str(session.id), justify="right"),
                    Text(session.name, overflow="ellipsis", no_wrap=True),
                    Text(scope),
                    counted_text(session),
                    Text(word, style=style),
                    Text(moment(session.created)),
                    key=str(session.id),
                )
            ids = [session.id for session in self._sessions]
            if current is not None and current.id in ids:
                table.move_cursor(row=ids.index(current.id))
            elif current is None:  # first load: on the count you are most likely to resume
                open_rows = [i for i, session in enumerate(self._sessions) if session.is_open]
                if open_rows:
                    table.move_cursor(row=open_rows[0])
        open_count = sum(1 for session in self._sessions if session.is_open)
        title = Text("Stock counts", style="bold")
        title.append(f": {open_count} open, {len(self._sessions) - open_count} closed")
        self.query_one("#counts-title", Static).update(title)
        hint = (
            "n starts a count. Enter resumes the highlighted one (counts are kept on disk)."
            if self._sessions
            else "No counts yet: press n to start one (ad-hoc, filtered or full)."
        )
        self.query_one("#counts-hint", Static).update(Text(hint, style="dim"))

    def selected(self) -> CountSession | None:
        table = self.query_one("#counts-table", DataTable)
        if not self._sessions or table.cursor_row >= len(self._sessions):
            return None
        return self._sessions[table.cursor_row]

    # ---------------------------------------------------------------- actions

    @on(Button.Pressed, ".counts-touch")
    async def _touch(self, event: Button.Pressed) -> None:
        event.stop()
        await self.run_action(event.button.name or "")

    def action_new(self) -> None:
        def started(choice: dict[str, Any] | None) -> None:
            if not choice:
                return
            try:
                session = self.book.start(**choice)
            except CountError as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.reload()
            self.open_session(session.id)

        self.app.push_screen(NewCountDialog(), started)

    @on(DataTable.RowSelected, "#counts-table")
    def action_open_count(self) -> None:
        session = self.selected()
        if session is not None:
            self.open_session(session.id)

    def open_session(self, session_id: int) -> None:
        """An open count goes to the scan view, a closed one to its (read-only) review."""
        session = self.book.session(session_id)
        opened = "count" if session.status is CountStatus.OPEN else "count_review"
        self.zinv_app.open_screen(opened, session_id=session_id)

    def action_abandon(self) -> None:
        session = self.selected()
        if session is None or not session.is_open:
            self.notify("Only an open count can be abandoned", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.book.abandon(session.id)
            except CountError as error:
                self.notify(str(error), severity="error", markup=False)
            self.reload()

        self.app.push_screen(
            ConfirmDialog(
                "Abandon this count?",
                Text(f"{session.name}: nothing is posted to Zettle; its scans stay in the file."),
                "Abandon",
                safe_default=True,
            ),
            answered,
        )

    def action_export(self) -> None:
        session = self.selected()
        if session is None:
            return
        if self.zinv_app.browser:
            download_report(self, session.id)
            return

        def chosen(path: Path | None) -> None:
            if path is not None:
                self._export(session.id, path)

        default = default_report_path(session.id, datetime.now())
        self.app.push_screen(PathDialog("Export the count report (CSV)", default), chosen)

    def _export(self, session_id: int, path: Path) -> None:
        export_report(self, session_id, path)
