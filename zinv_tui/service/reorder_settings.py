"""Per-variant reorder settings and suppliers, kept in ``reorder.sqlite``.

A variant may name its supplier, the supplier's code for it, a pack size (units per case), and
override the lead time, cover and safety days or pin a minimum (reorder point) and maximum
(target). A supplier may carry its own lead time and cover. Resolution, most specific first:
variant -> supplier -> the list's defaults (:class:`~zinv_tui.service.reorder.ReorderParams`).
"""

from __future__ import annotations

import dataclasses
import math
import sqlite3
import time
from dataclasses import dataclass, fields
from typing import Any

from zinv_tui.service.reorder import (
    MAX_DAYS_SETTING,
    MAX_PACK_SIZE,
    ReorderParams,
    VariantPlan,
)
from zinv_tui.service.rows import RowKey
from zinv_tui.service.state_db import Transaction

MAX_LEVEL = 1_000_000
MAX_NAME = 80


class SettingsError(ValueError):
    """A setting out of range; the message says what is allowed."""


@dataclass(frozen=True, slots=True)
class VariantSettings:
    """What is set for one variant (None: not set, the supplier's or the default applies)."""

    supplier: str | None = None
    supplier_code: str | None = None
    pack_size: int | None = None
    lead_time_days: float | None = None
    cover_days: float | None = None
    safety_days: float | None = None
    min_level: int | None = None
    max_level: int | None = None


@dataclass(frozen=True, slots=True)
class Supplier:
    """A supplier: its name and, optionally, its own lead time and cover."""

    name: str
    lead_time_days: float | None = None
    cover_days: float | None = None
    contact: str = ""
    note: str = ""


_FIELDS = tuple(field.name for field in fields(VariantSettings))
_UNSET = object()


