"""Movements from scripts: ``move``, ``import-counts``, ``outbox``, ``history``, ``export``.

Each test gets a fresh sandbox (state changes), and checks the sandbox's own ledger: a movement
made from the command line goes through the outbox and reaches Zettle exactly once.
"""

from __future__ import annotations

import csv
import json

import pytest

from tests.support.sandbox import SandboxAdmin, sent_key

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def shop(sandbox_factory, use_sandbox):
    info = sandbox_factory(products=20)
    use_sandbox(info)
    return info


@pytest.fixture
def any_shop(sandbox_factory, use_sandbox, generation):
    """A fresh sandbox that answers one generation only, the CLI forced to it (each in turn)."""
    info = sandbox_factory(api=generation, products=20)
    use_sandbox(info, generation)
    return info


def _balances(run_cli) -> dict[str, dict]:
    result = run_cli("balances", "--format", "json")
    assert result.code == 0, result.err
    return {row["variant_uuid"]: row for row in json.loads(result.out)}


def _pick(run_cli, *, minimum: int = 0) -> dict:
    rows = _balances(run_cli)
    return next(
        row for row in rows.values() if row["sku"] and row["barcode"] and row["balance"] >= minimum
    )


def test_move_restock_by_sku_is_acknowledged_and_reaches_the_ledger_once(any_shop, run_cli):
    shop = any_shop
    row = _pick(run_cli)
    before = len(SandboxAdmin(shop).ledger())
    result = run_cli(
        "move",
        "--reason",
        "restock",
        "--sku",
        row["sku"].lower(),
        "--qty",
        "5",
        "--note",
        "delivery 42",
        "--format",
        "json",
    )
    assert result.code == 0, result.err
    [entry] = json.loads(result.out)
    assert entry["status"] == "ACKNOWLEDGED" and entry["change"] == 5
    assert entry["balance_after"] == row["balance"] + 5
    moves = SandboxAdmin(shop).ledger()[before:]
    assert len(moves) == 1
    assert moves[0]["variantUuid"] == row["variant_uuid"]
    assert moves[0]["change"] == 5 and moves[0]["source"] == "api" and sent_key(moves[0])
    assert _balances(run_cli)[row["variant_uuid"]]["balance"] == row["balance"] + 5

    history = json.loads(run_cli("history", "--format", "json").out)
    assert history[0]["reason"] == "RESTOCK" and history[0]["note"] == "delivery 42"
    assert history[0]["status"] == "ACKNOWLEDGED"


@pytest.mark.parametrize(
    ("reason", "change"), [("sale", -2), ("discard", -2), ("return", -2), ("restock", 2)]
)
def test_move_reasons_by_barcode(shop, run_cli, reason, change):
    row = _pick(run_cli, minimum=2)
    result = run_cli(
        "move", "--reason", reason, "--barcode", row["barcode"], "--qty", "2", "--format", "json"
    )
    assert result.code == 0, result.err
    assert json.loads(result.out)[0]["change"] == change
    assert _balances(run_cli)[row["variant_uuid"]]["balance"] == row["balance"] + change


def test_move_set_counts_by_variant_uuid(shop, run_cli):
    row = _pick(run_cli)
    target = row["balance"] + 7
    result = run_cli(
        "move",
        "--reason",
        "set",
        "--variant-uuid",
        row["variant_uuid"],
        "--qty",
        str(target),
        "--format",
        "json",
    )
    assert result.code == 0, result.err
    [entry] = json.loads(result.out)
    assert (entry["reason"], entry["change"]) == ("SET_COUNT", 7)
    assert _balances(run_cli)[row["variant_uuid"]]["balance"] == target
    before = len(SandboxAdmin(shop).ledger())
    same = run_cli(
        "move", "--reason", "set", "--variant-uuid", row["variant_uuid"], "--qty", str(target)
    )
    assert same.code == 0 and "nothing to record" in same.err
    assert len(SandboxAdmin(shop).ledger()) == before
    zero = run_cli("move", "--reason", "set", "--variant-uuid", row["variant_uuid"], "--qty", "0")
    assert zero.code == 0, zero.err
    assert _balances(run_cli)[row["variant_uuid"]]["balance"] == 0


