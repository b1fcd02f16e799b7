"""Stock maths: what the user means (an intent with a reason) turned into Zettle movements.

Zettle only moves positive amounts between places (STORE and the SUPPLIER, BIN and SOLD places)
and has no reason field, so the reason picks the direction (by place kind; the service resolves
a kind to the place, the shown STORE for STORE):

=====================  ==========================  ======================================
reason                 movement                    STORE balance
=====================  ==========================  ======================================
RESTOCK                SUPPLIER -> STORE           + quantity
SALE                   STORE -> SOLD               - quantity
DISCARD                STORE -> BIN                - quantity
RETURN_TO_SUPPLIER     STORE -> SUPPLIER           - quantity
SET_COUNT              up: SUPPLIER -> STORE,      counted - balance (no movement when equal)
                       down: STORE -> BIN
MOVE                   explicit from -> to         depends on whether STORE is involved
TRANSFER               STORE -> another STORE (v3)  - quantity (+ quantity at the other)
UNDO                   the original, reversed      the original's effect, negated
=====================  ==========================  ======================================

``SET_COUNT`` may carry ``counted_against``, the balance shown when the item was counted: the
correction is then ``count - counted_against`` applied to today's balance, so sales rung up between
counting and committing are not wiped out. Several intents for the same variant in one call are
applied in order (the second sees the first's result).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from zinv_tui.service.backend import PlaceKind
from zinv_tui.service.quantities import MAX_QUANTITY, parse_quantity, quantity_problem
from zinv_tui.service.rows import RowKey, StockRow
from zinv_tui.values.open_enums import carried

__all__ = ["MAX_QUANTITY", "parse_quantity"]  # re-exported: the quantity rule lives in quantities

MAX_NOTE_LENGTH = 500


class Reason(StrEnum):
    """Why stock moves. Kept locally with each movement: Zettle has no reason field."""

    RESTOCK = "RESTOCK"
    SALE = "SALE"
    DISCARD = "DISCARD"
    RETURN_TO_SUPPLIER = "RETURN_TO_SUPPLIER"
    SET_COUNT = "SET_COUNT"
    MOVE = "MOVE"
    TRANSFER = "TRANSFER"
    UNDO = "UNDO"

    @property
    def title(self) -> str:  # type: ignore[override]  # a reason's words, not str.title()
        """Words for the screen: ``"Return to supplier"``."""
        return self.value.replace("_", " ").capitalize()


BELOW_ZERO_BY_DESIGN = frozenset({PlaceKind.SUPPLIER})
"""Places whose balance is below zero in the normal course: every restock comes out of SUPPLIER,
so its balance is minus all stock ever received (a restock never warns; nor does a move from it)."""

FIXED_DIRECTIONS: dict[Reason, tuple[PlaceKind, PlaceKind]] = {
    Reason.RESTOCK: (PlaceKind.SUPPLIER, PlaceKind.STORE),
    Reason.SALE: (PlaceKind.STORE, PlaceKind.SOLD),
    Reason.DISCARD: (PlaceKind.STORE, PlaceKind.BIN),
    Reason.RETURN_TO_SUPPLIER: (PlaceKind.STORE, PlaceKind.SUPPLIER),
}


@dataclass(frozen=True, slots=True)
class MovementIntent:
    """What the user asked for, before any maths.

    - RESTOCK / SALE / DISCARD / RETURN_TO_SUPPLIER: ``quantity`` units.
    - SET_COUNT: ``count`` is the counted balance; optional ``counted_against`` (balance when
      counted); optional ``from_type`` for increases (default SUPPLIER) and ``to_type`` for
      decreases (default BIN).
    - MOVE: ``quantity`` units from ``from_type`` to ``to_type``.
    - TRANSFER: ``quantity`` units from the shown STORE place to the STORE place ``to_store``.

    ``store``: the STORE place (UUID) the intent was made against, e.g. when a count was started
    (None: whichever is shown); the service refuses it while another store is shown.
    """

    reason: Reason
    key: RowKey
    quantity: int | None = None
    count: int | None = None
    counted_against: int | None = None
    from_type: PlaceKind | None = None
    to_type: PlaceKind | None = None
    note: str = ""
    to_store: str | None = None
    store: str | None = None


@dataclass(frozen=True, slots=True)
class PlannedMovement:
    """One intent worked out against the current view: balance now -> after, or what is wrong.

    ``quantity`` is 0 (and ``moves`` False) when a count already matches the balance.
    """

    intent: MovementIntent
    row: StockRow | None
    balance_before: int
    balance_after: int
    quantity: int
    from_type: PlaceKind | None
    to_type: PlaceKind | None
    error: str | None = None
    warning: str | None = None
    source_before: int | None = None
    """The balance at ``from_type`` before, when it is not STORE and its balances were given."""
    source_after: int | None = None
    target_before: int | None = None
    """A transfer's balance at the store it goes to, before (when its balances were given)."""
    target_after: int | None = None

    @property
    def key(self) -> RowKey:
        return self.intent.key

    @property
    def reason(self) -> Reason:
        return self.intent.reason

    @property
    def moves(self) -> bool:
        """True when this line becomes a movement (valid, and not a count that already matches)."""
        return self.error is None and self.quantity > 0

    @property
    def store_change(self) -> int:
        """The signed effect on the STORE balance."""
        return self.balance_after - self.balance_before


