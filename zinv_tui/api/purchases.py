"""The Purchase API v2 client: every receipt of a time window, page by page, on the shared pipeline.

``GET {purchases_url}/purchases/v2?startDate=…&endDate=…&limit=…&lastPurchaseHash=…`` (scope
``READ:PURCHASE``), read through the same pipeline as every other call (rate limit, token,
retries with backoff on 429/5xx, error mapping). Paging follows ``zettle-purchases.md`` §3.4:
``limit`` is always sent (1-1000); the other parameters stay identical between pages; the loop
stops on an **empty** page, on a page without ``lastPurchaseHash``, on a hash that repeats, or
after ``max_pages``; a short page is never taken as the end. Pages may overlap by one record
and a late upload may repeat a purchase: callers merge by :attr:`Purchase.uuid`.

Without ``READ:PURCHASE`` every call raises :class:`PurchaseScopeMissing` (a
:class:`~zinv_tui.api.errors.PermissionDenied`, so exit code 3) that says how to add the scope;
when the API key lists its scopes, that happens before any request is sent.

    api = client.purchases
    async for page in api.pages(start=datetime(2026, 5, 1, tzinfo=UTC)):
        page.purchases, page.last_hash
    await api.purchase("d71e814c-d705-43e7-ac9c-831449d5fc99")   # one purchase, None if unknown
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

from zinv_tui.api.errors import (
    NotFound,
    PermissionDenied,
    PurchaseScopeMissing,
    TokenExpired,
    ZettleError,
)
from zinv_tui.api.pipeline import RequestPipeline, redact_error
from zinv_tui.api.purchase_wire import Purchase, PurchasePage, read_page, read_single

READ_PURCHASE = "READ:PURCHASE"
PAGE_LIMIT = 1000
"""The documented maximum page size (always sent: without it Zettle answers the whole window)."""
MAX_PAGES = 5_000
"""Pages read by one :meth:`PurchasesApi.pages` call at most (5 million purchases)."""


def format_time(moment: datetime) -> str:
    """A UTC ``startDate``/``endDate`` in a documented form, ``YYYY-MM-DDTHH:mm`` (floored to the
    minute; naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def ceil_minute(moment: datetime) -> datetime:
    """``moment`` rounded up to the next whole minute (for an exclusive ``endDate``)."""
    floored = moment.replace(second=0, microsecond=0)
    return floored if floored == moment else floored + timedelta(minutes=1)


class PurchasesApi:
    """Reads of the Purchase API for one client (``ZettleClient.purchases``)."""

    def __init__(
        self,
        pipeline: RequestPipeline,
        base_url: str,
        key_scopes: Callable[[], Sequence[str]],
    ) -> None:
        self._pipeline = pipeline
        self._base_url = base_url
        self._key_scopes = key_scopes

    def _check_scope(self) -> None:
        scopes = self._key_scopes()
        if scopes and READ_PURCHASE not in scopes:
            raise PurchaseScopeMissing(status=403)

    def _translate(self, error: ZettleError) -> ZettleError:
        """A refusal of a purchase read in the words that fit it (the generic 403 text speaks of
        the product scopes; a 401 that survived a fresh token means the scope is missing)."""
        scopes = self._key_scopes()
        lacks = not scopes or READ_PURCHASE not in scopes
        if isinstance(error, PermissionDenied | TokenExpired) and lacks:
            return PurchaseScopeMissing(
                status=error.status,
                error_type=error.error_type,
                developer_message=error.developer_message,
            )
        return error

    async def _get(self, url: str, params: dict[str, str] | None) -> bytes:
        self._check_scope()
        try:
            _, body = await self._pipeline.read(url, params=params)
        except ZettleError as error:
            raise self._translate(error) from None
        return body

    async def page(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = PAGE_LIMIT,
        last_hash: str | None = None,
        descending: bool = False,
    ) -> PurchasePage:
        """One page of purchases with ``start <= timestamp < end`` (UTC), oldest first unless
        ``descending``, continuing after ``last_hash`` when given."""
        if not 1 <= limit <= PAGE_LIMIT:
            raise ValueError(f"limit must be 1-{PAGE_LIMIT}")
        params: dict[str, str] = {}
        if start is not None:
            params["startDate"] = format_time(start)
        if end is not None:
            params["endDate"] = format_time(ceil_minute(end))
        params["limit"] = str(limit)
        if descending:
            params["descending"] = "true"
        if last_hash:
            params["lastPurchaseHash"] = last_hash
        body = await self._get(f"{self._base_url}/purchases/v2", params)
        try:
            return read_page(body)
        except ZettleError as error:
            raise redact_error(error, self._pipeline.secrets()) from None

    async def pages(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = PAGE_LIMIT,
        last_hash: str | None = None,
        max_pages: int = MAX_PAGES,
    ) -> AsyncIterator[PurchasePage]:
        """Every non-empty page from ``last_hash`` (or the window's start) to the end, oldest
        first. The last page yielded carries the cursor to store (``last_hash``) for next time."""
        seen_hashes: set[str] = set()
        cursor = last_hash
        for _ in range(max_pages):
            page = await self.page(start=start, end=end, limit=limit, last_hash=cursor)
            if page.size == 0:
                return
            yield page
            if not page.last_hash or page.last_hash == cursor or page.last_hash in seen_hashes:
                return
            seen_hashes.add(page.last_hash)
            cursor = page.last_hash

    async def purchase(self, purchase_uuid: str) -> Purchase | None:
        """One purchase by its ``purchaseUUID1`` (``GET /purchase/v2/{uuid}``), None if unknown."""
        try:
            wanted = str(UUID(str(purchase_uuid)))
        except ValueError:
            raise ValueError(f"purchase_uuid must be a UUID, got {purchase_uuid!r}") from None
        try:
            body = await self._get(f"{self._base_url}/purchase/v2/{wanted}", None)
        except NotFound:
            return None
        try:
            return read_single(body)
        except ZettleError as error:
            raise redact_error(error, self._pipeline.secrets()) from None
