"""Reorder to supplier CSV to received delivery, by keyboard, on a sandbox with 60 days of sales.

Real parts only: the sandbox generates the history, the app reads it through the Purchase API,
orders and receipts go to ``reorder.sqlite`` and the booked delivery through the outbox to the
sandbox's ledger.
"""

from __future__ import annotations

import csv
import dataclasses

import httpx
import pytest

from tests.support.sandbox import SandboxAdmin
from tests.support.screens import screen_app, send_one_read, settle, shop, type_text
from zinv_tui.service import MovementIntent, OrderStatus, Reason, ReorderStatus, reorder_desk
from zinv_tui.service.reorder_list import urgency
from zinv_tui.ui.screens.dialogs import ConfirmDialog, PathDialog
from zinv_tui.ui.screens.item_detail import ItemDetailScreen
from zinv_tui.ui.screens.purchase_dialogs import BookDeliveryDialog
from zinv_tui.ui.screens.purchase_order import PurchaseOrderScreen
from zinv_tui.ui.screens.purchase_orders import PurchaseOrdersScreen
from zinv_tui.ui.screens.receiving import ReceivingScreen
from zinv_tui.ui.screens.reorder import ReorderScreen
from zinv_tui.ui.screens.reorder_settings_dialog import VariantSettingsDialog

pytestmark = pytest.mark.timeout(120)

HISTORY_DAYS = 60


def history_shop(sandbox_factory, products: int = 40):
    return sandbox_factory(products=products, history_days=HISTORY_DAYS)


def key_without_sales(info) -> str:
    """Another API key of the sandbox's shop, with the product scopes only."""
    answer = httpx.post(
        f"{info.url}/sandbox/keys", json={"scopes": ["READ:PRODUCT", "WRITE:PRODUCT"]}
    )
    answer.raise_for_status()
    return answer.json()["api_key"]


async def open_reorder(pilot) -> ReorderScreen:
    """``o`` from the balances; the list once the sales are read."""
    await pilot.press("o")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReorderScreen)
    assert not screen.working
    return screen


def put_cursor(screen: ReorderScreen, key) -> None:
    screen.table.move_cursor(row=[line.key for line in screen.lines].index(key))


def message(screen) -> str:
    return str(screen.query_one("#scan-message").content)


async def burst(pilot, text: str) -> None:
    """Keys in one terminal read, parsed and sent like the driver does (a scanner over SSH)."""
    send_one_read(pilot.app, text)
    await settle(pilot)


