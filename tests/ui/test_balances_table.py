"""StockTable on its own, hosted in a tiny app, with the service's StockRow rows (its sort and
filter index is tested without Textual in ``test_stock_index.py``)."""

from __future__ import annotations

import random
import time

import pytest
from msgspec.structs import replace
from textual.app import App, ComposeResult

from zinv_tui.service import StockRow
from zinv_tui.ui.after_paint import FRAME_SENT_AFTER, after_paint
from zinv_tui.ui.marks import LOW_MARK, OUT_MARK, PENDING_MARK, SELECTED_MARK
from zinv_tui.ui.stock_index import PREVIEW_ROWS
from zinv_tui.ui.widgets.stock_table import StockTable, fit, printable

pytestmark = pytest.mark.timeout(60)

Row = StockRow


def make_rows(count: int, seed: int = 1) -> list[Row]:
    rng = random.Random(seed)
    return [
        Row(
            f"p{i // 3:05d}",
            f"v{i:06d}",
            f"Product {i // 3:05d}",
            f"Size {i % 3}",
            f"SKU-{i:06d}",
            f"{7310000000000 + i}",
            rng.randint(1, 40),
            low_stock_level=None,
        )
        for i in range(count)
    ]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TableApp(App[None]):
    def __init__(self, rows: list[Row], clock: Clock | None = None) -> None:
        super().__init__()
        self.rows = rows
        self.clock = clock or Clock()
        self.messages: list[object] = []

    def compose(self) -> ComposeResult:
        yield StockTable(monotonic=self.clock)

    def on_mount(self) -> None:
        table = self.query_one(StockTable)
        table.set_rows(self.rows)
        table.focus()

    def on_stock_table_row_activated(self, message: StockTable.RowActivated) -> None:
        self.messages.append(message)


def screen_lines(app: App) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def table_of(app: App) -> StockTable:
    return app.query_one(StockTable)


