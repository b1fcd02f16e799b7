"""How numbers and counted things are written, once for the app and the CLI.

``plural(1, "variant")`` is ``1 variant``, ``plural(46216, "variant")`` is ``46,216 variants``:
one noun form rule and one number format (thousands separators) for every message.
"""

from __future__ import annotations

from zinv_tui.service.backend import Place


def number(count: int) -> str:
    """``46,216``: a whole number with thousands separators."""
    return f"{count:,}"


def noun(count: int, word: str, many: str | None = None) -> str:
    """``word`` for 1 (and -1), else its plural (``many``, or ``word`` + ``s``)."""
    if abs(count) == 1:
        return word
    return many if many is not None else f"{word}s"


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 variant``, ``2 variants``, ``1,234 variants`` (``many``: an irregular plural, as
    ``plural(2, "delivery", "deliveries")``)."""
    return f"{number(count)} {noun(count, word, many)}"


_UNNAMED = frozenset({"", "store", "system generated location"})
"""Names Zettle gives a place it made itself (they say nothing about which store it is)."""


def store_label(place: Place) -> str:
    """A STORE place's name for the screen: its own, ``Main store`` for the default one that
    Zettle named itself, else ``Store`` and the start of its UUID."""
    name = " ".join(place.name.split())
    if name.casefold() not in _UNNAMED:
        return name
    return "Main store" if place.default else f"Store {place.uuid[:8]}"
