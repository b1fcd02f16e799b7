"""Find a variant by typing its name or SKU, or by scanning its barcode (a field with a list).

A USB barcode scanner is a keyboard: it types the code then Enter, very fast. So Enter on a code
that is exactly a barcode or SKU picks that variant at once; else Enter picks the highlighted match.
Typed words find variants by the service's one rule of text matching (every word in the product,
variant, SKU or barcode, ignoring case: :mod:`zinv_tui.service.row_text`), as the balances' filter.
Whether a code was scanned or typed by hand is told by its speed (:data:`SCAN_KEY_GAP`): the screen
keeps the field ready for the next scan after a scan, and moves on to the quantity after typing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from zinv_tui.service import RowKey, StockRow, search_terms, search_text, text_matches
from zinv_tui.ui.widgets.text_input import HELP_KEY, TextInput

SCAN_KEY_GAP = 0.04
"""Longest pause (seconds) between the keys of a scan, Enter included. A scanner types a code at a
few milliseconds a key (over SSH often in a single read); a person, even a fast typist, takes
well over 40 ms for most keys of a code, so a whole code that fast was scanned."""


def clean_code(text: str) -> str:
    """What a scanner or a person typed, without control characters or surrounding spaces."""
    return "".join(ch for ch in text if ch.isprintable()).strip()


@dataclass(slots=True)
class VariantIndex:
    """Search structures over the stock rows: exact codes, and each row's search text (the
    service's, as the balances' filter matches it) in label order."""

    by_barcode: dict[str, RowKey]
    by_sku: dict[str, RowKey]
    haystacks: list[str]  # search_text(row), in label order
    labels: list[str]  # case-folded labels, same order
    codes: list[str]  # case-folded "sku barcode", same order
    keys: list[RowKey]  # same order

    @classmethod
    def build(cls, rows: Mapping[RowKey, StockRow]) -> VariantIndex:
        by_barcode: dict[str, RowKey] = {}
        by_sku: dict[str, RowKey] = {}
        entries: list[tuple[str, str, RowKey, str]] = []
        for key, row in rows.items():
            barcode = (row.barcode or "").strip()
            sku = (row.sku or "").strip()
            if barcode:
                by_barcode.setdefault(barcode, key)
            if sku:
                by_sku.setdefault(sku.casefold(), key)
            entries.append(
                (row.label.casefold(), f"{sku} {barcode}".casefold(), key, search_text(row))
            )
        entries.sort()
        return cls(
            by_barcode,
            by_sku,
            [text for _label, _codes, _key, text in entries],
            [label for label, _codes, _key, _text in entries],
            [codes for _label, codes, _key, _text in entries],
            [key for _label, _codes, key, _text in entries],
        )

    def __len__(self) -> int:
        return len(self.keys)

    def exact(self, code: str) -> RowKey | None:
        """The variant whose barcode or SKU is exactly ``code`` (SKU ignoring case)."""
        code = clean_code(code)
        if not code:
            return None
        key = self.by_barcode.get(code) or self.by_sku.get(code.casefold())
        if key is None and len(code) % 2 == 0:
            half = code[: len(code) // 2]
            if half * 2 == code:  # a scan that arrived twice before its Enter
                key = self.by_barcode.get(half) or self.by_sku.get(half.casefold())
        return key

    def split_trailing_barcode(self, text: str) -> tuple[str, RowKey] | None:
        """``("12", key)`` when ``text`` is what was typed (maybe nothing) followed by a known
        barcode of 8 or more digits, as when a scanner types into a quantity field."""
        text = clean_code(text)
        for start in range(len(text) - 7):
            code = text[start:]
            if code.isdigit() and code in self.by_barcode:
                return text[:start], self.by_barcode[code]
        return None

    def search(self, text: str, limit: int = 30) -> list[RowKey]:
        """Variants whose product, variant, SKU or barcode contain every word of ``text``
        (:func:`~zinv_tui.service.row_matches`); an exact code first, then those starting with
        the first word, then the rest."""
        words = search_terms(text)
        if not words:
            return []
        exact = self.exact(text)
        longest = max(words, key=len)
        others = tuple(word for word in words if word is not longest)
        hays = self.haystacks
        # One substring test per row for the most selective word, then the rest on the few left.
        hits = [index for index, hay in enumerate(hays) if longest in hay]
        if others:
            hits = [index for index in hits if text_matches(others, hays[index])]
        first = words[0]
        starts: list[RowKey] = []
        contains: list[RowKey] = []
        for index in hits:
            key = self.keys[index]
            if key == exact:
                continue
            if self.labels[index].startswith(first) or self.codes[index].startswith(first):
                starts.append(key)
                if len(starts) >= limit:
                    break
            elif len(contains) < limit:
                contains.append(key)
        found = ([exact] if exact else []) + starts + contains
        return found[:limit]


class CodeInput(TextInput):
    """The search field: Enter (or a scanner's LF or Tab) after an exact code takes it at once.

    A scanner's burst can arrive in one read ("code1<CR>code2<CR>" over SSH). A key binding would
    run after the whole burst was typed in and the codes would run together, so the end of a code
    is handled as its key arrives: the field is emptied and :class:`CodeInput.Code` posted, saying
    whether the code came as a scanner's burst (every key within :data:`SCAN_KEY_GAP`).
    Enter after text that is not an exact code submits as usual (picking the highlighted match).
    """

    END_KEYS = frozenset({"enter", "ctrl+j", "tab"})

    class Code(Message):
        """An exact barcode or SKU was entered; ``scanned``: it came as a scanner's burst."""

        def __init__(self, field: CodeInput, code: str, scanned: bool) -> None:
            super().__init__()
            self.field = field
            self.code = code
            self.scanned = scanned

        @property
        def control(self) -> CodeInput:
            return self.field

    def __init__(self, is_code: Callable[[str], bool], **options: Any) -> None:
        super().__init__(**options)
        self._is_code = is_code
        self._fast_keys = 0
        """Characters typed in the current run of fast keys (each within SCAN_KEY_GAP)."""
        self._last_key_time = float("-inf")
        self._select_on_focus_later: bool | None = None

    def _note_key(self, when: float) -> None:
        """A character arrives at ``when`` (before it is inserted)."""
        fast = bool(self.value) and when - self._last_key_time <= SCAN_KEY_GAP
        self._fast_keys = self._fast_keys + 1 if fast else 1
        self._last_key_time = when

    def _burst_ends(self, when: float) -> bool:
        """True when all of the field's text, and its end key at ``when``, came as a burst."""
        text = self.value
        return (
            bool(text)
            and self._fast_keys >= len(text)
            and when - self._last_key_time <= SCAN_KEY_GAP
        )

    def type_key(self, character: str, when: float) -> None:
        """Append ``character`` typed at ``when`` elsewhere on the screen, and take the focus
        (without selecting the text, so the next key is added to it)."""
        self._note_key(when)
        self.value += character
        self.cursor_position = len(self.value)
        if not self.has_focus:
            if self._select_on_focus_later is None:
                self._select_on_focus_later = self.select_on_focus
            self.select_on_focus = False
            self.focus()

    def on_focus(self) -> None:
        # Runs before Input's own focus handler; select-on-focus comes back right after it.
        if self._select_on_focus_later is not None:
            self.call_next(setattr, self, "select_on_focus", self._select_on_focus_later)
            self._select_on_focus_later = None

    def typed_just_before(self, when: float) -> bool:
        """True when a character was typed in here within :data:`SCAN_KEY_GAP` of ``when``."""
        return bool(self.value) and when - self._last_key_time <= SCAN_KEY_GAP

    async def end_key(self, event: events.Key) -> bool:
        """Handle an end key (Enter, LF, Tab); False when it was not the end of anything."""
        text = self.value
        if self._is_code(text):
            event.stop()
            event.prevent_default()
            scanned = self._burst_ends(event.time)
            self.value = ""
            self.post_message(self.Code(self, clean_code(text), scanned))
            return True
        if event.key in ("ctrl+j", "enter"):  # Enter, or a scanner's LF after something unknown
            event.stop()
            event.prevent_default()
            await self.action_submit()
            return True
        return False

    async def on_key(self, event: events.Key) -> None:
        """Before the field's own handlers (``TextInput``'s, then ``Input``'s, which insert the
        character): an end key ends the code, a character's time is noted."""
        if event.key in self.END_KEYS and await self.end_key(event):
            return
        if event.is_printable and event.key != HELP_KEY:
            self._note_key(event.time)


class VariantPicker(Vertical):
    """A search field with a list of matches below it. Posts :class:`VariantPicker.Picked`."""

    DEFAULT_CSS = """
    VariantPicker {
        height: auto;
    }
    VariantPicker > OptionList {
        height: auto;
        max-height: 7;
        display: none;
    }
    VariantPicker.-open > OptionList {
        display: block;
    }
    VariantPicker > .picker-error {
        height: auto;
        color: $error;
        display: none;
    }
    VariantPicker.-error > .picker-error {
        display: block;
    }
    """

    class Picked(Message):
        """A variant was chosen: ``scanned`` is True when its code came as a scanner's burst."""

        def __init__(self, picker: VariantPicker, key: RowKey, scanned: bool) -> None:
            super().__init__()
            self.picker = picker
            self.key = key
            self.scanned = scanned

        @property
        def control(self) -> VariantPicker:
            return self.picker

    def __init__(
        self,
        rows: Mapping[RowKey, StockRow],
        placeholder: str = "Type a name or SKU, or scan a barcode",
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._rows = rows
        self._index = VariantIndex.build(rows)
        self._matches: list[RowKey] = []
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        yield CodeInput(
            lambda text: self._index.exact(text) is not None,
            placeholder=self._placeholder,
            id="picker-input",
            compact=True,
        )
        yield OptionList(id="picker-options", compact=True)
        yield Static("", classes="picker-error")

    @property
    def input(self) -> Input:
        return self.query_one("#picker-input", Input)

    @property
    def index(self) -> VariantIndex:
        """The search structures over the rows."""
        return self._index

    @property
    def matches(self) -> list[RowKey]:
        """The variants listed under the field right now."""
        return list(self._matches)

    def rebuild(self, rows: Mapping[RowKey, StockRow]) -> None:
        """Index a new set of rows (after the catalogue changed)."""
        self._rows = rows
        self._index = VariantIndex.build(rows)

    def focus_input(self) -> None:
        self.input.focus()

    def show_error(self, message: str) -> None:
        self.query_one(".picker-error", Static).update(Text(message))
        self.set_class(bool(message), "-error")

    def _show(self, keys: Iterable[RowKey]) -> None:
        options = self.query_one("#picker-options", OptionList)
        self._matches = [key for key in keys if key in self._rows]
        options.clear_options()
        prompts: list[Option] = []
        for key in self._matches:
            row = self._rows[key]
            prompt = Text(row.label, overflow="ellipsis", no_wrap=True)
            details = " ".join(part for part in (row.sku, row.barcode) if part)
            if details:
                prompt.append(f"  {details}", style="dim")
            prompts.append(Option(prompt))
        options.add_options(prompts)
        if self._matches:
            options.highlighted = 0
        self.set_class(bool(self._matches), "-open")

    def close(self) -> None:
        """Hide the list of matches."""
        self._show([])

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    @on(Input.Changed, "#picker-input")
    def _on_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.show_error("")
        self._show(self._index.search(event.value))

    def offer(self, keys: Iterable[RowKey]) -> None:
        """List ``keys`` under the empty field: Enter picks the highlighted one, typing searches."""
        self._show(keys)

    @on(Input.Submitted, "#picker-input")
    def _on_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        code = clean_code(event.value)
        key = self._index.exact(code) if code else None
        if key is not None:
            self._pick(key, scanned=False)
            return
        highlighted = self.query_one("#picker-options", OptionList).highlighted
        if self._matches and highlighted is not None:
            self._pick(self._matches[highlighted], scanned=False)
            return
        if not code:
            return
        self.app.bell()
        self.show_error(f"Nothing matches {code!r}: check the code, or type part of the name")

    @on(CodeInput.Code, "#picker-input")
    def _on_code(self, event: CodeInput.Code) -> None:
        event.stop()
        key = self._index.exact(event.code)
        if key is not None:
            self.show_error("")
            self.close()
            self.post_message(self.Picked(self, key, scanned=event.scanned))

    @on(OptionList.OptionSelected, "#picker-options")
    def _on_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self._matches):
            self._pick(self._matches[event.option_index], scanned=False)

    def _pick(self, key: RowKey, scanned: bool) -> None:
        self.input.value = ""
        self.close()
        self.post_message(self.Picked(self, key, scanned))

    def on_key(self, event: events.Key) -> None:
        """Up/down move through the matches while typing; Esc closes the list first."""
        if not self.input.has_focus:
            return
        options = self.query_one("#picker-options", OptionList)
        if event.key in ("down", "up") and self._matches:
            event.stop()
            event.prevent_default()
            if event.key == "down":
                options.action_cursor_down()
            else:
                options.action_cursor_up()
        elif event.key == "escape" and (self.is_open or self.input.value):
            event.stop()
            event.prevent_default()
            self.input.value = ""
            self.close()
            self.show_error("")
