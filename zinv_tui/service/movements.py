"""Stock maths: what the user means (an intent with a reason) turned into Zettle movements.

Zettle only moves positive amounts between four locations and has no reason field, so the reason
picks the direction:

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

from zinv_tui.api.models import LocationType, parse_whole_number
from zinv_tui.service.rows import RowKey, StockRow

MAX_QUANTITY = 1_000_000
"""Above this a quantity is refused as a likely typo (a fat-finger "160000" for "16")."""

MAX_NOTE_LENGTH = 500


class Reason(StrEnum):
    """Why stock moves. Kept locally with each movement: Zettle has no reason field."""

    RESTOCK = "RESTOCK"
    SALE = "SALE"
    DISCARD = "DISCARD"
    RETURN_TO_SUPPLIER = "RETURN_TO_SUPPLIER"
    SET_COUNT = "SET_COUNT"
    MOVE = "MOVE"
    UNDO = "UNDO"

    @property
    def title(self) -> str:
        """Words for the screen: ``"Return to supplier"``."""
        return self.value.replace("_", " ").capitalize()


BELOW_ZERO_BY_DESIGN = frozenset({LocationType.SUPPLIER})
"""Places whose balance is below zero in the normal course: every restock comes out of SUPPLIER,
so its balance is minus all stock ever received (a restock never warns; nor does a move from it)."""

FIXED_DIRECTIONS: dict[Reason, tuple[LocationType, LocationType]] = {
    Reason.RESTOCK: (LocationType.SUPPLIER, LocationType.STORE),
    Reason.SALE: (LocationType.STORE, LocationType.SOLD),
    Reason.DISCARD: (LocationType.STORE, LocationType.BIN),
    Reason.RETURN_TO_SUPPLIER: (LocationType.STORE, LocationType.SUPPLIER),
}


@dataclass(frozen=True, slots=True)
class MovementIntent:
    """What the user asked for, before any maths.

    - RESTOCK / SALE / DISCARD / RETURN_TO_SUPPLIER: ``quantity`` units.
    - SET_COUNT: ``count`` is the counted balance; optional ``counted_against`` (balance when
      counted); optional ``from_type`` for increases (default SUPPLIER) and ``to_type`` for
      decreases (default BIN).
    - MOVE: ``quantity`` units from ``from_type`` to ``to_type``.
    """

    reason: Reason
    key: RowKey
    quantity: int | None = None
    count: int | None = None
    counted_against: int | None = None
    from_type: LocationType | None = None
    to_type: LocationType | None = None
    note: str = ""


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
    from_type: LocationType | None
    to_type: LocationType | None
    error: str | None = None
    warning: str | None = None
    source_before: int | None = None
    """The balance at ``from_type`` before, when it is not STORE and its balances were given."""
    source_after: int | None = None

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


def parse_quantity(text: str | int) -> int:
    """Read a quantity typed by a person; ``ValueError`` says in a sentence what is wrong."""
    try:
        value = parse_whole_number(text)
    except ValueError:
        raise ValueError(f"{str(text).strip()!r} is not a whole number") from None
    if value <= 0:
        raise ValueError("The quantity must be a whole number above zero")
    if value > MAX_QUANTITY:
        raise ValueError(f"{value:,} is more than {MAX_QUANTITY:,} - is that a typo?")
    return value


class PlaceMove(Protocol):
    """What :func:`place_changes` reads of a journal entry."""

    @property
    def key(self) -> RowKey: ...
    @property
    def from_type(self) -> LocationType: ...
    @property
    def to_type(self) -> LocationType: ...
    @property
    def quantity(self) -> int: ...


def place_changes(place: LocationType, moves: Iterable[PlaceMove]) -> dict[RowKey, int]:
    """The change of each variant's balance at ``place`` made by ``moves``."""
    changes: dict[RowKey, int] = {}
    for move in moves:
        if move.from_type is place:
            changes[move.key] = changes.get(move.key, 0) - move.quantity
        if move.to_type is place:
            changes[move.key] = changes.get(move.key, 0) + move.quantity
    return changes


