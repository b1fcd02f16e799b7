"""Property tests: the models and decoders read odd but valid answers and refuse malformed ones
clearly (balances, low-stock levels and products go through the one msgspec decoder per payload
that both the client and the app use)."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from zinv_tui.api.errors import MalformedResponse
from zinv_tui.api.models import (
    Location,
    LocationType,
    MovementRequest,
    StockChange,
    parse_whole_number,
)
from zinv_tui.api.responses import decode_body
from zinv_tui.api.v1.balances import LocationBalances, decode_location_balances
from zinv_tui.api.v1.catalogue import decode_products
from zinv_tui.api.v1.low_stock import decode_low_stock

LOCATIONS = TypeAdapter(list[Location])


def read_balances(content: bytes, what: str = "test") -> LocationBalances:
    """A balance answer as the client reads it."""
    return decode_body(content, decode_location_balances, what=what)


uuids = st.uuids(version=1) | st.uuids(version=4)
whole = st.integers(min_value=-(10**12), max_value=10**12)
# Every way Zettle has been seen to write a whole number: 42, "42", "9.0", 9.0.
balance_forms = st.one_of(
    whole.map(lambda n: (n, n)),
    whole.map(lambda n: (str(n), n)),
    whole.map(lambda n: (f"{n}.0", n)),
    st.integers(min_value=-(2**52), max_value=2**52).map(lambda n: (float(n), n)),
    whole.map(lambda n: (f" {n} ", n)),
)
unknown_keys = st.dictionaries(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzXYZ", min_size=1, max_size=12).filter(
        lambda key: (
            key
            not in {
                "locationUuid",
                "locationType",
                "productUuid",
                "variantUuid",
                "balance",
                "variants",
                "trackedProducts",
                "latest",
                "untrackedProducts",
            }
        )
    ),
    st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2)),
    max_size=3,
)


@st.composite
def variant_rows(draw: st.DrawFn) -> tuple[dict, int]:
    raw, expected = draw(balance_forms)
    row: dict = {
        "productUuid": str(draw(uuids)),
        "variantUuid": str(draw(uuids)),
        "balance": raw,
    }
    if draw(st.booleans()):
        row["locationUuid"] = str(draw(uuids))
    if draw(st.booleans()):
        row["locationType"] = draw(st.sampled_from(["STORE", "store", "Sold", "BIN", "SUPPLIER"]))
    row.update(draw(unknown_keys))
    return row, expected


@settings(deadline=None)  # no flaky deadlines on a busy CI machine
@given(st.lists(variant_rows(), max_size=8), st.booleans(), st.booleans(), unknown_keys)
def test_odd_but_valid_balance_answers_parse(rows, with_tracked, with_latest, extra) -> None:
    payload: dict = {"locationUuid": str(uuid.uuid1()), "variants": [row for row, _ in rows]}
    if with_tracked:
        payload["trackedProducts"] = [row["productUuid"] for row, _ in rows]
    if with_latest:
        payload["latest"] = 0
    payload.update(extra)
    parsed = read_balances(json.dumps(payload).encode())
    assert [variant.balance for variant in parsed.variants] == [n for _, n in rows]
    assert all(isinstance(variant.balance, int) for variant in parsed.variants)
    if not with_tracked:
        assert parsed.tracked_products == []


@settings(deadline=None)  # no flaky deadlines on a busy CI machine
@given(balance_forms)
def test_parse_whole_number_accepts_every_documented_form(form) -> None:
    raw, expected = form
    assert parse_whole_number(raw) == expected


@pytest.mark.parametrize(
    "bad",
    ["9.5", "abc", "", "NaN", "inf", "1e400x", True, False, None, 9.5, float("nan"), [], {}],
)
def test_malformed_balances_are_rejected_with_a_clear_message(bad) -> None:
    payload = {
        "locationUuid": str(uuid.uuid1()),
        "variants": [
            {"productUuid": str(uuid.uuid1()), "variantUuid": str(uuid.uuid1()), "balance": bad}
        ],
    }
    content = json.dumps(payload, allow_nan=True).encode()
    with pytest.raises(MalformedResponse) as caught:
        read_balances(content, what="GET inventory")
    message = str(caught.value)
    assert "GET inventory" in message
    if bad != bad:  # NaN: Python writes a bare NaN, which is not JSON at all, and says so
        assert "not valid JSON" in message
    else:
        assert "variants[0].balance" in message
    assert "ValidationError" not in message and "pydantic" not in message


@settings(deadline=None)  # no flaky deadlines on a busy CI machine
@given(st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not float(x).is_integer()))
def test_fractional_or_non_finite_floats_are_not_balances(value) -> None:
    with pytest.raises(ValueError):
        parse_whole_number(value)


@settings(deadline=None)  # no flaky deadlines on a busy CI machine
@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=3).filter(
        lambda d: d != d.to_integral_value()
    )
)
def test_fractional_strings_are_not_balances(value) -> None:
    with pytest.raises(ValueError):
        parse_whole_number(str(value))


@pytest.mark.parametrize(
    "bad_uuid", ["", "not-a-uuid", "123", "d42260ae-423d-11ec-95a4-10307542d8a", 42, None]
)
def test_bad_uuids_are_rejected(bad_uuid) -> None:
    payload = {
        "variants": [{"productUuid": bad_uuid, "variantUuid": str(uuid.uuid1()), "balance": "1"}]
    }
    with pytest.raises(MalformedResponse) as caught:
        read_balances(json.dumps(payload).encode(), what="GET inventory")
    assert "variants[0].productUuid" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty answer"),
        (b"   ", "empty answer"),
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", "can't read"),
        (b'"text"', "can't read"),
        (b'{"variants": {"a": 1}}', "variants"),
    ],
)
def test_non_json_or_wrong_shape_is_malformed(content: bytes, fragment: str) -> None:
    with pytest.raises(MalformedResponse) as caught:
        read_balances(content, what="GET inventory")
    assert fragment in str(caught.value)
    # No raw JSON/pydantic exception chained for a traceback to show.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__


def test_documented_examples_parse() -> None:
    # fetch-inventory-balance.md (balances as strings) and update-inventory-balance.md (numbers).
    get_answer = {
        "locationUuid": "6e5e8d52-5ce0-11ec-bf63-0242ac130002",
        "trackedProducts": [
            "b9675342-5ce0-11ec-bf63-0242ac130002",
            "24977020-5ce1-11ec-bf63-0242ac130002",
        ],
        "variants": [
            {
                "locationUuid": "6e5e8d52-5ce0-11ec-bf63-0242ac130002",
                "locationType": "STORE",
                "productUuid": "b9675342-5ce0-11ec-bf63-0242ac130002",
                "variantUuid": "d3b93e04-5ce0-11ec-bf63-0242ac130002",
                "balance": "42",
            }
        ],
        "latest": 0,
    }
    parsed = read_balances(json.dumps(get_answer).encode())
    assert parsed.variants[0].balance == 42
    assert parsed.variants[0].location_type == LocationType.STORE
    assert parsed.latest == 0
    bulk_answer = {
        "locationUuid": "89ac1e4a-5f0f-11ec-bf63-0242ac130002",
        "variants": [
            {
                "productUuid": "3cc3b9f6-623b-11ec-90d6-0242ac120003",
                "variantUuid": "45900c4c-623b-11ec-90d6-0242ac120003",
                "balance": 10696,
            }
        ],
    }
    assert read_balances(json.dumps(bulk_answer).encode()).variants[0].balance == 10696
    locations = LOCATIONS.validate_python(
        [
            {
                "uuid": "fd4a39a0-e2ef-11e6-ba64-85247ae2a737",
                "type": "STORE",
                "name": "STORE",
                "description": "System generated location ",
                "default": True,
            },
            {"uuid": "fd4ad5e0-e2ef-11e6-a2b0-e5c90fd52c77", "type": "bin"},
        ]
    )
    assert [location.type for location in locations] == [LocationType.STORE, LocationType.BIN]
    low = decode_low_stock(
        json.dumps(
            {
                "organizationUuid": "4b8784a6-5ce0-11ec-bf63-0242ac130002",
                "locationUuid": "efc7ea52-5ce0-11ec-bf63-0242ac130002",
                "customLowStockLevelsForProducts": [
                    {
                        "productUuid": "6f25a2bc-5ce0-11ec-bf63-0242ac130002",
                        "customLowStockLevelForVariants": [
                            {
                                "variantUuid": "8a9181c4-5ce0-11ec-bf63-0242ac130002",
                                "customLowStockLevel": 5.0,
                                "lowStockAlert": True,
                            }
                        ],
                    }
                ],
            }
        ).encode()
    )
    level = low.custom_low_stock_levels_for_products[0].custom_low_stock_level_for_variants[0]
    assert level.custom_low_stock_level == 5 and level.low_stock_alert is True


def test_movement_changes_must_be_positive_whole_numbers() -> None:
    line = {
        "productUuid": str(uuid.uuid1()),
        "variantUuid": str(uuid.uuid1()),
        "fromLocationUuid": str(uuid.uuid1()),
        "toLocationUuid": str(uuid.uuid1()),
    }
    assert StockChange.model_validate({**line, "change": "1"}).change == 1  # concept-doc form
    for bad in (0, -3, "1.5", "x"):
        with pytest.raises(ValidationError):
            StockChange.model_validate({**line, "change": bad})
    with pytest.raises(ValidationError):
        MovementRequest(changes=[])


@settings(deadline=None)  # no flaky deadlines on a busy CI machine
@given(
    st.lists(
        st.fixed_dictionaries(
            {"name": st.text(max_size=8), "value": st.text(max_size=8)},
        ),
        max_size=3,
    ),
    st.one_of(st.none(), st.text(max_size=10)),
)
def test_products_tolerate_missing_optional_fields(options, name) -> None:
    variant: dict = {"uuid": str(uuid.uuid1()), "options": options}
    if name is not None:
        variant["name"] = name
    (product,) = decode_products(
        json.dumps([{"uuid": str(uuid.uuid1()), "variants": [variant]}]).encode()
    )
    label = product.variants[0].name
    if name and name.strip():
        assert label == name.strip()
    else:
        assert label == " / ".join(o["value"] for o in options if o["value"]).strip()
