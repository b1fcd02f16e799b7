"""Finding variants by code: one rule for scans, counts and commands."""

from __future__ import annotations

import pytest

from zinv_tui.service.codes import CodeIndex, find_rows, scanned_code
from zinv_tui.service.rows import StockRow

P = "8c28d278-cc09-11ef-bfd2-694d4e3b58f6"
V1 = "9c413357-cc09-11ef-a3d9-2344d9b37992"
V2 = "a6aed8b4-cc08-11ef-a639-c3c1574cb870"
ROWS = [
    StockRow(P, V1, "Street sign", "Large", "Straße-L", "4006381333931", 3),
    StockRow(P, V2, "Street sign", "Small", "tee-s", "4006381333948", 1),
]


@pytest.mark.parametrize(
    ("code", "column", "variant"),
    [
        ("STRASSE-L", "sku", V1),  # case-folded: ß is ss
        ("straße-l", "sku", V1),
        ("TEE-S", "sku", V2),
        ("4006381333948", "barcode", V2),
        (V1.upper(), "variant_uuid", V1),
        (f"  {V2}\n", "variant_uuid", V2),
    ],
)
def test_the_service_the_counts_and_the_commands_find_the_same_variant(
    code: str, column: str, variant: str
) -> None:
    assert [row.variant_uuid for row in find_rows(ROWS, scanned_code(code))] == [variant]
    assert CodeIndex(ROWS).find(column, code).variant_uuid == variant


def test_a_product_uuid_finds_its_variants_and_nothing_finds_nothing() -> None:
    assert [row.variant_uuid for row in find_rows(ROWS, P)] == [V1, V2]
    assert find_rows(ROWS, "") == [] and find_rows(ROWS, "nope") == []
    with pytest.raises(LookupError, match="no tracked variant has sku 'nope'"):
        CodeIndex(ROWS).find("sku", "nope")


def test_a_scan_keeps_printable_characters_only() -> None:
    assert scanned_code("\x024006381333931\r\n") == "4006381333931"
