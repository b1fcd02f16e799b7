"""Exports as browser downloads: where the app runs in a web browser (``zinv-tui serve``), a CSV is
written into memory and handed to the browser with ``App.deliver_text`` (it never lands on the
server). In a terminal the screens keep saving to a file chosen on this computer.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, TextIO

from textual.app import App
from textual.widget import Widget

from zinv_tui.service.wording import plural

CsvWriter = Callable[[TextIO], int]
"""Writes a CSV into a text stream; returns how many rows (the service's writers)."""


def offer_csv(
    node: Widget | App[Any], file_name: str, write: CsvWriter, noun: str = "line"
) -> bool:
    """Write a CSV with ``write`` and have the browser download it as ``file_name``; says so with
    a notification on ``node`` (a screen or the app). Returns whether the download started."""
    stream = io.StringIO()
    try:
        count = write(stream)
    except Exception as error:
        node.notify(f"Export failed: {error}", severity="error", markup=False)
        return False
    stream.seek(0)
    node.app.deliver_text(stream, save_filename=file_name, mime_type="text/csv", name=file_name)
    node.notify(f"{plural(count, noun)}: downloading {file_name}", markup=False)
    return True
