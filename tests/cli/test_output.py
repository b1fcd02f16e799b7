"""``--format csv`` on stdout neutralises spreadsheet formulas like the CSV file exports do."""

from __future__ import annotations

import csv
import io

from zinv_tui.commands.output import render_rows


def test_csv_output_neutralises_formula_text_but_keeps_numbers() -> None:
    rows = [
        {"product": '=HYPERLINK("http://x")', "sku": "+SKU", "note": "@risk", "balance": -3},
        {"product": "Oat Latte", "sku": "COF-1", "note": None, "balance": 12},
    ]
    stream = io.StringIO()
    render_rows(rows, ["product", "sku", "note", "balance"], "csv", stream)
    parsed = list(csv.reader(io.StringIO(stream.getvalue())))
    assert parsed[0] == ["product", "sku", "note", "balance"]
    assert parsed[1] == ['\'=HYPERLINK("http://x")', "'+SKU", "'@risk", "-3"]
    assert parsed[2] == ["Oat Latte", "COF-1", "", "12"]


def test_table_and_json_show_text_as_is() -> None:
    rows = [{"product": "=SUM(A1)", "balance": 1}]
    table = io.StringIO()
    render_rows(rows, ["product", "balance"], "table", table)
    assert "=SUM(A1)" in table.getvalue() and "'=SUM" not in table.getvalue()
    as_json = io.StringIO()
    render_rows(rows, ["product", "balance"], "json", as_json)
    assert '"=SUM(A1)"' in as_json.getvalue()
