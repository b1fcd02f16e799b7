"""Reading Purchase API v2 answers defensively: one odd purchase never spoils a page.

Zettle documents every purchase field as optional and says more may appear, and third-party
clients broke on each of these (``zettle-purchases.md`` §14): ``quantity`` is a *string* that may
be a decimal (``"0.5"`` kg) or negative (refunds); custom-amount rows have no product or variant
UUID; payment and row types are open enums. So nothing here is a strict model: each purchase is
read field by field, numbers are bounded, a purchase without an id or a readable time is skipped
(and counted), a row that can't be read is skipped (and counted), and unknown keys are ignored.
Only an answer that is not a JSON object with a ``purchases`` list is an error
(:class:`~zinv_tui.api.errors.MalformedResponse`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

import msgspec

from zinv_tui.api.errors import MalformedResponse

PRODUCT = "PRODUCT"
CUSTOM_AMOUNT = "CUSTOM_AMOUNT"
GIFTCARD = "GIFTCARD"

MAX_LINE_QUANTITY = 1_000_000
"""A row whose quantity is beyond this (either sign) is not believed and skipped."""
MAX_AMOUNT = 10**12
"""Minor units; a larger price or amount is dropped (read as unknown)."""
MAX_TEXT = 500
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
"""Purchase times outside these bounds are not believed (the purchase is skipped)."""
MAX_LINES = 10_000
"""Rows read per purchase (a receipt longer than this is cut, and the rest counted as skipped)."""


@dataclass(frozen=True, slots=True)
class PurchaseLine:
    """One row of a receipt. ``quantity`` is signed (negative on refund rows), in stock units;
    ``product_uuid``/``variant_uuid`` are lower-case UUIDs, or None (custom amounts)."""

    type: str
    product_uuid: str | None
    variant_uuid: str | None
    quantity: float
    unit_price: int | None = None
    name: str = ""
    variant_name: str = ""
    sku: str = ""
    barcode: str = ""

    @property
    def is_product(self) -> bool:
        """A row of a library product with a variant: the only kind that counts as demand."""
        return self.type == PRODUCT and self.variant_uuid is not None


@dataclass(frozen=True, slots=True)
class Purchase:
    """One receipt (immutable at Zettle). A refund is its own purchase with ``refund`` set and
    ``refunds_uuid`` naming the original."""

    uuid: str
    timestamp: datetime
    """When it was sold (UTC)."""
    created: datetime | None
    refund: bool
    refunds_uuid: str | None
    amount: int | None
    lines: tuple[PurchaseLine, ...]


@dataclass(frozen=True, slots=True)
class PurchasePage:
    """One answer of ``GET /purchases/v2``: the purchases that could be read, the cursors, and how
    many purchases (``skipped``) and rows (``skipped_lines``) could not."""

    purchases: tuple[Purchase, ...]
    first_hash: str | None = None
    last_hash: str | None = None
    next_url: str | None = None
    skipped: int = 0
    skipped_lines: int = 0
    size: int = 0
    """How many purchases the answer held, readable or not (0: the empty end page)."""


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()[:MAX_TEXT]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)[:MAX_TEXT]
    return ""


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _uuid(value: Any) -> str | None:
    """A lower-case canonical UUID, or None (the canonical form skips ``UUID()``: it is slow)."""
    if not isinstance(value, str) or not 32 <= len(value) <= 40:
        return None
    lowered = value.lower()
    if len(lowered) == 36 and _CANONICAL_UUID.fullmatch(lowered):
        return lowered
    try:
        return str(UUID(value))
    except ValueError:
        return None


def _minor_units(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) <= MAX_AMOUNT else None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value) if abs(value) <= MAX_AMOUNT else None
    if isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            return None
        return number if abs(number) <= MAX_AMOUNT else None
    return None


def parse_quantity(value: Any) -> float | None:
    """A row quantity from ``"2"``, ``"-1"``, ``"0.5"``, ``2`` or ``0.5``; None when unreadable,
    not finite or beyond :data:`MAX_LINE_QUANTITY` (never ``int()`` blindly: ``"0.5"`` exists)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and len(value) <= 40:
        try:
            decimal = Decimal(value.strip())
        except InvalidOperation:
            return None
        if not decimal.is_finite():
            return None
        number = float(decimal)
    else:
        return None
    if not math.isfinite(number) or abs(number) > MAX_LINE_QUANTITY:
        return None
    return number


