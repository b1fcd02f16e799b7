"""Read commands against the session sandbox: locations, balances, low-stock, and their errors."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import pytest

from zinv_tui.api import ApiEndpoints, ZettleClient

pytestmark = pytest.mark.timeout(60)

BAD_KEY = "eyJhbGciOiJSUzI1NiJ9.eyJjbGllbnRfaWQiOiJ4In0.c2lnbmF0dXJlLW5vdC12YWxpZA"


def _store_balances(info) -> dict[str, int]:
    async def read() -> dict[str, int]:
        async with ZettleClient(info.api_key, endpoints=ApiEndpoints.single(info.url)) as client:
            answer = await client.get_store_balances()
        return {str(line.variant_uuid): line.balance for line in answer.variants}

    return asyncio.run(read())


def test_locations_in_every_format(sandbox, use_sandbox, run_cli):
    use_sandbox(sandbox)
    table = run_cli("locations")
    assert table.code == 0, table.err
    assert table.out.splitlines()[0].split() == ["TYPE", "NAME", "UUID", "DEFAULT"]
    rows = json.loads(run_cli("locations", "--format", "json").out)
    assert sorted(row["type"] for row in rows) == ["BIN", "SOLD", "STORE", "SUPPLIER"]
    assert [row["default"] for row in rows if row["type"] == "STORE"] == [True]
    lines = list(csv.DictReader(io.StringIO(run_cli("locations", "--format", "csv").out)))
    assert {line["uuid"] for line in lines} == {row["uuid"] for row in rows}


def test_balances_match_what_zettle_reports(sandbox, use_sandbox, run_cli):
    use_sandbox(sandbox)
    result = run_cli("balances", "--format", "json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert len(rows) > 100
    server = _store_balances(sandbox)
    for row in rows:
        assert row["balance"] == server.get(row["variant_uuid"], 0), row
        assert row["pending"] == 0
    assert {row["variant_uuid"] for row in rows} >= set(server)


def test_balances_filter_and_low(sandbox, use_sandbox, run_cli):
    use_sandbox(sandbox)
    everything = json.loads(run_cli("balances", "--format", "json").out)
    sku = next(row["sku"] for row in everything if row["sku"])
    word = sku[:3].lower()
    filtered = json.loads(run_cli("balances", "--filter", word, "--format", "json").out)
    assert filtered and len(filtered) < len(everything)
    for row in filtered:
        assert any(word in (row[key] or "").lower() for key in ("product", "variant", "sku"))
    low = json.loads(run_cli("balances", "--low", "--format", "json").out)
    assert low, "the demo data has low-stock rows"
    expected = [
        r
        for r in everything
        if r["balance"] <= 0
        or (r["low_stock_level"] is not None and r["balance"] <= r["low_stock_level"])
    ]
    assert low == expected  # out of stock (with a level or not) or low


def test_low_stock_is_sorted_most_urgent_first(sandbox, use_sandbox, run_cli):
    use_sandbox(sandbox)
    result = run_cli("low-stock", "--format", "json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert rows
    order = [(row["state"] != "OUT", -row["short_by"]) for row in rows]
    assert order == sorted(order)  # every OUT first, then LOW; furthest below first in each
    for row in rows:
        if row["state"] == "OUT":
            assert row["balance"] <= 0
        else:
            assert row["state"] == "LOW" and 0 < row["balance"] <= row["low_stock_level"]
    assert any(row["state"] == "OUT" and row["low_stock_level"] is None for row in rows)
    table = run_cli("low-stock")
    assert "SHORT BY" in table.out.splitlines()[0]
    out = sum(row["state"] == "OUT" for row in rows)
    assert table.out.splitlines()[-1] == f"{out} out, {len(rows) - out} low."


def test_a_rejected_key_exits_3(sandbox, run_cli, monkeypatch):
    monkeypatch.setenv("ZINV_API_KEY", BAD_KEY)
    result = run_cli("balances", "--base-url", sandbox.url)
    assert result.code == 3
    assert "API key rejected" in result.err and BAD_KEY not in result.err


def test_a_missing_key_exits_3(sandbox, run_cli):
    result = run_cli("locations", "--base-url", sandbox.url)
    assert result.code == 3
    assert "no API key for profile 'default'" in result.err


def test_an_unreachable_host_exits_4(sandbox, run_cli, monkeypatch, refused_port):
    monkeypatch.setenv("ZINV_API_KEY", sandbox.api_key)
    url = f"http://127.0.0.1:{refused_port}"
    result = run_cli("low-stock", "--base-url", url, "--timeout", "1")
    assert result.code == 4
    assert "reach" in result.err


def test_bad_arguments_exit_2(sandbox, use_sandbox, run_cli):
    use_sandbox(sandbox)
    assert run_cli("balances", "--format", "xml").code == 2
    assert run_cli("balances", "--poll-interval", "0").code == 2
    assert run_cli("locations", "--profile", "nope").code == 2


def test_the_catalogue_is_cached_in_the_cache_dir_not_the_state_dir(
    sandbox, use_sandbox, run_cli, zinv_dirs
):
    use_sandbox(sandbox)
    assert run_cli("balances", "--format", "json").code == 0
    cached = list(zinv_dirs.cache.rglob("catalogue.msgpack"))
    assert [path.parent.name for path in cached] == ["default"]  # the profile's cache dir
    assert not list(zinv_dirs.state.rglob("catalogue.msgpack"))
    assert list(zinv_dirs.state.rglob("outbox.sqlite"))  # the journal stays in the state dir
