"""The product catalogue reduced to what a stock row shows: names, variant labels, SKU and barcode.

Kept compact because a big shop has 20,000 products: the Product Library answer (26 MB of JSON at
that size) is decoded with msgspec while it arrives (:class:`CatalogueStream`, so the whole answer
is never in memory) straight into small structs, strings shared, and a copy is kept in the cache
dir with its ETag so the next start usually gets a 304 instead of the whole library.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from zinv_tui.api import ZettleClient
from zinv_tui.api.errors import MalformedResponse
from zinv_tui.api.models import Product, ProductVariant

log = logging.getLogger(__name__)


class CatalogueVariant(msgspec.Struct, frozen=True, gc=False):
    """One variant: its label, SKU and barcode (empty strings when Zettle has none), and its
    price and cost price in minor units of ``currency`` (None when the library has none).

    ``name`` is the label, not Zettle's raw variant name: a variant named "" with options
    Size M / Colour Red is called ``"M / Red"`` here.
    """

    uuid: str
    name: str
    sku: str
    barcode: str
    price: int | None = None
    cost_price: int | None = None
    currency: str = ""


class CatalogueProduct(msgspec.Struct, frozen=True, gc=False):
    """One product of the Product Library with its variants, in catalogue order."""

    uuid: str
    name: str
    variants: tuple[CatalogueVariant, ...]

    def variant(self, variant_uuid: str) -> CatalogueVariant | None:
        """The variant with this UUID (a product has at most 99, so a scan is cheap)."""
        for variant in self.variants:
            if variant.uuid == variant_uuid:
                return variant
        return None

    def to_product(self) -> Product:
        """Back to the API model (for the few places that want one, e.g. untracked products)."""
        return Product(
            uuid=self.uuid,
            name=self.name,
            variants=[
                ProductVariant(
                    uuid=variant.uuid,
                    name=variant.name or None,
                    sku=variant.sku or None,
                    barcode=variant.barcode or None,
                )
                for variant in self.variants
            ],
        )


class _WireOption(msgspec.Struct, gc=False):
    name: str | None = None
    value: str | None = None


class _WireVariant(msgspec.Struct, gc=False):
    uuid: str
    name: str | None = None
    sku: str | None = None
    barcode: str | None = None
    options: list[_WireOption] | None = None
    price: Any = None
    costPrice: Any = None  # the wire's name; {"amount": 1234, "currencyId": "GBP"} when set


class _WireProduct(msgspec.Struct, gc=False):
    uuid: str
    name: str | None = None
    variants: list[_WireVariant] = []


_raw_list_decoder = msgspec.json.Decoder(list[msgspec.Raw])
_product_decoder = msgspec.json.Decoder(_WireProduct)


MAX_MONEY = 10**12
"""Minor units; a price beyond this is not believed (read as unknown)."""


def _amount(money: object) -> int | None:
    """A money object's amount in minor units, or None when absent or odd."""
    amount = money.get("amount") if isinstance(money, dict) else None
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        return None
    if isinstance(amount, float) and not amount.is_integer():
        return None
    return int(amount) if abs(amount) <= MAX_MONEY else None


def _currency(*moneys: object) -> str:
    for money in moneys:
        code = money.get("currencyId") if isinstance(money, dict) else None
        if isinstance(code, str) and 0 < len(code) <= 8:
            return code
    return ""


def _lower(uuid: str) -> str:
    """Lower-case without a copy when it already is."""
    return uuid if uuid.islower() else uuid.lower()


class _CachedVariant(msgspec.Struct, array_like=True, gc=False):
    uuid: str
    name: str
    sku: str
    barcode: str
    price: int | None = None
    cost_price: int | None = None
    currency: str = ""


class _CachedProduct(msgspec.Struct, array_like=True, gc=False):
    uuid: str
    name: str
    variants: list[_CachedVariant]


class _CacheFile(msgspec.Struct):
    """The cache file: each product its own msgpack piece, decoded one at a time on load (like
    the Product Library answer), so equal texts are shared again and only one product's worth
    of decoded objects is ever transient."""

    version: int
    etag: str | None
    products: list[msgspec.Raw]


_CACHE_VERSION = 3
_cache_decoder = msgspec.msgpack.Decoder(_CacheFile)
_cached_product_decoder = msgspec.msgpack.Decoder(_CachedProduct)
_cached_product_encoder = msgspec.msgpack.Encoder()


class CatalogueError(ValueError):
    """The Product Library answer could not be read."""


