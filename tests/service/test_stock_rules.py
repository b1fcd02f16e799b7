"""The one meaning of out and low: states, counts kept from diffs, and "most urgent first"."""

from __future__ import annotations

from zinv_tui.service import StockCounts, StockRow, StockState, StockTally, restock_rows, urgency


def row(variant: str, balance: int, level: int | None = None, pending: int = 0) -> StockRow:
    return StockRow("p", variant, "Mug", variant, f"SKU-{variant}", "", balance, pending, level)


def test_out_is_at_or_below_zero_with_or_without_a_level_and_low_needs_a_level():
    assert row("a", 0).state is StockState.OUT
    assert row("b", -3, level=5).state is StockState.OUT
    assert row("c", 2, pending=-2).state is StockState.OUT  # pending counts
    assert row("d", 4, level=4).state is StockState.LOW
    assert row("e", 5, level=4).state is StockState.OK
    assert row("f", 1).state is StockState.OK  # no level: never low
    assert row("g", 0, level=0).state is StockState.OUT  # out, not low
    assert row("h", 0).replace(tracked=False).state is StockState.OK


def test_most_urgent_first_out_then_low_then_furthest_below():
    rows = [row("ok", 9, level=2), row("low1", 3, 4), row("low5", 1, 6), row("out0", 0),
            row("out7", 0, 7), row("neg", -2)]  # fmt: skip
    ordered = [r.variant_uuid for r in restock_rows(rows)]
    assert ordered == ["out7", "neg", "out0", "low5", "low1"]
    assert sorted(rows, key=urgency)[-1].variant_uuid == "ok"


def test_the_tally_follows_changes_like_a_recount():
    rows = {r.variant_uuid: r for r in (row("a", 0), row("b", 3, 4), row("c", 9, 2))}
    tally = StockTally()
    assert tally.reset(rows.values()) == StockCounts(out=1, low=1)
    rows["a"] = rows["a"].replace(balance=5)  # restocked: no longer out, no level
    rows["c"] = rows["c"].replace(balance=0)  # sold out
    assert tally.update([rows["a"], rows["c"]]) == StockCounts.of(rows.values())
    assert tally.update([], removed=[("p", "b")]) == StockCounts(out=1, low=0)
    assert tally.reset([row("z", 0)]) == StockCounts(out=1, low=0)  # the earlier rows are gone
    assert tally.update([], removed=[("p", "z")]) == StockCounts()