def store_change(from_type: LocationType, to_type: LocationType, quantity: int) -> int:
    """The effect of a movement on the STORE balance."""
    if to_type is LocationType.STORE and from_type is not LocationType.STORE:
        return quantity
    if from_type is LocationType.STORE and to_type is not LocationType.STORE:
        return -quantity
    return 0


def _quantity_problem(value: object, what: str = "quantity", minimum: int = 1) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"The {what} must be a whole number"
    if value < minimum:
        return f"The {what} must be {'zero or more' if minimum == 0 else 'above zero'}"
    if value > MAX_QUANTITY:
        return f"The {what} {value:,} is more than {MAX_QUANTITY:,} - is that a typo?"
    return None


def plan_movements(
    intents: Sequence[MovementIntent],
    rows: Mapping[RowKey, StockRow],
    held: Mapping[LocationType, Mapping[RowKey, int]] | None = None,
) -> list[PlannedMovement]:
    """Work out every intent against ``rows`` (balances shown, pending included), in order.

    ``held``: balances at other places (BIN, SOLD...); a movement out of one of them then shows
    that place's now -> after and warns when it leaves the place below zero, as for the shop.
    """
    running: dict[RowKey, int] = {}
    running_held: dict[tuple[LocationType, RowKey], int] = {}
    plans: list[PlannedMovement] = []
    for intent in intents:
        row = rows.get(intent.key)
        before = running.get(intent.key, row.shown_balance if row is not None else 0)
        plan = _plan_one(intent, row, before)
        if plan.error is None:
            running[intent.key] = plan.balance_after
            if held:
                plan = _with_source(plan, held, running_held)
        plans.append(plan)
    return plans


def _with_source(
    plan: PlannedMovement,
    held: Mapping[LocationType, Mapping[RowKey, int]],
    running: dict[tuple[LocationType, RowKey], int],
) -> PlannedMovement:
    """``plan`` with the balance of the place it takes from (not STORE); warns below zero."""
    source = plan.from_type
    if source is None or source is LocationType.STORE or source not in held:
        return plan
    slot = (source, plan.key)
    before = running.get(slot, held[source].get(plan.key, 0))
    after = before - plan.quantity
    running[slot] = after
    warning = plan.warning
    if after < 0 and after < before and source not in BELOW_ZERO_BY_DESIGN and plan.row:
        warning = f"{plan.row.label}: leaves {after} in {source.value} (below zero)"
    return replace(plan, source_before=before, source_after=after, warning=warning)


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

    if intent.reason is Reason.SET_COUNT:
        problem = _quantity_problem(intent.count, "counted balance", minimum=0)
        if problem is None and intent.counted_against is not None:
            problem = _quantity_problem(
                intent.counted_against, "balance at counting time", minimum=-MAX_QUANTITY
            )
        if problem:
            return refused(problem)
        assert intent.count is not None
        reference = before if intent.counted_against is None else intent.counted_against
        delta = intent.count - reference
        if delta > 0:
            from_type, to_type = intent.from_type or LocationType.SUPPLIER, LocationType.STORE
        else:
            from_type, to_type = LocationType.STORE, intent.to_type or LocationType.BIN
        if from_type is to_type:
            return refused("a count cannot move stock from STORE to STORE")
        quantity = abs(delta)
    else:
        problem = _quantity_problem(intent.quantity)
        if problem:
            return refused(problem)
        assert intent.quantity is not None
        quantity = intent.quantity
        if intent.reason is Reason.MOVE:
            if intent.from_type is None or intent.to_type is None:
                return refused("a move needs both a from and a to location")
            if intent.from_type is intent.to_type:
                return refused("a move needs two different locations")
            from_type, to_type = intent.from_type, intent.to_type
        else:
            from_type, to_type = FIXED_DIRECTIONS[intent.reason]

    after = before + store_change(from_type, to_type, quantity)
    warning = None
    if after < 0 and after < before:
        warning = f"{row.label}: leaves {after} in stock (below zero)"
    return PlannedMovement(
        intent, row, before, after, quantity, from_type, to_type, warning=warning
    )
