"""The app on a profile's local snapshot: rows at once, marked stale, until Zettle confirms them;
and nothing claims "nothing out or low" before any stock is known."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Label

from tests.service.test_local_snapshot import first_run, snapshot_service
from tests.support.clients import FAST_CLIENT, FAST_SERVICE
from tests.support.sandbox import SandboxAdmin
from tests.support.screens import settle
from tests.ui.test_movement_screen import find, open_movement, set_quantity
from zinv_tui.build import ShopAccess, open_inventory
from zinv_tui.service import InventoryService, StockCounts, StockRow, StockTally
from zinv_tui.ui import launch
from zinv_tui.ui.app import ZinvApp
from zinv_tui.ui.preferences import PreferenceFile
from zinv_tui.ui.screens.balances import BalancesScreen
from zinv_tui.ui.widgets.status_bar import StatusBar
from zinv_tui.ui.widgets.stock_table import StockLoading, StockTable


async def wait_for(pilot: Pilot, condition: Callable[[], bool], tries: int = 600) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("condition never became true")


def bar_text(app: ZinvApp) -> str:
    return app.screen.query_one(StatusBar).render().plain


async def test_the_snapshot_paints_stale_then_zettle_confirms_it(sandbox_factory, tmp_path: Path):
    info = sandbox_factory(products=30)
    await first_run(info, tmp_path)
    admin = SandboxAdmin(info)
    admin.faults(error_rate=1.0)  # Zettle answers nothing useful yet
    app = ZinvApp(snapshot_service(info, tmp_path, max_backoff=0.2), frozen=True)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(StockTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        assert not table.loading
        assert table.row_count == len(app.service.rows)
        text = bar_text(app)
        assert "◐ from " in text and "updating…" in text, text
        assert "loading stock" not in text  # the snapshot's counts are shown
        admin.faults(error_rate=0.0)
        await wait_for(pilot, lambda: "● live" in bar_text(app))
        assert "from" not in bar_text(app)


async def test_nothing_claims_no_low_stock_before_stock_is_known(sandbox_factory, tmp_path: Path):
    info = sandbox_factory(products=30)
    admin = SandboxAdmin(info)
    admin.faults(error_rate=1.0)  # the first load fails: no rows, no snapshot
    app = ZinvApp(snapshot_service(info, tmp_path, max_backoff=0.2), frozen=True)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(StockTable)
        await wait_for(pilot, lambda: app.sync_status is not None and app.sync_status.last_error)
        await pilot.pause()
        assert table.loading
        assert "nothing out or low" not in bar_text(app)
        assert "loading stock" in bar_text(app)
        loading = table._cover_widget  # what Textual draws over a loading widget
        assert isinstance(loading, StockLoading)  # the table says so in words, drawn once
        assert str(loading.render()) == "Loading stock…" and not loading.auto_refresh
        admin.faults(error_rate=0.0)
        await wait_for(pilot, lambda: table.row_count > 0)
        assert not table.loading
        await wait_for(pilot, lambda: "● live" in bar_text(app))


async def test_a_first_launch_fills_the_table_once(sandbox_factory, tmp_path: Path):
    """The full load's own diff arrives after the load it is part of: the table is filled once
    (at 46,000 rows a second fill held the first paint back by 0.15 s)."""
    info = sandbox_factory(products=30)
    admin = SandboxAdmin(info)
    admin.faults(latency_ms=300)  # the first load is still under way when the test listens
    app = ZinvApp(snapshot_service(info, tmp_path), frozen=True)
    published: list[object] = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.stock_signal.subscribe(app, published.append, immediate=True)
        table = app.screen.query_one(StockTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        admin.faults(latency_ms=0)
        await wait_for(pilot, lambda: "● live" in bar_text(app))
        await pilot.pause(0.1)
        assert published == [None]  # "reload everything" once; no full diff of the same rows


async def test_a_launch_from_the_snapshot_asks_zettle_once_its_rows_are_drawn(
    sandbox_factory, tmp_path: Path, monkeypatch
):
    """The catch-up (the cached catalogue read, then Zettle) never competes with the first
    paint for the CPU: it starts once the saved rows are on screen."""
    info = sandbox_factory(products=30)
    await first_run(info, tmp_path)
    monkeypatch.setattr(launch, "CATCH_UP_AFTER", 0.0)
    shown_then: list[int] = []

    async def note() -> None:
        shown_then.append(app.screen.query_one(StockTable).row_count)

    catch_up = launch.CatchUpAfterPaint(note)
    app = ZinvApp(snapshot_service(info, tmp_path, catch_up_after=catch_up), frozen=True)
    catch_up.app = app
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "● live" in bar_text(app))
        assert shown_then == [len(app.service.rows)]


async def test_the_snapshots_counts_are_shown_and_the_rows_judged_after_the_paint(
    sandbox_factory, tmp_path: Path, monkeypatch
):
    """A launch from the snapshot shows the out / low counts kept in it (46,000 rows judged one
    by one held the first paint back by 25-35 ms); the app's own tally counts once the rows are
    drawn, and stays right from then on."""
    info = sandbox_factory(products=30)
    await first_run(info, tmp_path)
    admin = SandboxAdmin(info)
    admin.faults(error_rate=1.0)  # no catch-up: the snapshot's rows stay as they are
    painted_at_reset: list[bool] = []
    reset = StockTally.reset

    def noted_reset(tally: StockTally, rows: Iterable[StockRow]) -> StockCounts:
        painted_at_reset.append(app._rows_painted.is_set())
        return reset(tally, rows)

    monkeypatch.setattr(StockTally, "reset", noted_reset)
    app = ZinvApp(snapshot_service(info, tmp_path, max_backoff=0.2), frozen=True)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(StockTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        counts = StockCounts.of(app.service.rows.values())
        assert counts.out + counts.low > 0
        assert app.stock_counts == counts
        await app.rows_painted()
        await wait_for(pilot, lambda: bool(painted_at_reset))
        assert painted_at_reset == [True]
        assert app.stock_counts == counts
        admin.faults(error_rate=0.0)
        await wait_for(pilot, lambda: "● live" in bar_text(app))
        assert app.stock_counts == StockCounts.of(app.service.rows.values())


async def test_a_restock_typed_before_zettle_answers_is_shown_then_sent_once(
    sandbox_factory, tmp_path: Path
):
    """The rows on screen come from the snapshot and Zettle has not answered yet: a restock is
    taken at once (pending on the row), and lands in Zettle's ledger once, when it answers."""
    info = sandbox_factory(products=30)
    await first_run(info, tmp_path)
    admin = SandboxAdmin(info)
    admin.faults(error_rate=1.0)
    service = snapshot_service(info, tmp_path, max_backoff=0.2)
    app = ZinvApp(service, frozen=True)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(StockTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        row = next(row for _key, row in sorted(service.rows.items()) if row.balance > 3)
        screen = await open_movement(pilot)
        await find(pilot, screen, f"{row.product_name} {row.variant_name}")
        assert [line.key for line in screen.lines] == [row.key]
        await set_quantity(pilot, screen.lines[0], "5")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BalancesScreen)
        shown = app.screen.table.get_row(row.key)
        assert (shown.balance, shown.pending) == (row.balance, 5)
        assert not service.loaded  # Zettle still not answering
        admin.faults(error_rate=0.0)
        await wait_for(pilot, lambda: "● live" in bar_text(app))
        assert await service.flush(10)
        await settle(pilot)
        shown = app.screen.table.get_row(row.key)
        assert (shown.balance, shown.pending) == (row.balance + 5, 0)
    moves = admin.api_movements(row.variant_uuid)
    assert [move["change"] for move in moves] == [5]


