"""Movement entry end to end: keys in the real app -> service outbox -> sandbox ledger."""

from __future__ import annotations

import pytest
from screen_support import Ledger, pick_row, screen_app, settle, shop, type_text
from textual._xterm_parser import XTermParser

from zinv_tui.api.models import LocationType
from zinv_tui.sandbox.demo_data import MARKUP_PRODUCT_NAME
from zinv_tui.service import OutboxStatus, Reason
from zinv_tui.ui.screens.balances import BalancesScreen
from zinv_tui.ui.screens.dialogs import ConfirmDialog
from zinv_tui.ui.screens.movement import MovementScreen
from zinv_tui.ui.screens.quantities import ABOVE_ZERO, TOO_LARGE, QuantityError, read_quantity
from zinv_tui.ui.screens.variant_search import VariantPicker

pytestmark = pytest.mark.timeout(60)


async def open_movement(pilot) -> MovementScreen:
    """An empty movement screen (``m`` on the balances would preselect the row under the cursor)."""
    pilot.app.open_screen("movement")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, MovementScreen)
    return screen


async def choose_reason(pilot, screen: MovementScreen, reason: Reason) -> None:
    screen.query_one("#reason").value = reason
    await settle(pilot)
    screen.query_one(VariantPicker).focus_input()
    await pilot.pause()


