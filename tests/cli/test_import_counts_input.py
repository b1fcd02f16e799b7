"""``import-counts`` on big and wrong files (issue 9 item 11): linear planning, bounded reading."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, ValuesView
from pathlib import Path
from types import SimpleNamespace

import pytest

from zinv_tui.commands.count_file import MAX_COUNT_FILE_BYTES
from zinv_tui.commands.movements import plan_counts, read_counts
from zinv_tui.service.movements import plan_movements
from zinv_tui.service.rows import RowKey, StockRow

pytestmark = pytest.mark.timeout(60)


class CountedRows(dict[RowKey, StockRow]):
    """The service's rows, counting how often a command walks through all of them."""

    walks = 0

    def values(self) -> ValuesView[StockRow]:
        self.walks += 1
        return super().values()

    def __iter__(self) -> Iterator[RowKey]:
        self.walks += 1
        return super().__iter__()


def shop_rows(count: int) -> CountedRows:
    rows = CountedRows()
    for i in range(count):
        product, variant = str(uuid.uuid4()), str(uuid.uuid4())
        rows[(product, variant)] = StockRow(
            product, variant, f"Product {i}", "", f"SKU-{i}", f"{4 * 10**12 + i}", 5
        )
    return rows


def test_planning_walks_the_shop_once_not_once_per_line(tmp_path: Path) -> None:
    rows = shop_rows(3_000)
    service = SimpleNamespace(rows=rows, plan=lambda intents: plan_movements(intents, rows))
    counts = tmp_path / "counts.csv"
    lines = [f"sku-{i * 3},{i % 9}" for i in range(1_000)]  # SKUs in any case
    lines += ["SKU-999999,1", f"{4 * 10**12},2"]  # unknown; a barcode is not a SKU
    counts.write_text("sku,counted\n" + "\n".join(lines) + "\n", encoding="utf-8")
    column, parsed = read_counts(counts)

    started = time.perf_counter()
    records, intents = plan_counts(service, column, parsed, "note")
    took = time.perf_counter() - started

    assert rows.walks == 1, f"the rows were walked {rows.walks} times for {len(parsed)} lines"
    assert len(intents) == 1_000
    assert [record["problem"] for record in records[-2:]] == [
        "no tracked variant has sku 'SKU-999999'",
        "no tracked variant has sku '4000000000000'",
    ]
    assert took < 5.0


def test_dev_zero_is_refused_at_once(run_cli) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("needs /dev/zero")
    started = time.monotonic()
    result = run_cli("import-counts", "/dev/zero", "--dry-run")
    assert result.code == 2, result.err
    assert "/dev/zero is larger than 32 MB" in result.err
    assert time.monotonic() - started < 10.0


def test_a_file_too_big_or_with_a_giant_line_is_refused(run_cli, tmp_path: Path) -> None:
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as handle:
        handle.write(b"sku,counted\n")
        handle.truncate(MAX_COUNT_FILE_BYTES + 1)  # sparse: no disk used
    result = run_cli("import-counts", str(huge), "--dry-run")
    assert result.code == 2 and "is larger than 32 MB" in result.err, result.err

    long_line = tmp_path / "long.csv"
    long_line.write_text("sku,counted\nA,1\n" + "B" * 5000 + ",2\n", encoding="utf-8")
    result = run_cli("import-counts", str(long_line), "--dry-run")
    assert result.code == 2 and "line 3 is longer than 4,096 bytes" in result.err, result.err


def test_a_count_file_that_is_not_utf8_says_where(run_cli, tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"sku,counted\nCAF\xc9-1,3\n")
    result = run_cli("import-counts", str(latin), "--dry-run")
    assert result.code == 2
    assert "is not UTF-8 text (byte 0xc9 on line 2)" in result.err, result.err
