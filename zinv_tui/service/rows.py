"""Stock rows of the inventory view and the diffs the view emits when they change.

A row is one tracked variant in the STORE location, keyed by ``(product_uuid, variant_uuid)`` as
plain lower-case strings. Rows are immutable: the view replaces a row when anything about it
changes, so a subscriber may keep the old row and compare.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from zinv_tui.service.row_text import variant_label
from zinv_tui.service.stock_rules import StockState, stock_state

RowKey = tuple[str, str]
"""``(product_uuid, variant_uuid)``, both as lower-case UUID strings."""


class StockRow(msgspec.Struct, frozen=True, gc=False):
    """One tracked variant's STORE stock, joined with its catalogue names and low-stock settings.

    ``balance`` is what Zettle reported last; ``pending`` is the sum of this app's own movements
    that Zettle has not acknowledged yet. The screen shows :attr:`shown_balance` (balance +
    pending). ``known`` is False when the product is not in the catalogue (yet): the names are then
    the UUIDs. An immutable msgspec struct (no GC tracking): 50,000 of them stay small and quick.
    """

    product_uuid: str
    variant_uuid: str
    product_name: str
    variant_name: str
    sku: str
    barcode: str
    balance: int
    pending: int = 0
    low_stock_level: int | None = None
    low_stock_alert: bool = False
    tracked: bool = True
    known: bool = True

    def replace(self, **changes: object) -> StockRow:
        """A copy with some fields changed."""
        return msgspec.structs.replace(self, **changes)

    @property
    def key(self) -> RowKey:
        """The row's identity: ``(product_uuid, variant_uuid)``."""
        return (self.product_uuid, self.variant_uuid)

    @property
    def shown_balance(self) -> int:
        """The balance to show: Zettle's balance plus own movements not yet acknowledged."""
        return self.balance + self.pending

    @property
    def state(self) -> StockState:
        """OUT, LOW or OK (see :mod:`zinv_tui.service.stock_rules`)."""
        return stock_state(self.shown_balance, self.low_stock_level, self.tracked)

    @property
    def out_of_stock(self) -> bool:
        """Tracked and at or below 0, counting pending movements (level or not)."""
        return self.state is StockState.OUT

    @property
    def low_stock(self) -> bool:
        """Not out, and at or below the variant's low-stock level (False when no level is set)."""
        return self.state is StockState.LOW

    @property
    def needs_restock(self) -> bool:
        """Out or low."""
        return self.state is not StockState.OK

    @property
    def label(self) -> str:
        """``"Product / Variant"`` (just the product when the variant has no name of its own;
        :func:`~zinv_tui.service.row_text.variant_label`)."""
        return variant_label(self.product_name, self.variant_name)


@dataclass(frozen=True, slots=True)
class StockPreview:
    """The first screenful of a launch from the local snapshot, before its rows are read whole:
    the first rows by product (search text, then key; the pending overlay on) and how many rows
    there are. The service's rows follow once the preview is drawn."""

    rows: list[StockRow]
    total: int


@dataclass(frozen=True, slots=True)
class RowChange:
    """A row that exists before and after a change; ``old`` and ``new`` are the two versions."""

    old: StockRow
    new: StockRow

    @property
    def key(self) -> RowKey:
        return self.new.key

    @property
    def old_balance(self) -> int:
        return self.old.balance

    @property
    def new_balance(self) -> int:
        return self.new.balance

    @property
    def balance_changed(self) -> bool:
        """True when the shown balance moved (not just a name, pending flag or low-stock level)."""
        return self.old.shown_balance != self.new.shown_balance


@dataclass(slots=True)
class RowDiff:
    """What changed in the view in one step: rows added, changed (old and new) and removed."""

    added: list[StockRow] = field(default_factory=list)
    changed: list[RowChange] = field(default_factory=list)
    removed: list[StockRow] = field(default_factory=list)
    full: bool = False
    """True when the diff comes from a full snapshot (a subscriber may redraw everything)."""

    def then(self, later: RowDiff) -> RowDiff:
        """This diff followed by ``later``, composed so each key appears at most once."""
        if not later:
            self.full = self.full or later.full
            return self
        if not self:
            later.full = later.full or self.full
            return later
        added = {row.key: row for row in self.added}
        changed = {change.key: change for change in self.changed}
        removed = {row.key: row for row in self.removed}
        for row in later.removed:
            if row.key in added:
                del added[row.key]
            elif row.key in changed:
                removed[row.key] = changed.pop(row.key).old
            else:
                removed[row.key] = row
        for change in later.changed:
            key = change.key
            if key in added:
                added[key] = change.new
            elif key in changed:
                changed[key] = RowChange(changed[key].old, change.new)
            else:
                changed[key] = change
        for row in later.added:
            old = removed.pop(row.key, None)
            if old is None:
                added[row.key] = row
            else:
                changed[row.key] = RowChange(old, row)
        return RowDiff(
            list(added.values()),
            list(changed.values()),
            list(removed.values()),
            self.full or later.full,
        )

    def upserts(self) -> list[StockRow]:
        """The rows added or changed, each in its new version."""
        return [*self.added, *(change.new for change in self.changed)]

    def removed_keys(self) -> list[RowKey]:
        """The keys of the rows removed."""
        return [row.key for row in self.removed]

    @property
    def reshaped(self) -> bool:
        """True when rows came or went (or it is a snapshot): what is listed may differ, not
        just the figures of rows already there."""
        return self.full or bool(self.added or self.removed)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def __len__(self) -> int:
        return len(self.added) + len(self.changed) + len(self.removed)
