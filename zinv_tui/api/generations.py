"""Which generation of Zettle's Inventory API to speak: forced, or probed once and remembered.

``api_version = "auto"`` (a profile's setting) makes :class:`AutoBackend` choose:

- a generation remembered for the profile (a small JSON file in its cache dir, kept with the
  inventory URL it was probed on) is used as it is, without asking;
- otherwise both generations are probed with their cheapest read (v1
  ``GET /organizations/self/locations``, v3 ``GET /v3/inventories``); v1 is chosen when it
  answers (its change feed is documented, and its writes report balances), else v3; the choice
  is remembered with the time it was probed, and the places its read returned serve as the
  shop's places right after (not read a second time);
- when the remembered generation starts answering 404 or 410 (Zettle retired it), both are
  probed again at once and the new answer is remembered.

Neither generation answering is a :class:`~zinv_tui.api.errors.GenerationMissing`; a refused key
or no connection is the probe's own error (so a command exits 3 or 4), never a guess.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from zinv_tui.api.client import ZettleClient
from zinv_tui.api.errors import GenerationMissing, ZettleError
from zinv_tui.api.v1.backend import ZettleV1Backend
from zinv_tui.api.v3.backend import ZettleV3Backend
from zinv_tui.service.backend import (
    Capabilities,
    CatalogueSinkT,
    ChangeFeed,
    Changes,
    Cursor,
    LowStockLine,
    MovementBatch,
    Place,
    RowKey,
    SendOutcome,
    SinkT,
    SnapshotEnd,
    StockBackend,
)

log = logging.getLogger(__name__)

GENERATIONS = ("v1", "v3")
"""The generations a profile may force (``auto`` chooses among them)."""

GENERATION_FILE = "api_generation.json"
"""The remembered choice, in a profile's cache dir."""

PROBED_FRESH = 10.0
"""Seconds the places a probe read serve as the shop's places (the same start, not a later
refresh)."""

RETIRED = (404, 410)
"""Answers of a generation's cheapest read that mean the server does not (any more) speak it."""


@dataclass(frozen=True, slots=True)
class Choice:
    """The generation in use and why."""

    generation: str
    how: str
    """``forced``, ``probed`` or ``remembered``."""
    probed_at: datetime | None = None
    answered: tuple[str, ...] = ()
    """The generations the server answered when probed (as far as it was asked)."""

    def describe(self, source: str = "") -> str:
        """``"v3 (auto: probed at 2026-11-30 11:40 UTC; answers v3 only)"`` and the like, for
        doctor and config."""
        if self.how == "forced":
            return f"{self.generation} (forced{' by ' + source if source else ''})"
        when = f"{self.probed_at:%Y-%m-%d %H:%M} UTC" if self.probed_at else "an unknown time"
        answers = ""
        if self.answered:
            both = " and ".join(self.answered)
            answers = f"; answers {both}" if len(self.answered) > 1 else f"; answers {both} only"
        if self.how == "probed":
            return f"{self.generation} (auto: probed at {when}{answers})"
        return f"{self.generation} (auto: remembered, probed at {when}{answers})"


def remembered(path: Path | None, inventory_url: str) -> Choice | None:
    """The choice kept in ``path`` for ``inventory_url``, or None (none, another URL, damaged)."""
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        generation = str(data["generation"])
        if generation not in GENERATIONS or data.get("inventory_url") != inventory_url:
            return None
        probed_at = datetime.fromisoformat(str(data["probed_at"]))
        answered = tuple(str(g) for g in data.get("answered", ()) if g in GENERATIONS)
    except (OSError, ValueError, TypeError, KeyError, RecursionError, AttributeError):
        return None
    return Choice(generation, "remembered", probed_at, answered)


