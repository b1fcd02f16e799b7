"""Movement entry end to end: keys in the real app -> service outbox -> sandbox ledger."""

from __future__ import annotations

import contextlib

import pytest
from textual.widgets import Button

from tests.support.sandbox import SandboxAdmin
from tests.support.screens import (
    enter_text,
    pick_row,
    screen_app,
    send_one_read,
    settle,
    shop,
    type_text,
)
from zinv_tui.sandbox.demo_data import MARKUP_PRODUCT_NAME
from zinv_tui.sandbox.server import SandboxConfig, SandboxServer
from zinv_tui.service import OutboxStatus, PlaceKind, Reason, SyncState
from zinv_tui.ui.screens.balances import BalancesScreen
from zinv_tui.ui.screens.dialogs import ConfirmDialog
from zinv_tui.ui.screens.history import HistoryScreen
from zinv_tui.ui.screens.movement import MovementScreen
from zinv_tui.ui.screens.quantities import (
    ABOVE_ZERO,
    TOO_LARGE,
    ZERO_OR_MORE,
    QuantityError,
    read_quantity,
)
from zinv_tui.ui.screens.variant_search import SCAN_KEY_GAP, VariantPicker

pytestmark = pytest.mark.timeout(60)


async def open_movement(pilot) -> MovementScreen:
    """An empty movement screen (``m`` on the balances would preselect the row under the cursor)."""
    pilot.app.open_screen("movement")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, MovementScreen)
    return screen


async def find(pilot, screen: MovementScreen, text: str) -> None:
    """``text`` in Find (what typing it by hand leaves there), then Enter: an exact code is
    picked and the focus goes to its quantity; else the highlighted match is."""
    await enter_text(pilot, screen.query_one(VariantPicker).input, text)
    await pilot.press("enter")
    await settle(pilot)


async def set_quantity(pilot, line, text: str) -> None:
    """The line's quantity field holding ``text``, as typed over it."""
    await enter_text(pilot, line.quantity_input, text)


async def choose_reason(pilot, screen: MovementScreen, reason: Reason) -> None:
    screen.query_one("#reason").value = reason
    await settle(pilot)
    screen.query_one(VariantPicker).focus_input()
    await pilot.pause()


async def test_restock_five_by_typing_the_name_shows_pending_then_lands_in_the_ledger(
    sandbox_factory, tmp_path, generation
):
    info = sandbox_factory(api=generation, products=40)
    admin = SandboxAdmin(info)
    async with shop(info, tmp_path, generation=generation) as service:
        row = pick_row(service)
        before = row.shown_balance
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_movement(pilot)
            assert screen.reason is Reason.RESTOCK
            # By name: the variant's product and variant names, the one match highlighted.
            await find(pilot, screen, f"{row.product_name} {row.variant_name}")
            assert [line.key for line in screen.lines] == [row.key]
            line = screen.lines[0]
            await set_quantity(pilot, line, "5")
            preview = str(line.query_one(".line-preview").content)
            assert preview == f"{before} -> {before + 5}"
            admin.faults(latency_ms=1500)  # Zettle answers slowly: the movement stays pending
            await pilot.press("ctrl+s")
            await settle(pilot)
            home = app.screen
            assert isinstance(home, BalancesScreen)
            shown = home.table.get_row(row.key)  # optimistic: +5 at once, marked pending
            assert (shown.balance, shown.pending) == (before, 5)
            entries = service.history(limit=5)
            assert entries[0].reason is Reason.RESTOCK and entries[0].quantity == 5
            assert entries[0].status is OutboxStatus.PENDING
            admin.faults(latency_ms=0)
            assert await service.flush(10)
            await settle(pilot)
            shown = home.table.get_row(row.key)  # acknowledged: Zettle's balance, nothing pending
            assert (shown.balance, shown.pending) == (before + 5, 0)
        assert service.rows[row.key].balance == before + 5
        assert service.history(limit=1)[0].status is OutboxStatus.ACKNOWLEDGED
    moves = admin.api_movements(row.variant_uuid)
    assert len(moves) == 1
    assert moves[0]["change"] == 5


