"""``ZettleClient``: typed async calls for the Zettle Inventory API and the Product Library read.

One ``httpx.AsyncClient`` per client, explicit timeouts, a shared token, a client-side rate limiter
and retries (see :mod:`zinv_tui.api.pipeline` for the rules). Every organization path uses the
``organization`` setting: ``"self"`` (the key's own organization) or an organization UUID.

Choices where the documentation is ambiguous:

- Store balances are read from ``GET /organizations/{org}/inventory`` (the docs print ``GET
  /inventory`` without the organization prefix, unlike every other path). If that answers 404 for
  ``self``, the client falls back to the documented ``/inventory`` once and keeps using it.
- By-type balances use the documented ``/inventory/locations/?type=STORE`` (trailing slash, upper
  case).
- The ``latest`` cursor is opaque: whatever came back is passed back as ``since`` verbatim.
- Write answers (start tracking, PUT movements, bulk) may come back empty or ``204``: an empty
  :class:`~zinv_tui.api.v1.balances.LocationBalances` is returned rather than an error. For a stock
  movement that is no proof it was applied: the backend checks that the answer names every moved
  variant, else the service reads.
- Balances, low-stock levels and the Product Library are read by the msgspec decoders of
  :mod:`zinv_tui.api.v1` (the same ones the app's backend uses): one decoder per payload.
- A stock movement is never repeated blindly, ``externalUuid`` or not: it is repeated only when
  Zettle provably did not act on it (429, a connection never made, a 401). Otherwise the error goes
  up with ``outcome_unknown`` set, and the caller decides by reading the stock (see
  :mod:`zinv_tui.service.outbox`): the server is never trusted to deduplicate.
- Balances are parsed as whole numbers whether sent as ``"42"``, ``42`` or ``"9.0"``.
"""

from __future__ import annotations

import functools
import random
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Self, TypeVar
from uuid import UUID

import httpx
from pydantic import SecretStr, TypeAdapter

from zinv_tui import __version__
from zinv_tui.api.apikey import ApiKeyClaims, claims_from_payload, decode_jwt_payload, read_scopes
from zinv_tui.api.auth import AssertionGrant, TokenInfo
from zinv_tui.api.endpoints import ApiEndpoints
from zinv_tui.api.errors import ApiKeyRejected, NotFound, ZettleError
from zinv_tui.api.models import (
    BalancesForProductsRequest,
    BulkRequest,
    Location,
    LocationType,
    LowStockDeleteRequest,
    LowStockLevelsUpdate,
    LowStockLevelUpdate,
    LowStockVariantRef,
    MovementRequest,
    StartTrackingRequest,
)
from zinv_tui.api.pipeline import BytesSink, RequestPipeline, SinkT, redact_error
from zinv_tui.api.purchases import PurchasesApi
from zinv_tui.api.ratelimit import ZETTLE_REQUESTS_PER_SECOND, RateLimiter, zettle_limiter
from zinv_tui.api.responses import decode_body, parse_body
from zinv_tui.api.retry import RetryPolicy
from zinv_tui.api.stats import ClientStats
from zinv_tui.api.v1.balances import (
    LocationBalances,
    StoreBalances,
    decode_balances,
    decode_location_balances,
)
from zinv_tui.api.v1.catalogue import decode_products
from zinv_tui.api.v1.low_stock import (
    LocationLowStock,
    ProductLevels,
    decode_low_stock,
    decode_product_low_stock,
)
from zinv_tui.api.v3.calls import InventoryV3Api
from zinv_tui.values.catalogue import CatalogueProduct

T = TypeVar("T")

_LOCATIONS = TypeAdapter(list[Location])

UuidLike = UUID | str


@dataclass(frozen=True, slots=True)
class ProductsPage:
    """Answer of the Product Library read: the products, or ``not_modified`` for a 304."""

    products: list[CatalogueProduct] | None
    etag: str | None
    not_modified: bool


def _uuid(value: UuidLike, what: str) -> str:
    try:
        return str(value if isinstance(value, UUID) else UUID(str(value)))
    except ValueError:
        raise ValueError(f"{what} must be a UUID, got {value!r}") from None


def _organization(value: str | UUID) -> str:
    if isinstance(value, str) and value.strip().lower() == "self":
        return "self"
    return _uuid(value, "organization")


