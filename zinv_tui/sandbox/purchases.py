"""The sandbox's Purchase API v2 data: receipts in the ledger's own SQLite file.

Every POS sale of the sandbox (``Inventory.pos_sale``: the simulated traffic, ``POST
/sandbox/sales``) becomes a purchase in the **same transaction** as its STORE -> SOLD movement, so
sales history and stock never disagree; the generated history (``sandbox/history.py``) writes both
the same way. Choices where Zettle's docs are silent follow ``zettle-purchases.md`` §13:

- identity ``purchaseUUID1`` (a v1-style UUID) and its deprecated twin ``purchaseUUID`` (base64url
  of the same 16 bytes, no padding);
- order ``(created_ms, purchaseUUID)``, ascending unless ``descending=true``; the cursor
  ``lastPurchaseHash`` = ``str(created_ms) + purchaseUUID`` is **exclusive**;
- ``startDate`` inclusive / ``endDate`` exclusive on ``timestamp`` (UTC); nothing older than three
  years is ever visible;
- a refund is its own purchase (``refund: true``, negative amounts and quantities, positive unit
  prices, ``refundsPurchaseUUID1``); the original then shows ``refunded`` and
  ``refundedByPurchaseUUIDs1``. Refunds are refused beyond 365 days or beyond what is left to
  refund, and return nothing to stock unless asked (a refunded coffee was still made).

The wire text of a purchase is built when it is read; the rows keep what cannot be derived.
"""

from __future__ import annotations

import base64
import itertools
import random
import time
import uuid as uuid_module
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec
from pydantic import BaseModel, ConfigDict, Field

from zinv_tui.sandbox.errors import ApiError
from zinv_tui.sandbox.ids import uuid_v1
from zinv_tui.sandbox.inventory import Inventory
from zinv_tui.sandbox.purchase_wire import (
    STAFF,
    encode_json,
    quantity_text,
    uuid_of_short,
    vat_part,
    wire_purchase,
)
from zinv_tui.sandbox.store import LedgerStore, Movement

_SCHEMA = """
CREATE TABLE IF NOT EXISTS purchases (
    uuid TEXT PRIMARY KEY, short TEXT NOT NULL UNIQUE, created_ms INTEGER NOT NULL,
    timestamp_ms INTEGER NOT NULL, number INTEGER NOT NULL, global_number INTEGER NOT NULL,
    register INTEGER NOT NULL, refund INTEGER NOT NULL, refunds_uuid TEXT,
    amount INTEGER NOT NULL, vat_amount INTEGER NOT NULL, user_name TEXT NOT NULL,
    payment TEXT NOT NULL, products TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS purchases_order ON purchases (created_ms, short);
CREATE INDEX IF NOT EXISTS purchases_refunds ON purchases (refunds_uuid)
    WHERE refunds_uuid IS NOT NULL;
"""

DAY_MS = 86_400_000
VISIBLE_MS = 3 * 365 * DAY_MS
"""Purchases older than three years are not returned (Zettle's documented limit)."""
REFUND_WITHIN_MS = 365 * DAY_MS
MAX_LIMIT = 1000
PAYMENT_TYPES = (
    ("IZETTLE_CARD", 70),
    ("IZETTLE_CASH", 18),
    ("MOBILE_PAY", 4),
    ("PAYPAL", 3),
    ("SWISH", 2),
    ("KLARNA", 1),
    ("GIFTCARD", 2),
)
_rows_of = msgspec.json.Decoder(list[dict[str, Any]]).decode
_PAYMENT_NAMES = [name for name, _ in PAYMENT_TYPES]
_PAYMENT_WEIGHTS = list(itertools.accumulate(weight for _, weight in PAYMENT_TYPES))
CUSTOM_AMOUNTS = (("Cake of the day", 350, 12.0), ("Extra shot", 60, 12.0), ("Delivery", 500, 25.0))


