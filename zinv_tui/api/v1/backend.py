"""The service's backend on Zettle's Inventory API v1 (and the Product Library read).

It implements :class:`~zinv_tui.service.backend.StockBackend` on a
:class:`~zinv_tui.api.client.ZettleClient`. What is v1 about it:

- Places are v1's four system locations (one of each type; the STORE is the only one); reads by
  product and by place go by location type, as v1 documents them.
- A snapshot is ``GET /organizations/self/inventory`` (non-zero STORE balances, the tracked
  products and a ``latest`` cursor) decoded while it arrives; the change feed is the same call
  with ``?since=<latest>``. A cursor Zettle refuses (400, e.g. ``INVALID_CURSOR`` after the
  server's data was reset) is dropped: the service then reads everything.
- A batch is one ``PUT /organizations/self/inventory`` with the batch's key as ``externalUuid``
  (never trusted to deduplicate) and ``returnBalanceForLocationUuid``; an answer naming every
  moved variant's balance there is proof it was applied. A movement above
  :data:`~zinv_tui.service.backend.MOVEMENT_LINE_MAX` goes as several lines of the request.
- Tracking goes through the v2 bulk call, 100 products per request; its status is read from the
  STORE balance answer's tracked products. Low-stock levels are their own read and write.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

from zinv_tui.api.client_backend import ClientBackend
from zinv_tui.api.errors import GenerationMissing, MalformedResponse, RequestRejected, ZettleError
from zinv_tui.api.models import (
    BulkRequest,
    Location,
    LocationType,
    LowStockLevelUpdate,
    MovementRequest,
    ProductChange,
    StockChange,
    TrackingStatusChange,
)
from zinv_tui.api.pipeline import BytesSink
from zinv_tui.api.send_outcome import failed_send
from zinv_tui.api.v1.balances import (
    BalanceFeedError,
    LocationBalances,
    SnapshotStream,
    decode_balances,
)
from zinv_tui.api.v1.low_stock import LocationLowStock
from zinv_tui.service.backend import (
    Applied,
    Capabilities,
    Changes,
    Cursor,
    LowStockLine,
    MovementBatch,
    Place,
    PlaceKind,
    RowKey,
    SendOutcome,
    SinkT,
    SnapshotEnd,
    StoresNotSupported,
    Unknown,
    movement_lines,
)
from zinv_tui.values.open_enums import carried

PRODUCTS_PER_REQUEST = 100
"""Products per read by product, per low-stock write and per tracking change."""


def place_of(location: Location) -> Place:
    """A v1 location as a place (its type is the place's kind)."""
    return Place(
        uuid=str(location.uuid),
        kind=carried(PlaceKind, location.type.value),
        name=location.name,
        default=location.default,
    )


class ZettleV1Backend(ClientBackend):
    """:class:`~zinv_tui.service.backend.StockBackend` on Zettle v1 (see the module doc)."""

    name = "Zettle v1"
    capabilities = Capabilities(levels_on_rows=False, max_batch=500)

    @property
    def change_feed(self) -> ZettleV1Backend:
        return self

    # -- places and balances -------------------------------------------------------------------

    async def places(self) -> list[Place]:
        try:
            locations = await self.client.get_locations()
        except ZettleError as error:
            if error.status in (404, 410):
                raise GenerationMissing(
                    "Zettle does not answer Inventory API v1 here (GET /organizations/self/"
                    f"locations: HTTP {error.status}) - set api_version to auto or v3 "
                    "(--api-version, ZINV_API_VERSION)",
                    status=error.status,
                ) from None
            raise
        return [place_of(location) for location in locations]

    async def create_store(self, name: str) -> Place:
        raise StoresNotSupported()

    async def read_snapshot(
        self, place: Place, new_sink: Callable[[], SinkT]
    ) -> tuple[SinkT, SnapshotEnd]:
        _require_store(place)
        stream = await self.client.get_store_balances_into(lambda: SnapshotStream(new_sink()))
        try:
            answer = stream.finish()
        except BalanceFeedError as error:
            raise MalformedResponse(f"Zettle sent an unreadable answer ({error})") from None
        return stream.lines_to, SnapshotEnd(answer.tracked_products, answer.latest)

    async def changes(self, place: Place, cursor: Cursor) -> Changes | None:
        _require_store(place)
        try:
            sink = await self.client.get_store_balances_into(BytesSink, since=cursor)
        except RequestRejected:
            return None  # the cursor is refused (ahead of the server's data): read everything
        try:
            answer = decode_balances(sink.getvalue())
        except BalanceFeedError as error:
            raise MalformedResponse(f"Zettle sent an unreadable answer ({error})") from None
        return Changes(
            answer.variants, answer.tracked_products, answer.untracked_products, answer.latest
        )

    async def product_balances(self, place: Place, products: Sequence[str]) -> dict[RowKey, int]:
        kind = _location_type(place)
        wanted = list(dict.fromkeys(products))
        balances: dict[RowKey, int] = {}
        for start in range(0, len(wanted), PRODUCTS_PER_REQUEST):
            answer = await self.client.get_balances_for_products(
                wanted[start : start + PRODUCTS_PER_REQUEST], location_type=kind
            )
            for line in answer.variants:
                balances[(line.product_uuid.lower(), line.variant_uuid.lower())] = line.balance
        return balances

    async def place_balances(self, place: Place) -> dict[RowKey, int]:
        answer = await self.client.get_balances_by_type(_location_type(place))
        return {
            (line.product_uuid.lower(), line.variant_uuid.lower()): line.balance
            for line in answer.variants
        }

    # -- movements -----------------------------------------------------------------------------

    def request(self, batch: MovementBatch) -> MovementRequest:
        """The PUT body of ``batch`` (a movement above the line limit as several lines)."""
        return MovementRequest(
            changes=[
                StockChange(
                    product_uuid=UUID(movement.product_uuid),
                    variant_uuid=UUID(movement.variant_uuid),
                    from_location_uuid=UUID(movement.from_place),
                    to_location_uuid=UUID(movement.to_place),
                    change=amount,
                )
                for movement in batch.movements
                for amount in movement_lines(movement.quantity)
            ],
            return_balance_for_location_uuid=(
                UUID(batch.report_place) if batch.report_place else None
            ),
            external_uuid=UUID(batch.key),
        )

    async def send(self, batch: MovementBatch) -> SendOutcome:
        try:
            answer = await self.client.move_stock(self.request(batch))
        except ZettleError as error:
            return failed_send(error)
        balances = _reported(answer, batch.report_place)
        moved = {(m.product_uuid, m.variant_uuid) for m in batch.movements}
        if batch.report_place is None or not moved <= balances.keys():
            # A 2xx without the moved variants' balances (an error body, an empty body, none of
            # them) proves nothing: the service settles it by reading.
            return Unknown(None, answered=True)
        return Applied(balances)

    # -- catalogue and low stock ---------------------------------------------------------------

    async def low_stock(self, place: Place) -> list[LowStockLine]:
        return low_stock_lines(await self.client.get_low_stock_levels(place.uuid))

    async def set_low_stock(
        self, place: Place, keys: Sequence[RowKey], level: int | None, alert: bool
    ) -> None:
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), PRODUCTS_PER_REQUEST):
            updates = [
                LowStockLevelUpdate(
                    product_uuid=UUID(product),
                    variant_uuid=UUID(variant),
                    low_stock_level=level,
                    low_stock_alert=alert,
                )
                for product, variant in wanted[start : start + PRODUCTS_PER_REQUEST]
            ]
            await self.client.set_low_stock_levels(place.uuid, updates)

    # -- tracking and access -------------------------------------------------------------------

    async def set_tracking(self, products: Sequence[str], on: bool) -> None:
        change = TrackingStatusChange.START_TRACKING if on else TrackingStatusChange.STOP_TRACKING
        wanted = list(dict.fromkeys(products))
        for start in range(0, len(wanted), PRODUCTS_PER_REQUEST):
            await self.client.bulk_update(
                BulkRequest(
                    product_changes=[
                        ProductChange(product_uuid=UUID(p), tracking_status_change=change)
                        for p in wanted[start : start + PRODUCTS_PER_REQUEST]
                    ]
                )
            )

    async def tracking(self, products: Sequence[str]) -> dict[str, bool]:
        answer = await self.client.get_store_balances()
        tracked = {uuid.lower() for uuid in answer.tracked_products}
        return {product: product.lower() in tracked for product in products}


