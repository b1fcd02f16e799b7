"""SVG snapshots of every screen at 80x24 and 120x40 (pytest-textual-snapshot).

Deterministic: a fresh sandbox with the seed-1 demo shop and no simulated sales per snapshot, a
fresh state directory, the app ``frozen`` (UTC, no highlights, steady cursors), toasts cleared,
and the journal's clock pinned so the history shows the same times. The scenarios are the ones the
screenshot tool uses (:mod:`zinv_tui.ui.screenshots`).

Update after an intended change: ``pytest tests/ui/test_snapshots.py --snapshot-update``, then
look at the SVGs (or ``snapshot_report.html`` on failure) before committing them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from zinv_tui.ui.screenshots import (
    PRODUCTS,
    SCENARIOS,
    SEED,
    app_for,
    main,
    pinned_journal_clock,
    png_converter,
    sandbox_options,
)

pytestmark = pytest.mark.timeout(90)

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


@pytest.fixture
def frozen_journal() -> Iterator[None]:
    """Movements are journaled at a fixed moment (the history shows their time)."""
    with pinned_journal_clock():
        yield


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_screen(name, size, snap_compare, sandbox_factory, tmp_path, frozen_journal):
    info = sandbox_factory(products=PRODUCTS, seed=SEED, **sandbox_options(name))
    app = app_for(name, info, tmp_path)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=SCENARIOS[name])


def test_screenshot_tool_writes_svg_and_png(tmp_path):
    out = tmp_path / "shots"
    assert main(["--out", str(out), "--only", "first-run", "--size", "80x24"]) == 0
    svg = (out / "first-run.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "Welcome to zinv-tui" in svg.replace("&#160;", " ")
    if png_converter() is not None:
        assert (out / "first-run.png").read_bytes().startswith(b"\x89PNG")
