"""The product catalogue reduced to what a stock row shows: names, variant labels, SKU and barcode.

Kept compact (slotted objects, plain strings) because a big shop has 20,000 products; the pydantic
:class:`~zinv_tui.api.models.Product` objects are dropped as soon as the catalogue is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from zinv_tui.api.models import Product, ProductVariant


@dataclass(frozen=True, slots=True)
class CatalogueVariant:
    """One variant: its label (name, else the option values joined), SKU and barcode.

    ``name`` is the label, not Zettle's raw variant name: a variant named "" with options
    Size M / Red is called ``"M / Red"`` here.
    """

    uuid: str
    name: str
    sku: str
    barcode: str


@dataclass(frozen=True, slots=True)
class CatalogueProduct:
    """One product of the Product Library with its variants, in catalogue order."""

    uuid: str
    name: str
    variants: tuple[CatalogueVariant, ...]

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


class Catalogue:
    """Products by UUID and variants by ``(product, variant)``, built from the Product Library."""

    __slots__ = ("etag", "products", "variants")

    def __init__(self, products: Iterable[CatalogueProduct] = (), etag: str | None = None) -> None:
        self.etag = etag
        self.products: dict[str, CatalogueProduct] = {}
        self.variants: dict[tuple[str, str], tuple[CatalogueProduct, CatalogueVariant]] = {}
        for product in products:
            self.products[product.uuid] = product
            for variant in product.variants:
                self.variants[(product.uuid, variant.uuid)] = (product, variant)

    @classmethod
    def from_products(cls, products: Iterable[Product], etag: str | None = None) -> Catalogue:
        """Build from API models, sharing strings so 50,000 variants stay small."""
        intern: dict[str, str] = {}

        def shared(text: str | None) -> str:
            text = (text or "").strip()
            return intern.setdefault(text, text)

        compact: list[CatalogueProduct] = []
        for product in products:
            variants = tuple(
                CatalogueVariant(
                    uuid=str(variant.uuid),
                    name=shared(variant.label),
                    sku=shared(variant.sku),
                    barcode=shared(variant.barcode),
                )
                for variant in product.variants
            )
            compact.append(CatalogueProduct(str(product.uuid), shared(product.name), variants))
        return cls(compact, etag)

    def __len__(self) -> int:
        return len(self.products)

    def __iter__(self) -> Iterator[CatalogueProduct]:
        return iter(self.products.values())

    def __contains__(self, product_uuid: object) -> bool:
        return product_uuid in self.products

    def variant(self, product_uuid: str, variant_uuid: str) -> CatalogueVariant | None:
        """The variant, or None when the catalogue does not know it."""
        found = self.variants.get((product_uuid, variant_uuid))
        return found[1] if found else None