def test_move_errors_and_exit_codes(shop, run_cli):
    row = _pick(run_cli)
    before = len(SandboxAdmin(shop).ledger())
    unknown = run_cli("move", "--reason", "sale", "--sku", "NO-SUCH-SKU", "--qty", "1")
    assert unknown.code == 1 and "no tracked variant has sku 'NO-SUCH-SKU'" in unknown.err
    assert run_cli("move", "--reason", "sale", "--sku", row["sku"]).code == 2  # no --qty
    assert run_cli("move", "--reason", "steal", "--sku", row["sku"], "--qty", "1").code == 2
    assert (
        run_cli("move", "--reason", "sale", "--sku", "A", "--barcode", "B", "--qty", "1").code == 2
    )
    assert run_cli("move", "--reason", "sale", "--sku", row["sku"], "--qty", "-1").code == 2
    zero = run_cli("move", "--reason", "sale", "--sku", row["sku"], "--qty", "0")
    assert zero.code == 2 and "from 1 to 1,000,000 (0 only with --reason set)" in zero.err
    assert len(SandboxAdmin(shop).ledger()) == before


def test_move_with_a_read_only_key_exits_3_and_records_nothing(shop, run_cli, monkeypatch):
    row = _pick(run_cli)
    monkeypatch.setenv("ZINV_API_KEY", SandboxAdmin(shop).new_key(["READ:PRODUCT"]))
    result = run_cli("move", "--reason", "restock", "--sku", row["sku"], "--qty", "1")
    assert result.code == 3 and "WRITE:PRODUCT" in result.err
    assert json.loads(run_cli("history", "--format", "json").out) == []


def test_an_unacknowledged_move_stays_pending_and_is_sent_exactly_once_later(shop, run_cli):
    row = _pick(run_cli)
    before = len(SandboxAdmin(shop).ledger())
    SandboxAdmin(shop).faults(latency_ms=150)
    slow = run_cli(
        "move",
        "--reason",
        "restock",
        "--sku",
        row["sku"],
        "--qty",
        "3",
        "--wait",
        "0.01",
        "--format",
        "json",
    )
    assert slow.code == 1, slow.err
    assert json.loads(slow.out)[0]["status"] == "PENDING"
    assert "still pending" in slow.err and "outbox --retry" in slow.err
    SandboxAdmin(shop).faults(latency_ms=0)

    waiting = run_cli("outbox", "--format", "json")
    assert waiting.code == 0
    [pending] = json.loads(waiting.out)
    assert pending["status"] == "PENDING" and pending["change"] == 3

    sent = run_cli("outbox", "--retry")
    assert sent.code == 0, sent.err
    assert "The outbox is empty" in sent.out
    moves = [
        m for m in SandboxAdmin(shop).ledger()[before:] if m["variantUuid"] == row["variant_uuid"]
    ]
    assert len(moves) == 1 and moves[0]["change"] == 3
    assert _balances(run_cli)[row["variant_uuid"]]["balance"] == row["balance"] + 3


def test_no_wait_records_and_outbox_retry_sends(any_shop, run_cli):
    shop = any_shop
    row = _pick(run_cli, minimum=3)
    for _ in range(3):
        result = run_cli("move", "--reason", "sale", "--sku", row["sku"], "--qty", "1", "--no-wait")
        assert result.code == 0, result.err
    assert run_cli("outbox", "--retry").code == 0
    assert run_cli("outbox", "--format", "json").out.strip() == "[]"
    assert _balances(run_cli)[row["variant_uuid"]]["balance"] == row["balance"] - 3
    sales = [
        m
        for m in SandboxAdmin(shop).ledger()
        if m["variantUuid"] == row["variant_uuid"] and m["source"] == "api"
    ]
    assert sum(m["change"] for m in sales) == 3


def test_outbox_dismiss_of_an_unknown_entry_fails(shop, run_cli):
    result = run_cli("outbox", "--dismiss", "999")
    assert result.code == 1 and "#999" in result.err


