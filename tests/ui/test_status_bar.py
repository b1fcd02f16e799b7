"""The status line at 80 columns: everything it may say at once still ends with the counts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.app import App, ComposeResult
from textual.reactive import reactive

from zinv_tui.service import StockCounts, SyncState, SyncStatus
from zinv_tui.ui.widgets.status_bar import StatusBar

SAVED = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)


class BarOnly(App[None]):
    """A status source (as ``ZinvApp`` is one) with nothing but the bar."""

    sync_status: reactive[SyncStatus | None] = reactive(None)
    stock_counts: reactive[StockCounts | None] = reactive(None)
    worker_name: reactive[str] = reactive("")
    demo = True

    def format_clock(self, moment: datetime) -> str:
        return moment.strftime("%H:%M")

    def compose(self) -> ComposeResult:
        yield StatusBar()


@pytest.mark.parametrize(
    ("width", "words"),
    [
        (80, ["◐ from 14:05…", "3 unsent", "⚠ 1 attention"]),
        (120, ["◐ from 14:05, updating…", "outbox 3 pending", "⚠ 1 need attention"]),
    ],
)
async def test_the_counts_stay_on_a_full_line(width: int, words: list[str]) -> None:
    app = BarOnly()
    async with app.run_test(size=(width, 5)) as pilot:
        app.sync_status = SyncStatus(
            SyncState.STALE, pending_count=3, attention_count=1, snapshot_from=SAVED
        )
        app.stock_counts = StockCounts(out=27, low=16)
        await pilot.pause()
        line = app.query_one(StatusBar).render()
        assert line.cell_len <= width
        assert line.plain.endswith("✗ 27 out ▼ 16 low")
        for word in words:
            assert word in line.plain
