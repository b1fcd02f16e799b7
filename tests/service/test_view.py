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

from zinv_tui.api.v1.balances import BalanceFeedError, SnapshotStream, StoreBalances
from zinv_tui.api.v1.balances import decode_balances as decode_answer
from zinv_tui.service.backend import Changes
from zinv_tui.service.catalogue import Catalogue, CatalogueProduct, CatalogueVariant
from zinv_tui.service.rows import RowDiff, RowKey, StockRow
from zinv_tui.service.view import InventoryView, SnapshotBuilder


def uuid_like(name: str) -> str:
    """A readable stand-in for a UUID, as long as one (the decoder checks the length)."""
    return name.ljust(36, "0")


PRODUCTS = [uuid_like(f"p{i}") for i in range(5)]
P0, P1, P2 = PRODUCTS[:3]
VARIANTS = {p: [uuid_like(f"p{i}v{j}") for j in range(1 + i % 3)] for i, p in enumerate(PRODUCTS)}
UNKNOWN = uuid_like("px")  # tracked, but missing from the catalogue
UNKNOWN_VARIANT = uuid_like("pxv0")
ALL_KEYS = [(p, v) for p in PRODUCTS for v in VARIANTS[p]]


class Answer:
    """A decoded v1 balance answer, applied to a view as the sync engine applies it."""

    def __init__(self, answer: StoreBalances) -> None:
        self.answer = answer
        self.variants = answer.variants

    def full(self, view: InventoryView) -> RowDiff:
        return view.apply_full(self.answer.variants, self.answer.tracked_products)

    def changes(self, view: InventoryView) -> RowDiff:
        answer = self.answer
        return view.apply_changes(
            Changes(answer.variants, answer.tracked_products, answer.untracked_products)
        )


def decode_balances(payload: bytes) -> Answer:
    return Answer(decode_answer(payload))


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
            "locationUuid": uuid_like("store"),
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


def streamed(view: InventoryView, payload: bytes, chunk: int, during=None) -> RowDiff:
    """A full snapshot the way the sync engine reads it: decoded and checked while it arrives
    (cut every few lines), applied at the end. ``during()`` runs halfway through the body."""
    stream = SnapshotStream(view.begin_snapshot(), flush_at=16)
    half = len(payload) // 2
    for start in range(0, len(payload), chunk):
        if during is not None and start >= half:
            during()
            during = None
        stream.write(payload[start : start + chunk])
    if during is not None:
        during()
    frame = stream.finish()
    builder = stream.lines_to
    assert isinstance(builder, SnapshotBuilder)
    return view.commit_snapshot(builder, frame.tracked_products)


def assert_same_diff(diff: RowDiff, expected: RowDiff) -> None:
    assert diff.full == expected.full
    assert {r.key: r for r in diff.added} == {r.key: r for r in expected.added}
    assert len(diff.added) == len(expected.added)
    assert {c.key: (c.old, c.new) for c in diff.changed} == {
        c.key: (c.old, c.new) for c in expected.changed
    }
    assert len(diff.changed) == len(expected.changed)
    assert {r.key: r for r in diff.removed} == {r.key: r for r in expected.removed}
    assert len(diff.removed) == len(expected.removed)


