"""The service's backend on Zettle's Inventory API v3 (and the Product Library read).

It implements :class:`~zinv_tui.service.backend.StockBackend` on a
:class:`~zinv_tui.api.client.ZettleClient` (its ``v3`` calls). What is v3 about it
(``zettle-v3.md``):

- Places are v3's inventories, each by UUID; there may be several STORE ones (the one marked
  ``defaultInventory`` is the default). Every read names the inventory by UUID.
- A snapshot is ``GET /v3/stock/{inventory}``, page after page as the ``Link`` header leads, each
  page handed to the sink as it is decoded; rows carry their low-stock setting
  (``levels_on_rows``) but not which products are tracked (the service asks :meth:`tracking`).
- The change feed is the undocumented ``GET /v3/stock/updates?ts=``: rows whose ``updated`` is
  after ``ts``. The cursor is a time on the *server's* clock (its ``Date`` header, never this
  computer's), taken when an answer began and moved back by :data:`FEED_OVERLAP` so that a
  change committed while a read was under way is not missed; rows seen twice carry absolute
  balances, so reading them again is harmless. When the feed answers 404, 410 or 501 it is
  absent for the rest of the session (:attr:`change_feed` None): the sync engine then reads
  whole snapshots, paced, within the client's 4 requests per second.
- A batch is one ``POST /v3/movements`` with the batch's key as ``identifier``: an echo for
  webhooks, never trusted to deduplicate. Its 204 carries no balances and proves nothing on its
  own: the outcome is *unknown, answered*, and the service reads the moved variants before
  anything else is sent, as for any unknown outcome (:mod:`zinv_tui.service.outcome`). A
  violation naming ``movements[i]`` blames that movement alone.
- Tracking: ``POST /v3/products`` (enable/disable) and ``POST /v3/products/status``; low-stock
  levels are written as one flat list to ``POST /v3/custom-low-stock`` and read from the rows.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from zinv_tui.api.client import ZettleClient
from zinv_tui.api.client_backend import ClientBackend
from zinv_tui.api.errors import GenerationMissing, MalformedResponse, RequestRejected, ZettleError
from zinv_tui.api.send_outcome import failed_send
from zinv_tui.api.v3.calls import server_time, stamp
from zinv_tui.api.v3.wire import Inventory, StockRow
from zinv_tui.service.backend import (
    Capabilities,
    Changes,
    Cursor,
    LowStockLine,
    MovementBatch,
    Place,
    PlaceKind,
    Refused,
    RowKey,
    SendOutcome,
    SinkT,
    SnapshotEnd,
    Unknown,
    movement_lines,
)
from zinv_tui.values.open_enums import carried

log = logging.getLogger(__name__)

FEED_OVERLAP = timedelta(seconds=3)
"""How far before an answer's server time the next read of the feed starts."""

FEED_ABSENT = frozenset({404, 410, 501})
"""Answers of ``/v3/stock/updates`` that mean this Zettle has no such feed."""

MAX_MOVEMENT_LINES = 1000
"""Lines one ``POST /v3/movements`` takes at most (the sandbox's and clients' cap)."""

_MOVEMENT_INDEX = re.compile(r"^\s*movements\[(\d+)\]")


def place_of(inventory: Inventory) -> Place:
    """A v3 inventory as a place (its type is the place's kind)."""
    return Place(
        uuid=inventory.inventory_uuid.lower(),
        kind=carried(PlaceKind, inventory.inventory_type),
        name=inventory.name,
        default=inventory.default_inventory,
    )