async def test_scanner_burst_adds_then_increments_and_discard_reaches_the_bin(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(products=40)
    admin = SandboxAdmin(info)
    async with shop(info, tmp_path) as service:
        row = pick_row(service, with_barcode=True)
        before = row.shown_balance
        bin_uuid = str(service.locations[PlaceKind.BIN].uuid)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_movement(pilot)
            await choose_reason(pilot, screen, Reason.DISCARD)
            for _ in range(2):  # a USB scanner types the digits and Enter in one burst
                await scan(pilot, row.barcode)
            assert len(screen.lines) == 1
            assert screen.lines[0].quantity_text == "2"
            assert screen.query_one(VariantPicker).input.has_focus
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert await service.flush(10)
    moves = admin.api_movements(row.variant_uuid)
    assert [(move["change"], move["toLocationUuid"]) for move in moves] == [(2, bin_uuid)]
    assert service.rows[row.key].balance == before - 2


async def test_set_count_moves_the_difference(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    admin = SandboxAdmin(info)
    async with shop(info, tmp_path) as service:
        row = pick_row(service, minimum=4)
        before = row.shown_balance
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_movement(pilot)
            await choose_reason(pilot, screen, Reason.SET_COUNT)
            await find(pilot, screen, row.sku)
            line = screen.lines[0]
            await set_quantity(pilot, line, "0")  # a count of zero is allowed
            assert line.error == ""
            assert str(line.query_one(".line-preview").content) == f"{before} -> 0"
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert await service.flush(10)
        assert service.history(limit=1)[0].reason is Reason.SET_COUNT
    moves = admin.api_movements(row.variant_uuid)
    assert [move["change"] for move in moves] == [before]
    assert service.rows[row.key].balance == 0


async def test_invalid_quantities_show_inline_errors_and_block_confirm(sandbox, tmp_path):
    async with shop(sandbox, tmp_path) as service:
        row = pick_row(service)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.open_screen("movement", keys=[row.key], focus_quantity=True)
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
                ("", ""),  # an empty field is not a mistake while typing...
                ("1 000", ABOVE_ZERO),
                ("99999999", TOO_LARGE),
            ]:
                await set_quantity(pilot, line, typed)
                assert line.error == message, typed
                await pilot.press("ctrl+s")
                await settle(pilot, rounds=1)
                assert app.screen is screen, typed  # nothing recorded, still here
                assert line.error == (message or ABOVE_ZERO), typed  # ...but it is on Confirm
                assert line.has_class("-invalid")
            assert service.history(limit=1) == []
            # Fixing the number clears the error.
            await set_quantity(pilot, line, "3")
            assert line.error == ""
            assert not line.has_class("-invalid")


async def test_unknown_code_says_so_and_esc_asks_before_dropping_lines(sandbox, tmp_path):
    async with shop(sandbox, tmp_path) as service:
        row = pick_row(service)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_movement(pilot)
            await find(pilot, screen, "0000000000000")
            picker = screen.query_one(VariantPicker)
            assert picker.has_class("-error")
            assert screen.lines == []
            await pilot.press("escape")  # first Esc clears the field
            assert picker.input.value == ""
            await find(pilot, screen, row.sku)
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
    admin = SandboxAdmin(info)
    async with shop(info, tmp_path) as service:
        row = pick_row(service)
        locations = service.locations
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_movement(pilot)
            screen.query_one("#reason").value = Reason.MOVE
            screen.query_one("#from").value = PlaceKind.SUPPLIER
            screen.query_one("#to").value = PlaceKind.BIN
            await settle(pilot)
            assert screen.has_class("-move")
            await find(pilot, screen, row.sku)
            preview = str(screen.lines[0].query_one(".line-preview").content)
            assert preview.startswith("SUPPLIER ")  # the shop is unchanged: only the source shows
            assert not preview.endswith("!")  # SUPPLIER is below zero by design: no warning
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert await service.flush(10)
    moves = admin.api_movements(row.variant_uuid)
    assert [(m["fromLocationUuid"], m["toLocationUuid"]) for m in moves] == [
        (str(locations[PlaceKind.SUPPLIER].uuid), str(locations[PlaceKind.BIN].uuid))
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
            await enter_text(pilot, screen.query_one(VariantPicker).input, "crunchy")
            assert screen.query_one(VariantPicker).matches[0] == row.key
            assert MARKUP_PRODUCT_NAME in app.export_screenshot().replace("&#160;", " ")
            await pilot.press("enter")  # the highlighted match; focus goes to its quantity
            await settle(pilot)
            line = screen.lines[0]
            assert line.quantity_input.has_focus
            assert str(line.query_one(".line-label").content) == row.label
            await pilot.press("ctrl+n")
            assert screen.query_one("#note").has_focus
            await enter_text(pilot, screen.query_one("#note"), "shelf 3")
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
            app.open_screen("movement", keys=[typed.key], focus_quantity=True)
            await settle(pilot)
            screen = app.screen
            line = screen.lines[0]
            assert line.quantity_input.has_focus  # all of "1" selected: a scan replaces it
            assert line.quantity_input.selection == (0, 1)
            await set_quantity(pilot, line, scanned.barcode)  # what the scanner's keys leave
            await pilot.press("enter")
            await settle(pilot)
            assert [(item.key, item.quantity_text) for item in screen.lines] == [
                (typed.key, "1"),
                (scanned.key, "1"),
            ]
            await set_quantity(pilot, line, "12" + scanned.barcode)  # typed 12, then a scan landed
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
            assert app.focused is screen.query_one(VariantPicker).input  # chosen: on to Find
            await pilot.press("shift+tab", "enter", "down", "enter")  # Move: from and to appear
            await settle(pilot)
            assert screen.reason is Reason.MOVE
            assert app.focused is screen.query_one("#from")  # a move's places come next
            await pilot.press("enter", "down", "enter")  # STORE -> SUPPLIER
            await settle(pilot)
            assert app.focused is screen.query_one("#to")
            await pilot.press("enter", "down", "enter")  # BIN -> SOLD
            await settle(pilot)
            assert screen.query_one("#from").value is PlaceKind.SUPPLIER
            assert screen.query_one("#to").value is PlaceKind.SOLD
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
            send_one_read(app, burst)  # one read, parsed and sent like the driver
            await settle(pilot)
            assert [(line.key, line.quantity_text) for line in screen.lines] == [
                (first.key, "2"),
                (second.key, "2"),
            ]
            picker = screen.query_one(VariantPicker)
            assert picker.input.has_focus and picker.input.value == ""
            assert not picker.has_class("-error")


async def type_by_hand(pilot, text: str) -> None:
    """Type ``text`` as a person does: slower than a scanner between every two keys."""
    for char in text:
        await type_text(pilot, char)
        await pilot.pause(SCAN_KEY_GAP * 1.5)


async def scan(pilot, code: str) -> None:
    """A scanner's burst: the code and its Enter in one read, parsed and sent like the driver."""
    send_one_read(pilot.app, f"{code}\r")
    await settle(pilot)


async def test_letters_never_leave_the_movement_screen_and_every_way_out_asks(sandbox, tmp_path):
    """Walkthrough #2: keys typed on a menu or button opened other screens and dropped the draft."""
    async with shop(sandbox, tmp_path) as service:
        row = pick_row(service)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.open_screen("movement", keys=[row.key])
            await settle(pilot)
            screen = app.screen
            field = screen.query_one(VariantPicker).input
            assert field.has_focus
            await pilot.press("tab")  # no invisible stop between Find and the quantities
            assert app.focused is screen.lines[0].quantity_input
            for where, key in [("#reason", "slash"), ("#confirm", "h"), ("#cancel", "c")]:
                field.value = ""
                screen.query_one(where).focus()
                await pilot.pause()
                await pilot.press(key)
                await settle(pilot, rounds=1)
                assert app.screen is screen, where
                assert field.has_focus and field.value == {"slash": "/"}.get(key, key), where
            await type_text(pilot, "malt")  # the rest of the name: Find has the focus now
            assert app.screen is screen and field.value == "cmalt"
            screen.query_one("#cancel").focus()
            await pilot.pause()
            await pilot.press("q")  # quitting would drop the line: asks
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            assert "Drop this movement?" in str(app.screen.query_one(".dialog-title").content)
            labels = {str(button.label) for button in app.screen.query(Button)}
            assert labels == {"Drop and quit", "Cancel"}  # not "Discard", a movement's reason
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is screen and len(screen.lines) == 1
            await app.run_command("open('history')")  # the palette may leave, asking first
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            assert {str(button.label) for button in app.screen.query(Button)} == {
                "Drop it",
                "Cancel",
            }
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, HistoryScreen)
            assert not any(isinstance(item, MovementScreen) for item in app.screen_stack)
            assert service.history(limit=1) == []


async def test_m_opens_in_find_a_typed_pick_goes_to_its_quantity_a_scan_stays(sandbox, tmp_path):
    """Walkthrough #3: ``m`` put the typing into a quantity; a SKU typed by hand kept Find."""
    async with shop(sandbox, tmp_path) as service:
        offered = pick_row(service)
        typed = pick_row(service, exclude=[offered.key])
        scanned = pick_row(service, with_barcode=True, exclude=[offered.key, typed.key])
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            home = app.screen
            home.table.move_cursor_to(offered.key)
            await pilot.press("m")
            await settle(pilot)
            screen = app.screen
            picker = screen.query_one(VariantPicker)
            assert isinstance(screen, MovementScreen)
            assert screen.lines == [] and picker.input.has_focus
            assert picker.matches == [offered.key]  # offered: Enter takes it
            await pilot.press("enter")
            await settle(pilot)
            assert [line.key for line in screen.lines] == [offered.key]
            assert screen.lines[0].quantity_input.has_focus
            await pilot.press("ctrl+f")
            await type_by_hand(pilot, typed.sku)
            await pilot.press("enter")  # an exact code typed by hand: on to its quantity
            await settle(pilot)
            line = screen.lines[-1]
            assert line.key == typed.key and line.quantity_input.has_focus
            await type_text(pilot, "4")
            assert line.quantity_text == "4"
            await pilot.press("enter")  # back to Find
            await settle(pilot)
            for _ in range(2):  # a scanner's burst: one more each time, Find stays for the next
                await scan(pilot, scanned.barcode)
            assert (screen.lines[-1].key, screen.lines[-1].quantity_text) == (scanned.key, "2")
            assert picker.input.has_focus and picker.input.value == ""


async def test_set_count_starts_from_an_empty_count(sandbox, tmp_path):
    """Walkthrough #11: switching to "Set count to..." kept the quantity 1 as the count."""
    async with shop(sandbox, tmp_path) as service:
        row = pick_row(service, minimum=4)
        other = pick_row(service, exclude=[row.key])
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.open_screen("movement", keys=[row.key])
            await settle(pilot)
            screen = app.screen
            await choose_reason(pilot, screen, Reason.SET_COUNT)
            line = screen.lines[0]
            assert line.quantity_text == ""
            assert str(line.query_one(".line-preview").content) == f"{row.shown_balance} -> ?"
            assert line.error == ""  # empty, not wrong (yet)
            await find(pilot, screen, other.sku)  # typed by hand: on to its (empty) count
            added = screen.lines[-1]
            assert added.quantity_text == "" and added.quantity_input.has_focus
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert app.screen is screen and line.error == ZERO_OR_MORE
            assert service.history(limit=1) == []


async def test_a_move_out_of_the_bin_below_zero_warns_and_shows_the_bin(sandbox, tmp_path):
    """Walkthrough #6: a move out of BIN took it below zero without a word."""
    async with shop(sandbox, tmp_path) as service:
        row = pick_row(service)
        in_bin = (await service.location_balances(PlaceKind.BIN)).get(row.key, 0)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.open_screen("movement", keys=[row.key])
            await settle(pilot)
            screen = app.screen
            screen.query_one("#reason").value = Reason.MOVE
            screen.query_one("#from").value = PlaceKind.BIN
            screen.query_one("#to").value = PlaceKind.STORE
            screen.lines[0].quantity_input.value = str(in_bin + 3)
            await settle(pilot)
            now = row.shown_balance
            preview = str(screen.lines[0].query_one(".line-preview").content)
            assert preview == f"{now} -> {now + in_bin + 3}  BIN {in_bin} -> -3 !"
            await pilot.press("ctrl+s")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, ConfirmDialog)
            assert "leaves -3 in BIN" in str(dialog.query_one(".dialog-body").content)
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is screen and service.history(limit=1) == []


