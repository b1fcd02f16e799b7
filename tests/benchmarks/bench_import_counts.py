"""``import-counts``: reading and planning a count file of N lines against a shop of M variants.

    python tests/benchmarks/bench_import_counts.py [--lines 20000] [--variants 46000]

The plan runs on real ``StockRow`` objects held by a small stand-in for the service (only ``rows``
and ``plan`` are used by the planning; nothing is sent). The file is a real CSV on disk, read by
the command's own reader. Issue 9 item 11 measured 143 s for 20,000 lines at 46,000 variants.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

from zinv_tui.commands.movements import plan_counts, read_counts
from zinv_tui.service.movements import plan_movements
from zinv_tui.service.rows import StockRow


def make_rows(count: int) -> dict[tuple[str, str], StockRow]:
    rows: dict[tuple[str, str], StockRow] = {}
    for i in range(count):
        product, variant = str(uuid.uuid4()), str(uuid.uuid4())
        rows[(product, variant)] = StockRow(
            product, variant, f"Product {i // 5}", f"V{i % 5}", f"SKU-{i}", f"{2 * 10**12 + i}", 7
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--variants", type=int, default=46_000)
    args = parser.parse_args()
    rows = make_rows(args.variants)
    service = SimpleNamespace(rows=rows, plan=lambda intents: plan_movements(intents, rows))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "counts.csv"
        step = max(1, args.variants // args.lines)
        lines = [f"SKU-{(i * step) % args.variants},{i % 50}" for i in range(args.lines)]
        path.write_text("sku,counted\n" + "\n".join(lines) + "\n", encoding="utf-8")
        started = time.perf_counter()
        column, parsed = read_counts(path)
        read = time.perf_counter() - started
        records, intents = plan_counts(service, column, parsed, "bench")
        total = time.perf_counter() - started
    problems = sum(1 for record in records if record.get("problem"))
    print(
        f"{args.lines:,} lines at {args.variants:,} variants: read {read * 1000:.0f} ms, "
        f"read + plan {total:.2f} s ({len(intents):,} corrections, {problems} problems)"
    )


if __name__ == "__main__":
    main()
