"""``ReorderDesk``: what to buy, how much, and receiving it, for one ``InventoryService``.

One object per service (:func:`reorder_desk`), on the profile's ``reorder.sqlite``; closed with the
service. Reference::

    desk = reorder_desk(service)                   # or ReorderDesk(service, zone=ZoneInfo(...))
    await desk.refresh_sales(window_days=28)       # PurchaseScopeMissing without READ:PURCHASE
    desk.observe_stock()                           # today's balances, for stock-out days
    lines = desk.reorder_lines(ReorderParams(window_days=28, lead_time_days=7, cover_days=14))
    line.explain()                                 # the numbers behind a suggestion
    desk.settings.update(key, supplier="Bean Co", pack_size=12, lead_time_days=3)
    orders = desk.draft_orders([line for line in lines if line.suggested])  # one per supplier
    desk.orders.export_csv(order.id, "po.csv")     # the draft becomes ordered (on order)
    receipt = desk.receiving.start(order.id)
    desk.receiving.scan(receipt.id, "7310865004703") ; desk.receiving.set_received(...)
    desk.receiving.plan(receipt.id).summary()
    await desk.receiving.commit(receipt.id)        # SUPPLIER -> STORE through the outbox
    desk.stock_value()                             # on hand x catalogue cost, with totals
    desk.item_detail(key)                          # daily sales, estimated balance, movements
"""

from __future__ import annotations

import contextlib
import os
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, tzinfo
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zinv_tui.service.item_detail import (
    DayPoint,
    ItemDetail,
    estimated_balances,
    journal_events,
    newest_first,
    sales_events,
)
from zinv_tui.service.purchase_orders import OrderStatus, PurchaseOrder, PurchaseOrders
from zinv_tui.service.receiving import Receiving
from zinv_tui.service.reorder import ReorderParams
from zinv_tui.service.reorder_db import REORDER_FILE, open_reorder_db
from zinv_tui.service.reorder_list import ReorderLine, own_changes_by_day, reorder_lines
from zinv_tui.service.reorder_settings import ReorderSettings
from zinv_tui.service.rows import RowKey, StockRow
from zinv_tui.service.sales_history import (
    BACKFILL_DAYS,
    ProgressCallback,
    RefreshResult,
    SalesHistory,
    day_start,
)
from zinv_tui.service.stock_value import StockValue, stock_value

NO_SUPPLIER = "No supplier set"
"""The supplier of draft orders made from lines without one."""


