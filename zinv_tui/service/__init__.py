"""The service layer: live STORE stock, an outbox that never loses or doubles, local history.

No Textual here, and no Zettle wire format: the service runs on a backend
(:class:`~zinv_tui.service.backend.StockBackend`, built with the service by :mod:`zinv_tui.build`,
the composition root). The UI and the CLI use only the names below; the UI holds
the service as an :class:`InventoryPort` (the protocol of what it uses; ``InventoryService``
satisfies it). Reference::

    from zinv_tui.build import ShopAccess, open_inventory
    from zinv_tui.service import MovementIntent, PlaceKind, Reason

    service = open_inventory(ShopAccess(api_key, endpoints), state_dir=Path(...),
                             cache_dir=Path(...), poll_interval=5.0, user="ana")
    await service.start()            # places, catalogue, low-stock levels, balances; then polls
    service.rows                     # Mapping[RowKey, StockRow], RowKey = (product_uuid,
                                     #   variant_uuid)
    unsubscribe = service.subscribe(on_diff)    # on_diff(RowDiff) after every change
    service.subscribe_status(on_status)         # on_status(SyncStatus)
    service.status                   # the latest SyncStatus (state, last_success, last_error,
                                     #   counts)
    service.store                    # the STORE Place shown (uuid, kind, name, default)
    service.locations                # {PlaceKind: Place} in use; service.places: every place
    await service.refresh(full=False)           # poll now
    service.find_rows("ABC-123")     # rows by exact SKU / barcode / UUID

    plans = service.plan([MovementIntent(Reason.RESTOCK, key, quantity=5)])  # before -> after,
                                     #   errors; held={PlaceKind.BIN: place_balances(BIN)}
                                     #   adds a move's source place (and its below-zero warning)
    entries = await service.record(intents)     # journal (durable), show at once (row.pending),
                                     #   send; raises MovementRejected(problems) when any line
                                     #   is invalid (nothing recorded)
    await service.flush(10)          # send now (retrying as the sender does, up to 10 s);
                                     #   True when nothing is left pending
    service.record_offline(intents)  # Zettle unreachable: journal from the cached catalogue
                                     #   (service.known_variants()); sent by a later run

    service.history(text=None, reason=None, limit=None, status=None, since=None, until=None)
    service.export_history_csv(path, **same filters) ; service.export_balances_csv(path)
    await service.undo(entry_id)     # opposite movement, reason UNDO, linked by undo_of
    service.journal_check_undo(entry_id)    # raises UndoRefused(why) when it cannot be undone
    service.outbox_entries(status=None)     # PENDING + NEEDS_ATTENTION (or one status)
    await service.retry(entry_id) ; await service.dismiss(entry_id)   # needs-attention entries

    await service.set_low_stock(keys, level=5, alert=True)   # level=None, alert=False clears
    await service.start_tracking(product_uuids) ; await service.stop_tracking(product_uuids)
    service.untracked_products()     # list[CatalogueProduct] from the catalogue
    service.counts                   # the profile's CountBook (= count_book(service))
    await service.location_balances(PlaceKind.BIN)      # {RowKey: balance}, read from Zettle
    await service.place_balances(PlaceKind.BIN)         # the same plus movements waiting here
    await service.write_access()     # False when the key can't change stock (None: unknown)
    await service.stop()             # (closes the backend too when open_inventory built it)

Intents (see :mod:`zinv_tui.service.movements` for the direction table):

- ``MovementIntent(Reason.RESTOCK | SALE | DISCARD | RETURN_TO_SUPPLIER, key, quantity=N)``
- ``MovementIntent(Reason.SET_COUNT, key, count=N[, counted_against=B][, to_type=...,
  from_type=...])``
- ``MovementIntent(Reason.MOVE, key, quantity=N, from_type=..., to_type=...)``
- every intent takes ``note="..."``; several intents in one ``record`` call form one group.

Local file failures: ``InventoryService(...)`` raises :class:`StateFileDamaged` when the journal
(``outbox.sqlite``) is not a readable database: it was moved aside and the message says where (show
it; the next start begins an empty journal); :class:`SchemaTooNew` (a :class:`StateFileError`) when
a newer zinv-tui wrote it (nothing is changed). An older journal is upgraded on opening, after a
copy beside it (:mod:`zinv_tui.service.journal_schema`). Opening, ``record`` and the other writes
raise :class:`StateFileError` with a plain sentence for a full disk, a busy or unwritable file.

Undo rules: only ACKNOWLEDGED movements; not an undo (record the movement again instead); not
twice (an undo that Zettle refused and the user dismissed frees the original again).

Stock counts (:mod:`zinv_tui.service.counts`): ``book = count_book(service)``; ``book.start(...)``,
``scan`` / ``add`` / ``set_count`` / ``remove_scan``, ``review``, ``plan_commit``, ``await
book.commit(id, confirm_drift=..., zero_uncounted=...)``, ``export_csv``; the book closes with the
service (``stop``).

Reorder (:mod:`zinv_tui.service.reorder_desk`): ``desk = reorder_desk(service)``; ``await
desk.refresh_sales()`` (the Purchase API, incremental), ``desk.observe_stock()``,
``desk.reorder_lines(ReorderParams(...))`` (most urgent first, ``line.explain()``),
``desk.settings``, ``desk.draft_orders(lines)``, ``desk.orders`` (purchase orders, CSV for the
supplier), ``desk.receiving`` (scan what arrived, commit through the outbox),
``desk.stock_value()``, ``desk.item_detail(key)``; closed with the service. Without the scope
``READ:PURCHASE`` reading sales raises :class:`PurchaseScopeMissing` (its message says how to add
it).

Rows: :class:`StockRow` is immutable; ``balance`` is Zettle's number, ``pending`` own movements not
yet acknowledged, ``shown_balance`` their sum. :class:`RowDiff` has ``added``, ``changed``
(:class:`RowChange` with ``old`` and ``new`` rows) and ``removed``; ``full`` marks a snapshot.

Names and text (:mod:`zinv_tui.service.row_text`, one rule for the balances filter, ``balances
--filter``, filtered counts and the pickers): ``variant_label(product, variant)`` (``row.label``),
``row_matches(row, text)`` (every word in the product, variant, SKU or barcode, ignoring case),
``matching_rows(rows, text)``; ``search_terms`` / ``search_text`` / ``text_matches`` for indexes.

Out and low (:mod:`zinv_tui.service.stock_rules`, one definition for every screen and command):
``row.state`` / ``row_state(row)`` is OUT (tracked, shown balance <= 0), LOW (not out, level set,
shown balance <= level) or OK; ``StockCounts.of(rows)``, ``StockTally`` (running counts from
diffs), ``urgency(row)`` (sort key, most urgent first), ``restock_rows(rows)`` (out + low, sorted).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zinv_tui.api.errors import PurchaseScopeMissing
    from zinv_tui.service.backend import Place, PlaceKind, StockBackend
    from zinv_tui.service.catalogue import Catalogue, CatalogueProduct, CatalogueVariant
    from zinv_tui.service.codes import CodeIndex
    from zinv_tui.service.counts import (
        CommitPlan,
        CommitResult,
        CountBook,
        CountError,
        CountLine,
        CountScan,
        CountScope,
        CountSession,
        CountStatus,
        DriftNotConfirmed,
        ReviewLine,
        UnknownCode,
        count_book,
    )
    from zinv_tui.service.inventory import InventoryService, ServiceNotReady
    from zinv_tui.service.item_detail import DayPoint, EventKind, ItemDetail, ItemEvent
    from zinv_tui.service.journal import HistoryEntry, OutboxEntry, OutboxStatus, UndoRefused
    from zinv_tui.service.journal_schema import SchemaTooNew
    from zinv_tui.service.movements import MovementIntent, MovementRejected, PlannedMovement, Reason
    from zinv_tui.service.purchase_orders import OrderError, OrderLine, OrderStatus, PurchaseOrder
    from zinv_tui.service.quantities import MAX_QUANTITY, parse_quantity, too_large
    from zinv_tui.service.receiving import (
        LineState,
        Receipt,
        ReceiptPlan,
        ReceiptStatus,
        ReceivingError,
        UnknownItem,
    )
    from zinv_tui.service.reorder import ReorderParams, ReorderStatus
    from zinv_tui.service.reorder_db import ReorderDbError
    from zinv_tui.service.reorder_desk import ReorderDesk, reorder_desk
    from zinv_tui.service.reorder_list import ReorderLine
    from zinv_tui.service.reorder_settings import SettingsError, Supplier, VariantSettings
    from zinv_tui.service.row_text import (
        joined_text,
        leading_names,
        matching_rows,
        row_matches,
        search_terms,
        search_text,
        search_texts,
        text_matches,
        variant_label,
    )
    from zinv_tui.service.rows import RowChange, RowDiff, RowKey, StockRow
    from zinv_tui.service.sales_history import SalesProgress
    from zinv_tui.service.state_db import StateFileDamaged, StateFileError
    from zinv_tui.service.status import SyncState, SyncStatus
    from zinv_tui.service.stock_rules import (
        StockCounts,
        StockState,
        StockTally,
        needs_restock,
        restock_need,
        restock_rows,
        row_state,
        stock_state,
        urgency,
    )
    from zinv_tui.service.stock_value import StockValue, ValueLine, money
    from zinv_tui.service.ui_port import DiffCallback, InventoryPort, StatusCallback, Unsubscribe

_EXPORTS: dict[str, tuple[str, ...]] = {
    "zinv_tui.api.errors": ("PurchaseScopeMissing",),
    "zinv_tui.service.backend": ("Place", "PlaceKind", "StockBackend"),
    "zinv_tui.service.catalogue": ("Catalogue", "CatalogueProduct", "CatalogueVariant"),
    "zinv_tui.service.codes": ("CodeIndex",),
    "zinv_tui.service.counts": (
        "CommitPlan",
        "CommitResult",
        "CountBook",
        "CountError",
        "CountLine",
        "CountScan",
        "CountScope",
        "CountSession",
        "CountStatus",
        "DriftNotConfirmed",
        "ReviewLine",
        "UnknownCode",
        "count_book",
    ),
    "zinv_tui.service.inventory": ("InventoryService", "ServiceNotReady"),
    "zinv_tui.service.item_detail": ("DayPoint", "EventKind", "ItemDetail", "ItemEvent"),
    "zinv_tui.service.journal": ("HistoryEntry", "OutboxEntry", "OutboxStatus", "UndoRefused"),
    "zinv_tui.service.journal_schema": ("SchemaTooNew",),
    "zinv_tui.service.movements": (
        "MovementIntent",
        "MovementRejected",
        "PlannedMovement",
        "Reason",
    ),
    "zinv_tui.service.purchase_orders": (
        "OrderError",
        "OrderLine",
        "OrderStatus",
        "PurchaseOrder",
    ),
    "zinv_tui.service.quantities": ("MAX_QUANTITY", "parse_quantity", "too_large"),
    "zinv_tui.service.receiving": (
        "LineState",
        "Receipt",
        "ReceiptPlan",
        "ReceiptStatus",
        "ReceivingError",
        "UnknownItem",
    ),
    "zinv_tui.service.reorder": ("ReorderParams", "ReorderStatus"),
    "zinv_tui.service.reorder_db": ("ReorderDbError",),
    "zinv_tui.service.reorder_desk": ("ReorderDesk", "reorder_desk"),
    "zinv_tui.service.reorder_list": ("ReorderLine",),
    "zinv_tui.service.reorder_settings": ("SettingsError", "Supplier", "VariantSettings"),
    "zinv_tui.service.row_text": (
        "joined_text",
        "leading_names",
        "matching_rows",
        "row_matches",
        "search_terms",
        "search_text",
        "search_texts",
        "text_matches",
        "variant_label",
    ),
    "zinv_tui.service.rows": ("RowChange", "RowDiff", "RowKey", "StockRow"),
    "zinv_tui.service.sales_history": ("SalesProgress",),
    "zinv_tui.service.state_db": ("StateFileDamaged", "StateFileError"),
    "zinv_tui.service.status": ("SyncState", "SyncStatus"),
    "zinv_tui.service.stock_rules": (
        "StockCounts",
        "StockState",
        "StockTally",
        "needs_restock",
        "restock_need",
        "restock_rows",
        "row_state",
        "stock_state",
        "urgency",
    ),
    "zinv_tui.service.stock_value": ("StockValue", "ValueLine", "money"),
    "zinv_tui.service.ui_port": ("DiffCallback", "InventoryPort", "StatusCallback", "Unsubscribe"),
}
"""Where each name lives: a name is imported from its module when first used, so importing one
module of the service (``zinv_tui.service.rows``) does not load all of them (the reorder desk,
counts, purchase orders...): the TUI paints sooner. Kept equal to the imports above (a test)."""


__all__ = [
    "MAX_QUANTITY",
    "Catalogue",
    "CatalogueProduct",
    "CatalogueVariant",
    "CodeIndex",
    "CommitPlan",
    "CommitResult",
    "CountBook",
    "CountError",
    "CountLine",
    "CountScan",
    "CountScope",
    "CountSession",
    "CountStatus",
    "DayPoint",
    "DiffCallback",
    "DriftNotConfirmed",
    "EventKind",
    "HistoryEntry",
    "InventoryPort",
    "InventoryService",
    "ItemDetail",
    "ItemEvent",
    "LineState",
    "MovementIntent",
    "MovementRejected",
    "OrderError",
    "OrderLine",
    "OrderStatus",
    "OutboxEntry",
    "OutboxStatus",
    "Place",
    "PlaceKind",
    "PlannedMovement",
    "PurchaseOrder",
    "PurchaseScopeMissing",
    "Reason",
    "Receipt",
    "ReceiptPlan",
    "ReceiptStatus",
    "ReceivingError",
    "ReorderDbError",
    "ReorderDesk",
    "ReorderLine",
    "ReorderParams",
    "ReorderStatus",
    "ReviewLine",
    "RowChange",
    "RowDiff",
    "RowKey",
    "SalesProgress",
    "SchemaTooNew",
    "ServiceNotReady",
    "SettingsError",
    "StateFileDamaged",
    "StateFileError",
    "StatusCallback",
    "StockBackend",
    "StockCounts",
    "StockRow",
    "StockState",
    "StockTally",
    "StockValue",
    "Supplier",
    "SyncState",
    "SyncStatus",
    "UndoRefused",
    "UnknownCode",
    "UnknownItem",
    "Unsubscribe",
    "ValueLine",
    "VariantSettings",
    "count_book",
    "joined_text",
    "leading_names",
    "matching_rows",
    "money",
    "needs_restock",
    "parse_quantity",
    "reorder_desk",
    "restock_need",
    "restock_rows",
    "row_matches",
    "row_state",
    "search_terms",
    "search_text",
    "search_texts",
    "stock_state",
    "text_matches",
    "too_large",
    "urgency",
    "variant_label",
]


def __getattr__(name: str) -> Any:
    for module, names in _EXPORTS.items():
        if name in names:
            value = getattr(importlib.import_module(module), name)
            globals()[name] = value
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """The package keeps a function named like its module (``reorder_desk``) when that module is
    imported (the import system sets the module as the package's attribute of that name)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and value.__name__ == f"{__name__}.{name}":
            value = getattr(value, name, value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
