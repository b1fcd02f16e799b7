"""Zettle's inventory rules on top of the ledger store.

Checks the references of a request (products, variants, locations), tracking, and atomicity, and
writes through :class:`~zinv_tui.sandbox.store.LedgerStore`. Wire-agnostic: it takes plain values
and answers rows; v1 (``v1_wire.py``, ``routes_inventory.py``) and v3 (``v3_wire.py``,
``routes_v3.py``) read their own requests and shape their own JSON on it, so both always agree.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import uuid1

from zinv_tui.sandbox.errors import (
    ENTITY_NOT_FOUND,
    PRODUCT_NOT_TRACKED,
    ApiError,
    violation,
)
from zinv_tui.sandbox.store import BalanceOutOfRange, BalanceRow, LedgerStore, Movement

MAX_INVENTORIES = 100
"""Inventories an organization may have (the four system ones included): a sandbox bound, as
every list it keeps; Zettle's own is not documented."""


@dataclass(frozen=True, slots=True)
class Location:
    """A location (v3: an inventory): one of the four system ones, or an extra STORE."""

    uuid: str
    type: str
    name: str
    description: str
    default: bool


@dataclass(frozen=True, slots=True)
class ProductStep:
    """One product change of v1's bulk: a tracking change (None: none) and its movements, each
    with where it came from in the request and the product UUID it claimed (if any)."""

    product_uuid: str
    where: str
    tracking: bool | None
    moves: Sequence[Movement]
    wheres: Sequence[str]
    claims: Sequence[str | None]


Reply = Callable[[Location, list[BalanceRow]], str]
"""Shapes a write's answer from the balances it changed (each generation its own)."""


def _unknown(property_name: str, what: str, value: str) -> ApiError:
    return ApiError(
        400,
        f"Unknown {what} {value}",
        ENTITY_NOT_FOUND,
        [violation(property_name, f"no {what} with this UUID", constraint="UNKNOWN", value=value)],
    )