def local_zone() -> tzinfo:
    """This computer's time zone, DST rules included (``TZ``, else ``/etc/localtime``); a fixed
    offset only when neither names a zone."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        link = os.readlink("/etc/localtime")
        candidates.append(link.split("zoneinfo/", 1)[1] if "zoneinfo/" in link else "")
    for name in candidates:
        if name:
            with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
                return ZoneInfo(name)
    return datetime.now().astimezone().tzinfo or ZoneInfo("UTC")


class ReorderDesk:
    """Sales history, reorder list, settings, purchase orders and receiving of one service."""

    def __init__(
        self,
        service: Any,
        *,
        zone: tzinfo | None = None,
        path: Path | str | None = None,
        backfill_days: int = BACKFILL_DAYS,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """``clock``: the time (epoch seconds) the sales history takes as now (tests and
        screenshots pin it; default ``time.time``)."""
        self.service = service
        self.zone = zone or local_zone()
        self.db = open_reorder_db(Path(path) if path else Path(service.state_dir) / REORDER_FILE)
        api = getattr(service, "sales", None)
        self.history = SalesHistory(
            self.db, api, self.zone, backfill_days=backfill_days, clock=clock or time.time
        )
        self.settings = ReorderSettings(self.db)
        self.orders = PurchaseOrders(self.db, str(getattr(service, "user", "") or ""))
        self.receiving = Receiving(self.db, service, self.orders)
        self.receiving.recover()

    def close(self) -> None:
        self.db.close()

    async def refresh_sales(
        self, window_days: int = 28, progress: ProgressCallback | None = None
    ) -> RefreshResult:
        """Bring the sales history up to date, reaching back far enough for ``window_days``
        (twice that, for slow items); ``progress`` is called after each page read."""
        result = await self.history.refresh(progress)
        await self.history.ensure_days(self.history.today() - 2 * window_days, progress)
        return result

    def observe_stock(self) -> None:
        """Note today's balances (which variants are out of stock) for the stock-out days."""
        self.history.observe_stock(
            {row.variant_uuid: row.shown_balance for row in self.service.rows.values()}
        )

    def reorder_lines(
        self, params: ReorderParams | None = None, rows: Iterable[StockRow] | None = None
    ) -> list[ReorderLine]:
        """Every tracked variant's line (or just those of ``rows``), most urgent first."""
        params = params or ReorderParams()
        plans, default = self.settings.plans(params)
        since = day_start(self.history.today() - 2 * params.window_days, self.zone)
        entries = self.service.history(since=since - timedelta(days=1))
        return reorder_lines(
            self.service.rows.values() if rows is None else rows,
            self.history,
            params=params,
            plans=plans,
            default_plan=default,
            on_order=self.orders.on_order(),
            own_changes=own_changes_by_day(entries, self.history),
        )

    def unit_cost(self, product_uuid: str, variant_uuid: str) -> int | None:
        """The catalogue's cost price of a variant (minor units), if it has one."""
        variant = self.service.catalogue.variant(product_uuid, variant_uuid)
        return None if variant is None else variant.cost_price

    def draft_orders(
        self, lines: Sequence[ReorderLine], *, into_drafts: bool = False
    ) -> list[PurchaseOrder]:
        """One draft order per supplier with the lines' suggested quantities (lines suggesting
        nothing are skipped). ``into_drafts``: a supplier's newest draft takes the lines (a line
        already on it gets the new quantity) instead of a new order."""
        by_supplier: dict[str, list[ReorderLine]] = {}
        for line in lines:
            if line.suggested > 0:
                by_supplier.setdefault(line.plan.supplier or NO_SUPPLIER, []).append(line)
        drafts: dict[str, PurchaseOrder] = {}
        if into_drafts:
            for draft in reversed(self.orders.orders([OrderStatus.DRAFT])):
                drafts[draft.supplier.casefold()] = draft  # newest wins (listed newest first)
        made = []
        for supplier, chosen in sorted(by_supplier.items()):
            order = drafts.get(supplier.casefold()) or self.orders.create(supplier)
            for line in chosen:
                self.orders.set_line(
                    order.id,
                    line.row,
                    line.suggested,
                    pack_size=line.plan.pack_size,
                    supplier_code=self.settings.get(line.row.variant_uuid).supplier_code or "",
                    unit_cost=self.unit_cost(*line.key),
                )
            made.append(self.orders.order(order.id))
        return made

    def drafted(self) -> dict[str, str]:
        """Per variant, the name of the newest draft order it is on (not on order yet)."""
        found: dict[str, str] = {}
        for order in reversed(self.orders.orders([OrderStatus.DRAFT])):
            for line in self.orders.lines(order.id):
                found[line.variant_uuid] = order.name
        return found

    def item_detail(self, key: RowKey, window_days: int = 28) -> ItemDetail:
        """One variant's daily sales, estimated balance and recent movements over the last
        ``window_days`` local days (today included), with its value at cost."""
        row = self.service.rows[key]
        today = self.history.today()
        first = today - window_days + 1
        daily = self.history.daily(row.variant_uuid, first, today)
        since = day_start(first, self.zone)
        entries = [
            entry
            for entry in self.service.history(text=row.variant_uuid, since=since)
            if entry.variant_uuid == row.variant_uuid
        ]
        own = own_changes_by_day(entries, self.history).get(row.variant_uuid, {})
        sold = {point.day: point.sold for point in daily}
        balances = estimated_balances(row.shown_balance, first, today, sold, own)
        days = [
            DayPoint(point.day, point.sold, point.refunded, balance)
            for point, balance in zip(daily, balances, strict=True)
        ]
        starts = {point.day: day_start(point.day, self.zone) for point in daily}
        events = newest_first([*journal_events(entries), *sales_events(daily, starts)])
        value = stock_value([row], self.service.catalogue).lines[0]
        return ItemDetail(row, days, events, value, self.orders.on_order().get(row.variant_uuid, 0))

    def stock_value(self) -> StockValue:
        """On hand x catalogue cost price for every tracked variant, with totals."""
        keyed = [
            (row.product_name.casefold(), row.variant_name.casefold(), row.variant_uuid, row)
            for row in self.service.rows.values()
        ]
        keyed.sort(key=_without_row)
        return stock_value([item[3] for item in keyed], self.service.catalogue)


def _without_row(item: tuple[str, str, str, Any]) -> tuple[str, str, str]:
    return item[0], item[1], item[2]


_DESKS: weakref.WeakKeyDictionary[Any, ReorderDesk] = weakref.WeakKeyDictionary()


def reorder_desk(service: Any, **options: Any) -> ReorderDesk:
    """The :class:`ReorderDesk` of ``service``: made on first use (``options`` apply then), closed
    and forgotten when the service's journal closes (``await service.stop()``)."""
    desk = _DESKS.get(service)
    if desk is None:
        desk = ReorderDesk(service, **options)
        _DESKS[service] = desk
        journal = getattr(service, "journal", None)
        if journal is not None and hasattr(journal, "on_close"):
            journal.on_close(partial(_close_desk, service))
    return desk


def _close_desk(service: Any) -> None:
    desk = _DESKS.pop(service, None)
    if desk is not None:
        desk.close()