class PurchaseApiSettings(BaseModel):
    """Knobs of the Purchase API (``GET|POST /sandbox/purchases/settings``).

    ``limit_policy``: ``strict`` answers 400 for ``limit`` outside 1-1000, ``clamp`` clamps it.
    ``empty_hashes``: the empty end page ``omit`` s the two hash keys or sends them as ``null``.
    ``duplicate_boundary``: a continued page starts with the record the cursor names (the
    overlap the docs' examples show). ``fail_next``: that many next list reads answer a one-shot
    500 in the shape of Zettle issue #47.
    """

    model_config = ConfigDict(extra="forbid")

    limit_policy: Literal["strict", "clamp"] = "strict"
    empty_hashes: Literal["omit", "null"] = "omit"
    duplicate_boundary: bool = False
    fail_next: int = Field(default=0, ge=0, le=1000)


@dataclass(frozen=True, slots=True)
class VariantInfo:
    """What a receipt row says about a variant (as the catalogue has it)."""

    product_uuid: str
    product_name: str
    variant_name: str
    sku: str
    barcode: str
    price: int
    vat: float


@dataclass(frozen=True, slots=True)
class SaleLine:
    """One row to sell: a variant and a whole quantity (STORE -> SOLD moved elsewhere)."""

    variant_uuid: str
    quantity: int


@dataclass(slots=True)
class NewPurchase:
    """A purchase to write (see :meth:`PurchaseBook.write`)."""

    timestamp_ms: int
    lines: list[SaleLine]
    created_ms: int | None = None
    custom: list[tuple[str, int, float]] = field(default_factory=list)
    """``(name, unit price, VAT %)`` custom-amount rows (no product, no stock)."""
    giftcard: int = 0
    """Amount of a gift card sold in this purchase (0: none)."""


