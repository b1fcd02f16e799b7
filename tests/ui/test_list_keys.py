"""Every list moves with the balances table's keys: j/k, g/G, Home/End (walkthrough #13)."""

from __future__ import annotations

import pytest

from tests.support.screens import pick_row, screen_app, settle, shop
from zinv_tui.service import MovementIntent, Reason, count_book
from zinv_tui.ui.widgets.list_table import ListTable

pytestmark = pytest.mark.timeout(90)

MOVES = [("g", "first"), ("j", 1), ("k", 0), ("G", "last"), ("home", 0), ("end", "last")]


async def test_j_k_g_G_home_end_move_the_cursor_in_every_list(sandbox_factory, tmp_path):
    info = sandbox_factory(products=40)
    async with shop(info, tmp_path) as service:
        first = pick_row(service)
        second = pick_row(service, exclude=[first.key])
        await service.record([MovementIntent(Reason.RESTOCK, first.key, quantity=1)])
        await service.record([MovementIntent(Reason.RESTOCK, second.key, quantity=1)])
        book = count_book(service)
        book.start("one")
        book.start("two")
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            for key in ("h", "a", "c", "t", "l"):
                await pilot.press(key)
                await settle(pilot, rounds=1)
                table = app.focused
                assert isinstance(table, ListTable), (key, table)
                assert table.row_count >= 2, key
                last = table.row_count - 1
                for press, where in MOVES:
                    await pilot.press(press)
                    expected = {"first": 0, "last": last}.get(where, where)
                    assert table.cursor_row == expected, (key, press)
                await pilot.press("escape")
                await settle(pilot, rounds=1)
