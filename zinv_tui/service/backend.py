"""The backend port: what the service needs from Zettle, in the service's own words.

A *backend* speaks one generation of Zettle's API (v1: :mod:`zinv_tui.api.v1.backend`) and turns
it into these calls and values; the service never sees a request, a Zettle field name or a
client. Adding an API generation means writing a backend (and the sandbox's routes for it).

Words:

- A **place** is where stock is kept or goes: an inventory (v3) or a location (v1), known by its
  UUID, of a :class:`PlaceKind`. There may be several STORE places (v3); the four kinds other than
  STORE stand for the supplier, the bin and the sold goods. A kind a later API adds is carried.
- A **snapshot** is every balance of one place, fed to a :class:`LineSink` page by page (or chunk
  by chunk as a big body arrives) and ended by a :class:`SnapshotEnd`. Lines are whatever the
  backend decoded into (structurally a :class:`BalanceLine`): nothing is copied on the way.
- The **change feed** is optional (:attr:`StockBackend.change_feed` is None when the API has
  none, or it stopped answering): with it, a poll asks what changed after an opaque cursor;
  without it, the sync engine reads whole snapshots, paced.
- A **movement** carries its own key (minted when recorded); a :class:`MovementBatch` is sent
  under the batch's key, the same on every attempt. Sending answers a :data:`SendOutcome`; a
  backend never relies on the server to deduplicate, and the service settles every unknown
  outcome by reading balances (:meth:`StockBackend.product_balances`).
- Low-stock levels are read apart (:meth:`StockBackend.low_stock`) or, when
  :attr:`Capabilities.levels_on_rows`, come on the balance lines themselves.

Errors: every call may raise :class:`~zinv_tui.api.errors.ZettleError` (network, access, a
malformed answer) - the one part of the API layer the service knows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple, Protocol, TypeVar

from zinv_tui.api.errors import ZettleError
from zinv_tui.values.catalogue import CatalogueProduct

RowKey = tuple[str, str]
"""``(product_uuid, variant_uuid)``, both as lower-case UUID strings."""

Cursor = int | str
"""A position in a change feed: opaque, passed back as it came."""


class PlaceKind(StrEnum):
    """What a place is for. STORE holds the shop's stock; stock comes from SUPPLIER, leaves to
    SOLD (sales) or BIN (discards). A kind a later API adds is carried (see
    :func:`~zinv_tui.values.open_enums.carried`), never listed here."""

    STORE = "STORE"
    SUPPLIER = "SUPPLIER"
    BIN = "BIN"
    SOLD = "SOLD"


@dataclass(frozen=True, slots=True)
class Place:
    """A place stock is kept in, known by its UUID (lower-case text)."""

    uuid: str
    kind: PlaceKind
    name: str = ""
    default: bool = False
    """The default place of its kind (the one POS sales take from, for STORE)."""


class StoresNotSupported(ZettleError):
    """The API keeps one STORE place only (Zettle v1): no other store can be created."""

    default_message = (
        "Only Zettle's current API (v3) has several stores; this shop is served by v1, which "
        "has one - nothing was created"
    )


class BalanceLine(Protocol):
    """One variant's balance at a place, as a backend decoded it."""

    @property
    def product_uuid(self) -> str: ...
    @property
    def variant_uuid(self) -> str: ...
    @property
    def balance(self) -> int: ...


class LevelledLine(BalanceLine, Protocol):
    """A line that also carries the variant's low-stock setting (``levels_on_rows``)."""

    @property
    def low_stock_level(self) -> int | None: ...
    @property
    def low_stock_alert(self) -> bool: ...


class LineSink(Protocol):
    """Takes a snapshot's lines, a batch at a time, in the answer's order."""

    def take(self, lines: Sequence[BalanceLine]) -> object: ...


SinkT = TypeVar("SinkT", bound=LineSink)


