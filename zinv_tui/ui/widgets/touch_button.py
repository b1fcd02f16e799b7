"""A button for a finger (the count and movement screens in a browser, ``zinv-tui serve``).

Every tap counts: Textual's ``Button`` ignores a click while its 0.2 s press effect shows, which
drops the second of two quick taps on ``+1``. It never takes the keyboard focus, so the scan field
keeps it for the scanner and Tab still goes where it went. App-wide CSS (``App.-touch Button``)
makes it three rows high.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Button


class TouchButton(Button, can_focus=False):
    """A compact button that does its action on every tap and leaves the focus where it was."""

    def __init__(self, label: str, *, action_name: str = "", **options: Any) -> None:
        options.setdefault("compact", True)
        super().__init__(label, name=action_name or None, **options)
        self.active_effect_duration = 0.0