class MovementRejected(ValueError):
    """Intents that cannot be recorded; ``problems`` has one sentence per bad line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems) or "nothing to record")


class PlaceMove(Protocol):
    """What :func:`place_changes` reads of a journal entry."""

    @property
    def key(self) -> RowKey: ...
    @property
    def from_location_uuid(self) -> str: ...
    @property
    def to_location_uuid(self) -> str: ...
    @property
    def quantity(self) -> int: ...


def place_changes(place_uuid: str, moves: Iterable[PlaceMove]) -> dict[RowKey, int]:
    """The change of each variant's balance at the place ``place_uuid`` made by ``moves``."""
    changes: dict[RowKey, int] = {}
    for move in moves:
        if move.from_location_uuid == place_uuid:
            changes[move.key] = changes.get(move.key, 0) - move.quantity
        if move.to_location_uuid == place_uuid:
            changes[move.key] = changes.get(move.key, 0) + move.quantity
    return changes


def store_change(from_type: PlaceKind, to_type: PlaceKind, quantity: int) -> int:
    """The effect of a movement on the STORE balance."""
    if to_type is PlaceKind.STORE and from_type is not PlaceKind.STORE:
        return quantity
    if from_type is PlaceKind.STORE and to_type is not PlaceKind.STORE:
        return -quantity
    return 0


def plan_movements(
    intents: Sequence[MovementIntent],
    rows: Mapping[RowKey, StockRow],
    held: Mapping[PlaceKind, Mapping[RowKey, int]] | None = None,
    destination: Mapping[RowKey, int] | None = None,
) -> list[PlannedMovement]:
    """Work out every intent against ``rows`` (balances shown, pending included), in order.

    ``held``: balances at other places (BIN, SOLD...); a movement out of one of them then shows
    that place's now -> after and warns when it leaves the place below zero, as for the shop.
    ``destination``: balances at the store transfers go to (its now -> after is shown).
    """
    running: dict[RowKey, int] = {}
    running_held: dict[tuple[PlaceKind, RowKey], int] = {}
    running_target: dict[RowKey, int] = {}
    plans: list[PlannedMovement] = []
    for intent in intents:
        row = rows.get(intent.key)
        before = running.get(intent.key, row.shown_balance if row is not None else 0)
        plan = _plan_one(intent, row, before)
        if plan.error is None:
            running[intent.key] = plan.balance_after
            if held:
                plan = _with_source(plan, held, running_held)
            if destination is not None and plan.reason is Reason.TRANSFER:
                target = running_target.get(intent.key, destination.get(intent.key, 0))
                running_target[intent.key] = target + plan.quantity
                plan = replace(plan, target_before=target, target_after=target + plan.quantity)
        plans.append(plan)
    return plans


