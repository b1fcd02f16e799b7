"""One way to write counted things and numbers, for the app and the CLI."""

from __future__ import annotations

from zinv_tui.service.wording import noun, number, plural


def test_one_is_singular_everything_else_plural_with_thousands_separators() -> None:
    assert plural(1, "variant") == "1 variant"
    assert plural(0, "variant") == "0 variants"
    assert plural(2, "product") == "2 products"
    assert plural(46216, "variant") == "46,216 variants"
    assert plural(-1, "unit") == "-1 unit"
    assert plural(-8, "unit") == "-8 units"
    assert plural(2, "quantity", "quantities") == "2 quantities"
    assert noun(1, "has", "have") == "has" and noun(3, "has", "have") == "have"
    assert number(1234567) == "1,234,567"