@dataclass(frozen=True, slots=True)
class SnapshotEnd:
    """What a snapshot says besides its lines."""

    tracked_products: Sequence[str] | None
    """Products whose stock is tracked (also those with no balance yet); None when the backend
    can't say with the snapshot (ask :meth:`StockBackend.tracking`)."""
    cursor: Cursor | None = None
    """Where the change feed goes on from (None: the backend has no feed to offer)."""


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed at a place after a cursor."""

    lines: Sequence[BalanceLine]
    """Balances that changed (zeros too)."""
    started: Sequence[str] = ()
    """Products whose tracking started (their balances need a per-product read)."""
    stopped: Sequence[str] = ()
    """Products whose tracking stopped (their rows leave)."""
    cursor: Cursor | None = None
    """Where to go on from (None: keep the one given)."""


class ChangeFeed(Protocol):
    """An incremental read of one place's balances."""

    async def changes(self, place: Place, cursor: Cursor) -> Changes | None:
        """What changed after ``cursor``; None when the cursor can't be followed (refused,
        expired): read the whole snapshot instead."""
        ...


class CatalogueSink(Protocol):
    """Takes the Product Library's products, a batch at a time, as they arrive."""

    def take(self, products: Sequence[CatalogueProduct]) -> object: ...


CatalogueSinkT = TypeVar("CatalogueSinkT", bound=CatalogueSink)


class LowStockLine(NamedTuple):
    """One variant's low-stock setting at a place (``level`` None: no level of its own)."""

    product_uuid: str
    variant_uuid: str
    level: int | None
    alert: bool


@dataclass(frozen=True, slots=True)
class Movement:
    """Move ``quantity`` (above zero) of a variant from one place to another."""

    key: str
    """This movement's own key, minted when it was recorded (never reused)."""
    product_uuid: str
    variant_uuid: str
    from_place: str
    to_place: str
    quantity: int


@dataclass(frozen=True, slots=True)
class MovementBatch:
    """Movements sent together, all or none, under the batch's own key."""

    key: str
    """The same on every attempt; a correlation tag for Zettle, never trusted to deduplicate."""
    movements: tuple[Movement, ...]
    report_place: str | None = None
    """The place whose new balances the answer should carry, where the API can say."""


@dataclass(frozen=True, slots=True)
class Applied:
    """Zettle applied the batch."""

    balances: Mapping[RowKey, int] | None = None
    """The moved variants' balances at ``report_place`` right after (None: not reported; the
    service reads them)."""


@dataclass(frozen=True, slots=True)
class Refused:
    """Zettle refused the batch before doing any of it; repeating won't help."""

    words: str
    """What Zettle said, in a sentence for the user (its own words included)."""
    error: ZettleError
    movements: frozenset[str] | None = None
    """Keys of the movements to blame, when the API says; None: the batch as a whole (the
    service sends its movements one by one to find the culprit)."""
    access: bool = False
    """The key's fault (no write access, the key rejected): every movement needs attention at
    once, nothing is split or repeated."""


@dataclass(frozen=True, slots=True)
class NotApplied:
    """The batch surely was not applied (throttled, Zettle never reached): send it again later,
    not sooner than ``error.retry_after``."""

    error: ZettleError


@dataclass(frozen=True, slots=True)
class Unknown:
    """The batch may or may not have been applied: the service settles it by reading."""

    error: ZettleError | None
    answered: bool = False
    """True: Zettle answered but the answer proves nothing (read at once); False: no usable
    answer came (lost, cut short, a 5xx): read before the next attempt."""


