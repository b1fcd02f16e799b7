"""The movement screen: choose a reason, pick variants (type or scan), enter quantities, check
"balance now -> after" per line, confirm. The movement goes through the service's outbox.

Typing is the work here, so letters never leave the screen: a letter typed while a menu or button
has the focus goes to Find (and a scan's Enter after it too); the screen-switching keys do nothing.
``q`` and every other way out ask before drafted lines are dropped. The focus follows the work:
Find first; the quantity of an item picked by typing; Find again after a scan (for the next one),
after Enter in a quantity, and after a reason is chosen.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Select, Static

from zinv_tui.service import (
    MovementIntent,
    PlaceKind,
    PlannedMovement,
    Reason,
    RowDiff,
    RowKey,
    StockRow,
)
from zinv_tui.service.wording import plural
from zinv_tui.ui.browser_keys import shown_key
from zinv_tui.ui.marks import with_pending
from zinv_tui.ui.screens.dialogs import ConfirmDialog
from zinv_tui.ui.screens.quantities import QuantityError, read_quantity
from zinv_tui.ui.screens.service_screen import ServiceScreen, steady_cursors
from zinv_tui.ui.screens.variant_search import CodeInput, VariantPicker
from zinv_tui.ui.stores import store_choice
from zinv_tui.ui.widgets.key_bar import KeyBar
from zinv_tui.ui.widgets.text_input import HELP_KEY, FreeTextInput, TextInput
from zinv_tui.ui.widgets.touch_button import TouchButton

REASON_CHOICES: list[tuple[str, Reason]] = [
    ("Restock", Reason.RESTOCK),
    ("Sale", Reason.SALE),
    ("Discard", Reason.DISCARD),
    ("Return to supplier", Reason.RETURN_TO_SUPPLIER),
    ("Set count to...", Reason.SET_COUNT),
    ("Move", Reason.MOVE),
    ("Transfer to store", Reason.TRANSFER),
]
"""Every reason offered (Transfer only when the shop has several stores)."""
REASON_HINTS = {
    Reason.RESTOCK: "from SUPPLIER into the shop",
    Reason.SALE: "from the shop to SOLD",
    Reason.DISCARD: "from the shop to BIN",
    Reason.RETURN_TO_SUPPLIER: "from the shop back to SUPPLIER",
    Reason.SET_COUNT: "type the counted balance; the difference is moved",
    Reason.MOVE: "between any two locations",
    Reason.TRANSFER: "from this store to another",
}
LOCATION_CHOICES = [(location.value, location) for location in PlaceKind]


class MovementLine(Vertical):
    """One variant of the movement: name, quantity field, now -> after, and an error line; with
    ``touch`` (a browser), buttons for one less, one more and remove."""

    _ids = itertools.count(1)

    def __init__(self, key: RowKey, label: str, quantity: str, *, touch: bool = False) -> None:
        super().__init__(id=f"line-{next(self._ids)}", classes="movement-line")
        self.key = key
        self._label = label
        self._quantity = quantity
        self._touch = touch
        self.quantity_on_focus = quantity
        """The quantity when its field last got the focus (restored if a scan replaced it)."""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="line-main"):
            yield Static(Text(self._label, overflow="ellipsis", no_wrap=True), classes="line-label")
            yield TextInput(self._quantity, classes="line-qty", compact=True)
            yield Static(classes="line-preview")
            if self._touch:  # not in the Tab order: the keyboard keeps Find -> quantities
                for label, name in (("-1", "line-less"), ("+1", "line-more"), ("✕", "line-remove")):
                    yield TouchButton(label, classes=f"line-touch {name}")
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
    KEEPS_LETTER_KEYS: ClassVar[bool] = True
    AUTO_FOCUS = "#picker-input"
    BINDINGS = [
        Binding("ctrl+s", "confirm", "Confirm", id="movement.confirm"),
        Binding("ctrl+f", "find", "Find item", id="movement.find"),
        Binding("ctrl+r", "remove_line", "Remove line", id="movement.remove_line"),
        Binding("ctrl+n", "focus_note", "Note", show=False, id="movement.note"),
    ]

    def __init__(
        self,
        keys: Iterable[RowKey] | None = None,
        *,
        offer: Iterable[RowKey] | None = None,
        focus_quantity: bool = False,
        quantities: Mapping[RowKey, int] | None = None,
    ) -> None:
        """``keys``: lines to start with (quantity 1, or theirs in ``quantities``); ``offer``:
        rows listed under the empty Find field (Enter picks one); the focus starts in Find, or in
        the first quantity with ``focus_quantity``."""
        super().__init__()
        self._initial_keys = list(keys or [])
        self._initial_quantities = dict(quantities or {})
        self._offer = list(offer or [])
        self._focus_quantity = focus_quantity
        self._lines: dict[RowKey, MovementLine] = {}
        self._saving = False
        self._last_reason = Reason.RESTOCK
        self._choices: dict[str | None, object] = {
            "reason": Reason.RESTOCK,
            "from": PlaceKind.STORE,
            "to": PlaceKind.BIN,
        }
        """The value of each menu as last chosen (as composed to begin with)."""
        self._held: dict[PlaceKind, dict[RowKey, int] | None] = {}
        """Balances at places other than the shop, read for a move out of one (None: unreadable)."""
        store = self.service.store
        self._other_stores = [
            (place.uuid, store_choice(place))
            for place in self.service.stores
            if store is None or place.uuid != store.uuid
        ]
        """The stores a transfer can go to (UUID, words); none with one store."""
        if self._other_stores:
            self._choices["to-store"] = self._other_stores[0][0]
        self._destinations: dict[str, dict[RowKey, int] | None] = {}
        """Balances at the stores transfers go to, by UUID (None: unreadable)."""

    # ----------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield Static(Text("New movement", style="bold"), id="movement-title")
        with Horizontal(id="reason-row"):
            yield Static("Reason", classes="field-label")
            yield Select(
                [
                    (words, reason)
                    for words, reason in REASON_CHOICES
                    if reason is not Reason.TRANSFER or self._other_stores
                ],
                value=Reason.RESTOCK,
                allow_blank=False,
                compact=True,
                id="reason",
            )
            yield Static("From", classes="field-label move-only")
            yield Select(
                LOCATION_CHOICES,
                value=PlaceKind.STORE,
                allow_blank=False,
                compact=True,
                id="from",
                classes="move-only",
            )
            yield Static("To", classes="field-label move-only")
            yield Select(
                LOCATION_CHOICES,
                value=PlaceKind.BIN,
                allow_blank=False,
                compact=True,
                id="to",
                classes="move-only",
            )
            if self._other_stores:
                yield Static("To", classes="field-label transfer-only")
                yield Select(
                    [(words, uuid) for uuid, words in self._other_stores],
                    value=self._other_stores[0][0],
                    allow_blank=False,
                    compact=True,
                    id="to-store",
                    classes="transfer-only",
                )
        yield Static(id="reason-hint")
        with Horizontal(id="find-row"):
            yield Static("Find", classes="field-label")
            yield VariantPicker(self.service.rows, id="picker")
        with Horizontal(id="lines-header"):
            yield Static("Item", classes="line-label")
            yield Static("Qty", classes="line-qty", id="qty-header")
            yield Static("Now -> after", classes="line-preview")
        yield VerticalScroll(id="lines", can_focus=False)  # Tab goes from Find to the quantities
        with Horizontal(id="note-row"):
            yield Static("Note", classes="field-label")
            yield FreeTextInput(
                placeholder="optional, kept in the history", id="note", compact=True
            )
        with Horizontal(id="confirm-row"):
            yield Static(id="summary")
            browser = self.zinv_app.browser
            confirm_key = shown_key(self.app, "movement.confirm", "ctrl+s", browser=browser)
            yield Button(f"Confirm {confirm_key}", variant="primary", id="confirm", compact=True)
            yield Button("Cancel", id="cancel", compact=True)
        yield KeyBar()

    async def on_mount(self) -> None:
        self._show_reason()
        rows = self.service.rows
        for key in self._initial_keys:
            if key in rows:
                await self._add_line(key, str(self._initial_quantities.get(key, 1)))
        picker = self.query_one(VariantPicker)
        picker.offer(key for key in self._offer if key in rows)
        if self._lines and self._focus_quantity:
            next(iter(self._lines.values())).quantity_input.focus()
        else:
            picker.focus_input()
        self.update_previews()
        self.follow_rows(self._rows_changed)

    def _rows_changed(self, diff: RowDiff | None) -> None:
        """Balances moved: new previews. Variants came or went: search them too."""
        if diff is None or diff.reshaped:
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
        self.set_class(reason is Reason.TRANSFER, "-transfer")
        hint = REASON_HINTS[reason]
        if reason is Reason.MOVE:
            hint = f"{hint}: {self._move_from().value} -> {self._move_to().value}"
        to_store = self._to_store()
        if reason is Reason.TRANSFER and to_store is not None and self.service.store is not None:
            here = self.service.store_name(self.service.store.uuid)
            hint = f"{hint}: {here} -> {self.service.store_name(to_store)}"
        self.query_one("#reason-hint", Static).update(Text(hint, style="italic"))
        self.query_one("#qty-header", Static).update(
            "Count" if reason is Reason.SET_COUNT else "Qty"
        )

    def _move_from(self) -> PlaceKind:
        value = self.query_one("#from", Select).value
        return value if isinstance(value, PlaceKind) else PlaceKind.STORE

    def _to_store(self) -> str | None:
        """The store a transfer goes to (None: the shop has one store)."""
        if not self._other_stores:
            return None
        value = self.query_one("#to-store", Select).value
        return value if isinstance(value, str) else None

    def _move_to(self) -> PlaceKind:
        value = self.query_one("#to", Select).value
        return value if isinstance(value, PlaceKind) else PlaceKind.BIN

    @on(Select.Changed)
    def _reason_or_location_changed(self, event: Select.Changed) -> None:
        if self._choices.get(event.select.id) == event.value:
            return  # the first value, announced as the menu mounts: nothing was chosen
        self._choices[event.select.id] = event.value
        reason = self.reason
        if (reason is Reason.SET_COUNT) != (self._last_reason is Reason.SET_COUNT):
            # A quantity is not a count (nor a count a quantity): start those fields empty.
            for line in self._lines.values():
                line.quantity_input.value = ""
        self._last_reason = reason
        self._show_reason()
        self._read_source_place()
        self._read_destination()
        self.update_previews()
        focused = self.focused
        if focused is not None and event.select in focused.ancestors_with_self:
            self.call_after_refresh(self._after_choice, event.select)

    def _after_choice(self, select: Select[Any]) -> None:
        """A menu was chosen from: on to the next thing to fill in (a move's From and To first)."""
        if select.id == "reason" and self.reason is Reason.MOVE:
            self.query_one("#from", Select).focus()
        elif select.id == "reason" and self.reason is Reason.TRANSFER:
            self.query_one("#to-store", Select).focus()
        elif select.id == "from":
            self.query_one("#to", Select).focus()
        else:
            self.query_one(VariantPicker).focus_input()

    # ---------------------------------------------------------------- lines

    async def _add_line(self, key: RowKey, quantity: str) -> MovementLine:
        row = self.service.rows[key]
        line = MovementLine(key, row.label, quantity, touch=self.zinv_app.browser)
        self._lines[key] = line
        await self.query_one("#lines", VerticalScroll).mount(line)
        self.update_previews()
        return line

    @on(VariantPicker.Picked)
    async def _picked(self, event: VariantPicker.Picked) -> None:
        await self.pick(event.key, scanned=event.scanned)

    async def pick(self, key: RowKey, scanned: bool) -> None:
        """Add ``key``. A scan adds one (to its line) and keeps Find ready for the next scan; an
        item picked by typing gets its line (a count starts empty) and the focus in its quantity."""
        line = self._lines.get(key)
        if scanned:
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
            line = await self._add_line(key, "" if self.reason is Reason.SET_COUNT else "1")
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
        if line is not None:
            await self.remove_line(line)

    @on(Button.Pressed, ".line-touch")
    async def _line_button(self, event: Button.Pressed) -> None:
        """A touch button of a line: one less, one more, or remove the line."""
        event.stop()
        line = next(node for node in event.button.ancestors if isinstance(node, MovementLine))
        if event.button.has_class("line-remove"):
            await self.remove_line(line)
            return
        try:
            current = read_quantity(line.quantity_text, allow_zero=True)
        except QuantityError:
            current = 0
        lowest = 0 if self.reason is Reason.SET_COUNT else 1
        step = 1 if event.button.has_class("line-more") else -1
        line.quantity_input.value = str(max(lowest, current + step))

    async def remove_line(self, line: MovementLine) -> None:
        """Take ``line`` out of the movement; the focus goes to the last line left, else Find."""
        if self._lines.get(line.key) is not line:
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

    async def on_key(self, event: events.Key) -> None:
        """A key no field took (a menu or button has the focus): a letter goes to Find, never to
        the app; an Enter right after such letters ends that code (a scan that arrived there).
        ``?`` (help) and ``q`` (quit, which asks) keep their meaning."""
        if isinstance(self.focused, Input):
            return
        field = self.query_one(VariantPicker).input
        if not isinstance(field, CodeInput):
            return
        if event.is_printable and event.character and event.key not in ("space", HELP_KEY, "q"):
            event.stop()
            event.prevent_default()
            field.type_key(event.character, event.time)
        elif event.key in CodeInput.END_KEYS and field.typed_just_before(event.time):
            field.focus()
            await field.end_key(event)

    def action_focus_note(self) -> None:
        self.query_one("#note", Input).focus()

    def _read_source_place(self) -> None:
        """A move out of a place other than the shop: read what it holds (once), for the preview."""
        source = self._move_from()
        if (
            self.reason is Reason.MOVE
            and source is not PlaceKind.STORE
            and source not in self._held
        ):
            self._read_place(source)

    @work(group="movement-place", exit_on_error=False)
    async def _read_place(self, place: PlaceKind) -> None:
        try:
            self._held[place] = await self.service.place_balances(place)
        except Exception:  # offline: the preview says it cannot tell, and no warning is made
            self._held[place] = None
        self.update_previews()

    def _read_destination(self) -> None:
        """A transfer: read what the store it goes to holds (once), for the preview."""
        to_store = self._to_store()
        if (
            self.reason is Reason.TRANSFER
            and to_store is not None
            and to_store not in self._destinations
        ):
            self._read_store(to_store)

    @work(group="movement-store", exit_on_error=False)
    async def _read_store(self, uuid: str) -> None:
        try:
            self._destinations[uuid] = await self.service.store_balances(uuid)
        except Exception:  # offline: the preview says it cannot tell
            self._destinations[uuid] = None
        self.update_previews()

    def _held_known(self) -> dict[PlaceKind, dict[RowKey, int]]:
        return {place: held for place, held in self._held.items() if held is not None}

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
        if reason is Reason.TRANSFER:
            return MovementIntent(
                reason, line.key, quantity=amount, to_store=self._to_store(), note=note
            )
        return MovementIntent(reason, line.key, quantity=amount, note=note)

    def build_intents(
        self, *, flag_blanks: bool = True
    ) -> tuple[list[MovementIntent], list[MovementLine]]:
        """The intents of the valid lines, and the lines whose quantity is not acceptable (a blank
        one is marked only with ``flag_blanks``: while typing, an empty field is not a mistake)."""
        note = self.query_one("#note", Input).value.strip()
        intents: list[MovementIntent] = []
        invalid: list[MovementLine] = []
        for line in self._lines.values():
            try:
                amount = self._read_line(line)
            except QuantityError as error:
                blank = not line.quantity_text.strip()
                line.show_error(None if blank and not flag_blanks else str(error))
                invalid.append(line)
                continue
            intents.append(self._intent(line, amount, note))
        return intents, invalid

    def plan(self, intents: Sequence[MovementIntent]) -> Sequence[PlannedMovement]:
        """The service's plan of ``intents``, with the source place's balances when known."""
        if not intents:
            return []
        to_store = self._to_store() if self.reason is Reason.TRANSFER else None
        destination = self._destinations.get(to_store) if to_store is not None else None
        return self.service.plan(intents, held=self._held_known() or None, destination=destination)

    def update_previews(self, *, flag_blanks: bool = False) -> None:
        """Recompute "now -> after" for every line, and the inline errors."""
        if not self.is_attached:
            return
        intents, invalid = self.build_intents(flag_blanks=flag_blanks)
        by_key = {plan.key: plan for plan in self.plan(intents)}
        rows = self.service.rows
        reading = (self.reason is Reason.MOVE and self._move_from() not in self._held) or (
            self.reason is Reason.TRANSFER and self._to_store() not in self._destinations
        )
        to_store = self._to_store()
        destination = self.service.store_name(to_store) if to_store is not None else ""
        total = 0
        for line in self._lines.values():
            row = rows.get(line.key)
            plan = by_key.get(line.key)
            if line in invalid or plan is None:
                now = row.shown_balance if row is not None else 0
                line.show_preview(Text(f"{now} -> ?", style="dim"))
                continue
            line.show_error(plan.error)
            line.show_preview(_preview(plan, row, reading=reading, destination=destination))
            if plan.error is None:
                total += plan.store_change
        blanks = sum(1 for line in invalid if not line.quantity_text.strip())
        self._show_summary(len(self._lines), len(invalid) - blanks, blanks, total)

    def _show_summary(self, count: int, invalid: int, blanks: int, total: int) -> None:
        summary = Text()
        if not count:
            summary.append("No items yet: type a name or SKU, or scan", style="dim")
        else:
            summary.append(plural(count, "line"))
            summary.append(f", shop stock {total:+d}")
            if blanks:
                word, many = (
                    ("count", None)
                    if self.reason is Reason.SET_COUNT
                    else ("quantity", "quantities")
                )
                summary.append(f", {plural(blanks, word, many)} to type")
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
            self.update_previews(flag_blanks=True)
            invalid[0].quantity_input.focus()
            self.notify("Fix the quantities marked in red first", severity="warning")
            return
        plans = self.plan(intents)
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
        recorded = f"{title.rstrip('.')}: {plural(len(entries), 'movement')} recorded"
        self.zinv_app.sending_toasts.show(recorded, entries)
        if self.is_current:  # else a dialog (e.g. quit) is on top: Esc leaves without asking
            self.dismiss()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_back()

    @property
    def draft_size(self) -> int:
        """Lines that leaving now would drop (0 once the movement is being recorded)."""
        return 0 if self._saving else len(self._lines)

    def action_back(self) -> None:
        """Esc: back where the movement was started; asks first when lines would be lost."""
        self.leave()

    def leave(self, then: Callable[[], object] | None = None) -> None:
        """Close (asking first when lines would be dropped), then run ``then``."""

        def close() -> None:
            if self.is_current:
                self.dismiss()
            if then is not None:
                then()

        count = self.draft_size
        if not count:
            close()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                close()

        self.app.push_screen(
            ConfirmDialog(  # "Drop", not "Discard": that is a reason for a movement
                "Drop this movement?",
                f"{plural(count, 'line')} will be dropped; nothing is sent.",
                "Drop it",
            ),
            answered,
        )


def _preview(
    plan: PlannedMovement, row: StockRow | None, *, reading: bool = False, destination: str = ""
) -> Text:
    """``now -> after`` in the shop (``⧗now`` when it counts movements still being sent); for a
    move out of another place, that place's too (``BIN 2 -> -8``; ``reading``: its balances are
    still being read); for a transfer, the store it goes to (``Back room 0 -> 2``)."""
    text = Text()
    pending = row is not None and bool(row.pending)
    if plan.reason is not Reason.MOVE or plan.store_change != 0 or plan.error is not None:
        text.append(f"{with_pending(plan.balance_before, pending)} -> ")
        text.append(str(plan.balance_after), style=_after_style(plan.balance_after))
    source = plan.from_type
    if plan.reason is Reason.MOVE and source is not None and source is not PlaceKind.STORE:
        if text:
            text.append("  ")
        text.append(f"{source.value} ", style="dim")
        if plan.source_before is not None and plan.source_after is not None:
            text.append(f"{plan.source_before} -> ")
            below = plan.source_after < 0 and plan.warning is not None  # not SUPPLIER's usual
            text.append(str(plan.source_after), style="bold red" if below else "bold")
        else:
            text.append("…" if reading else "?", style="dim")
    if plan.reason is Reason.TRANSFER and plan.error is None:
        text.append(f"  {destination[:12]} ", style="dim")
        if plan.target_before is not None and plan.target_after is not None:
            text.append(f"{plan.target_before} -> ")
            text.append(str(plan.target_after), style=_after_style(plan.target_after))
        else:
            text.append("…" if reading else "?", style="dim")
    if plan.warning:
        text.append(" !", style="bold red")
    return text


def _after_style(after: int) -> str:
    return "bold red" if after < 0 else "bold"