async def test_recorded_while_offline_says_it_will_be_sent_when_zettle_is_reachable(tmp_path):
    """Walk: the toast said ``sending to Zettle`` while the status said ``○ offline``."""
    server = SandboxServer(SandboxConfig(products=10))
    info = server.start()
    try:
        async with shop(info, tmp_path) as service:
            row = pick_row(service)
            app = screen_app(service)
            async with app.run_test(size=(80, 24)) as pilot:
                await settle(pilot)
                server.stop()  # Zettle cannot be reached any more
                with contextlib.suppress(Exception):
                    await service.refresh()
                assert service.status.state is SyncState.OFFLINE
                app.open_screen("movement", keys=[row.key])
                await settle(pilot)
                await pilot.press("ctrl+s")
                await settle(pilot)
                assert isinstance(app.screen, BalancesScreen)
                notes = [str(note.message) for note in app._notifications]
                said = "⧗ Restock: 1 movement recorded; it will be sent when Zettle is reachable"
                assert said in notes
    finally:
        server.stop()


async def test_the_sending_toast_gives_way_to_sent_once_zettle_has_the_movement(
    sandbox_factory, tmp_path
):
    """Walk: the "sending to Zettle" toast stayed up after the outbox was already empty."""
    info = sandbox_factory(products=10)
    async with shop(info, tmp_path) as service:
        row = pick_row(service)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            SandboxAdmin(info).faults(latency_ms=300)  # the toast shows before Zettle answers
            app.open_screen("movement", keys=[row.key])
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            sending = "⧗ Restock: 1 movement recorded, sending to Zettle"
            assert sending in [str(note.message) for note in app._notifications]
            assert service.status.pending_count == 1
            assert await service.flush(10)
            await settle(pilot)
            notes = [str(note.message) for note in app._notifications]
            assert sending not in notes
            assert "✓ Restock: 1 movement recorded, sent to Zettle" in notes


async def test_a_refused_movement_turns_the_sending_toast_into_a_warning(sandbox_factory, tmp_path):
    info = sandbox_factory(products=10)
    async with shop(info, tmp_path) as service:
        row = pick_row(service)
        await service.backend.client.stop_tracking(row.product_uuid)  # Zettle will refuse
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.open_screen("movement", keys=[row.key])
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            await service.flush(5)
            await settle(pilot)
            assert service.status.attention_count == 1
            notes = [str(note.message) for note in app._notifications]
            assert "⧗ Restock: 1 movement recorded, sending to Zettle" not in notes
            said = "⚠ Restock: 1 movement recorded, but Zettle did not confirm it: see History (h)"
            assert said in notes