def assert_same_view(view: InventoryView, twin: InventoryView) -> None:
    assert dict(view.rows) == dict(twin.rows)
    assert view.tracked == twin.tracked
    assert view.low_stock == twin.low_stock
    assert view.unknown_products == twin.unknown_products
    assert view.awaiting_products == twin.awaiting_products


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
        st.tuples(st.just("poll"), st.booleans(), st.one_of(st.none(), st.sampled_from(ALL_KEYS))),
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
@given(operations, st.sampled_from([1, 7, 50, 10**6]))
def test_view_follows_the_server_and_diffs_replay_exactly(ops, chunk: int) -> None:
    """The view reads full snapshots as the engine does (streamed); a twin view reads the same
    answers whole with ``apply_full`` and gets every other step too: both must agree throughout."""
    server = ModelServer()
    view = InventoryView()
    twin = InventoryView()
    for one in (view, twin):
        one.set_catalogue(catalogue())
    assert_same_diff(
        streamed(view, server.answer(None), chunk),
        decode_balances(server.answer(None)).full(twin),
    )
    assert_same_view(view, twin)
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
            assert_same_diff(diff, twin.add_pending({a: b}))
            pending[a] = pending.get(a, 0) + b
        elif op == "low":
            diff = view.set_low_stock({a: b}, replace=False)
            assert_same_diff(diff, twin.set_low_stock({a: b}, replace=False))
            low[a] = b
        elif op == "low_all":  # what the engine reads every minute: every non-default setting
            levels = {k: v for k, v in low.items() if v != (None, False)}
            diff = view.set_low_stock(levels, replace=True)
            assert_same_diff(diff, twin.set_low_stock(levels, replace=True))
        else:
            full = bool(a)
            payload = server.answer(None if full else cursor)
            if full:
                # An own movement recorded while the snapshot arrives (b): the twin sees it
                # first, then the whole answer, which is what the commit must amount to.
                edits: list[RowDiff] = []
                during = None
                if b is not None:
                    key: RowKey = b

                    def during() -> None:
                        edits.append(view.add_pending({key: 1}))  # noqa: B023

                    pending[key] = pending.get(key, 0) + 1
                    twin_edit = twin.add_pending({key: 1})
                diff = streamed(view, payload, chunk, during)
                assert_same_diff(diff, decode_balances(payload).full(twin))
                if edits:
                    assert_same_diff(edits[0], twin_edit)
                    replay(replica, edits[0])
                    composed = composed.then(edits[0])
            else:
                diff = decode_balances(payload).changes(view)
                assert_same_diff(diff, decode_balances(payload).changes(twin))
            cursor = server.seq
            started = view.take_awaiting_products()
            assert started == twin.take_awaiting_products()
            if started:  # what the sync engine does: read those products' balances
                balances = {k: b for k, b in server.balances.items() if k[0] in started and b}
                more = view.apply_products(started, balances, tracked=True)
                assert_same_diff(more, twin.apply_products(started, balances, tracked=True))
                diff = diff.then(more)
            assert {k: r.balance for k, r in view.rows.items()} == server.expected()
        assert_same_view(view, twin)
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
    diff = decode_balances(server.answer(None)).full(view)
    assert diff.full and len(diff.added) == len(view.rows) == len(server.expected())
    assert view.rows[ALL_KEYS[0]].balance == 4
    assert all(view.rows[k].balance == 0 for k in ALL_KEYS[1:] if k[0] in server.tracked)
    assert view.rows[(UNKNOWN, UNKNOWN_VARIANT)].known is False


def test_settle_moves_pending_into_the_balance_once() -> None:
    view = InventoryView()
    view.set_catalogue(catalogue())
    decode_balances(ModelServer().answer(None)).full(view)
    key = ALL_KEYS[0]
    view.add_pending({key: 5})
    assert view.rows[key].shown_balance == 5
    diff = view.settle({key: 5}, {key: 5})
    assert (view.rows[key].balance, view.rows[key].pending) == (5, 0)
    (change,) = diff.changed
    assert change.old.shown_balance == change.new.shown_balance == 5
    assert not change.balance_changed


def test_odd_balance_spellings_are_read() -> None:
    a, b, c = uuid_like("a"), uuid_like("b"), uuid_like("c")
    body = json.dumps(
        {
            "variants": [
                {"productUuid": a.upper(), "variantUuid": b.upper(), "balance": "9.0"},
                {"productUuid": a, "variantUuid": c, "balance": 7},
            ],
            "latest": 3,
        }
    ).encode()
    answer = decode_balances(body)
    assert [(x.product_uuid, x.balance) for x in answer.variants] == [(a.upper(), 9), (a, 7)]
    view = InventoryView()
    answer.full(view)
    assert set(view.rows) == {(a, b), (a, c)}  # UUIDs lower-cased when not found as sent


def test_streamed_snapshot_applies_changes_and_reconciles_when_rows_leave() -> None:
    server = ModelServer()
    server.move(ALL_KEYS[0], 4)
    view = InventoryView()
    view.set_catalogue(catalogue())
    first = streamed(view, server.answer(None), 9)
    assert first.full and len(first.added) == len(view.rows) == len(server.expected())
    server.move(ALL_KEYS[0], 3)
    diff = streamed(view, server.answer(None), 9)
    assert diff.full and [(c.key, c.new.balance) for c in diff.changed] == [(ALL_KEYS[0], 7)]
    server.move(ALL_KEYS[0], -7)  # back to zero: the line leaves the answer
    server.set_tracking(PRODUCTS[2], False)  # and a product stops being tracked
    diff = streamed(view, server.answer(None), 9)
    assert [(c.key, c.new.balance) for c in diff.changed] == [(ALL_KEYS[0], 0)]
    assert {row.key[0] for row in diff.removed} == {PRODUCTS[2]}
    assert {k: r.balance for k, r in view.rows.items()} == server.expected()


def test_a_snapshot_that_fails_midway_leaves_no_trace() -> None:
    server = ModelServer()
    server.move(ALL_KEYS[0], 4)
    view = InventoryView()
    view.set_catalogue(catalogue())
    streamed(view, server.answer(None), 9)
    before = dict(view.rows)
    server.move(ALL_KEYS[0], 3)
    server.move(ALL_KEYS[3], 1)
    payload = server.answer(None)
    stream = SnapshotStream(view.begin_snapshot(), flush_at=16)
    stream.write(payload[:-3])  # the connection dropped: the client retries with a fresh one
    assert stream.lines > 0
    assert dict(view.rows) == before
    stream = SnapshotStream(view.begin_snapshot(), flush_at=16)
    stream.write(payload[:-3] + b"]]]")
    with pytest.raises(BalanceFeedError):
        stream.finish()
    assert dict(view.rows) == before
    streamed(view, payload, 9)
    assert view.rows[ALL_KEYS[0]].balance == 7 and view.rows[ALL_KEYS[3]].balance == 1


