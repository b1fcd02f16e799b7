"""The product catalogue as a stock row shows it: names, variant labels, SKU, barcode, prices.

Small immutable msgspec structs (no GC tracking): a big shop has 20,000 products and 50,000
variants, read from the Product Library (:mod:`zinv_tui.api.v1.catalogue`) or from the cache
(:mod:`zinv_tui.service.catalogue`).
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec


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


class TextPool:
    """Hands out one string object per distinct text (stripped; ``None`` is ``""``), so 50,000
    variants named "Small" share one string."""

    __slots__ = ("_shared",)

    def __init__(self) -> None:
        self._shared: dict[str, str] = {}

    def share(self, texts: Iterable[str]) -> None:
        """Hand out these string objects for their texts (e.g. those rows already hold)."""
        shared = self._shared
        for text in texts:
            shared.setdefault(text, text)

    def __call__(self, value: str | None) -> str:
        text = (value or "").strip()
        return self._shared.setdefault(text, text)
