"""Settling a movement whose outcome is unknown by reading the stock, never by trusting the server.

A PUT may reach Zettle and be applied while its answer is lost, cut short, a 5xx, or a 2xx that
proves nothing (an error body, no balances, a balance that can't be read). Sending it again could
apply it twice unless the server deduplicates by ``externalUuid``, and the app does not rely on
that. Instead, before every attempt the sender reads the balances the batch will change (the
*reference*, kept in the journal with the attempt), and when an attempt's outcome is unknown it
reads them again and compares:

- each (place, variant) the batch changes by ``e`` (``e != 0``) and that moved by ``d``:
  ``d == e`` votes *applied*, ``d == 0`` votes *not applied*, anything else moved for other
  reasons too (a POS sale, another device) and does not vote;
- applied votes and no not-applied vote: applied (acknowledged with the balances just read);
  not-applied votes and no applied vote: not applied (sent again, the read as its new reference);
  otherwise reading cannot tell: the movements are *unconfirmed* and shown to the user with what
  is known, never sent again silently.

Besides STORE, the quiet places a batch touches are read (SUPPLIER and BIN only move through
stock movements), so a restock or a discard is settled even while the shop keeps selling; a sale
(STORE to SOLD, where POS sales land too) is settled only when nothing else sold meanwhile.

Balances are kept by place UUID (the journal names each movement's places by UUID and kind), so
this works the same for any backend and any number of STORE places.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from zinv_tui.service.backend import Place, PlaceKind, StockBackend
from zinv_tui.service.journal import OutboxEntry
from zinv_tui.service.rows import RowKey

Balances = dict[str, dict[RowKey, int]]
"""Balances by place UUID, then by ``(product_uuid, variant_uuid)``."""

_QUIET = (PlaceKind.SUPPLIER, PlaceKind.BIN)


class Verdict(Enum):
    """What reading says about an attempt whose answer was lost."""

    APPLIED = "applied"
    NOT_APPLIED = "not applied"
    UNCLEAR = "unclear"


@dataclass(frozen=True, slots=True)
class Judgement:
    """A verdict and, for an unclear one, a sentence per entry saying what is known."""

    verdict: Verdict
    notes: dict[int, str]


def places_to_read(entries: Sequence[OutboxEntry]) -> list[Place]:
    """The places whose balances can tell whether ``entries`` were applied."""
    wanted: dict[str, Place] = {}
    for entry in entries:
        ends = (
            Place(entry.from_location_uuid, entry.from_type),
            Place(entry.to_location_uuid, entry.to_type),
        )
        if any(end.kind is PlaceKind.STORE for end in ends):
            for end in ends:
                if end.kind is PlaceKind.STORE or end.kind in _QUIET:
                    wanted[end.uuid] = end
        else:  # a move between two other places: only they can tell
            for end in ends:
                wanted[end.uuid] = end
    return sorted(wanted.values(), key=lambda place: (place.kind.value, place.uuid))


def expected_changes(entries: Sequence[OutboxEntry]) -> Balances:
    """What applying ``entries`` does to each place's balances."""
    changes: dict[str, dict[RowKey, int]] = defaultdict(lambda: defaultdict(int))
    for entry in entries:
        changes[entry.to_location_uuid][entry.key] += entry.quantity
        changes[entry.from_location_uuid][entry.key] -= entry.quantity
    return {place: dict(by_key) for place, by_key in changes.items()}


async def read_balances(
    backend: StockBackend, entries: Sequence[OutboxEntry], places: Sequence[Place]
) -> Balances:
    """The current balances of the entries' variants at ``places`` (a variant the backend does
    not list has 0). Raises the backend's errors."""
    keys = {entry.key for entry in entries}
    products = sorted({entry.product_uuid for entry in entries})
    found: Balances = {}
    for place in places:
        balances = dict.fromkeys(keys, 0)
        for key, balance in (await backend.product_balances(place, products)).items():
            if key in balances:
                balances[key] = balance
        found[place.uuid] = balances
    return found


def judge(entries: Sequence[OutboxEntry], before: Balances | None, now: Balances) -> Judgement:
    """Whether ``entries`` (one batch, sent once since ``before`` was read) were applied."""
    applied = not_applied = 0
    expected = expected_changes(entries)
    if before is not None:
        for place, changes in expected.items():
            if place not in before or place not in now:
                continue
            for key, change in changes.items():
                if not change or key not in before[place] or key not in now[place]:
                    continue
                moved = now[place][key] - before[place][key]
                if moved == change:
                    applied += 1
                elif moved == 0:
                    not_applied += 1
    if applied and not not_applied:
        return Judgement(Verdict.APPLIED, {})
    if not_applied and not applied:
        return Judgement(Verdict.NOT_APPLIED, {})
    return Judgement(Verdict.UNCLEAR, {entry.id: _unclear(entry, before, now) for entry in entries})


def _unclear(entry: OutboxEntry, before: Balances | None, now: Balances) -> str:
    change = entry.store_change
    if change:
        store_is_to = entry.to_type is PlaceKind.STORE
        place = entry.to_location_uuid if store_is_to else entry.from_location_uuid
        kind = PlaceKind.STORE
    else:
        change = entry.quantity
        place, kind = entry.to_location_uuid, entry.to_type
    after = now.get(place, {}).get(entry.key)
    start = (before or {}).get(place, {}).get(entry.key)
    if start is not None and after is not None:
        known = (
            f"the {kind.value} balance was {start} before sending and is {after} now "
            f"({start + change} if it was applied)"
        )
    else:
        known = "there is no record of the balance before it was sent"
    return (
        f"Unconfirmed: Zettle's answer was lost and the app can't tell whether Zettle applied "
        f"this movement ({change:+d} in {kind.value}): {known}. Check the balance in Zettle, "
        "then mark it applied if it is there or send it again if it is missing"
    )


def dump_balances(balances: Balances) -> str:
    """``balances`` as text for the journal (by place UUID)."""
    return json.dumps(
        {
            place: [[key[0], key[1], balance] for key, balance in by_key.items()]
            for place, by_key in balances.items()
        },
        separators=(",", ":"),
    )


def load_balances(text: str | None) -> Balances | None:
    """Balances kept with :func:`dump_balances`; None when absent or unreadable."""
    if not text:
        return None
    try:
        data = json.loads(text)
        return {
            str(place): {(str(p), str(v)): int(b) for p, v, b in lines}
            for place, lines in data.items()
        }
    except (ValueError, TypeError, AttributeError, RecursionError):
        return None