def _days(value: object, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SettingsError(f"The {what} must be a number of days")
    if not 0 <= value <= MAX_DAYS_SETTING:
        raise SettingsError(f"The {what} must be 0-{MAX_DAYS_SETTING:g} days")
    return float(value)


def _whole(value: object, what: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(f"The {what} must be a whole number")
    if not low <= value <= high:
        raise SettingsError(f"The {what} must be {low:,}-{high:,}")
    return value


def _name(value: object, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SettingsError(f"The {what} must be text")
    text = " ".join(value.split())
    if len(text) > MAX_NAME:
        raise SettingsError(f"The {what} is longer than {MAX_NAME} characters")
    return text or None


def check_settings(settings: VariantSettings) -> VariantSettings:
    """The settings cleaned up, or :class:`SettingsError` naming the first bad value."""
    cleaned = VariantSettings(
        supplier=_name(settings.supplier, "supplier"),
        supplier_code=_name(settings.supplier_code, "supplier code"),
        pack_size=_whole(settings.pack_size, "pack size", 1, MAX_PACK_SIZE),
        lead_time_days=_days(settings.lead_time_days, "lead time"),
        cover_days=_days(settings.cover_days, "cover"),
        safety_days=_days(settings.safety_days, "safety stock"),
        min_level=_whole(settings.min_level, "minimum", 0, MAX_LEVEL),
        max_level=_whole(settings.max_level, "maximum", 0, MAX_LEVEL),
    )
    if (
        cleaned.min_level is not None
        and cleaned.max_level is not None
        and cleaned.max_level < cleaned.min_level
    ):
        raise SettingsError("The maximum must be at least the minimum")
    return cleaned


class ReorderSettings:
    """Variant settings and suppliers of one profile."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    # -- variants --------------------------------------------------------------------------------

    def get(self, variant_uuid: str) -> VariantSettings:
        """What is set for a variant (all None when nothing is)."""
        row = self._db.execute(
            f"SELECT {', '.join(_FIELDS)} FROM variant_settings WHERE variant_uuid = ?",
            (variant_uuid,),
        ).fetchone()
        return VariantSettings(*row) if row else VariantSettings()

    def all(self) -> dict[str, VariantSettings]:
        """Every variant that has a setting."""
        return {
            row[0]: VariantSettings(*row[1:])
            for row in self._db.execute(
                f"SELECT variant_uuid, {', '.join(_FIELDS)} FROM variant_settings"
            )
        }

    def update(self, key: RowKey, **changes: Any) -> VariantSettings:
        """Change some settings of a variant (``None`` clears one); returns them all."""
        unknown = set(changes) - set(_FIELDS)
        if unknown:
            raise SettingsError(f"Unknown setting: {', '.join(sorted(unknown))}")
        merged = check_settings(dataclasses.replace(self.get(key[1]), **changes))
        values = [getattr(merged, name) for name in _FIELDS]
        with Transaction(self._db):
            if all(value is None for value in values):
                self._db.execute("DELETE FROM variant_settings WHERE variant_uuid = ?", (key[1],))
            else:
                self._db.execute(
                    f"INSERT INTO variant_settings (variant_uuid, product_uuid, "
                    f"{', '.join(_FIELDS)}, updated) VALUES (?, ?, "
                    f"{', '.join('?' * len(_FIELDS))}, ?) ON CONFLICT (variant_uuid) DO UPDATE "
                    f"SET {', '.join(f'{name} = excluded.{name}' for name in _FIELDS)}, "
                    f"updated = excluded.updated",
                    (key[1], key[0], *values, time.time()),
                )
            if merged.supplier:
                self._db.execute(
                    "INSERT OR IGNORE INTO suppliers (name) VALUES (?)", (merged.supplier,)
                )
        return merged

    # -- suppliers -------------------------------------------------------------------------------

    def suppliers(self) -> list[Supplier]:
        """Every supplier, by name."""
        return [
            Supplier(*row)
            for row in self._db.execute(
                "SELECT name, lead_time_days, cover_days, contact, note FROM suppliers "
                "ORDER BY name COLLATE NOCASE"
            )
        ]

    def supplier(self, name: str) -> Supplier | None:
        row = self._db.execute(
            "SELECT name, lead_time_days, cover_days, contact, note FROM suppliers WHERE name = ?",
            (name,),
        ).fetchone()
        return Supplier(*row) if row else None

    def set_supplier(
        self,
        name: str,
        *,
        lead_time_days: object = _UNSET,
        cover_days: object = _UNSET,
        contact: object = _UNSET,
        note: object = _UNSET,
    ) -> Supplier:
        """Create or change a supplier."""
        clean = _name(name, "supplier")
        if not clean:
            raise SettingsError("A supplier needs a name")
        current = self.supplier(clean) or Supplier(clean)
        updated = Supplier(
            current.name,
            current.lead_time_days
            if lead_time_days is _UNSET
            else _days(lead_time_days, "lead time"),
            current.cover_days if cover_days is _UNSET else _days(cover_days, "cover"),
            current.contact if contact is _UNSET else (_name(contact, "contact") or ""),
            current.note if note is _UNSET else str(note or "")[:500],
        )
        self._db.execute(
            "INSERT INTO suppliers VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
            "lead_time_days = excluded.lead_time_days, cover_days = excluded.cover_days, "
            "contact = excluded.contact, note = excluded.note",
            (
                updated.name,
                updated.lead_time_days,
                updated.cover_days,
                updated.contact,
                updated.note,
            ),
        )
        return updated

    # -- resolving -------------------------------------------------------------------------------

    def plans(self, params: ReorderParams) -> tuple[dict[str, VariantPlan], VariantPlan]:
        """``(plans of variants with settings, the plan of every other variant)``."""
        default = VariantPlan(
            lead_time_days=params.lead_time_days,
            cover_days=params.cover_days,
            safety_days=params.safety_days,
        )
        suppliers = {supplier.name.casefold(): supplier for supplier in self.suppliers()}
        plans: dict[str, VariantPlan] = {}
        for variant, settings in self.all().items():
            supplier = suppliers.get((settings.supplier or "").casefold())
            plans[variant] = resolve(settings, supplier, default)
        return plans, default


def resolve(
    settings: VariantSettings, supplier: Supplier | None, default: VariantPlan
) -> VariantPlan:
    """Variant setting, else supplier setting, else the default."""

    def pick(own: float | None, theirs: float | None, fallback: float) -> float:
        return own if own is not None else theirs if theirs is not None else fallback

    return VariantPlan(
        lead_time_days=pick(
            settings.lead_time_days,
            supplier.lead_time_days if supplier else None,
            default.lead_time_days,
        ),
        cover_days=pick(
            settings.cover_days, supplier.cover_days if supplier else None, default.cover_days
        ),
        safety_days=pick(settings.safety_days, None, default.safety_days),
        pack_size=settings.pack_size or 1,
        min_level=settings.min_level,
        max_level=settings.max_level,
        supplier=supplier.name if supplier else (settings.supplier or ""),
    )
