"""The one decoder per Zettle v3 payload: inventories, stock rows, tracking status.

v3 answers lists as bare JSON arrays (``zettle-v3.md`` §1.3). They are decoded with msgspec into
small structs, reading only the fields the app needs, bounded as v1's are
(:mod:`zinv_tui.api.v1.balances`): UUIDs are 36-character text, balances and levels whole
numbers that fit in 64 bits, and anything odder (``"42"``, ``9.0``) goes through
:func:`~zinv_tui.values.numbers.parse_whole_number` or is refused with a sentence saying where.

Stock rows (``GET /v3/stock[/{inventory}]``, ``/stock/updates``, the per-product reads) are one
payload: every read of balances decodes them with :func:`decode_stock_rows`. A row carries its
low-stock setting: ``lowStockLevel`` null, absent or 0 is "no level of its own" (v3 deletes a
level by setting it to null or 0); a fractional level is floored (a whole balance is at or below
2.5 exactly when it is at or below 2).
"""

from __future__ import annotations

import math
from typing import Annotated

import msgspec

from zinv_tui.api.v1.balances import Balance, UuidText
from zinv_tui.values.numbers import parse_whole_number

Stamp = Annotated[str, msgspec.Meta(max_length=64)]
"""An ``updated`` time as text (ISO-8601 UTC with milliseconds and ``Z``)."""

Name = Annotated[str, msgspec.Meta(max_length=1000)]


class Inventory(msgspec.Struct, rename="camel", gc=False):
    """One inventory (``GET /v3/inventories``)."""

    inventory_uuid: UuidText
    inventory_type: Annotated[str, msgspec.Meta(max_length=40)]
    name: Name = ""
    default_inventory: bool = False


class StockRow(msgspec.Struct, rename="camel", gc=False):
    """One variant's balance at one inventory, with its low-stock setting (a
    :class:`~zinv_tui.service.backend.LevelledLine`)."""

    inventory_uuid: UuidText
    product_uuid: UuidText
    variant_uuid: UuidText
    balance: Balance
    low_stock_level: Balance | None = None
    low_stock_alert: bool = False
    updated: Stamp | None = None


class TrackingStatus(msgspec.Struct, rename="camel", gc=False):
    """Whether one product's stock is tracked (``POST /v3/products/status``)."""

    product_uuid: UuidText
    enabled: bool = False


class _OddRow(msgspec.Struct, rename="camel", gc=False):
    inventory_uuid: UuidText
    product_uuid: UuidText
    variant_uuid: UuidText
    balance: Balance | float | str
    low_stock_level: Balance | float | str | None = None
    low_stock_alert: bool = False
    updated: Stamp | None = None


class WireError(ValueError):
    """A v3 answer could not be read (bad JSON or wrong shape), with where."""


_inventories = msgspec.json.Decoder(list[Inventory], strict=False)
_rows = msgspec.json.Decoder(list[StockRow], strict=False)
_odd_rows = msgspec.json.Decoder(list[_OddRow], strict=False)
_statuses = msgspec.json.Decoder(list[TrackingStatus], strict=False)


def _unreadable(what: str, error: Exception) -> WireError:
    if isinstance(error, msgspec.DecodeError) and not isinstance(error, msgspec.ValidationError):
        return WireError(f"unreadable {what}: not valid JSON ({error})")
    return WireError(f"unreadable {what}: {error}")


def decode_inventories(payload: bytes | bytearray) -> list[Inventory]:
    """The inventories of ``GET /v3/inventories``; raises :class:`WireError`."""
    try:
        return _inventories.decode(payload)
    except (msgspec.DecodeError, RecursionError) as error:
        raise _unreadable("inventories", error) from None


def decode_tracking(payload: bytes | bytearray) -> list[TrackingStatus]:
    """The answer of ``POST /v3/products/status``; raises :class:`WireError`."""
    try:
        return _statuses.decode(payload)
    except (msgspec.DecodeError, RecursionError) as error:
        raise _unreadable("tracking status", error) from None


def _level(value: int | float | str | None, index: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isfinite(value) and abs(value) < 2.0**63:
        whole = math.floor(value)
    else:
        try:
            whole = parse_whole_number(value)
        except ValueError as error:
            raise WireError(
                f"unreadable stock rows: {error} - at `$[{index}].lowStockLevel`"
            ) from None
    return whole or None


def decode_stock_rows(payload: bytes | bytearray) -> list[StockRow]:
    """One page of stock rows, every balance and level a whole number (a level of 0 is none);
    raises :class:`WireError` saying what is wrong."""
    try:
        rows = _rows.decode(payload)
    except msgspec.ValidationError:
        rows = None
    except (msgspec.DecodeError, RecursionError) as error:  # deeply nested: RecursionError
        raise _unreadable("stock rows", error) from None
    if rows is not None:
        for row in rows:
            if row.low_stock_level == 0:
                row.low_stock_level = None
        return rows
    try:
        odd = _odd_rows.decode(payload)
    except (msgspec.DecodeError, RecursionError) as error:
        raise _unreadable("stock rows", error) from None
    whole: list[StockRow] = []
    for index, line in enumerate(odd):
        try:
            balance = parse_whole_number(line.balance)
        except ValueError as error:
            raise WireError(f"unreadable stock rows: {error} - at `$[{index}].balance`") from None
        whole.append(
            StockRow(
                line.inventory_uuid,
                line.product_uuid,
                line.variant_uuid,
                balance,
                _level(line.low_stock_level, index),
                line.low_stock_alert,
                line.updated,
            )
        )
    return whole
