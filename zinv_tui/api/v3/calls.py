"""Zettle Inventory API v3 calls on the client's request pipeline (``client.v3``).

Every request takes the road of :mod:`zinv_tui.api.pipeline` (token, rate limit, retries, error
mapping, redaction); every answer is decoded by :mod:`zinv_tui.api.v3.wire`. Paths and shapes
follow ``zettle-v3.md`` §3; lowercase ``/v3`` on the inventory host.

Paging (§1.5): a list answer may carry ``Link: <url>; rel="next"``; the next page is that URL,
called verbatim (its query is not rebuilt), until an answer has no such link. Nothing is ever
cut short: a link to another host (the bearer token would go with it), a link seen before (the
pages go round) or more than :data:`MAX_PAGES` pages is an error, never a silent end. The first
request asks for :data:`PAGE_LIMIT` rows (the most v3 allows).

Retries: reads, tracking changes and low-stock writes set absolute states and are repeated
freely; ``POST /v3/movements`` is repeated only when Zettle provably did not act on it (its
``identifier`` is an echo, never an idempotency key).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx

from zinv_tui.api.errors import MalformedResponse, ZettleError
from zinv_tui.api.pipeline import RequestPipeline, redact_error
from zinv_tui.api.responses import decode_body
from zinv_tui.api.v3.wire import (
    Inventory,
    StockRow,
    TrackingStatus,
    decode_inventories,
    decode_stock_rows,
    decode_tracking,
)

T = TypeVar("T")

PAGE_LIMIT = 1000
"""Rows asked for per page (v3 allows 1-1000, default 100)."""

MAX_PAGES = 100_000
"""Pages one read follows at most (100 million rows): beyond, the answer is taken as broken."""

ITEMS_PER_REQUEST = 1000
"""Array items per v3 request at most (tracking, status, low stock)."""

PRODUCTS_PER_READ = 100
"""Products per ``POST /v3/stock/{inventory}/products`` (their rows nearly always fit one page of
1000; when they do not, the read is split)."""

_LINK = re.compile(r"<([^>]*)>([^,<]*)")
_INVENTORY_IN_URL = re.compile(r"/inventories/([0-9a-fA-F-]{36})/?$")


def _is_next(params: str) -> bool:
    """Whether a link's parameters (``; rel="next"``) say it is the next page."""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "rel" and "next" in value.strip().strip('"').lower().split():
            return True
    return False


