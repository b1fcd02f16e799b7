"""Pydantic models of the Zettle Inventory and Product Library shapes.

These are pure data: no HTTP, no local state. The sandbox reuses them to read requests, the client
to read answers. They accept the documented inconsistencies (a balance as ``"42"``, ``42`` or
``"9.0"``, unknown fields, missing optional fields) and reject what is truly malformed with a clear
error.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
)
from pydantic.alias_generators import to_camel

LARGEST_WHOLE_NUMBER = 2**63 - 1
"""The largest balance or level the app reads: Zettle's numbers fit in 64 signed bits."""

MAX_NUMBER_TEXT = 40
"""The longest text read as a number: a 64-bit number, its sign, ``.0`` and spaces fit easily."""

MAX_EXPONENT = 20
"""The largest exponent in ``"5E3"``-style text (a 64-bit number has 19 digits)."""

_NUMBER_TEXT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]{1,4})?")
"""ASCII digits only: ``int()`` and ``Decimal()`` also read other scripts' digits (``"١٢"``)."""


def _bounded(number: int, value: Any) -> int:
    if -LARGEST_WHOLE_NUMBER - 1 <= number <= LARGEST_WHOLE_NUMBER:
        return number
    raise ValueError(f"expected a whole number that fits in 64 bits, got {_shown(value)}")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 50 else text[:47] + "..."


def parse_whole_number(value: Any) -> int:
    """Read a whole number from ``42``, ``"42"``, ``"9.0"`` or ``9.0``; refuse anything else.

    The text and the size are checked *before* any conversion, so an absurd value (``"1e1000000"``,
    a million digits) is refused at once instead of being expanded; every answer fits in 64 bits.
    """
    if isinstance(value, bool):
        raise ValueError("expected a whole number, got a boolean")
    if isinstance(value, int):
        return _bounded(value, value)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(f"expected a whole number, got {value!r}")
        if abs(value) >= 2.0**63:
            raise ValueError(f"expected a whole number that fits in 64 bits, got {value!r}")
        return int(value)
    if isinstance(value, str):
        if len(value) > MAX_NUMBER_TEXT:
            raise ValueError(f"expected a whole number, got {len(value):,} characters")
        text = value.strip(" \t\r\n")
        if not _NUMBER_TEXT.fullmatch(text):
            raise ValueError(f"expected a whole number, got {_shown(value)}")
        mantissa, _, exponent = text.lower().partition("e")
        if exponent and abs(int(exponent)) > MAX_EXPONENT:
            raise ValueError(f"expected a whole number that fits in 64 bits, got {_shown(value)}")
        if not exponent and "." not in mantissa:
            return _bounded(int(mantissa), value)
        number = Decimal(text)
        if number != number.to_integral_value():
            raise ValueError(f"expected a whole number, got {_shown(value)}")
        return _bounded(int(number), value)
    raise ValueError(f"expected a whole number, got {type(value).__name__}")


def _positive(value: int) -> int:
    if value <= 0:
        raise ValueError(
            "must be a positive whole number (movements always move a positive amount)"
        )
    return value


def _not_negative(value: int) -> int:
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


WholeNumber = Annotated[int, BeforeValidator(parse_whole_number)]
"""A balance as Zettle sends it: ``42``, ``"42"`` or ``"9.0"``; may be negative."""

PositiveQuantity = Annotated[int, BeforeValidator(parse_whole_number), AfterValidator(_positive)]
"""The ``change`` of a movement: a whole number above zero."""

LowStockQuantity = Annotated[
    int, BeforeValidator(parse_whole_number), AfterValidator(_not_negative)
]
"""A low-stock level: a whole number, zero or more."""

Cursor = Annotated[int | str, Field(union_mode="left_to_right")]
"""The ``latest`` / ``since`` position of the change feed: opaque, passed back verbatim."""


