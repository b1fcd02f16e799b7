"""The lean low-stock decoder and the settings made of it: Zettle's read shape to
``{(product, variant): (level, alert)}``, keyed with the rows' own strings."""

from __future__ import annotations

import json
import uuid

import pytest

from zinv_tui.api.v1.backend import low_stock_lines
from zinv_tui.api.v1.low_stock import LowStockFeedError
from zinv_tui.api.v1.low_stock import decode_low_stock as decode_answer
from zinv_tui.service.catalogue import Catalogue, CatalogueProduct, CatalogueVariant
from zinv_tui.service.low_stock import LowStockSetting, low_stock_settings
from zinv_tui.service.rows import RowKey, StockRow


def decode_low_stock(
    payload: bytes, rows: dict[RowKey, StockRow], catalogue: Catalogue
) -> dict[RowKey, LowStockSetting]:
    """The settings a low-stock answer stands for, as the service keeps them."""
    return low_stock_settings(low_stock_lines(decode_answer(payload)), rows, catalogue)


P1, P2, P3 = (str(uuid.uuid4()) for _ in range(3))
V1, V2, V3, V4 = (str(uuid.uuid4()) for _ in range(4))


def answer(*products: tuple[str, list[dict[str, object]]]) -> bytes:
    return json.dumps(
        {
            "organizationUuid": str(uuid.uuid4()),
            "locationUuid": str(uuid.uuid4()),
            "customLowStockLevelsForProducts": [
                {"productUuid": product, "customLowStockLevelForVariants": variants}
                for product, variants in products
            ],
        }
    ).encode()


def test_levels_in_every_wire_form_and_keys_shared_with_rows_and_catalogue() -> None:
    catalogue = Catalogue(
        [
            CatalogueProduct(P1, "Mug", (CatalogueVariant(V1, "", "", ""),)),
            CatalogueProduct(P2, "Tea", (CatalogueVariant(V2, "", "", ""),)),
        ]
    )
    row = StockRow(P1, V1, "Mug", "", "", "", 4)
    rows = {row.key: row}
    payload = answer(
        (P1.upper(), [{"variantUuid": V1.upper(), "customLowStockLevel": "5.0"}]),
        (P2, [{"variantUuid": V2, "customLowStockLevel": 3, "lowStockAlert": True}]),
        (P3, [{"variantUuid": V3, "customLowStockLevel": None, "lowStockAlert": True},
              {"variantUuid": V4, "customLowStockLevel": "7", "lowStockAlert": False}]),
    )  # fmt: skip
    settings = decode_low_stock(payload, rows, catalogue)
    assert settings == {
        (P1, V1): (5, False),
        (P2, V2): (3, True),
        (P3, V3): (None, True),
        (P3, V4): (7, False),
    }
    keys = {key[1]: key for key in settings}
    # The answer's own strings do not outlive the read: rows' and catalogue's are reused.
    assert keys[V1][0] is row.product_uuid and keys[V1][1] is row.variant_uuid
    assert keys[V2][0] is catalogue.products[P2].uuid
    assert keys[V2][1] is catalogue.products[P2].variants[0].uuid


@pytest.mark.parametrize(
    "payload",
    [
        b"{not json",
        answer((P1, [{"variantUuid": V1, "customLowStockLevel": "5.5"}])),
        answer((P1, [{"variantUuid": V1, "customLowStockLevel": "lots"}])),
        json.dumps({"customLowStockLevelsForProducts": [{"variants": []}]}).encode(),
    ],
    ids=["not-json", "fractional-level", "word-level", "no-product-uuid"],
)
def test_unreadable_answers_are_refused(payload: bytes) -> None:
    with pytest.raises(LowStockFeedError):
        decode_low_stock(payload, {}, Catalogue())


def test_an_empty_answer_means_no_levels() -> None:
    assert decode_low_stock(b"{}", {}, Catalogue()) == {}
