"""Print rows as an aligned table, CSV or JSON (``--format table|csv|json``), and messages.

Tables and messages never carry a control character to the terminal (:func:`printable`); CSV and
JSON keep the data as it is, escaped as their formats require (JSON escapes every control
character, DEL and C1 included).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from zinv_tui.service.csv_export import spreadsheet_text
from zinv_tui.service.terminal_text import printable

FORMATS = ("table", "csv", "json")
_NOT_ESCAPED_BY_JSON = re.compile(r"[\x7f-\x9f]")


def say(text: str, *, err: bool = False) -> None:
    """Print a message (to stderr with ``err``), its control characters made visible."""
    print(printable(text, keep_newlines=True), file=sys.stderr if err else sys.stdout)


def _json_text(payload: Any) -> str:
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    return _NOT_ESCAPED_BY_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _csv_cell(value: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula is neutralised (as in file exports)."""
    return spreadsheet_text(value) if isinstance(value, str) else _cell(value)


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return str(value)


def render_rows(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: str,
    stream: TextIO,
    *,
    empty_message: str | None = None,
) -> None:
    """Write ``rows`` (dicts keyed by ``columns``) to ``stream`` in ``fmt``."""
    if fmt == "json":
        payload = [{column: _json_value(row.get(column)) for column in columns} for row in rows]
        stream.write(_json_text(payload) + "\n")
        return
    if fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_cell(row.get(column)) for column in columns])
        return
    if not rows and empty_message:
        stream.write(printable(empty_message) + "\n")
        return
    cells = [[printable(_cell(row.get(column))) for column in columns] for row in rows]
    numeric = [
        all(
            isinstance(row.get(column), int | float) and not isinstance(row.get(column), bool)
            for row in rows
            if row.get(column) is not None
        )
        for column in columns
    ]
    headers = [column.upper().replace("_", " ") for column in columns]
    widths = [
        max([len(headers[i])] + [len(line[i]) for line in cells]) for i in range(len(columns))
    ]

    def line(values: Sequence[str], header: bool = False) -> str:
        parts = []
        for i, value in enumerate(values):
            right = numeric[i] and not header and rows
            parts.append(value.rjust(widths[i]) if right else value.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    stream.write(line(headers, header=True) + "\n")
    for values in cells:
        stream.write(line(values) + "\n")