class _ProductsBuilder:
    """Turns raw product JSON into :class:`CatalogueProduct` s, one product at a time, sharing
    equal texts (names, labels) between them."""

    def __init__(self) -> None:
        self.products: list[CatalogueProduct] = []
        self._shared: dict[str, str] = {}

    def _text(self, value: str | None) -> str:
        value = (value or "").strip()
        return self._shared.setdefault(value, value)

    def add_array(self, data: bytes | bytearray) -> None:
        """Add every product of a JSON array."""
        try:
            pieces = _raw_list_decoder.decode(data)
        except (msgspec.DecodeError, RecursionError) as error:  # deeply nested: RecursionError
            raise CatalogueError(f"unreadable product list: {error}") from None
        self.add_pieces(pieces)

    def add_cached(self, pieces: list[msgspec.Raw]) -> None:
        """Add products given as pieces of the cache file (see :class:`_CacheFile`)."""
        text = self._text
        decode_product = _cached_product_decoder.decode
        for piece in pieces:
            product = decode_product(piece)
            variants = tuple(
                CatalogueVariant(
                    v.uuid,
                    text(v.name),
                    text(v.sku),
                    text(v.barcode),
                    v.price,
                    v.cost_price,
                    text(v.currency),
                )
                for v in product.variants
            )
            self.products.append(CatalogueProduct(product.uuid, text(product.name), variants))

    def add_pieces(self, pieces: list[msgspec.Raw]) -> None:
        """Add products given as raw JSON objects."""
        text = self._text
        decode_product = _product_decoder.decode
        for piece in pieces:
            try:
                product = decode_product(piece)
            except (msgspec.DecodeError, RecursionError) as error:
                raise CatalogueError(f"unreadable product: {error}") from None
            variants = []
            for variant in product.variants:
                label = (variant.name or "").strip() or " / ".join(
                    option.value for option in variant.options or () if option.value
                )
                variants.append(
                    CatalogueVariant(
                        _lower(variant.uuid),
                        text(label),
                        text(variant.sku),
                        text(variant.barcode),
                        _amount(variant.price),
                        _amount(variant.costPrice),
                        text(_currency(variant.costPrice, variant.price)),
                    )
                )
            self.products.append(
                CatalogueProduct(_lower(product.uuid), text(product.name), tuple(variants))
            )


class CatalogueStream:
    """Builds the catalogue while the Product Library answer arrives (a client body sink).

    The whole answer (26 MB of JSON at 20,000 products) never sits in memory: every
    :data:`FLUSH_AT` bytes, the complete products received so far are decoded and their bytes
    dropped. A cut between two products is found by trying the last ``},{`` in the buffer (then
    earlier ones): the piece before it is decoded as a JSON array, which only succeeds when the
    cut is between two whole products, so a cut inside a product (between its variants) is never
    taken; a bracket count skips most such cuts without parsing. An answer not laid out that way
    (pretty-printed, not an array), or where no cut is found in :data:`GIVE_UP_AT` bytes, is
    decoded whole at the end, as :meth:`Catalogue.decode` does: at most :data:`TRIES` parses of
    a buffer below that size per :data:`FLUSH_AT` bytes received are ever wasted.
    """

    FLUSH_AT = 256 * 1024
    TRIES = 8
    GIVE_UP_AT = 2 * 1024 * 1024

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._builder = _ProductsBuilder()
        self._streaming: bool | None = None  # None until the first byte that isn't space
        self._next_try = self.FLUSH_AT

    def write(self, chunk: bytes) -> None:
        """Take the next piece of the body."""
        buffer = self._buffer
        buffer += chunk
        if self._streaming is None:
            text = buffer.lstrip()
            if not text:
                return
            self._streaming = text[:1] == b"["
            del buffer[: len(buffer) - len(text)]
        if self._streaming and len(buffer) >= self._next_try:
            if not self._decode_complete_products() and len(buffer) >= self.GIVE_UP_AT:
                self._streaming = False  # no cut found: decode it whole at the end
            self._next_try = len(buffer) + self.FLUSH_AT

    def _decode_complete_products(self) -> bool:
        """Decode and drop the whole products at the front of the buffer; False if none."""
        buffer = self._buffer
        # Bracket balance of buffer[:end], kept while walking back from cut to cut: a cut between
        # whole products has every "{" and every "[" but the first closed. Brackets inside names
        # can fool this count either way: the decode below is the real test, and a count that is
        # never right only means no cut is taken (the answer is then decoded whole at the end).
        end = len(buffer)
        braces = buffer.count(b"{") - buffer.count(b"}")
        squares = buffer.count(b"[") - buffer.count(b"]")
        tries = 0
        while tries < self.TRIES:
            cut = buffer.rfind(b"},{", 0, end)
            if cut < 0:
                return False
            braces -= buffer.count(b"{", cut + 1, end) - buffer.count(b"}", cut + 1, end)
            squares -= buffer.count(b"[", cut + 1, end) - buffer.count(b"]", cut + 1, end)
            end = cut + 1
            if braces != 0 or squares != 1:
                end = cut  # inside a product (between its variants): look further back
                braces += 1  # the "}" at cut is no longer in buffer[:end]
                continue
            tries += 1
            try:
                pieces = _raw_list_decoder.decode(buffer[: cut + 1] + b"]")
            except (msgspec.DecodeError, RecursionError):
                end = cut
                braces += 1
                continue
            self._builder.add_pieces(pieces)
            del pieces
            del buffer[1 : cut + 2]  # keep the opening "[", drop the products and the comma
            return True
        return False

    def catalogue(self, etag: str | None) -> Catalogue:
        """The catalogue, once the whole body was written; raises :class:`CatalogueError`."""
        self._builder.add_array(self._buffer)
        self._buffer = bytearray()
        return Catalogue(self._builder.products, etag)


