"""Stock counts end to end: keys in the real app -> count sessions -> outbox -> sandbox ledger."""

from __future__ import annotations

import pytest

from tests.support.sandbox import SandboxAdmin
from tests.support.screens import (
    enter_text,
    pick_row,
    screen_app,
    screen_text,
    send_one_read,
    settle,
    shop,
    type_text,
)
from zinv_tui.sandbox.demo_data import MARKUP_PRODUCT_NAME
from zinv_tui.service import CountScope, CountStatus, Reason, count_book
from zinv_tui.ui.screens.count_review import CountReviewScreen
from zinv_tui.ui.screens.count_session import CountScreen
from zinv_tui.ui.screens.counts import CountsScreen, NewCountDialog
from zinv_tui.ui.screens.dialogs import ConfirmDialog
from zinv_tui.ui.screens.help import binding_lines

pytestmark = pytest.mark.timeout(60)


async def new_count(pilot, name: str = "", blind: bool = False) -> CountScreen:
    """``c``, ``n``, a name, Enter: the count view with the scan field focused."""
    await pilot.press("c")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CountsScreen)
    await pilot.press("n")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, NewCountDialog)
    if blind:
        dialog.query_one("#count-blind").value = True
    await enter_text(pilot, dialog.query_one("#count-name"), name)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CountScreen)
    assert screen.focused is screen.query_one("#scan")
    return screen


async def test_blind_box_says_on_or_off_in_text(sandbox_factory, tmp_path):
    """Walk: the Blind checkbox drew ``▐X▌`` on and off (colour only, lost under NO_COLOR)."""
    info = sandbox_factory(products=20)
    async with shop(info, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("c")
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)

            def blind_line() -> str:
                return next(line for line in screen_text(app) if "Blind" in line)

            assert "[ ] Blind" in blind_line()
            app.screen.query_one("#count-blind").focus()
            await pilot.press("space")
            await settle(pilot)
            assert "[x] Blind" in blind_line()


async def scan(pilot, code: str) -> None:
    """``code`` in the scan field, then Enter (the field's own key handling)."""
    field = pilot.app.screen.query_one("#scan")
    assert field.has_focus
    field.value = code
    await pilot.press("enter")
    await settle(pilot, rounds=1)


async def scan_keys(pilot, code: str) -> None:
    """``code`` and Enter key by key, wherever the focus is (keys that must find the field)."""
    await type_text(pilot, code)
    await pilot.press("enter")
    await settle(pilot, rounds=1)


def message(screen) -> str:
    return str(screen.query_one("#scan-message").content)


async def test_scan_three_times_add_twelve_commit_reaches_the_ledger(
    sandbox_factory, tmp_path, generation
):
    info = sandbox_factory(api=generation, products=40)
    admin = SandboxAdmin(info)
    async with shop(info, tmp_path, generation=generation) as service:
        row = pick_row(service, with_barcode=True)
        before = row.shown_balance
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await new_count(pilot, "Shelf A")
            for _ in range(3):
                await scan(pilot, row.barcode)
            book = count_book(service)
            assert book.line(screen.session_id, row.key).counted == 3
            assert "now 3" in message(screen) and f"expected {before}" in message(screen)
            await scan(pilot, "+12")
            assert book.line(screen.session_id, row.key).counted == 15
            assert [scan.amount for scan in screen.scans] == [12, 1, 1, 1]
            assert screen.focused is screen.query_one("#scan")  # always back in the field

            await pilot.press("ctrl+r")
            await settle(pilot)
            review = app.screen
            assert isinstance(review, CountReviewScreen)
            [item] = review.shown
            assert (item.line.counted, item.line.expected) == (15, before)
            await pilot.press("ctrl+s")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, ConfirmDialog)
            body = str(dialog.query_one(".dialog-body").content)
            variance = 15 - before
            ups, downs = (1, 0) if variance > 0 else (0, 1)
            assert f"{ups} increase" in body and f"{downs} decrease" in body
            assert "0 untouched" in body
            await pilot.press("y")
            await settle(pilot)
            assert isinstance(app.screen, CountsScreen)  # back to the list of counts
            assert book.session(screen.session_id).status is CountStatus.COMMITTED
            assert await service.flush(10)
        moves = admin.api_movements(row.variant_uuid)
        assert len(moves) == 1 and moves[0]["change"] == abs(variance)
        entry = service.history(reason=Reason.SET_COUNT)[0]
        assert entry.note.startswith("count correction: Shelf A (count #")


