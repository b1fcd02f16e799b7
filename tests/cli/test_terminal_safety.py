"""Data never drives the terminal (issue 9 item 10): names, SKUs, user names and notes holding
escape sequences or BEL are shown escaped in tables and messages; CSV and JSON keep the data."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3

import pytest

from tests.service.test_journal import draft
from zinv_tui.commands.output import render_rows
from zinv_tui.sandbox.server import SandboxConfig, SandboxServer
from zinv_tui.service.journal import OutboxJournal
from zinv_tui.service.terminal_text import printable

pytestmark = pytest.mark.timeout(120)

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""What must never reach a terminal from data (line breaks and tabs of our own layout aside)."""
TITLE = "Mug\x1b]0;owned\x07"  # sets the window title, then BEL
CLEAR = "\x1b[2J\x1b[H"  # clears the screen
C1_CSI = "Tea\x9b31m"  # one-byte CSI (red) on 8-bit terminals
DEL = "Oat\x7fmilk"


def test_printable_escapes_every_control_character_and_nothing_else() -> None:
    assert printable(TITLE) == "Mug\\x1b]0;owned\\x07"
    assert printable(C1_CSI + DEL) == "Tea\\x9b31mOat\\x7fmilk"
    assert printable("two\nlines\tand\rtab") == "two\\nlines\\tand\\rtab"
    assert printable("two\nlines\x07", keep_newlines=True) == "two\nlines\\x07"
    assert printable("Café Crème ☕ 紅茶 — ok") == "Café Crème ☕ 紅茶 — ok"


def test_tables_escape_and_csv_and_json_keep_the_data() -> None:
    rows = [{"product": TITLE, "sku": CLEAR, "note": C1_CSI + DEL, "balance": 3}]
    columns = ["product", "sku", "note", "balance"]
    table = io.StringIO()
    render_rows(rows, columns, "table", table)
    assert not CONTROL.search(table.getvalue()), repr(table.getvalue())
    assert "Mug\\x1b]0;owned\\x07" in table.getvalue()

    as_json = io.StringIO()
    render_rows(rows, columns, "json", as_json)
    assert not CONTROL.search(as_json.getvalue()), repr(as_json.getvalue())
    assert json.loads(as_json.getvalue()) == rows

    as_csv = io.StringIO()
    render_rows(rows, columns, "csv", as_csv)
    parsed = list(csv.DictReader(io.StringIO(as_csv.getvalue())))
    assert parsed == [{"product": TITLE, "sku": CLEAR, "note": C1_CSI + DEL, "balance": "3"}]


def test_history_escapes_names_users_and_notes(zinv_dirs, run_cli):
    journal = OutboxJournal(zinv_dirs.state / "profiles" / "default" / "outbox.sqlite")
    journal.record(
        [draft("v1", product_name=TITLE, sku=CLEAR, note=C1_CSI + "\x07")], user="\x1b[5mana"
    )
    journal.close()

    table = run_cli("history")
    assert table.code == 0, table.err
    assert not CONTROL.search(table.out + table.err), repr(table.out)
    assert "Mug\\x1b]0;owned\\x07" in table.out and "\\x1b[5mana" in table.out

    (row,) = json.loads(run_cli("history", "--format", "json").out)
    assert (row["product"], row["sku"], row["user"]) == (TITLE, CLEAR, "\x1b[5mana")


def test_settings_from_the_config_file_are_shown_escaped(zinv_dirs, run_cli):
    zinv_dirs.write_config('user = "Ana\\u001b[2J\\u0007"\n')
    result = run_cli("config")
    assert result.code == 0, result.err
    assert not CONTROL.search(result.out) and "Ana\\x1b[2J\\x07" in result.out


def test_balances_and_move_escape_what_zettle_sends(tmp_path, use_sandbox, run_cli):
    config = SandboxConfig(products=3, db_path=tmp_path / "sandbox.sqlite")
    with SandboxServer(config):
        pass
    ledger = sqlite3.connect(tmp_path / "sandbox.sqlite")
    ledger.execute("UPDATE products SET name = ? || name", (TITLE,))
    ledger.execute("UPDATE variants SET name = ?, sku = ? || sku", (C1_CSI, CLEAR))
    ledger.commit()
    ledger.close()
    with SandboxServer(config) as info:
        use_sandbox(info)
        balances = run_cli("balances")
        as_json = run_cli("balances", "--format", "json")
        variant = json.loads(as_json.out)[0]["variant_uuid"]
        move = run_cli(
            "move", "--reason", "sale", "--variant-uuid", variant, "--qty", "999999", "--no-wait"
        )

    assert balances.code == 0, balances.err
    assert not CONTROL.search(balances.out), repr(balances.out)
    assert "Mug\\x1b]0;owned\\x07" in balances.out
    assert all(row["product"].startswith(TITLE) for row in json.loads(as_json.out))
    assert all(row["sku"].startswith(CLEAR) for row in json.loads(as_json.out))
    assert move.code == 0, move.err
    assert "below zero" in move.err  # the warning names the item...
    assert not CONTROL.search(move.out + move.err), repr(move.err)  # ...escaped