class Inventory:
    """The inventory of the sandbox's organization: the wire-agnostic core both API generations
    share (v1 sees the four system locations, v3 every inventory, extra STOREs included)."""

    def __init__(self, store: LedgerStore, *, keyed: bool = True) -> None:
        self.store = store
        self.keyed = keyed
        """v1's ``externalUuid`` deduplicates (``--idempotency keyed``) or not (``none``)."""
        self.inventories: list[Location] = []
        self._all: dict[str, Location] = {}
        self.reload_inventories()
        system: dict[str, Location] = {}
        for loc in self.inventories:
            if loc.type not in system or loc.default:
                system[loc.type] = loc
        self.locations = sorted(system.values(), key=self.inventories.index)
        """The four system locations: what v1 knows."""
        self._by_uuid = {loc.uuid: loc for loc in self.locations}
        self._by_type = system
        self.on_pos_sale: Callable[[Movement, int, bool], None] | None = None
        """Called inside the transaction of every POS sale with its movement, seq and whether the
        traffic simulation made it (the Purchase API turns each sale into a receipt:
        ``sandbox/purchases.py``)."""

    # -- locations ----------------------------------------------------------------------------

    def location(self, uuid: str) -> Location | None:
        """The v1 location with this UUID, if it is ours (one of the four system locations)."""
        return self._by_uuid.get(uuid)

    def location_of_type(self, kind: str) -> Location:
        """The system location of a type (STORE, SUPPLIER, BIN, SOLD); STORE is the default."""
        return self._by_type[kind]

    @property
    def store_location(self) -> Location:
        """The default STORE location (the real stock; POS sales take from it)."""
        return self._by_type["STORE"]

    def reload_inventories(self) -> list[Location]:
        """Read every inventory again (another sandbox process on the file may have added one)."""
        self.inventories = [Location(*row) for row in self.store.locations()]
        self._all = {loc.uuid: loc for loc in self.inventories}
        return self.inventories

    def inventory(self, uuid: str) -> Location | None:
        """The inventory with this UUID (any type, extra STOREs included), if it is ours."""
        found = self._all.get(uuid)
        if found is None:
            found = {loc.uuid: loc for loc in self.reload_inventories()}.get(uuid)
        return found

    def store_inventories(self) -> list[Location]:
        """Every STORE-type inventory, in creation order (the default first)."""
        return [loc for loc in self.reload_inventories() if loc.type == "STORE"]

    def create_inventory(self, name: str, description: str) -> Location:
        """A new (non-default) STORE inventory; 400 beyond :data:`MAX_INVENTORIES`."""
        uuid = str(uuid1())
        with self.store.transaction():
            if len(self.store.locations()) >= MAX_INVENTORIES:
                raise ApiError.bad_request(
                    f"An organization has at most {MAX_INVENTORIES} inventories",
                    [violation("body", "too many inventories", constraint="INVALID_SIZE")],
                )
            self.store.add_location(uuid, "STORE", name, description)
        self.reload_inventories()
        return self._all[uuid]

    # -- reads (rows; each generation shapes its own answer) -----------------------------------

    def product_balances(self, location: Location, product_uuid: str) -> list[BalanceRow]:
        """Non-zero balances of one tracked product in a location; 404 for an unknown product."""
        if not self.store.has_product(product_uuid):
            raise ApiError.not_found(f"Product {product_uuid} not found")
        return self.store.tracked_balances(location.uuid, products=[product_uuid])

    # -- tracking -------------------------------------------------------------------------------

    def start_tracking(self, product_uuid: str) -> list[BalanceRow]:
        """Start tracking; the product's non-zero balances in the default STORE."""
        if not self.store.has_product(product_uuid):
            raise _unknown("productUuid", "product", product_uuid)
        with self.store.transaction():
            self.store.set_tracking(product_uuid, True)
        return self.store.tracked_balances(self.store_location.uuid, products=[product_uuid])

    def stop_tracking(self, product_uuid: str) -> None:
        """Stop tracking: balances stay in the ledger but are hidden until tracking restarts."""
        if not self.store.has_product(product_uuid):
            raise ApiError.not_found(f"Product {product_uuid} not found")
        with self.store.transaction():
            self.store.set_tracking(product_uuid, False)

    # -- v1 writes --------------------------------------------------------------------------------

    def _check_movement(
        self,
        where: str,
        product_uuid: str,
        variant_uuid: str,
        source: str,
        target: str,
        *,
        names: tuple[str, str] = ("fromLocationUuid", "toLocationUuid"),
        known: dict[str, Location] | None = None,
    ) -> None:
        if not self.store.has_product(product_uuid):
            raise _unknown(f"{where}.productUuid", "product", product_uuid)
        owner = self.store.product_of_variant(variant_uuid)
        if owner is None:
            raise _unknown(f"{where}.variantUuid", "variant", variant_uuid)
        if owner != product_uuid:
            raise ApiError.bad_request(
                f"Variant {variant_uuid} does not belong to product {product_uuid}",
                [
                    violation(
                        f"{where}.variantUuid", "variant of another product", value=variant_uuid
                    )
                ],
            )
        places = self._by_uuid if known is None else known
        for name, uuid in zip(names, (source, target), strict=True):
            if uuid not in places:
                raise _unknown(f"{where}.{name}", "location", uuid)
        if source == target:
            raise ApiError.bad_request(
                f"{names[0]} and {names[1]} must differ",
                [violation(f"{where}.{names[1]}", f"same as {names[0]}", value=target)],
            )

    def return_location(self, uuid: str | None) -> Location:
        """v1's ``returnBalanceForLocationUuid`` (default: STORE); 400 for another UUID."""
        if uuid is None:
            return self.store_location
        location = self._by_uuid.get(uuid)
        if location is None:
            raise _unknown("returnBalanceForLocationUuid", "location", uuid)
        return location

    @staticmethod
    def _not_tracked(where: str, product_uuid: str) -> ApiError:
        return ApiError(
            400,
            f"Product {product_uuid} is not tracked; start tracking it before moving stock",
            PRODUCT_NOT_TRACKED,
            [violation(f"{where}.productUuid", "product not tracked", value=product_uuid)],
        )

    def _affected(
        self,
        location: Location,
        variants: list[tuple[str, str]],
        known: dict[tuple[str, str], int],
    ) -> list[BalanceRow]:
        """Balances in ``location`` of the moved variants (``known``: just written ones)."""
        seen: dict[str, str] = {}
        for product_uuid, variant_uuid in variants:
            seen.setdefault(variant_uuid, product_uuid)
        found = {v: known[(location.uuid, v)] for v in seen if (location.uuid, v) in known}
        missing = [v for v in seen if v not in found]
        if missing:
            found.update(self.store.balances_in(location.uuid, missing))
        return [
            BalanceRow(product, variant, found.get(variant, 0)) for variant, product in seen.items()
        ]

    def _record(
        self, moves: list[Movement], wheres: list[str], *, source: str, external: str | None
    ) -> dict[tuple[str, str], int]:
        """Write ``moves`` (inside a transaction) and return the balances they changed; a balance
        beyond 64 bits is a 400."""
        try:
            return self.store.record(moves, source=source, external_uuid=external)
        except BalanceOutOfRange as error:
            where = next(
                (
                    w
                    for w, m in zip(wheres, moves, strict=True)
                    if m.variant_uuid == error.variant_uuid
                ),
                "body",
            )
            kind = self._all[error.location_uuid].type
            raise ApiError.bad_request(
                f"This movement would take the {kind} balance of variant {error.variant_uuid} to "
                f"{error.balance}, beyond what a balance can hold (-2^63 to 2^63-1)",
                [
                    violation(
                        f"{where}.change",
                        "resulting balance out of range",
                        constraint="INVALID_RANGE",
                        value=str(error.balance),
                    )
                ],
            ) from None

    def _replayed(self, external: str | None) -> str | None:
        """The stored reply of an earlier request with this externalUuid, when keyed."""
        if external and self.keyed:
            return self.store.reply_for(external)
        return None

    def _remember(self, external: str | None, body: str) -> None:
        if external and self.keyed:
            self.store.save_reply(external, body)

    def move(
        self,
        moves: Sequence[Movement],
        wheres: Sequence[str],
        *,
        reply_location: Location,
        external: str | None,
        reply: Reply,
    ) -> str:
        """v1's PUT: every change between two of the four locations, or none; the answer is
        ``reply(reply_location, balances of the moved variants)``. With ``externalUuid`` (and
        ``--idempotency keyed``) a repeat answers the first reply and moves nothing."""
        if (stored := self._replayed(external)) is not None:
            return stored
        for where, move in zip(wheres, moves, strict=True):
            self._check_movement(
                where, move.product_uuid, move.variant_uuid, move.from_location, move.to_location
            )
        with self.store.transaction():
            # Read again under the write lock: another sandbox on this file may have applied it.
            if (stored := self._replayed(external)) is not None:
                return stored
            tracked = self.store.tracked_among(m.product_uuid for m in moves)
            for where, move in zip(wheres, moves, strict=True):
                if move.product_uuid not in tracked:
                    raise self._not_tracked(where, move.product_uuid)
            changed = self._record(list(moves), list(wheres), source="api", external=external)
            rows = self._affected(
                reply_location, [(m.product_uuid, m.variant_uuid) for m in moves], changed
            )
            body = reply(reply_location, rows)
            self._remember(external, body)
        return body

    def bulk(
        self,
        steps: Sequence[ProductStep],
        *,
        reply_location: Location,
        external: str | None,
        reply: Reply,
    ) -> str:
        """v1's bulk: per product a tracking change and movements, all in one transaction."""
        if (stored := self._replayed(external)) is not None:
            return stored
        store = self.store
        with store.transaction():
            if (stored := self._replayed(external)) is not None:
                return stored
            moved: list[tuple[str, str]] = []
            changed: dict[tuple[str, str], int] = {}
            for step in steps:
                product_uuid = step.product_uuid
                if not store.has_product(product_uuid):
                    raise _unknown(f"{step.where}.productUuid", "product", product_uuid)
                if step.tracking is not None:
                    store.set_tracking(product_uuid, step.tracking)
                for where, claimed, move in zip(step.wheres, step.claims, step.moves, strict=True):
                    if claimed is not None and claimed != product_uuid:
                        raise ApiError.bad_request(
                            f"{where.rpartition('.')[2]}.productUuid differs from its product",
                            [
                                violation(
                                    f"{where}.productUuid",
                                    "must equal the product's UUID",
                                    value=claimed,
                                )
                            ],
                        )
                    self._check_movement(
                        where,
                        product_uuid,
                        move.variant_uuid,
                        move.from_location,
                        move.to_location,
                    )
                if step.moves and not store.is_tracked(product_uuid):
                    raise self._not_tracked(step.where, product_uuid)
                changed.update(
                    self._record(
                        list(step.moves), list(step.wheres), source="api", external=external
                    )
                )
                moved.extend((m.product_uuid, m.variant_uuid) for m in step.moves)
            rows = self._affected(reply_location, moved, changed)
            body = reply(reply_location, rows)
            self._remember(external, body)
        return body

    # -- v3 writes (wire-agnostic: the routes hand in plain values) ---------------------------

    def move_many(self, moves: Sequence[Movement], identifier: str | None) -> None:
        """``POST /v3/movements``: every movement between any two inventories, or none.

        ``identifier`` is recorded with each ledger row (the echo a webhook would carry) and never
        deduplicates: sending it again moves the stock again."""
        self.reload_inventories()
        wheres = []
        for index, move in enumerate(moves):
            where = f"movements[{index}]"
            self._check_movement(
                where,
                move.product_uuid,
                move.variant_uuid,
                move.from_location,
                move.to_location,
                names=("from", "to"),
                known=self._all,
            )
            wheres.append(where)
        with self.store.transaction():
            tracked = self.store.tracked_among(m.product_uuid for m in moves)
            for where, move in zip(wheres, moves, strict=True):
                if move.product_uuid not in tracked:
                    raise self._not_tracked(where, move.product_uuid)
            self._record(list(moves), wheres, source="api", external=identifier)

    def set_tracking_many(self, changes: Sequence[tuple[str, bool]]) -> None:
        """``POST /v3/products``: start or stop tracking several products at once (idempotent);
        products the Product Library does not know are accepted and ignored."""
        with self.store.transaction():
            for product_uuid, tracked in changes:
                if self.store.has_product(product_uuid):
                    self.store.set_tracking(product_uuid, tracked)

    def set_low_stock_many(
        self, settings: Sequence[tuple[str, str, str, int | None, bool]]
    ) -> None:
        """``POST /v3/custom-low-stock``: ``(inventory, product, variant, level, alert)``; a level
        of None or 0 removes the level (the alert flag is kept). All or none."""
        self.reload_inventories()
        for index, (location, product, variant, _, _) in enumerate(settings):
            where = f"[{index}]"
            if location not in self._all:
                raise _unknown(f"{where}.inventoryUuid", "inventory", location)
            if not self.store.has_product(product):
                raise _unknown(f"{where}.productUuid", "product", product)
            if self.store.product_of_variant(variant) != product:
                raise _unknown(f"{where}.variantUuid", "variant of the product", variant)
        with self.store.transaction():
            for location, product, variant, level, alert in settings:
                self.store.set_low_stock(location, product, variant, level or None, alert)

    # -- point-of-sale simulation ---------------------------------------------------------------

    def pos_sale(
        self, variant_uuid: str, quantity: int, *, simulated: bool = False
    ) -> dict[str, Any]:
        """A POS sale: STORE -> SOLD without externalUuid (source "pos"); may go below zero.
        ``simulated``: rung up by the traffic simulation (not asked for by a test)."""
        product_uuid = self.store.product_of_variant(variant_uuid)
        if product_uuid is None:
            raise ApiError.not_found(f"Variant {variant_uuid} not found")
        move = Movement(
            product_uuid,
            variant_uuid,
            self.store_location.uuid,
            self.location_of_type("SOLD").uuid,
            quantity,
        )
        with self.store.transaction():
            if not self.store.is_tracked(product_uuid):
                raise self._not_tracked("body", product_uuid)
            changed = self._record([move], ["body"], source="pos", external=None)
            seq = self.store.latest
            if self.on_pos_sale is not None:
                self.on_pos_sale(move, seq, simulated)
        balance = changed[(self.store_location.uuid, variant_uuid)]
        return {
            "seq": seq,
            "productUuid": product_uuid,
            "variantUuid": variant_uuid,
            "quantity": quantity,
            "balance": balance,
        }

    def random_sales(self, count: int, rng: random.Random) -> list[dict[str, Any]]:
        """Up to ``count`` POS sales of tracked variants that have stock (1-2 units each)."""
        sales = []
        store_uuid = self.store_location.uuid
        for _ in range(count):
            available = self.store.sellable_count(store_uuid)
            if not available:
                break
            row = self.store.sellable_at(store_uuid, rng.randrange(available))
            if row is None:
                break
            quantity = min(row.balance, 1 if rng.random() < 0.8 else 2)
            sales.append(self.pos_sale(row.variant_uuid, quantity, simulated=True))
        return sales
