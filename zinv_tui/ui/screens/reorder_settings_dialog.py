"""The reorder settings of one variant: supplier, supplier code, pack size, lead time, cover and
pinned min/max, checked before they are saved (a blank field means "not set": the supplier's
value or the list's default applies, shown as the field's placeholder)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Static

from zinv_tui.service import SettingsError, VariantSettings
from zinv_tui.service.reorder import VariantPlan
from zinv_tui.service.reorder_settings import check_settings
from zinv_tui.ui.screens.service_screen import steady_cursors
from zinv_tui.ui.widgets.text_input import TextInput

FIELDS: tuple[tuple[str, str, str], ...] = (
    ("supplier", "Supplier", "text"),
    ("supplier_code", "Their code", "text"),
    ("pack_size", "Pack size", "whole"),
    ("lead_time_days", "Lead time", "days"),
    ("cover_days", "Cover", "days"),
    ("min_level", "Min (ROP)", "whole"),
    ("max_level", "Max", "whole"),
)
"""(setting, label, kind) of each field, in the order shown."""
_NAMED = (
    ("supplier code", "supplier_code"),
    ("supplier", "supplier"),
    ("pack size", "pack_size"),
    ("lead time", "lead_time_days"),
    ("cover", "cover_days"),
    ("maximum", "max_level"),
    ("minimum", "min_level"),
)
"""Words of the service's :class:`SettingsError` messages -> the field they are about."""


class FieldError(ValueError):
    """A field's text is not a value of its kind; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def read_field(field: str, kind: str, text: str) -> str | int | float | None:
    """The value typed in one field (``None`` when blank)."""
    cleaned = text.strip()
    if not cleaned:
        return None
    if kind == "text":
        return cleaned
    if kind == "whole":
        if not cleaned.isdigit():
            raise FieldError(field, "Enter a whole number (or leave it blank)")
        return int(cleaned)
    try:
        value = float(cleaned.removesuffix("d").strip())
    except ValueError:
        raise FieldError(field, "Enter a number of days, e.g. 7 or 2.5") from None
    if not math.isfinite(value):
        raise FieldError(field, "Enter a number of days, e.g. 7 or 2.5")
    return value


def field_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def placeholders(plan: VariantPlan) -> dict[str, str]:
    """What applies when a field is blank (the supplier's or the list's value)."""
    return {
        "supplier": "none",
        "supplier_code": "none",
        "pack_size": "1",
        "lead_time_days": f"{plan.lead_time_days:g} days",
        "cover_days": f"{plan.cover_days:g} days",
        "min_level": "from sales",
        "max_level": "from sales",
    }


class VariantSettingsDialog(ModalScreen[VariantSettings | None]):
    """Edit one variant's reorder settings; Enter in any field or Save checks and saves."""

    CSS_PATH = [Path(__file__).parent / "dialogs.tcss", Path(__file__).with_name("reorder.tcss")]
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        subject: str,
        current: VariantSettings,
        defaults: VariantPlan,
        suppliers: Sequence[str] = (),
    ) -> None:
        super().__init__(classes="zinv-dialog-screen")
        self._subject = subject
        self._current = current
        self._defaults = defaults
        self._suppliers = list(suppliers)

    def compose(self) -> ComposeResult:
        hints = placeholders(self._defaults)
        with Vertical(classes="dialog", id="settings-dialog"):
            yield Static(Text("Reorder settings", style="bold"), classes="dialog-title")
            yield Static(Text(self._subject), classes="dialog-body")
            current = dataclasses.asdict(self._current)  # the fields by name, typed data
            for name, label, _kind in FIELDS:
                with Horizontal(classes="settings-row"):
                    yield Static(label, classes="settings-label")
                    suggester = (
                        SuggestFromList(self._suppliers, case_sensitive=False)
                        if name == "supplier" and self._suppliers
                        else None
                    )
                    yield TextInput(
                        field_text(current[name]),
                        placeholder=hints[name],
                        id=f"setting-{name}",
                        compact=True,
                        suggester=suggester,
                    )
            yield Static(
                Text("Blank: the supplier's or the default value. Days may be 2.5.", style="dim"),
                classes="settings-hint",
            )
            yield Static("", id="settings-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        steady_cursors(self)
        self.query_one("#setting-supplier", Input).focus()

    @on(Input.Changed)
    def _clear_error(self) -> None:
        self.query_one("#settings-error", Static).update("")

    def chosen(self) -> VariantSettings:
        """The settings typed, checked (raises :class:`FieldError` naming the field)."""
        values: dict[str, object] = {}
        for name, _label, kind in FIELDS:
            values[name] = read_field(name, kind, self.query_one(f"#setting-{name}", Input).value)
        typed = VariantSettings(safety_days=self._current.safety_days, **values)  # type: ignore[arg-type]
        try:
            return check_settings(typed)
        except SettingsError as error:
            text = str(error).lower()
            field = next((name for word, name in _NAMED if word in text), "supplier")
            raise FieldError(field, str(error)) from None

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        try:
            settings = self.chosen()
        except FieldError as error:
            self.query_one("#settings-error", Static).update(Text(str(error)))
            self.query_one(f"#setting-{error.field}", Input).focus()
            return
        self.dismiss(settings)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
