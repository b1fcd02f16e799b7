"""History screen end to end: statuses, filter, CSV export and undo (which reaches the sandbox)."""

from __future__ import annotations

import csv
from datetime import UTC, timedelta
from pathlib import Path
from types import SimpleNamespace
from uuid import UUID

import pytest

from tests.odd_server import OddProxy, Reply
from tests.support.sandbox import SandboxAdmin
from tests.support.screens import enter_text, pick_row, screen_app, settle, shop, type_text
from zinv_tui.service import MovementIntent, OutboxStatus, PlaceKind, Reason
from zinv_tui.ui.screens.columns import fit_label
from zinv_tui.ui.screens.dialogs import ConfirmDialog, PathDialog, unused_path
from zinv_tui.ui.screens.history import HistoryScreen

pytestmark = pytest.mark.timeout(60)


async def open_history(pilot) -> HistoryScreen:
    await pilot.press("h")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, HistoryScreen)
    return screen


async def test_a_movement_of_another_year_shows_its_year(sandbox_factory, tmp_path):
    """Walk: history dates were ``11-30 05:43`` whatever the year."""
    info = sandbox_factory(products=20)
    async with shop(info, tmp_path) as service:
        row = pick_row(service)
        await service.record([MovementIntent(Reason.RESTOCK, row.key, quantity=1)])
        made = service.history(limit=1)[0].created.astimezone(UTC)
        for clock, shown in (
            (lambda: made, f"{made:%m-%d %H:%M}"),  # this year: month, day and time
            (lambda: made + timedelta(days=366), f"{made:%Y-%m-%d}"),  # a year on
        ):
            app = screen_app(service, clock=clock)
            async with app.run_test(size=(80, 24)) as pilot:
                await settle(pilot)
                screen = await open_history(pilot)
                when = str(screen.query_one("#history-table").get_row_at(0)[0])
                assert when == shown


async def test_undo_of_a_restock_records_the_opposite_movement(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    admin = SandboxAdmin(info)
    async with shop(info, tmp_path) as service:
        row = pick_row(service)
        before = row.shown_balance
        await service.record([MovementIntent(Reason.RESTOCK, row.key, quantity=4, note="crate")])
        assert await service.flush(10)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_history(pilot)
            assert [entry.reason for entry in screen.entries] == [Reason.RESTOCK]
            table = screen.query_one("#history-table")
            cells = [str(cell) for cell in table.get_row_at(0)]
            width = table.columns["item"].width  # the label is cut to fit, variant kept
            assert cells[1:] == [
                "Restock",
                fit_label(row.product_name, row.variant_name, width),
                "SUPPLIER→STORE",
                "4",
                "✓ done",
            ]
            assert "crate" in str(screen.query_one("#history-detail").content)

            await pilot.press("u")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, ConfirmDialog)
            body = str(dialog.query_one(".dialog-body").content)
            assert "4 from STORE back to SUPPLIER" in body
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is screen
            assert await service.flush(10)
            await settle(pilot)
            assert [entry.reason for entry in screen.entries] == [Reason.UNDO, Reason.RESTOCK]
            assert screen.entries[0].status is OutboxStatus.ACKNOWLEDGED
            assert str(table.get_row_at(1)[5]) == "✓ undone"
            assert service.rows[row.key].balance == before

            # A second undo is refused in words, without a dialog.
            table.move_cursor(row=1)
            await pilot.press("u")
            await settle(pilot)
            assert app.screen is screen
    store = str(service.locations[PlaceKind.STORE].uuid)
    supplier = str(service.locations[PlaceKind.SUPPLIER].uuid)
    moves = admin.api_movements(row.variant_uuid)
    assert [(m["fromLocationUuid"], m["toLocationUuid"], m["change"]) for m in moves] == [
        (supplier, store, 4),
        (store, supplier, 4),
    ]