async def test_restock_five_by_typing_the_sku_shows_pending_then_lands_in_the_ledger(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(products=40)
    ledger = Ledger(info)
    async with shop(info, tmp_path) as service:
        row = pick_row(service)
        before = row.shown_balance
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_movement(pilot)
            assert screen.reason is Reason.RESTOCK
            await type_text(pilot, row.sku)
            await pilot.press("enter")  # exact SKU: added at once with quantity 1
            await settle(pilot)
            assert [line.key for line in screen.lines] == [row.key]
            line = screen.lines[0]
            line.quantity_input.focus()
            await pilot.press("ctrl+a", "ctrl+k")
            await type_text(pilot, "5")
            await settle(pilot)
            preview = str(line.query_one(".line-preview").content)
            assert preview == f"{before} -> {before + 5}"
            ledger.faults(latency_ms=400)  # Zettle answers slowly: the movement stays pending
            await pilot.press("ctrl+s")
            await settle(pilot)
            home = app.screen
            assert isinstance(home, BalancesScreen)
            shown = home.table.get_row(row.key)  # optimistic: +5 at once, marked pending
            assert (shown.balance, shown.pending) == (before, 5)
            entries = service.history(limit=5)
            assert entries[0].reason is Reason.RESTOCK and entries[0].quantity == 5
            assert entries[0].status is OutboxStatus.PENDING
            ledger.faults(latency_ms=0)
            assert await service.flush(10)
            await settle(pilot)
            shown = home.table.get_row(row.key)  # acknowledged: Zettle's balance, nothing pending
            assert (shown.balance, shown.pending) == (before + 5, 0)
        assert service.rows[row.key].balance == before + 5
        assert service.history(limit=1)[0].status is OutboxStatus.ACKNOWLEDGED
    moves = ledger.api_movements(row.variant_uuid)
    assert len(moves) == 1
    assert moves[0]["change"] == 5


async def test_scanner_burst_adds_then_increments_and_discard_reaches_the_bin(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(products=40)
    ledger = Ledger(info)
    async with shop(info, tmp_path) as service:
        row = pick_row(service, with_barcode=True)
        before = row.shown_balance
        bin_uuid = str(service.locations[LocationType.BIN].uuid)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_movement(pilot)
            await choose_reason(pilot, screen, Reason.DISCARD)
            for _ in range(2):  # a USB scanner types the digits and Enter in one burst
                await type_text(pilot, row.barcode)
                await pilot.press("enter")
            await settle(pilot)
            assert len(screen.lines) == 1
            assert screen.lines[0].quantity_text == "2"
            assert screen.query_one(VariantPicker).input.has_focus
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert await service.flush(10)
    moves = ledger.api_movements(row.variant_uuid)
    assert [(move["change"], move["toLocationUuid"]) for move in moves] == [(2, bin_uuid)]
    assert service.rows[row.key].balance == before - 2


async def test_set_count_moves_the_difference(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    ledger = Ledger(info)
    async with shop(info, tmp_path) as service:
        row = pick_row(service, minimum=4)
        before = row.shown_balance
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_movement(pilot)
            await choose_reason(pilot, screen, Reason.SET_COUNT)
            await type_text(pilot, row.sku)
            await pilot.press("enter")
            await settle(pilot)
            line = screen.lines[0]
            line.quantity_input.focus()
            await pilot.press("ctrl+a", "ctrl+k")
            await type_text(pilot, "0")  # a count of zero is allowed
            await settle(pilot)
            assert line.error == ""
            assert str(line.query_one(".line-preview").content) == f"{before} -> 0"
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert await service.flush(10)
        assert service.history(limit=1)[0].reason is Reason.SET_COUNT
    moves = ledger.api_movements(row.variant_uuid)
    assert [move["change"] for move in moves] == [before]
    assert service.rows[row.key].balance == 0


async def test_invalid_quantities_show_inline_errors_and_block_confirm(sandbox, tmp_path):
    async with shop(sandbox, tmp_path) as service:
        row = pick_row(service)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.open_screen("movement", keys=[row.key])
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, MovementScreen)
            line = screen.lines[0]
            assert line.quantity_input.has_focus
            for typed, message in [
                ("abc", ABOVE_ZERO),
                ("0", ABOVE_ZERO),
                ("-3", ABOVE_ZERO),
                ("2.5", ABOVE_ZERO),
                ("", ABOVE_ZERO),
                ("1 000", ABOVE_ZERO),
                ("99999999", TOO_LARGE),
            ]:
                line.quantity_input.focus()
                await pilot.press("ctrl+a", "ctrl+k")
                await type_text(pilot, typed)
                await settle(pilot, rounds=1)
                assert line.error == message, typed
                assert line.has_class("-invalid")
                await pilot.press("ctrl+s")
                await settle(pilot, rounds=1)
                assert app.screen is screen, typed  # nothing recorded, still here
            assert service.history(limit=1) == []
            # Fixing the number clears the error.
            line.quantity_input.focus()
            await pilot.press("ctrl+a", "ctrl+k")
            await type_text(pilot, "3")
            await settle(pilot)
            assert line.error == ""
            assert not line.has_class("-invalid")


async def test_unknown_code_says_so_and_esc_asks_before_dropping_lines(sandbox, tmp_path):
    async with shop(sandbox, tmp_path) as service:
        row = pick_row(service)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_movement(pilot)
            await type_text(pilot, "0000000000000")
            await pilot.press("enter")
            await settle(pilot)
            picker = screen.query_one(VariantPicker)
            assert picker.has_class("-error")
            assert screen.lines == []
            await pilot.press("escape")  # first Esc clears the field
            await type_text(pilot, row.sku)
            await pilot.press("enter")
            await settle(pilot)
            assert len(screen.lines) == 1
            picker.focus_input()
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is not screen  # the discard question
            await pilot.press("escape")  # no: stay
            await settle(pilot)
            assert app.screen is screen
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("enter")  # yes: discard
            await settle(pilot)
            assert not isinstance(app.screen, MovementScreen)
            assert service.history(limit=1) == []


async def test_move_between_two_chosen_locations(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    ledger = Ledger(info)
    async with shop(info, tmp_path) as service:
        row = pick_row(service)
        locations = service.locations
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_movement(pilot)
            screen.query_one("#reason").value = Reason.MOVE
            screen.query_one("#from").value = LocationType.SUPPLIER
            screen.query_one("#to").value = LocationType.BIN
            await settle(pilot)
            assert screen.has_class("-move")
            screen.query_one(VariantPicker).focus_input()
            await type_text(pilot, row.sku)
            await pilot.press("enter")
            await settle(pilot)
            assert "shop unchanged" in str(screen.lines[0].query_one(".line-preview").content)
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert await service.flush(10)
    moves = ledger.api_movements(row.variant_uuid)
    assert [(m["fromLocationUuid"], m["toLocationUuid"]) for m in moves] == [
        (str(locations[LocationType.SUPPLIER].uuid), str(locations[LocationType.BIN].uuid))
    ]


def test_read_quantity_accepts_whole_numbers_only():
    assert read_quantity(" 12 ") == 12
    assert read_quantity("+3") == 3
    assert read_quantity("0", allow_zero=True) == 0
    for bad in ["", "0", "-1", "1.5", "1e3", "x", "٣", "1,000"]:
        with pytest.raises(QuantityError):
            read_quantity(bad)


async def test_names_are_data_and_the_confirm_button_records_with_a_note(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    async with shop(info, tmp_path) as service:
        row = next(row for row in service.rows.values() if row.product_name == MARKUP_PRODUCT_NAME)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_movement(pilot)
            await type_text(pilot, "crunchy")
            await settle(pilot)
            assert screen.query_one(VariantPicker).matches[0] == row.key
            assert MARKUP_PRODUCT_NAME in app.export_screenshot().replace("&#160;", " ")
            await pilot.press("enter")  # the highlighted match; focus goes to its quantity
            await settle(pilot)
            line = screen.lines[0]
            assert line.quantity_input.has_focus
            assert str(line.query_one(".line-label").content) == row.label
            screen.action_focus_note()
            await type_text(pilot, "shelf 3")
            await pilot.press("enter")  # from the note to the Confirm button
            await settle(pilot)
            assert screen.query_one("#confirm").has_focus
            await pilot.press("enter")
            await settle(pilot)
            assert not isinstance(app.screen, MovementScreen)
            entry = service.history(limit=1)[0]
            assert (entry.reason, entry.quantity, entry.note) == (Reason.RESTOCK, 1, "shelf 3")
            assert entry.product_name == MARKUP_PRODUCT_NAME


async def test_a_scan_into_a_quantity_field_becomes_its_own_line(sandbox, tmp_path):
    async with shop(sandbox, tmp_path) as service:
        typed = pick_row(service)
        scanned = pick_row(service, with_barcode=True, exclude=[typed.key])
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.open_screen("movement", keys=[typed.key])
            await settle(pilot)
            screen = app.screen
            line = screen.lines[0]
            assert line.quantity_input.has_focus  # all of "1" selected: a scan replaces it
            await type_text(pilot, scanned.barcode)
            await pilot.press("enter")
            await settle(pilot)
            assert [(item.key, item.quantity_text) for item in screen.lines] == [
                (typed.key, "1"),
                (scanned.key, "1"),
            ]
            line.quantity_input.focus()
            await pilot.press("end")
            await type_text(pilot, "2" + scanned.barcode)  # typed 12, then a scan landed here
            await pilot.press("enter")
            await settle(pilot)
            assert [(item.key, item.quantity_text) for item in screen.lines] == [
                (typed.key, "12"),
                (scanned.key, "2"),
            ]
            assert screen.query_one(VariantPicker).input.has_focus


async def test_reason_and_locations_by_keyboard_alone(sandbox, tmp_path):
    async with shop(sandbox, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_movement(pilot)
            await pilot.press("shift+tab")  # from the search field back to the reason
            assert app.focused is screen.query_one("#reason")
            await pilot.press("enter", "down", "down", "down", "down", "enter")
            await settle(pilot)
            assert screen.reason is Reason.SET_COUNT
            assert str(screen.query_one("#qty-header").content) == "Count"
            await pilot.press("enter", "down", "enter")  # Move: from and to appear
            await settle(pilot)
            assert screen.reason is Reason.MOVE
            await pilot.press("tab")
            assert app.focused is screen.query_one("#from")
            await pilot.press("enter", "down", "enter", "tab")  # STORE -> SUPPLIER
            await pilot.press("enter", "down", "enter", "tab")  # BIN -> SOLD
            await settle(pilot)
            assert screen.query_one("#from").value is LocationType.SUPPLIER
            assert screen.query_one("#to").value is LocationType.SOLD
            assert app.focused is screen.query_one(VariantPicker).input


async def test_a_sale_below_zero_asks_first(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    async with shop(info, tmp_path) as service:
        row = pick_row(service)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.open_screen("movement", keys=[row.key])
            await settle(pilot)
            screen = app.screen
            screen.query_one("#reason").value = Reason.SALE
            line = screen.lines[0]
            line.quantity_input.value = str(row.shown_balance + 5)
            await settle(pilot)
            assert str(line.query_one(".line-preview").content).endswith("-5 !")
            await pilot.press("ctrl+s")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, ConfirmDialog)
            assert "below zero" in str(dialog.query_one(".dialog-body").content)
            await pilot.press("escape")  # no: back to the form, nothing recorded
            await settle(pilot)
            assert app.screen is screen and service.history(limit=1) == []
            await pilot.press("ctrl+s")
            await settle(pilot)
            await pilot.press("enter")  # record anyway
            await settle(pilot)
            assert not isinstance(app.screen, MovementScreen)
            assert service.history(limit=1)[0].quantity == row.shown_balance + 5


async def test_a_burst_of_scans_in_one_read_adds_each_code(sandbox, tmp_path):
    """Over SSH a scanner's codes can arrive in one read: each code and terminator must count."""
    async with shop(sandbox, tmp_path) as service:
        first = pick_row(service, with_barcode=True)
        second = pick_row(service, with_barcode=True, exclude=[first.key])
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_movement(pilot)
            burst = f"{first.barcode}\r{second.barcode}\n\x00{first.barcode}\r{second.sku}\r\n"
            for event in XTermParser().feed(burst):  # one read, parsed and sent like the driver
                event.set_sender(app)
                app._driver.send_message(event)
            await settle(pilot)
            assert [(line.key, line.quantity_text) for line in screen.lines] == [
                (first.key, "2"),
                (second.key, "2"),
            ]
            picker = screen.query_one(VariantPicker)
            assert picker.input.has_focus and picker.input.value == ""
            assert not picker.has_class("-error")