def count_label(app: ZinvApp) -> str:
    return str(app.screen.query_one("#count", Label).content)


async def test_the_first_screenful_is_drawn_before_the_snapshots_rows_are_read(
    sandbox_factory, tmp_path: Path
):
    """A launch draws the snapshot's first rows by product and how many there are, before
    reading every row (46,000 rows: ~50 ms before the first paint otherwise); the rows that
    follow leave the screen as it was."""
    info = sandbox_factory(products=200)
    await first_run(info, tmp_path)
    hold = asyncio.Event()
    service = snapshot_service(info, tmp_path, paint_first=hold.wait, max_backoff=0.2)
    app = ZinvApp(service, frozen=True)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(StockTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        preview = service.preview
        assert preview is not None and not service.rows  # only the first screenful so far
        first = [table.key_at(position) for position in range(20)]
        assert first == [row.key for row in preview.rows[:20]]
        assert count_label(app) == f"{preview.total:,} variants"
        assert "◐ from " in bar_text(app)
        counts = app.stock_counts
        assert counts == service.restored_counts and counts is not None
        await app.rows_painted()
        await pilot.pause(0.1)  # past the after-paint work: the counts are still the snapshot's
        assert app.stock_counts == counts
        hold.set()
        await wait_for(pilot, lambda: len(service.rows) == preview.total)
        await wait_for(pilot, lambda: table.row_count == preview.total)
        assert [table.key_at(position) for position in range(20)] == first
        assert count_label(app) == f"{preview.total:,} variants"


async def test_another_saved_order_waits_for_every_row(sandbox_factory, tmp_path: Path):
    """Sorted by balance, the first rows are not the snapshot's first ones: the table says it
    is loading until every row is read."""
    info = sandbox_factory(products=200)
    await first_run(info, tmp_path)
    PreferenceFile(tmp_path / "state").update(sort_column="balance", sort_reverse=True)
    hold = asyncio.Event()
    service = snapshot_service(info, tmp_path, paint_first=hold.wait, max_backoff=0.2)
    app = ZinvApp(service, frozen=True)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(StockTable)
        await wait_for(pilot, lambda: service.preview is not None and app.service_ready)
        await pilot.pause()
        assert table.loading and table.row_count == 0
        hold.set()
        await wait_for(pilot, lambda: table.row_count == len(service.rows) > 0)
        assert not table.loading
        top = max(row.shown_balance for row in service.rows.values())
        assert service.rows[table.key_at(0)].shown_balance == top


async def test_a_remembered_other_store_is_shown_after_a_launch_from_the_snapshot(
    sandbox_factory, tmp_path: Path
):
    """The snapshot is of the default store; the store shown last time is another one: that
    one is shown (its rows read from Zettle), not the snapshot's."""
    info = sandbox_factory(api="v3", products=10)

    def v3(**options: object) -> InventoryService:
        access = replace(ShopAccess.local(info.url, info.api_key, info.client_id), api_version="v3")
        return open_inventory(
            access,
            state_dir=tmp_path / "state",
            cache_dir=tmp_path / "cache",
            client_options=dict(FAST_CLIENT),
            snapshot_profile="shop",
            **{**FAST_SERVICE, **options},
        )

    setup = v3()
    await setup.start(require_load=True)
    back = await setup.create_store("Back room")
    await setup.refresh(full=True)  # the snapshot (of the default store) knows both stores
    await setup.stop()
    PreferenceFile(tmp_path / "state").update(store=back.uuid)
    catch_up = launch.CatchUpAfterPaint()
    service = v3(
        catch_up_after=catch_up,
        first_save_after=catch_up.rows_painted,
        paint_first=catch_up.rows_painted,
    )
    app = ZinvApp(service, frozen=True)
    catch_up.app = app
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: service.loaded and service.store == back)
        await wait_for(pilot, lambda: "● live" in bar_text(app))
        table = app.screen.query_one(StockTable)
        title = app.screen.query_one("#title", Label)
        await wait_for(pilot, lambda: str(title.content) == "Balances · Back room")
        await wait_for(pilot, lambda: table.row_count == len(service.rows) > 0)
        assert not table.loading
        assert all(row.balance == 0 for row in service.rows.values())  # nothing moved there
        toasts = " ".join(str(toast.message) for toast in app._notifications)
        assert "could not be read" not in toasts  # nothing failed: it was read once it could be
