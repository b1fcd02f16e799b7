"""``zinv-tui reorder`` (what to buy and how much) and ``zinv-tui value`` (stock at cost)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from zinv_tui.commands.arg_types import number_type
from zinv_tui.commands.context import run_async, settings_from_args
from zinv_tui.commands.exit_codes import CommandError, ExitCode
from zinv_tui.commands.output import render_rows
from zinv_tui.commands.session import open_service
from zinv_tui.service.wording import plural

if TYPE_CHECKING:  # the reorder desk loads when a command uses it (a faster start)
    from zinv_tui.service import ReorderLine, StockValue

REORDER_COLUMNS = (
    "sku",
    "name",
    "balance",
    "per_day",
    "days_of_cover",
    "on_order",
    "suggested",
    "pack_size",
    "status",
    "supplier",
    "variant_uuid",
)
"""Printed columns (``--format json`` prints these too; every line also has the keys
``sku, variant_uuid, name, balance, per_day, days_of_cover, on_order, suggested, pack_size``)."""
VALUE_COLUMNS = ("sku", "name", "balance", "unit_cost", "value", "currency", "variant_uuid")
_window = number_type(
    int, lambda v: 1 <= v <= 365, "is not a whole number of days", "{value} must be 1-365 days"
)
_days = number_type(
    float, lambda v: 0 <= v <= 365, "is not a number of days", "{text} must be 0-365 days"
)


def add_reorder_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``reorder``."""
    parser.add_argument(
        "--days", type=_window, default=28, help="sales window in local days (default 28)"
    )
    parser.add_argument(
        "--lead-time",
        type=_days,
        default=7.0,
        help="days from ordering to stock on the shelf (default 7; per-variant settings win)",
    )
    parser.add_argument(
        "--cover", type=_days, default=14.0, help="days an order should last (default 14)"
    )
    parser.add_argument(
        "--safety", type=_days, default=2.0, help="safety stock in days of sales (default 2)"
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="every tracked variant (default: only those with a suggested order)",
    )
    parser.add_argument("--supplier", metavar="NAME", help="only this supplier's variants")
    parser.add_argument(
        "--refunds-count",
        action="store_true",
        help="refunds do not reduce demand (e.g. a café: the coffee was made anyway)",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="use the sales history kept locally; do not read new sales from Zettle",
    )


def _open_desk(service: Any) -> Any:
    from zinv_tui.service import ReorderDbError, reorder_desk

    try:
        return reorder_desk(service)
    except ReorderDbError as error:
        raise CommandError(str(error)) from None


def _note_history(desk: Any) -> None:
    first = desk.history.first_complete_day()
    if first is None:
        print("zinv-tui: no sales history yet (run without --offline)", file=sys.stderr)


def cmd_reorder(args: argparse.Namespace) -> int:
    """Print what to order: per variant the sales per day, days of cover, on order and the
    suggested quantity, most urgent first."""
    from zinv_tui.api import PurchaseScopeMissing
    from zinv_tui.service import ReorderParams, ReorderStatus

    settings = settings_from_args(args)
    params = ReorderParams(
        window_days=args.days,
        lead_time_days=args.lead_time,
        cover_days=args.cover,
        safety_days=args.safety,
        refunds_reduce_demand=not args.refunds_count,
    )

    async def work() -> list[ReorderLine]:
        async with open_service(settings) as service:
            desk = _open_desk(service)
            if not args.offline:
                try:
                    await desk.refresh_sales(args.days)
                except PurchaseScopeMissing as error:
                    raise CommandError(str(error), ExitCode.AUTH) from None
            _note_history(desk)
            desk.observe_stock()
            return desk.reorder_lines(params)

    lines = run_async(work())
    if args.supplier:
        wanted = args.supplier.casefold()
        lines = [line for line in lines if line.plan.supplier.casefold() == wanted]
    if not args.all:
        urgent = (ReorderStatus.OUT, ReorderStatus.ORDER)
        lines = [line for line in lines if line.suggested > 0 or line.status in urgent]
    render_rows(
        [line.record() for line in lines],
        REORDER_COLUMNS,
        args.format,
        sys.stdout,
        empty_message="Nothing to order.",
    )
    return ExitCode.OK


def value_rows(value: StockValue) -> list[dict[str, Any]]:
    """Each variant's value, then a ``TOTAL`` row (over the variants with a cost price)."""
    from zinv_tui.service import money

    rows: list[dict[str, Any]] = [
        {
            "sku": line.row.sku,
            "name": line.row.label,
            "balance": line.row.shown_balance,
            "unit_cost": money(line.unit_cost),
            "value": money(line.value),
            "currency": line.currency,
            "variant_uuid": line.row.variant_uuid,
        }
        for line in value.lines
    ]
    rows.append(
        {
            "sku": "",
            "name": "TOTAL",
            "balance": sum(max(0, line.row.shown_balance) for line in value.lines),
            "unit_cost": None,
            "value": money(value.total),
            "currency": value.currency,
            "variant_uuid": "",
        }
    )
    return rows


def cmd_value(args: argparse.Namespace) -> int:
    """Print the stock value at catalogue cost price per variant and in total."""
    settings = settings_from_args(args)

    async def work() -> StockValue:
        async with open_service(settings) as service:
            return _open_desk(service).stock_value()

    value = run_async(work())
    render_rows(value_rows(value), VALUE_COLUMNS, args.format, sys.stdout)
    if value.without_cost:
        print(
            f"zinv-tui: {plural(value.without_cost, 'variant')} in stock "
            f"{'has' if value.without_cost == 1 else 'have'} no cost price in the product "
            f"library and {'is' if value.without_cost == 1 else 'are'} not in the total",
            file=sys.stderr,
        )
    if value.negative:
        print(
            f"zinv-tui: {plural(value.negative, 'variant')} "
            f"{'is' if value.negative == 1 else 'are'} below zero (valued at 0)",
            file=sys.stderr,
        )
    return ExitCode.OK