class ZettleV3Backend(ClientBackend):
    """:class:`~zinv_tui.service.backend.StockBackend` on Zettle v3 (see the module doc)."""

    name = "Zettle v3"
    capabilities = Capabilities(levels_on_rows=True, max_batch=500, several_stores=True)

    def __init__(self, client: ZettleClient) -> None:
        super().__init__(client)
        self.api = client.v3
        self.feed_absent = False
        """The updates feed answered that it does not exist (this session reads snapshots)."""

    @property
    def change_feed(self) -> ZettleV3Backend | None:
        return None if self.feed_absent else self

    # -- places and balances -------------------------------------------------------------------

    async def places(self) -> list[Place]:
        try:
            inventories = await self.api.inventories()
        except ZettleError as error:
            if error.status in (404, 410):
                raise GenerationMissing(
                    f"Zettle does not answer Inventory API v3 here (GET /v3/inventories: HTTP "
                    f"{error.status}) - set api_version to auto or v1 (--api-version, "
                    "ZINV_API_VERSION)",
                    status=error.status,
                ) from None
            raise
        return [place_of(inventory) for inventory in inventories]

    async def create_store(self, name: str) -> Place:
        created = await self.api.create_inventory(name)
        places = await self.places()
        for place in places:
            if place.uuid == created:
                return place
        stores = [p for p in places if p.kind is PlaceKind.STORE and p.name == name]
        if created is None and stores:
            return stores[-1]  # no Location: the newest store of that name
        raise MalformedResponse(
            f"Zettle said it created the store {name!r} but does not list it - look again in a "
            "moment; if it is missing, report it"
        )

    async def read_snapshot(
        self, place: Place, new_sink: Callable[[], SinkT]
    ) -> tuple[SinkT, SnapshotEnd]:
        sink = new_sink()
        began: datetime | None = None
        newest: str | None = None
        async for rows, response in self.api.stock_pages(place.uuid):
            if began is None:
                began = server_time(response)
            newest = _newest(rows, newest)
            sink.take(_at(rows, place))
        return sink, SnapshotEnd(None, _cursor(began, newest))

    async def changes(self, place: Place, cursor: Cursor) -> Changes | None:
        lines: list[StockRow] = []
        began: datetime | None = None
        newest: str | None = None
        try:
            async for rows, response in self.api.update_pages(str(cursor), place.uuid):
                if began is None:
                    began = server_time(response)
                newest = _newest(rows, newest)
                lines.extend(_at(rows, place))
        except ZettleError as error:
            if error.status in FEED_ABSENT:
                log.warning(
                    "Zettle v3 has no stock updates feed (HTTP %s): reading whole snapshots",
                    error.status,
                )
                self.feed_absent = True
                return None
            if isinstance(error, RequestRejected):
                return None  # the cursor is refused: read everything
            raise
        moved_on = _cursor(began, newest)
        if moved_on is not None and moved_on <= str(cursor):
            moved_on = None  # never go back
        return Changes(lines, cursor=moved_on)

    async def product_balances(self, place: Place, products: Sequence[str]) -> dict[RowKey, int]:
        wanted = list(dict.fromkeys(product.lower() for product in products))
        rows = await self.api.products_stock(place.uuid, wanted)
        return {
            (row.product_uuid.lower(), row.variant_uuid.lower()): row.balance
            for row in _at(rows, place)
        }

    async def place_balances(self, place: Place) -> dict[RowKey, int]:
        return {
            (row.product_uuid.lower(), row.variant_uuid.lower()): row.balance
            for row in _at(await self.api.stock(place.uuid), place)
        }

    # -- movements -----------------------------------------------------------------------------

    def lines(self, batch: MovementBatch) -> tuple[list[dict[str, Any]], list[str]]:
        """The request's movement lines (a movement above the line limit as several lines), and
        which movement each line belongs to."""
        lines: list[dict[str, Any]] = []
        owners: list[str] = []
        for movement in batch.movements:
            for amount in movement_lines(movement.quantity):
                lines.append(
                    {
                        "productUuid": movement.product_uuid,
                        "variantUuid": movement.variant_uuid,
                        "change": amount,
                        "from": movement.from_place,
                        "to": movement.to_place,
                    }
                )
                owners.append(movement.key)
        return lines, owners

    async def send(self, batch: MovementBatch) -> SendOutcome:
        lines, owners = self.lines(batch)
        if len(lines) > MAX_MOVEMENT_LINES and len(batch.movements) > 1:
            error = RequestRejected(
                f"Too many movement lines for one request ({len(lines)}, at most "
                f"{MAX_MOVEMENT_LINES})"
            )
            return Refused(error.words(), error)  # nothing was sent: the service splits it
        try:
            await self.api.move(batch.key, lines)
        except ZettleError as error:
            return failed_send(error, lambda refused: _blamed(refused, owners))
        # A 2xx (documented: 204, no body) proves nothing by itself: settled by reading.
        return Unknown(None, answered=True)

    # -- catalogue and low stock ---------------------------------------------------------------

    async def low_stock(self, place: Place) -> list[LowStockLine]:
        return [
            LowStockLine(
                row.product_uuid, row.variant_uuid, row.low_stock_level, row.low_stock_alert
            )
            for row in _at(await self.api.stock(place.uuid), place)
            if row.low_stock_level is not None or row.low_stock_alert
        ]

    async def set_low_stock(
        self, place: Place, keys: Sequence[RowKey], level: int | None, alert: bool
    ) -> None:
        await self.api.set_low_stock(
            [
                {
                    "inventoryUuid": place.uuid,
                    "productUuid": product,
                    "variantUuid": variant,
                    "lowStockLevel": level,
                    "lowStockAlert": alert,
                }
                for product, variant in dict.fromkeys(keys)
            ]
        )

    # -- tracking and access -------------------------------------------------------------------

    async def set_tracking(self, products: Sequence[str], on: bool) -> None:
        await self.api.set_tracking(list(dict.fromkeys(products)), on)

    async def tracking(self, products: Sequence[str]) -> dict[str, bool]:
        wanted = list(dict.fromkeys(products))
        enabled = {
            status.product_uuid.lower()
            for status in await self.api.tracking(wanted)
            if status.enabled
        }
        return {product: product.lower() in enabled for product in products}


def _at(rows: list[StockRow], place: Place) -> list[StockRow]:
    """The rows of ``place`` (a server that ignores a filter must not mix inventories)."""
    uuid = place.uuid
    if all(row.inventory_uuid == uuid for row in rows):
        return rows
    return [row for row in rows if row.inventory_uuid.lower() == uuid]


def _newest(rows: list[StockRow], newest: str | None) -> str | None:
    """The latest ``updated`` among ``rows`` and ``newest`` (ISO-8601 UTC text sorts by time)."""
    stamps = [row.updated for row in rows if row.updated]
    if not stamps:
        return newest
    top = max(stamps)
    return top if newest is None or top > newest else newest


def _cursor(began: datetime | None, newest: str | None) -> str | None:
    """Where the feed goes on from: the server's time when the read began, less the overlap;
    without a ``Date`` header, the newest row's time less the overlap (None: no rows either)."""
    if began is not None:
        return stamp(began - FEED_OVERLAP)
    if newest is None:
        return None
    try:
        moment = datetime.fromisoformat(newest.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp(moment - FEED_OVERLAP)


def _blamed(error: ZettleError, owners: list[str]) -> frozenset[str] | None:
    """The movements a refusal's violations name (``movements[3].change``), or None."""
    blamed: set[str] = set()
    for violation in error.violations:
        match = _MOVEMENT_INDEX.match(violation.property_name or "")
        if match is None:
            return None
        index = int(match.group(1))
        if index >= len(owners):
            return None
        blamed.add(owners[index])
    return frozenset(blamed) or None