class ZettleModel(BaseModel):
    """Base: camelCase on the wire, snake_case in Python, unknown fields ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict Zettle expects: camelCase keys, ``None`` fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class LocationType(StrEnum):
    """The four system locations of a Zettle inventory."""

    STORE = "STORE"
    SUPPLIER = "SUPPLIER"
    BIN = "BIN"
    SOLD = "SOLD"


E = TypeVar("E", bound=StrEnum)
_CARRIED_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


def carried(kind: type[E], value: Any) -> E:
    """``kind(value)``; for a name a later version (or Zettle) added, such as a ``WAREHOUSE``
    location, a stand-in member of ``kind`` that carries it: equal to its text, never listed by
    iterating ``kind``. Anything that is not such a name raises ``ValueError``."""
    try:
        return kind(value)
    except ValueError:
        if not isinstance(value, str) or not _CARRIED_NAME.fullmatch(value):
            raise
    member = str.__new__(kind, value)
    member._name_ = value
    member._value_ = value
    return member


def _reported_location_type(value: Any) -> Any:
    text = _upper(value)
    return carried(LocationType, text) if isinstance(text, str) else text


LocationTypeField = Annotated[LocationType, BeforeValidator(_upper)]
ReportedLocationType = Annotated[LocationType, BeforeValidator(_reported_location_type)]
"""A location type in Zettle's answers: one added later (``WAREHOUSE``) is carried, not refused."""


class Location(ZettleModel):
    """One entry of ``GET /organizations/{org}/locations`` (a bare JSON array of these)."""

    uuid: UUID
    type: ReportedLocationType
    name: str = ""
    description: str = ""
    default: bool = False


class VariantBalance(ZettleModel):
    """One variant's balance in one location."""

    location_uuid: UUID | None = None
    location_type: ReportedLocationType | None = None
    product_uuid: UUID
    variant_uuid: UUID
    balance: WholeNumber


class LocationBalances(ZettleModel):
    """The "location status" answer of the balance reads, start tracking, PUT and bulk.

    ``tracked_products`` and ``latest`` are absent from some answers. ``untracked_products`` is a
    sandbox extension of the incremental feed (products whose tracking stopped since the cursor);
    real Zettle never sends it and clients must not rely on it being present.
    """

    location_uuid: UUID | None = None
    tracked_products: list[UUID] = Field(default_factory=list)
    variants: list[VariantBalance] = Field(default_factory=list)
    latest: Cursor | None = None
    untracked_products: list[UUID] = Field(default_factory=list)


class StockChange(ZettleModel):
    """One line of ``PUT /organizations/{org}/inventory``: move ``change`` units elsewhere."""

    product_uuid: UUID
    variant_uuid: UUID
    from_location_uuid: UUID
    to_location_uuid: UUID
    change: PositiveQuantity


class MovementRequest(ZettleModel):
    """Body of ``PUT /organizations/{org}/inventory``."""

    changes: list[StockChange] = Field(min_length=1)
    return_balance_for_location_uuid: UUID | None = None
    external_uuid: UUID | None = None


class StartTrackingRequest(ZettleModel):
    """Body of ``POST /organizations/{org}/inventory``."""

    product_uuid: UUID


class TrackingStatusChange(StrEnum):
    """What the bulk endpoint does to a product's tracking."""

    START_TRACKING = "START_TRACKING"
    STOP_TRACKING = "STOP_TRACKING"
    NO_CHANGE = "NO_CHANGE"


class VariantChange(ZettleModel):
    """A movement inside a bulk product change (``productUuid`` optional: the product gives it)."""

    product_uuid: UUID | None = None
    variant_uuid: UUID
    from_location_uuid: UUID
    to_location_uuid: UUID
    change: PositiveQuantity


class ProductChange(ZettleModel):
    """One product of a bulk request: a tracking change and/or movements of its variants."""

    product_uuid: UUID
    tracking_status_change: Annotated[TrackingStatusChange, BeforeValidator(_upper)] = (
        TrackingStatusChange.NO_CHANGE
    )
    variant_changes: list[VariantChange] = Field(default_factory=list)


class BulkRequest(ZettleModel):
    """Body of ``POST /organizations/{org}/v2/inventory/bulk``."""

    product_changes: list[ProductChange] = Field(min_length=1)
    return_balance_for_location_uuid: UUID | None = None
    external_uuid: UUID | None = None


class BalancesForProductsRequest(ZettleModel):
    """Body of ``POST /organizations/{org}/inventory/products`` (a read, despite the verb)."""

    location_type: LocationTypeField = LocationType.STORE
    product_uuids: list[UUID] = Field(min_length=1)


