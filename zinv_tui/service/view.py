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

A full snapshot is checked against the rows while it arrives (:class:`SnapshotBuilder`, fed by
the backend page by page) and applied in one step at its end
(:meth:`InventoryView.commit_snapshot`), with the same outcome as :meth:`InventoryView.apply_full`
of the whole answer at that moment.
"""

from __future__ import annotations

from collections.abc import (
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    Sequence,
    ValuesView,
)
from operator import attrgetter
from typing import NamedTuple, cast

from zinv_tui.service.backend import BalanceLine, Changes, LevelledLine
from zinv_tui.service.catalogue import Catalogue, CatalogueProduct, CatalogueVariant
from zinv_tui.service.rows import RowChange, RowDiff, RowKey, StockRow

LowStockSetting = tuple[int | None, bool]
"""``(low_stock_level, low_stock_alert)``."""

_NO_LOW_STOCK: LowStockSetting = (None, False)


class SnapshotLine(NamedTuple):
    """A snapshot line the view rebuilt from its own rows (see :meth:`SnapshotBuilder.lines`)."""

    product_uuid: str
    variant_uuid: str
    balance: int
    low_stock_level: int | None = None
    low_stock_alert: bool = False


def _setting(line: BalanceLine) -> LowStockSetting:
    """The low-stock setting a line carries (a backend with ``levels_on_rows``)."""
    levelled = cast(LevelledLine, line)
    return (levelled.low_stock_level, levelled.low_stock_alert)


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
    def __init__(self, rows: RowsView) -> None:
        super().__init__(rows)
        self._view_rows = rows._rows

    def __iter__(self) -> Iterator[tuple[RowKey, StockRow]]:
        return (((row.product_uuid, row.variant_uuid), row) for row in self._view_rows.values())


_VARIANT_UUID = attrgetter("variant_uuid")


def _lower(text: str) -> str:
    """Lower-case, without a copy when it already is (UUIDs usually are)."""
    return text if text.islower() else text.lower()


def _normal(key: RowKey) -> RowKey:
    return (_lower(key[0]), _lower(key[1]))


class InventoryView:
    """Rows plus what is needed to build and update them."""

    __slots__ = (
        "_edits",
        "_rows",
        "awaiting_products",
        "catalogue",
        "levels_on_rows",
        "low_stock",
        "pending",
        "rows",
        "tracked",
        "unknown_products",
    )

    def __init__(self, *, levels_on_rows: bool = False) -> None:
        self.levels_on_rows = levels_on_rows
        """Balance lines carry each variant's low-stock setting (the backend's capability): a
        snapshot or a change sets it with the balance."""
        self._rows: dict[str, StockRow] = {}
        self.rows = RowsView(self._rows)
        self.catalogue = Catalogue()
        self.tracked: set[str] = set()
        self.low_stock: dict[RowKey, LowStockSetting] = {}
        self.pending: dict[RowKey, int] = {}
        self.unknown_products: set[str] = set()
        self.awaiting_products: set[str] = set()
        self._edits = 0
        """Bumped by every change, so a snapshot checked while it arrived knows it still holds."""

    # -- building rows -------------------------------------------------------------------------

    def _new_row(
        self, key: RowKey, balance: int, setting: LowStockSetting | None = None
    ) -> StockRow:
        stored = self.low_stock.pop(key, _NO_LOW_STOCK)
        setting = stored if setting is None else setting
        product = self.catalogue.products.get(key[0])
        variant = product.variant(key[1]) if product is not None else None
        if product is None:
            self.unknown_products.add(key[0])
        return self._make_row(key, balance, product, variant, setting)

    def _make_row(
        self,
        key: RowKey,
        balance: int,
        product: CatalogueProduct | None,
        variant: CatalogueVariant | None,
        setting: LowStockSetting,
    ) -> StockRow:
        """A new row for ``key`` (no side effects: see :meth:`_new_row`)."""
        product_uuid, variant_uuid = key
        level, alert = setting
        pending = self.pending.get(key, 0) if self.pending else 0
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

    def _set_balance(
        self, key: RowKey, balance: int, diff: RowDiff, setting: LowStockSetting | None = None
    ) -> None:
        """A row's balance (and, given, its low-stock setting) as the server reported it."""
        row = self._lookup(key)
        if row is None:
            row = self._new_row(key, balance, setting)
            self._rows[row.variant_uuid] = row
            diff.added.append(row)
        elif setting is not None and (row.low_stock_level, row.low_stock_alert) != setting:
            level, alert = setting
            new = row.replace(balance=balance, low_stock_level=level, low_stock_alert=alert)
            self._replace(row, new, diff)
        elif row.balance != balance:
            self._replace(row, row.replace(balance=balance), diff)

    def _key_of(self, product_uuid: str, variant_uuid: str) -> RowKey:
        row = self._rows.get(variant_uuid)
        if row is not None and row.product_uuid == product_uuid:
            return (product_uuid, variant_uuid)
        return (_lower(product_uuid), _lower(variant_uuid))

    # -- server answers ------------------------------------------------------------------------

    def restore(
        self,
        rows: Iterable[StockRow],
        tracked: Iterable[str],
        levels: Mapping[RowKey, LowStockSetting],
    ) -> RowDiff:
        """Rows of a local snapshot (named, Zettle's balances, lower-case UUIDs as the view kept
        them) into an empty view, the pending overlay laid on. The catalogue may come later
        (:meth:`set_catalogue`). Returns the rows as one full diff."""
        if self._rows:
            raise ValueError("a snapshot is restored into an empty view only")
        self._edits += 1
        self.tracked = set(tracked)
        self.low_stock = dict(levels)
        rows = list(rows)
        stored = self._rows
        stored.update(zip(map(_VARIANT_UUID, rows), rows, strict=True))  # in C: 46,000 rows
        for (product_uuid, variant_uuid), pending in self.pending.items():
            row = stored.get(variant_uuid)
            if pending and row is not None and row.product_uuid == product_uuid:
                stored[variant_uuid] = row.replace(pending=pending)
        self.unknown_products.update(row.product_uuid for row in rows if not row.known)
        return RowDiff(added=list(stored.values()), full=True)

    def clear(self) -> RowDiff:
        """Forget every row, tracked product and low-stock setting (not the pending overlay)."""
        self._edits += 1
        diff = RowDiff(removed=list(self._rows.values()), full=True)
        self._rows.clear()
        self.tracked = set()
        self.low_stock = {}
        self.unknown_products = set()
        self.awaiting_products = set()
        return diff

    def begin_snapshot(self) -> SnapshotBuilder:
        """A builder for a full snapshot read as it arrives (see :class:`SnapshotBuilder`)."""
        return SnapshotBuilder(self)

    def commit_snapshot(
        self, snapshot: SnapshotBuilder, tracked_products: Sequence[str]
    ) -> RowDiff:
        """Apply a full snapshot whose lines were all given to ``snapshot``: the same rows,
        tracking and diff as :meth:`apply_full` of the whole answer now.

        When the view changed while the snapshot arrived (an own movement recorded, a low-stock
        level set), or a line needs care (UUIDs not in lower case, a variant listed twice or under
        another product), the lines are rebuilt from what the builder kept and go through
        :meth:`apply_full`, which looks at everything afresh.
        """
        if snapshot.view is not self:
            raise ValueError("this snapshot was checked against another view")
        rows = self._rows
        if snapshot.edits != self._edits or snapshot.odd:
            return self.apply_full(snapshot.lines(), tracked_products)
        self._edits += 1
        was_empty = not rows
        added = snapshot.added
        before = len(rows)
        for row in added:
            rows[row.variant_uuid] = row
        if len(rows) != before + len(added):  # a variant listed twice: take the careful path
            for row in added:
                rows.pop(row.variant_uuid, None)
            return self.apply_full(snapshot.lines(), tracked_products)
        diff = RowDiff(added=added, full=True)
        if self.low_stock:
            for row in added:
                self.low_stock.pop(row.key, None)
        self.unknown_products |= snapshot.unknown
        changed = diff.changed
        for variant_uuid, new in snapshot.changed.items():
            changed.append(RowChange(rows[variant_uuid], new))
            rows[variant_uuid] = new
        tracked_answer = self._tracked_answer(tracked_products)
        self.awaiting_products.clear()
        reconcile = snapshot.present != snapshot.nonzero_before or tracked_answer is not None
        if reconcile:  # something left the answer (a balance went to zero, tracking stopped)
            if tracked_answer is not None:
                self.tracked = tracked_answer
            self.tracked.update(row.product_uuid for row in snapshot.unchanged)
        self.tracked.update(row.product_uuid for row in added)
        self.tracked.update(row.product_uuid for row in snapshot.changed.values())
        if reconcile:
            if was_empty:  # the rows are exactly the snapshot's variants
                self._fill_and_prune(None, diff)
            else:
                seen = {row.variant_uuid for row in snapshot.unchanged}
                seen.update(snapshot.changed)
                seen.update(row.variant_uuid for row in added)
                self._fill_and_prune(seen, diff)
        return diff

    def _tracked_answer(self, tracked_products: Sequence[str]) -> set[str] | None:
        """The answer's tracked products, lower-cased (and shared); None when they are ours.

        The usual case (the same products) is told without a set of the answer's 20,000 UUIDs
        (2 MB of hash table): as many as ours, each one ours, none twice (a dict of them is a
        third of that set's size, and freed at once).
        """
        tracked = self.tracked
        if (
            len(tracked_products) == len(tracked)
            and all(map(tracked.__contains__, tracked_products))
            and len(dict.fromkeys(tracked_products)) == len(tracked)
        ):
            return None
        tracked_answer = set(tracked_products)
        if tracked_answer != tracked:
            tracked_answer = self._canonical({_lower(uuid) for uuid in tracked_answer})
        return None if tracked_answer == tracked else tracked_answer

    def _fill_and_prune(self, seen: set[str] | None, diff: RowDiff) -> None:
        """The end of a full reconcile: catalogue variants of tracked products missing from the
        snapshot get balance 0, rows of variants the snapshot did not list (``seen``) leave.
        ``seen`` None: the snapshot's variants are exactly the rows (the view was empty)."""
        rows = self._rows
        known = rows if seen is None else seen
        for product_uuid in self.tracked:
            product = self.catalogue.products.get(product_uuid)
            for variant in product.variants if product is not None else ():
                if variant.uuid not in known:
                    if seen is not None:
                        seen.add(variant.uuid)
                    self._set_balance((product_uuid, variant.uuid), 0, diff)
        if seen is not None and len(seen) != len(rows):
            for variant_uuid in [v for v in rows if v not in seen]:
                self._remove(variant_uuid, diff)

    def apply_full(self, lines: Sequence[BalanceLine], tracked_products: Sequence[str]) -> RowDiff:
        """A complete snapshot: every tracked variant, zero balances left out by Zettle.

        Fast path (nothing moved out of view): one dict lookup per line, no sets of keys.
        """
        self._edits += 1
        diff = RowDiff(full=True)
        rows = self._rows
        levels = self.levels_on_rows
        nonzero_before = sum(1 for row in rows.values() if row.balance)
        present = 0
        moved: list[BalanceLine] = []
        for line in lines:
            row = rows.get(line.variant_uuid)
            if row is not None and row.product_uuid == line.product_uuid:
                if row.balance:
                    present += 1
                if row.balance == line.balance and (
                    not levels or (row.low_stock_level, row.low_stock_alert) == _setting(line)
                ):
                    continue
            moved.append(line)
        tracked_answer = self._tracked_answer(tracked_products)
        self.awaiting_products.clear()
        if present == nonzero_before and tracked_answer is None:
            for line in moved:
                key = self._key_of(line.product_uuid, line.variant_uuid)
                self.tracked.add(key[0])
                self._set_balance(key, line.balance, diff, _setting(line) if levels else None)
            return diff
        # Something left the answer (a balance went to zero, tracking stopped): full reconcile.
        if tracked_answer is not None:
            self.tracked = tracked_answer
        seen: set[str] = set()
        for line in lines:
            key = self._key_of(line.product_uuid, line.variant_uuid)
            self.tracked.add(key[0])
            seen.add(key[1])
            self._set_balance(key, line.balance, diff, _setting(line) if levels else None)
        self._fill_and_prune(seen, diff)
        return diff

    def _canonical(self, products: set[str]) -> set[str]:
        """The same UUIDs, as the catalogue's string objects where it knows them (less memory)."""
        catalogue = self.catalogue.products
        return {
            product.uuid if (product := catalogue.get(uuid)) is not None else uuid
            for uuid in products
        }

    def apply_changes(self, changes: Changes) -> RowDiff:
        """What the change feed says changed: balances (zeros too) and tracking news."""
        self._edits += 1
        diff = RowDiff()
        stopped = {_lower(uuid) for uuid in changes.stopped}
        if stopped:
            self._drop_products(stopped, diff)
        started = {_lower(uuid) for uuid in changes.started} - stopped
        levels = self.levels_on_rows
        for line in changes.lines:
            key = self._key_of(line.product_uuid, line.variant_uuid)
            if key[0] in stopped:
                continue
            if key[0] not in self.tracked:
                started.add(key[0])
            self._set_balance(key, line.balance, diff, _setting(line) if levels else None)
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
        self._edits += 1
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
        self._edits += 1
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
        self._edits += 1
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
        self._edits += 1
        diff = RowDiff()
        if replace:
            for old in [
                r for r in self._rows.values() if r.low_stock_level is not None or r.low_stock_alert
            ]:
                if old.key not in levels:
                    self._replace(
                        old, old.replace(low_stock_level=None, low_stock_alert=False), diff
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
        self._edits += 1
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
        self._edits += 1
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
        self._edits += 1
        diff = RowDiff()
        for key, balance in balances.items():
            if self._lookup(key) is not None:
                self._set_balance(key, balance, diff)
        return diff


class SnapshotBuilder:
    """A full snapshot's lines checked against the view as they arrive, the view left untouched.

    Per line: a row it leaves as it is costs one reference (:attr:`unchanged`), a row it changes
    one new row (:attr:`changed`), a variant with no row yet its new row, built at once from the
    catalogue's strings (:attr:`added`); so the decoded lines can go as soon as they were read.
    Lines that need care (see :meth:`InventoryView.commit_snapshot`) are kept as they are
    (:attr:`odd`). :meth:`InventoryView.commit_snapshot` applies the result; a builder dropped
    before that (the connection failed, the answer was unreadable) leaves no trace.
    """

    __slots__ = (
        "added",
        "changed",
        "edits",
        "nonzero_before",
        "odd",
        "present",
        "unchanged",
        "unknown",
        "view",
    )

    def __init__(self, view: InventoryView) -> None:
        self.view = view
        self.edits = view._edits
        self.nonzero_before = sum(1 for row in view._rows.values() if row.balance)
        self.present = 0
        """Lines naming a row (same product) whose balance is not zero, as in ``apply_full``."""
        self.unchanged: list[StockRow] = []
        self.changed: dict[str, StockRow] = {}
        self.added: list[StockRow] = []
        self.odd: list[BalanceLine] = []
        self.unknown: set[str] = set()

    def take(self, lines: Sequence[BalanceLine]) -> None:
        """Check the next lines of the snapshot."""
        view = self.view
        if view.levels_on_rows:
            self._take_levelled(lines)
            return
        rows = view._rows
        unchanged = self.unchanged
        changed = self.changed
        present = 0
        for line in lines:
            variant_uuid = line.variant_uuid
            row = rows.get(variant_uuid)
            if row is None:
                new = self._new_row(view, line)
                if new is None:
                    self.odd.append(line)
                else:
                    self.added.append(new)
                continue
            if row.product_uuid != line.product_uuid or variant_uuid in changed:
                self.odd.append(line)
                continue
            if row.balance:
                present += 1
            if row.balance == line.balance:
                unchanged.append(row)
            else:
                changed[variant_uuid] = row.replace(balance=line.balance)
        self.present += present

    def _take_levelled(self, lines: Sequence[BalanceLine]) -> None:
        """:meth:`take` for lines that carry the low-stock setting too."""
        view = self.view
        rows = view._rows
        changed = self.changed
        for line in lines:
            variant_uuid = line.variant_uuid
            setting = _setting(line)
            row = rows.get(variant_uuid)
            if row is None:
                new = self._new_row(view, line, setting)
                if new is None:
                    self.odd.append(line)
                else:
                    self.added.append(new)
                continue
            if row.product_uuid != line.product_uuid or variant_uuid in changed:
                self.odd.append(line)
                continue
            if row.balance:
                self.present += 1
            if (
                row.balance == line.balance
                and (row.low_stock_level, row.low_stock_alert) == setting
            ):
                self.unchanged.append(row)
            else:
                level, alert = setting
                changed[variant_uuid] = row.replace(
                    balance=line.balance, low_stock_level=level, low_stock_alert=alert
                )

    def _new_row(
        self, view: InventoryView, line: BalanceLine, setting: LowStockSetting | None = None
    ) -> StockRow | None:
        """The row ``apply_full`` would add for this line, or None when its key needs care."""
        product_uuid = line.product_uuid
        variant_uuid = line.variant_uuid
        product = view.catalogue.products.get(product_uuid)
        variant = product.variant(variant_uuid) if product is not None else None
        if variant is None:  # not found as sent: kept as sent only when already lower-case
            if _lower(product_uuid) != product_uuid or _lower(variant_uuid) != variant_uuid:
                return None
            if product is None:
                self.unknown.add(product_uuid)
        key = (product_uuid, variant_uuid)
        if setting is None:
            setting = view.low_stock.get(key, _NO_LOW_STOCK) if view.low_stock else _NO_LOW_STOCK
        return view._make_row(key, line.balance, product, variant, setting)

    def lines(self) -> list[BalanceLine]:
        """The snapshot's lines again (for the careful path; in another order)."""
        lines: list[BalanceLine] = [
            SnapshotLine(
                row.product_uuid,
                row.variant_uuid,
                row.balance,
                row.low_stock_level,
                row.low_stock_alert,
            )
            for rows in (self.unchanged, self.changed.values(), self.added)
            for row in rows
        ]
        lines += self.odd
        return lines
