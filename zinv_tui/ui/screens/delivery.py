"""What the order screens share: the supplier CSV (asked where, never over a file without asking)
and booking a delivery (a confirmation that says what goes into stock, then the outbox)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from rich.text import Text

from zinv_tui.service import (
    LineState,
    OrderError,
    OrderStatus,
    PurchaseOrder,
    ReceiptStatus,
    ReceivingError,
)
from zinv_tui.service.receiving import Receipt, ReceiptPlan, ReceiptResult
from zinv_tui.ui.screens.desk_screen import DeskScreen
from zinv_tui.ui.screens.dialogs import ConfirmDialog, PathDialog
from zinv_tui.ui.screens.purchase_dialogs import BOOK_AND_CLOSE, BookDeliveryDialog


def default_order_path(order: PurchaseOrder, now: datetime) -> Path:
    """``~/<order name>-<supplier>-YYYYMMDD.csv`` (the supplier's name made file-safe)."""
    supplier = "".join(c if c.isalnum() else "-" for c in order.supplier).strip("-")[:30]
    return Path.home() / f"{order.name}-{supplier or 'supplier'}-{now:%Y%m%d}.csv"


def export_order(screen: DeskScreen, order: PurchaseOrder, done: Callable[[], None]) -> None:
    """Ask where, write the order's CSV for the supplier, say where it went; a draft becomes
    ordered (on order). ``done`` runs after a successful export."""
    note = Text("One line per item: supplier code, SKU, barcode, quantity, packs, cost.")
    if order.status is OrderStatus.DRAFT:
        note.append("\nThe order then counts as on order.", style="bold")

    def chosen(path: Path | None) -> None:
        if path is None:
            return
        try:
            lines = screen.desk.orders.export_csv(order.id, path)
        except (OSError, OrderError) as error:
            screen.notify(f"Export failed: {error}", severity="error", markup=False)
            return
        screen.notify(
            f"{order.name}: {lines} line{'s' if lines != 1 else ''} written to {path}",
            markup=False,
            timeout=10,
        )
        done()

    default = default_order_path(order, datetime.now())
    screen.app.push_screen(
        PathDialog(f"Export {order.name} for {order.supplier} (CSV)", default, note=note), chosen
    )


def open_receipt(screen: DeskScreen, order_id: int) -> Receipt | None:
    """The order's receipt being entered (None when no delivery is being received)."""
    receipts = screen.desk.receiving.receipts(order_id)
    for receipt in reversed(receipts):
        if receipt.status in (ReceiptStatus.OPEN, ReceiptStatus.COMMITTING):
            return receipt
    return None


def booking_text(plan: ReceiptPlan) -> Text:
    """What booking would do, line by line when something is off."""
    body = Text("Into stock now (SUPPLIER → STORE, through the outbox):\n", style="bold")
    body.append(plan.summary())
    off = [line for line in plan.lines if line.state is not LineState.COMPLETE or line.damaged]
    for line in off[:4]:
        body.append(f"\n· {line.label}: ", style="dim")
        body.append(f"{line.good} of {line.expected}")
        if line.damaged:
            body.append(f", {line.damaged} damaged")
        body.append(f" ({line.state.value})", style="dim")
    if len(off) > 4:
        body.append(f"\n· and {len(off) - 4} more", style="dim")
    return body


def confirm_booking(screen: DeskScreen, order_id: int, then: Callable[[int, bool], object]) -> None:
    """Show what booking the open receipt would do; ``then(receipt_id, close_short)`` once
    the user chose to book."""
    receipt = open_receipt(screen, order_id)
    if receipt is None:
        screen.notify("Nothing received yet: r scans what arrived", severity="warning")
        return
    plan = screen.desk.receiving.plan(receipt.id)
    if not plan.intents and not plan.damaged_units:
        screen.notify("Nothing received yet: scan or type what arrived", severity="warning")
        return
    short = any(line.still_expected for line in plan.lines)
    body = booking_text(plan)
    if short:
        body.append("\nWhat did not arrive stays on order", style="bold")
        body.append(" (or close the order short: it is no longer expected).")
    order = screen.desk.orders.order(order_id)

    def answered(choice: str | None) -> None:
        if choice is not None:
            then(receipt.id, choice == BOOK_AND_CLOSE)

    screen.app.push_screen(
        BookDeliveryDialog(f"Book this delivery of {order.name}?", body, short), answered
    )


async def book_delivery(
    screen: DeskScreen, receipt_id: int, close_short: bool
) -> ReceiptResult | None:
    """Commit a receipt through the outbox and say what happened (None: it failed, said why)."""
    try:
        result = await screen.desk.receiving.commit(receipt_id, close_short=close_short)
    except (ReceivingError, OrderError, ValueError) as error:  # MovementRejected: ValueError
        screen.notify(f"Not booked: {error}", severity="error", markup=False, timeout=10)
        return None
    except Exception as error:  # a full disk, the service not loaded
        screen.notify(f"Not booked: {error}", severity="error", markup=False, timeout=10)
        return None
    units = result.plan.good_units
    screen.zinv_app.sending_toasts.show(
        f"{units} unit{'s' if units != 1 else ''} booked into stock "
        f"(the order is {result.order_status.value})",
        result.entries,
        timeout=8,
    )
    return result


def confirm_drop(screen: DeskScreen, order: PurchaseOrder, then: Callable[[], None]) -> None:
    """Cancel an order nothing arrived of, or close a partly received one short (Cancel is
    focused: neither is undone by a key)."""
    if order.status in (OrderStatus.DRAFT, OrderStatus.ORDERED):
        title = f"Cancel {order.name}?"
        body = Text(f"{order.supplier}: its lines stop counting as on order. Nothing is sent.")
        verb = "Cancel order"
    elif order.status is OrderStatus.PARTIAL:
        title = f"Close {order.name} short?"
        body = Text(
            f"{order.supplier}: what has not arrived is no longer expected (it stops counting "
            "as on order). What arrived stays booked."
        )
        verb = "Close short"
    else:
        screen.notify(f"{order.name} is {order.status.value} already", severity="warning")
        return

    def answered(yes: bool | None) -> None:
        if yes:
            then()

    screen.app.push_screen(ConfirmDialog(title, body, verb, safe_default=True), answered)
