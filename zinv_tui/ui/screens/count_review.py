"""Reviewing a count: expected (at counting time), counted, variance, live balance and drift per
line; filters for variances / uncounted, largest variance first; commit with a confirmation that
says what will be posted (Cancel focused first when it would zero uncounted items). A closed
count opens here read-only (its report can still be exported); a committed one shows no drift,
since its own corrections are in the live balance. Items a filtered or full count did not list
are marked "+ not listed".
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Static

from zinv_tui.service import (
    CountError,
    CountScope,
    CountStatus,
    DriftNotConfirmed,
    ReviewLine,
    RowDiff,
)
from zinv_tui.service.wording import number, plural
from zinv_tui.ui.screens.columns import fit_label, flexible_width
from zinv_tui.ui.screens.count_common import (
    COUNTS_CSS,
    UNCOUNTED,
    default_report_path,
    download_report,
    export_report,
    number_text,
)
from zinv_tui.ui.screens.dialogs import ConfirmDialog, PathDialog
from zinv_tui.ui.screens.session_screen import SessionScreen
from zinv_tui.ui.widgets.key_bar import KeyBar
from zinv_tui.ui.widgets.list_table import ListTable
from zinv_tui.ui.widgets.touch_button import TouchButton

MAX_SHOWN = 2000
"""Lines listed at once (a full count can have tens of thousands); the filters narrow the rest."""
WIDTHS = {"expected": 8, "counted": 7, "variance": 6, "live": 6, "drift": 6}
HIDDEN = "·"
FILTER_WORDS = {"all": "all lines", "variances": "variances only", "uncounted": "uncounted only"}


def signed_text(value: int | None, warn: bool = False) -> Text:
    if value is None:
        return Text("", justify="right")
    style = ""
    if value:
        style = "bold yellow" if warn else ("green" if value > 0 else "bold red")
    text = Text(f"{value:+d}" if value else "0", style=style, justify="right")
    if warn and value:
        text.append("⚠", style="bold yellow")
    return text


class CountReviewScreen(SessionScreen):
    """``ctrl+r`` from a count: check variances and drift, then ``ctrl+s`` commits."""

    TITLE = "Count review"
    CSS_PATH = COUNTS_CSS
    BINDINGS = [
        Binding("ctrl+s", "commit", "Commit", id="count_review.commit"),
        Binding("v", "show('variances')", "Variances"),
        Binding("u", "show('uncounted')", "Uncounted"),
        Binding("A", "show('all')", "All lines", key_display="A"),
        Binding("o", "toggle_order", "Largest first"),
        Binding("b", "reveal", "Reveal (blind)"),
        Binding("z", "toggle_zero", "Zero uncounted"),
        Binding("e", "export", "Export CSV"),
        Binding("x", "forget_line", "Forget line"),
        Binding("f1", "app.open('help')", "Keys", show=False),
    ]

    def __init__(self, session_id: int) -> None:
        super().__init__(session_id)
        self.filter = "all"
        self.largest_first = False
        self.revealed = False
        self.zero_uncounted = False
        self._items: list[ReviewLine] = []
        self._shown: list[ReviewLine] = []
        self._item_width = 0
        self._saving = False

    def compose(self) -> ComposeResult:
        yield Static(id="review-title")
        yield Static(id="review-filter")
        yield ListTable(id="review-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="review-summary")
        if self.zinv_app.browser:
            with Horizontal(id="review-touch", classes="touch-row"):
                for label, action in (("Commit", "commit"), ("Export CSV", "export")):
                    yield TouchButton(label, action_name=action, classes="review-touch")
        yield KeyBar()

    def on_mount(self) -> None:
        session = self.session
        self.revealed = not session.blind
        self._build_columns()
        self.reload()
        self.query_one("#review-table", DataTable).focus()
        self.follow_rows(self._rows_changed)

    def _rows_changed(self, _diff: RowDiff | None) -> None:
        self.reload_soon(1.0)  # a full count's review is a 50k-line read

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"commit", "toggle_zero", "forget_line"} and not self.session.is_open:
            return False
        if action == "reveal" and not self.session.blind:
            return False
        return not (action == "toggle_zero" and self.session.scope is CountScope.ADHOC)

    # ---------------------------------------------------------------- table

    def _build_columns(self) -> None:
        table = self.query_one("#review-table", DataTable)
        self._item_width = flexible_width(self.size.width, list(WIDTHS.values()))
        table.clear(columns=True)
        table.add_column("Item", key="item", width=self._item_width)
        table.add_column("Expected", key="expected", width=WIDTHS["expected"])
        table.add_column("Counted", key="counted", width=WIDTHS["counted"])
        table.add_column("Var", key="variance", width=WIDTHS["variance"])
        table.add_column("Live", key="live", width=WIDTHS["live"])
        table.add_column("Drift", key="drift", width=WIDTHS["drift"])

    def on_resize(self, event: events.Resize) -> None:
        if flexible_width(event.size.width, list(WIDTHS.values())) != self._item_width:
            self._build_columns()
            self.reload()

    @property
    def shown(self) -> list[ReviewLine]:
        """The review lines listed (after the filter and order)."""
        return list(self._shown)

    def reload(self) -> None:
        self._session = self.book.session(self.session_id)
        self._items = self.book.review(self.session_id)
        items = self._items
        if self.filter == "variances":
            items = [item for item in items if item.variance]
        elif self.filter == "uncounted":
            items = [item for item in items if not item.line.is_counted]
        if self.largest_first:
            items = sorted(
                items,
                key=lambda item: (
                    item.variance is None,
                    -abs(item.variance or 0),
                    item.line.label.casefold(),
                ),
            )
        self._shown = items[:MAX_SHOWN]
        table = self.query_one("#review-table", DataTable)
        with self.app.batch_update():
            table.clear()
            for item in self._shown:
                table.add_row(*self._cells(item), key=f"{item.key[0]}/{item.key[1]}")
        self._show_title()

    def _cells(self, item: ReviewLine) -> list[Text]:
        line = item.line
        label = Text(no_wrap=True, overflow="ellipsis")
        if not line.in_scope and self.session.scope is not CountScope.ADHOC:
            label.append("+ not listed ", style="bold yellow")
        room = self._item_width - label.cell_len - (14 if item.live is None else 0)
        label.append(fit_label(line.product_name or line.key[0], line.variant_name, room))
        if item.live is None:
            label.append(" (not tracked)", style="dim")
        counted = number_text(line.counted)
        if not self.revealed:
            hidden = Text(HIDDEN, justify="right", style="dim")
            return [label, hidden, counted, hidden, hidden, hidden]
        return [
            label,
            number_text(line.expected) if line.is_counted else Text("", justify="right"),
            counted,
            signed_text(item.variance),
            number_text(item.live),
            signed_text(item.drift, warn=True),
        ]

    def _show_title(self) -> None:
        session = self.session
        counted = sum(1 for item in self._items if item.line.is_counted)
        uncounted = len(self._items) - counted
        drift = sum(1 for item in self._items if item.has_drift)
        title = Text("Review: ", style="bold")
        title.append(session.name, style="bold")
        title.append(f"  {number(counted)} counted")
        if session.scope is not CountScope.ADHOC:
            title.append(f", {number(uncounted)} uncounted")
        if session.status is not CountStatus.OPEN:
            title.append(f"  [{session.status.value}]", style="dim")
        if drift and self.revealed:
            title.append(f"  ⚠ {drift} changed since counted", style="bold yellow")
        self.query_one("#review-title", Static).update(title)

        shown = Text("Showing ", style="dim")
        shown.append(FILTER_WORDS[self.filter])
        shown.append(", largest variance first" if self.largest_first else ", by name")
        if len(self._shown) < self._count_matching():
            shown.append(f" (first {MAX_SHOWN})", style="dim")
        if not self.revealed:
            shown.append("  ◌ blind: b reveals expected", style="dim")
        unknown = self.book.unknown_codes(self.session_id)
        if unknown:
            codes = ", ".join(code for code, _times in unknown[:3])
            more = "..." if len(unknown) > 3 else ""
            shown.append(f"  ? {plural(len(unknown), 'unknown code')}: ")
            shown.append(codes + more, style="bold")
        self.query_one("#review-filter", Static).update(shown)
        self.query_one("#review-summary", Static).update(self._summary_text())

    def _count_matching(self) -> int:
        if self.filter == "variances":
            return sum(1 for item in self._items if item.variance)
        if self.filter == "uncounted":
            return sum(1 for item in self._items if not item.line.is_counted)
        return len(self._items)

    def _summary_text(self) -> Text:
        session = self.session
        if not session.is_open:
            return Text(f"This count is {session.status.value}: e exports its report", style="dim")
        plan = self.book.plan_commit(
            self.session_id, zero_uncounted=self.zero_uncounted, review=self._items
        )
        text = Text("Commit would post: ")
        text.append(plan.summary(amounts=self.revealed))  # blind: the units would tell
        if session.scope is not CountScope.ADHOC:
            text.append("  z: " + ("keep uncounted" if self.zero_uncounted else "zero uncounted"))
        return text

    # ---------------------------------------------------------------- keys

    @on(Button.Pressed, ".review-touch")
    async def _touch(self, event: Button.Pressed) -> None:
        event.stop()
        await self.run_action(event.button.name or "")

    def action_show(self, what: str) -> None:
        self.filter = what if what in FILTER_WORDS else "all"
        self.reload()

    def action_toggle_order(self) -> None:
        self.largest_first = not self.largest_first
        self.reload()

    def action_reveal(self) -> None:
        self.revealed = not self.revealed
        self.reload()

    def action_toggle_zero(self) -> None:
        self.zero_uncounted = not self.zero_uncounted
        self._show_title()

    def action_export(self) -> None:
        if self.zinv_app.browser:
            download_report(self, self.session_id)
            return

        def chosen(path: Path | None) -> None:
            if path is not None:
                export_report(self, self.session_id, path)

        default = default_report_path(self.session_id, datetime.now())
        self.app.push_screen(PathDialog("Export the count report (CSV)", default), chosen)

    def action_forget_line(self) -> None:
        """Forget every scan of the highlighted line (it becomes uncounted), after asking."""
        table = self.query_one("#review-table", DataTable)
        if not self._shown or table.cursor_row >= len(self._shown):
            return
        item = self._shown[table.cursor_row]
        if not item.line.is_counted:
            self.notify("That line is not counted", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.book.remove_line(self.session_id, item.key)
            except CountError as error:
                self.notify(str(error), severity="error", markup=False)
            self.reload()

        body = Text(f"{item.line.label}: its count of {item.line.counted} is dropped (uncounted).")
        self.app.push_screen(
            ConfirmDialog("Forget this line?", body, "Forget", safe_default=True), answered
        )

    def action_commit(self) -> None:
        if self._saving:
            return
        plan = self.book.plan_commit(self.session_id, zero_uncounted=self.zero_uncounted)
        body = Text("Post to Zettle now:\n", style="bold")
        body.append(
            f"{plural(plan.increases, 'increase')} (+{number(plan.units_up)}), "
            f"{plural(plan.decreases, 'decrease')} (-{number(plan.units_down)}), "
            f"{number(plan.unchanged + plan.untouched)} untouched"
        )
        details: list[str] = []
        if plan.untouched:
            details.append(f"{plan.untouched} uncounted left as they are ({UNCOUNTED})")
        if plan.zeroed:
            details.append(f"{plan.zeroed} uncounted set to 0")
        if plan.not_tracked:
            details.append(f"{len(plan.not_tracked)} no longer tracked, skipped")
        if details:
            body.append("\n" + "; ".join(details) + ".", style="")
        unknown = self.book.unknown_codes(self.session_id)
        if unknown:
            codes = ", ".join(code for code, _times in unknown[:3]) + (
                ", ..." if len(unknown) > 3 else ""
            )
            body.append(
                f"\n? {plural(len(unknown), 'unknown code')} not posted "
                f"(in the CSV report): {codes}",
                style="bold",
            )
        if plan.drift:
            body.append(
                f"\n⚠ {plural(len(plan.drift), 'line')} changed since "
                "counted (sales?): the differences counted are applied to today's balances.",
                style="bold yellow",
            )
        body.append("\nThe count is then closed.", style="dim")
        title = "Commit this count?" if plan.movements else "Nothing to post: close this count?"

        def answered(yes: bool | None) -> None:
            if yes:
                self._commit(bool(plan.drift))

        self.app.push_screen(
            ConfirmDialog(title, body, "Commit", safe_default=bool(plan.zeroed)), answered
        )

    @work(exclusive=True, group="count-commit", exit_on_error=False)
    async def _commit(self, drift_confirmed: bool) -> None:
        self._saving = True
        try:
            result = await self.book.commit(
                self.session_id,
                confirm_drift=drift_confirmed,
                zero_uncounted=self.zero_uncounted,
            )
        except DriftNotConfirmed as error:
            self._saving = False
            self.reload()
            self.notify(f"{error}: press ^s again", severity="warning", markup=False)
            return
        except (CountError, ValueError) as error:  # MovementRejected is a ValueError
            self._saving = False
            self.notify(f"The count was not posted: {error}", severity="error", markup=False)
            return
        except Exception as error:  # not loaded yet, etc.
            self._saving = False
            self.notify(f"The count was not posted: {error}", severity="error", markup=False)
            return
        recorded = f"Count posted: {plural(len(result.entries), 'correction')}"
        self.zinv_app.sending_toasts.show(recorded, result.entries)
        self._back_to_counts()

    def _back_to_counts(self) -> None:
        """Leave the review and the count view, back to the list of counts."""
        self.zinv_app.back_to("counts")
