"""The view model against a model server: random streams of movements, tracking changes and polls.

Checks after every step that (a) the rows equal what the server holds (zeros filled in for tracked
variants, unknown products kept by UUID) and (b) replaying the emitted diffs on a copy of the rows
reproduces the view exactly (added rows are new, changed rows carry the previous version, removed
rows existed).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zinv_tui.service.balance_feed import LeanLineUnfit, decode_balances, decode_lean
from zinv_tui.service.catalogue import Catalogue, CatalogueProduct, CatalogueVariant
from zinv_tui.service.rows import RowDiff, RowKey, StockRow
from zinv_tui.service.view import InventoryView

PRODUCTS = [f"p{i}" for i in range(5)]
VARIANTS = {p: [f"{p}v{j}" for j in range(1 + i % 3)] for i, p in enumerate(PRODUCTS)}
UNKNOWN = "px"  # tracked, but missing from the catalogue
UNKNOWN_VARIANT = "pxv0"
ALL_KEYS = [(p, v) for p in PRODUCTS for v in VARIANTS[p]]


def catalogue() -> Catalogue:
    return Catalogue(
        CatalogueProduct(
            p, f"Product {p}", tuple(CatalogueVariant(v, v.upper(), "", "") for v in vs)
        )
        for p, vs in VARIANTS.items()
    )


class ModelServer:
    """Just enough of Zettle's feed: balances, tracking, a change log with a cursor."""

    def __init__(self) -> None:
        self.balances: dict[RowKey, int] = dict.fromkeys(ALL_KEYS, 0)
        self.balances[(UNKNOWN, UNKNOWN_VARIANT)] = 5
        self.tracked = {*PRODUCTS[:3], UNKNOWN}
        self.seq = 0
        self.changed: dict[RowKey, int] = {}
        self.started: dict[str, int] = {}
        self.stopped: dict[str, int] = {}

    def move(self, key: RowKey, delta: int) -> None:
        if key[0] == UNKNOWN:
            delta = abs(delta)  # keep the unknown product's balance above zero
        if key[0] not in self.tracked:
            return  # Zettle refuses movements of untracked products
        self.seq += 1
        self.balances[key] += delta
        self.changed[key] = self.seq

    def set_tracking(self, product: str, on: bool) -> None:
        if (product in self.tracked) == on:
            return
        self.seq += 1
        if on:
            self.tracked.add(product)
            self.started[product] = self.seq
            self.stopped.pop(product, None)
        else:
            self.tracked.discard(product)
            self.stopped[product] = self.seq
            self.started.pop(product, None)

    def answer(self, since: int | None) -> bytes:
        if since is None:
            variants = [k for k, b in self.balances.items() if k[0] in self.tracked and b != 0]
            tracked = sorted(self.tracked)
            untracked: list[str] = []
        else:
            variants = [k for k, s in self.changed.items() if s > since and k[0] in self.tracked]
            tracked = [p for p, s in self.started.items() if s > since]
            untracked = [p for p, s in self.stopped.items() if s > since]
        body = {
            "locationUuid": "store",
            "trackedProducts": tracked,
            "untrackedProducts": untracked,
            "variants": [
                {"productUuid": p, "variantUuid": v, "balance": str(self.balances[(p, v)])}
                for p, v in variants
            ],
            "latest": self.seq,
        }
        return json.dumps(body).encode()

    def expected(self) -> dict[RowKey, int]:
        rows = {k: b for k, b in self.balances.items() if k[0] in self.tracked and k[0] != UNKNOWN}
        if UNKNOWN in self.tracked:
            rows[(UNKNOWN, UNKNOWN_VARIANT)] = self.balances[(UNKNOWN, UNKNOWN_VARIANT)]
        return rows


def replay(replica: dict[RowKey, StockRow], diff: RowDiff) -> None:
    keys = [row.key for row in diff.added + diff.removed] + [c.key for c in diff.changed]
    assert len(keys) == len(set(keys)), "a key appears once per diff"
    for row in diff.removed:
        assert replica.pop(row.key) is row
    for change in diff.changed:
        assert replica[change.key] is change.old
        assert change.old.key == change.new.key
        replica[change.key] = change.new
    for row in diff.added:
        assert row.key not in replica
        replica[row.key] = row


operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("move"),
            st.sampled_from([*ALL_KEYS, (UNKNOWN, UNKNOWN_VARIANT)]),
            st.integers(-20, 20).filter(bool),
        ),
        st.tuples(st.just("track"), st.sampled_from(PRODUCTS), st.booleans()),
        st.tuples(st.just("poll"), st.booleans(), st.none()),
        st.tuples(st.just("pending"), st.sampled_from(ALL_KEYS), st.integers(-5, 5)),
        st.tuples(
            st.just("low"),
            st.sampled_from(ALL_KEYS),
            st.tuples(st.one_of(st.none(), st.integers(0, 9)), st.booleans()),
        ),
        st.tuples(st.just("low_all"), st.none(), st.none()),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(operations)
