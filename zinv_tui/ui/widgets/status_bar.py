"""StatusBar: one line with sync state, outbox, attention, the out / low badge, DEMO, and who is
working (in a browser session).

It reads everything from the app (``app.sync_status``, ``app.stock_counts``, ``app.demo``,
``app.format_clock``) and repaints when those change, so every screen can carry one. The app
mounts a StatusBar on every full screen that lacks one; screens need not yield it themselves.

Every state is spelled out in words with a symbol ("● live", "◐ stale since 14:05",
"○ offline"), so it reads the same without colour. The badge counts with the service's one
rule of out and low (the Alerts screen and ``zinv-tui low-stock`` give the same numbers) and says
"loading stock" until the rows are known.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Protocol

from rich.text import Text
from textual.widget import Widget


class SyncStatusLike(Protocol):
    """The fields of the service's ``SyncStatus`` that the bar shows."""

    state: Any
    last_success: datetime | None
    last_error: Any
    pending_count: int
    attention_count: int


def state_name(status: SyncStatusLike | None) -> str:
    """'live', 'stale', 'offline', or 'starting' before the first status arrives."""
    if status is None:
        return "starting"
    state = status.state
    return str(getattr(state, "value", state)).lower()


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

    def on_mount(self) -> None:
        app = self.app
        for attribute in ("sync_status", "stock_counts", "worker_name"):
            if hasattr(app, attribute):
                self.watch(app, attribute, self._changed, init=False)

    def _changed(self, _value: object = None) -> None:
        line = self.render()
        if line.plain != self._shown:  # a poll that changed nothing costs no repaint
            self._shown = line.plain
            self.refresh()

    def render(self) -> Text:
        app: Any = self.app
        status: SyncStatusLike | None = getattr(app, "sync_status", None)
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        if getattr(app, "demo", False):
            line.append(" DEMO ", self.get_component_rich_style("status-bar--demo"))
            line.append(" ")
        state = state_name(status)
        clock = getattr(app, "format_clock", None) or (lambda moment: moment.strftime("%H:%M"))
        since = ""
        if status is not None and status.last_success is not None and state != "live":
            since = f" since {clock(status.last_success)}"
        if state == "live":
            line.append("● live", self.get_component_rich_style("status-bar--live"))
        elif state == "stale":
            line.append(f"◐ stale{since}", self.get_component_rich_style("status-bar--stale"))
        elif state == "offline":
            line.append(f"○ offline{since}", self.get_component_rich_style("status-bar--offline"))
        else:
            line.append(f"… {state}")
        pending = status.pending_count if status is not None else 0
        line.append(f" │ outbox {pending} pending" if pending else " │ outbox empty")
        attention = status.attention_count if status is not None else 0
        if attention:
            line.append(" │ ")
            line.append(
                f"⚠ {attention} need attention",
                self.get_component_rich_style("status-bar--attention"),
            )
        line.append(" │ ")
        counts = getattr(app, "stock_counts", None)
        if counts is None:
            line.append("… loading stock")
        elif counts.out or counts.low:
            line.append(f"✗ {counts.out} out", self.get_component_rich_style("status-bar--out"))
            line.append(" ")
            line.append(f"▼ {counts.low} low", self.get_component_rich_style("status-bar--low"))
        else:
            line.append("nothing out or low")
        worker = getattr(app, "worker_name", "")
        if worker:
            line.append(f" │ {worker}", "bold")
        return line
