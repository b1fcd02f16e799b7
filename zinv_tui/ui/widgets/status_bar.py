"""StatusBar: one line with sync state, outbox, attention, the out / low badge, DEMO, and who is
working (in a browser session).

It reads everything from the app (a :class:`StatusSource`: ``sync_status``, ``stock_counts``,
``demo``, ``worker_name``, ``format_clock``) and repaints when those change, so every screen can
carry one. The app
mounts a StatusBar on every full screen that lacks one; screens need not yield it themselves.

Every state is spelled out in words with a symbol ("● live", "◌ waiting for Zettle…" while a
poll or a send has waited longer than usual for an answer, "◐ stale since 14:05", "○ offline";
"◐ from 14:05, updating…" while the rows are the local snapshot's, not yet confirmed by Zettle),
so it reads the same without colour. The badge counts with the service's one
rule of out and low (the Alerts screen and ``zinv-tui low-stock`` give the same numbers) and says
"loading stock" until the rows are known. When everything at once would not fit (DEMO, a snapshot
being confirmed, movements pending and needing attention: 90 cells), the same is said in shorter
words ("3 unsent", "⚠ 1 attention"), so the counts at the end stay on an 80-column line.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Protocol, cast

from rich.text import Text
from textual.widget import Widget

from zinv_tui.service import StockCounts, SyncState, SyncStatus
from zinv_tui.ui.marks import LOW_SYMBOL, OUT_SYMBOL


class StatusSource(Protocol):
    """What the bar reads of its app (``ZinvApp`` is one; its reactives are watched)."""

    @property
    def sync_status(self) -> SyncStatus | None: ...
    @property
    def stock_counts(self) -> StockCounts | None: ...
    @property
    def worker_name(self) -> str: ...
    @property
    def demo(self) -> bool: ...
    def format_clock(self, moment: datetime) -> str: ...


WATCHED = ("sync_status", "stock_counts", "worker_name")
"""The source's reactives the bar repaints on."""


def state_name(status: SyncStatus | None) -> str:
    """'live', 'waiting', 'stale', 'offline', or 'starting' before the first status arrives."""
    return (status.state if status is not None else SyncState.STARTING).value


class StatusBar(Widget):
    """The app's status line, docked at the top of its screen (the footer owns the bottom)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "status-bar--live",
        "status-bar--stale",
        "status-bar--offline",
        "status-bar--attention",
        "status-bar--out",
        "status-bar--low",
        "status-bar--demo",
    }

    DEFAULT_CSS = """
    StatusBar {
        dock: top;
        height: 1;
        width: 1fr;
        background: $panel;
        color: $foreground;
        & > .status-bar--live { color: $success; text-style: bold; }
        & > .status-bar--stale { color: $warning; text-style: bold; }
        & > .status-bar--offline { color: $error; text-style: bold; }
        & > .status-bar--attention { color: $error; text-style: bold; }
        & > .status-bar--out { color: $error; text-style: bold; }
        & > .status-bar--low { color: $warning; text-style: bold; }
        & > .status-bar--demo { background: $accent; color: $background; text-style: bold; }
    }
    """

    _shown = ""

    @property
    def source(self) -> StatusSource:
        """The app, as the bar reads it."""
        return cast(StatusSource, self.app)

    def on_mount(self) -> None:
        for attribute in WATCHED:
            self.watch(self.app, attribute, self._changed, init=False)

    def _changed(self, _value: object = None) -> None:
        line = self.render()
        if line.plain != self._shown:  # a poll that changed nothing costs no repaint
            self._shown = line.plain
            self.refresh()

    def render(self) -> Text:
        """The line in words; in shorter words when it would not fit (the counts at the end
        stay on screen at 80 columns whatever else is shown)."""
        line = self._line(compact=False)
        width = self.size.width
        if width and line.cell_len > width:
            line = self._line(compact=True)
        return line

    def _line(self, *, compact: bool) -> Text:
        app = self.source
        status = app.sync_status
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        if app.demo:
            line.append(" DEMO ", self.get_component_rich_style("status-bar--demo"))
            line.append(" ")
        state = state_name(status)
        since = ""
        if status is not None and status.last_success is not None and state != "live":
            since = f" since {app.format_clock(status.last_success)}"
        restored = status.snapshot_from if status is not None else None
        if restored is not None and state == "offline":
            line.append(
                f"○ offline, from {app.format_clock(restored)}",
                self.get_component_rich_style("status-bar--offline"),
            )
        elif restored is not None:
            line.append(
                f"◐ from {app.format_clock(restored)}" + ("…" if compact else ", updating…"),
                self.get_component_rich_style("status-bar--stale"),
            )
        elif state == "live":
            line.append("● live", self.get_component_rich_style("status-bar--live"))
        elif state == "waiting":
            line.append("◌ waiting for Zettle…", self.get_component_rich_style("status-bar--stale"))
        elif state == "stale":
            line.append(f"◐ stale{since}", self.get_component_rich_style("status-bar--stale"))
        elif state == "offline":
            line.append(f"○ offline{since}", self.get_component_rich_style("status-bar--offline"))
        else:
            line.append(f"… {state}")
        pending = status.pending_count if status is not None else 0
        if compact:
            line.append(f" │ {pending} unsent" if pending else " │ all sent")
        else:
            line.append(f" │ outbox {pending} pending" if pending else " │ outbox empty")
        attention = status.attention_count if status is not None else 0
        if attention:
            line.append(" │ ")
            line.append(
                f"⚠ {attention} " + ("attention" if compact else "need attention"),
                self.get_component_rich_style("status-bar--attention"),
            )
        line.append(" │ ")
        counts = app.stock_counts
        if counts is None:
            line.append("… loading stock")
        elif counts.out or counts.low:
            out_style = self.get_component_rich_style("status-bar--out")
            line.append(f"{OUT_SYMBOL} {counts.out} out", out_style)
            line.append(" ")
            low_style = self.get_component_rich_style("status-bar--low")
            line.append(f"{LOW_SYMBOL} {counts.low} low", low_style)
        else:
            line.append("nothing out or low")
        worker = app.worker_name
        if worker:
            line.append(f" │ {worker}", "bold")
        return line