async def test_rows_render_sorted_by_product_with_header() -> None:
    rows = make_rows(30)
    app = TableApp(list(reversed(rows)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = screen_lines(app)
        assert "Product ▲" in lines[0] and "Balance" in lines[0] and "Barcode" not in lines[0]
        assert "Product 00000" in lines[1] and "SKU-000000" in lines[1]
        assert table_of(app).shown_keys()[:3] == [r.key for r in rows[:3]]


async def test_a_big_load_paints_its_top_rows_then_indexes_the_rest() -> None:
    """Rows beyond the first screenful are indexed after the first paint (46,000 rows: the
    paint waits for the top rows only), and the table then knows every row."""
    waited: list[bool] = []

    class LoadingApp(TableApp):
        def on_mount(self) -> None:
            super().on_mount()
            waited.append(table_of(self).index.waiting)  # the load left the rest waiting

    rows = make_rows(3 * PREVIEW_ROWS)
    app = LoadingApp(list(reversed(rows)))
    async with app.run_test(size=(80, 24)) as pilot:
        table = table_of(app)
        await pilot.pause()
        lines = screen_lines(app)
        assert "Product 00000" in lines[1] and "SKU-000000" in lines[1]
        for _ in range(100):  # indexed once painted (and sent), without anything asking
            if not table.index.waiting:
                break
            await pilot.pause(0.01)
        assert not table.index.waiting
        assert table.row_count == len(rows)
        assert table.shown_keys() == [r.key for r in rows]
    assert waited == [True]


async def test_barcode_column_shows_when_wide() -> None:
    app = TableApp(make_rows(10))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        lines = screen_lines(app)
        assert "Barcode" in lines[0]
        assert "7310000000000" in lines[1]
        assert all(len(line) == 120 for line in lines)


async def test_names_are_data_not_markup() -> None:
    rows = [
        Row("p1", "v1", "Nut [/] Butter", "[red]big", "[b]SKU", "123", 5),
        Row("p2", "v2", "Washer [red]x", "\x1b[31mred", "S2", "456", 5),
    ]
    app = TableApp(rows)
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "Nut [/] Butter" in text
        assert "[red]big" in text and "[b]SKU" in text
        assert "Washer [red]x" in text
        assert "\x1b" not in text and "\ufffd[31mred" in text


async def test_markers_for_out_low_and_pending() -> None:
    rows = [
        Row("p1", "v1", "Apple", "", "A", "1", 0),
        Row("p2", "v2", "Banana", "", "B", "2", 3, low_stock_level=3),
        Row("p3", "v3", "Cherry", "", "C", "3", 10, pending=5),
        Row("p4", "v4", "Date", "", "D", "4", 10, low_stock_level=3),
    ]
    app = TableApp(rows)
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        lines = screen_lines(app)
        assert OUT_MARK in lines[1] and "Apple" in lines[1]
        assert LOW_MARK in lines[2] and "Banana" in lines[2]
        assert f"{PENDING_MARK}15" in lines[3]
        assert OUT_MARK not in lines[4] and LOW_MARK not in lines[4]


def filtered(rows: list[Row], text: str) -> list[tuple[str, str]]:
    """The rows a filter should show, computed the slow obvious way."""
    terms = text.lower().split()
    return [
        r.key
        for r in rows
        if all(t in f"{r.product_name}|{r.variant_name}|{r.sku}|{r.barcode}".lower() for t in terms)
    ]


async def test_filter_narrows_by_name_sku_barcode_case_insensitive() -> None:
    rows = make_rows(300)
    app = TableApp(rows)
    async with app.run_test(size=(80, 24)) as pilot:
        table = table_of(app)
        table.set_filter("sku-000299")
        assert table.shown_keys() == [rows[299].key]
        table.set_filter("7310000000042")
        assert table.shown_keys() == [rows[42].key]
        table.set_filter("PRODUCT 00012")
        assert rows[36].key in table.shown_keys()
        # Typing on (each keystroke narrows the last view), then a fresh start.
        for text in (
            "p",
            "pr",
            "PRODUCT 00012",
            "PRODUCT 00012 size",
            "PRODUCT 00012 size 2",
            "size 2",
            "ize 0 00001",
            "",
        ):
            table.set_filter(text)
            assert table.shown_keys() == filtered(rows, text), text
        table.set_filter("no such thing")
        assert table.shown_count == 0
        await pilot.pause()
        assert screen_lines(app)[1].strip() == ""
        assert "No variant matches “no such thing”" in screen_lines(app)[2]
        table.set_filter("")
        assert table.shown_count == 300


async def test_sort_cycles_and_reverses_and_shows_the_top_of_the_new_order() -> None:
    """Walk: after ``s`` to Balance, the view stayed on the cursor's row (balances of 32), not
    on the zeros at the top of the new order."""
    rows = make_rows(60)
    app = TableApp(rows)
    async with app.run_test(size=(80, 12)) as pilot:
        table = table_of(app)
        await pilot.press("pagedown", "down")
        assert table.cursor_row > 0
        await pilot.press("s")  # variant
        assert table.sort_column == "variant"
        assert table.cursor_row == 0 and table.cursor_key == table.shown_keys()[0]
        await pilot.press("down", "down", "s", "s")  # sku, balance (no barcode at 80 columns)
        assert table.sort_column == "balance"
        balances = [table.get_row(k).balance for k in table.shown_keys()]
        assert balances == sorted(balances)
        assert table.cursor_row == 0 and table.scroll_y == 0
        await pilot.press("pagedown", "S")
        balances = [table.get_row(k).balance for k in table.shown_keys()]
        assert balances == sorted(balances, reverse=True)
        assert table.cursor_row == 0 and table.cursor_key == table.shown_keys()[0]
        await pilot.pause()
        assert "Balance ▼" in screen_lines(app)[0]
        assert f" {max(balances)} " in screen_lines(app)[1]  # the top of the new order shows


async def test_blank_levels_sort_last_either_way() -> None:
    """Walk: ``Low ▼`` put the variants without a level first."""
    rows = [replace(row, low_stock_level=[None, 4, 9][i % 3]) for i, row in enumerate(make_rows(9))]
    app = TableApp(rows)
    async with app.run_test(size=(80, 24)):
        table = table_of(app)
        for reverse, levels in ((False, [4, 4, 4, 9, 9, 9]), (True, [9, 9, 9, 4, 4, 4])):
            table.sort_by("low", reverse=reverse)
            shown = [table.get_row(key).low_stock_level for key in table.shown_keys()]
            assert shown == [*levels, None, None, None]


async def test_cursor_keys_page_and_ends() -> None:
    rows = make_rows(100)
    app = TableApp(rows)
    async with app.run_test(size=(80, 12)) as pilot:
        table = table_of(app)
        await pilot.press("down", "down")
        assert table.cursor_row == 2
        await pilot.press("up")
        assert table.cursor_row == 1
        await pilot.press("pagedown")
        assert table.cursor_row == 1 + 11
        await pilot.press("end")
        assert table.cursor_row == 99
        await pilot.pause()
        assert "SKU-000099" in screen_lines(app)[-1]
        await pilot.press("home")
        assert table.cursor_row == 0
        assert round(table.scroll_y) == 0


async def test_space_selects_and_enter_activates() -> None:
    rows = make_rows(10)
    app = TableApp(rows)
    async with app.run_test(size=(80, 12)) as pilot:
        table = table_of(app)
        await pilot.press("space", "space")
        assert table.selected_keys == {rows[0].key, rows[1].key}
        await pilot.pause()
        assert screen_lines(app)[1].startswith(SELECTED_MARK)
        await pilot.press("enter")
        await pilot.pause()
        assert [m.key for m in app.messages] == [rows[2].key]
        await pilot.press("ctrl+a")
        assert len(table.selected_keys) == 10
        await pilot.press("ctrl+a")
        assert not table.selected_keys


async def test_diff_applies_in_place_and_highlights_briefly() -> None:
    rows = make_rows(50)
    clock = Clock()
    app = TableApp(rows, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        table = table_of(app)
        await pilot.press("down")
        changed = rows[1].replace(balance=0)
        added = Row("p99999", "v999999", "Aardvark food", "", "AF", "9", 7)
        table.apply_diff([changed, added], [rows[0].key])
        assert table.row_count == 50
        assert table.shown_keys()[0] == added.key
        assert table.cursor_key == rows[1].key  # cursor stays on its row
        assert table.is_highlighted(changed.key) and table.is_highlighted(added.key)
        assert not table.is_highlighted(rows[2].key)
        await pilot.pause()
        assert OUT_MARK in screen_lines(app)[2]
        clock.now += 2.5
        assert not table.is_highlighted(changed.key)


def test_fit_and_printable() -> None:
    assert fit("abcdef", 4) == "abc…"
    assert fit("ab", 4) == "ab  "
    assert fit("ab", 4, right=True) == "  ab"
    assert fit("日本語の名前", 5) == "日本…"
    assert printable("a\tb\x00c") == "a\ufffdb\ufffdc"
    assert printable(None) == ""


async def test_mouse_header_click_sorts_and_row_click_moves_the_cursor() -> None:
    rows = make_rows(20)
    app = TableApp(rows)
    async with app.run_test(size=(80, 12)) as pilot:
        table = table_of(app)
        header = screen_lines(app)[0]
        await pilot.click(StockTable, offset=(header.index("Balance") + 2, 0))
        assert table.sort_column == "balance" and not table.sort_reverse
        await pilot.click(StockTable, offset=(header.index("Balance") + 2, 0))
        assert table.sort_reverse
        await pilot.press("home")
        await pilot.click(StockTable, offset=(10, 3))
        assert table.cursor_row == 2
        await pilot.click(StockTable, offset=(10, 3), times=2)
        await pilot.pause()
        assert [m.key for m in app.messages] == [table.shown_keys()[2]]


async def test_work_after_a_paint_waits_until_the_frame_is_sent() -> None:
    """Textual sends frames from a thread of its own: work queued after a paint waits a moment
    more, or a long computation (the index of 46,000 rows) could hold the frame back."""
    moments: dict[str, float] = {}
    app = TableApp(make_rows(3))
    async with app.run_test() as pilot:
        app.call_after_refresh(lambda: moments.setdefault("refreshed", time.monotonic()))
        after_paint(app, lambda: moments.setdefault("after", time.monotonic()))
        for _ in range(100):
            if "after" in moments:
                break
            await pilot.pause(0.01)
    assert moments["after"] - moments["refreshed"] >= FRAME_SENT_AFTER * 0.9
