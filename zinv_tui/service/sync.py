"""The sync engine: keeps one STORE place's view in step with Zettle by polling, cheaply.

- Polls every ``interval`` seconds, re-armed after each poll ends, so polls never overlap; a poll
  and a movement send never overlap either (one shared lock, see :mod:`zinv_tui.service.outbox`).
- Uses the backend's change feed whenever the previous read gave a cursor: an idle poll is one
  small request whatever the catalogue size. Falls back to a full snapshot when there is no
  cursor, when an answer could not be read, after an outage longer than ``full_every``, and every
  ``full_every`` seconds as a safety net (e.g. against a server that does not report stopped
  tracking in the feed). A failed request does not by itself force a full snapshot: the cursor is
  still valid (nothing was applied), so the next incremental poll catches up with everything that
  changed meanwhile; only an unreadable answer or a long outage does. A cursor the backend can't
  follow (Zettle refused it, e.g. after the server's data was reset) is dropped and the same poll
  reads the full snapshot at once.
- A backend without a change feed (or whose feed stopped answering) is polled with full
  snapshots, paced: at most one every ``paced_full_every`` seconds, and never sooner than twice
  the time the last one took. Writes go first: movements waiting to be sent are sent before
  such a read takes the lock (``writes_first``), so a long paged read never holds them back.
- A product that (re)starts tracking gets a per-product read (the feed lists only balances that
  changed, and Zettle keeps balances across a stop/start). The service keeps the cursor in the
  profile's local snapshot (:mod:`zinv_tui.service.local_snapshot`, through ``on_synced``); a
  start painted from it goes on from the saved cursor (:meth:`SyncEngine.resume`) instead of a
  full read, unless the safety interval has passed since the snapshot's last full read.
- A full snapshot is fed to a :class:`~zinv_tui.service.view.SnapshotBuilder` (a fresh one per
  attempt) page by page, or chunk by chunk as a big body arrives, and applied in one step once
  it is complete: neither the 9 MB body nor the decoded answer is ever whole in memory. Large
  reads end with :func:`~zinv_tui.service.heap.release_free_memory` (a no-op unless the program
  tuned the process, see :mod:`zinv_tui.tuning`).
- Refreshes the catalogue with an ETag conditional request every ``catalogue_every`` seconds, or
  sooner (at most every ``unknown_retry`` s) when a balance names a product it does not know;
  low-stock levels are re-read on the same schedule.
- Diffs reach subscribers in the order the view made them, each with the rows as they are
  then: none is held across an ``await`` (a movement recorded meanwhile emits newer versions of
  its rows), and the pending overlay's resync from the journal (``on_polled``: another process
  may have recorded or settled movements) is folded into the poll's own diff, so a subscriber's
  copy of a row never ends older than the view's (a second tab kept the pending mark of a
  movement the first had sent). :meth:`SyncEngine.poll` returns all of its changes.
- Each poll is watched (``answers``, :mod:`zinv_tui.service.answer_watch`): one running longer
  than usual (a few seconds; a full read or a catalogue download: twice what the last one took)
  makes the service's status ``waiting`` instead of ``live`` until it ends.
- Backs off on failures (doubling up to ``max_backoff``, honouring a 429's Retry-After); the
  client's own limiter keeps every request under Zettle's 4 per second. No single failure stops
  the loop: an unexpected error is logged and counted as a failed poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zinv_tui.api.errors import MalformedResponse, NetworkError, ZettleError
from zinv_tui.service.answer_watch import AnswerWatch, watched
from zinv_tui.service.backend import Cursor, LowStockLine, Place, StockBackend
from zinv_tui.service.catalogue import Catalogue, CatalogueBuilder
from zinv_tui.service.heap import release_free_memory
from zinv_tui.service.low_stock import low_stock_settings
from zinv_tui.service.outbox import MAX_RETRY_AFTER
from zinv_tui.service.rows import RowDiff, RowKey
from zinv_tui.service.status import SyncState
from zinv_tui.service.view import InventoryView

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PollTiming:
    """Where the last successful poll spent its time on this side (for benchmarks and logs)."""

    decode_apply: float
    """Seconds to decode the answer and compute the diff (a full snapshot is mostly decoded
    while it arrives: only its last lines and the commit count here)."""
    deliver: float
    """Seconds spent in subscriber callbacks."""
    rows: int
    """Rows in the diff."""


class SyncEngine:
    """Polls one STORE place into an :class:`InventoryView` and reports diffs and state."""

    def __init__(
        self,
        backend: StockBackend,
        view: InventoryView,
        lock: asyncio.Lock,
        place: Place,
        *,
        emit: Callable[[RowDiff], None],
        on_state: Callable[[], None],
        on_polled: Callable[[], RowDiff] | None = None,
        on_synced: Callable[[bool], None] | None = None,
        interval: float = 5.0,
        full_every: float = 600.0,
        catalogue_every: float = 60.0,
        unknown_retry: float = 10.0,
        max_backoff: float = 60.0,
        paced_full_every: float = 30.0,
        writes_first: Callable[[], Awaitable[object]] | None = None,
        answers: AnswerWatch | None = None,
    ) -> None:
        if not interval > 0:
            raise ValueError("the poll interval must be above zero seconds")
        self._backend = backend
        self._view = view
        self._lock = lock
        self.place = place
        self._emit = emit
        self._on_state = on_state
        self._on_polled = on_polled
        self._on_synced = on_synced
        self.interval = float(interval)
        self.full_every = full_every
        self.catalogue_every = catalogue_every
        self.unknown_retry = unknown_retry
        self.max_backoff = max_backoff
        self.paced_full_every = paced_full_every
        self._writes_first = writes_first
        self._answers = answers
        self._last_full_took = 0.0
        self._last_side_took = 0.0
        """Seconds the last catalogue and low-stock round took (its usual time)."""
        self.cursor: Cursor | None = None
        self.state = SyncState.STARTING
        self.last_success: datetime | None = None
        self.last_error: str | None = None
        self.last_failure: ZettleError | None = None
        """The error of the last failed poll (None after a success)."""
        self.generation = 0
        self.last_timing: PollTiming | None = None
        """Bumped after every successful balance poll (the outbox uses it to trust answers)."""
        self.failures = 0
        self.next_delay: float = self.interval
        self._last_full = 0.0
        self._last_success_clock = 0.0
        self._last_catalogue = -1e9
        self._catalogue_etag: str | None = None
        self._catalogue_read: asyncio.Task[CatalogueRead] | None = None
        self._caching: threading.Thread | None = None
        """The thread writing the catalogue's cache (the last one started)."""
        self.catalogue_cache: Path | None = None
        self._want_full = True
        self._big_read = False
        self._wakeup = asyncio.Event()

    # -- control -------------------------------------------------------------------------------

    def switch_place(self, place: Place) -> None:
        """Poll ``place`` from now on (the caller holds the lock): a full read comes next."""
        self.place = place
        self.cursor = None
        self._want_full = True
        self._last_catalogue = -1e9  # low-stock levels read apart are read again

    def request_full(self) -> None:
        """Make the next poll a full snapshot."""
        self._want_full = True

    def use_cached_catalogue(self, catalogue: Catalogue, path: Path) -> None:
        """Start from a cached catalogue (shown at once); the first poll re-checks its ETag."""
        self.catalogue_cache = path
        self._catalogue_etag = catalogue.etag
        if self._view.catalogue is not catalogue:
            self._view.set_catalogue(catalogue)

    def resume(self, cursor: Cursor | None, full_age: float) -> None:
        """Go on from a saved position: the view holds rows as of ``cursor`` (None: the backend
        gave none), from a full read made ``full_age`` seconds ago. The next poll follows the
        feed from there, unless it has no cursor or the safety interval has passed."""
        self.cursor = cursor
        self._want_full = cursor is None
        self._last_full = time.monotonic() - max(0.0, full_age)

    def use_catalogue_read(self, read: asyncio.Task[CatalogueRead]) -> None:
        """The catalogue's answer is being read already (started before the places were known):
        the next catalogue round takes it instead of asking again."""
        self._catalogue_read = read

    def drop_catalogue_read(self) -> None:
        """Stop a catalogue read handed over and not taken yet (the service stops)."""
        read, self._catalogue_read = self._catalogue_read, None
        if read is not None:
            read.cancel()

    def request_catalogue(self) -> None:
        """Re-read the catalogue (and low-stock levels) at the next poll."""
        self._last_catalogue = -1e9

    def wake(self) -> None:
        """Poll now instead of waiting for the interval."""
        self._wakeup.set()

    async def run(self) -> None:
        """Poll, wait (interval or backoff), repeat. Never two polls at once."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self.next_delay)
            self._wakeup.clear()
            try:
                await self.poll()
            except Exception as error:  # the poller must outlive any one failure
                log.warning("polling failed: %s: %s", type(error).__name__, error)
                log.debug("the failure", exc_info=True)
                self._failed(ZettleError(f"Reading the stock failed ({type(error).__name__})"))

    # -- one poll ------------------------------------------------------------------------------

    async def poll(self, *, full: bool = False) -> RowDiff | None:
        """One round: catalogue and low stock when due, then balances. None when it failed."""
        if self._backend.change_feed is None and self._writes_first is not None:
            await self._writes_first()  # a paced full read: waiting movements go first
        # Watched from the start: waiting behind a send Zettle keeps waiting is overdue too.
        with watched(self._answers, self._usual_time(full)):
            async with self._lock:
                diff = await self._poll_locked(full=full)
        if self._big_read:  # big buffers are unreferenced now: give their memory back
            self._big_read = False
            release_free_memory()
        return diff

    def _full_due(self, full: bool, now: float) -> bool:
        """Whether the poll at ``now`` reads the full snapshot (``full``: asked to)."""
        return (
            full
            or self._want_full
            or self.cursor is None
            or self._backend.change_feed is None
            or now - self._last_full >= self.full_every
        )

    def _usual_time(self, full: bool) -> float:
        """Seconds the poll about to run usually takes: twice the last time of each long read
        it will make (a full snapshot, the catalogue), else 0 (the watch's patience)."""
        now = time.monotonic()
        usual = 2 * self._last_full_took if self._full_due(full, now) else 0.0
        if self._side_data_due(now):
            usual += 2 * self._last_side_took
        return usual

    async def _poll_locked(self, *, full: bool) -> RowDiff | None:
        now = time.monotonic()
        early = RowDiff()  # emitted before the poll's end: no diff is held across an await
        if self._side_data_due(now):
            early = await self._refresh_side_data(now)
        feed = self._backend.change_feed
        try:
            want_full = self._full_due(full, now)
            changes = None
            if not want_full and feed is not None and self.cursor is not None:
                changes = await feed.changes(self.place, self.cursor)
                if changes is None:
                    log.warning(
                        "%s could not follow the change feed from %s; reading everything",
                        self._backend.name,
                        self.cursor,
                    )
                    self.cursor = None
            if changes is None:  # a full snapshot (asked for, or the cursor was dropped)
                want_full = True
                reading = time.perf_counter()
                builder, end = await self._backend.read_snapshot(
                    self.place, self._view.begin_snapshot
                )
                tracked = end.tracked_products
                if tracked is None:
                    tracked = await self._tracked_products()
                started = time.perf_counter()
                self._last_full_took = started - reading
                diff = self._view.commit_snapshot(builder, tracked)
                latest = end.cursor
                del builder, end
            else:
                started = time.perf_counter()
                latest = changes.cursor if changes.cursor is not None else self.cursor
                diff = self._view.apply_changes(changes)
                del changes
        except ZettleError as error:
            if isinstance(error, MalformedResponse):
                self._want_full = True
            self._failed(error)
            return None
        computed = time.perf_counter()
        new_products = self._view.take_awaiting_products()
        if new_products:
            if diff:
                self._emit(diff)
                early, diff = early.then(diff), RowDiff()
            try:
                balances = await self.product_balances(sorted(new_products))
            except ZettleError:
                self._want_full = True  # read them all next time instead
            else:
                diff = self._view.apply_products(new_products, balances, tracked=True)
        if self._on_polled is not None:
            diff = diff.then(self._on_polled())  # one diff: its rows are the latest
        if want_full:
            self._last_full = now
            self._big_read = True
        self._want_full = False
        self.cursor = latest
        self.generation += 1
        self.failures = 0
        self.next_delay = self._next_interval()
        self.state = SyncState.LIVE
        self.last_error = None
        self.last_failure = None
        self.last_success = datetime.now(UTC)
        self._last_success_clock = now
        if self._view.unknown_products and now - self._last_catalogue >= self.unknown_retry:
            self._wakeup.set()  # an unknown product showed up: read the catalogue soon
        delivering = time.perf_counter()
        if diff:
            self._emit(diff)
        if self._on_synced is not None:
            self._on_synced(want_full)
        delivered = time.perf_counter()
        self.last_timing = PollTiming(computed - started, delivered - delivering, len(diff))
        self._on_state()
        return early.then(diff) if early else diff

    def _next_interval(self) -> float:
        """Seconds to the next poll after a success: the interval, or with full reads only (no
        change feed) at least ``paced_full_every`` and twice the last read's time."""
        if self._backend.change_feed is not None:
            return self.interval
        return max(self.interval, self.paced_full_every, 2 * self._last_full_took)

    async def _tracked_products(self) -> list[str]:
        """Tracked products, asked of the backend when its snapshot does not say: every product
        of the catalogue and of the view."""
        products = sorted(set(self._view.catalogue.products) | self._view.tracked)
        status = await self._backend.tracking(products)
        return [product for product, tracked in status.items() if tracked]

    async def product_balances(self, products: list[str]) -> dict[RowKey, int]:
        """Balances at this place of whole products (a variant not listed has 0)."""
        return await self._backend.product_balances(self.place, products)

    def _side_data_due(self, now: float) -> bool:
        return now - self._last_catalogue >= self.catalogue_every or bool(
            self._view.unknown_products and now - self._last_catalogue >= self.unknown_retry
        )

    async def _refresh_catalogue(self) -> None:
        read, self._catalogue_read = self._catalogue_read, None
        if read is not None:
            builder, etag = await read
        else:
            builder, etag = await self._backend.catalogue(self._catalogue_etag, CatalogueBuilder)
        diff = RowDiff()
        if builder is not None:
            catalogue = Catalogue(builder.products, etag)
            del builder
            release_free_memory()  # the body is gone: return it before the balances come in
            self._catalogue_etag = catalogue.etag
            diff = self._view.set_catalogue(catalogue)
            self._big_read = True
            if self.catalogue_cache is not None:
                self._cache_catalogue(catalogue, self.catalogue_cache)
        if diff:
            self._emit(diff)

    def _cache_catalogue(self, catalogue: Catalogue, path: Path) -> None:
        """Write the catalogue's cache in a thread (at 46,000 variants 0.1 s of encoding and
        writing, which the balances' read need not wait for); one write after the other."""
        before = self._caching

        def save() -> None:
            if before is not None:
                before.join()
            try:
                catalogue.save(path)
            except OSError as error:
                log.warning("could not cache the catalogue: %s", error)

        self._caching = threading.Thread(target=save, name="zinv-catalogue-cache", daemon=True)
        self._caching.start()

    def wait_for_cache(self, timeout: float = 10.0) -> None:
        """Until the catalogue's cache is written (the service stops; tests)."""
        if self._caching is not None:
            self._caching.join(timeout)

    async def _refresh_side_data(self, now: float) -> RowDiff:
        """The catalogue, then the low-stock levels (before balances: on the first load, rows are
        then born with their levels); the diff of the levels, already emitted.

        The levels are read while the catalogue is (one wait instead of two: at 46,000 variants
        the catalogue's answer takes about a second), and applied after it. When the catalogue
        cannot be read, neither is applied: names can wait, balances can't."""
        levels: asyncio.Task[list[LowStockLine]] | None = None
        if not self._backend.capabilities.levels_on_rows:  # else they come with the balances
            levels = asyncio.create_task(self._backend.low_stock(self.place))
            levels.add_done_callback(retrieved)
        try:
            await self._refresh_catalogue()
        except ZettleError as error:
            log.info("could not read the catalogue: %s", error)
            # Try the catalogue again soon.
            self._last_catalogue = now - self.catalogue_every + self.unknown_retry
            if levels is not None:
                levels.cancel()
            return RowDiff()
        except BaseException:  # cancelled (the service stops): the levels' read too
            if levels is not None:
                levels.cancel()
            raise
        self._last_catalogue = now
        self._last_side_took = time.monotonic() - now
        if levels is None:
            return RowDiff()
        try:
            lines = await levels
        except ZettleError as error:
            log.info("could not read low-stock levels: %s", error)
            return RowDiff()
        settings = low_stock_settings(lines, self._view.rows, self._view.catalogue)
        del lines
        diff = self._view.set_low_stock(settings, replace=True)
        if diff:
            self._emit(diff)
        return diff

    def _failed(self, error: ZettleError) -> None:
        """Count a failed poll, set the backoff and the state."""
        now = time.monotonic()
        self.failures += 1
        self.last_error = str(error)
        self.last_failure = error
        self.state = SyncState.OFFLINE if isinstance(error, NetworkError) else SyncState.STALE
        if self._last_success_clock and now - self._last_success_clock >= self.full_every:
            self._want_full = True
        delay = min(self.max_backoff, self.interval * 2 ** min(self.failures, 10))
        delay *= random.uniform(0.8, 1.2)
        if error.retry_after:
            delay = max(delay, min(error.retry_after, MAX_RETRY_AFTER))
        self.next_delay = delay
        log.info("poll failed (%s); next in %.1f s", error, delay)
        self._on_state()


CatalogueRead = tuple[CatalogueBuilder | None, str | None]
"""A catalogue's answer: the products read (None: not changed since the ETag given) and its
ETag."""


def retrieved(task: asyncio.Task[Any]) -> None:
    """Mark the outcome of a read seen (one left behind when the poll it was for failed or
    stopped): its error is not reported as never retrieved."""
    if not task.cancelled():
        task.exception()
