"""The reason names every command accepts (``move --reason``, ``history --reason``).

Short and long spellings both work, in any case, with ``-`` or ``_``: ``return`` /
``return-to-supplier`` / ``RETURN_TO_SUPPLIER`` (as ``history`` prints it), ``set`` / ``set-count``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable

from zinv_tui.service import PlaceKind, Reason

REASON_NAMES: dict[str, Reason] = {
    "restock": Reason.RESTOCK,
    "sale": Reason.SALE,
    "discard": Reason.DISCARD,
    "return": Reason.RETURN_TO_SUPPLIER,
    "return-to-supplier": Reason.RETURN_TO_SUPPLIER,
    "set": Reason.SET_COUNT,
    "set-count": Reason.SET_COUNT,
    "move": Reason.MOVE,
    "transfer": Reason.TRANSFER,
    "undo": Reason.UNDO,
}
RECORDABLE = tuple(reason for reason in Reason if reason not in (Reason.UNDO, Reason.TRANSFER))
"""What ``move`` records (an undo is made from the history, a transfer between stores on the
movement screen, in the app)."""
LOCATION_NAMES = {kind.value.lower(): kind for kind in PlaceKind}


def _normal(text: str) -> str:
    return text.strip().lower().replace("_", "-")


def names_of(reasons: Iterable[Reason]) -> list[str]:
    """Every accepted spelling of ``reasons``, short ones first."""
    wanted = set(reasons)
    return [name for name, reason in REASON_NAMES.items() if reason in wanted]


def reason_type(allowed: Iterable[Reason]) -> Callable[[str], Reason]:
    """An argparse ``type=`` reading a reason name among ``allowed``."""
    accepted = {name: REASON_NAMES[name] for name in names_of(allowed)}

    def parse(text: str) -> Reason:
        reason = accepted.get(_normal(text))
        if reason is None:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a reason; choose from {', '.join(accepted)}"
            )
        return reason

    return parse


def location_type(text: str) -> PlaceKind:
    """An argparse ``type=``: a location type (``store``, ``supplier``, ``bin``, ``sold``)."""
    kind = LOCATION_NAMES.get(text.strip().lower())
    if kind is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a location; choose from {', '.join(LOCATION_NAMES)}"
        )
    return kind
