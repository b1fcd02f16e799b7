"""One set of reason names in every command, a ``move`` between locations, one quantity range
(issue 8 item 13; walkthrough finding #15)."""

from __future__ import annotations

import json

import pytest

from tests.support.sandbox import SandboxAdmin

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def shop(sandbox_factory, use_sandbox):
    info = sandbox_factory(products=10)
    use_sandbox(info)
    return info


def _row(run_cli) -> dict:
    rows = json.loads(run_cli("balances", "--format", "json").out)
    return next(row for row in rows if row["sku"] and row["balance"] >= 5)


def test_move_and_history_take_the_same_names_in_both_spellings(shop, run_cli):
    sku = _row(run_cli)["sku"]
    for name in ("return-to-supplier", "RETURN_TO_SUPPLIER", "return"):
        result = run_cli("move", "--reason", name, "--sku", sku, "--qty", "1", "--no-wait")
        assert result.code == 0, (name, result.err)
    for name in ("set-count", "set"):
        result = run_cli("move", "--reason", name, "--sku", sku, "--qty", "3", "--no-wait")
        assert result.code == 0, (name, result.err)

    def listed(name: str) -> list[str]:
        result = run_cli("history", "--reason", name, "--format", "json")
        assert result.code == 0, (name, result.err)
        return [entry["reason"] for entry in json.loads(result.out)]

    assert listed("return") == listed("return-to-supplier") == ["RETURN_TO_SUPPLIER"] * 3
    assert listed("set") == listed("Set-Count") == ["SET_COUNT"]
    assert listed("move") == []
    assert run_cli("history", "--reason", "move").out == "No movements match.\n"
    assert run_cli("move", "--reason", "undo", "--sku", sku, "--qty", "1").code == 2


def test_move_between_locations(shop, run_cli):
    row = _row(run_cli)
    before = len(SandboxAdmin(shop).ledger())
    result = run_cli(
        "move",
        "--reason",
        "move",
        "--from",
        "store",
        "--to",
        "BIN",
        "--sku",
        row["sku"],
        "--qty",
        "2",
        "--format",
        "json",
    )
    assert result.code == 0, result.err
    [entry] = json.loads(result.out)
    assert (entry["reason"], entry["change"], entry["status"]) == ("MOVE", -2, "ACKNOWLEDGED")
    moves = SandboxAdmin(shop).ledger()[before:]
    assert len(moves) == 1 and moves[0]["change"] == 2
    assert [
        e["reason"]
        for e in json.loads(run_cli("history", "--reason", "move", "--format", "json").out)
    ] == ["MOVE"]

    missing = run_cli(
        "move", "--reason", "move", "--from", "store", "--sku", row["sku"], "--qty", "1"
    )
    assert missing.code == 2 and "--reason move needs --from and --to" in missing.err
    extra = run_cli("move", "--reason", "sale", "--to", "bin", "--sku", row["sku"], "--qty", "1")
    assert extra.code == 2 and "the other reasons take neither" in extra.err
    assert (
        run_cli(
            "move",
            "--reason",
            "move",
            "--from",
            "attic",
            "--to",
            "bin",
            "--sku",
            row["sku"],
            "--qty",
            "1",
        ).code
        == 2
    )
    assert len(SandboxAdmin(shop).ledger()) == before + 1


def test_the_quantity_range_says_what_is_accepted(run_cli):
    phrase = "a whole number from 1 to 1,000,000 (0 only with --reason set)"
    for qty in ("-3", "1000001", "two"):
        result = run_cli("move", "--reason", "restock", "--sku", "A", "--qty", qty)
        assert result.code == 2 and phrase in result.err, (qty, result.err)
    zero = run_cli("move", "--reason", "restock", "--sku", "A", "--qty", "0")
    assert zero.code == 2 and phrase in zero.err, zero.err
