"""``InventoryPort``: everything the TUI uses of the service, and nothing more.

``ZinvApp(service: InventoryPort)`` and every screen reach the service through this protocol, so a
type checker sees each call the UI makes, and a rename in the service breaks the type check (and
the UI's tests) instead of failing quietly at run time. :class:`InventoryService` satisfies it;
``tests/test_ui_port.py`` holds the assignment mypy checks. See
:class:`~zinv_tui.service.inventory.InventoryService` for what each member does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from zinv_tui.service.backend import Place, PlaceKind
from zinv_tui.service.catalogue import CatalogueProduct
from zinv_tui.service.journal import OutboxEntry, OutboxStatus
from zinv_tui.service.movements import MovementIntent, PlannedMovement, Reason
from zinv_tui.service.rows import RowDiff, RowKey, StockPreview, StockRow
from zinv_tui.service.status import SyncStatus
from zinv_tui.service.stock_rules import StockCounts

if TYPE_CHECKING:  # the counts, export and reorder modules load when first used
    from zinv_tui.service.counts import CountBook
    from zinv_tui.service.csv_export import CsvTarget
    from zinv_tui.service.reorder_desk import ReorderDesk

DiffCallback = Callable[[RowDiff], None]
"""Called with each :class:`RowDiff` of the rows, on the service's loop (must not block)."""
StatusCallback = Callable[[SyncStatus], None]
"""Called with each new :class:`SyncStatus`."""
Unsubscribe = Callable[[], None]


class InventoryPort(Protocol):
    """The service as the UI sees it: live rows and status, movements, history, settings."""

    user: str
    """Who is working: recorded with each movement (a browser session asks for it)."""

    @property
    def state_dir(self) -> Path:
        """The profile's state directory (the UI keeps its preferences there)."""
        ...

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self, *, require_load: bool = False) -> None: ...
    async def stop(self) -> None: ...
    async def refresh(self, *, full: bool = False) -> RowDiff | None: ...

    # -- live data ----------------------------------------------------------------------------

    @property
    def rows(self) -> Mapping[RowKey, StockRow]: ...
    @property
    def preview(self) -> StockPreview | None:
        """The first screenful of a launch from the local snapshot, until its rows are read."""
        ...

    @property
    def restored_counts(self) -> StockCounts | None:
        """Out and low counts of rows just painted from the local snapshot (None otherwise)."""
        ...

    @property
    def status(self) -> SyncStatus: ...
    @property
    def locations(self) -> Mapping[PlaceKind, Place]: ...
    @property
    def store(self) -> Place | None:
        """The STORE place shown (None until Zettle was reached once)."""
        ...

    @property
    def stores(self) -> list[Place]: ...
    @property
    def several_stores(self) -> bool: ...
    def store_name(self, uuid: str) -> str: ...
    async def create_store(self, name: str) -> Place: ...
    async def switch_store(self, uuid: str) -> RowDiff | None: ...
    async def store_balances(self, uuid: str) -> dict[RowKey, int]: ...
    def subscribe(self, callback: DiffCallback) -> Unsubscribe: ...
    def subscribe_status(self, callback: StatusCallback) -> Unsubscribe: ...

    # -- movements ----------------------------------------------------------------------------

    def plan(
        self,
        intents: Sequence[MovementIntent],
        held: Mapping[PlaceKind, Mapping[RowKey, int]] | None = None,
        destination: Mapping[RowKey, int] | None = None,
    ) -> list[PlannedMovement]: ...
    async def record(self, intents: Sequence[MovementIntent]) -> list[OutboxEntry]: ...
    async def place_balances(self, kind: PlaceKind) -> dict[RowKey, int]: ...
    async def location_balances(self, kind: PlaceKind) -> dict[RowKey, int]: ...

    # -- history and the outbox ---------------------------------------------------------------

    def history(
        self,
        text: str | None = None,
        reason: Reason | None = None,
        limit: int | None = None,
        *,
        status: OutboxStatus | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[OutboxEntry]: ...
    def entries_by_id(self, ids: Iterable[int]) -> list[OutboxEntry]: ...
    def export_history_csv(self, target: CsvTarget, **filters: object) -> int: ...
    def export_balances_csv(self, target: CsvTarget) -> int: ...
    async def undo(self, entry_id: int) -> list[OutboxEntry]: ...
    async def retry(self, entry_id: int) -> OutboxEntry: ...
    async def dismiss(self, entry_id: int) -> OutboxEntry: ...
    async def confirm_applied(self, entry_id: int) -> OutboxEntry: ...

    # -- low stock, tracking, counts ----------------------------------------------------------

    async def set_low_stock(
        self, keys: Iterable[RowKey], level: int | None, alert: bool
    ) -> None: ...
    async def start_tracking(self, product_uuids: Iterable[str | UUID]) -> None: ...
    async def stop_tracking(self, product_uuids: Iterable[str | UUID]) -> None: ...
    def untracked_products(self) -> list[CatalogueProduct]: ...
    @property
    def counts(self) -> CountBook:
        """The stock counts of this profile (one book per service, closed with it)."""
        ...

    @property
    def reorder(self) -> ReorderDesk:
        """The reorder desk of this profile (one per service, closed with it)."""
        ...