async def test_set_exact_unknown_code_search_and_taking_scans_back(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    async with shop(info, tmp_path) as service:
        first = pick_row(service, with_barcode=True)
        second = pick_row(service, with_barcode=True, exclude=[first.key])
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await new_count(pilot, "", blind=True)
            book = count_book(service)
            await scan(pilot, "=5")  # nothing scanned yet: said so, nothing counted
            assert "Scan an item first" in message(screen)
            await scan(pilot, first.sku)
            await scan(pilot, "=40")
            assert book.line(screen.session_id, first.key).counted == 40
            assert "expected" not in message(screen)  # blind
            columns = screen.query_one("#scans-table").columns.values()
            assert "Expected" not in [str(column.label) for column in columns]

            await scan(pilot, "999000111")
            assert "Unknown code '999000111'" in message(screen)
            assert book.unknown_codes(screen.session_id) == [("999000111", 1)]
            shown = screen.query_one("#scan-message").render_line(0).text
            assert shown.rstrip().endswith("^f searches by name")  # the hint fits at 80x24
            word = second.product_name.split()[0]
            await scan(pilot, f"{word}")  # a name is not a code: search opens with it
            picker = screen.query_one("#search")
            assert picker.display and picker.input.value == word
            assert book.unknown_codes(screen.session_id) == [("999000111", 1)]  # not logged
            assert "Unknown" not in message(screen)
            picker.input.value = second.sku
            await pilot.press("enter")
            await settle(pilot)
            assert not picker.display and screen.focused is screen.query_one("#scan")
            assert book.line(screen.session_id, second.key).counted == 1

            await scan(pilot, second.barcode)
            await pilot.press("ctrl+z")  # the last scan was wrong
            await settle(pilot, rounds=1)
            assert book.line(screen.session_id, second.key).counted == 1
            await pilot.press("tab")  # to the list of scans; delete the highlighted one
            await settle(pilot, rounds=1)
            table = screen.query_one("#scans-table")
            assert screen.focused is table
            assert screen.scans[0].key == second.key
            await pilot.press("delete")
            await settle(pilot, rounds=1)
            assert book.line_or_none(screen.session_id, second.key) is None
            keys = {line.description for line in binding_lines(screen)}
            assert {"Review & commit", "Undo last scan", "Search", "Remove scan"} <= keys

            await pilot.press("ctrl+r")  # blind review: no amounts until revealed
            await settle(pilot)
            summary = str(app.screen.query_one("#review-summary").content)
            assert "increase" in summary and "(+" not in summary and "(-" not in summary
            await pilot.press("b")
            await settle(pilot)
            summary = str(app.screen.query_one("#review-summary").content)
            assert "increase (+" in summary or "increases (+" in summary
            await pilot.press("escape")
            await settle(pilot)

            await pilot.press("escape")  # pauses: the count stays open on disk
            await settle(pilot)
            assert isinstance(app.screen, CountsScreen)
            assert app.screen.sessions[0].status is CountStatus.OPEN
            await pilot.press("enter")  # resume
            await settle(pilot)
            assert isinstance(app.screen, CountScreen)
            assert app.screen.scans[0].amount == 40


async def test_taking_back_an_items_only_scan_names_the_item(sandbox_factory, tmp_path):
    """Walk: ``ctrl+z`` said ``Took back +1 (the item is no longer in this count)``."""
    info = sandbox_factory(products=20)
    async with shop(info, tmp_path) as service:
        row = pick_row(service, with_barcode=True)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await new_count(pilot, "Shelf B")
            await scan(pilot, row.barcode)
            await pilot.press("ctrl+z")
            await settle(pilot, rounds=1)
            assert count_book(service).line_or_none(screen.session_id, row.key) is None
            assert message(screen).startswith(f"↶ Took back +1  {row.label}")


async def test_a_full_count_writes_thousands_with_separators(sandbox_factory, tmp_path):
    """Walk: ``0/46216 counted`` where the balances say ``46,216 variants``."""
    info = sandbox_factory(products=480)
    async with shop(info, tmp_path) as service:
        assert len(service.rows) >= 1000
        session = count_book(service).start("Everything", CountScope.FULL)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.push_screen(CountScreen(session.id))
            await settle(pilot)
            title = str(app.screen.query_one("#count-title").content)
            assert f"0/{len(service.rows):,} counted" in title


async def test_full_count_review_filters_uncounted_and_drift(sandbox_factory, tmp_path):
    info = sandbox_factory(products=15)
    admin = SandboxAdmin(info)
    async with shop(info, tmp_path) as service:
        book = count_book(service)
        markup = next(r for r in service.rows.values() if r.product_name == MARKUP_PRODUCT_NAME)
        session = book.start("Full", CountScope.FULL)
        book.set_count(session.id, markup.key, markup.shown_balance + 2)
        sold = pick_row(service, exclude=[markup.key])
        book.set_count(session.id, sold.key, sold.shown_balance)
        admin.sale(sold.variant_uuid, 1)
        await service.refresh()
        app = screen_app(service)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.push_screen(CountReviewScreen(session.id))
            await settle(pilot)
            review = app.screen
            assert len(review.shown) == len(service.rows)
            assert "—" in app.export_screenshot()  # uncounted, never 0
            assert "1 changed since counted" in str(review.query_one("#review-title").content)
            await pilot.press("v")
            await settle(pilot)
            assert [item.key for item in review.shown] == [markup.key]
            text = app.export_screenshot().replace("&#160;", " ")
            assert MARKUP_PRODUCT_NAME in text  # names are data, not markup
            await pilot.press("u")
            await settle(pilot)
            assert len(review.shown) == len(service.rows) - 2
            await pilot.press("A", "o")
            await settle(pilot)
            assert review.shown[0].key == markup.key  # largest variance first
            await pilot.press("z", "ctrl+s")
            await settle(pilot)
            body = str(app.screen.query_one(".dialog-body").content)
            assert "uncounted set to 0" in body and "changed since counted" in body
            assert app.focused.id == "cancel"  # zeroing stock: a hurried Enter does nothing
            await pilot.press("enter")  # cancelled: nothing posted
            await settle(pilot)
            assert app.screen is review
            await pilot.press("v", "x")  # forget the variance line, after confirming
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.press("y")
            await settle(pilot)
            assert review.shown == []
            assert book.line(session.id, markup.key).counted is None
        assert book.session(session.id).status is CountStatus.OPEN
        assert not admin.api_movements(markup.variant_uuid)


async def test_a_burst_of_scans_in_one_read_counts_each_code(sandbox_factory, tmp_path):
    """Over SSH a scanner's codes arrive in one read: every code and terminator must count."""
    info = sandbox_factory(products=40)
    async with shop(info, tmp_path) as service:
        first = pick_row(service, with_barcode=True)
        second = pick_row(service, with_barcode=True, exclude=[first.key])
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await new_count(pilot, "Burst")
            burst = f"{first.barcode}\r{second.barcode}\n\x00{first.barcode}\t{second.sku}\r\n"
            send_one_read(app, burst)  # one read, parsed and sent like the driver
            await settle(pilot)
            book = count_book(service)
            assert book.line(screen.session_id, first.key).counted == 2
            assert book.line(screen.session_id, second.key).counted == 2
            assert screen.focused is screen.query_one("#scan")
            assert screen.query_one("#scan").value == ""


async def test_list_exports_a_report_and_abandons_a_count(sandbox_factory, tmp_path):
    info = sandbox_factory(products=20)
    async with shop(info, tmp_path / "state") as service:
        row = pick_row(service)
        book = count_book(service)
        session = book.start("Till area")
        book.set_count(session.id, row.key, 2)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("c")
            await settle(pilot)
            screen = app.screen
            assert [s.name for s in screen.sessions] == ["Till area"]
            await pilot.press("e")
            await settle(pilot)
            report = tmp_path / "till.csv"
            field = app.screen.query_one("#path")
            field.value = str(report)
            await pilot.press("enter")
            await settle(pilot)
            assert report.read_text(encoding="utf-8").count("\n") == 2  # header + one line
            await pilot.press("x")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.press("y")
            await settle(pilot)
            assert screen.sessions[0].status is CountStatus.ABANDONED
            await pilot.press("enter")  # a closed count opens read-only in its review
            await settle(pilot)
            review = app.screen
            assert isinstance(review, CountReviewScreen)
            assert review.check_action("commit", ()) is False


async def test_a_scan_off_the_filtered_shelf_asks_and_a_scan_on_the_list_counts(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(products=40)
    async with shop(info, tmp_path) as service:
        inside = pick_row(service, with_barcode=True)
        outside = next(
            r for r in service.rows.values() if r.barcode and inside.product_name not in r.label
        )
        book = count_book(service)
        session = book.start("Shelf", CountScope.FILTERED, scope_filter=inside.product_name)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.push_screen(CountScreen(session.id))
            await settle(pilot)
            screen = app.screen
            await scan(pilot, outside.barcode)
            dialog = app.screen
            assert isinstance(dialog, ConfirmDialog)
            assert "Not on this shelf" in str(dialog.query_one(".dialog-title").content)
            assert app.focused.id == "cancel"
            await pilot.press("enter")  # the default skips it
            await settle(pilot, rounds=1)
            assert app.screen is screen
            assert book.line_or_none(session.id, outside.key) is None
            await scan(pilot, outside.barcode)
            await scan_keys(pilot, inside.barcode)  # the next scan skips the question, counts
            assert app.screen is screen
            assert book.line_or_none(session.id, outside.key) is None
            assert book.line(session.id, inside.key).counted == 1
            await scan(pilot, outside.barcode)
            await pilot.press("y")  # added on purpose
            await settle(pilot, rounds=1)
            assert book.line(session.id, outside.key).counted == 1

            await pilot.press("tab")  # the focus on the list of scans: a scan still counts
            await settle(pilot, rounds=1)
            assert screen.focused is screen.query_one("#scans-table")
            await scan_keys(pilot, inside.barcode)
            assert book.line(session.id, inside.key).counted == 2
            assert screen.focused is screen.query_one("#scan")

            await scan(pilot, "999000111")
            await pilot.press("ctrl+r")
            await settle(pilot)
            review = app.screen
            table = review.query_one("#review-table")
            label = table.get_row(f"{outside.key[0]}/{outside.key[1]}")[0]
            assert str(label).startswith("+ not listed")  # flagged in the review
            await pilot.press("ctrl+s")
            await settle(pilot)
            body = str(app.screen.query_one(".dialog-body").content)
            assert "1 unknown code not posted (in the CSV report): 999000111" in body


async def test_the_list_opens_on_the_open_count_and_a_committed_review_shows_no_drift(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(products=20)
    async with shop(info, tmp_path) as service:
        row = pick_row(service)
        book = count_book(service)
        posted = book.start("Posted")
        book.set_count(posted.id, row.key, row.shown_balance + 5)
        await book.commit(posted.id)
        assert await service.flush(10)
        await service.refresh()
        resume = book.start("Resume me")
        book.abandon(book.start("Dropped").id)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("c")
            await settle(pilot)
            screen = app.screen
            assert [s.name for s in screen.sessions] == ["Dropped", "Resume me", "Posted"]
            assert screen.selected().id == resume.id
            await pilot.press("G", "enter")  # the committed count's review
            await settle(pilot)
            review = app.screen
            assert isinstance(review, CountReviewScreen)
            [item] = [item for item in review.shown if item.line.is_counted]
            assert item.live == row.shown_balance + 5 and item.drift is None
            assert "changed since" not in str(review.query_one("#review-title").content)
