"""Zettle's inventory rules on top of the ledger store.

Checks the references of a request (products, variants, locations), tracking, and atomicity;
writes through :class:`~zinv_tui.sandbox.store.LedgerStore`; and shapes the answers exactly as the
docs show them: GET answers carry balances as strings, PUT and bulk answers as numbers.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import uuid1

from zinv_tui.api.models import BulkRequest, MovementRequest
from zinv_tui.sandbox.errors import (
    ENTITY_NOT_FOUND,
    PRODUCT_NOT_TRACKED,
    ApiError,
    violation,
)
from zinv_tui.sandbox.store import BalanceOutOfRange, BalanceRow, LedgerStore, Movement


@dataclass(frozen=True, slots=True)
class Location:
    """One of the four system locations."""

    uuid: str
    type: str
    name: str
    description: str
    default: bool

    def to_wire(self) -> dict[str, Any]:
        """The documented shape of ``GET /organizations/{org}/locations`` entries."""
        return {
            "uuid": self.uuid,
            "type": self.type,
            "name": self.name,
            "description": self.description,
            "default": self.default,
        }


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
        self._full_cache: tuple[tuple[str, int], bytes] = (("", -1), b"")
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
        """A new (non-default) STORE inventory."""
        uuid = str(uuid1())
        with self.store.transaction():
            self.store.add_location(uuid, "STORE", name, description)
        self.reload_inventories()
        return self._all[uuid]

    # -- reads ----------------------------------------------------------------------------------

    def status_body(
        self,
        location: Location,
        *,
        since: int | None = None,
        products: list[str] | None = None,
    ) -> bytes:
        """The "location status" answer of the GET reads, balances as strings.

        Built as text: it can hold 50,000 variants, and UUIDs and integers need no escaping.
        The last full answer is kept until the next change (any change moves ``latest``).
        """
        store = self.store
        latest = store.latest
        full = since is None and products is None
        if full and self._full_cache[0] == (location.uuid, latest):
            return self._full_cache[1]
        rows = store.tracked_balances(location.uuid, since=since, products=products)
        tracked = store.tracked_products(since, among=products)
        head = f'{{"locationUuid":"{location.uuid}","trackedProducts":['
        parts = [head, ",".join(f'"{uuid}"' for uuid in tracked), '],"variants":[']
        prefix = f'{{"locationUuid":"{location.uuid}","locationType":"{location.type}",'
        parts.append(
            ",".join(
                f'{prefix}"productUuid":"{row.product_uuid}","variantUuid":"{row.variant_uuid}",'
                f'"balance":"{row.balance}"}}'
                for row in rows
            )
        )
        parts.append(f'],"latest":{latest}')
        if since is not None:
            untracked = store.untracked_since(since)
            if products is not None:
                wanted = set(products)
                untracked = [uuid for uuid in untracked if uuid in wanted]
            parts.append(',"untrackedProducts":[' + ",".join(f'"{u}"' for u in untracked) + "]")
        parts.append("}")
        body = "".join(parts).encode()
        if full:
            self._full_cache = ((location.uuid, latest), body)
        return body

    def product_status(self, location: Location, product_uuid: str) -> dict[str, Any]:
        """``{locationUuid, variants}`` of one product in one location (strings)."""
        if not self.store.has_product(product_uuid):
            raise ApiError.not_found(f"Product {product_uuid} not found")
        rows = self.store.tracked_balances(location.uuid, products=[product_uuid])
        return {
            "locationUuid": location.uuid,
            "variants": [self._variant_wire(location, row, as_string=True) for row in rows],
        }

    @staticmethod
    def _variant_wire(location: Location, row: BalanceRow, *, as_string: bool) -> dict[str, Any]:
        return {
            "locationUuid": location.uuid,
            "locationType": location.type,
            "productUuid": row.product_uuid,
            "variantUuid": row.variant_uuid,
            "balance": str(row.balance) if as_string else row.balance,
        }

    # -- tracking -------------------------------------------------------------------------------

    def start_tracking(self, product_uuid: str) -> dict[str, Any]:
        """Start tracking; answer the STORE location with the product's non-zero balances.

        The doc says this call "lists existing inventory balances", i.e. it answers like the GET
        reads, so balances are strings here (PUT and bulk answer numbers).
        """
        if not self.store.has_product(product_uuid):
            raise _unknown("productUuid", "product", product_uuid)
        with self.store.transaction():
            self.store.set_tracking(product_uuid, True)
        store = self.store_location
        rows = self.store.tracked_balances(store.uuid, products=[product_uuid])
        return {
            "locationUuid": store.uuid,
            "variants": [self._variant_wire(store, row, as_string=True) for row in rows],
        }

    def stop_tracking(self, product_uuid: str) -> None:
        """Stop tracking: balances stay in the ledger but are hidden until tracking restarts."""
        if not self.store.has_product(product_uuid):
            raise ApiError.not_found(f"Product {product_uuid} not found")
        with self.store.transaction():
            self.store.set_tracking(product_uuid, False)

    # -- writes ---------------------------------------------------------------------------------

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

    def _return_location(self, uuid: str | None) -> Location:
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

    def move(self, request: MovementRequest) -> str:
        """``PUT /organizations/{org}/inventory``: all changes or none; answers with numbers."""
        external = str(request.external_uuid) if request.external_uuid else None
        keyed = bool(external) and self.keyed
        if keyed and external and (stored := self.store.reply_for(external)) is not None:
            return stored
        location = self._return_location(
            str(request.return_balance_for_location_uuid)
            if request.return_balance_for_location_uuid
            else None
        )
        moves = []
        wheres = []
        for index, change in enumerate(request.changes):
            where = f"changes[{index}]"
            move = Movement(
                str(change.product_uuid),
                str(change.variant_uuid),
                str(change.from_location_uuid),
                str(change.to_location_uuid),
                change.change,
            )
            self._check_movement(
                where, move.product_uuid, move.variant_uuid, move.from_location, move.to_location
            )
            moves.append(move)
            wheres.append(where)
        with self.store.transaction():
            # Read again under the write lock: another sandbox on this file may have applied it.
            if keyed and external and (stored := self.store.reply_for(external)) is not None:
                return stored
            tracked = self.store.tracked_among(m.product_uuid for m in moves)
            for where, move in zip(wheres, moves, strict=True):
                if move.product_uuid not in tracked:
                    raise self._not_tracked(where, move.product_uuid)
            changed = self._record(moves, wheres, source="api", external=external)
            rows = self._affected(
                location, [(m.product_uuid, m.variant_uuid) for m in moves], changed
            )
            body = json.dumps(
                {
                    "locationUuid": location.uuid,
                    "variants": [self._variant_wire(location, r, as_string=False) for r in rows],
                }
            )
            if keyed and external:
                self.store.save_reply(external, body)
        return body

    def bulk(self, request: BulkRequest) -> str:
        """``POST /organizations/{org}/v2/inventory/bulk``: tracking and movements at once."""
        external = str(request.external_uuid) if request.external_uuid else None
        keyed = bool(external) and self.keyed
        if keyed and external and (stored := self.store.reply_for(external)) is not None:
            return stored
        location = self._return_location(
            str(request.return_balance_for_location_uuid)
            if request.return_balance_for_location_uuid
            else None
        )
        store = self.store
        with store.transaction():
            if keyed and external and (stored := store.reply_for(external)) is not None:
                return stored
            moved: list[tuple[str, str]] = []
            changed: dict[tuple[str, str], int] = {}
            for p_index, product_change in enumerate(request.product_changes):
                product_uuid = str(product_change.product_uuid)
                where = f"productChanges[{p_index}]"
                if not store.has_product(product_uuid):
                    raise _unknown(f"{where}.productUuid", "product", product_uuid)
                status = product_change.tracking_status_change.value
                if status == "START_TRACKING":
                    store.set_tracking(product_uuid, True)
                elif status == "STOP_TRACKING":
                    store.set_tracking(product_uuid, False)
                moves = []
                wheres = []
                for v_index, change in enumerate(product_change.variant_changes):
                    v_where = f"{where}.variantChanges[{v_index}]"
                    if change.product_uuid is not None and str(change.product_uuid) != product_uuid:
                        raise ApiError.bad_request(
                            f"variantChanges[{v_index}].productUuid differs from its product",
                            [
                                violation(
                                    f"{v_where}.productUuid",
                                    "must equal the product's UUID",
                                    value=str(change.product_uuid),
                                )
                            ],
                        )
                    move = Movement(
                        product_uuid,
                        str(change.variant_uuid),
                        str(change.from_location_uuid),
                        str(change.to_location_uuid),
                        change.change,
                    )
                    self._check_movement(
                        v_where,
                        product_uuid,
                        move.variant_uuid,
                        move.from_location,
                        move.to_location,
                    )
                    moves.append(move)
                    wheres.append(v_where)
                if moves and not store.is_tracked(product_uuid):
                    raise self._not_tracked(where, product_uuid)
                changed.update(self._record(moves, wheres, source="api", external=external))
                moved.extend((m.product_uuid, m.variant_uuid) for m in moves)
            rows = self._affected(location, moved, changed)
            body = json.dumps(
                {
                    "locationUuid": location.uuid,
                    "variants": [
                        {
                            "productUuid": r.product_uuid,
                            "variantUuid": r.variant_uuid,
                            "balance": r.balance,
                        }
                        for r in rows
                    ],
                }
            )
            if keyed and external:
                store.save_reply(external, body)
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