def test_streamed_lines_needing_care_take_the_whole_answer_path() -> None:
    server = ModelServer()
    server.move(ALL_KEYS[0], 4)
    server.move(ALL_KEYS[1], 2)
    for variant_case in (str.upper, str):
        view, twin = InventoryView(), InventoryView()
        for one in (view, twin):
            one.set_catalogue(catalogue())
            one.low_stock[ALL_KEYS[1]] = (3, True)
        odd = json.loads(server.answer(None))
        for line in odd["variants"]:
            line["balance"] = f" {line['balance']} "  # " 7 ": read by the careful decoder
            line["variantUuid"] = variant_case(line["variantUuid"])
        odd["variants"].append(odd["variants"][0])  # listed twice
        payload = json.dumps(odd).encode()
        assert_same_diff(streamed(view, payload, 5), decode_balances(payload).full(twin))
        assert_same_view(view, twin)
        assert view.rows[ALL_KEYS[1]].low_stock_level == 3
        payload = server.answer(None)
        assert_same_diff(streamed(view, payload, 5), decode_balances(payload).full(twin))
        assert_same_view(view, twin)


def test_rows_a_snapshot_adds_take_settings_and_movements_made_before_it() -> None:
    server = ModelServer()
    view, twin = InventoryView(), InventoryView()
    for one in (view, twin):
        one.set_catalogue(catalogue())
        decode_balances(server.answer(None)).full(one)
    later = ALL_KEYS[-1]  # a variant of a product not tracked yet: no row
    assert later not in view.rows
    for one in (view, twin):
        one.set_low_stock({later: (4, True)}, replace=False)  # kept aside until a row comes
        one.add_pending({later: 2})
    server.set_tracking(later[0], True)
    server.move(later, 3)
    payload = server.answer(None)
    builder = view.begin_snapshot()
    stream = SnapshotStream(builder, flush_at=16)
    for start in range(0, len(payload), 5):
        stream.write(payload[start : start + 5])
    frame = stream.finish()
    assert [row.key for row in builder.added] == [later] and not builder.odd
    diff = view.commit_snapshot(builder, frame.tracked_products)
    assert_same_diff(diff, decode_balances(payload).full(twin))
    assert_same_view(view, twin)
    row = view.rows[later]
    assert (row.balance, row.pending, row.low_stock_level, row.low_stock_alert) == (3, 2, 4, True)
    assert later not in view.low_stock


def test_an_own_movement_recorded_while_the_snapshot_arrives_is_kept() -> None:
    server = ModelServer()
    view, twin = InventoryView(), InventoryView()
    for one in (view, twin):
        one.set_catalogue(catalogue())
        decode_balances(server.answer(None)).full(one)
    tracked = [key for key in ALL_KEYS if key[0] in server.tracked]
    for key in tracked:
        server.move(key, 5)
    first = tracked[0]
    payload = server.answer(None)
    builder = view.begin_snapshot()
    stream = SnapshotStream(builder, flush_at=16)
    for start in range(0, len(payload), 5):
        if start >= len(payload) // 2 and first[1] in builder.changed:
            during = view.add_pending({first: -1})  # the line for `first` was checked already
            break
        stream.write(payload[start : start + 5])
    else:
        raise AssertionError("the line never arrived before the middle of the body")
    for rest in range(start, len(payload), 5):
        stream.write(payload[rest : rest + 5])
    frame = stream.finish()
    twin_during = twin.add_pending({first: -1})
    diff = view.commit_snapshot(builder, frame.tracked_products)
    assert_same_diff(during, twin_during)
    assert_same_diff(diff, decode_balances(payload).full(twin))
    assert_same_view(view, twin)
    assert (view.rows[first].balance, view.rows[first].pending) == (5, -1)


def test_tracked_products_listed_twice_are_not_mistaken_for_ours() -> None:
    server = ModelServer()
    for one_way in (True, False):
        view = InventoryView()
        view.set_catalogue(catalogue())
        streamed(view, server.answer(None), 7)
        assert view.tracked == {P0, P1, P2, UNKNOWN}
        odd = json.loads(server.answer(None))
        odd["trackedProducts"] = [P0, P1, P0, UNKNOWN]  # as many as ours, p2 missing
        payload = json.dumps(odd).encode()
        diff = streamed(view, payload, 7) if one_way else decode_balances(payload).full(view)
        assert view.tracked == {P0, P1, UNKNOWN}
        assert {row.key[0] for row in diff.removed} == {P2}
        assert not [key for key in view.rows if key[0] == P2]