class LowStockLevelUpdate(ZettleModel):
    """Write shape of a low-stock level. ``low_stock_level=None`` with ``low_stock_alert=False``
    is the default, which Zettle treats as "no custom level" (the record is removed)."""

    product_uuid: UUID
    variant_uuid: UUID
    low_stock_level: LowStockQuantity | None = None
    low_stock_alert: bool = False

    def to_wire(self) -> dict[str, Any]:
        """Keep ``lowStockLevel: null`` explicit: it is how a level is cleared."""
        return self.model_dump(mode="json", by_alias=True)


class LowStockLevelsUpdate(ZettleModel):
    """Body of ``POST /custom-low-stock/locations/{locationUuid}`` (set many)."""

    requests: list[LowStockLevelUpdate] = Field(min_length=1)

    def to_wire(self) -> dict[str, Any]:
        return {"requests": [item.to_wire() for item in self.requests]}


class LowStockVariantRef(ZettleModel):
    """One ``(product, variant)`` pair of a bulk low-stock delete."""

    product_uuid: UUID
    variant_uuid: UUID


class LowStockDeleteRequest(ZettleModel):
    """Body of ``POST /custom-low-stock/locations/{locationUuid}/delete``."""

    requests: list[LowStockVariantRef] = Field(min_length=1)


class VariantLowStock(ZettleModel):
    """Read shape: a variant's custom level (``5.0`` on the wire) and alert flag."""

    variant_uuid: UUID
    custom_low_stock_level: WholeNumber | None = None
    low_stock_alert: bool = False


class ProductLowStock(ZettleModel):
    """Read shape of ``GET /custom-low-stock/v2/locations/{loc}/products/{product}``."""

    product_uuid: UUID
    custom_low_stock_level_for_variants: list[VariantLowStock] = Field(default_factory=list)


class LocationLowStock(ZettleModel):
    """Read shape of ``GET /custom-low-stock/v2/locations/{loc}``."""

    organization_uuid: UUID | None = None
    location_uuid: UUID | None = None
    custom_low_stock_levels_for_products: list[ProductLowStock] = Field(default_factory=list)


class Violation(ZettleModel):
    """One field-level complaint inside a Zettle error body."""

    property_name: str | None = None
    developer_message: str | None = None
    constraint_type: str | None = None
    expected: str | None = None
    value: str | None = None


class ErrorBody(ZettleModel):
    """Zettle's error body: ``{developerMessage, errorType, violations}``."""

    developer_message: str = ""
    error_type: str | None = None
    violations: list[Violation] = Field(default_factory=list)


class OAuthErrorBody(BaseModel):
    """RFC 6749 §5.2 error of the token endpoint."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    error: str
    error_description: str | None = None


MAX_TOKEN_LIFETIME = 20 * 366 * 86_400
"""Seconds; a longer ``expires_in`` (``1e300``) is not a lifetime any clock can add."""


class TokenResponse(BaseModel):
    """Answer of ``POST /token``. The token is a :class:`SecretStr` so it never shows in a repr."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    access_token: SecretStr
    expires_in: int = Field(gt=0, le=MAX_TOKEN_LIFETIME)
    token_type: str | None = None
    scope: str | None = None


class VariantOption(ZettleModel):
    """A variant's option value, e.g. ``{"name": "Size", "value": "M"}``."""

    name: str = ""
    value: str = ""


class ProductVariant(ZettleModel):
    """A variant of the Product Library (``VariantDTO``); only ``uuid`` is required."""

    uuid: UUID
    name: str | None = None
    sku: str | None = None
    barcode: str | None = None
    options: list[VariantOption] | None = None

    @property
    def label(self) -> str:
        """What to call this variant on screen: its name, else its option values joined."""
        if self.name and self.name.strip():
            return self.name.strip()
        return " / ".join(option.value for option in self.options or () if option.value)


class Product(ZettleModel):
    """A product of the Product Library (``ProductResponse``), reduced to what the app shows."""

    uuid: UUID
    name: str = ""
    variants: list[ProductVariant] = Field(default_factory=list)
    etag: str | None = None
    unit_name: str | None = None