async def test_filter_and_export_to_csv(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    async with shop(info, tmp_path / "state") as service:
        first = pick_row(service)
        second = pick_row(service, exclude=[first.key])
        await service.record([MovementIntent(Reason.DISCARD, first.key, quantity=1)])
        await service.record([MovementIntent(Reason.SALE, second.key, quantity=2)])
        assert await service.flush(10)
        app = screen_app(service)
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await settle(pilot)
            screen = await open_history(pilot)
            assert len(screen.entries) == 2
            await pilot.press("slash")
            await enter_text(pilot, screen.query_one("#history-filter"), second.sku)
            assert [entry.key for entry in screen.entries] == [second.key]
            assert second.sku in str(screen.query_one("#history-title").content)
            await pilot.press("escape")  # clears and closes the filter, stays on the screen
            await settle(pilot)
            assert app.screen is screen and len(screen.entries) == 2

            await pilot.press("e")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, PathDialog)
            path_input = dialog.query_one("#path")
            default = Path(path_input.value)
            assert default.parent == Path.home() and default.suffix == ".csv"
            target = tmp_path / "history.csv"
            path_input.value = str(tmp_path / "missing-folder" / "x.csv")
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is dialog  # folder does not exist: said inline
            assert "does not exist" in str(dialog.query_one("#path-error").content)
            path_input.value = str(target)
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is screen
            notes = [str(n.message) for n in app._notifications]
            assert any(str(target) in note for note in notes), notes
    with target.open(newline="", encoding="utf-8") as handle:
        exported = list(csv.DictReader(handle))
    assert len(exported) == 2


async def test_the_command_palette_lists_the_screens_actions(sandbox, tmp_path):
    async with shop(sandbox, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_history(pilot)
            await pilot.press("ctrl+p")
            await settle(pilot)
            await type_text(pilot, "history export")
            await pilot.pause(0.3)  # the palette gathers its hits in a worker
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, PathDialog)
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is screen