def _write_counts(path, header: str, lines: list[str]) -> None:
    path.write_text(header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")


def test_import_counts_dry_run_then_real(shop, run_cli, zinv_dirs):
    rows = [r for r in _balances(run_cli).values() if r["sku"] and r["barcode"]][:3]
    counts = zinv_dirs.root / "counts.csv"
    _write_counts(
        counts,
        "SKU,Counted",
        [
            f"{rows[0]['sku']},{rows[0]['balance'] + 4}",
            f"{rows[1]['sku']},{rows[1]['balance']}",
            f"{rows[2]['sku']},0",
        ],
    )
    before = len(SandboxAdmin(shop).ledger())
    dry = run_cli("import-counts", str(counts), "--dry-run", "--format", "json")
    assert dry.code == 0, dry.err
    plan = json.loads(dry.out)
    assert [line["change"] for line in plan] == [4, 0, -rows[2]["balance"]]
    assert len(SandboxAdmin(shop).ledger()) == before, "a dry run changes nothing"

    real = run_cli("import-counts", str(counts), "--format", "json")
    assert real.code == 0, real.err
    entries = json.loads(real.out)
    assert all(
        entry["reason"] == "SET_COUNT" and entry["status"] == "ACKNOWLEDGED" for entry in entries
    )
    after = _balances(run_cli)
    assert after[rows[0]["variant_uuid"]]["balance"] == rows[0]["balance"] + 4
    assert after[rows[1]["variant_uuid"]]["balance"] == rows[1]["balance"]
    assert after[rows[2]["variant_uuid"]]["balance"] == 0
    assert len(SandboxAdmin(shop).ledger()) == before + sum(1 for e in entries if e["change"])


def test_import_counts_by_barcode_with_semicolons(shop, run_cli, zinv_dirs):
    row = _pick(run_cli)
    counts = zinv_dirs.root / "counts.csv"
    _write_counts(counts, "barcode;counted", [f"{row['barcode']};{row['balance'] + 1}"])
    result = run_cli("import-counts", str(counts))
    assert result.code == 0, result.err
    assert "1 correction recorded, 0 lines already matched." in result.err  # not "(s)"
    assert _balances(run_cli)[row["variant_uuid"]]["balance"] == row["balance"] + 1


def test_import_counts_reports_every_bad_line_and_records_nothing(shop, run_cli, zinv_dirs):
    row = _pick(run_cli)
    counts = zinv_dirs.root / "counts.csv"
    _write_counts(
        counts,
        "sku,counted",
        [f"{row['sku']},many", "NO-SUCH-SKU,3", f"{row['sku']},4", f"{row['sku']},5"],
    )
    before = len(SandboxAdmin(shop).ledger())
    result = run_cli("import-counts", str(counts), "--format", "json")
    assert result.code == 1
    problems = {line["line"]: line.get("problem") for line in json.loads(result.out)}
    assert "not a whole number" in problems[2]
    assert "no tracked variant" in problems[3]
    assert problems[4] is None
    assert "counted twice (also on line 4)" in problems[5]
    assert "nothing was recorded" in result.err
    assert len(SandboxAdmin(shop).ledger()) == before


def test_import_counts_bad_files_exit_2(shop, run_cli, zinv_dirs):
    counts = zinv_dirs.root / "counts.csv"
    _write_counts(counts, "name,qty", ["x,1"])
    result = run_cli("import-counts", str(counts))
    assert result.code == 2 and "sku, barcode or variant_uuid" in result.err
    assert run_cli("import-counts", str(zinv_dirs.root / "missing.csv")).code == 2


def test_export_balances_and_history(shop, run_cli, zinv_dirs):
    row = _pick(run_cli)
    assert run_cli("move", "--reason", "restock", "--sku", row["sku"], "--qty", "2").code == 0
    balances_file = zinv_dirs.root / "balances.csv"
    result = run_cli("export", "balances", str(balances_file))
    assert result.code == 0, result.err
    exported = {line["variant_uuid"]: line for line in csv.DictReader(balances_file.open())}
    assert int(exported[row["variant_uuid"]]["balance"]) == row["balance"] + 2

    history_file = zinv_dirs.root / "history.csv"
    assert run_cli("export", "history", str(history_file)).code == 0
    [line] = list(csv.DictReader(history_file.open()))
    assert (line["reason"], line["sku"], line["quantity"]) == ("RESTOCK", row["sku"], "2")
    assert run_cli("export", "balances", str(zinv_dirs.root)).code == 2


def test_history_filters(any_shop, run_cli):
    row = _pick(run_cli, minimum=1)
    run_cli("move", "--reason", "restock", "--sku", row["sku"], "--qty", "2", "--note", "crate")
    run_cli("move", "--reason", "sale", "--sku", row["sku"], "--qty", "1")
    everything = json.loads(run_cli("history", "--format", "json").out)
    assert [entry["reason"] for entry in everything] == ["SALE", "RESTOCK"]
    sales = json.loads(run_cli("history", "--reason", "sale", "--format", "json").out)
    assert [entry["reason"] for entry in sales] == ["SALE"]
    crate = json.loads(run_cli("history", "--filter", "crate", "--format", "json").out)
    assert [entry["note"] for entry in crate] == ["crate"]
    assert len(json.loads(run_cli("history", "--limit", "1", "--format", "json").out)) == 1


def test_history_and_outbox_work_offline_without_a_key(run_cli):
    result = run_cli("history")
    assert result.code == 0 and "No movements recorded" in result.out
    assert run_cli("outbox").code == 0
