"""What every Inventory API generation's backend does the same way on one :class:`ZettleClient`:
the Product Library (one generation for both), the key's write scope, the command deadline and
closing. ``ZettleV1Backend`` and ``ZettleV3Backend`` build on :class:`ClientBackend`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from zinv_tui.api.client import ZettleClient
from zinv_tui.api.errors import MalformedResponse
from zinv_tui.api.v1.catalogue import CatalogueError, CatalogueStream, ProductSink

SinkT = TypeVar("SinkT", bound=ProductSink)


async def read_catalogue(
    client: ZettleClient, etag: str | None, new_sink: Callable[[], SinkT]
) -> tuple[SinkT | None, str | None]:
    """``(sink filled with every product, new ETag)``, or ``(None, etag)`` when the list did not
    change since ``etag``. An unreadable list raises :class:`MalformedResponse`."""
    stream, new_etag = await client.get_products_into(
        lambda: CatalogueStream(new_sink()), etag=etag
    )
    if stream is None:
        return None, new_etag
    try:
        return stream.finish(), new_etag
    except CatalogueError as error:
        raise MalformedResponse(
            f"Zettle sent a product list the app can't read ({error})"
        ) from None


class ClientBackend:
    """The parts of a backend that do not depend on the Inventory API generation."""

    def __init__(self, client: ZettleClient) -> None:
        self.client = client

    async def catalogue(
        self, etag: str | None, new_sink: Callable[[], SinkT]
    ) -> tuple[SinkT | None, str | None]:
        return await read_catalogue(self.client, etag, new_sink)

    async def write_access(self) -> bool | None:
        info = await self.client.fetch_token_info(fresh=False)
        if not info.scopes:
            return None
        return "WRITE:PRODUCT" in info.scopes

    def set_deadline(
        self, seconds: float | None, extended: Callable[[float], object] | None = None
    ) -> None:
        self.client.set_deadline(seconds, extended)

    async def aclose(self) -> None:
        await self.client.aclose()