SendOutcome = Applied | Refused | NotApplied | Unknown


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a backend can do beyond the common calls."""

    levels_on_rows: bool = False
    """Balance lines carry the low-stock setting (:class:`LevelledLine`), so
    :meth:`StockBackend.low_stock` is not needed to keep levels current."""
    max_batch: int = 100
    """Movements per request the API takes at most (a batch is never larger)."""
    several_stores: bool = False
    """The shop may have several STORE places, and more can be made (:meth:`create_store`)."""


class StockBackend(Protocol):
    """What the service needs from one Zettle API generation."""

    @property
    def name(self) -> str:
        """Which API this is, for messages and logs (``"Zettle v1"``)."""
        ...

    @property
    def capabilities(self) -> Capabilities: ...

    @property
    def change_feed(self) -> ChangeFeed | None:
        """The incremental read, or None (none, or it stopped answering): read snapshots."""
        ...

    async def places(self) -> list[Place]:
        """Every place of the shop (at least one STORE; the others one of each kind)."""
        ...

    async def read_snapshot(
        self, place: Place, new_sink: Callable[[], SinkT]
    ) -> tuple[SinkT, SnapshotEnd]:
        """Every balance at ``place``, fed to a sink as it arrives. Each attempt (a retry after a
        connection broke mid-answer) gets a fresh sink from ``new_sink``; the one that took the
        whole snapshot is returned."""
        ...

    async def create_store(self, name: str) -> Place:
        """Create another STORE place named ``name`` (raises :class:`StoresNotSupported` when the
        API has one STORE only)."""
        ...

    async def product_balances(self, place: Place, products: Sequence[str]) -> dict[RowKey, int]:
        """Balances of every variant of ``products`` at ``place`` (a variant not in the answer
        has 0)."""
        ...

    async def place_balances(self, place: Place) -> dict[RowKey, int]:
        """Every balance at ``place`` (small places: BIN, SOLD, SUPPLIER)."""
        ...

    async def send(self, batch: MovementBatch) -> SendOutcome:
        """Send ``batch`` once (repeated inside only while it provably was not applied) and say
        how it ended; Zettle's errors come back as outcomes, not raised. Anything raised anyway is
        taken as an unknown outcome (the service reads before trying again)."""
        ...

    async def catalogue(
        self, etag: str | None, new_sink: Callable[[], CatalogueSinkT]
    ) -> tuple[CatalogueSinkT | None, str | None]:
        """The Product Library fed to a sink as it arrives (a fresh sink per attempt), and its
        ETag; ``(None, etag)`` when it did not change since ``etag``."""
        ...

    async def low_stock(self, place: Place) -> list[LowStockLine]:
        """Every variant's own low-stock setting at ``place`` (defaults are not listed)."""
        ...

    async def set_low_stock(
        self, place: Place, keys: Sequence[RowKey], level: int | None, alert: bool
    ) -> None:
        """Set (``level`` None and ``alert`` False: clear) the level of these variants."""
        ...

    async def set_tracking(self, products: Sequence[str], on: bool) -> None:
        """Switch stock tracking on or off for these products."""
        ...

    async def tracking(self, products: Sequence[str]) -> dict[str, bool]:
        """Whether each of ``products`` is tracked."""
        ...

    async def write_access(self) -> bool | None:
        """False when the key provably can't change stock; None when it can't be told."""
        ...

    def set_deadline(
        self, seconds: float | None, extended: Callable[[float], object] | None = None
    ) -> None:
        """Let every call end within ``seconds`` from now (None: no limit); the backend's own
        pacing under the rate limit moves the deadline on, and ``extended`` hears by how much."""
        ...

    async def aclose(self) -> None:
        """Close the connections."""
        ...


MOVEMENT_LINE_MAX = 99_999
"""The most one movement line may move: Zettle refuses more (v3 clients cap it there; the
sandbox too). A backend sends a bigger movement as several lines of one request, which Zettle
applies together or not at all."""


def movement_lines(quantity: int, most: int = MOVEMENT_LINE_MAX) -> list[int]:
    """``quantity`` as line amounts of at most ``most`` each (``[99999, 1]`` for 100,000)."""
    if quantity <= 0:
        raise ValueError("a movement moves a quantity above zero")
    full, rest = divmod(quantity, most)
    return [most] * full + ([rest] if rest else [])
