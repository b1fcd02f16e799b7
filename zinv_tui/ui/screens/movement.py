"""The movement screen: choose a reason, pick variants (type or scan), enter quantities, check
"balance now -> after" per line, confirm. The movement goes through the service's outbox."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Input, Select, Static

from zinv_tui.service import LocationType, MovementIntent, PlannedMovement, Reason
from zinv_tui.ui.screens.dialogs import ConfirmDialog
from zinv_tui.ui.screens.quantities import QuantityError, read_quantity
from zinv_tui.ui.screens.service_screen import ServiceScreen, steady_cursors
from zinv_tui.ui.screens.variant_search import RowKey, VariantPicker, row_label
from zinv_tui.ui.widgets.text_input import TextInput

REASON_CHOICES: list[tuple[str, Reason]] = [
    ("Restock", Reason.RESTOCK),
    ("Sale", Reason.SALE),
    ("Discard", Reason.DISCARD),
    ("Return to supplier", Reason.RETURN_TO_SUPPLIER),
    ("Set count to...", Reason.SET_COUNT),
    ("Move", Reason.MOVE),
]
REASON_HINTS = {
    Reason.RESTOCK: "from SUPPLIER into the shop",
    Reason.SALE: "from the shop to SOLD",
    Reason.DISCARD: "from the shop to BIN",
    Reason.RETURN_TO_SUPPLIER: "from the shop back to SUPPLIER",
    Reason.SET_COUNT: "type the counted balance; the difference is moved",
    Reason.MOVE: "between any two locations",
}
LOCATION_CHOICES = [(location.value, location) for location in LocationType]
PENDING_MARK = "⧗"


class MovementLine(Vertical):
    """One variant of the movement: name, quantity field, now -> after, and an error line."""

    _ids = itertools.count(1)

    def __init__(self, key: RowKey, label: str, quantity: str) -> None:
        super().__init__(id=f"line-{next(self._ids)}", classes="movement-line")
        self.key = key
        self._label = label
        self._quantity = quantity
        self.quantity_on_focus = quantity
        """The quantity when its field last got the focus (restored if a scan replaced it)."""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="line-main"):
            yield Static(Text(self._label, overflow="ellipsis", no_wrap=True), classes="line-label")
            yield TextInput(self._quantity, classes="line-qty", compact=True)
            yield Static(classes="line-preview")
        yield Static(classes="line-error")

    def on_mount(self) -> None:
        steady_cursors(self)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget is self.quantity_input:
            self.quantity_on_focus = self.quantity_text

    @property
    def quantity_input(self) -> Input:
        return self.query_one(".line-qty", Input)

    @property
    def quantity_text(self) -> str:
        return self.quantity_input.value

    def show_error(self, message: str | None) -> None:
        error = self.query_one(".line-error", Static)
        error.update(Text(message or ""))
        self.set_class(bool(message), "-invalid")

    @property
    def error(self) -> str:
        """The inline error shown under the line ("" when the line is fine)."""
        if not self.has_class("-invalid"):
            return ""
        return str(self.query_one(".line-error", Static).content)

    def show_preview(self, text: Text) -> None:
        self.query_one(".line-preview", Static).update(text)


class MovementScreen(ServiceScreen[None]):
    """``m``: record a restock, sale, discard, return, count or move for one or many variants."""

    TITLE = "New movement"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = [
        Binding("ctrl+s", "confirm", "Confirm"),
        Binding("ctrl+f", "find", "Find item"),
        Binding("ctrl+r", "remove_line", "Remove line"),
        Binding("ctrl+n", "focus_note", "Note", show=False),
        Binding("f1", "app.open('help')", "Keys", show=False),
    ]

    def __init__(self, keys: Iterable[RowKey] | None = None) -> None:
        super().__init__()
        self._initial_keys = list(keys or [])
        self._lines: dict[RowKey, MovementLine] = {}
        self._saving = False

    # ----------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield Static(Text("New movement", style="bold"), id="movement-title")
        with Horizontal(id="reason-row"):
            yield Static("Reason", classes="field-label")
            yield Select(
                REASON_CHOICES,
                value=Reason.RESTOCK,
                allow_blank=False,
                compact=True,
                id="reason",
            )
            yield Static("From", classes="field-label move-only")
            yield Select(
                LOCATION_CHOICES,
                value=LocationType.STORE,
                allow_blank=False,
                compact=True,
                id="from",
                classes="move-only",
            )
            yield Static("To", classes="field-label move-only")
            yield Select(
                LOCATION_CHOICES,
                value=LocationType.BIN,
                allow_blank=False,
                compact=True,
                id="to",
                classes="move-only",
            )
        yield Static(id="reason-hint")
        with Horizontal(id="find-row"):
            yield Static("Find", classes="field-label")
            yield VariantPicker(self.service.rows, id="picker")
        with Horizontal(id="lines-header"):
            yield Static("Item", classes="line-label")
            yield Static("Qty", classes="line-qty", id="qty-header")
            yield Static("Now -> after", classes="line-preview")
        yield VerticalScroll(id="lines")
        with Horizontal(id="note-row"):
            yield Static("Note", classes="field-label")
            yield TextInput(placeholder="optional, kept in the history", id="note", compact=True)
        with Horizontal(id="confirm-row"):
            yield Static(id="summary")
            yield Button("Confirm ^s", variant="primary", id="confirm", compact=True)
            yield Button("Cancel", id="cancel", compact=True)
        yield Footer()

    async def on_mount(self) -> None:
        self._show_reason()
        rows = self.service.rows
        for key in self._initial_keys:
            if key in rows:
                await self._add_line(key, "1")
        if self._lines:
            next(iter(self._lines.values())).quantity_input.focus()
        else:
            self.query_one(VariantPicker).focus_input()
        self.follow_rows(self._rows_changed)

    def _rows_changed(self, diff: Any) -> None:
        """Balances moved: new previews. Variants came or went: search them too."""
        full = diff is None or getattr(diff, "full", False)
        if full or getattr(diff, "added", None) or getattr(diff, "removed", None):
            self.query_one(VariantPicker).rebuild(self.service.rows)
        self.update_previews()

    # ---------------------------------------------------------------- state

    @property
    def reason(self) -> Reason:
        value = self.query_one("#reason", Select).value
        return value if isinstance(value, Reason) else Reason.RESTOCK

    @property
    def lines(self) -> list[MovementLine]:
        """The movement's lines, in the order added."""
        return list(self._lines.values())

    def _show_reason(self) -> None:
        reason = self.reason
        self.set_class(reason is Reason.MOVE, "-move")
        hint = REASON_HINTS[reason]
        if reason is Reason.MOVE:
            hint = f"{hint}: {self._move_from().value} -> {self._move_to().value}"
        self.query_one("#reason-hint", Static).update(Text(hint, style="italic"))
        self.query_one("#qty-header", Static).update(
            "Count" if reason is Reason.SET_COUNT else "Qty"
        )

    def _move_from(self) -> LocationType:
        value = self.query_one("#from", Select).value
        return value if isinstance(value, LocationType) else LocationType.STORE

    def _move_to(self) -> LocationType:
        value = self.query_one("#to", Select).value
        return value if isinstance(value, LocationType) else LocationType.BIN

    @on(Select.Changed)
    def _reason_or_location_changed(self) -> None:
        self._show_reason()
        self.update_previews()

    # ---------------------------------------------------------------- lines

    async def _add_line(self, key: RowKey, quantity: str) -> MovementLine:
        row = self.service.rows[key]
        line = MovementLine(key, row_label(row), quantity)
        self._lines[key] = line
        await self.query_one("#lines", VerticalScroll).mount(line)
        self.update_previews()
        return line

    @on(VariantPicker.Picked)
    async def _picked(self, event: VariantPicker.Picked) -> None:
        await self.pick(event.key, scanned=event.scanned)

    async def pick(self, key: RowKey, scanned: bool) -> None:
        """Add ``key`` (or add one to its line when ``scanned``)."""
        line = self._lines.get(key)
        if scanned:
            # A scan (or an exact code typed + Enter): add one, stay in the field for the next scan.
            if line is None:
                line = await self._add_line(key, "1")
            else:
                try:
                    current = read_quantity(line.quantity_text, allow_zero=True)
                except QuantityError:
                    current = 0
                line.quantity_input.value = str(current + 1)
            line.scroll_visible()
            self.query_one(VariantPicker).focus_input()
            return
        if line is None:
            line = await self._add_line(key, "1")
        line.scroll_visible()
        line.quantity_input.focus()

    @on(Input.Changed, ".line-qty")
    def _quantity_changed(self) -> None:
        self.update_previews()

    @on(Input.Submitted, ".line-qty")
    async def _quantity_submitted(self, event: Input.Submitted) -> None:
        """Enter in a quantity: back to the search field. A barcode scanned into the quantity by
        mistake (the field had the focus) is taken out of it and counted as a scan."""
        event.stop()
        picker = self.query_one(VariantPicker)
        split = picker.index.split_trailing_barcode(event.value)
        if split is not None:
            quantity, key = split
            line = next(item for item in self._lines.values() if item.quantity_input is event.input)
            event.input.value = quantity or line.quantity_on_focus
            self.notify("That was a scan: it went to its own line", markup=False)
            await self.pick(key, scanned=True)
            return
        picker.focus_input()

    @on(Input.Submitted, "#note")
    def _note_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#confirm", Button).focus()

    async def action_remove_line(self) -> None:
        """Remove the line whose quantity field has the focus (else the last line)."""
        line = next((item for item in self._lines.values() if item.quantity_input.has_focus), None)
        if line is None and self._lines:
            line = list(self._lines.values())[-1]
        if line is None:
            return
        del self._lines[line.key]
        await line.remove()
        self.update_previews()
        if self._lines:
            list(self._lines.values())[-1].quantity_input.focus()
        else:
            self.query_one(VariantPicker).focus_input()

    def action_find(self) -> None:
        self.query_one(VariantPicker).focus_input()

    def action_focus_note(self) -> None:
        self.query_one("#note", Input).focus()

    # ---------------------------------------------------------------- maths

    def _read_line(self, line: MovementLine) -> int:
        return read_quantity(line.quantity_text, allow_zero=self.reason is Reason.SET_COUNT)

    def _intent(self, line: MovementLine, amount: int, note: str) -> MovementIntent:
        reason = self.reason
        if reason is Reason.SET_COUNT:
            return MovementIntent(reason, line.key, count=amount, note=note)
        if reason is Reason.MOVE:
            return MovementIntent(
                reason,
                line.key,
                quantity=amount,
                from_type=self._move_from(),
                to_type=self._move_to(),
                note=note,
            )
        return MovementIntent(reason, line.key, quantity=amount, note=note)

    def build_intents(self) -> tuple[list[MovementIntent], list[MovementLine]]:
        """The intents of the valid lines, and the lines whose quantity is not acceptable."""
        note = self.query_one("#note", Input).value.strip()
        intents: list[MovementIntent] = []
        invalid: list[MovementLine] = []
        for line in self._lines.values():
            try:
                amount = self._read_line(line)
            except QuantityError as error:
                line.show_error(str(error))
                invalid.append(line)
                continue
            intents.append(self._intent(line, amount, note))
        return intents, invalid

    def update_previews(self) -> None:
        """Recompute "now -> after" for every line, and the inline errors."""
        if not self.is_attached:
            return
        intents, invalid = self.build_intents()
        plans: Sequence[PlannedMovement] = self.service.plan(intents) if intents else []
        by_key = {plan.key: plan for plan in plans}
        rows = self.service.rows
        total = 0
        for line in self._lines.values():
            row = rows.get(line.key)
            plan = by_key.get(line.key)
            if line in invalid or plan is None:
                now = row.shown_balance if row is not None else 0
                line.show_preview(Text(f"{now} -> ?", style="dim"))
                continue
            line.show_error(plan.error)
            line.show_preview(_preview(plan, row))
            if plan.error is None:
                total += plan.store_change
        self._show_summary(len(self._lines), len(invalid), total)

    def _show_summary(self, count: int, invalid: int, total: int) -> None:
        summary = Text()
        if not count:
            summary.append("No items yet: type a name or SKU, or scan", style="dim")
        else:
            summary.append(f"{count} line{'s' if count != 1 else ''}")
            summary.append(f", shop stock {total:+d}")
            if invalid:
                summary.append(f", {invalid} to fix", style="bold red")
        self.query_one("#summary", Static).update(summary)

    # ---------------------------------------------------------------- confirm

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        if self._saving:
            return
        if not self._lines:
            self.notify("Add at least one item first", severity="warning")
            self.query_one(VariantPicker).focus_input()
            return
        intents, invalid = self.build_intents()
        if invalid:
            self.update_previews()
            invalid[0].quantity_input.focus()
            self.notify("Fix the quantities marked in red first", severity="warning")
            return
        plans = self.service.plan(intents)
        errors = [plan for plan in plans if plan.error]
        if errors:
            self.update_previews()
            message = errors[0].error or "A line cannot be recorded"
            self.notify(message, severity="error", markup=False)
            return
        if not any(plan.moves for plan in plans):
            self.notify("Nothing to move: the counts already match the balances")
            return
        warnings = [plan.warning for plan in plans if plan.warning]
        if not warnings:
            self.record(intents)
            return
        body = Text("\n".join(warnings[:5]))
        if len(warnings) > 5:
            body.append(f"\n… and {len(warnings) - 5} more")
        body.append("\n\nZettle allows it (the shop may have stock it does not know of).")

        def answered(yes: bool | None) -> None:
            if yes:
                self.record(intents)

        self.app.push_screen(
            ConfirmDialog("Below zero: record anyway?", body, "Record anyway"), answered
        )

    @work(exclusive=True, group="movement-record", exit_on_error=False)
    async def record(self, intents: list[MovementIntent]) -> None:
        """Journal the movement (the outbox sends it to Zettle), then go back."""
        self._saving = True
        self.query_one("#confirm", Button).disabled = True
        try:
            entries = await self.service.record(intents)
        except Exception as error:
            self._saving = False
            self.query_one("#confirm", Button).disabled = False
            self.notify(f"The movement was not recorded: {error}", severity="error", markup=False)
            return
        title = dict((reason, title) for title, reason in REASON_CHOICES)[self.reason]
        count = len(entries)
        self.notify(
            f"{PENDING_MARK} {title.rstrip('.')}: {count} movement{'s' if count != 1 else ''} "
            "recorded, sending to Zettle",
            markup=False,
        )
        self.dismiss()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_back()

    def action_back(self) -> None:
        """Esc: leave; asks first when lines would be lost."""
        if not self._lines or self._saving:
            super().action_back()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss()

        count = len(self._lines)
        self.app.push_screen(
            ConfirmDialog(
                "Discard this movement?",
                f"{count} line{'s' if count != 1 else ''} will be dropped; nothing is sent.",
                "Discard",
            ),
            answered,
        )


def _preview(plan: PlannedMovement, row: Any) -> Text:
    text = Text()
    pending = PENDING_MARK if row is not None and row.pending else ""
    text.append(f"{plan.balance_before}{pending} -> ")
    after_style = "bold red" if plan.balance_after < 0 else "bold"
    text.append(str(plan.balance_after), style=after_style)
    if plan.reason is Reason.MOVE and plan.store_change == 0 and plan.error is None:
        text = Text("shop unchanged", style="dim")
    elif plan.warning:
        text.append(" !", style="bold red")
    return text
