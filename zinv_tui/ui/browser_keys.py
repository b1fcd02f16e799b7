"""Keys in a web browser (``zinv-tui serve``): the ones a browser keeps, and what to press instead.

A browser never lets a page have ``ctrl+n``, ``ctrl+t`` or ``ctrl+w`` (new window, new tab, close
tab). Other ``ctrl`` letters reach the app only while its terminal has the keyboard focus; with the
focus anywhere else on the page they reload it (``ctrl+r``), save it (``ctrl+s``), search it
(``ctrl+f``) and so on. So every action bound to one of those keys has a second key, a function key
no browser uses (F2, F4, F8, F9), and where the app runs in a browser :data:`BROWSER_KEYMAP` puts
that key first: the footer and the help show it, and the ``ctrl`` key still works while the
terminal has the focus (never for the three the browser keeps). In a terminal nothing changes.

The touch buttons of the count and movement screens do the same without a keyboard.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import App
from textual.binding import Binding, BindingType

BROWSER_TAKEN = frozenset({"ctrl+n", "ctrl+t", "ctrl+w"})
"""Keys the browser keeps for itself: a page never receives them."""
FOCUS_ONLY = frozenset(
    {
        "ctrl+d",
        "ctrl+e",
        "ctrl+f",
        "ctrl+g",
        "ctrl+h",
        "ctrl+j",
        "ctrl+k",
        "ctrl+l",
        "ctrl+o",
        "ctrl+p",
        "ctrl+r",
        "ctrl+s",
        "ctrl+u",
    }
)
"""Keys that reach the app only while its terminal has the focus (else the browser acts on them)."""

BROWSER_KEYMAP: dict[str, str] = {
    "movement.confirm": "f2,ctrl+s",
    "movement.find": "f4,ctrl+f",
    "movement.remove_line": "f8,ctrl+r",
    "movement.note": "f9",
    "count.review": "f2,ctrl+r",
    "count.find": "f4,ctrl+f",
    "count_review.commit": "f2,ctrl+s",
    "new_count.start": "f2,ctrl+s",
    "low_stock.save": "f2,ctrl+s",
    "first_run.verify": "f2,ctrl+s",
    "first_run.demo": "f9",
    "first_run.copy_link": "f8,ctrl+l",
}
"""Binding id -> its keys in a browser, the one shown first (``App.set_keymap``)."""


def shown_key(app: App[Any], binding_id: str, key: str, *, browser: bool) -> str:
    """How the key of ``binding_id`` (``key`` in a terminal) is written where ``app`` runs, for a
    button's label: ``^s`` in a terminal, ``f2`` in a ``browser``."""
    if browser and binding_id in BROWSER_KEYMAP:
        key = BROWSER_KEYMAP[binding_id].split(",")[0]
    return app.get_key_display(Binding(key, ""))


def browser_safe(key: str) -> bool:
    """Whether ``key`` reaches the app in a browser wherever the focus is on the page."""
    return key not in BROWSER_TAKEN and key not in FOCUS_ONLY


def keys_in_browser(binding: Binding) -> list[str]:
    """The keys of ``binding`` where the app runs in a browser, the one shown first."""
    keys = BROWSER_KEYMAP.get(binding.id or "", binding.key)
    return [key.strip() for key in keys.split(",") if key.strip()]


def bindings_of(entries: Iterable[BindingType]) -> list[Binding]:
    """``BINDINGS`` entries as :class:`Binding` objects."""
    return [entry if isinstance(entry, Binding) else Binding(*entry) for entry in entries]
