"""The inventory view: STORE balances joined with catalogue, low-stock levels, own pending moves.

The view is pure bookkeeping (no I/O): the sync engine feeds it server answers, the outbox feeds it
own movements, and every step returns the :class:`RowDiff` to hand to subscribers. Work per step is
proportional to what changed, except for a full snapshot, which is one tight pass over the answer.

Rules:
- A row exists for every variant of a tracked product: Zettle omits zero balances from a full
  answer, so a tracked product's catalogue variants missing from it have balance 0.
- A balance for a product or variant the catalogue does not know is kept, named by its UUIDs
  (``known=False``), never dropped.
- ``balance`` is always Zettle's absolute number; own movements not yet acknowledged live apart in
  ``pending`` and are never folded into ``balance`` by the view itself, so no server answer can
  count them twice (see :mod:`zinv_tui.service.outbox` for the ordering argument).

Rows are stored by variant UUID (Zettle's variant UUIDs are unique across products), which saves a
key tuple per row and a hash per answer line; :class:`RowsView` shows them by
``(product_uuid, variant_uuid)``.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView

from zinv_tui.service.balance_feed import BalanceAnswer, LeanAnswer
from zinv_tui.service.catalogue import Catalogue
from zinv_tui.service.rows import RowChange, RowDiff, RowKey, StockRow

LowStockSetting = tuple[int | None, bool]
"""``(low_stock_level, low_stock_alert)``."""

_NO_LOW_STOCK: LowStockSetting = (None, False)


class RowsView(Mapping[RowKey, StockRow]):
    """Read-only, live mapping ``(product_uuid, variant_uuid) -> StockRow`` over the view's rows."""

    __slots__ = ("_rows",)

    def __init__(self, rows: dict[str, StockRow]) -> None:
        self._rows = rows

    def __getitem__(self, key: RowKey) -> StockRow:
        row = self._rows.get(key[1])
        if row is None or row.product_uuid != key[0]:
            raise KeyError(key)
        return row

    def get(self, key: RowKey, default: StockRow | None = None) -> StockRow | None:  # type: ignore

        row = self._rows.get(key[1])
        return row if row is not None and row.product_uuid == key[0] else default

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        row = self._rows.get(key[1])
        return row is not None and row.product_uuid == key[0]

    def __iter__(self) -> Iterator[RowKey]:
        return ((row.product_uuid, row.variant_uuid) for row in self._rows.values())

    def __len__(self) -> int:
        return len(self._rows)

    def values(self) -> ValuesView[StockRow]:
        return self._rows.values()

    def items(self) -> ItemsView[RowKey, StockRow]:
        return _Items(self)

    def keys(self) -> KeysView[RowKey]:
        return KeysView(self)

    def __repr__(self) -> str:
        return f"RowsView({len(self._rows)} rows)"


class _Items(ItemsView[RowKey, StockRow]):
    def __iter__(self) -> Iterator[tuple[RowKey, StockRow]]:
        rows: RowsView = self._mapping  # type: ignore[assignment]
        return (((row.product_uuid, row.variant_uuid), row) for row in rows._rows.values())


def _lower(text: str) -> str:
    """Lower-case, without a copy when it already is (UUIDs usually are)."""
    return text if text.islower() else text.lower()


def _normal(key: RowKey) -> RowKey:
    return (_lower(key[0]), _lower(key[1]))