async def test_reorder_lists_most_urgent_first_and_explains_the_highlighted_line(
    sandbox_factory, tmp_path
):
    info = history_shop(sandbox_factory)
    async with shop(info, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_reorder(pilot)
            lines = screen.lines
            assert lines and lines[0].status in (ReorderStatus.OUT, ReorderStatus.ORDER)
            assert [urgency(line) for line in lines] == sorted(urgency(line) for line in lines)
            assert all(line.suggested or line.status is not ReorderStatus.OK for line in lines)
            detail = str(screen.query_one("#reorder-detail").render())
            assert lines[0].row.label in detail and "in-stock days" in detail
            await pilot.press("j")
            await settle(pilot, rounds=1)
            assert lines[1].explain()[:40] in str(screen.query_one("#reorder-detail").render())
            await pilot.press("G")
            assert screen.cursor_line() is lines[-1]
            await pilot.press("g")
            assert screen.cursor_line() is lines[0]

            await pilot.press("slash")
            word = lines[0].row.product_name.split()[0]
            await type_text(pilot, word)
            await settle(pilot, rounds=1)
            assert screen.lines and all(
                word.casefold() in line.row.label.casefold() for line in screen.lines
            )
            await pilot.press("escape")
            await settle(pilot, rounds=1)
            assert len(screen.lines) == len(lines)
            assert isinstance(app.screen, ReorderScreen)  # Esc closed the filter, not the screen

            await pilot.press("f")  # every tracked item
            await settle(pilot, rounds=1)
            assert len(screen.lines) == len(service.rows)


async def test_from_suggestion_to_supplier_csv_to_a_partial_delivery_in_the_ledger(
    sandbox_factory, tmp_path
):
    info = history_shop(sandbox_factory)
    ledger = SandboxAdmin(info)
    async with shop(info, tmp_path / "state") as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_reorder(pilot)
            first, second = [line for line in screen.lines if line.suggested and line.row.barcode][
                :2
            ]

            # settings: a bad pack size is refused in the dialog, then a supplier and packs of 6
            put_cursor(screen, first.key)
            await pilot.press("e")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, VariantSettingsDialog)
            await type_text(pilot, "Bean Co")
            dialog.query_one("#setting-pack_size").focus()
            await type_text(pilot, "six")
            await pilot.press("enter")
            await settle(pilot, rounds=1)
            assert app.screen is dialog
            assert "whole number" in str(dialog.query_one("#settings-error").render())
            assert dialog.focused is dialog.query_one("#setting-pack_size")
            dialog.query_one("#setting-pack_size").value = ""
            await type_text(pilot, "6")
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is screen
            desk = reorder_desk(service)
            settings = desk.settings.get(first.row.variant_uuid)
            assert (settings.supplier, settings.pack_size) == ("Bean Co", 6)
            first = next(line for line in screen.lines if line.key == first.key)
            assert first.plan.supplier == "Bean Co" and first.suggested % 6 == 0

            # pick both lines: one draft per supplier
            put_cursor(screen, first.key)
            await pilot.press("space")
            put_cursor(screen, second.key)
            await pilot.press("space")
            assert screen.picked_keys == {first.key, second.key}
            await pilot.press("n")
            await settle(pilot)
            assert isinstance(app.screen, PurchaseOrdersScreen)
            drafts = desk.orders.orders([OrderStatus.DRAFT])
            assert sorted(order.supplier for order in drafts) == ["Bean Co", "No supplier set"]
            bean = next(order for order in drafts if order.supplier == "Bean Co")
            assert [(line.variant_uuid, line.ordered) for line in desk.orders.lines(bean.id)] == [
                (first.row.variant_uuid, first.suggested)
            ]
            assert desk.orders.on_order() == {}  # drafts are not on order yet

            # open the Bean Co order and export it for the supplier
            orders_screen = app.screen
            orders_screen.query_one("#orders-table").move_cursor(
                row=[order.id for order in orders_screen.orders].index(bean.id)
            )
            await pilot.press("enter")
            await settle(pilot)
            order_screen = app.screen
            assert (
                isinstance(order_screen, PurchaseOrderScreen) and order_screen.order_id == bean.id
            )
            await pilot.press("e")
            await settle(pilot)
            path_dialog = app.screen
            assert isinstance(path_dialog, PathDialog)
            target = tmp_path / "bean.csv"
            target.write_text("keep me")  # an existing file is only replaced after asking
            path_dialog.query_one("#path").value = str(target)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            assert app.screen.focused is app.screen.query_one("#cancel")
            await pilot.press("enter")  # Cancel: nothing written
            await settle(pilot)
            assert target.read_text() == "keep me"
            path_dialog.query_one("#path").value = str(tmp_path / "po.csv")
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is order_screen
            rows = list(csv.DictReader((tmp_path / "po.csv").open(encoding="utf-8")))
            assert [(row["sku"], row["quantity"], row["pack_size"]) for row in rows] == [
                (first.row.sku, str(first.suggested), "6")
            ]
            assert desk.orders.order(bean.id).status is OrderStatus.ORDERED
            assert desk.orders.on_order() == {first.row.variant_uuid: first.suggested}

            # the delivery: 3 scans in one burst, +5, one of them damaged; booked
            await pilot.press("r")
            await settle(pilot)
            receiving = app.screen
            assert isinstance(receiving, ReceivingScreen)
            assert receiving.focused is receiving.query_one("#scan")
            code = first.row.barcode
            await burst(pilot, f"{code}\r{code}\n\x00{code}\r\n")
            assert "now 3" in message(receiving)
            await type_text(pilot, "+5")
            await pilot.press("enter")
            await settle(pilot, rounds=1)
            await type_text(pilot, "!1")
            await pilot.press("enter")
            await settle(pilot, rounds=1)
            [line] = receiving.plan.lines
            assert (line.good, line.damaged, line.state.value) == (8, 1, "short")
            assert receiving.focused is receiving.query_one("#scan")
            await type_text(pilot, "4006381333931")  # a code of nothing: said so, not received
            await pilot.press("enter")
            await settle(pilot, rounds=1)
            assert "Unknown code" in message(receiving)
            assert receiving.plan.good_units == 8

            await pilot.press("ctrl+s")
            await settle(pilot)
            book = app.screen
            assert isinstance(book, BookDeliveryDialog)
            body = str(book.query_one(".dialog-body").render())
            assert "8 units into stock" in body and "stays on order" in body
            await pilot.press("enter")  # Book: the rest stays on order
            await settle(pilot)
            assert app.screen is order_screen
            assert desk.orders.order(bean.id).status is OrderStatus.PARTIAL
            left = first.suggested - 8 - 1
            assert desk.orders.on_order() == {first.row.variant_uuid: left}
            assert await service.flush(10)
            await pilot.press("escape", "escape")  # the orders, then the reorder list
            await settle(pilot)
            assert app.screen is screen
            [shown] = [line for line in screen.lines if line.key == first.key]
            assert shown.on_order == left
            assert shown.status is not ReorderStatus.OUT  # 8 arrived

        entries = service.history(text=bean.name)
        assert [(entry.reason, entry.quantity) for entry in entries] == [(Reason.RESTOCK, 8)]
        assert entries[0].note.startswith(f"received {bean.name}")
        sent = {entry.sent_as for entry in entries}
        moved = [move for move in ledger.ledger() if move["externalUuid"] in sent]
        assert [(move["variantUuid"], move["change"]) for move in moved] == [
            (first.row.variant_uuid, 8)
        ]


