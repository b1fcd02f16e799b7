"""One rule of text matching: the balances' ``/`` filter, ``zinv-tui balances --filter``, a filtered
count's scope and the movement picker find the same variants for the same words."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.cli import cli_json
from tests.support.screens import screen_app, settle, shop
from zinv_tui.service import CountScope, matching_rows, row_matches
from zinv_tui.ui.screens.variant_search import VariantIndex
from zinv_tui.ui.widgets.stock_table import StockTable

pytestmark = pytest.mark.timeout(60)

TEXTS = ("tea bag", "BAGS tea", "tea 50g", "bags (20)")
"""Words in any order and any field: a single substring (the CLI's old rule) finds fewer."""


async def test_the_tui_filter_and_the_cli_filter_give_the_same_rows(sandbox, tmp_path, capsys):
    cli = {
        text: await asyncio.to_thread(
            cli_json, sandbox, tmp_path / "cli", capsys, "balances", "--filter", text
        )
        for text in TEXTS
    }
    async with shop(sandbox, tmp_path / "tui") as service:
        app = screen_app(service)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            table = app.screen.query_one(StockTable)
            index = VariantIndex.build(service.rows)
            book = service.counts
            for text in TEXTS:
                table.set_filter(text)
                shown = set(table.shown_keys())
                assert shown, text  # the demo shop sells tea bags
                assert shown == {(row["product_uuid"], row["variant_uuid"]) for row in cli[text]}
                rule = {row.key for row in matching_rows(service.rows.values(), text)}
                assert shown == rule
                assert shown == set(index.search(text, limit=len(service.rows)))
                count = book.start(scope=CountScope.FILTERED, scope_filter=text)
                assert {line.key for line in book.review(count.id)} == shown, text
                book.abandon(count.id)
            assert not row_matches(service.rows[next(iter(shown))], "tea nothing-like-this")