async def test_a_refused_movement_shows_why_and_retry_sends_it_again(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    async with shop(info, tmp_path) as service:
        row = pick_row(service)
        product = UUID(row.product_uuid)
        # Behind the app's back: Zettle will refuse.
        await service.backend.client.stop_tracking(product)
        await service.record([MovementIntent(Reason.DISCARD, row.key, quantity=1)])
        await service.flush(5)
        app = screen_app(service)
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await settle(pilot)
            screen = await open_history(pilot)
            entry = screen.entries[0]
            assert entry.status is OutboxStatus.NEEDS_ATTENTION
            assert str(screen.query_one("#history-table").get_row_at(0)[5]) == "! refused"
            detail = screen.query_one("#history-detail")
            assert "Zettle said: " in str(detail.content)
            shown = " ".join(detail.render_line(y).text for y in range(detail.size.height))
            assert "r retries, x drops" in " ".join(shown.split())  # on screen at 80x24
            await pilot.press("u")  # nothing to undo: said in words
            await settle(pilot)
            assert app.screen is screen
            await service.backend.client.start_tracking(product)
            await pilot.press("r")
            await settle(pilot)
            assert await service.flush(10)
            await settle(pilot)
            assert screen.entries[0].status is OutboxStatus.ACKNOWLEDGED
            assert str(screen.query_one("#history-table").get_row_at(0)[5]) == "✓ done"
            toasts = [str(toast.message) for toast in app._notifications]
            assert "✓ Movement retried, sent to Zettle" in toasts  # not "sending" any more
            assert not any("sending" in toast.lower() for toast in toasts), toasts


async def test_a_refused_movement_can_be_dropped(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    async with shop(info, tmp_path) as service:
        row = pick_row(service)
        await service.backend.client.stop_tracking(UUID(row.product_uuid))
        await service.record([MovementIntent(Reason.SALE, row.key, quantity=1)])
        await service.flush(5)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_history(pilot)
            assert screen.entries[0].status is OutboxStatus.NEEDS_ATTENTION
            await pilot.press("x")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            assert app.focused.id == "cancel"  # dropping work: Enter alone does not
            await pilot.press("y")
            await settle(pilot)
            assert screen.entries[0].status is OutboxStatus.CANCELLED
            assert str(screen.query_one("#history-table").get_row_at(0)[5]) == "✗ dropped"
            assert service.outbox_entries() == []


async def test_export_writes_what_the_filters_show_and_asks_before_replacing(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(products=40)
    async with shop(info, tmp_path / "state") as service:
        first = pick_row(service)
        second = pick_row(service, exclude=[first.key])
        await service.record([MovementIntent(Reason.DISCARD, first.key, quantity=1)])
        await service.record([MovementIntent(Reason.SALE, second.key, quantity=2)])
        assert await service.flush(10)
        target = tmp_path / "discards.csv"
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_history(pilot)
            await pilot.press("slash")
            filter_field = screen.query_one("#history-filter")
            await enter_text(pilot, filter_field, "discard")  # a reason is not in the text
            assert "f filters by reason" in str(screen.query_one("#history-title").content)
            await pilot.press("escape")
            await pilot.press("f", "f", "f")  # all -> Restock -> Sale -> Discard
            await settle(pilot)
            assert [entry.reason for entry in screen.entries] == [Reason.DISCARD]
            assert "Discard only" in str(screen.query_one("#history-title").content)

            await pilot.press("e")
            await settle(pilot)
            note = str(app.screen.query_one("#path-note").content)
            assert note == "The filter applies: the 1 movement Discard only."
            app.screen.query_one("#path").value = str(target)
            await pilot.press("enter")
            await settle(pilot)
            with target.open(newline="", encoding="utf-8") as handle:
                assert [row["reason"] for row in csv.DictReader(handle)] == ["DISCARD"]

            target.write_text("kept\n", encoding="utf-8")
            await pilot.press("e")
            await settle(pilot)
            dialog = app.screen
            dialog.query_one("#path").value = str(target)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)  # the file exists: asked first
            assert app.focused.id == "cancel"
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is dialog and target.read_text(encoding="utf-8") == "kept\n"
            await pilot.press("enter", "y")  # now replace it on purpose
            await settle(pilot)
            assert app.screen is screen
            assert target.read_text(encoding="utf-8").count("\n") == 2
    assert unused_path(target) == tmp_path / "discards-2.csv"


async def test_an_unconfirmed_movement_is_settled_with_a_key(sandbox_factory, tmp_path):
    """Issue 11 item 4: a movement whose answer was lost and that reading could not settle is
    shown as unconfirmed with before / now / expected; ``a`` records it as applied (nothing is
    sent), and ``r`` asks first, since Zettle may have it already."""
    info = sandbox_factory(products=5)
    move = "/organizations/self/inventory"
    with OddProxy(info.url) as proxy:
        door = SimpleNamespace(url=proxy.url, api_key=info.api_key, client_id=info.client_id)
        async with shop(door, tmp_path) as service:
            key = sorted(service.rows)[0]

            def applied_then_a_pos_sale(seen, sent):
                SandboxAdmin(info).sale(key[1], 1)  # the balance also moves for another reason
                return Reply(200, b'{"variants": [{"balance": "abc"}]}')

            proxy.on("PUT", move, (applied_then_a_pos_sale, True))
            await service.record([MovementIntent(Reason.SALE, key, quantity=2)])
            assert await service.flush(10)
            app = screen_app(service)
            async with app.run_test(size=(80, 24)) as pilot:
                await settle(pilot)
                screen = await open_history(pilot)
                table = screen.query_one("#history-table")
                assert str(table.get_row_at(0)[5]) == "? unconfirmed"
                detail = str(screen.query_one("#history-detail").content)
                assert "Check Zettle: a if it is there (applied), r if it is missing" in detail
                assert "if it was applied" in detail
                await pilot.press("r")  # send again: asked first, No is the default
                await settle(pilot)
                assert isinstance(app.screen, ConfirmDialog)
                await pilot.press("enter")
                await settle(pilot)
                assert app.screen is screen and proxy.count("PUT", move) == 1
                await pilot.press("a")
                await settle(pilot)
                assert isinstance(app.screen, ConfirmDialog)
                await pilot.press("y")
                await settle(pilot)
                assert screen.entries[0].status is OutboxStatus.ACKNOWLEDGED
                assert str(table.get_row_at(0)[5]) == "✓ done"
                assert proxy.count("PUT", move) == 1  # nothing was sent
                assert service.status.attention_count == 0
