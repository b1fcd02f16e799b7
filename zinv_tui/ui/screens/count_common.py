"""What the stock count screens share: numbers as shown, and a count's CSV report (a file, or a
download in a browser). The list of counts, the count itself and its review each import this,
never each other (they open one another through the app's screen registry)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path

from rich.text import Text

from zinv_tui.service import CountError
from zinv_tui.service.wording import number, plural
from zinv_tui.ui.downloads import offer_csv
from zinv_tui.ui.screens.service_screen import ServiceScreen

COUNTS_CSS = Path(__file__).with_name("counts.tcss")
UNCOUNTED = "—"
"""Shown for a line not counted yet (never 0, which is a count)."""


def number_text(value: int | None) -> Text:
    """A right-aligned number, or "—" for uncounted (never 0)."""
    return Text(UNCOUNTED if value is None else number(value), justify="right")


def default_report_path(session_id: int, now: datetime) -> Path:
    """``~/zinv-count-<id>-YYYYMMDD-HHMM.csv``."""
    return Path.home() / f"zinv-count-{session_id}-{now:%Y%m%d-%H%M}.csv"


def download_report(screen: ServiceScreen[None], session_id: int) -> None:
    """A count's CSV report as a browser download (never a file on the server)."""
    name = default_report_path(session_id, datetime.now()).name
    offer_csv(screen, name, partial(screen.service.counts.export_csv, session_id))


def export_report(screen: ServiceScreen[None], session_id: int, path: Path) -> None:
    """Write a count's CSV report and say where (in the UI thread: the file is one SQLite read)."""
    try:
        lines = screen.service.counts.export_csv(session_id, path)
    except (OSError, CountError) as error:
        screen.notify(f"Export failed: {error}", severity="error", markup=False)
        return
    screen.notify(f"{plural(lines, 'line')} written to {path}", markup=False)