def _with_source(
    plan: PlannedMovement,
    held: Mapping[PlaceKind, Mapping[RowKey, int]],
    running: dict[tuple[PlaceKind, RowKey], int],
) -> PlannedMovement:
    """``plan`` with the balance of the place it takes from (not STORE); warns below zero."""
    source = plan.from_type
    if source is None or source is PlaceKind.STORE or source not in held:
        return plan
    slot = (source, plan.key)
    before = running.get(slot, held[source].get(plan.key, 0))
    after = before - plan.quantity
    running[slot] = after
    warning = plan.warning
    if after < 0 and after < before and source not in BELOW_ZERO_BY_DESIGN and plan.row:
        warning = f"{plan.row.label}: leaves {after} in {source.value} (below zero)"
    return replace(plan, source_before=before, source_after=after, warning=warning)


def _kind(value: PlaceKind | str | None) -> PlaceKind | None:
    """A kind as given (a name, or a member of another enum of the same names) as a
    :class:`PlaceKind`."""
    return None if value is None else carried(PlaceKind, str(value))


def _plan_one(intent: MovementIntent, row: StockRow | None, before: int) -> PlannedMovement:
    def refused(message: str) -> PlannedMovement:
        name = row.label if row is not None else intent.key[1]
        error = f"{name}: {message}"
        return PlannedMovement(intent, row, before, before, 0, None, None, error=error)

    if not isinstance(intent.reason, Reason):
        return refused(f"unknown reason {intent.reason!r}")
    if intent.reason is Reason.UNDO:
        return refused("undo a movement from the history instead")
    if row is None:
        return refused("not a tracked variant - start tracking its product first")
    if len(intent.note) > MAX_NOTE_LENGTH:
        return refused(f"the note is longer than {MAX_NOTE_LENGTH} characters")
    try:
        intent = replace(intent, from_type=_kind(intent.from_type), to_type=_kind(intent.to_type))
    except ValueError:
        return refused("unknown location")

    if intent.reason is Reason.SET_COUNT:
        problem = quantity_problem(intent.count, "counted balance", minimum=0)
        if problem is None and intent.counted_against is not None:
            problem = quantity_problem(
                intent.counted_against, "balance at counting time", minimum=-MAX_QUANTITY
            )
        if problem:
            return refused(problem)
        assert intent.count is not None
        reference = before if intent.counted_against is None else intent.counted_against
        delta = intent.count - reference
        if delta > 0:
            from_type, to_type = intent.from_type or PlaceKind.SUPPLIER, PlaceKind.STORE
        else:
            from_type, to_type = PlaceKind.STORE, intent.to_type or PlaceKind.BIN
        if from_type is to_type:
            return refused("a count cannot move stock from STORE to STORE")
        quantity = abs(delta)
    else:
        problem = quantity_problem(intent.quantity)
        if problem:
            return refused(problem)
        assert intent.quantity is not None
        quantity = intent.quantity
        if intent.reason is Reason.TRANSFER:
            if not intent.to_store:
                return refused("a transfer needs the store it goes to")
            from_type, to_type = PlaceKind.STORE, PlaceKind.STORE
        elif intent.reason is Reason.MOVE:
            if intent.from_type is None or intent.to_type is None:
                return refused("a move needs both a from and a to location")
            if intent.from_type is intent.to_type:
                return refused("a move needs two different locations")
            from_type, to_type = intent.from_type, intent.to_type
        else:
            from_type, to_type = FIXED_DIRECTIONS[intent.reason]

    if intent.reason is Reason.TRANSFER:
        after = before - quantity  # out of the shown store (its other side is another store)
    else:
        after = before + store_change(from_type, to_type, quantity)
    warning = None
    if after < 0 and after < before:
        warning = f"{row.label}: leaves {after} in stock (below zero)"
    return PlannedMovement(
        intent, row, before, after, quantity, from_type, to_type, warning=warning
    )