@functools.cache
def tls_context(*, trust_env: bool = True) -> ssl.SSLContext:
    """httpx's default TLS context (certifi's CAs, or ``SSL_CERT_FILE``/``SSL_CERT_DIR`` with
    ``trust_env``), made once per process: loading the CA bundle costs ~30 ms of CPU, which
    every new client paid again."""
    return httpx.create_ssl_context(trust_env=trust_env)


class ZettleClient:
    """Async client for one merchant's Zettle inventory. Use ``async with`` or :meth:`aclose`.

    ``api_key`` is the merchant's key (``client_id`` is read from it unless given);
    ``organization`` is ``"self"`` or an organization UUID; ``timeout`` bounds every connect, read,
    write and pool wait (and four times it a whole attempt); ``max_retries`` repeats allowed after
    the first try; ``requests_per_second`` feeds the client-side limiter (``None`` turns it off,
    e.g. for the local sandbox; see :func:`~zinv_tui.api.ratelimit.zettle_limiter`). Keyword-only
    knobs tune the limiter's ``burst`` (requests saved up) and the backoff
    (``backoff_base`` seconds doubling per retry up to ``backoff_cap``, full jitter), the longest
    ``Retry-After`` sat out (``max_retry_after``) and the connection pool.
    """

    def __init__(
        self,
        api_key: str | SecretStr,
        endpoints: ApiEndpoints | None = None,
        client_id: str | None = None,
        organization: str | UUID = "self",
        timeout: float = 15.0,
        max_retries: int = 4,
        requests_per_second: float | None = ZETTLE_REQUESTS_PER_SECOND,
        *,
        burst: float | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 10.0,
        max_retry_after: float = 60.0,
        retry_rng: random.Random | None = None,
        max_connections: int = 8,
    ) -> None:
        if not timeout > 0:
            raise ValueError("timeout must be above zero seconds")
        # Keys are pasted: surrounding spaces and newlines are never part of one.
        raw_key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        secret = SecretStr(raw_key.strip())
        self.endpoints = endpoints or ApiEndpoints()
        self.organization = _organization(organization)
        self.timeout = float(timeout)
        self.stats = ClientStats()
        self._org_path = f"{self.endpoints.inventory_url}/organizations/{self.organization}"
        self._store_balances_url = f"{self._org_path}/inventory"
        trust_env = not self.endpoints.is_loopback

        def http() -> httpx.AsyncClient:
            """The connection pool, made by the first request (TLS context included)."""
            return httpx.AsyncClient(
                timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                headers={"User-Agent": f"zinv-tui/{__version__}", "Accept": "application/json"},
                limits=httpx.Limits(
                    max_connections=max_connections, max_keepalive_connections=max_connections
                ),
                follow_redirects=False,
                # Proxy settings from the environment apply to Zettle, never to the local sandbox.
                trust_env=trust_env,
                verify=tls_context(trust_env=trust_env),
            )

        policy = RetryPolicy(
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            max_retry_after=max_retry_after,
            rng=retry_rng or random.Random(),
        )
        self.limiter: RateLimiter | None = (
            zettle_limiter(requests_per_second, burst) if requests_per_second else None
        )
        """The client-side rate limiter (None: off); its ``waited`` says how long it held calls."""
        self._pipeline = RequestPipeline(
            http,  # made by the first request (see RequestPipeline)
            policy=policy,
            stats=self.stats,
            limiter=self.limiter,
            timeout=self.timeout,
            # A guard against answers that trickle in: no single attempt may take longer than this.
            attempt_deadline=self.timeout * 4,
            key_scopes=self._key_scopes,
        )
        self._grant = AssertionGrant(
            secret,
            f"{self.endpoints.oauth_url}/token",
            self._pipeline.post_form,
            client_id=client_id,
        )
        self._pipeline.grant = self._grant
        self.purchases = PurchasesApi(
            self._pipeline, self.endpoints.purchases_url, self._key_scopes
        )
        """The Purchase API (sales history; scope ``READ:PURCHASE``) on the same pipeline."""
        self.v3 = InventoryV3Api(self._pipeline, self.endpoints.inventory_url)
        """Zettle's Inventory API v3 (``/v3/...``) on the same pipeline."""

    def __repr__(self) -> str:
        return (
            f"ZettleClient(organization={self.organization!r}, "
            f"inventory_url={self.endpoints.inventory_url!r})"
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections and forget the access token."""
        self._grant.forget()
        await self._pipeline.aclose()

    def set_deadline(
        self, seconds: float | None, extended: Callable[[float], object] | None = None
    ) -> None:
        """Let every call end within ``seconds`` from now (None: lift the limit): retries stop and
        a slow answer is cut short in time, each with its own error (a command's whole time
        limit). The client's own pacing under the rate limit is not counted: the deadline moves
        on by it, and ``extended`` hears by how much (see :mod:`zinv_tui.api.pipeline`)."""
        self._pipeline.limit_to(seconds, extended)

    # -- identity ---------------------------------------------------------------------------------

    def _key_scopes(self) -> tuple[str, ...]:
        try:
            return self._grant.claims.scopes
        except ApiKeyRejected:
            return ()

    async def fetch_token_info(self, *, fresh: bool = True) -> TokenInfo:
        """Sign in afresh (proving the key works now) and say who the key speaks for;
        ``fresh=False``: on the token already held, if it is still good (no second sign-in).

        The organization and scopes come from the key's claims; where the key does not say (an
        opaque key with an explicit client id), from the token endpoint's ``scope`` and the access
        token's own payload, read but never trusted for anything else.
        """
        token = await (self._grant.renew() if fresh else self._grant.token())
        key_claims = self._grant.claims
        token_claims = _token_claims(token) or ApiKeyClaims()
        scopes = read_scopes(self._grant.granted_scope) or key_claims.scopes or token_claims.scopes
        expires_at = self._grant.expires_at
        assert expires_at is not None  # renew() or token() stored a token
        return TokenInfo(
            organization_uuid=key_claims.organization_uuid or token_claims.organization_uuid,
            client_id=self._grant.client_id,
            scopes=scopes,
            expires_at=expires_at,
        )

    # -- plumbing ---------------------------------------------------------------------------------

    def _read(self, response: httpx.Response, adapter: TypeAdapter[T], what: str) -> T:
        try:
            return parse_body(response.content, adapter, what=what, status=response.status_code)
        except ZettleError as error:  # MalformedResponse: scrub anything echoing a secret
            raise redact_error(error, self._pipeline.secrets()) from None

    def _decode(
        self,
        content: bytes | bytearray,
        decode: Callable[[bytes | bytearray], T],
        what: str,
        status: int | None = None,
    ) -> T:
        try:
            return decode_body(content, decode, what=what, status=status)
        except ZettleError as error:  # MalformedResponse: scrub anything echoing a secret
            raise redact_error(error, self._pipeline.secrets()) from None

    def _balances(self, response: httpx.Response, what: str) -> LocationBalances:
        return self._decode(
            response.content, decode_location_balances, what, status=response.status_code
        )

    def _read_write_answer(self, response: httpx.Response, what: str) -> LocationBalances:
        """The answer of a write; an unreadable one raises MalformedResponse with the 2xx status
        and ``outcome_unknown`` (the write was probably applied, but nothing proves it)."""
        if response.status_code == 204 or not response.content.strip():
            return LocationBalances()
        try:
            return self._balances(response, what)
        except ZettleError as error:
            error.outcome_unknown = True
            raise

    async def _get(
        self, url: str, params: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self._pipeline.request(
            "GET", url, params=params, headers=headers, repeatable=True
        )

    # -- locations and tracking ------------------------------------------------------------------

    async def get_locations(self) -> list[Location]:
        """The organization's locations (STORE, SUPPLIER, BIN, SOLD); Zettle sends a bare array."""
        response = await self._get(f"{self._org_path}/locations")
        return self._read(response, _LOCATIONS, "GET locations")

    async def start_tracking(self, product_uuid: UuidLike) -> LocationBalances:
        """Start tracking one product; answers its non-zero STORE balances (often none).

        Repeatable: switching tracking on twice leaves the same state, so a lost answer is re-asked.
        """
        body = StartTrackingRequest(product_uuid=UUID(_uuid(product_uuid, "product_uuid")))
        response = await self._pipeline.request(
            "POST", f"{self._org_path}/inventory", json_body=body.to_wire(), repeatable=True
        )
        return self._read_write_answer(response, "start tracking")

    async def stop_tracking(self, product_uuid: UuidLike) -> None:
        """Stop tracking one product (balances are kept by Zettle, but hidden). Idempotent."""
        product = _uuid(product_uuid, "product_uuid")
        await self._pipeline.request(
            "DELETE", f"{self._org_path}/inventory/products/{product}", repeatable=True
        )

    async def bulk_update(self, request: BulkRequest) -> LocationBalances:
        """Tracking changes and movements for many products in one call (v2 bulk).

        Retried freely only if it holds no movements (tracking changes alone are idempotent);
        with movements, only when Zettle provably did not act on it, as :meth:`move_stock`.
        """
        moves_stock = any(change.variant_changes for change in request.product_changes)
        response = await self._pipeline.request(
            "POST",
            f"{self._org_path}/v2/inventory/bulk",
            json_body=request.to_wire(),
            repeatable=not moves_stock,
        )
        return self._read_write_answer(response, "the bulk update")

    async def move_stock(self, request: MovementRequest) -> LocationBalances:
        """Move stock between locations (``PUT /organizations/{org}/inventory``).

        Repeated only when Zettle provably did not act on it (429, no connection made, 401): a
        repeat could apply it twice, whatever the ``external_uuid``. Any other failure raises
        with ``outcome_unknown`` set when the movement may have been applied.
        """
        response = await self._pipeline.request(
            "PUT",
            f"{self._org_path}/inventory",
            json_body=request.to_wire(),
            repeatable=False,
        )
        return self._read_write_answer(response, "the stock movement")

    # -- balances ---------------------------------------------------------------------------------

    async def _store_balances_into(
        self, new_sink: Callable[[], SinkT], since: int | str | None
    ) -> SinkT:
        params = None if since is None else {"since": str(since)}
        try:
            _, sink = await self._pipeline.read_into(
                self._store_balances_url, new_sink, params=params
            )
        except NotFound:
            documented = f"{self.endpoints.inventory_url}/inventory"
            if self.organization != "self" or self._store_balances_url == documented:
                raise
            _, sink = await self._pipeline.read_into(documented, new_sink, params=params)
            self._store_balances_url = documented
        assert sink is not None  # a GET without If-None-Match never answers 304
        return sink

    async def get_store_balances(self, since: int | str | None = None) -> StoreBalances:
        """Non-zero balances of every tracked variant in STORE; with ``since`` (a previous
        ``latest``) only what changed after it."""
        body = (await self._store_balances_into(BytesSink, since)).getvalue()
        return self._decode(body, decode_balances, "GET inventory")

    async def get_store_balances_into(
        self, new_sink: Callable[[], SinkT], since: int | str | None = None
    ) -> SinkT:
        """The same call, its body fed to a sink (``write(chunk)``) as it arrives, so a 9 MB
        snapshot can be decoded without ever being whole in memory (e.g. by
        :class:`~zinv_tui.api.v1.balances.SnapshotStream`). Each attempt (a retry, the
        documented path after a 404) gets a fresh sink from ``new_sink``; the one that received
        the whole answer is returned."""
        return await self._store_balances_into(new_sink, since)

    async def get_location_balances(self, location_uuid: UuidLike) -> LocationBalances:
        """Balances of one location."""
        location = _uuid(location_uuid, "location_uuid")
        response = await self._get(f"{self._org_path}/inventory/locations/{location}")
        return self._balances(response, "GET location balances")

    async def get_balances_by_type(self, location_type: LocationType | str) -> LocationBalances:
        """Balances of the location of one type (STORE, SOLD, BIN or SUPPLIER)."""
        kind = LocationType(str(location_type).strip().upper())
        response = await self._get(
            f"{self._org_path}/inventory/locations/", params={"type": kind.value}
        )
        return self._balances(response, "GET balances by location type")

    async def get_balances_for_products(
        self,
        product_uuids: Sequence[UuidLike],
        location_type: LocationType | str = LocationType.STORE,
    ) -> LocationBalances:
        """Balances of some products in the location of one type (a POST, but only a read)."""
        body = BalancesForProductsRequest(
            location_type=LocationType(str(location_type).strip().upper()),
            product_uuids=[UUID(_uuid(uuid, "product_uuid")) for uuid in product_uuids],
        )
        response = await self._pipeline.request(
            "POST",
            f"{self._org_path}/inventory/products",
            json_body=body.to_wire(),
            repeatable=True,
            write=False,
        )
        return self._balances(response, "the balances of products")

    async def get_product_balance(
        self, location_uuid: UuidLike, product_uuid: UuidLike
    ) -> LocationBalances:
        """Balances of one product's variants in one location."""
        location = _uuid(location_uuid, "location_uuid")
        product = _uuid(product_uuid, "product_uuid")
        response = await self._get(
            f"{self._org_path}/inventory/locations/{location}/products/{product}"
        )
        return self._balances(response, "GET product balance")

    # -- low-stock levels (no organization segment in these paths) ---------------------------------
    # Writes and deletes here set absolute values, so repeating them is harmless: all repeatable.

    def _low_stock_url(self, location_uuid: UuidLike, *, read: bool = False) -> str:
        location = _uuid(location_uuid, "location_uuid")
        version = "/v2" if read else ""
        return f"{self.endpoints.inventory_url}/custom-low-stock{version}/locations/{location}"

    async def set_low_stock_level(
        self, location_uuid: UuidLike, level: LowStockLevelUpdate
    ) -> None:
        """Set (or, with the defaults, clear) one variant's low-stock level."""
        await self._pipeline.request(
            "PUT", self._low_stock_url(location_uuid), json_body=level.to_wire(), repeatable=True
        )

    async def set_low_stock_levels(
        self, location_uuid: UuidLike, levels: Sequence[LowStockLevelUpdate]
    ) -> None:
        """Set many variants' low-stock levels in one call."""
        body = LowStockLevelsUpdate(requests=list(levels))
        await self._pipeline.request(
            "POST", self._low_stock_url(location_uuid), json_body=body.to_wire(), repeatable=True
        )

    async def get_low_stock_levels(self, location_uuid: UuidLike) -> LocationLowStock:
        """Every custom low-stock level of a location (defaults are not listed), read into a
        single buffer and decoded lean (thousands of levels)."""
        _, body = await self._pipeline.read(self._low_stock_url(location_uuid, read=True))
        return self._decode(body, decode_low_stock, "GET low-stock levels")

    async def get_product_low_stock_levels(
        self, location_uuid: UuidLike, product_uuid: UuidLike
    ) -> ProductLevels:
        """One product's custom low-stock levels in a location."""
        product = _uuid(product_uuid, "product_uuid")
        url = f"{self._low_stock_url(location_uuid, read=True)}/products/{product}"
        response = await self._get(url)
        return self._decode(
            response.content,
            decode_product_low_stock,
            "GET product low-stock levels",
            status=response.status_code,
        )

    async def delete_low_stock_level(
        self, location_uuid: UuidLike, product_uuid: UuidLike, variant_uuid: UuidLike
    ) -> None:
        """Remove one variant's custom low-stock level."""
        product = _uuid(product_uuid, "product_uuid")
        variant = _uuid(variant_uuid, "variant_uuid")
        url = f"{self._low_stock_url(location_uuid)}/products/{product}/variants/{variant}"
        await self._pipeline.request("DELETE", url, repeatable=True)

    async def delete_low_stock_levels(
        self, location_uuid: UuidLike, refs: Sequence[LowStockVariantRef]
    ) -> None:
        """Remove many variants' custom low-stock levels in one call."""
        body = LowStockDeleteRequest(requests=list(refs))
        await self._pipeline.request(
            "POST",
            f"{self._low_stock_url(location_uuid)}/delete",
            json_body=body.to_wire(),
            repeatable=True,
        )

    # -- product library --------------------------------------------------------------------------

    async def get_products(self, etag: str | None = None) -> ProductsPage:
        """All products (``GET /organizations/{org}/products/v2``); with ``etag``, a 304 answers
        ``not_modified=True`` and no products."""
        sink, new_etag = await self.get_products_into(BytesSink, etag=etag)
        if sink is None:
            return ProductsPage(products=None, etag=new_etag, not_modified=True)
        products = self._decode(sink.getvalue(), decode_products, "GET products")
        return ProductsPage(products=products, etag=new_etag, not_modified=False)

    async def get_products_into(
        self, new_sink: Callable[[], SinkT], etag: str | None = None
    ) -> tuple[SinkT | None, str | None]:
        """The same read, its body fed to a sink (``write(chunk)``) as it arrives, so a decoder
        can build its result without the whole body ever in memory: ``(sink, etag)``, or
        ``(None, etag)`` for a 304. Each attempt gets a fresh sink (a retry starts clean)."""
        headers = {"If-None-Match": etag} if etag else None
        url = f"{self.endpoints.products_url}/organizations/{self.organization}/products/v2"
        response, sink = await self._pipeline.read_into(url, new_sink, headers=headers)
        new_etag = response.headers.get("etag")
        if response.status_code == 304:
            return None, new_etag or etag
        return sink, new_etag


def _token_claims(token: str) -> ApiKeyClaims | None:
    """Claims of an access token, if it is a readable JWT (it is only read, never trusted)."""
    try:
        return claims_from_payload(decode_jwt_payload(token))
    except ValueError:
        return None
