"""Pydantic models of Zettle v1's request bodies, locations, errors and tokens.

These are pure data: no HTTP, no local state. The client builds its requests with them and reads
locations, error bodies and tokens; the sandbox reads requests with the same models. They accept
the documented inconsistencies (a number as ``"42"``, ``42`` or ``"9.0"``, unknown fields, missing
optional fields) and reject what is truly malformed with a clear error. The big answers (balances,
low-stock levels, the Product Library) are read by the msgspec decoders in
:mod:`zinv_tui.api.v1`, one decoder per payload.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any
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

from zinv_tui.values.numbers import LARGEST_WHOLE_NUMBER, parse_whole_number
from zinv_tui.values.open_enums import carried

__all__ = ["LARGEST_WHOLE_NUMBER", "carried", "parse_whole_number"]  # re-exported (the sandbox)


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


PositiveQuantity = Annotated[int, BeforeValidator(parse_whole_number), AfterValidator(_positive)]
"""The ``change`` of a movement: a whole number above zero."""

LowStockQuantity = Annotated[
    int, BeforeValidator(parse_whole_number), AfterValidator(_not_negative)
]
"""A low-stock level: a whole number, zero or more."""


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
