"""Text from data (product names, SKUs, user names, server messages) made safe for a terminal.

A name holding ``ESC [ 2 J`` or BEL would otherwise clear the screen, ring the bell or retitle the
window when printed. :func:`printable` is the one rule: every control character (C0, DEL, C1)
becomes a visible escape such as ``\\x1b``; the rest of the text is untouched.
"""

from __future__ import annotations

import re

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""C0 controls, DEL and C1 controls (``\\x9b`` is a one-byte CSI on some terminals)."""
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or f"\\x{ord(char):02x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with its control characters shown as escapes (``keep_newlines``: line breaks of a
    multi-line message stay line breaks)."""
    if not CONTROL_CHARACTERS.search(text):
        return text
    if keep_newlines:
        return "\n".join(CONTROL_CHARACTERS.sub(_escape, line) for line in text.split("\n"))
    return CONTROL_CHARACTERS.sub(_escape, text)
