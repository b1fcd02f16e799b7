"""Settling a movement whose outcome is unknown by reading the stock, never by trusting the server.

A PUT may reach Zettle and be applied while its answer is lost, cut short, a 5xx, or a 2xx that
proves nothing (an error body, no balances, a balance that can't be read). Sending it again could
apply it twice unless the server deduplicates by ``externalUuid``, and the app does not rely on
that. Instead, before every attempt the sender reads the balances the batch will change (the
*reference*, kept in the journal with the attempt), and when an attempt's outcome is unknown it
reads them again and compares:

- each (location, variant) the batch changes by ``e`` (``e != 0``) and that moved by ``d``:
  ``d == e`` votes *applied*, ``d == 0`` votes *not applied*, anything else moved for other
  reasons too (a POS sale, another device) and does not vote;
- applied votes and no not-applied vote: applied (acknowledged with the balances just read);
  not-applied votes and no applied vote: not applied (sent again, the read as its new reference);
  otherwise reading cannot tell: the movements are *unconfirmed* and shown to the user with what
  is known, never sent again silently.

Besides STORE, the quiet locations a batch touches are read (SUPPLIER and BIN only move through
stock movements), so a restock or a discard is settled even while the shop keeps selling; a sale
(STORE to SOLD, where POS sales land too) is settled only when nothing else sold meanwhile.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from zinv_tui.api import ZettleClient
from zinv_tui.api.models import LocationType
from zinv_tui.service.journal import OutboxEntry
from zinv_tui.service.rows import RowKey

Balances = dict[LocationType, dict[RowKey, int]]
"""Balances by location type, then by ``(product_uuid, variant_uuid)``."""

_PRODUCTS_PER_READ = 100
_QUIET = (LocationType.SUPPLIER, LocationType.BIN)


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


def locations_to_read(entries: Sequence[OutboxEntry]) -> list[LocationType]:
    """The locations whose balances can tell whether ``entries`` were applied."""
    wanted: set[LocationType] = set()
    for entry in entries:
        ends = (entry.from_type, entry.to_type)
        if LocationType.STORE in ends:
            wanted.add(LocationType.STORE)
            wanted.update(end for end in ends if end in _QUIET)
        else:  # a move between two other locations: only they can tell
            wanted.update(ends)
    return sorted(wanted, key=lambda kind: kind.value)


def expected_changes(entries: Sequence[OutboxEntry]) -> Balances:
    """What applying ``entries`` does to each location's balances."""
    changes: dict[LocationType, dict[RowKey, int]] = defaultdict(lambda: defaultdict(int))
    for entry in entries:
        changes[entry.to_type][entry.key] += entry.quantity
        changes[entry.from_type][entry.key] -= entry.quantity
    return {kind: dict(by_key) for kind, by_key in changes.items()}


async def read_balances(
    client: ZettleClient, entries: Sequence[OutboxEntry], kinds: Sequence[LocationType]
) -> Balances:
    """The current balances of the entries' variants in ``kinds`` (Zettle leaves zeros out:
    a variant it does not list has 0). Raises the client's errors."""
    keys = {entry.key for entry in entries}
    products = sorted({entry.product_uuid for entry in entries})
    found: Balances = {}
    for kind in kinds:
        balances = dict.fromkeys(keys, 0)
        for start in range(0, len(products), _PRODUCTS_PER_READ):
            answer = await client.get_balances_for_products(
                products[start : start + _PRODUCTS_PER_READ], location_type=kind
            )
            for line in answer.variants:
                key = (str(line.product_uuid), str(line.variant_uuid))
                if key in balances:
                    balances[key] = line.balance
        found[kind] = balances
    return found


def judge(entries: Sequence[OutboxEntry], before: Balances | None, now: Balances) -> Judgement:
    """Whether ``entries`` (one batch, sent once since ``before`` was read) were applied."""
    applied = not_applied = 0
    expected = expected_changes(entries)
    if before is not None:
        for kind, changes in expected.items():
            if kind not in before or kind not in now:
                continue
            for key, change in changes.items():
                if not change or key not in before[kind] or key not in now[kind]:
                    continue
                moved = now[kind][key] - before[kind][key]
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
    kind = LocationType.STORE if change else entry.to_type
    if not change:
        change = entry.quantity
    after = now.get(kind, {}).get(entry.key)
    start = (before or {}).get(kind, {}).get(entry.key)
    if start is not None and after is not None:
        known = f"the {kind.value} balance was {start} before sending and is {after} now"
    else:
        known = "there is no record of the balance before it was sent"
    return (
        f"Unconfirmed: Zettle's answer was lost and the app can't tell whether Zettle applied "
        f"this movement ({change:+d} in {kind.value}): {known}. Check the balance in Zettle, "
        "then retry it if it is missing or dismiss it if it is there"
    )


def dump_balances(balances: Balances) -> str:
    """``balances`` as text for the journal."""
    return json.dumps(
        {
            kind.value: [[key[0], key[1], balance] for key, balance in by_key.items()]
            for kind, by_key in balances.items()
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
            LocationType(kind): {(str(p), str(v)): int(b) for p, v, b in lines}
            for kind, lines in data.items()
        }
    except (ValueError, TypeError, AttributeError, RecursionError):
        return None