def next_link(response: httpx.Response) -> str | None:
    """The ``rel="next"`` URL of an answer's ``Link`` header(s), resolved against the request's
    URL when relative; None when there is none."""
    for header in response.headers.get_list("link"):
        for match in _LINK.finditer(header):
            if _is_next(match.group(2)):
                return urljoin(str(response.request.url), str(match.group(1)).strip())
    return None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def server_time(response: httpx.Response) -> datetime | None:
    """The server's clock when it answered (its ``Date`` header), or None."""
    text = response.headers.get("date")
    if not text:
        return None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def stamp(moment: datetime) -> str:
    """``moment`` as v3 writes ``updated``: ISO-8601 UTC with milliseconds and ``Z``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class InventoryV3Api:
    """v3 calls for one client (``ZettleClient.v3``)."""

    def __init__(self, pipeline: RequestPipeline, inventory_url: str) -> None:
        self._pipeline = pipeline
        self.base = f"{inventory_url}/v3"
        self.page_limit = PAGE_LIMIT
        """Rows asked for per page (fewer in tests, to see many pages of a small shop)."""

    def _decode(
        self, response: httpx.Response, body: bytes, decode: Callable[[bytes], T], what: str
    ) -> T:
        try:
            return decode_body(body, decode, what=what, status=response.status_code)
        except ZettleError as error:  # scrub anything echoing a secret
            raise redact_error(error, self._pipeline.secrets()) from None

    async def pages(
        self,
        url: str,
        decode: Callable[[bytes], list[T]],
        what: str,
        params: dict[str, str] | None = None,
    ) -> AsyncIterator[tuple[list[T], httpx.Response]]:
        """Every page of a list read, in order, with its answer (for its headers)."""
        first = _origin(url)
        seen: set[str] = set()
        page_params: dict[str, str] | None = {"limit": str(self.page_limit), **(params or {})}
        next_url: str | None = url
        while next_url is not None:
            if len(seen) >= MAX_PAGES:
                raise MalformedResponse(
                    f"Zettle's answer to {what} goes on for more than {MAX_PAGES:,} pages - "
                    "try again; if it keeps happening, report it"
                )
            response, body = await self._pipeline.read(next_url, params=page_params)
            items = self._decode(response, body, decode, what)
            del body
            yield items, response
            page_params = None  # the link is followed verbatim
            link = next_link(response)
            if link is None:
                return
            if _origin(link) != first:
                raise MalformedResponse(
                    f"Zettle's answer to {what} points to its next page on another host "
                    f"({urlsplit(link).hostname}) - the app does not follow it; report it"
                )
            if link in seen or link == url:
                raise MalformedResponse(
                    f"Zettle's pages of {what} go round in a circle - try again; if it keeps "
                    "happening, report it"
                )
            seen.add(link)
            next_url = link

    async def _all(
        self, url: str, decode: Callable[[bytes], list[T]], what: str, **params: str
    ) -> list[T]:
        found: list[T] = []
        async for items, _ in self.pages(url, decode, what, params):
            found.extend(items)
        return found

    # -- inventories ------------------------------------------------------------------------------

    async def inventories(self) -> list[Inventory]:
        """Every inventory of the organization (STORE ones, SUPPLIER, SOLD, BIN)."""
        return await self._all(f"{self.base}/inventories", decode_inventories, "GET inventories")

    async def create_inventory(self, name: str, description: str = "") -> str | None:
        """Create a STORE inventory (``POST /v3/inventories``) once, never repeated when it may
        have been made (a second store of the same name would follow); its UUID from the
        ``Location`` header (None: the answer did not say, re-list the inventories)."""
        response = await self._post(
            f"{self.base}/inventories",
            {"name": name, "description": description},
            repeatable=False,
        )
        found = _INVENTORY_IN_URL.search(response.headers.get("location", ""))
        return found.group(1).lower() if found else None

    # -- balances ---------------------------------------------------------------------------------

    def stock_pages(self, inventory: str) -> AsyncIterator[tuple[list[StockRow], httpx.Response]]:
        """The pages of one inventory's balances (``GET /v3/stock/{inventory}``)."""
        return self.pages(f"{self.base}/stock/{inventory}", decode_stock_rows, "GET stock")

    def update_pages(
        self, since: str, inventory: str
    ) -> AsyncIterator[tuple[list[StockRow], httpx.Response]]:
        """The pages of balances changed after ``since`` (``GET /v3/stock/updates?ts=``;
        undocumented: it may answer 404)."""
        return self.pages(
            f"{self.base}/stock/updates",
            decode_stock_rows,
            "GET stock updates",
            {"ts": since, "inventoryUuid": inventory},
        )

    async def stock(self, inventory: str) -> list[StockRow]:
        """Every balance of one inventory."""
        rows: list[StockRow] = []
        async for page, _ in self.stock_pages(inventory):
            rows.extend(page)
        return rows

    async def product_stock(self, inventory: str, product: str) -> list[StockRow]:
        """One product's balances in one inventory (``GET /v3/stock/{inv}/products/{p}``)."""
        return await self._all(
            f"{self.base}/stock/{inventory}/products/{product}",
            decode_stock_rows,
            "GET product stock",
        )

    async def products_stock(self, inventory: str, products: Sequence[str]) -> list[StockRow]:
        """Some products' balances in one inventory (``POST /v3/stock/{inv}/products``, a read;
        :data:`PRODUCTS_PER_READ` products per request). An answer that does not fit one page
        (it has a ``Link``) is read again in halves, down to one product read by ``GET``."""
        rows: list[StockRow] = []
        for start in range(0, len(products), PRODUCTS_PER_READ):
            rows.extend(
                await self._some_products(inventory, products[start : start + PRODUCTS_PER_READ])
            )
        return rows

    async def _some_products(self, inventory: str, products: Sequence[str]) -> list[StockRow]:
        if len(products) == 1:
            return await self.product_stock(inventory, products[0])
        response = await self._post(
            f"{self.base}/stock/{inventory}/products",
            list(products),
            repeatable=True,
            params={"limit": str(self.page_limit)},
            write=False,
        )
        if next_link(response) is None:
            return self._decode(response, response.content, decode_stock_rows, "a read")
        half = len(products) // 2
        return [
            *await self._some_products(inventory, products[:half]),
            *await self._some_products(inventory, products[half:]),
        ]

    # -- writes and tracking ----------------------------------------------------------------------

    async def _post(
        self,
        url: str,
        body: Any,
        *,
        repeatable: bool,
        params: dict[str, str] | None = None,
        write: bool = True,
    ) -> httpx.Response:
        return await self._pipeline.request(
            "POST", url, json_body=body, params=params, repeatable=repeatable, write=write
        )

    async def move(self, identifier: str, movements: list[dict[str, Any]]) -> httpx.Response:
        """``POST /v3/movements`` once: repeated only when Zettle provably did not act on it;
        any other failure raises with ``outcome_unknown`` set when it may have been applied."""
        return await self._post(
            f"{self.base}/movements",
            {"identifier": identifier, "movements": movements},
            repeatable=False,
        )

    async def set_tracking(self, products: Sequence[str], on: bool) -> None:
        """Switch tracking on or off (``POST /v3/products``; idempotent)."""
        change = "enable" if on else "disable"
        for start in range(0, len(products), ITEMS_PER_REQUEST):
            body = [
                {"productUuid": product, "tracking": change}
                for product in products[start : start + ITEMS_PER_REQUEST]
            ]
            await self._post(f"{self.base}/products", body, repeatable=True)

    async def tracking(self, products: Sequence[str]) -> list[TrackingStatus]:
        """Tracking status of these products (``POST /v3/products/status``, a read)."""
        found: list[TrackingStatus] = []
        for start in range(0, len(products), ITEMS_PER_REQUEST):
            body = list(products[start : start + ITEMS_PER_REQUEST])
            response = await self._post(
                f"{self.base}/products/status", body, repeatable=True, write=False
            )
            found.extend(
                self._decode(response, response.content, decode_tracking, "the tracking status")
            )
        return found

    async def set_low_stock(self, settings: Sequence[dict[str, Any]]) -> None:
        """Set or clear low-stock levels (``POST /v3/custom-low-stock``; absolute, repeatable)."""
        for start in range(0, len(settings), ITEMS_PER_REQUEST):
            await self._post(
                f"{self.base}/custom-low-stock",
                list(settings[start : start + ITEMS_PER_REQUEST]),
                repeatable=True,
            )
