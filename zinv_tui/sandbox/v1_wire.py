"""v1's JSON, as the documented answers show it: GET reads carry balances as strings (the
"location status" body, one product's variants, the start-tracking answer), PUT and bulk answers
as numbers. Shaped from the core's rows (:class:`~zinv_tui.sandbox.store.BalanceRow`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from zinv_tui.sandbox.inventory import Inventory, Location
from zinv_tui.sandbox.store import BalanceRow


def location_wire(location: Location) -> dict[str, Any]:
    """An entry of ``GET /organizations/{org}/locations``."""
    return {
        "uuid": location.uuid,
        "type": location.type,
        "name": location.name,
        "description": location.description,
        "default": location.default,
    }


def variant_wire(location: Location, row: BalanceRow, *, as_string: bool) -> dict[str, Any]:
    """A balance of the GET reads (``as_string``) or of the PUT answer (a number)."""
    return {
        "locationUuid": location.uuid,
        "locationType": location.type,
        "productUuid": row.product_uuid,
        "variantUuid": row.variant_uuid,
        "balance": str(row.balance) if as_string else row.balance,
    }


def variants_answer(location: Location, rows: Sequence[BalanceRow]) -> dict[str, Any]:
    """``{locationUuid, variants}`` with string balances: one product's read, and the
    start-tracking answer (the doc says it "lists existing inventory balances", like the GETs)."""
    return {
        "locationUuid": location.uuid,
        "variants": [variant_wire(location, row, as_string=True) for row in rows],
    }


def move_reply(location: Location, rows: Sequence[BalanceRow]) -> str:
    """The PUT answer: the moved variants' balances in ``location``, as numbers."""
    return json.dumps(
        {
            "locationUuid": location.uuid,
            "variants": [variant_wire(location, row, as_string=False) for row in rows],
        }
    )


def bulk_reply(location: Location, rows: Sequence[BalanceRow]) -> str:
    """The bulk answer: ``{productUuid, variantUuid, balance}`` per moved variant, numbers."""
    return json.dumps(
        {
            "locationUuid": location.uuid,
            "variants": [
                {"productUuid": r.product_uuid, "variantUuid": r.variant_uuid, "balance": r.balance}
                for r in rows
            ],
        }
    )


class StatusBodies:
    """The "location status" answers of the GET reads, balances as strings; the last full answer
    is kept until the next change (any change moves ``latest``)."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self._full_cache: tuple[tuple[str, int], bytes] = (("", -1), b"")

    def body(
        self,
        location: Location,
        *,
        since: int | None = None,
        products: list[str] | None = None,
    ) -> bytes:
        """Built as text: it can hold 50,000 variants, and UUIDs and integers need no escaping."""
        store = self.inventory.store
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
