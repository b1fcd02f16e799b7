"""StockIndex without Textual: sort, filter and in-place diffs always equal a fresh computation."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zinv_tui.service import StockRow, search_text, search_texts
from zinv_tui.ui.stock_index import SORTABLE, StockIndex, sort_key_function


def row(
    index: int, product: str, variant: str = "", balance: int = 5, **fields: object
) -> StockRow:
    return StockRow(
        f"p{index}", f"v{index}", product, variant, f"SKU-{index}", f"73{index:06d}", balance
    ).replace(**fields)


def slow_filter(rows: list[StockRow], text: str) -> list[tuple[str, str]]:
    """The rows a filter should show, the slow obvious way: each word in one of the fields."""
    words = text.casefold().split()
    fields = [(r, [r.product_name, r.variant_name, r.sku, r.barcode]) for r in rows]
    return [
        r.key for r, values in fields if all(any(w in v.casefold() for v in values) for w in words)
    ]


def test_every_word_must_match_in_some_field_ignoring_case() -> None:
    rows = [row(1, "Green tea", "Bag of 20"), row(2, "Tea bags"), row(3, "Green tea", "Loose")]
    index = StockIndex()
    index.set_rows(rows)
    assert index.set_filter("TEA bag")
    assert index.shown_keys() == [rows[0].key, rows[1].key]
    assert index.shown_keys() == slow_filter(rows, "tea bag")
    assert not index.set_filter("tea  bag")  # the same words: nothing to redraw
    assert index.filter_text == "tea  bag"
    index.set_filter("sku-3")
    assert index.shown_keys() == [rows[2].key]
    index.set_filter("a\x00b")  # a control character in what was typed never spans two fields
    assert index.shown_count == 0
    index.set_filter("")
    assert index.shown_count == 3


def test_reverse_reads_the_same_order_backwards_and_positions_follow() -> None:
    rows = [row(i, f"Item {i:02d}", balance=i % 4) for i in range(12)]
    index = StockIndex()
    index.set_rows({r.key: r for r in rows})
    index.sort_by("balance", reverse=True)
    shown = index.shown_keys()
    balances = [index[key].shown_balance for key in shown]
    assert balances == sorted(balances, reverse=True)
    assert [index.position_of(key) for key in shown] == list(range(12))
    assert index.key_at(0) == shown[0]
    index.set_filter("item 05")
    assert index.shown_keys() == [rows[5].key]
    assert index.position_of(rows[11].key) is None


def test_a_diff_moves_rows_and_the_sort_counts_pending() -> None:
    rows = [row(i, f"Item {i}", balance=10 + i) for i in range(5)]
    index = StockIndex()
    index.set_rows(rows)
    index.sort_by("balance")
    moved = rows[4].replace(pending=-20)  # shown 14 - 20 = -6: first now
    touched = index.apply([moved, row(9, "New", balance=12)], [rows[0].key, ("no", "such")])
    assert touched == [moved.key, ("p9", "v9")]
    assert index.shown_keys()[0] == moved.key
    assert rows[0].key not in index and index.row_count == 5
    with pytest.raises(ValueError):
        index.sort_by("price")  # type: ignore[arg-type]


names = st.sampled_from(
    ["apple", "Apple", "App", "banana", "kiwi", "Kiwi [b]", "zucchini", "", "Straße", "STRASSE"]
)


@st.composite
def row_strategy(draw: st.DrawFn) -> StockRow:
    index = draw(st.integers(0, 40))
    return StockRow(
        f"p{index % 13}",
        f"v{index}",
        draw(names),
        draw(names),
        draw(st.sampled_from(["A1", "b2", "C3", ""])),
        draw(st.sampled_from(["111", "222", ""])),
        draw(st.integers(-3, 30)),
        draw(st.integers(-2, 2)),
        draw(st.one_of(st.none(), st.integers(0, 10))),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    initial=st.lists(row_strategy(), max_size=30),
    steps=st.lists(
        st.tuples(
            st.lists(row_strategy(), max_size=6),
            st.lists(st.integers(0, 40), max_size=4),
            st.sampled_from(["", "app", "KIWI", "b2 1", "z", "apple kiwi"]),
            st.sampled_from(SORTABLE),
            st.booleans(),
        ),
        max_size=6,
    ),
)
def test_view_always_matches_a_fresh_sort_and_filter(initial, steps) -> None:
    """Whatever diffs, filters and sorts happen, the view equals recomputing from scratch."""
    index = StockIndex()
    reference: dict[tuple[str, str], StockRow] = {r.key: r for r in initial}
    index.set_rows(initial)
    for upserts, removed_indexes, text, column, reverse in steps:
        removed = [(f"p{i % 13}", f"v{i}") for i in removed_indexes]
        index.apply(upserts, removed)
        for key in removed:
            reference.pop(key, None)
        for upsert in upserts:
            reference[upsert.key] = upsert
        index.set_filter(text)
        index.sort_by(column, reverse=reverse)
        key_of = sort_key_function(column, reverse)
        wanted = set(slow_filter(list(reference.values()), text))
        expected = sorted(
            (r for r in reference.values() if r.key in wanted),
            key=lambda r: key_of(r, r.key, search_text(r)),
            reverse=reverse,
        )
        assert index.shown_keys() == [r.key for r in expected]
        assert index.row_count == len(reference)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(row_strategy(), max_size=40),
    reverse=st.booleans(),
    preview=st.integers(1, 8),
    then=st.sampled_from(["build", "get", "filter", "apply", "sort", "position", "far"]),
)
def test_a_deferred_load_shows_the_same_top_rows_and_indexes_the_rest_on_demand(
    rows, reverse, preview, then
) -> None:
    """Rows set with ``defer`` show the very rows a full index shows at the top (ties of the
    search text included), count them all, and anything else indexes the rest first."""
    distinct = list({r.key: r for r in rows}.values())  # a deferred load's rows have one key each
    full = StockIndex()
    full.sort_by("product", reverse=reverse)
    full.set_rows(distinct)
    index = StockIndex(preview_rows=preview)
    index.sort_by("product", reverse=reverse)
    index.set_rows({r.key: r for r in distinct}, defer=True)
    assert index.waiting == (len(distinct) > preview)
    assert index.row_count == index.shown_count == len(distinct)
    for position in range(min(preview, len(distinct))):
        key = index.key_at(position)
        assert key == full.key_at(position)
        assert index[key] == full[key]
    assert index.waiting == (len(distinct) > preview)  # the top rows alone index nothing more
    last = distinct[-1] if distinct else row(99, "Zed")
    if then == "build":
        index.build()
    elif then == "get":
        assert index.get(last.key) == full.get(last.key)
    elif then == "filter":
        index.set_filter("app")
        full.set_filter("app")
    elif then == "apply":
        index.apply([last.replace(balance=-1)], [])
        full.apply([last.replace(balance=-1)], [])
    elif then == "sort":
        index.sort_by("balance")
        full.sort_by("balance")
    elif then == "position":
        assert index.position_of(last.key) == full.position_of(last.key)
    elif distinct:  # "far": a row further down than the top ones
        assert index.key_at(len(distinct) - 1) == full.key_at(len(distinct) - 1)
    if then not in {"get", "far"}:  # those two read the top rows alone when they can
        assert not index.waiting
    assert index.shown_keys() == full.shown_keys()
    assert [index.position_of(key) for key in full.shown_keys()] == list(range(full.shown_count))
    assert index.row_count == full.row_count


def test_a_deferred_load_of_names_holding_the_separator_shows_the_same_top_rows() -> None:
    """A name may hold the search text's separator (a server sends anything): then the order
    by name is not the order by text, and the top rows come from the texts."""
    rows = [row(1, "a", "z"), row(2, "a\x00y", "a"), *(row(i, f"b{i}") for i in range(3, 9))]
    full = StockIndex()
    full.set_rows(rows)
    index = StockIndex(preview_rows=1)
    index.set_rows({r.key: r for r in rows}, defer=True)
    assert index.key_at(0) == full.key_at(0) == ("p2", "v2")


def test_a_deferred_load_waits_only_by_product_without_a_filter() -> None:
    rows = {r.key: r for r in (row(i, f"Item {i % 7}") for i in range(50))}
    for column, text in (("balance", ""), ("product", "item")):
        index = StockIndex(preview_rows=5)
        index.sort_by(column)
        index.set_filter(text)
        index.set_rows(rows, defer=True)
        assert not index.waiting  # another order or a filter: indexed at once
    index = StockIndex(preview_rows=5)
    index.set_rows(rows, defer=True)
    assert index.waiting
    index.set_rows(rows)  # a later load replaces what waited
    assert not index.waiting and index.row_count == 50


def test_search_texts_are_the_search_text_of_each_row() -> None:
    rows = [row(1, "Green TEA", "Bag", sku="ß-1"), row(2, "Kiwi", "", barcode="")]
    odd = row(3, "Odd").replace(sku=None)  # a field a reader left None
    assert search_texts(rows) == [search_text(r) for r in rows]
    assert search_texts([*rows, odd]) == [search_text(r) for r in [*rows, odd]]
