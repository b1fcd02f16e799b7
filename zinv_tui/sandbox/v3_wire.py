"""v3's JSON (zettle-v3.md §2): inventories, stock rows with ``updated`` and ``checksum``, and the
``ts`` of the undocumented updates feeds. Balances are JSON integers; lists are bare arrays."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from zinv_tui.sandbox.errors import ApiError, violation
from zinv_tui.sandbox.inventory import Location
from zinv_tui.sandbox.store import StockRow

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OFFSET_WITH_SPACE = re.compile(r" (\d\d:?\d\d)$")
"""``+02:00`` sent unencoded in a query arrives as `` 02:00``."""


def inventory_wire(location: Location) -> dict[str, Any]:
    """One Inventory object."""
    return {
        "inventoryUuid": location.uuid,
        "inventoryType": location.type,
        "name": location.name,
        "description": location.description,
        "defaultInventory": location.default,
    }


def checksum(row: StockRow) -> str:
    """CRC32 (decimal text) over the row's inventory, variant, balance, low-stock setting and
    ``updated``: opaque to clients, different whenever one of them changes (C25)."""
    level = "" if row.low_stock_level is None else str(row.low_stock_level)
    alert = "true" if row.low_stock_alert else "false"
    text = f"{row.location_uuid}:{row.variant_uuid}:{row.balance}:{level}:{alert}:{row.updated}"
    return str(zlib.crc32(text.encode()))


def stock_rows_json(organization_uuid: str, rows: Iterable[StockRow]) -> bytes:
    """A bare array of stock rows, built as text (UUIDs, integers and timestamps need no
    escaping)."""
    head = f'{{"organizationUuid":"{organization_uuid}","inventoryUuid":"'
    parts = []
    for row in rows:
        level = "null" if row.low_stock_level is None else str(row.low_stock_level)
        alert = "true" if row.low_stock_alert else "false"
        parts.append(
            f'{head}{row.location_uuid}","productUuid":"{row.product_uuid}",'
            f'"variantUuid":"{row.variant_uuid}","balance":{row.balance},'
            f'"lowStockLevel":{level},"lowStockAlert":{alert},"updated":"{row.updated}",'
            f'"checksum":"{checksum(row)}"}}'
        )
    return ("[" + ",".join(parts) + "]").encode()


def millis_text(moment: datetime) -> str:
    """``moment`` as ``updated`` shows it: ISO-8601 UTC, milliseconds, ``Z``."""
    utc = moment.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
        f"{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )


def parse_ts(text: str) -> str:
    """``ts``: ISO-8601 (with or without milliseconds, ``Z``, an offset, or naive = UTC) or epoch
    milliseconds, as ``updated`` text cut to milliseconds (what "strictly after" compares)."""
    value = text.strip()
    moment: datetime | None = None
    if 0 < len(text) <= 64 and value and value.isascii():
        if value.isdigit():
            if len(value) <= 15:
                moment = _EPOCH + timedelta(milliseconds=int(value))
        else:
            try:
                moment = datetime.fromisoformat(_OFFSET_WITH_SPACE.sub(r"+\1", value))
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    if moment is None:
        raise ApiError.bad_request(
            "ts must be an ISO-8601 date-time (like 2026-01-01T12:00:00.000Z) or epoch "
            "milliseconds",
            [violation("ts", "not a date-time", constraint="MUST_MATCH_PATTERN", value=text)],
        )
    try:
        return millis_text(moment)
    except (OverflowError, ValueError):
        raise ApiError.bad_request(
            "ts is out of range", [violation("ts", "out of range", value=text)]
        ) from None
