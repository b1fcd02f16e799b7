"""The inventory view: STORE balances joined with catalogue, low-stock levels, own pending moves.

The view is pure bookkeeping (no I/O): the sync engine feeds it server answers, the outbox feeds it
own movements, and every step returns the :class:`RowDiff` to hand to subscribers. Work per step is
proportional to what changed, except for a full snapshot, which is one pass over the answer.

Rules:
- A row exists for every variant of a tracked product: Zettle omits zero balances from a full
  answer, so a tracked product's catalogue variants missing from it have balance 0.
- A balance for a product or variant the catalogue does not know is kept, named by its UUIDs
  (``known=False``), never dropped.
- ``balance`` is always Zettle's absolute number; own movements not yet acknowledged live apart in
  ``pending`` and are never folded into ``balance`` by the view itself, so no server answer can
  count them twice (see :mod:`zinv_tui.service.outbox` for the ordering argument).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from zinv_tui.service.balance_feed import BalanceAnswer
from zinv_tui.service.catalogue import Catalogue
from zinv_tui.service.rows import RowChange, RowDiff, RowKey, StockRow

LowStockSetting = tuple[int | None, bool]
"""``(low_stock_level, low_stock_alert)``."""

_NO_LOW_STOCK: LowStockSetting = (None, False)


def _normal(key: RowKey) -> RowKey:
    return (key[0].lower(), key[1].lower())


class InventoryView:
    """Rows by ``(product_uuid, variant_uuid)`` plus what is needed to build and update them."""

    __slots__ = (
        "awaiting_products",
        "catalogue",
        "low_stock",
        "pending",
        "rows",
        "tracked",
        "unknown_products",
    )

    def __init__(self) -> None:
        self.rows: dict[RowKey, StockRow] = {}
        self.catalogue = Catalogue()
        self.tracked: set[str] = set()
        self.low_stock: dict[RowKey, LowStockSetting] = {}
        self.pending: dict[RowKey, int] = {}
        self.unknown_products: set[str] = set()
        self.awaiting_products: set[str] = set()

    # -- building rows -------------------------------------------------------------------------

    def _new_row(self, key: RowKey, balance: int) -> StockRow:
        product_uuid, variant_uuid = key
        found = self.catalogue.variants.get(key)
        level, alert = self.low_stock.get(key, _NO_LOW_STOCK)
        pending = self.pending.get(key, 0)
        if found is not None:
            product, variant = found
            return StockRow(
                product_uuid,
                variant_uuid,
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
        product = self.catalogue.products.get(product_uuid)
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

    def _with(self, row: StockRow, **changes: object) -> StockRow:
        values = {
            "product_uuid": row.product_uuid,
            "variant_uuid": row.variant_uuid,
            "product_name": row.product_name,
            "variant_name": row.variant_name,
            "sku": row.sku,
            "barcode": row.barcode,
            "balance": row.balance,
            "pending": row.pending,
            "low_stock_level": row.low_stock_level,
            "low_stock_alert": row.low_stock_alert,
            "tracked": row.tracked,
            "known": row.known,
        }
        values.update(changes)
        return StockRow(**values)  # type: ignore[arg-type]

    def _set_balance(self, key: RowKey, balance: int, diff: RowDiff) -> None:
        row = self.rows.get(key)
        if row is None:
            row = self._new_row(key, balance)
            self.rows[key] = row
            diff.added.append(row)
        elif row.balance != balance:
            new = StockRow(
                row.product_uuid,
                row.variant_uuid,
                row.product_name,
                row.variant_name,
                row.sku,
                row.barcode,
                balance,
                row.pending,
                row.low_stock_level,
                row.low_stock_alert,
                row.tracked,
                row.known,
            )
            self.rows[key] = new
            diff.changed.append(RowChange(row, new))

    def _key_of(self, product_uuid: str, variant_uuid: str) -> RowKey:
        key = (product_uuid, variant_uuid)
        if key in self.rows or key in self.catalogue.variants:
            return key
        return _normal(key)

    # -- server answers ------------------------------------------------------------------------

    def apply_full(self, answer: BalanceAnswer) -> RowDiff:
        """A complete STORE snapshot: every tracked variant, zero balances left out by Zettle."""
        diff = RowDiff(full=True)
        rows = self.rows
        seen: set[RowKey] = set()
        tracked = {uuid.lower() for uuid in answer.tracked_products}
        for line in answer.variants:
            key = (line.product_uuid, line.variant_uuid)
            row = rows.get(key)
            if row is None:
                key = self._key_of(*key)
                row = rows.get(key)
                tracked.add(key[0])
            seen.add(key)
            if row is None or row.balance != line.balance:
                self._set_balance(key, line.balance, diff)
        self.tracked = tracked
        self.awaiting_products.clear()
        self._fill_zeros(tracked, seen, diff)
        if len(seen) != len(rows):
            for key in [key for key in rows if key not in seen]:
                diff.removed.append(rows.pop(key))
        return diff

    def apply_changes(self, answer: BalanceAnswer) -> RowDiff:
        """An incremental answer (``since``): changed balances (zeros too) and tracking news."""
        diff = RowDiff()
        stopped = {uuid.lower() for uuid in answer.untracked_products}
        if stopped:
            self._drop_products(stopped, diff)
        started = {uuid.lower() for uuid in answer.tracked_products} - stopped
        seen: set[RowKey] = set()
        for line in answer.variants:
            key = self._key_of(line.product_uuid, line.variant_uuid)
            if key[0] in stopped:
                continue
            seen.add(key)
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

    def _fill_zeros(self, products: Iterable[str], seen: set[RowKey], diff: RowDiff) -> None:
        catalogue = self.catalogue.products
        for product_uuid in products:
            product = catalogue.get(product_uuid)
            if product is None:
                continue
            for variant in product.variants:
                key = (product_uuid, variant.uuid)
                if key not in seen:
                    seen.add(key)
                    self._set_balance(key, 0, diff)

    def _drop_products(self, products: set[str], diff: RowDiff) -> None:
        self.tracked -= products
        for key in [key for key in self.rows if key[0] in products]:
            diff.removed.append(self.rows.pop(key))

    def drop_products(self, products: Iterable[str]) -> RowDiff:
        """Tracking stopped for these products: their rows leave the view."""
        diff = RowDiff()
        self._drop_products({uuid.lower() for uuid in products}, diff)
        return diff

    def set_balances(self, balances: Mapping[RowKey, int]) -> RowDiff:
        """Absolute STORE balances Zettle reported (e.g. in a movement's answer)."""
        diff = RowDiff()
        for key, balance in balances.items():
            if key in self.rows:
                self._set_balance(key, balance, diff)
        return diff

    def apply_products(
        self, products: Iterable[str], balances: Mapping[RowKey, int], *, tracked: bool = True
    ) -> RowDiff:
        """Fresh STORE balances of whole products (a per-product read, which omits zeros).

        With ``tracked`` the products count as tracked (e.g. tracking was just started); their
        known variants missing from ``balances`` have balance 0.
        """
        wanted = {uuid.lower() for uuid in products}
        if tracked:
            self.tracked |= wanted
        diff = RowDiff()
        keys = {key for key in self.rows if key[0] in wanted}
        for product_uuid in wanted:
            product = self.catalogue.products.get(product_uuid)
            if product is not None:
                keys.update((product_uuid, variant.uuid) for variant in product.variants)
        keys.update(_normal(key) for key in balances)
        lowered = {_normal(key): balance for key, balance in balances.items()}
        for key in keys:
            if key[0] in self.tracked:
                self._set_balance(key, lowered.get(key, 0), diff)
        return diff

    # -- catalogue and low stock ---------------------------------------------------------------

    def set_catalogue(self, catalogue: Catalogue) -> RowDiff:
        """A new catalogue: names refreshed, variants of tracked products added with balance 0."""
        self.catalogue = catalogue
        diff = RowDiff()
        for key, row in list(self.rows.items()):
            found = catalogue.variants.get(key)
            if found is not None:
                product, variant = found
                if (
                    row.known
                    and row.product_name == product.name
                    and row.variant_name == variant.name
                    and row.sku == variant.sku
                    and row.barcode == variant.barcode
                ):
                    continue
                new = self._with(
                    row,
                    product_name=product.name,
                    variant_name=variant.name,
                    sku=variant.sku,
                    barcode=variant.barcode,
                    known=True,
                )
            elif row.known:
                new = self._new_row(key, row.balance)
            else:
                continue
            self.rows[key] = new
            diff.changed.append(RowChange(row, new))
        self.unknown_products = {key[0] for key in self.rows if key[0] not in catalogue.products}
        self._fill_zeros(self.tracked, set(self.rows), diff)
        return diff

    def set_low_stock(self, levels: Mapping[RowKey, LowStockSetting], replace: bool) -> RowDiff:
        """Low-stock settings: all of them (``replace``) or just these variants."""
        diff = RowDiff()
        if replace:
            touched = set(self.low_stock) | set(levels)
            self.low_stock = {k: v for k, v in levels.items() if v != _NO_LOW_STOCK}
        else:
            touched = set(levels)
            for key, setting in levels.items():
                if setting == _NO_LOW_STOCK:
                    self.low_stock.pop(key, None)
                else:
                    self.low_stock[key] = setting
        for key in touched:
            row = self.rows.get(key)
            if row is None:
                continue
            level, alert = self.low_stock.get(key, _NO_LOW_STOCK)
            if (row.low_stock_level, row.low_stock_alert) != (level, alert):
                new = self._with(row, low_stock_level=level, low_stock_alert=alert)
                self.rows[key] = new
                diff.changed.append(RowChange(row, new))
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
            row = self.rows.get(key)
            if row is not None and row.pending != total:
                new = self._with(row, pending=total)
                self.rows[key] = new
                diff.changed.append(RowChange(row, new))
        return diff

    def settle(self, changes: Mapping[RowKey, int], balances: Mapping[RowKey, int]) -> RowDiff:
        """Own movements acknowledged: their changes leave ``pending``, Zettle's balances come in.

        ``balances`` are the STORE balances Zettle reported *after* applying them (the movement's
        answer), so the movement is counted exactly once: in ``balance``, no longer in ``pending``.
        """
        diff = RowDiff()
        for key in set(changes) | set(balances):
            row = self.rows.get(key)
            if key in changes:
                total = self.pending.get(key, 0) - changes[key]
                if total:
                    self.pending[key] = total
                else:
                    self.pending.pop(key, None)
            if row is None:
                continue
            new_pending = self.pending.get(key, 0)
            new_balance = balances.get(key, row.balance)
            if (row.pending, row.balance) != (new_pending, new_balance):
                new = self._with(row, pending=new_pending, balance=new_balance)
                self.rows[key] = new
                diff.changed.append(RowChange(row, new))
        return diff