def low_stock_lines(answer: LocationLowStock) -> list[LowStockLine]:
    """A location's low-stock answer as the service's lines."""
    return [
        LowStockLine(
            product.product_uuid,
            line.variant_uuid,
            line.custom_low_stock_level,  # type: ignore[arg-type]  # made whole on decoding
            line.low_stock_alert,
        )
        for product in answer.custom_low_stock_levels_for_products
        for line in product.custom_low_stock_level_for_variants
    ]


def _location_type(place: Place) -> LocationType:
    try:
        return LocationType(place.kind.value)
    except ValueError:
        raise ZettleError(f"Zettle v1 can't read the {place.kind.value} location") from None


def _require_store(place: Place) -> None:
    if place.kind is not PlaceKind.STORE:
        raise ZettleError(f"Zettle v1 reads whole snapshots of STORE only, not {place.kind.value}")


def _reported(answer: LocationBalances, place: str | None) -> dict[RowKey, int]:
    """The balances at ``place`` a PUT answer reports, by variant."""
    if place is None:
        return {}
    if answer.location_uuid is not None and answer.location_uuid.lower() != place:
        return {}
    return {
        (line.product_uuid.lower(), line.variant_uuid.lower()): line.balance
        for line in answer.variants
        if line.location_uuid is None or line.location_uuid.lower() == place
    }
