"""The Product Library's product list, read the same way whichever Inventory API generation is in
use (the library has one generation): streamed into a sink, with its ETag."""

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