def parse_time(value: Any) -> datetime | None:
    """A Zettle time (``2021-01-13T21:34:22.069+0000``, ``…Z``, naive = UTC) as aware UTC, or
    None when unreadable or outside :data:`EARLIEST` .. :data:`LATEST`."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if not EARLIEST <= moment < LATEST:
        return None
    return moment


def _line(row: Any) -> PurchaseLine | None:
    if not isinstance(row, dict):
        return None
    quantity = parse_quantity(row.get("quantity"))
    if quantity is None:
        return None
    kind = _text(row.get("type")).upper() or PRODUCT
    return PurchaseLine(
        type=kind,
        product_uuid=_uuid(row.get("productUuid")),
        variant_uuid=_uuid(row.get("variantUuid")),
        quantity=quantity,
        unit_price=_minor_units(row.get("unitPrice")),
        name=_text(row.get("name")),
        variant_name=_text(row.get("variantName")),
        sku=_text(row.get("sku")),
        barcode=_text(row.get("barcode")),
    )


def read_purchase(data: Any) -> tuple[Purchase | None, int]:
    """One purchase object (or None when it has no usable id or time) and its unreadable rows."""
    if not isinstance(data, dict):
        return None, 0
    uuid = _uuid(data.get("purchaseUUID1"))
    timestamp = parse_time(data.get("timestamp"))
    created = parse_time(data.get("created"))
    if timestamp is None:
        timestamp = created
    if uuid is None or timestamp is None:
        return None, 0
    rows = data.get("products")
    lines: list[PurchaseLine] = []
    skipped = 0
    if isinstance(rows, list):
        skipped = max(0, len(rows) - MAX_LINES)
        for row in rows[:MAX_LINES]:
            line = _line(row)
            if line is None:
                skipped += 1
            else:
                lines.append(line)
    refund = data.get("refund") is True
    return (
        Purchase(
            uuid=uuid,
            timestamp=timestamp,
            created=created,
            refund=refund,
            refunds_uuid=_uuid(data.get("refundsPurchaseUUID1")) if refund else None,
            amount=_minor_units(data.get("amount")),
            lines=tuple(lines),
        ),
        skipped,
    )


def _hash(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= 200 else None


def _next_url(links: Any) -> str | None:
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, str) and 'rel="next"' in link and link.startswith("<"):
            end = link.find(">")
            if end > 1:
                return link[1:end]
    return None


def _decode(body: bytes, what: str) -> Any:
    if not body.strip():
        raise MalformedResponse(f"Zettle sent an empty answer to {what} - try again later")
    try:
        return msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError):
        raise MalformedResponse(
            f"Zettle sent an answer to {what} the app can't read (not valid JSON) - try again "
            "later; if it keeps happening, report it"
        ) from None


def read_page(body: bytes) -> PurchasePage:
    """A ``GET /purchases/v2`` answer; :class:`MalformedResponse` only when it is not an object
    with a ``purchases`` list (an absent list with no hash is read as the empty end page)."""
    data = _decode(body, "the purchase list")
    if not isinstance(data, dict):
        raise MalformedResponse(
            "Zettle sent a purchase list the app can't read (not a JSON object) - try again later"
        )
    items = data.get("purchases")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise MalformedResponse(
            "Zettle sent a purchase list the app can't read (purchases is not a list) - try "
            "again later"
        )
    purchases: list[Purchase] = []
    skipped = skipped_lines = 0
    for item in items:
        purchase, bad_rows = read_purchase(item)
        skipped_lines += bad_rows
        if purchase is None:
            skipped += 1
        else:
            purchases.append(purchase)
    return PurchasePage(
        purchases=tuple(purchases),
        first_hash=_hash(data.get("firstPurchaseHash")),
        last_hash=_hash(data.get("lastPurchaseHash")),
        next_url=_next_url(data.get("linkUrls")),
        skipped=skipped,
        skipped_lines=skipped_lines,
        size=len(items),
    )


def read_single(body: bytes) -> Purchase | None:
    """A ``GET /purchase/v2/{uuid}`` answer (the bare purchase), None when unusable."""
    purchase, _ = read_purchase(_decode(body, "the purchase"))
    return purchase
