"""Stock counts: cost of a scan, a review and a commit plan in full counts of 1k, 10k, 50k variants.

    python tests/benchmarks/bench_counts.py [--runs 5]

The count code runs on real ``StockRow`` objects held by a small stand-in for the service (only
``rows``, ``state_dir`` and ``user`` are read here; nothing is sent). Baseline, measured in the same
run: one durable SQLite insert (WAL, ``synchronous=FULL``) in a file beside the count, the floor
cost of any write that must survive a crash. Medians of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

from zinv_tui.service.counts import CountBook, CountScope
from zinv_tui.service.rows import StockRow

SCANS = 200


def make_rows(count: int) -> dict[tuple[str, str], StockRow]:
    rows: dict[tuple[str, str], StockRow] = {}
    for i in range(count):
        product, variant = str(uuid.uuid4()), str(uuid.uuid4())
        rows[(product, variant)] = StockRow(
            product,
            variant,
            f"Product {i // 5}",
            f"V{i % 5}",
            f"SKU-{i}",
            f"{2 * 10**12 + i}",
            i % 40,
        )
    return rows


def median_time(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def baseline(folder: Path, runs: int) -> float:
    """One durable insert (what a scan costs at the very least)."""
    db = sqlite3.connect(folder / "baseline.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")

    def insert() -> None:
        for _ in range(SCANS):
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO t(v) VALUES ('x')")
            db.execute("COMMIT")

    result = median_time(insert, runs) / SCANS
    db.close()
    return result


def measure(size: int, folder: Path, runs: int) -> dict[str, float]:
    rows = make_rows(size)
    service = SimpleNamespace(rows=rows, state_dir=folder / str(size), user="bench")
    book = CountBook(service)
    keys = list(rows)
    start = median_time(lambda: book.start(scope=CountScope.FULL), runs)
    session = book.start(scope=CountScope.FULL)
    position = iter(range(10**9))

    def scans() -> None:
        for _ in range(SCANS):
            book.tally(session.id, keys[next(position) % len(keys)], 1)

    scan = median_time(scans, runs) / SCANS
    review = median_time(lambda: book.review(session.id), runs)
    items = book.review(session.id)
    plan = median_time(lambda: book.plan_commit(session.id, review=items), runs)
    book.close()
    return {"start": start, "scan": scan, "review": review, "plan": plan}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zinv-bench-counts-") as tmp:
        folder = Path(tmp)
        floor = baseline(folder, args.runs)
        print(f"baseline: durable insert {floor * 1000:.3f} ms (median of {args.runs} runs)")
        print(
            f"{'variants':>9} {'start':>9} {'scan':>9} {'scan/base':>10} {'review':>9} {'plan':>9}"
        )
        for size in (1_000, 10_000, 50_000):
            got = measure(size, folder, args.runs)
            print(
                f"{size:>9,} {got['start'] * 1000:>7.0f}ms {got['scan'] * 1000:>7.3f}ms "
                f"{got['scan'] / floor:>9.1f}x {got['review'] * 1000:>7.0f}ms "
                f"{got['plan'] * 1000:>7.0f}ms"
            )


if __name__ == "__main__":
    main()
