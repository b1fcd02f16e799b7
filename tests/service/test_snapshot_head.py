"""The snapshot's head: the first rows by product, kept through diffs, for a launch's first paint.

The head after any sequence of full writes and diffs is exactly the first rows of all the rows
in the balances' order (or shorter, never wrong); a preview comes only when enough of it is
known.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zinv_tui.service.local_snapshot as local_snapshot_module
from zinv_tui.service import StockCounts, StockRow
from zinv_tui.service.backend import Place, PlaceKind
from zinv_tui.service.local_snapshot import LocalSnapshot, SnapshotOwner, product_order, saved_row

STORE = Place(uuid="store-1", kind=PlaceKind.STORE, name="", default=True)
NAMES = ["Apple", "apple", "App", "Banana", "Kiwi", "Zucchini", "", "Straße"]


def a_row(number: int, name: str, balance: int) -> StockRow:
    return StockRow(f"p{number % 7}", f"v{number}", name, f"V{number % 3}", "", "", balance)


def first_rows(rows: dict[str, StockRow], count: int) -> list[StockRow]:
    return sorted(rows.values(), key=lambda row: product_order(saved_row(row)))[:count]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.integers(0, 14),
    steps=st.lists(
        st.tuples(
            st.lists(st.tuples(st.integers(0, 20), st.sampled_from(NAMES)), max_size=4),
            st.lists(st.integers(0, 20), max_size=3),
        ),
        max_size=6,
    ),
)
def test_the_head_is_the_first_rows_in_order_after_any_diffs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, start, steps
) -> None:
    monkeypatch.setattr(local_snapshot_module, "HEAD_ROWS", 6)
    monkeypatch.setattr(local_snapshot_module, "HEAD_NEEDED", 3)
    path = tmp_path_factory.mktemp("head") / "snapshot.sqlite"
    snapshot = LocalSnapshot(path, SnapshotOwner("shop", "org", "v1"))
    rows = {f"v{n}": a_row(n, NAMES[n % len(NAMES)], n % 4) for n in range(start)}
    snapshot.save_full(rows.values(), {}, [], STORE, [STORE], None)
    for upserts, removed in steps:
        changed = [a_row(n, name, n) for n, name in upserts]
        gone = sorted({f"v{n}" for n in removed if f"v{n}" in rows})
        for variant in gone:
            rows.pop(variant)
        rows.update((row.variant_uuid, row) for row in changed)
        snapshot.save_diff(changed, gone)
    snapshot.close()
    reader = LocalSnapshot(path, SnapshotOwner("shop", "org", "v1"))
    preview = reader.load_preview()
    whole = reader.load()
    assert whole is not None
    assert {row.variant_uuid: row for row in whole.rows} == rows
    assert whole.counts == StockCounts.of(rows.values())
    if preview is None:  # too short a head: never wrong, read whole
        return
    assert preview.total == len(rows)
    assert preview.counts == StockCounts.of(rows.values())
    assert len(preview.head) >= min(len(rows), 3)
    assert preview.head == first_rows(rows, len(preview.head))


def test_a_whole_write_keeps_the_first_rows_and_a_preview_needs_enough_of_them(
    tmp_path: Path,
) -> None:
    names = [f"Item {n:03d}" for n in range(300)]
    random.Random(1).shuffle(names)
    rows = {f"v{n}": a_row(n, name, 5) for n, name in enumerate(names)}
    snapshot = LocalSnapshot(tmp_path / "s.sqlite", SnapshotOwner("shop", "org", "v1"))
    snapshot.save_full(rows.values(), {}, [], STORE, [STORE], None)
    snapshot.flush()
    preview = snapshot.load_preview()
    assert preview is not None and preview.total == 300
    assert preview.head == first_rows(rows, local_snapshot_module.HEAD_ROWS)
    gone = [row.variant_uuid for row in preview.head[: -local_snapshot_module.HEAD_NEEDED + 1]]
    snapshot.save_diff([], gone)  # the head loses all but HEAD_NEEDED - 1 of its rows
    snapshot.close()
    assert snapshot.load_preview() is None  # too few known in order: read whole instead
    assert snapshot.load() is not None