class InventoryView:
    """Rows plus what is needed to build and update them."""

    __slots__ = (
        "_rows",
        "awaiting_products",
        "catalogue",
        "low_stock",
        "pending",
        "rows",
        "tracked",
        "unknown_products",
    )

    def __init__(self) -> None:
        self._rows: dict[str, StockRow] = {}
        self.rows = RowsView(self._rows)
        self.catalogue = Catalogue()
        self.tracked: set[str] = set()
        self.low_stock: dict[RowKey, LowStockSetting] = {}
        self.pending: dict[RowKey, int] = {}
        self.unknown_products: set[str] = set()
        self.awaiting_products: set[str] = set()

    # -- building rows -------------------------------------------------------------------------

    def _new_row(self, key: RowKey, balance: int) -> StockRow:
        product_uuid, variant_uuid = key
        level, alert = self.low_stock.pop(key, _NO_LOW_STOCK)
        pending = self.pending.get(key, 0)
        product = self.catalogue.products.get(product_uuid)
        variant = product.variant(variant_uuid) if product is not None else None
        if product is not None and variant is not None:
            return StockRow(
                product.uuid,
                variant.uuid,
                product.name,
                variant.name,
                variant.sku,
                variant.barcode,
                balance,
                pending,
                level,
                alert,
                True,
                True,
            )
        if product is None:
            self.unknown_products.add(product_uuid)
        return StockRow(
            product_uuid,
            variant_uuid,
            product.name if product is not None else product_uuid,
            variant_uuid,
            "",
            "",
            balance,
            pending,
            level,
            alert,
            True,
            False,
        )

    def _lookup(self, key: RowKey) -> StockRow | None:
        row = self._rows.get(key[1])
        return row if row is not None and row.product_uuid == key[0] else None

    def _replace(self, row: StockRow, new: StockRow, diff: RowDiff) -> None:
        self._rows[new.variant_uuid] = new
        diff.changed.append(RowChange(row, new))

    def _remove(self, variant_uuid: str, diff: RowDiff) -> None:
        row = self._rows.pop(variant_uuid)
        if row.low_stock_level is not None or row.low_stock_alert:
            self.low_stock[row.key] = (row.low_stock_level, row.low_stock_alert)
        diff.removed.append(row)

    def _set_balance(self, key: RowKey, balance: int, diff: RowDiff) -> None:
        row = self._lookup(key)
        if row is None:
            row = self._new_row(key, balance)
            self._rows[row.variant_uuid] = row
            diff.added.append(row)
        elif row.balance != balance:
            self._replace(row, row.replace(balance=balance), diff)

    def _key_of(self, product_uuid: str, variant_uuid: str) -> RowKey:
        row = self._rows.get(variant_uuid)
        if row is not None and row.product_uuid == product_uuid:
            return (product_uuid, variant_uuid)
        return (_lower(product_uuid), _lower(variant_uuid))

    # -- server answers ------------------------------------------------------------------------

    def apply_lean(self, answer: LeanAnswer) -> RowDiff | None:
        """A full snapshot decoded without product UUIDs: applied when every line's variant is
        already a row and nothing left the answer (the usual case), else None (nothing done: use
        :meth:`apply_full` with the complete decode). Nothing changes before every line was read,
        so a line that can't be decoded lean (``LeanLineUnfit``) leaves the view as it was."""
        if self.awaiting_products:  # products still to be read in full: the careful path fills them
            return None
        rows = self._rows
        nonzero_before = sum(1 for row in rows.values() if row.balance)
        present = 0
        moved: list[tuple[StockRow, int]] = []
        for line in answer.lines():
            row = rows.get(line.variant_uuid)
            if row is None:
                return None
            if row.balance:
                present += 1
            if row.balance != line.balance:
                moved.append((row, line.balance))
        tracked = set(answer.tracked_products)
        if present != nonzero_before or tracked != self.tracked:
            return None
        diff = RowDiff(full=True)
        for row, balance in moved:
            self._replace(row, row.replace(balance=balance), diff)
        return diff

    def apply_full(self, answer: BalanceAnswer) -> RowDiff:
        """A complete STORE snapshot: every tracked variant, zero balances left out by Zettle.

        Fast path (nothing moved out of view): one dict lookup per line, no sets of keys.
        """
        diff = RowDiff(full=True)
        rows = self._rows
        nonzero_before = sum(1 for row in rows.values() if row.balance)
        present = 0
        moved = []
        for line in answer.variants:
            row = rows.get(line.variant_uuid)
            if row is not None and row.product_uuid == line.product_uuid:
                if row.balance:
                    present += 1
                if row.balance == line.balance:
                    continue
            moved.append(line)
        tracked_answer = set(answer.tracked_products)
        if tracked_answer != self.tracked:
            tracked_answer = self._canonical({_lower(uuid) for uuid in tracked_answer})
        self.awaiting_products.clear()
        if present == nonzero_before and tracked_answer == self.tracked:
            for line in moved:
                key = self._key_of(line.product_uuid, line.variant_uuid)
                self.tracked.add(key[0])
                self._set_balance(key, line.balance, diff)
            return diff
        # Something left the answer (a balance went to zero, tracking stopped): full reconcile.
        self.tracked = tracked_answer
        seen: set[str] = set()
        for line in answer.variants:
            key = self._key_of(line.product_uuid, line.variant_uuid)
            self.tracked.add(key[0])
            seen.add(key[1])
            self._set_balance(key, line.balance, diff)
        for product_uuid in self.tracked:
            product = self.catalogue.products.get(product_uuid)
            for variant in product.variants if product is not None else ():
                if variant.uuid not in seen:
                    seen.add(variant.uuid)
                    self._set_balance((product_uuid, variant.uuid), 0, diff)
        if len(seen) != len(rows):
            for variant_uuid in [v for v in rows if v not in seen]:
                self._remove(variant_uuid, diff)
        return diff

    def _canonical(self, products: set[str]) -> set[str]:
        """The same UUIDs, as the catalogue's string objects where it knows them (less memory)."""
        catalogue = self.catalogue.products
        return {
            product.uuid if (product := catalogue.get(uuid)) is not None else uuid
            for uuid in products
        }

    def apply_changes(self, answer: BalanceAnswer) -> RowDiff:
        """An incremental answer (``since``): changed balances (zeros too) and tracking news."""
        diff = RowDiff()
        stopped = {_lower(uuid) for uuid in answer.untracked_products}
        if stopped:
            self._drop_products(stopped, diff)
        started = {_lower(uuid) for uuid in answer.tracked_products} - stopped
        for line in answer.variants:
            key = self._key_of(line.product_uuid, line.variant_uuid)
            if key[0] in stopped:
                continue
            if key[0] not in self.tracked:
                started.add(key[0])
            self._set_balance(key, line.balance, diff)
        new = started - self.tracked
        self.tracked |= started
        # Balances survive a stop/start of tracking and the feed only lists balances that changed,
        # so a product that (re)starts tracking needs a per-product read: see apply_products.
        self.awaiting_products |= new
        return diff

    def take_awaiting_products(self) -> set[str]:
        """Products whose tracking started since the last call (read their balances next)."""
        products, self.awaiting_products = self.awaiting_products, set()
        return products

    def _fill_zeros(self, products: Iterable[str], diff: RowDiff) -> None:
        """Rows (balance 0) for catalogue variants of these products that have none yet."""
        catalogue = self.catalogue.products
        rows = self._rows
        for product_uuid in products:
            product = catalogue.get(product_uuid)
            if product is None:
                continue
            for variant in product.variants:
                if variant.uuid not in rows:
                    self._set_balance((product.uuid, variant.uuid), 0, diff)

    def _drop_products(self, products: set[str], diff: RowDiff) -> None:
        self.tracked -= products
        for row in [row for row in self._rows.values() if row.product_uuid in products]:
            self._remove(row.variant_uuid, diff)

    def drop_products(self, products: Iterable[str]) -> RowDiff:
        """Tracking stopped for these products: their rows leave the view."""
        diff = RowDiff()
        self._drop_products({_lower(uuid) for uuid in products}, diff)
        return diff

    def apply_products(
        self, products: Iterable[str], balances: Mapping[RowKey, int], *, tracked: bool = True
    ) -> RowDiff:
        """Fresh STORE balances of whole products (a per-product read, which omits zeros).

        With ``tracked`` the products count as tracked (e.g. tracking was just started); their
        known variants missing from ``balances`` have balance 0.
        """
        wanted = {_lower(uuid) for uuid in products}
        if tracked:
            self.tracked |= wanted
        diff = RowDiff()
        keys = {row.key for row in self._rows.values() if row.product_uuid in wanted}
        for product_uuid in wanted:
            product = self.catalogue.products.get(product_uuid)
            if product is not None:
                keys.update((product_uuid, variant.uuid) for variant in product.variants)
        lowered = {_normal(key): balance for key, balance in balances.items()}
        keys.update(lowered)
        for key in keys:
            if key[0] in self.tracked:
                self._set_balance(key, lowered.get(key, 0), diff)
        return diff

    # -- catalogue and low stock ---------------------------------------------------------------

    def set_catalogue(self, catalogue: Catalogue) -> RowDiff:
        """A new catalogue: names refreshed, variants of tracked products added with balance 0."""
        self.catalogue = catalogue
        diff = RowDiff()
        for row in list(self._rows.values()):
            product = catalogue.products.get(row.product_uuid)
            variant = product.variant(row.variant_uuid) if product is not None else None
            if product is not None and variant is not None:
                if (
                    row.known
                    and row.product_name == product.name
                    and row.variant_name == variant.name
                    and row.sku == variant.sku
                    and row.barcode == variant.barcode
                ):
                    continue
                new = row.replace(
                    product_uuid=product.uuid,
                    variant_uuid=variant.uuid,
                    product_name=product.name,
                    variant_name=variant.name,
                    sku=variant.sku,
                    barcode=variant.barcode,
                    known=True,
                )
            elif row.known or product is not None:
                new = self._new_row(row.key, row.balance)
                if new == row:
                    continue
            else:
                continue
            self._replace(row, new, diff)
        self.unknown_products = {
            row.product_uuid
            for row in self._rows.values()
            if row.product_uuid not in catalogue.products
        }
        self._fill_zeros(self.tracked, diff)
        return diff

    def set_low_stock(self, levels: Mapping[RowKey, LowStockSetting], replace: bool) -> RowDiff:
        """Low-stock settings: all of them (``replace``) or just these variants.

        A row carries its own setting; ``low_stock`` keeps only settings of variants without a row
        (yet), so tens of thousands of levels cost no extra memory.
        """
        diff = RowDiff()
        if replace:
            for row in [
                r for r in self._rows.values() if r.low_stock_level is not None or r.low_stock_alert
            ]:
                if row.key not in levels:
                    self._replace(
                        row, row.replace(low_stock_level=None, low_stock_alert=False), diff
                    )
            self.low_stock = {}
        for key, setting in levels.items():
            row = self._lookup(key)
            if row is None:
                if setting == _NO_LOW_STOCK:
                    self.low_stock.pop(key, None)
                else:
                    self.low_stock[key] = setting
                continue
            self.low_stock.pop(key, None)
            if (row.low_stock_level, row.low_stock_alert) != setting:
                level, alert = setting
                self._replace(row, row.replace(low_stock_level=level, low_stock_alert=alert), diff)
        return diff

    # -- own movements -------------------------------------------------------------------------

    def add_pending(self, changes: Mapping[RowKey, int]) -> RowDiff:
        """Own movements recorded (positive or negative STORE changes), shown at once."""
        diff = RowDiff()
        for key, change in changes.items():
            total = self.pending.get(key, 0) + change
            if total:
                self.pending[key] = total
            else:
                self.pending.pop(key, None)
            row = self._lookup(key)
            if row is not None and row.pending != total:
                self._replace(row, row.replace(pending=total), diff)
        return diff

    def settle(self, changes: Mapping[RowKey, int], balances: Mapping[RowKey, int]) -> RowDiff:
        """Own movements acknowledged: their changes leave ``pending``, Zettle's balances come in.

        ``balances`` are the STORE balances Zettle reported *after* applying them (the movement's
        answer), so the movement is counted exactly once: in ``balance``, no longer in ``pending``.
        """
        diff = RowDiff()
        for key in set(changes) | set(balances):
            if key in changes:
                total = self.pending.get(key, 0) - changes[key]
                if total:
                    self.pending[key] = total
                else:
                    self.pending.pop(key, None)
            row = self._lookup(key)
            if row is None:
                continue
            new_pending = self.pending.get(key, 0)
            new_balance = balances.get(key, row.balance)
            if (row.pending, row.balance) != (new_pending, new_balance):
                self._replace(row, row.replace(pending=new_pending, balance=new_balance), diff)
        return diff

    def set_balances(self, balances: Mapping[RowKey, int]) -> RowDiff:
        """Absolute STORE balances Zettle reported for rows already shown."""
        diff = RowDiff()
        for key, balance in balances.items():
            if self._lookup(key) is not None:
                self._set_balance(key, balance, diff)
        return diff
