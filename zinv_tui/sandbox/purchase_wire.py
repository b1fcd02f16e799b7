"""The wire shape of a sandbox purchase (``zettle-purchases.md`` §5-§7): times, ids, rows, VAT.

Built when a purchase is read, from its stored row (see :mod:`.purchases`): the rows of products
are kept as their wire JSON; everything else (the deprecated base64 twins, payments, grouped VAT,
the refund links) is derived here. Two undocumented keys (``taxationMode``, ``customAmountSale``)
are sent on purpose, so clients prove they ignore what they don't know.
"""

from __future__ import annotations

import base64
import functools
import uuid as uuid_module
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

CURRENCY = "GBP"
COUNTRY = "GB"
REGISTERS = ("Till 1", "Till 2")
STAFF = ("Ana", "Ben", "Chloé", "Dev")
ORGANIZATION_ID = 4_711_000
_CHECKOUTS = uuid_module.UUID("6f1c3a52-0b7e-4d6b-9c3e-2f4a8d5e7b10")
_PAYMENTS = uuid_module.UUID("0b3f5e1c-7a2d-4c9e-8f61-3d2a9b7c5e40")
_decode_rows = msgspec.json.Decoder(list[dict[str, Any]]).decode
encode_json = msgspec.json.Encoder().encode
"""Compact JSON bytes of Python data (pages of a thousand purchases are encoded often)."""


def short_id(purchase_uuid: str) -> str:
    """The deprecated ``purchaseUUID``: base64url of the UUID's 16 bytes, without padding."""
    return base64.urlsafe_b64encode(uuid_module.UUID(purchase_uuid).bytes).rstrip(b"=").decode()


def uuid_of_short(short: str) -> str | None:
    """The ``purchaseUUID1`` of a 22-character ``purchaseUUID``, or None."""
    if len(short) != 22:
        return None
    try:
        return str(uuid_module.UUID(bytes=base64.urlsafe_b64decode(short + "==")))
    except (ValueError, TypeError):
        return None


def wire_time(ms: int) -> str:
    """``2021-01-13T21:34:22.069+0000`` (Zettle's purchase time format)."""
    moment = datetime.fromtimestamp(ms // 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}+0000"


def quantity_text(quantity: float) -> str:
    """``"2"``, ``"-1"``, ``"0.5"``: whole numbers without a decimal point, else minimal."""
    if float(quantity).is_integer():
        return str(int(quantity))
    return f"{quantity:.6f}".rstrip("0").rstrip(".")


def vat_part(gross: int, rate: float) -> int:
    """The VAT inside a gross amount at ``rate`` percent."""
    return round(gross * rate / (100 + rate)) if rate else 0


def payment_uuid(purchase_uuid: str) -> str:
    """The (single) payment of a purchase: derived, so a refund can name its original's."""
    return str(uuid_module.uuid5(_PAYMENTS, purchase_uuid))


@functools.cache
def _register_uuid(register: int) -> str:
    return str(uuid_module.uuid5(uuid_module.NAMESPACE_URL, f"sandbox-till-{register}"))


def wire_purchase(row: Sequence[Any], refunded_by: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The ``GET /purchases/v2`` object of a stored row; ``refunded_by`` = ``(uuid, short)`` of
    the refunds of this purchase, oldest first."""
    (purchase_uuid, short, created_ms, timestamp_ms, number, global_number, register, refund,
     refunds_uuid, amount, vat_amount, user_name, payment, products) = row  # fmt: skip
    rows = _decode_rows(products)
    grouped: dict[str, int] = {}
    for product in rows:
        rate = f"{float(product.get('vatPercentage', 0)):.1f}"
        gross = round(product["unitPrice"] * float(product["quantity"]))
        grouped[rate] = grouped.get(rate, 0) + gross - product.get("rowTaxableAmount", 0)
    sold_at = wire_time(timestamp_ms)
    pay: dict[str, Any] = {
        "uuid": payment_uuid(purchase_uuid),
        "amount": amount,
        "type": payment,
        "createdAt": sold_at,
        "attributes": {},
    }
    wire: dict[str, Any] = {
        "source": "POS",
        "purchaseUUID": short,
        "purchaseUUID1": purchase_uuid,
        "amount": amount,
        "vatAmount": vat_amount,
        "country": COUNTRY,
        "currency": CURRENCY,
        "timestamp": sold_at,
        "created": wire_time(created_ms),
        "purchaseNumber": number,
        "globalPurchaseNumber": global_number,
        "userDisplayName": user_name,
        "userId": 100_000 + (STAFF.index(user_name) if user_name in STAFF else 0),
        "organizationId": ORGANIZATION_ID,
        "products": rows,
        "discounts": [],
        "payments": [pay],
        "groupedVatAmounts": grouped,
        "cashRegister": {
            "displayName": REGISTERS[(register - 1) % len(REGISTERS)],
            "uuid": _register_uuid(register),
        },
        "receiptCopyAllowed": True,
        "published": True,
        "refund": bool(refund),
        "refunded": bool(refunded_by),
        "references": {"checkoutUUID": str(uuid_module.uuid5(_CHECKOUTS, short))},
        "taxationMode": "INCLUSIVE",
        "customAmountSale": any(product.get("type") == "CUSTOM_AMOUNT" for product in rows),
    }
    if refund and refunds_uuid:
        wire["refundsPurchaseUUID1"] = refunds_uuid
        wire["refundsPurchaseUUID"] = short_id(refunds_uuid)
        pay["references"] = {"refundsPayment": payment_uuid(refunds_uuid)}
    if refunded_by:
        wire["refundedByPurchaseUUIDs1"] = [uuid for uuid, _ in refunded_by]
        wire["refundedByPurchaseUUIDs"] = [short for _, short in refunded_by]
    return wire