def remember(path: Path | None, inventory_url: str, choice: Choice) -> None:
    """Keep ``choice`` in ``path`` (written whole, then renamed); a failure is only logged."""
    if path is None:
        return
    data = {
        "generation": choice.generation,
        "inventory_url": inventory_url,
        "probed_at": (choice.probed_at or datetime.now(UTC)).isoformat(),
        "answered": list(choice.answered),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        part.write_text(json.dumps(data), encoding="utf-8")
        os.replace(part, path)
    except OSError as error:
        log.warning("could not remember the API generation in %s: %s", path, error)


async def read_places(client: ZettleClient, generation: str) -> list[Place] | None:
    """The places as ``generation`` reads them, with its cheapest read; None when the server
    does not speak it (404 or 410; any other failure raises)."""
    try:
        return await backend_of(generation, client).places()
    except ZettleError as error:
        if error.status in RETIRED:
            return None
        raise


async def answers(client: ZettleClient, generation: str) -> bool:
    """Whether the server answers ``generation``'s cheapest read (see :func:`read_places`)."""
    return await read_places(client, generation) is not None


async def probe(client: ZettleClient) -> tuple[Choice, list[Place]]:
    """Ask both generations; v1 if it answers, else v3 (see the module doc), with the places
    the chosen one read while answering. A failure other than 404/410 of v1's read raises
    (nothing is chosen on a guess); of v3's, only when v1 did not answer either."""
    read: dict[str, list[Place]] = {}
    v1 = await read_places(client, "v1")
    if v1 is not None:
        read["v1"] = v1
    try:
        v3 = await read_places(client, "v3")
    except ZettleError:
        if not read:
            raise
    else:
        if v3 is not None:
            read["v3"] = v3
    if not read:
        raise GenerationMissing(
            "Zettle answers neither Inventory API v1 nor v3 here (both said 404/410) - check "
            "inventory_url (or base_url)"
        )
    answered = tuple(read)
    return Choice(answered[0], "probed", datetime.now(UTC), answered), read[answered[0]]


def backend_of(generation: str, client: ZettleClient) -> StockBackend:
    """The backend of one generation on ``client``."""
    if generation == "v3":
        return ZettleV3Backend(client)
    return ZettleV1Backend(client)


def _retired(error: ZettleError) -> bool:
    return error.status in RETIRED


class AutoBackend:
    """The backend of the generation the server answers (see the module doc): a
    :class:`~zinv_tui.service.backend.StockBackend` that hands every call to the chosen one."""

    def __init__(self, client: ZettleClient, memory: Path | None = None) -> None:
        self.client = client
        self.memory = memory
        self._url = client.endpoints.inventory_url
        self.choice = remembered(memory, self._url)
        """The generation in use and why (None: not chosen yet)."""
        self._backend: StockBackend | None = (
            backend_of(self.choice.generation, client) if self.choice else None
        )
        self._choosing = asyncio.Lock()
        """One probe at a time: calls made at once (the places and the catalogue on a first
        launch) wait for the same choice."""
        self._probed: tuple[float, list[Place]] | None = None
        """When the last probe ran and the places it read in the generation chosen (the next
        :meth:`places` takes them instead of reading them again, if still fresh)."""

    async def choose(self, *, again: bool = False) -> Choice:
        """The generation to use: remembered, or probed now (``again``: probe even if one is
        remembered)."""
        if self.choice is not None and self._backend is not None and not again:
            return self.choice
        before = self.choice
        async with self._choosing:
            if self.choice is not before and self.choice is not None:
                return self.choice  # chosen (again) while this call waited
            choice, places = await probe(self.client)
            self._probed = (time.monotonic(), places)
            if self.choice is not None and self.choice.generation != choice.generation:
                log.warning(
                    "Zettle stopped answering Inventory API %s; using %s",
                    self.choice.generation,
                    choice.generation,
                )
            self.choice = choice
            self._backend = backend_of(choice.generation, self.client)
            remember(self.memory, self._url, choice)
            return choice

    @property
    def backend(self) -> StockBackend:
        """The chosen backend (v1's capabilities until one is chosen)."""
        if self._backend is None:
            return backend_of("v1", self.client)
        return self._backend

    @property
    def name(self) -> str:
        return self.backend.name

    @property
    def capabilities(self) -> Capabilities:
        return self.backend.capabilities

    @property
    def change_feed(self) -> ChangeFeed | None:
        return self if self.backend.change_feed is not None else None

    async def changes(self, place: Place, cursor: Cursor) -> Changes | None:
        """The chosen backend's feed; after a 404/410 from a generation that is gone, None
        (read everything, in the generation now chosen)."""
        feed = (await self._chosen()).change_feed
        if feed is None:
            return None
        try:
            return await feed.changes(place, cursor)
        except ZettleError as error:
            if not _retired(error) or not await self._gone():
                raise
        return None

    async def _chosen(self) -> StockBackend:
        await self.choose()
        assert self._backend is not None
        return self._backend

    async def places(self) -> list[Place]:
        backend = await self._chosen()
        probed = self._take_probed()
        if probed is not None:
            return probed
        try:
            return await backend.places()
        except ZettleError as error:
            if not _retired(error) or self.choice is None or self.choice.how != "remembered":
                raise
        await self.choose(again=True)  # the remembered generation is gone: ask again
        probed = self._take_probed()
        return probed if probed is not None else await (await self._chosen()).places()

    def _take_probed(self) -> list[Place] | None:
        """The places the probe just read (once, and only within :data:`PROBED_FRESH`)."""
        probed, self._probed = self._probed, None
        if probed is None or time.monotonic() - probed[0] > PROBED_FRESH:
            return None
        return probed[1]

    async def read_snapshot(
        self, place: Place, new_sink: Callable[[], SinkT]
    ) -> tuple[SinkT, SnapshotEnd]:
        backend = await self._chosen()
        try:
            return await backend.read_snapshot(place, new_sink)
        except ZettleError as error:
            if not _retired(error) or not await self._gone():
                raise
        return await (await self._chosen()).read_snapshot(place, new_sink)

    async def _gone(self) -> bool:
        """After a 404/410 mid-session: True when the generation in use no longer answers and
        another was chosen."""
        before = self.choice
        if before is None or await answers(self.client, before.generation):
            return False
        choice = await self.choose(again=True)
        return choice.generation != before.generation

    async def create_store(self, name: str) -> Place:
        return await (await self._chosen()).create_store(name)

    async def product_balances(self, place: Place, products: Sequence[str]) -> dict[RowKey, int]:
        return await (await self._chosen()).product_balances(place, products)

    async def place_balances(self, place: Place) -> dict[RowKey, int]:
        return await (await self._chosen()).place_balances(place)

    async def send(self, batch: MovementBatch) -> SendOutcome:
        return await (await self._chosen()).send(batch)

    async def catalogue(
        self, etag: str | None, new_sink: Callable[[], CatalogueSinkT]
    ) -> tuple[CatalogueSinkT | None, str | None]:
        return await (await self._chosen()).catalogue(etag, new_sink)

    async def low_stock(self, place: Place) -> list[LowStockLine]:
        return await (await self._chosen()).low_stock(place)

    async def set_low_stock(
        self, place: Place, keys: Sequence[RowKey], level: int | None, alert: bool
    ) -> None:
        await (await self._chosen()).set_low_stock(place, keys, level, alert)

    async def set_tracking(self, products: Sequence[str], on: bool) -> None:
        await (await self._chosen()).set_tracking(products, on)

    async def tracking(self, products: Sequence[str]) -> dict[str, bool]:
        return await (await self._chosen()).tracking(products)

    async def write_access(self) -> bool | None:
        return await (await self._chosen()).write_access()

    def set_deadline(
        self, seconds: float | None, extended: Callable[[float], object] | None = None
    ) -> None:
        self.client.set_deadline(seconds, extended)

    async def aclose(self) -> None:
        await self.client.aclose()
