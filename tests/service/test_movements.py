"""Stock maths: directions by reason, set-count deltas, validation messages."""

from __future__ import annotations

import pytest

from zinv_tui.service import MovementIntent, PlaceKind, Reason, StockRow, parse_quantity
from zinv_tui.service.movements import MAX_QUANTITY, plan_movements, store_change

KEY = ("p1", "v1")
OTHER = ("p1", "v2")

S, SUP, BIN, SOLD = PlaceKind.STORE, PlaceKind.SUPPLIER, PlaceKind.BIN, PlaceKind.SOLD


def rows(balance: int = 10, pending: int = 0) -> dict:
    return {
        KEY: StockRow("p1", "v1", "Mug", "Blue", "MUG-B", "123", balance, pending),
        OTHER: StockRow("p1", "v2", "Mug", "Red", "MUG-R", "124", 3),
    }


@pytest.mark.parametrize(
    ("reason", "source", "target", "after"),
    [
        (Reason.RESTOCK, SUP, S, 14),
        (Reason.SALE, S, SOLD, 6),
        (Reason.DISCARD, S, BIN, 6),
        (Reason.RETURN_TO_SUPPLIER, S, SUP, 6),
    ],
)
def test_fixed_directions(reason, source, target, after) -> None:
    (plan,) = plan_movements([MovementIntent(reason, KEY, quantity=4)], rows())
    assert (plan.from_type, plan.to_type, plan.quantity) == (source, target, 4)
    assert (plan.balance_before, plan.balance_after) == (10, after)
    assert plan.moves and plan.error is None


def test_set_count_up_down_and_equal() -> None:
    up, down, same = (
        plan_movements([MovementIntent(Reason.SET_COUNT, KEY, count=n)], rows())[0]
        for n in (17, 4, 10)
    )
    assert (up.from_type, up.to_type, up.quantity, up.balance_after) == (SUP, S, 7, 17)
    assert (down.from_type, down.to_type, down.quantity, down.balance_after) == (S, BIN, 6, 4)
    assert same.quantity == 0 and not same.moves and same.error is None


def test_set_count_counts_pending_and_honours_direction_override() -> None:
    (plan,) = plan_movements(
        [MovementIntent(Reason.SET_COUNT, KEY, count=5, to_type=SOLD)], rows(10, pending=2)
    )
    assert plan.balance_before == 12 and plan.quantity == 7 and plan.to_type is SOLD


def test_set_count_against_balance_at_counting_time_keeps_later_sales() -> None:
    # Counted 8 when the screen said 10; two sales since (now 8): correction is -2 from today.
    (plan,) = plan_movements(
        [MovementIntent(Reason.SET_COUNT, KEY, count=8, counted_against=10)], rows(8)
    )
    assert plan.quantity == 2 and plan.to_type is BIN and plan.balance_after == 6


def test_set_count_to_zero_and_from_negative() -> None:
    (plan,) = plan_movements([MovementIntent(Reason.SET_COUNT, KEY, count=0)], rows(-3))
    assert (plan.from_type, plan.to_type, plan.quantity, plan.balance_after) == (SUP, S, 3, 0)


def test_several_intents_on_one_variant_apply_in_order() -> None:
    plans = plan_movements(
        [
            MovementIntent(Reason.RESTOCK, KEY, quantity=5),
            MovementIntent(Reason.SET_COUNT, KEY, count=12),
            MovementIntent(Reason.SALE, OTHER, quantity=1),
        ],
        rows(),
    )
    assert [(p.balance_before, p.balance_after) for p in plans] == [(10, 15), (15, 12), (3, 2)]
    assert plans[1].to_type is BIN and plans[1].quantity == 3


def test_move_between_non_store_locations_changes_no_store_balance() -> None:
    (plan,) = plan_movements(
        [MovementIntent(Reason.MOVE, KEY, quantity=2, from_type=BIN, to_type=SUP)], rows()
    )
    assert plan.moves and plan.store_change == 0 and (plan.from_type, plan.to_type) == (BIN, SUP)


@pytest.mark.parametrize(
    ("intent", "words"),
    [
        (MovementIntent(Reason.RESTOCK, KEY, quantity=0), "above zero"),
        (MovementIntent(Reason.RESTOCK, KEY, quantity=-2), "above zero"),
        (MovementIntent(Reason.SALE, KEY, quantity=2.5), "whole number"),  # type: ignore[arg-type]
        (MovementIntent(Reason.SALE, KEY, quantity=True), "whole number"),
        (MovementIntent(Reason.SALE, KEY), "whole number"),
        (MovementIntent(Reason.RESTOCK, KEY, quantity=MAX_QUANTITY + 1), "typo"),
        (MovementIntent(Reason.SET_COUNT, KEY, count=-1), "zero or more"),
        (MovementIntent(Reason.MOVE, KEY, quantity=1, from_type=S), "both a from and a to"),
        (MovementIntent(Reason.MOVE, KEY, quantity=1, from_type=S, to_type=S), "two different"),
        (MovementIntent(Reason.UNDO, KEY, quantity=1), "history"),
        (MovementIntent(Reason.RESTOCK, ("p9", "v9"), quantity=1), "start tracking"),
        (MovementIntent(Reason.RESTOCK, KEY, quantity=1, note="x" * 501), "note"),
    ],
)
def test_invalid_intents_say_what_is_wrong(intent, words) -> None:
    (plan,) = plan_movements([intent], rows())
    assert plan.error is not None and words in plan.error and not plan.moves
    assert plan.balance_after == plan.balance_before


def test_going_below_zero_is_a_warning_not_an_error() -> None:
    (plan,) = plan_movements([MovementIntent(Reason.SALE, KEY, quantity=12)], rows())
    assert plan.error is None and plan.balance_after == -2 and "below zero" in plan.warning


def test_parse_quantity() -> None:
    assert parse_quantity(" 12 ") == 12 and parse_quantity("9.0") == 9
    for text, words in (("abc", "not a whole number"), ("0", "above zero"), ("1.5", "whole")):
        with pytest.raises(ValueError, match=words):
            parse_quantity(text)
    with pytest.raises(ValueError, match="typo"):
        parse_quantity(str(MAX_QUANTITY + 1))


def test_store_change() -> None:
    assert store_change(SUP, S, 3) == 3 and store_change(S, BIN, 3) == -3
    assert store_change(BIN, SOLD, 3) == 0