def test_view_follows_the_server_and_diffs_replay_exactly(ops) -> None:
    server = ModelServer()
    view = InventoryView()
    view.set_catalogue(catalogue())
    view.apply_full(decode_balances(server.answer(None)))
    cursor = server.seq
    replica = dict(view.rows)
    initial = dict(view.rows)
    composed = RowDiff()
    pending: dict[RowKey, int] = {}
    low: dict[RowKey, tuple[int | None, bool]] = {}
    for op, a, b in ops:
        if op == "move":
            server.move(a, b)
            continue
        if op == "track":
            server.set_tracking(a, b)
            continue
        if op == "pending":
            diff = view.add_pending({a: b})
            pending[a] = pending.get(a, 0) + b
        elif op == "low":
            diff = view.set_low_stock({a: b}, replace=False)
            low[a] = b
        elif op == "low_all":  # what the engine reads every minute: every non-default setting
            diff = view.set_low_stock(
                {k: v for k, v in low.items() if v != (None, False)}, replace=True
            )
        else:
            full = bool(a)
            payload = server.answer(None if full else cursor)
            lean = view.apply_lean(decode_lean(payload)) if full else None  # the engine's order
            if lean is not None:
                diff = lean
            elif full:
                diff = view.apply_full(decode_balances(payload))
            else:
                diff = view.apply_changes(decode_balances(payload))
            cursor = server.seq
            started = view.take_awaiting_products()
            if started:  # what the sync engine does: read those products' balances
                diff = diff.then(
                    view.apply_products(
                        started,
                        {k: b for k, b in server.balances.items() if k[0] in started and b},
                        tracked=True,
                    )
                )
            assert {k: r.balance for k, r in view.rows.items()} == server.expected()
        replay(replica, diff)
        assert replica == view.rows
        composed = composed.then(diff)
        for key, row in view.rows.items():
            assert row.pending == pending.get(key, 0)
            assert (row.low_stock_level, row.low_stock_alert) == low.get(key, (None, False))
            assert row.known == (key[0] != UNKNOWN)
            if not row.known:
                assert row.product_name == UNKNOWN and row.variant_name == UNKNOWN_VARIANT
    replay(initial, composed)  # all the steps' diffs composed into one replay the same way
    assert initial == view.rows


def test_full_snapshot_fills_zeros_and_keeps_unknown_products() -> None:
    server = ModelServer()
    server.move(ALL_KEYS[0], 4)
    view = InventoryView()
    view.set_catalogue(catalogue())
    diff = view.apply_full(decode_balances(server.answer(None)))
    assert diff.full and len(diff.added) == len(view.rows) == len(server.expected())
    assert view.rows[ALL_KEYS[0]].balance == 4
    assert all(view.rows[k].balance == 0 for k in ALL_KEYS[1:] if k[0] in server.tracked)
    assert view.rows[(UNKNOWN, UNKNOWN_VARIANT)].known is False


def test_settle_moves_pending_into_the_balance_once() -> None:
    view = InventoryView()
    view.set_catalogue(catalogue())
    view.apply_full(decode_balances(ModelServer().answer(None)))
    key = ALL_KEYS[0]
    view.add_pending({key: 5})
    assert view.rows[key].shown_balance == 5
    diff = view.settle({key: 5}, {key: 5})
    assert (view.rows[key].balance, view.rows[key].pending) == (5, 0)
    (change,) = diff.changed
    assert change.old.shown_balance == change.new.shown_balance == 5
    assert not change.balance_changed


def test_odd_balance_spellings_are_read() -> None:
    body = (
        b'{"variants":[{"productUuid":"A","variantUuid":"B","balance":"9.0"},'
        b'{"productUuid":"a","variantUuid":"c","balance":7}],"latest":3}'
    )
    answer = decode_balances(body)
    assert [(x.product_uuid, x.balance) for x in answer.variants] == [("A", 9), ("a", 7)]
    view = InventoryView()
    view.apply_full(answer)
    assert set(view.rows) == {("a", "b"), ("a", "c")}  # UUIDs lower-cased when not found as sent


def test_lean_snapshot_path_applies_changes_and_defers_when_rows_leave() -> None:
    server = ModelServer()
    server.move(ALL_KEYS[0], 4)
    view = InventoryView()
    view.set_catalogue(catalogue())
    view.apply_full(decode_balances(server.answer(None)))
    server.move(ALL_KEYS[0], 3)
    diff = view.apply_lean(decode_lean(server.answer(None)))
    assert diff is not None and diff.full and [c.new.balance for c in diff.changed] == [7]
    server.move(ALL_KEYS[0], -7)  # back to zero: the line leaves the answer
    assert view.apply_lean(decode_lean(server.answer(None))) is None
    assert view.rows[ALL_KEYS[0]].balance == 7  # untouched until the careful path runs
    view.apply_full(decode_balances(server.answer(None)))
    assert view.rows[ALL_KEYS[0]].balance == 0


def test_lean_snapshot_with_an_odd_line_leaves_the_view_for_the_careful_path() -> None:
    server = ModelServer()
    server.move(ALL_KEYS[0], 4)
    server.move(ALL_KEYS[1], 2)
    view = InventoryView()
    view.set_catalogue(catalogue())
    view.apply_full(decode_balances(server.answer(None)))
    server.move(ALL_KEYS[0], 3)
    odd = json.loads(server.answer(None))
    for line in odd["variants"]:
        line["balance"] = f" {line['balance']} "  # " 7 ": a whole number the lean path can't read
    payload = json.dumps(odd).encode()
    lean = decode_lean(payload)
    assert lean is not None
    with pytest.raises(LeanLineUnfit):
        view.apply_lean(lean)
    assert view.rows[ALL_KEYS[0]].balance == 4  # nothing applied
    diff = view.apply_full(decode_balances(payload))
    assert [(c.key, c.new.balance) for c in diff.changed] == [(ALL_KEYS[0], 7)]
