"""The reorder maths on its own: velocity, cover, reorder point, target, packs, stock-out days."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from zinv_tui.service.reorder import (
    ReorderParams,
    ReorderStatus,
    VariantPlan,
    demand,
    explain,
    out_of_stock_days,
    round_up_to_pack,
    suggest,
)


def test_the_worked_example_of_the_reference() -> None:
    # Oat milk, case of 12, weekly delivery 2 days after ordering: 84 sold in 28 days, out on 2.
    found = demand(84, 0, 28, 2, 28)
    assert found.per_day == pytest.approx(84 / 26)
    plan = VariantPlan(lead_time_days=2, cover_days=7, safety_days=2, pack_size=12)
    suggestion = suggest(found.per_day, 10, 0, plan)
    assert suggestion.days_of_cover == pytest.approx(3.1, abs=0.05)
    assert suggestion.reorder_point == pytest.approx(12.9, abs=0.05)
    assert suggestion.target == pytest.approx(35.5, abs=0.05)
    assert suggestion.status is ReorderStatus.ORDER
    assert suggestion.suggested == 36  # 25.5 cartons -> 3 cases of 12
    line = explain(found, suggestion, 10, 0, plan)
    assert "84 sold over 26 in-stock days of the last 28 (2 out of stock left out)" in line
    assert "= 25.5, rounded up to packs of 12 -> 36." in line


def test_one_day_is_one_day_in_the_explanation() -> None:
    plan = VariantPlan(lead_time_days=2, cover_days=7, safety_days=2)
    sold = demand(3, 0, 28, 27, 28)  # in stock on one day of 28
    line = explain(sold, suggest(sold.per_day, 0, 0, plan), 0, 0, plan)
    assert "3 sold over 1 in-stock day of the last 28" in line
    unsold = demand(0, 0, 1, 1, 1)  # the only day of a one-day window was out of stock
    line = explain(unsold, suggest(unsold.per_day, 0, 0, plan), 0, 0, plan)
    assert "in the last 1 day." in line


def test_what_is_on_order_is_subtracted_whatever_its_date() -> None:
    plan = VariantPlan(lead_time_days=7, cover_days=14, safety_days=2)
    without = suggest(2.0, 5, 0, plan)
    with_order = suggest(2.0, 5, 30, plan)
    assert without.suggested == math.ceil(2 * 23 - 5)
    assert with_order.suggested == math.ceil(2 * 23 - 5 - 30)
    assert with_order.status is ReorderStatus.ON_ORDER  # on hand alone is short; the order covers
    assert suggest(2.0, 5, 60, plan).suggested == 0


def test_pinned_minimum_and_maximum_replace_the_formula_and_keep_it_visible() -> None:
    plan = VariantPlan(min_level=4, max_level=10)
    suggestion = suggest(0.0, 3, 0, plan)
    assert (suggestion.reorder_point, suggestion.target, suggestion.suggested) == (4, 10, 7)
    assert suggestion.status is ReorderStatus.ORDER
    line = explain(demand(0, 0, 28, 0, 28), suggestion, 3, 0, plan)
    assert "pinned at 4" in line and "pinned at 10" in line


def test_statuses() -> None:
    plan = VariantPlan()
    assert suggest(0.0, 0, 0, plan).status is ReorderStatus.NO_SALES
    assert suggest(1.0, 0, 0, plan).status is ReorderStatus.OUT
    assert suggest(1.0, -3, 0, plan).suggested == math.ceil(23)  # below zero counts as zero
    assert suggest(1.0, 5, 0, plan).status is ReorderStatus.ORDER
    assert suggest(1.0, 12, 0, plan).status is ReorderStatus.SOON
    assert suggest(1.0, 23, 0, plan).status is ReorderStatus.OK
    assert suggest(1.0, 100, 0, plan).status is ReorderStatus.EXCESS


def test_refunds_reduce_demand_unless_told_not_to() -> None:
    assert demand(30, 6, 28, 0, 28).per_day == pytest.approx(24 / 28)
    assert demand(30, 6, 28, 0, 28, refunds_reduce_demand=False).per_day == pytest.approx(30 / 28)
    assert demand(2, 5, 28, 0, 28).counted == 0  # never negative demand


def test_params_are_checked() -> None:
    with pytest.raises(ValueError):
        ReorderParams(window_days=0)
    with pytest.raises(ValueError):
        ReorderParams(lead_time_days=-1)
    with pytest.raises(ValueError):
        ReorderParams(cover_days=float("nan"))


@given(st.floats(min_value=0, max_value=1e6), st.integers(min_value=1, max_value=1000))
def test_rounding_up_to_packs(quantity: float, pack: int) -> None:
    rounded = round_up_to_pack(quantity, pack)
    assert rounded % pack == 0
    if quantity <= 0:
        assert rounded == 0
    else:
        assert quantity - 1e-6 <= rounded < quantity + pack


@given(
    per_day=st.floats(min_value=0, max_value=500),
    on_hand=st.integers(min_value=-50, max_value=5000),
    on_order=st.integers(min_value=0, max_value=5000),
    lead=st.floats(min_value=0, max_value=60),
    cover=st.floats(min_value=0, max_value=60),
    safety=st.floats(min_value=0, max_value=10),
    pack=st.integers(min_value=1, max_value=48),
)
def test_a_suggestion_reaches_the_target_in_whole_packs_and_no_further_than_needed(
    per_day, on_hand, on_order, lead, cover, safety, pack
) -> None:
    plan = VariantPlan(lead, cover, safety, pack)
    found = suggest(per_day, on_hand, on_order, plan)
    assert found.suggested >= 0 and found.suggested % pack == 0
    position = max(0, on_hand) + on_order
    if found.suggested:
        assert position + found.suggested >= found.target - 1e-6
        assert position + found.suggested - pack < found.target
    else:
        assert position >= found.target - 1e-6


# -- stock-out days --------------------------------------------------------------------------------

TODAY = 1000
WINDOW = list(range(TODAY - 10, TODAY))


def test_an_item_out_since_its_last_sale_has_those_days_left_out() -> None:
    sales = {TODAY - 10: 2.0, TODAY - 9: 1.0, TODAY - 8: 3.0}  # sold out on day -8
    out = out_of_stock_days(WINDOW, WINDOW, TODAY, 0, sales, {}, (), ())
    assert out == set(range(TODAY - 7, TODAY))


def test_an_item_in_stock_is_never_out_even_on_days_without_sales() -> None:
    out = out_of_stock_days(WINDOW, WINDOW, TODAY, 4, {TODAY - 3: 1.0}, {}, (), ())
    assert out == set()


def test_own_restocks_reconstruct_an_earlier_stock_out() -> None:
    # Out on days -6..-4, restocked by the app on day -3 with 10, of which 2 sold since.
    sales = {TODAY - 8: 2.0, TODAY - 7: 1.0, TODAY - 2: 2.0}
    own = {TODAY - 3: 10}
    out = out_of_stock_days(WINDOW, WINDOW, TODAY, 8, sales, own, (), ())
    assert out == {TODAY - 6, TODAY - 5, TODAY - 4}


def test_observed_days_are_taken_as_observed() -> None:
    observed = [TODAY - 5, TODAY - 4]
    out = out_of_stock_days(WINDOW, WINDOW, TODAY, 7, {}, {}, observed, [TODAY - 5])
    assert out == {TODAY - 5}  # seen out on -5 (a delivery outside the app came later)


def test_closed_days_are_never_stock_out_days() -> None:
    trading = [day for day in WINDOW if day != TODAY - 3]
    out = out_of_stock_days(WINDOW, trading, TODAY, 0, {TODAY - 10: 1.0}, {}, (), ())
    assert TODAY - 3 not in out and out == set(trading) - {TODAY - 10}


@given(
    balance=st.integers(min_value=-5, max_value=30),
    sales=st.dictionaries(st.sampled_from([*WINDOW, TODAY]), st.integers(1, 5).map(float)),
    own=st.dictionaries(st.sampled_from([*WINDOW, TODAY]), st.integers(-10, 10)),
    trading=st.sets(st.sampled_from(WINDOW)),
)
def test_stock_out_days_are_trading_days_without_sales(balance, sales, own, trading) -> None:
    assume(trading)
    out = out_of_stock_days(WINDOW, sorted(trading), TODAY, balance, sales, own, (), ())
    assert out <= trading
    assert not any(sales.get(day, 0) > 0 for day in out)
    found = demand(sum(sales.get(d, 0) for d in WINDOW), 0, len(trading), len(out), len(WINDOW))
    assert found.in_stock_days == len(trading) - len(out) >= 0


def _walk_every_day(window, trading, today, balance, sales, own, observed, marks) -> set[int]:
    """The rule of ``out_of_stock_days`` written the slow, obvious way: every day from today."""
    out = set()
    closing = float(balance)
    for day in range(today, window[0] - 1, -1):
        sold = sales.get(day, 0.0)
        opening = closing + sold - own.get(day, 0)
        if day in window and day in trading and sold <= 0:
            if day in observed:
                if day in marks:
                    out.add(day)
            elif max(opening, closing) <= 0:
                out.add(day)
        closing = opening
    return out


@given(
    balance=st.integers(min_value=-5, max_value=30),
    sales=st.dictionaries(st.sampled_from([*WINDOW, TODAY]), st.integers(1, 5).map(float)),
    own=st.dictionaries(st.sampled_from([*WINDOW, TODAY]), st.integers(-10, 10)),
    trading=st.sets(st.sampled_from(WINDOW)),
    observed=st.sets(st.sampled_from(WINDOW)),
    marks=st.sets(st.sampled_from(WINDOW)),
)
def test_the_event_walk_finds_what_walking_every_day_finds(
    balance, sales, own, trading, observed, marks
) -> None:
    marks &= observed
    fast = out_of_stock_days(WINDOW, sorted(trading), TODAY, balance, sales, own, observed, marks)
    slow = _walk_every_day(WINDOW, trading, TODAY, balance, sales, own, observed, marks)
    assert fast == slow
