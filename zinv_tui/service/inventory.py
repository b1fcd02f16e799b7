"""``InventoryService``: the one object the UI and the CLI talk to (one per profile).

It owns the view of one STORE place's stock, the sync engine that keeps it current, the journal
(outbox and history) and the sender that delivers movements, all on a backend
(:class:`~zinv_tui.service.backend.StockBackend`: which Zettle API it speaks is the backend's
business). Everything runs on the caller's asyncio loop; subscriber callbacks are called
synchronously in that loop and must not block.

Places: the backend names every place (UUID and kind). The service shows one STORE place
(:attr:`InventoryService.store`: the default STORE) and resolves the other kinds to their place
(the default one of its kind), so intents speak of kinds and the journal records both.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from zinv_tui.api.errors import ZettleError
from zinv_tui.service.answer_watch import PATIENCE, AnswerWatch
from zinv_tui.service.backend import Place, PlaceKind, StockBackend
from zinv_tui.service.catalogue import Catalogue, CatalogueBuilder, CatalogueProduct
from zinv_tui.service.codes import find_rows
from zinv_tui.service.journal import (
    OUTBOX_FILE,
    Batch,
    EntryDraft,
    OutboxEntry,
    OutboxJournal,
    OutboxStatus,
)
from zinv_tui.service.local_snapshot import LocalSnapshot, SavedStock
from zinv_tui.service.movements import (
    MovementIntent,
    MovementRejected,
    PlannedMovement,
    Reason,
    place_changes,
    plan_movements,
)
from zinv_tui.service.outbox import MAX_BATCH_SIZE, OutboxSender
from zinv_tui.service.rows import RowDiff, RowKey, StockPreview, StockRow
from zinv_tui.service.status import SyncState, SyncStatus
from zinv_tui.service.stock_rules import StockCounts
from zinv_tui.service.sync import CatalogueRead, SyncEngine, retrieved
from zinv_tui.service.view import InventoryView
from zinv_tui.service.wording import store_label
from zinv_tui.values.open_enums import carried

if TYPE_CHECKING:  # counts, exports and the reorder desk load when first used (a faster start)
    from zinv_tui.service.counts import CountBook
    from zinv_tui.service.csv_export import CsvTarget
    from zinv_tui.service.reorder_desk import ReorderDesk
    from zinv_tui.service.sales_history import SalesSource

log = logging.getLogger(__name__)

CATALOGUE_FILE = "catalogue.msgpack"
STORE_NAME_MAX = 255
"""The longest name a new store may have (Zettle's sandbox takes 255)."""
PLACES_META = "places"
"""The journal's meta key for the places last read (so an offline start knows them)."""

DiffCallback = Callable[[RowDiff], None]
StatusCallback = Callable[[SyncStatus], None]


class ServiceNotReady(RuntimeError):
    """Zettle was not reached yet (no places known), so movements can't be recorded."""


def _default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return ""


def _uuid_text(value: str | UUID) -> str:
    return str(value if isinstance(value, UUID) else UUID(str(value)))


class InventoryService:
    """Live STORE stock, a durable movement outbox, local history with undo.

    ``backend``: the Zettle API to use (built by :mod:`zinv_tui.build`); ``poll_interval``
    seconds between polls (re-armed after each); ``full_refresh_every`` seconds between full
    snapshots (safety net); ``catalogue_every`` seconds between ETag catalogue checks (the
    catalogue is cached with its ETag in ``cache_dir``, default ``state_dir``); ``max_batch``
    movements per request; ``retry_base``/``retry_max`` the sender's backoff; ``max_backoff``
    the poller's; ``sales``: where the reorder desk reads receipts (None: nowhere);
    ``close_backend``: :meth:`stop` closes the backend too; ``snapshot``: the profile's local
    snapshot (:mod:`~zinv_tui.service.local_snapshot`): :meth:`start` paints from it at once and
    goes on from its cursor (``catch_up_after`` seconds later, so the first paint goes first; or
    once that coroutine function's call returned, also before a first load: e.g. the demo's
    sandbox has started), and it is kept current as diffs arrive. ``first_save_after``: a
    coroutine function awaited before a launch's first full read is written to the snapshot (the
    TUI: until its rows are drawn, which the writer's 0.1 s of CPU at 46,000 rows would slow);
    meanwhile nothing else is written, and then the rows and cursor of that moment are.
    ``paint_first``: a coroutine function awaited, after a :meth:`start` that found a snapshot,
    before its rows are read whole: meanwhile :attr:`preview` has its first screenful (the TUI
    draws it; 46,000 rows are read whole in ~50 ms, then). Without it :meth:`start` reads them.
    ``answer_patience``: seconds a poll or a send may wait for Zettle before the status says
    ``waiting`` instead of ``live`` (:mod:`~zinv_tui.service.answer_watch`).
    """

    def __init__(
        self,
        backend: StockBackend,
        state_dir: Path | str,
        poll_interval: float = 5.0,
        user: str | None = None,
        *,
        cache_dir: Path | str | None = None,
        sales: SalesSource | None = None,
        close_backend: bool = False,
        full_refresh_every: float = 600.0,
        catalogue_every: float = 60.0,
        max_batch: int = MAX_BATCH_SIZE,
        retry_base: float = 1.0,
        retry_max: float = 60.0,
        max_backoff: float = 60.0,
        paced_full_every: float = 30.0,
        snapshot: LocalSnapshot | None = None,
        catch_up_after: float | Callable[[], Awaitable[object]] = 0.0,
        first_save_after: Callable[[], Awaitable[object]] | None = None,
        paint_first: Callable[[], Awaitable[object]] | None = None,
        answer_patience: float = PATIENCE,
    ) -> None:
        if not poll_interval > 0:
            raise ValueError("poll_interval must be above zero seconds")
        self.backend = backend
        self.sales = sales
        self._close_backend = close_backend
        self.state_dir = Path(state_dir)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else self.state_dir
        self.user = _default_user() if user is None else user
        self.poll_interval = float(poll_interval)
        self._full_every = full_refresh_every
        self._catalogue_every = catalogue_every
        self._max_batch = max_batch
        self._retry = (retry_base, retry_max)
        self._max_backoff = max_backoff
        self._paced_full_every = paced_full_every
        self.journal = OutboxJournal(self.state_dir / OUTBOX_FILE)
        self._view = InventoryView(levels_on_rows=backend.capabilities.levels_on_rows)
        self._lock = asyncio.Lock()
        self._answers = AnswerWatch(self._publish_status, answer_patience)
        self._places: list[Place] = []
        self.store: Place | None = None
        """The STORE place whose stock the service shows (the default STORE)."""
        self._used: dict[PlaceKind, Place] = {}
        self._engine: SyncEngine | None = None
        self._sender: OutboxSender | None = None
        self._task: asyncio.Task[None] | None = None
        self._subscribers: list[DiffCallback] = []
        self._status_subscribers: list[StatusCallback] = []
        self._status = SyncStatus()
        self._startup_error: str | None = None
        self._closed = False
        self._snapshot = snapshot
        self._catch_up_after = catch_up_after
        self._first_save_after = first_save_after
        self._full_save: asyncio.Task[None] | None = None
        """The first full write, waiting for ``first_save_after``; diffs wait with it."""
        self._saved: SavedStock | None = None
        """The snapshot the rows were painted from, until the engine resumes from it."""
        self.restored_at: datetime | None = None
        """When the local snapshot the rows came from was written (None: not from one)."""
        self._restored_counts: StockCounts | None = None
        self._paint_first = paint_first
        self._preview: StockPreview | None = None
        self._cached_catalogue: Catalogue | None = None
        self._saved_tracked: frozenset[str] = frozenset()

    # -- life cycle ----------------------------------------------------------------------------

    async def start(self, *, require_load: bool = False) -> None:
        """Load locations, catalogue, low-stock levels and balances; start polling and sending.

        Offline, it still starts (cached locations, the journal's pending movements) and keeps
        trying in the background; with ``require_load`` it raises the backend's error instead.
        """
        if self._task is not None:
            return
        if self._paint_first is not None and not require_load and self._restore_preview():
            # The first screenful from the snapshot; its rows are read once it is drawn (_run).
            self._publish_status()
            self._task = asyncio.create_task(self._run(), name="inventory-service")
            return
        if self._restore() is not None and not require_load:
            # Painted from the local snapshot: the rows are there now; the places, the check
            # and the catch-up from the saved cursor happen in the background (_run).
            self._publish_status()
            self._task = asyncio.create_task(self._run(), name="inventory-service")
            return
        await self._wait_to_catch_up(restored=False)
        catalogue = self._read_catalogue_meanwhile()
        try:
            await self._load_places()
        except ZettleError as error:
            if require_load or not self._places:
                if catalogue is not None:
                    catalogue.cancel()
                if require_load:
                    raise
                self._startup_error = str(error)
                self._publish_status(SyncState.OFFLINE, str(error))
        except BaseException:
            if catalogue is not None:
                catalogue.cancel()
            raise
        if self._places:
            self._build_workers()
            assert self._engine is not None
            if catalogue is not None:
                self._engine.use_catalogue_read(catalogue)
            resumed = self._saved_resumed()  # True: go on from the snapshot's cursor
            diff = await self._engine.poll(full=not resumed)
            if diff is None and require_load:
                # The poll's own error (a NetworkError stays one: the same exit code for a
                # command whichever start-up call met the failure).
                raise self._engine.last_failure or ZettleError("could not load balances")
        self._task = asyncio.create_task(self._run(), name="inventory-service")

    async def stop(self) -> None:
        """Stop polling and sending (the journal keeps anything not yet sent) and close the file
        (and the backend, when the service owns it). Harmless to repeat."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._engine is not None:
            self._engine.drop_catalogue_read()
            await asyncio.to_thread(self._engine.wait_for_cache)
        if self._full_save is not None:  # stopped before the first paint: written now
            self._full_save.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._full_save
            self._full_save = None
            self._save_full()
        if self._sender is not None:
            self._sender.close()
        if self._snapshot is not None:
            await asyncio.to_thread(self._snapshot.close)
        if not self._closed:
            self.journal.close()
            self._closed = True
            if self._close_backend:
                await self.backend.aclose()

    async def __aenter__(self) -> InventoryService:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _run(self) -> None:
        if self._preview is not None and self._paint_first is not None:
            await self._paint_first()  # the preview is drawn: now every row
            if self._preview is not None:  # (None: another store was chosen meanwhile)
                self._restore_rows()
        if self._saved is not None:  # painted from the snapshot: check the places first
            await self._wait_to_catch_up(restored=True)
            rows = list(self._view.rows.values())
            self._cached_catalogue = await asyncio.to_thread(
                Catalogue.load, self.cache_dir / CATALOGUE_FILE, _texts_of(rows)
            )
            del rows
            try:
                await self._load_places()
            except ZettleError as error:
                log.info("could not read the places (%s): going on with the saved ones", error)
        delay = 1.0
        while not self._places:
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_backoff)
            try:
                await self._load_places()
            except ZettleError as error:
                self._publish_status(SyncState.OFFLINE, str(error))
        if self._engine is None:
            self._build_workers()
            assert self._engine is not None
            self._saved_resumed()
            self._engine.wake()
        assert self._engine is not None and self._sender is not None
        await asyncio.gather(self._engine.run(), self._sender.run())

    async def _load_places(self) -> None:
        try:
            places = await self.backend.places()
        except ZettleError:
            if not self._places:
                self._use_places(self._cached_places())
            raise
        chosen = _places_in_use(places)
        missing = [kind.value for kind in PlaceKind if kind not in chosen]
        if missing:
            raise ZettleError(f"Zettle reported no {', '.join(missing)} location")
        store = self.store
        if (
            self._saved is not None
            and store is not None
            and store.uuid != chosen[PlaceKind.STORE].uuid
        ):
            self._forget_restored()
        self._use_places(places)
        self.journal.set_meta(
            PLACES_META,
            json.dumps(
                [
                    {"uuid": p.uuid, "kind": p.kind.value, "name": p.name, "default": p.default}
                    for p in places
                ]
            ),
        )

    def _read_catalogue_meanwhile(self) -> asyncio.Task[CatalogueRead] | None:
        """With no catalogue cached (a first launch), start reading it now, while the places
        are read: it names no place (at 46,000 variants its answer takes about a second).
        The first poll takes it instead of asking again; None when there is a cache (its ETag
        makes the catalogue's read a quick one, in the poll)."""
        if self._engine is not None or (self.cache_dir / CATALOGUE_FILE).exists():
            return None
        read = asyncio.create_task(self.backend.catalogue(None, CatalogueBuilder))
        read.add_done_callback(retrieved)
        return read

    def _use_places(self, places: list[Place]) -> None:
        chosen = _places_in_use(places)
        if not places or PlaceKind.STORE not in chosen:
            return
        self._places = list(places)
        self._used = chosen
        if self.store is None:
            self.store = chosen[PlaceKind.STORE]
            self._view.pending = self.journal.pending_changes(self.store.uuid)

    # -- the local snapshot ----------------------------------------------------------------------

    async def _wait_to_catch_up(self, *, restored: bool) -> None:
        """Before Zettle is first asked: ``catch_up_after``'s wait (a delay only after a paint
        from the snapshot)."""
        wait = self._catch_up_after
        if callable(wait):
            await wait()
        elif wait and restored:
            await asyncio.sleep(wait)

    def _restore(self) -> RowDiff | None:
        """Paint from the local snapshot: its places and named rows, the journal's pending
        movements on top (the catalogue is read after, in the background). False, with a log
        line, when there is none usable (then a full load as ever)."""
        if self._snapshot is None or self._view.rows:
            return None
        saved = self._snapshot.load()
        if saved is None or not self._use_saved_places(saved.places, saved.store):
            return None
        diff = self._view.restore(saved.rows, saved.tracked, saved.levels)
        rows = self._view.rows
        overlaid = [
            row for key in self._view.pending if (row := rows.get(key)) is not None and row.pending
        ]
        self._restored_counts = saved.counts.changed(
            (row.replace(pending=0) for row in overlaid), overlaid
        )
        self._saved_tracked = frozenset(saved.tracked)
        self._saved = saved
        self.restored_at = saved.saved_at
        log.info("painted %d rows from the local snapshot of %s", len(saved.rows), saved.saved_at)
        return diff

    def _use_saved_places(self, places: list[Place], store: str) -> bool:
        """The snapshot's places, when its STORE is the one they choose (else none, and a
        log line: everything is loaded afresh)."""
        self._use_places(places)
        if self.store is None or self.store.uuid != store:
            log.warning("the local snapshot's store is not this shop's: loading everything")
            self._places, self._used, self.store = [], {}, None
            return False
        return True

    def _restore_preview(self) -> bool:
        """The snapshot's first screenful (:attr:`preview`), its places, and the out / low
        counts with the pending overlay on; its rows are read whole later
        (:meth:`_restore_rows`). False when there is none to paint (then :meth:`_restore`)."""
        if self._snapshot is None or self._view.rows:
            return False
        preview = self._snapshot.load_preview()
        if preview is None or not self._use_saved_places(preview.places, preview.store):
            return False
        pending = {key: change for key, change in self._view.pending.items() if change}
        saved = {row.variant_uuid: row for row in preview.head}
        missing = [variant for (_product, variant) in pending if variant not in saved]
        if missing:
            saved.update(self._snapshot.rows_of(missing))
        before = [
            row for (product, variant) in pending
            if (row := saved.get(variant)) is not None and row.product_uuid == product
        ]  # fmt: skip
        after = [row.replace(pending=pending[row.key]) for row in before]
        shown = {row.key: row for row in after}
        self._preview = StockPreview(
            [shown.get(row.key, row) for row in preview.head], preview.total
        )
        self._restored_counts = preview.counts.changed(before, after)
        self.restored_at = preview.saved_at
        log.info("painting %d of %d rows from the local snapshot", len(preview.head), preview.total)
        return True

    def _restore_rows(self) -> None:
        """Every row of the snapshot after its preview was drawn (emitted as one full diff).
        A snapshot that can't be read now is forgotten: Zettle's rows come instead."""
        self._preview = None
        diff = self._restore()
        if diff is not None:
            self._emit(diff)
            return
        self._restored_counts = None
        self.restored_at = None
        self._publish_status()

    @property
    def preview(self) -> StockPreview | None:
        """The first screenful from the local snapshot while its rows are not read yet (with
        ``paint_first``), else None."""
        return self._preview

    def _saved_resumed(self) -> bool | None:
        """Hand the snapshot's position to the engine (once): True when it goes on from a
        saved cursor, False when it must read everything, None when nothing was restored."""
        saved, self._saved = self._saved, None
        if saved is None or self._engine is None:
            return None
        self._engine.resume(saved.cursor, time.time() - saved.full_at)
        return saved.cursor is not None

    def _drop_restored(self) -> None:
        """Another store is shown before Zettle confirmed the snapshot (the one shown last time):
        the snapshot's rows, preview and cursor are of the store it was of, so none of them is
        used; that store's rows are read from Zettle instead."""
        log.info("another store is shown: its rows come from Zettle, not the local snapshot")
        self._view.clear()  # (no diff: the screen shows the new store loading)
        self._preview = None
        self._saved = None
        self._restored_counts = None
        self.restored_at = None

    def _forget_restored(self) -> None:
        """The shop's STORE is not the one the snapshot was of: drop its rows and places."""
        log.warning("the local snapshot is of another store: reading everything afresh")
        self._emit(self._view.clear())
        self._places, self._used, self.store = [], {}, None
        self._saved = None
        self.restored_at = None

    def _keep_diff(self, diff: RowDiff) -> None:
        """Rows whose balance or low-stock setting changed, or that left, into the snapshot
        (a full read is written whole when it ends, see :meth:`_synced`)."""
        snapshot = self._snapshot
        if snapshot is None or diff.full or self._engine is None or self._full_save is not None:
            return  # (a full write waiting writes these rows too)
        upserts = list(diff.added)
        for change in diff.changed:
            old, new = change.old, change.new
            if (
                old.balance != new.balance
                or old.low_stock_level != new.low_stock_level
                or old.low_stock_alert != new.low_stock_alert
                or old.product_uuid != new.product_uuid
            ):
                upserts.append(new)
        snapshot.save_diff(upserts, [row.variant_uuid for row in diff.removed])

    def _synced(self, full: bool) -> None:
        """A poll succeeded: the snapshot follows (all of it after a full read, else the
        cursor, and the tracked products when they changed)."""
        self.restored_at = None
        snapshot, engine, store = self._snapshot, self._engine, self.store
        if snapshot is None or engine is None or store is None or self._full_save is not None:
            return  # (a full write waiting writes the cursor of its moment)
        tracked = self._view.tracked
        if full:
            wait, self._first_save_after = self._first_save_after, None
            if wait is not None:
                self._full_save = asyncio.create_task(self._save_full_after(wait))
            else:
                self._save_full()
            return
        changed = tracked != self._saved_tracked
        if changed:
            self._saved_tracked = frozenset(tracked)
        snapshot.save_position(engine.cursor, tracked if changed else None)

    def _save_full(self) -> None:
        """The whole view and the feed's cursor into the snapshot."""
        snapshot, engine, store = self._snapshot, self._engine, self.store
        if snapshot is None or engine is None or store is None:
            return
        tracked = self._view.tracked
        snapshot.save_full(
            self._view.rows.values(),
            self._view.low_stock,
            tracked,
            store,
            self._places,
            engine.cursor,
        )
        self._saved_tracked = frozenset(tracked)

    async def _save_full_after(self, wait: Callable[[], Awaitable[object]]) -> None:
        """The first full write, once ``wait`` returned; between two polls (under the lock), so
        the rows and the cursor are of one moment."""
        try:
            await wait()
        except Exception as error:  # the wait is a courtesy: the snapshot is written anyway
            log.warning("waiting to write the local snapshot failed: %s", error)
        async with self._lock:
            self._full_save = None
            self._save_full()

    def _cached_places(self) -> list[Place]:
        """The places kept from the last time Zettle was reached (empty if none or damaged)."""
        cached = self.journal.meta(PLACES_META)
        if not cached:
            return []
        try:
            return [
                Place(
                    uuid=str(UUID(str(item["uuid"]))),
                    kind=carried(PlaceKind, item["kind"]),
                    name=str(item.get("name") or ""),
                    default=bool(item.get("default")),
                )
                for item in json.loads(cached)
            ]
        except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
            log.warning("the cached places are unreadable; waiting for Zettle")
            return []

    def _build_workers(self) -> None:
        store = self.store
        assert store is not None
        # The backend may have found out what it speaks only now (api_version auto).
        self._view.levels_on_rows = self.backend.capabilities.levels_on_rows
        self._engine = SyncEngine(
            self.backend,
            self._view,
            self._lock,
            store,
            emit=self._emit,
            on_state=self._publish_status,
            on_polled=self._resync_pending,
            on_synced=self._synced,
            interval=self.poll_interval,
            full_every=self._full_every,
            catalogue_every=self._catalogue_every,
            max_backoff=self._max_backoff,
            paced_full_every=self._paced_full_every,
            writes_first=self._writes_first,
            answers=self._answers,
        )
        engine = self._engine
        cache = self.cache_dir / CATALOGUE_FILE
        cached = self._cached_catalogue or Catalogue.load(cache)
        self._cached_catalogue = None
        if cached is not None:
            engine.use_cached_catalogue(cached, cache)
        else:
            engine.catalogue_cache = cache
        self._sender = OutboxSender(
            self.backend,
            self.journal,
            self._lock,
            store,
            on_settled=self._settled,
            on_refused=self._refused,
            on_state=lambda _error: self._publish_status(),
            poll_generation=lambda: engine.generation,
            max_batch=self._max_batch,
            retry_base=self._retry[0],
            retry_max=self._retry[1],
            answers=self._answers,
        )

    # -- view and subscriptions -----------------------------------------------------------------

    @property
    def rows(self) -> Mapping[RowKey, StockRow]:
        """Every tracked variant's row, by ``(product_uuid, variant_uuid)`` (read-only, live)."""
        return self._view.rows

    @property
    def restored_counts(self) -> StockCounts | None:
        """How many rows are out and low, as painted from the local snapshot (the pending
        overlay included; kept in the file, so nobody judges 46,000 rows before the first
        paint); None once the rows changed, or when they were not painted from a snapshot."""
        return self._restored_counts

    @property
    def locations(self) -> dict[PlaceKind, Place]:
        """The place used for each kind: the shown STORE, and the default SUPPLIER, BIN and SOLD
        (empty until Zettle was reached once)."""
        used = dict(self._used)
        if self.store is not None:
            used[PlaceKind.STORE] = self.store
        return used

    @property
    def places(self) -> list[Place]:
        """Every place of the shop, as the backend named them (several STOREs with v3)."""
        return list(self._places)

    @property
    def stores(self) -> list[Place]:
        """The STORE places, the default first, then as the backend listed them (one on v1)."""
        found = [place for place in self._places if place.kind is PlaceKind.STORE]
        return sorted(found, key=lambda place: not place.default)

    @property
    def several_stores(self) -> bool:
        """The API can keep several stores (v3): :meth:`create_store` can make one."""
        return self.backend.capabilities.several_stores

    async def create_store(self, name: str) -> Place:
        """Create another STORE place (v3) and know it at once; raises ``ValueError`` for a bad
        name and :class:`~zinv_tui.service.backend.StoresNotSupported` on v1."""
        name = " ".join(name.split())
        if not name:
            raise ValueError("A store needs a name")
        if len(name) > STORE_NAME_MAX:
            raise ValueError(f"A store's name is at most {STORE_NAME_MAX} characters")
        if any(store.name.casefold() == name.casefold() for store in self.stores):
            raise ValueError(f"There is a store named {name!r} already")
        created = await self.backend.create_store(name)
        try:
            await self._load_places()
        except ZettleError:  # made, but not listed again yet: know it anyway
            self._places.append(created)
        if created not in self._places:
            self._places.append(created)
        return created

    async def switch_store(self, uuid: str) -> RowDiff | None:
        """Show the STORE place ``uuid``: its balances are read whole (None when that read
        failed: the next poll tries again), its pending movements overlaid."""
        place = next((store for store in self.stores if store.uuid == uuid), None)
        if place is None:
            raise ValueError("No such store in this shop")
        if place == self.store:
            return RowDiff()
        if self.restored_at is not None and not self.loaded:
            self._drop_restored()  # the snapshot's rows are the other store's
        async with self._lock:  # no poll or send is half-way through the old store
            self.store = place
            if self._engine is not None:
                self._engine.switch_place(place)
            if self._sender is not None:
                self._sender.store = place
            self._emit(self._view.set_low_stock({}, replace=True))  # the new store's come next
            self._emit(self._resync_pending())
        self._publish_status()
        if self._engine is None:
            return None
        return await self._engine.poll(full=True)

    @property
    def catalogue(self) -> Catalogue:
        """The Product Library as last loaded (names, SKUs, barcodes, prices, cost prices)."""
        return self._view.catalogue

    @property
    def status(self) -> SyncStatus:
        """The latest sync status (also pushed to :meth:`subscribe_status` callbacks)."""
        return self._status

    @property
    def counts(self) -> CountBook:
        """The stock counts of this profile (``count_book(self)``: made on first use, closed
        with the service)."""
        from zinv_tui.service.counts import count_book

        return count_book(self)

    @property
    def reorder(self) -> ReorderDesk:
        """The reorder desk of this profile (``reorder_desk(self)``: sales, settings, orders,
        receiving; made on first use, closed with the service)."""
        from zinv_tui.service.reorder_desk import reorder_desk

        return reorder_desk(self)

    def subscribe(self, callback: DiffCallback) -> Callable[[], None]:
        """Call ``callback(diff)`` after every change of the rows; returns an unsubscriber."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def subscribe_status(self, callback: StatusCallback) -> Callable[[], None]:
        """Call ``callback(status)`` whenever the sync status or outbox counts change."""
        self._status_subscribers.append(callback)
        return lambda: (
            self._status_subscribers.remove(callback)
            if callback in self._status_subscribers
            else None
        )

    def _emit(self, diff: RowDiff) -> None:
        if not diff:
            return
        self._restored_counts = None
        self._keep_diff(diff)
        for callback in list(self._subscribers):
            try:
                callback(diff)
            except Exception:
                log.exception("a row subscriber failed")

    def _publish_status(self, state: SyncState | None = None, error: str | None = None) -> None:
        pending, attention = self.journal.counts() if not self._closed else (0, 0)
        engine = self._engine
        state = state or (engine.state if engine else SyncState.STARTING)
        if state is SyncState.LIVE and self._answers.waiting:
            state = SyncState.WAITING  # live until now, but Zettle is not answering
        status = SyncStatus(
            state=state,
            last_success=engine.last_success if engine else None,
            last_error=error or (engine.last_error if engine else self._startup_error),
            pending_count=pending,
            attention_count=attention,
            sending_error=self._sender.last_error if self._sender else None,
            sending_unreachable=self._sender.last_error_unreachable if self._sender else False,
            next_poll_in=engine.next_delay if engine else None,
            rows=len(self._view.rows),
            place_uuid=self.store.uuid if self.store is not None else None,
            snapshot_from=self.restored_at if not self.loaded else None,
        )
        if status == self._status:
            return
        self._status = status
        for callback in list(self._status_subscribers):
            try:
                callback(status)
            except Exception:
                log.exception("a status subscriber failed")

    async def _writes_first(self) -> None:
        """Send what waits to be sent now, unless the sender is backing off after a failure
        (then a read would not get through either)."""
        sender = self._sender
        if sender is None or sender.next_try is not None or not self.journal.counts()[0]:
            return
        await sender.drain()

    async def refresh(self, *, full: bool = False) -> RowDiff | None:
        """Poll now (a full snapshot with ``full``); None when Zettle could not be read."""
        if self._engine is None:
            return None
        return await self._engine.poll(full=full)

    def find_rows(self, code: str) -> list[StockRow]:
        """Rows whose barcode or SKU is ``code`` (SKU in any case), or whose variant or product
        UUID is (see :mod:`zinv_tui.service.codes`)."""
        return find_rows(self._view.rows.values(), code)

    # -- movements -------------------------------------------------------------------------------

    def plan(
        self,
        intents: Sequence[MovementIntent],
        held: Mapping[PlaceKind, Mapping[RowKey, int]] | None = None,
        destination: Mapping[RowKey, int] | None = None,
    ) -> list[PlannedMovement]:
        """Preview: balance now -> after for each intent, with a plain error for bad ones.

        ``held``: balances at other places (from :meth:`place_balances`), so that a move out of
        one of them shows its now -> after and warns below zero too; ``destination``: balances
        at the store a transfer goes to (from :meth:`store_balances`)."""
        plans = plan_movements(intents, self._view.rows, held, destination)
        return [self._in_store(plan) for plan in plans]

    def _in_store(self, plan: PlannedMovement) -> PlannedMovement:
        """``plan``, refused when it names a store that is not the shown one (or, for a
        transfer, goes to the shown store or one this shop does not have)."""
        if plan.error is not None or self.store is None:
            return plan
        intent = plan.intent
        problem = None
        if intent.store is not None and intent.store != self.store.uuid:
            problem = f"made in {self.store_name(intent.store)} - switch to that store first"
        elif intent.reason is Reason.TRANSFER:
            if intent.to_store == self.store.uuid:
                problem = "a transfer goes to another store"
            elif all(store.uuid != intent.to_store for store in self.stores):
                problem = "a transfer goes to a store of this shop (that one is unknown)"
        if problem is None:
            return plan
        name = plan.row.label if plan.row is not None else plan.key[1]
        return replace(plan, error=f"{name}: {problem}", quantity=0, warning=None)

    def store_name(self, uuid: str) -> str:
        """A STORE place's name for the screen (``the main store`` for an unnamed default)."""
        for store in self.stores:
            if store.uuid == uuid:
                return store_label(store)
        return f"store {uuid[:8]}"

    async def store_balances(self, uuid: str) -> dict[RowKey, int]:
        """Balances at the STORE place ``uuid`` as this app's movements leave it (Zettle's plus
        those not acknowledged yet), e.g. for a transfer's preview."""
        place = next((store for store in self.stores if store.uuid == uuid), None)
        if place is None:
            raise ValueError("No such store in this shop")
        return await self._balances_at(place)

    async def record(self, intents: Sequence[MovementIntent]) -> list[OutboxEntry]:
        """Journal the movements (durably, all or none), show them at once, then send them.

        Raises :class:`MovementRejected` listing every bad line; a count that already matches
        records nothing for its line.
        """
        if not self.loaded:
            if self._snapshot_shown:
                # Zettle has not confirmed the rows yet: journaled as while offline (no balance
                # before is recorded), sent once Zettle answers.
                return self.record_offline(intents)
            raise ServiceNotReady(
                "The stock has not loaded yet - wait until the app reaches Zettle, then try again"
            )
        plans = self.plan(intents)
        problems = [plan.error for plan in plans if plan.error]
        if problems:
            raise MovementRejected(problems)
        drafts = [self._draft(plan) for plan in plans if plan.moves]
        if not drafts:
            return []
        return self._journal_drafts(drafts)

    @property
    def loaded(self) -> bool:
        """True once Zettle's balances were read (movements can be planned against them)."""
        return self._engine is not None and self._engine.generation > 0

    @property
    def _snapshot_shown(self) -> bool:
        """The rows are the local snapshot's, all of them read (not only its first screenful)."""
        return self.restored_at is not None and bool(self._view.rows)

    def known_variants(self) -> Mapping[RowKey, StockRow]:
        """Every variant this profile can name: the live rows once loaded (or painted from the
        local snapshot), else the cached catalogue's variants (balance unknown, shown as 0).
        Empty when there is neither."""
        if self.loaded or self._snapshot_shown:
            return self._view.rows
        catalogue = self._view.catalogue if len(self._view.catalogue) else None
        catalogue = catalogue or Catalogue.load(self.cache_dir / CATALOGUE_FILE)
        if catalogue is None:
            return {}
        return {
            (product.uuid, variant.uuid): StockRow(
                product.uuid, variant.uuid, product.name, variant.name, variant.sku,
                variant.barcode, 0,
            )
            for product in catalogue
            for variant in product.variants
        }  # fmt: skip

    def record_offline(self, intents: Sequence[MovementIntent]) -> list[OutboxEntry]:
        """Journal movements while Zettle can't be reached, to be sent by a later run.

        Variants come from :meth:`known_variants` and the places from the last time Zettle was
        reached; the balance before is unknown (not recorded), so a count (which needs it) is
        refused. Raises :class:`ServiceNotReady` when nothing local knows the places, and
        :class:`MovementRejected` for bad lines (nothing recorded).
        """
        if not self._places:
            self._use_places(self._cached_places())
        if not self._places:
            raise ServiceNotReady(
                "This profile has never reached Zettle, so the shop's locations are not known "
                "here - nothing was recorded"
            )
        rows = self.known_variants()
        plans = plan_movements(intents, rows)
        problems = [plan.error for plan in plans if plan.error]
        problems += [
            f"{plan.row.label if plan.row else plan.key[1]}: a count needs the current balance, "
            "which can't be read until Zettle answers"
            for plan in plans
            if plan.reason is Reason.SET_COUNT and not plan.error
        ]
        if problems:
            raise MovementRejected(problems)
        drafts = [replace(self._draft(plan), balance_before=None) for plan in plans if plan.moves]
        return self._journal_drafts(drafts)

    def place_of(self, kind: PlaceKind) -> Place:
        """The place of ``kind`` movements go to or come from (for STORE: the shown one)."""
        place = self.locations.get(kind)
        if place is None:
            if not self._places:
                raise ServiceNotReady(
                    "Not connected to Zettle yet - wait until the stock has loaded"
                )
            raise MovementRejected([f"This shop has no {kind.value} location"])
        return place

    def _draft(self, plan: PlannedMovement, undo_of: int | None = None) -> EntryDraft:
        row = plan.row
        assert row is not None and plan.from_type is not None and plan.to_type is not None
        return EntryDraft(
            reason=plan.reason,
            key=plan.key,
            product_name=row.product_name,
            variant_name=row.variant_name,
            sku=row.sku,
            barcode=row.barcode,
            from_type=plan.from_type,
            to_type=plan.to_type,
            from_location_uuid=self.place_of(plan.from_type).uuid,
            to_location_uuid=plan.intent.to_store or self.place_of(plan.to_type).uuid,
            quantity=plan.quantity,
            store_change=plan.store_change,
            balance_before=plan.balance_before,
            note=plan.intent.note.strip(),
            undo_of=undo_of,
        )

    def _shown_changes(self, entries: Iterable[OutboxEntry], sign: int = 1) -> dict[RowKey, int]:
        """What ``entries`` change at the shown STORE place, per variant (times ``sign``)."""
        changes: dict[RowKey, int] = defaultdict(int)
        if self.store is None:
            return changes
        for entry in entries:
            changes[entry.key] += sign * entry.change_at(self.store.uuid)
        return changes

    def _journal_drafts(self, drafts: Sequence[EntryDraft]) -> list[OutboxEntry]:
        entries = self.journal.record(drafts, self.user)
        self._emit(self._view.add_pending(self._shown_changes(entries)))
        self._publish_status()
        if self._sender is not None:
            self._sender.wake()
        return entries

    def _resync_pending(self) -> RowDiff:
        """Make the overlay (and the rows under it) equal to the journal's pending entries (a
        process may share the journal). Returns the diff, for the caller to emit: the engine
        folds it into its poll's diff (see :mod:`~zinv_tui.service.sync`)."""
        if self.store is None:
            return RowDiff()
        journal = self.journal.pending_changes(self.store.uuid)
        if journal == self._view.pending:
            return RowDiff()
        changes = {
            key: journal.get(key, 0) - self._view.pending.get(key, 0)
            for key in set(journal) | set(self._view.pending)
        }
        return self._view.add_pending({k: v for k, v in changes.items() if v})

    async def _settled(self, batch: Batch, balances: dict[RowKey, int] | None) -> None:
        self._emit(self._view.settle(self._shown_changes(batch.entries), balances or {}))
        if balances is None:
            products = sorted({entry.product_uuid for entry in batch.entries})
            try:
                fresh = await self._product_balances(products)
            except ZettleError:
                if self._engine is not None:
                    self._engine.request_full()
            else:
                self._emit(self._view.apply_products(products, fresh, tracked=False))
        self._publish_status()

    def _refused(self, entries: list[OutboxEntry]) -> None:
        self._emit(self._view.add_pending(self._shown_changes(entries, sign=-1)))
        self._publish_status()

    async def _product_balances(self, products: Sequence[str]) -> dict[RowKey, int]:
        assert self._engine is not None
        return await self._engine.product_balances(list(products))

    async def flush(self, wait: float | None = None) -> bool:
        """Send everything pending now, retrying for up to ``wait`` seconds (None: until done).

        Retries follow the sender's own backoff and Zettle's ``Retry-After`` (one rule, see
        :func:`~zinv_tui.service.outbox.retry_delay`); when the next try would come after the
        wait, it stops at once. True when nothing is left waiting to be sent.
        """
        if self._sender is None:
            return False
        sender = self._sender
        loop = asyncio.get_running_loop()
        deadline = None if wait is None else loop.time() + wait
        background = self._task is not None and not self._task.done()
        if background and sender.next_try is None:
            sender.wake()  # idle: make sure it looks (e.g. at entries another process recorded)

        def too_late() -> bool:  # the next try comes after the wait (Zettle asked for longer)
            next_try = sender.next_try
            return deadline is not None and next_try is not None and next_try > deadline

        async def send() -> None:
            while self.journal.counts()[0] and not too_late():
                if background:
                    await sender.round().wait()  # the background sender's next round
                    continue
                if sender.next_try is not None:
                    await asyncio.sleep(max(0.0, sender.next_try - loop.time()))
                await sender.drain()

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(send(), wait)
        self._publish_status()
        return self.journal.counts()[0] == 0

    # -- history, undo, outbox -------------------------------------------------------------------

    def history(
        self,
        text: str | None = None,
        reason: Reason | None = None,
        limit: int | None = None,
        *,
        status: OutboxStatus | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[OutboxEntry]:
        """The local movement journal, newest first, filtered by any of the arguments."""
        return self.journal.entries(
            text=text, reason=reason, limit=limit, status=status, since=since, until=until
        )

    def entries_by_id(self, ids: Iterable[int]) -> list[OutboxEntry]:
        """These movements as the journal has them now (in the order asked; unknown ids left
        out)."""
        return self.journal.entries_by_id(ids)

    def export_history_csv(self, target: CsvTarget, **filters: object) -> int:
        """Write the history (optionally filtered like :meth:`history`) to a CSV file or text
        stream."""
        from zinv_tui.service.csv_export import write_history_csv

        return write_history_csv(target, self.history(**filters))  # type: ignore[arg-type]

    def export_balances_csv(self, target: CsvTarget) -> int:
        """Write every row's balance to a CSV file or text stream; returns the number of rows."""
        from zinv_tui.service.csv_export import write_balances_csv

        return write_balances_csv(target, self._view.rows.values())

    def outbox_entries(self, status: OutboxStatus | None = None) -> list[OutboxEntry]:
        """Entries not yet settled (PENDING and NEEDS_ATTENTION) or, with ``status``, just those."""
        statuses = (
            [status] if status is not None else [OutboxStatus.PENDING, OutboxStatus.NEEDS_ATTENTION]
        )
        return self.journal.entries(status=statuses, newest_first=False)

    async def undo(self, entry_id: int) -> list[OutboxEntry]:
        """Record the opposite of an acknowledged movement, as an UNDO linked to it.

        Refused (``UndoRefused``) when the movement is pending, refused, an undo itself, or already
        undone; an undo that Zettle refuses and the user dismisses frees the original again.
        """
        original = self.journal.entry(entry_id)
        self.journal_check_undo(entry_id)
        row = self._view.rows.get(original.key)
        if row is None:
            raise MovementRejected(
                [f"{original.label}: not tracked any more - start tracking it to undo"]
            )
        before = row.shown_balance
        shown = self.store.uuid if self.store is not None else ""
        change = -original.change_at(shown)  # where it was made: maybe another store
        plan = PlannedMovement(
            intent=MovementIntent(
                Reason.UNDO, original.key, quantity=original.quantity, note=f"undo of #{entry_id}"
            ),
            row=row,
            balance_before=before,
            balance_after=before + change,
            quantity=original.quantity,
            from_type=original.to_type,
            to_type=original.from_type,
        )
        draft = replace(
            self._draft(plan, undo_of=entry_id),
            from_location_uuid=original.to_location_uuid,
            to_location_uuid=original.from_location_uuid,
        )
        return self._journal_drafts([draft])

    def journal_check_undo(self, entry_id: int) -> None:
        """Raise ``UndoRefused`` with the reason when ``entry_id`` cannot be undone now."""
        self.journal.check_undoable(entry_id)

    async def retry(self, entry_id: int) -> OutboxEntry:
        """Send a needs-attention movement again (e.g. after starting tracking)."""
        entry = self.journal.requeue(entry_id)
        self._emit(self._view.add_pending(self._shown_changes([entry])))
        self._publish_status()
        if self._sender is not None:
            self._sender.wake()
        return entry

    async def confirm_applied(self, entry_id: int) -> OutboxEntry:
        """The user found an unconfirmed movement in Zettle: record it as applied (never sent
        again; it can be undone like any other). The next read shows its balance."""
        entry = self.journal.confirm_applied(entry_id)
        self._publish_status()
        return entry

    async def dismiss(self, entry_id: int) -> OutboxEntry:
        """Give up on a needs-attention movement; it stays in the history as CANCELLED."""
        entry = self.journal.dismiss(entry_id)
        self._publish_status()
        return entry

    # -- low stock, tracking, other places ------------------------------------------------------

    async def set_low_stock(self, keys: Iterable[RowKey], level: int | None, alert: bool) -> None:
        """Set (or with ``level=None, alert=False`` clear) the low-stock level of variants."""
        if level is not None and (isinstance(level, bool) or not isinstance(level, int)):
            raise ValueError("The low-stock level must be a whole number")
        if level is not None and level < 0:
            raise ValueError("The low-stock level must be zero or more")
        wanted = list(dict.fromkeys(keys))
        await self.backend.set_low_stock(self.place_of(PlaceKind.STORE), wanted, level, alert)
        self._emit(self._view.set_low_stock({key: (level, bool(alert)) for key in wanted}, False))

    async def start_tracking(self, product_uuids: Iterable[str | UUID]) -> None:
        """Switch tracking on; the products' variants join the rows with their balances."""
        products = list(dict.fromkeys(_uuid_text(p) for p in product_uuids))
        await self.backend.set_tracking(products, True)
        async with self._lock:
            fresh = await self._product_balances(products)
            self._emit(self._view.apply_products(products, fresh, tracked=True))
        self._publish_status()

    async def stop_tracking(self, product_uuids: Iterable[str | UUID]) -> None:
        """Switch tracking off; Zettle keeps the balances but hides them, so the rows leave."""
        products = list(dict.fromkeys(_uuid_text(p) for p in product_uuids))
        await self.backend.set_tracking(products, False)
        self._emit(self._view.drop_products(products))
        self._publish_status()

    def untracked_products(self) -> list[CatalogueProduct]:
        """Catalogue products whose stock is not tracked, by name."""
        tracked = self._view.tracked
        found = [p for p in self._view.catalogue if p.uuid not in tracked]
        found.sort(key=lambda product: product.name.lower())
        return found

    async def write_access(self) -> bool | None:
        """False when the key provably can't change stock (None: it can't be told)."""
        return await self.backend.write_access()

    async def place_balances(self, kind: PlaceKind) -> dict[RowKey, int]:
        """Balances at the place of ``kind`` as this app's movements leave it: Zettle's, plus the
        movements recorded here and not acknowledged yet (one being delivered right now may count
        twice; these serve warnings, never the maths of a movement)."""
        return await self._balances_at(self.place_of(PlaceKind(kind)))

    async def _balances_at(self, place: Place) -> dict[RowKey, int]:
        balances = await self.backend.place_balances(place)
        waiting = self.journal.entries(status=[OutboxStatus.PENDING])
        for key, change in place_changes(place.uuid, waiting).items():
            balances[key] = balances.get(key, 0) + change
        return balances

    async def location_balances(self, kind: PlaceKind) -> dict[RowKey, int]:
        """Balances held at the place of ``kind`` (SOLD, BIN, SUPPLIER, or STORE), read from
        Zettle."""
        return await self.backend.place_balances(self.place_of(PlaceKind(kind)))


def _texts_of(rows: Sequence[StockRow]) -> Iterator[str]:
    """The rows' UUIDs and texts (a catalogue read after a restore shares these objects)."""
    for row in rows:
        yield row.product_uuid
        yield row.variant_uuid
        yield row.product_name
        yield row.variant_name
        yield row.sku
        yield row.barcode


def _places_in_use(places: Sequence[Place]) -> dict[PlaceKind, Place]:
    """The place used for each kind: the default one, else the first named."""
    chosen: dict[PlaceKind, Place] = {}
    for place in places:
        if place.kind not in chosen or (place.default and not chosen[place.kind].default):
            chosen[place.kind] = place
    return chosen
