"""Work that waits until a frame has reached the terminal.

Textual writes each frame to the terminal from a thread of its own. Work queued with
``call_after_refresh`` runs as soon as the frame is handed to that thread, and a long computation
there (a sort of 46,000 rows, a full garbage collection: each holds the interpreter's lock
throughout) can keep the frame from being written: the first rows were measured reaching the
terminal 0.3 s late, in one launch of three. :func:`after_paint` waits a moment longer.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.message_pump import MessagePump

FRAME_SENT_AFTER = 0.05
"""Seconds after a refresh by which the writer thread has sent the frame (it needs a few
milliseconds, the lock free)."""


def after_paint(node: MessagePump, callback: Callable[[], object]) -> None:
    """Run ``callback`` on ``node`` once the next frame is drawn and sent to the terminal."""
    node.call_after_refresh(node.set_timer, FRAME_SENT_AFTER, callback)
