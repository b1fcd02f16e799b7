"""The product catalogue reduced to what a stock row shows: names, variant labels, SKU and barcode.

Kept compact because a big shop has 20,000 products: the Product Library answer (26 MB of JSON at
that size) is decoded with msgspec straight into small structs, strings shared, and a copy is kept
in the cache dir with its ETag so the next start usually gets a 304 instead of the whole library.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import msgspec

from zinv_tui.api import ZettleClient
from zinv_tui.api.errors import MalformedResponse
from zinv_tui.api.models import Product, ProductVariant

log = logging.getLogger(__name__)


class CatalogueVariant(msgspec.Struct, frozen=True, gc=False):
    """One variant: its label, SKU and barcode (empty strings when Zettle has none).

    ``name`` is the label, not Zettle's raw variant name: a variant named "" with options
    Size M / Colour Red is called ``"M / Red"`` here.
    """

    uuid: str
    name: str
    sku: str
    barcode: str


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


class _WireProduct(msgspec.Struct, gc=False):
    uuid: str
    name: str | None = None
    variants: list[_WireVariant] = []


_raw_list_decoder = msgspec.json.Decoder(list[msgspec.Raw])
_product_decoder = msgspec.json.Decoder(_WireProduct)


def _lower(uuid: str) -> str:
    """Lower-case without a copy when it already is."""
    return uuid if uuid.islower() else uuid.lower()


class _CacheFile(msgspec.Struct):
    version: int
    etag: str | None
    products: list[CatalogueProduct]


_CACHE_VERSION = 1
_cache_decoder = msgspec.msgpack.Decoder(_CacheFile)


class CatalogueError(ValueError):
    """The Product Library answer could not be read."""


class Catalogue:
    """Products by UUID (lower-case strings), each with its variants."""

    __slots__ = ("etag", "products")

    def __init__(self, products: Iterable[CatalogueProduct] = (), etag: str | None = None) -> None:
        self.etag = etag
        self.products: dict[str, CatalogueProduct] = {p.uuid: p for p in products}

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def decode(cls, payload: bytes, etag: str | None = None) -> Catalogue:
        """Build from the raw ``GET /organizations/{org}/products/v2`` answer.

        Products are decoded one at a time from the buffer, so only one product's worth of wire
        objects exists at once (less memory, less fragmentation than decoding the whole list).
        """
        try:
            pieces = _raw_list_decoder.decode(payload)
        except msgspec.DecodeError as error:
            raise CatalogueError(f"unreadable product list: {error}") from None
        shared: dict[str, str] = {}

        def text(value: str | None) -> str:
            value = (value or "").strip()
            return shared.setdefault(value, value)

        products: list[CatalogueProduct] = []
        decode_product = _product_decoder.decode
        for piece in pieces:
            try:
                product = decode_product(piece)
            except msgspec.DecodeError as error:
                raise CatalogueError(f"unreadable product: {error}") from None
            variants = []
            for variant in product.variants:
                label = (variant.name or "").strip() or " / ".join(
                    option.value for option in variant.options or () if option.value
                )
                variants.append(
                    CatalogueVariant(
                        _lower(variant.uuid), text(label), text(variant.sku), text(variant.barcode)
                    )
                )
            products.append(
                CatalogueProduct(_lower(product.uuid), text(product.name), tuple(variants))
            )
        return cls(products, etag)

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
        data = msgspec.msgpack.encode(
            _CacheFile(_CACHE_VERSION, self.etag, list(self.products.values()))
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path) -> Catalogue | None:
        """The cached catalogue, or None when there is none or it is unreadable."""
        try:
            cached = _cache_decoder.decode(path.read_bytes())
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return None
        cached_etag = cached.etag
        if cached.version != _CACHE_VERSION:
            return None
        return cls(cached.products, cached_etag)

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

    Reads the raw body (one buffer) and decodes it with msgspec, product by product: parsing
    20,000 products into pydantic models takes seconds and hundreds of MB. The body is dropped
    as soon as the catalogue is built.
    """
    page = await client.get_products_raw(etag=etag)
    if page.not_modified or page.body is None:
        return None
    body, new_etag = page.body, page.etag
    del page
    try:
        return Catalogue.decode(body, new_etag)
    except CatalogueError as error:
        raise MalformedResponse(
            f"Zettle sent a product list the app can't read ({error})"
        ) from None


def remove_cache(path: Path) -> None:
    """Forget the cached catalogue (e.g. after switching shops)."""
    with contextlib.suppress(OSError):
        path.unlink()