async def test_settings_dialog_checks_min_against_max_and_keeps_nothing_on_cancel(
    sandbox_factory, tmp_path
):
    info = history_shop(sandbox_factory, products=30)
    async with shop(info, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_reorder(pilot)
            line = screen.lines[0]
            await pilot.press("e")
            await settle(pilot)
            dialog = app.screen
            dialog.query_one("#setting-min_level").value = "20"
            dialog.query_one("#setting-max_level").value = "10"
            dialog.query_one("#setting-lead_time_days").value = "2.5"
            dialog.query_one("#setting-max_level").focus()
            await pilot.press("enter")
            await settle(pilot, rounds=1)
            assert "at least the minimum" in str(dialog.query_one("#settings-error").render())
            assert dialog.focused is dialog.query_one("#setting-max_level")
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is screen
            assert reorder_desk(service).settings.get(line.row.variant_uuid).min_level is None

            await pilot.press("e")
            await settle(pilot)
            dialog = app.screen
            dialog.query_one("#setting-min_level").value = "20"
            dialog.query_one("#setting-max_level").value = "40"
            dialog.query_one("#setting-lead_time_days").value = "2.5"
            await pilot.press("enter")
            await settle(pilot)
            saved = reorder_desk(service).settings.get(line.row.variant_uuid)
            assert (saved.min_level, saved.max_level, saved.lead_time_days) == (20, 40, 2.5)
            fresh = next(item for item in screen.lines if item.key == line.key)
            assert "pinned at 20" in fresh.explain()


async def test_without_read_purchase_the_screen_says_how_to_add_it(sandbox_factory, tmp_path):
    info = history_shop(sandbox_factory, products=20)
    limited = dataclasses.replace(info, api_key=key_without_sales(info))
    async with shop(limited, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_reorder(pilot)
            notice = screen.query_one("#reorder-notice")
            assert notice.display
            text = str(notice.render())
            assert "READ:PURCHASE" in text and "zinv-tui login" in text
            assert screen.scope_missing
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("h")  # the rest of the app works as before
            await settle(pilot)
            assert type(app.screen).__name__ == "HistoryScreen"


async def test_the_first_read_shows_progress_without_blocking_the_keys(sandbox_factory, tmp_path):
    info = history_shop(sandbox_factory, products=60)
    async with shop(info, tmp_path) as service:
        SandboxAdmin(info).faults(latency_ms=150)  # every page of sales takes a while
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("o")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ReorderScreen)
            seen = []
            while screen.working:
                progress = screen.query_one("#reorder-progress")
                if progress.display:
                    seen.append(str(screen.query_one("#reorder-progress-label").render()))
                await pilot.press("question_mark")  # the app answers keys meanwhile
                await pilot.pause()
                if type(app.screen).__name__ == "HelpScreen":
                    await pilot.press("escape")
                await pilot.pause(0.02)
            await settle(pilot)
            assert any("Reading" in text for text in seen)
            assert screen.lines and not screen.query_one("#reorder-progress").display


async def test_item_detail_from_the_balances_and_the_reorder_list(sandbox_factory, tmp_path):
    info = history_shop(sandbox_factory, products=30)
    async with shop(info, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_reorder(pilot)
            line = screen.lines[0]
            await pilot.press("i")
            await settle(pilot)
            detail = app.screen
            assert isinstance(detail, ItemDetailScreen) and detail.key == line.key
            assert len(detail.detail.days) == 28
            assert detail.query_one("#sales-spark").data == [p.sold for p in detail.detail.days]
            facts = str(detail.query_one("#item-facts").render())
            assert "Stock value" in facts and "at cost" in facts
            assert any(event.kind.value == "sales" for event in detail.detail.events)
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is screen
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("i")  # from the balances: the row under the cursor
            await settle(pilot)
            assert isinstance(app.screen, ItemDetailScreen)
            assert app.screen.key == app.screen_stack[0].table.cursor_key


async def test_an_order_is_edited_sent_received_in_full_short_and_closed(sandbox_factory, tmp_path):
    info = history_shop(sandbox_factory, products=30)
    async with shop(info, tmp_path) as service:
        desk = reorder_desk(service)
        rows = sorted((r for r in service.rows.values() if r.sku), key=lambda r: r.key)[:2]
        order = desk.orders.create("Harbour Foods")
        desk.orders.set_line(order.id, rows[0], 12, pack_size=6)
        desk.orders.set_line(order.id, rows[1], 4)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.open_screen("purchase_order", order_id=order.id)
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, PurchaseOrderScreen)

            await pilot.press("enter")  # the quantity of the first line: packs of 6 only
            await settle(pilot)
            dialog = app.screen
            dialog.query_one("#quantity").value = "13"
            await pilot.press("enter")
            await settle(pilot, rounds=1)
            assert app.screen is dialog
            assert "try 18 or 12" in str(dialog.query_one("#quantity-error").render())
            dialog.query_one("#quantity").value = "18"
            await pilot.press("enter")
            await settle(pilot)
            assert desk.orders.lines(order.id)[0].ordered == 18

            await pilot.press("j", "d")  # remove the second line: asks, Cancel first
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            assert app.screen.focused is app.screen.query_one("#cancel")
            await pilot.press("enter")
            await settle(pilot)
            assert len(desk.orders.lines(order.id)) == 2

            await pilot.press("x")  # cancel the order: asks, Cancel first; Enter keeps it
            await settle(pilot)
            assert app.screen.focused is app.screen.query_one("#cancel")
            await pilot.press("enter")
            await settle(pilot)
            assert desk.orders.order(order.id).status is OrderStatus.DRAFT

            await pilot.press("s")  # sent by phone: on order without a file
            await settle(pilot)
            assert desk.orders.on_order() == {rows[0].variant_uuid: 18, rows[1].variant_uuid: 4}
            await pilot.press("a")  # everything came...
            await settle(pilot)
            assert [line.good for line in screen.plan.lines] == [18, 4]

            await pilot.press("r")  # ...but 2 of the first were broken: corrected in the list
            await settle(pilot)
            receiving = app.screen
            assert isinstance(receiving, ReceivingScreen)
            await pilot.press("tab")
            await settle(pilot, rounds=1)
            assert receiving.focused is receiving.query_one("#receiving-table")
            await pilot.press("enter")
            await settle(pilot)
            received = app.screen
            received.query_one("#good").value = "10"
            received.query_one("#damaged").value = "2"
            await pilot.press("enter")
            await settle(pilot)
            assert (receiving.plan.lines[0].good, receiving.plan.lines[0].damaged) == (10, 2)
            await type_text(pilot, "+1")  # typed in the list: goes to the scan field
            await pilot.press("enter")
            await settle(pilot, rounds=1)
            assert receiving.focused is receiving.query_one("#scan")
            assert receiving.plan.lines[0].good == 11
            await pilot.press("ctrl+z")
            await settle(pilot, rounds=1)
            assert receiving.plan.lines[0].good == 10
            await pilot.press("escape")  # back to the order: the receipt is kept
            await settle(pilot)
            assert app.screen is screen and screen.plan.lines[0].good == 10

            await pilot.press("b")
            await settle(pilot)
            book = app.screen
            assert isinstance(book, BookDeliveryDialog)
            book.query_one("#close").press()  # book, and close the order short
            await settle(pilot)
            assert desk.orders.order(order.id).status is OrderStatus.CLOSED
            assert desk.orders.on_order() == {}
            assert await service.flush(10)
        entries = service.history(text=order.name)
        assert sorted(entry.quantity for entry in entries) == [4, 10]


async def test_reorder_is_a_key_from_the_balances_and_in_the_palette(sandbox_factory, tmp_path):
    info = history_shop(sandbox_factory, products=20)
    async with shop(info, tmp_path) as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            titles = {command.title: command.action for command in app.palette_commands()}
            assert titles["Reorder"] == "open('reorder')"
            assert titles["Purchase orders"] == "open('purchase_orders')"
            from zinv_tui.ui.screens.help import binding_lines

            keys = {line.keys: line.description for line in binding_lines(app.screen)}
            assert keys["o"] == "Reorder" and keys["i"] == "Item detail"
            await app.run_command("open('purchase_orders')")
            await settle(pilot)
            assert isinstance(app.screen, PurchaseOrdersScreen)
            assert "No open orders" in str(app.screen.query_one("#orders-hint").render())


async def test_item_detail_from_low_stock_and_history(sandbox_factory, tmp_path):
    info = history_shop(sandbox_factory, products=30)
    async with shop(info, tmp_path) as service:
        row = next(row for row in service.rows.values() if row.shown_balance > 2)
        await service.record([MovementIntent(Reason.DISCARD, row.key, quantity=1, note="dropped")])
        assert await service.flush(10)
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("h", "i")
            await settle(pilot)
            detail = app.screen
            assert isinstance(detail, ItemDetailScreen) and detail.key == row.key
            own = [event for event in detail.detail.events if event.kind.value == "own"]
            assert own and "dropped" in own[0].what and own[0].change == -1
            await pilot.press("escape", "escape", "a")
            await settle(pilot)
            low = app.screen
            await pilot.press("i")
            await settle(pilot)
            assert isinstance(app.screen, ItemDetailScreen)
            assert app.screen.key == low.listed_keys[0]