class PurchaseBook:
    """Purchases of the sandbox's organization, in the ledger's database."""

    def __init__(self, store: LedgerStore, store_location: str, sold_location: str, seed: str):
        self.store = store
        self.settings = PurchaseApiSettings()
        self._db = store.connection
        self._db.executescript(_SCHEMA)
        self._store_location = store_location
        self._sold_location = sold_location
        self.rng = random.Random(f"purchases-{seed}")
        self._variants: dict[str, VariantInfo] | None = None
        row = self._db.execute(
            "SELECT COALESCE(MAX(global_number), 0), COUNT(*) FROM purchases"
        ).fetchone()
        self._global_number = int(row[0])
        self._numbers = {
            register: int(number)
            for register, number in self._db.execute(
                "SELECT register, MAX(number) FROM purchases GROUP BY register"
            )
        }

    # -- catalogue ------------------------------------------------------------------------------

    def variants(self) -> dict[str, VariantInfo]:
        """Every variant's receipt text (built once: the catalogue never changes while running)."""
        if self._variants is None:
            found: dict[str, VariantInfo] = {}
            for product, variants in self.store.products_with_variants():
                product_uuid, name, _category, _desc, _unit, vat, _created = product
                for variant_uuid, variant_name, sku, barcode, options_json, price in variants:
                    label = variant_name or " / ".join(
                        option["value"] for option in _rows_of(options_json)
                    )
                    found[variant_uuid] = VariantInfo(
                        product_uuid, name, label, sku or "", barcode or "", price, vat
                    )
            self._variants = found
        return self._variants

    # -- writing --------------------------------------------------------------------------------

    def _new_uuid(self, ms: int) -> str:
        return str(uuid_v1(self.rng, ms / 1000))

    def _new_ids(self, ms: int) -> tuple[str, str]:
        """A new ``purchaseUUID1`` and its ``purchaseUUID`` twin."""
        made = uuid_v1(self.rng, ms / 1000)
        return str(made), base64.urlsafe_b64encode(made.bytes).rstrip(b"=").decode()

    def _payment(self) -> str:
        return self.rng.choices(_PAYMENT_NAMES, cum_weights=_PAYMENT_WEIGHTS)[0]

    def _rows(self, purchase: NewPurchase) -> tuple[list[dict[str, Any]], int, int]:
        variants = self.variants()
        rows: list[dict[str, Any]] = []
        amount = vat_amount = 0
        for index, line in enumerate(purchase.lines):
            info = variants.get(line.variant_uuid)
            if info is None:
                raise ApiError.not_found(f"Variant {line.variant_uuid} not found")
            gross = info.price * line.quantity
            vat = vat_part(gross, info.vat)
            amount += gross
            vat_amount += vat
            row: dict[str, Any] = {
                "quantity": quantity_text(line.quantity),
                "productUuid": info.product_uuid,
                "variantUuid": line.variant_uuid,
                "vatPercentage": info.vat,
                "unitPrice": info.price,
                "rowTaxableAmount": gross - vat,
                "name": info.product_name,
                "variantName": info.variant_name,
                "autoGenerated": False,
                "id": str(index),
                "type": "PRODUCT",
                "libraryProduct": True,
                "fromLocationUuid": self._store_location,
                "toLocationUuid": self._sold_location,
                "details": {},
            }
            if info.sku:
                row["sku"] = info.sku
            if info.barcode:
                row["barcode"] = info.barcode
            rows.append(row)
        for name, price, rate in purchase.custom:
            vat = vat_part(price, rate)
            amount += price
            vat_amount += vat
            rows.append(
                {
                    "quantity": "1",
                    "vatPercentage": rate,
                    "unitPrice": price,
                    "rowTaxableAmount": price - vat,
                    "name": name,
                    "variantName": name,
                    "autoGenerated": False,
                    "id": f"{name}_{price}",
                    "type": "CUSTOM_AMOUNT",
                    "libraryProduct": False,
                    "details": {},
                }
            )
        if purchase.giftcard:
            amount += purchase.giftcard
            rows.append(
                {
                    "quantity": "1",
                    "vatPercentage": 0.0,
                    "unitPrice": purchase.giftcard,
                    "rowTaxableAmount": purchase.giftcard,
                    "name": "Gift card",
                    "variantName": "",
                    "id": "giftcard",
                    "type": "GIFTCARD",
                    "libraryProduct": False,
                    "details": {"giftcardUuid": self._new_uuid(purchase.timestamp_ms)},
                }
            )
        return rows, amount, vat_amount

    def write(self, purchases: Iterable[NewPurchase]) -> list[str]:
        """Insert purchases (inside the caller's transaction); their stock moves elsewhere."""
        records: list[tuple] = []
        made: list[str] = []
        for purchase in purchases:
            rows, amount, vat_amount = self._rows(purchase)
            made.append(self._append(purchase, rows, amount, vat_amount, records))
        self._db.executemany(
            "INSERT INTO purchases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", records
        )
        return made

    def _append(
        self,
        purchase: NewPurchase,
        rows: list[dict[str, Any]],
        amount: int,
        vat_amount: int,
        records: list[tuple],
        refunds: str | None = None,
    ) -> str:
        purchase_uuid, short = self._new_ids(purchase.timestamp_ms)
        register = 1 if self.rng.random() < 0.7 else 2
        self._global_number += 1
        self._numbers[register] = self._numbers.get(register, 0) + 1
        records.append(
            (
                purchase_uuid,
                short,
                purchase.created_ms if purchase.created_ms is not None else purchase.timestamp_ms,
                purchase.timestamp_ms,
                self._numbers[register],
                self._global_number,
                register,
                int(refunds is not None),
                refunds,
                amount,
                vat_amount,
                self.rng.choice(STAFF),
                self._payment(),
                encode_json(rows).decode(),
            )
        )
        return purchase_uuid

    def record_sale(self, move: Movement, seq: int, now_ms: int, *, simulated: bool) -> str:
        """The purchase of one POS sale (called inside its transaction). Simulated traffic also
        rings up a custom amount now and then, and refunds a recent receipt once in a while."""
        extra = NewPurchase(now_ms, [SaleLine(move.variant_uuid, move.change)])
        if simulated and self.rng.random() < 0.05:
            extra.custom.append(self.rng.choice(CUSTOM_AMOUNTS))
        (made,) = self.write([extra])
        if simulated and self.rng.random() < 0.02:
            recent = self._db.execute(
                "SELECT uuid FROM purchases WHERE refund = 0 AND created_ms >= ? AND uuid != ? "
                "ORDER BY created_ms DESC LIMIT 50",
                (now_ms - 2 * DAY_MS, made),
            ).fetchall()
            if recent:
                original = self.rng.choice(recent)[0]
                remaining = self.refundable(original)
                if remaining:
                    variant = self.rng.choice(sorted(remaining))
                    self.refund(original, {variant: 1}, now_ms)
        return made

    # -- refunds --------------------------------------------------------------------------------

    def _row(self, purchase_uuid: str) -> tuple | None:
        return self._db.execute(
            "SELECT uuid, short, created_ms, timestamp_ms, number, global_number, register, "
            "refund, refunds_uuid, amount, vat_amount, user_name, payment, products "
            "FROM purchases WHERE uuid = ?",
            (purchase_uuid,),
        ).fetchone()

    def refundable(self, purchase_uuid: str) -> dict[str, int]:
        """Per variant, how many units of an original purchase are left to refund."""
        row = self._row(purchase_uuid)
        if row is None or row[7]:
            return {}
        left: dict[str, int] = {}
        for product in _rows_of(row[13]):
            if product.get("type") == "PRODUCT":
                variant = product["variantUuid"]
                left[variant] = left.get(variant, 0) + int(product["quantity"])
        for (products,) in self._db.execute(
            "SELECT products FROM purchases WHERE refunds_uuid = ?", (purchase_uuid,)
        ):
            for product in _rows_of(products):
                if product.get("type") == "PRODUCT":
                    variant = product["variantUuid"]
                    left[variant] = left.get(variant, 0) + int(product["quantity"])
        return {variant: count for variant, count in left.items() if count > 0}

    def refund(
        self,
        original_uuid: str,
        lines: dict[str, int] | None,
        now_ms: int,
        *,
        return_to_stock: bool = False,
    ) -> str:
        """Refund some rows of a purchase (all that is left when ``lines`` is None), as a new
        purchase at ``now_ms`` (inside the caller's transaction). ``return_to_stock`` posts the
        units SOLD -> STORE. Raises :class:`ApiError` when it is not allowed."""
        row = self._row(original_uuid)
        if row is None:
            raise ApiError.not_found(f"Purchase {original_uuid} not found")
        if row[7]:
            raise ApiError.bad_request("A refund cannot be refunded")
        if now_ms - row[3] > REFUND_WITHIN_MS:
            raise ApiError.bad_request("Purchases older than 365 days cannot be refunded")
        left = self.refundable(original_uuid)
        wanted = dict(left) if lines is None else dict(lines)
        if not wanted or any(quantity <= 0 for quantity in wanted.values()):
            raise ApiError.bad_request("Nothing to refund: quantities must be above zero")
        for variant, quantity in wanted.items():
            if quantity > left.get(variant, 0):
                raise ApiError.bad_request(
                    f"Cannot refund {quantity} of variant {variant}: "
                    f"{left.get(variant, 0)} left to refund"
                )
        originals = {
            product["variantUuid"]: product
            for product in _rows_of(row[13])
            if product.get("type") == "PRODUCT"
        }
        rows = []
        amount = vat_amount = 0
        for index, (variant, quantity) in enumerate(sorted(wanted.items())):
            source = dict(originals[variant])
            gross = source["unitPrice"] * quantity
            vat = vat_part(gross, source.get("vatPercentage", 0))
            amount -= gross
            vat_amount -= vat
            source.update(
                {
                    "quantity": quantity_text(-quantity),
                    "rowTaxableAmount": -(gross - vat),
                    "id": str(index),
                }
            )
            if return_to_stock:
                source["fromLocationUuid"] = self._sold_location
                source["toLocationUuid"] = self._store_location
            else:
                source.pop("fromLocationUuid", None)
                source.pop("toLocationUuid", None)
            rows.append(source)
        records: list[tuple] = []
        made = self._append(NewPurchase(now_ms, []), rows, amount, vat_amount, records, row[0])
        self._db.executemany(
            "INSERT INTO purchases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", records
        )
        if return_to_stock:
            self.store.record(
                [
                    Movement(
                        originals[variant]["productUuid"],
                        variant,
                        self._sold_location,
                        self._store_location,
                        quantity,
                    )
                    for variant, quantity in sorted(wanted.items())
                ],
                source="refund",
            )
        return made

    # -- reading --------------------------------------------------------------------------------

    def count(self) -> tuple[int, int]:
        """How many purchases and how many of them are refunds."""
        row = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(refund), 0) FROM purchases"
        ).fetchone()
        return int(row[0]), int(row[1])

    def find(self, identifier: str) -> dict[str, Any] | None:
        """One purchase's wire object by ``purchaseUUID1`` (any case) or ``purchaseUUID``."""
        try:
            purchase_uuid: str | None = str(uuid_module.UUID(identifier))
        except ValueError:
            purchase_uuid = uuid_of_short(identifier)
        if purchase_uuid is None:
            return None
        row = self._row(purchase_uuid)
        return None if row is None else self._wire([row])[0]

    def select(
        self,
        *,
        start_ms: int,
        end_ms: int | None,
        after: tuple[int, str] | None,
        inclusive_cursor: bool,
        descending: bool,
        limit: int | None,
    ) -> list[dict[str, Any]]:
        """Wire objects of the purchases with ``start_ms <= timestamp < end_ms``, in cursor order
        after (or, ``inclusive_cursor``, from) ``after = (created_ms, short)``."""
        where = ["timestamp_ms >= ?"]
        params: list[Any] = [start_ms]
        if not descending:
            where.append("created_ms >= ?")  # created is never before the sale: lets the index skip
            params.append(start_ms)
        if end_ms is not None:
            where.append("timestamp_ms < ?")
            params.append(end_ms)
        if after is not None:
            operator = ("<" if descending else ">") + ("=" if inclusive_cursor else "")
            where.append(f"(created_ms, short) {operator} (?, ?)")
            params.extend(after)
        order = "DESC" if descending else "ASC"
        sql = (
            "SELECT uuid, short, created_ms, timestamp_ms, number, global_number, register, "
            "refund, refunds_uuid, amount, vat_amount, user_name, payment, products "
            f"FROM purchases WHERE {' AND '.join(where)} "
            f"ORDER BY created_ms {order}, short {order}"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return self._wire(self._db.execute(sql, params).fetchall())

    def _refunded_by(self, uuids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        found: dict[str, list[tuple[str, str]]] = {}
        for start in range(0, len(uuids), 500):
            chunk = list(uuids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for original, refund, short in self._db.execute(
                f"SELECT refunds_uuid, uuid, short FROM purchases WHERE refunds_uuid IN ({marks}) "
                "ORDER BY created_ms",
                chunk,
            ):
                found.setdefault(original, []).append((refund, short))
        return found

    def _wire(self, rows: Sequence[tuple]) -> list[dict[str, Any]]:
        refunded_by = self._refunded_by([row[0] for row in rows if not row[7]])
        return [wire_purchase(row, refunded_by.get(row[0], ())) for row in rows]


def open_purchase_book(inventory: Inventory, seed: str) -> PurchaseBook:
    """The purchase book of ``inventory``'s database, wired so every POS sale is a receipt."""
    book = PurchaseBook(
        inventory.store,
        inventory.store_location.uuid,
        inventory.location_of_type("SOLD").uuid,
        seed,
    )

    def on_sale(move: Movement, seq: int, simulated: bool) -> None:
        book.record_sale(move, seq, int(time.time() * 1000), simulated=simulated)

    inventory.on_pos_sale = on_sale
    return book