class Catalogue:
    """Products by UUID (lower-case strings), each with its variants."""

    __slots__ = ("etag", "products")

    def __init__(self, products: Iterable[CatalogueProduct] = (), etag: str | None = None) -> None:
        self.etag = etag
        self.products: dict[str, CatalogueProduct] = {p.uuid: p for p in products}

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def decode(cls, payload: bytes | bytearray, etag: str | None = None) -> Catalogue:
        """Build from the raw ``GET /organizations/{org}/products/v2`` answer.

        Products are decoded one at a time from the buffer, so only one product's worth of wire
        objects exists at once (less memory, less fragmentation than decoding the whole list).
        """
        builder = _ProductsBuilder()
        builder.add_array(payload)
        return cls(builder.products, etag)

    @classmethod
    def from_products(cls, products: Iterable[Product], etag: str | None = None) -> Catalogue:
        """Build from API models (when only the parsed answer is at hand)."""
        shared: dict[str, str] = {}

        def text(value: str | None) -> str:
            value = (value or "").strip()
            return shared.setdefault(value, value)

        return cls(
            (
                CatalogueProduct(
                    str(product.uuid),
                    text(product.name),
                    tuple(
                        CatalogueVariant(str(v.uuid), text(v.label), text(v.sku), text(v.barcode))
                        for v in product.variants
                    ),
                )
                for product in products
            ),
            etag,
        )

    # -- the cache file ------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the catalogue and its ETag atomically (temporary file, then rename)."""
        encode = _cached_product_encoder.encode
        pieces = [
            msgspec.Raw(
                encode(
                    (
                        product.uuid,
                        product.name,
                        [
                            (v.uuid, v.name, v.sku, v.barcode, v.price, v.cost_price, v.currency)
                            for v in product.variants
                        ],
                    )
                )
            )
            for product in self.products.values()
        ]
        data = msgspec.msgpack.encode(_CacheFile(_CACHE_VERSION, self.etag, pieces))
        del pieces
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path) -> Catalogue | None:
        """The cached catalogue, or None when there is none or it is unreadable."""
        try:
            cached = _cache_decoder.decode(path.read_bytes())
            if cached.version != _CACHE_VERSION:
                return None
            builder = _ProductsBuilder()
            builder.add_cached(cached.products)
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return None
        return cls(builder.products, cached.etag)

    # -- reading -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.products)

    def __iter__(self) -> Iterator[CatalogueProduct]:
        return iter(self.products.values())

    def __contains__(self, product_uuid: object) -> bool:
        return product_uuid in self.products

    def variant(self, product_uuid: str, variant_uuid: str) -> CatalogueVariant | None:
        """The variant, or None when the catalogue does not know it."""
        product = self.products.get(product_uuid)
        return None if product is None else product.variant(variant_uuid)


async def fetch_catalogue(client: ZettleClient, etag: str | None) -> Catalogue | None:
    """The Product Library, or None when it has not changed since ``etag`` (304).

    Decoded with msgspec while it arrives (:class:`CatalogueStream`): parsing 20,000 products into
    pydantic models takes seconds and hundreds of MB, and even the raw answer is 26 MB.
    """
    try:
        stream, new_etag = await client.get_products_into(CatalogueStream, etag=etag)
        return None if stream is None else stream.catalogue(new_etag)
    except CatalogueError as error:
        raise MalformedResponse(
            f"Zettle sent a product list the app can't read ({error})"
        ) from None


def remove_cache(path: Path) -> None:
    """Forget the cached catalogue (e.g. after switching shops)."""
    with contextlib.suppress(OSError):
        path.unlink()
