"""The product catalogue the rows are named from, and its cache file.

A big shop has 20,000 products; the backend decodes the Product Library into small structs as it
arrives (:class:`CatalogueBuilder` takes them), and a copy is kept in the cache dir with its ETag,
so the next start usually gets a 304 instead of the whole library.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import msgspec

from zinv_tui.values.catalogue import CatalogueProduct, CatalogueVariant, TextPool

__all__ = ["Catalogue", "CatalogueBuilder", "CatalogueProduct", "CatalogueVariant", "remove_cache"]


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


def _same(text: str) -> str:
    return text


class CatalogueBuilder:
    """A sink for the backend's catalogue read: keeps the products as they come."""

    __slots__ = ("products",)

    def __init__(self) -> None:
        self.products: list[CatalogueProduct] = []

    def take(self, products: Sequence[CatalogueProduct]) -> None:
        self.products.extend(products)


class Catalogue:
    """Products by UUID (lower-case strings), each with its variants."""

    __slots__ = ("etag", "products")

    def __init__(self, products: Iterable[CatalogueProduct] = (), etag: str | None = None) -> None:
        self.etag = etag
        self.products: dict[str, CatalogueProduct] = {p.uuid: p for p in products}

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
    def load(cls, path: Path, shared: Iterable[str] = ()) -> Catalogue | None:
        """The cached catalogue, or None when there is none or it is unreadable. ``shared``:
        string objects to use for equal texts and UUIDs (the rows' own, so a catalogue read
        after rows were painted from the local snapshot adds no second copy of them)."""
        try:
            cached = _cache_decoder.decode(path.read_bytes())
            if cached.version != _CACHE_VERSION:
                return None
            text = TextPool()
            text.share(shared)
            uuid = text if shared else _same
            decode_product = _cached_product_decoder.decode
            products = []
            for piece in cached.products:
                product = decode_product(piece)
                variants = tuple(
                    CatalogueVariant(
                        uuid(v.uuid),
                        text(v.name),
                        text(v.sku),
                        text(v.barcode),
                        v.price,
                        v.cost_price,
                        text(v.currency),
                    )
                    for v in product.variants
                )
                products.append(CatalogueProduct(uuid(product.uuid), text(product.name), variants))
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return None
        return cls(products, cached.etag)

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


def remove_cache(path: Path) -> None:
    """Forget the cached catalogue (e.g. after switching shops)."""
    with contextlib.suppress(OSError):
        path.unlink()
