"""Read-only stock commands: ``locations``, ``balances``, ``low-stock`` and ``export``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from zinv_tui.commands.context import run_async, settings_from_args
from zinv_tui.commands.exit_codes import CommandError, ExitCode
from zinv_tui.commands.output import render_rows, say
from zinv_tui.commands.session import open_service
from zinv_tui.service import InventoryService, StockCounts, StockRow, matching_rows, restock_rows
from zinv_tui.service.wording import plural

LOCATION_COLUMNS = ("type", "name", "uuid", "default")
BALANCE_COLUMNS = (
    "product",
    "variant",
    "sku",
    "barcode",
    "balance",
    "pending",
    "low_stock_level",
    "product_uuid",
    "variant_uuid",
)
LOW_STOCK_COLUMNS = (
    "state",
    "product",
    "variant",
    "sku",
    "barcode",
    "balance",
    "low_stock_level",
    "short_by",
    "alert",
    "product_uuid",
    "variant_uuid",
)


def add_balances_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``balances``."""
    parser.add_argument(
        "--filter",
        metavar="TEXT",
        help=(
            "only rows where every word of TEXT is in the product, variant, SKU or barcode "
            "(ignoring case), as the balances screen's / filter"
        ),
    )
    parser.add_argument(
        "--low", action="store_true", help="only rows that are out of stock or low (as low-stock)"
    )


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``export``."""
    parser.add_argument("what", choices=("balances", "history"), help="what to export")
    parser.add_argument("file", metavar="FILE.csv", type=Path, help="CSV file to write")


def balance_record(row: StockRow) -> dict[str, Any]:
    """A row as printed: ``balance`` is what the screen shows (Zettle's + pending)."""
    return {
        "product": row.product_name,
        "variant": row.variant_name,
        "sku": row.sku,
        "barcode": row.barcode,
        "balance": row.shown_balance,
        "pending": row.pending,
        "low_stock_level": row.low_stock_level,
        "short_by": (
            row.low_stock_level - row.shown_balance if row.low_stock_level is not None else None
        ),
        "alert": row.low_stock_alert,
        "product_uuid": row.product_uuid,
        "variant_uuid": row.variant_uuid,
    }


def _sorted_rows(service: InventoryService) -> list[StockRow]:
    return sorted(
        service.rows.values(),
        key=lambda row: (row.product_name.casefold(), row.variant_name.casefold(), row.key),
    )


def low_stock_record(row: StockRow) -> dict[str, Any]:
    """A row of ``low-stock``: its state (OUT or LOW) and how far below its level it is (an
    out-of-stock variant without a level is short by what it is below 0)."""
    record = balance_record(row)
    record["state"] = row.state.value.upper()
    record["short_by"] = (row.low_stock_level or 0) - row.shown_balance
    return record


def cmd_locations(args: argparse.Namespace) -> int:
    """Print the shop's four locations."""
    settings = settings_from_args(args)

    async def work() -> list[dict[str, Any]]:
        async with open_service(settings) as service:
            return [
                {
                    "type": kind.value,
                    "name": location.name,
                    "uuid": str(location.uuid),
                    "default": location.default,
                }
                for kind, location in sorted(service.locations.items())
            ]

    render_rows(run_async(work()), LOCATION_COLUMNS, args.format, sys.stdout)
    return ExitCode.OK


def cmd_balances(args: argparse.Namespace) -> int:
    """Print STORE balances (own pending movements included), optionally filtered."""
    settings = settings_from_args(args)

    async def work() -> list[dict[str, Any]]:
        async with open_service(settings) as service:
            rows = _sorted_rows(service)
        if args.filter:
            rows = matching_rows(rows, args.filter)
        if args.low:
            rows = [row for row in rows if row.needs_restock]
        return [balance_record(row) for row in rows]

    render_rows(
        run_async(work()), BALANCE_COLUMNS, args.format, sys.stdout, empty_message="No rows."
    )
    return ExitCode.OK


def cmd_low_stock(args: argparse.Namespace) -> int:
    """Print the variants that are out of stock or low, most urgent first (the Alerts screen's
    order and numbers)."""
    settings = settings_from_args(args)

    async def work() -> list[StockRow]:
        async with open_service(settings) as service:
            return restock_rows(service.rows.values())

    rows = run_async(work())
    render_rows(
        [low_stock_record(row) for row in rows],
        LOW_STOCK_COLUMNS,
        args.format,
        sys.stdout,
        empty_message="Nothing is out of stock or at or below its low-stock level.",
    )
    if args.format == "table" and rows:
        counts = StockCounts.of(rows)
        print(f"{counts.out} out, {counts.low} low.")
    return ExitCode.OK


def cmd_export(args: argparse.Namespace) -> int:
    """Write balances (read from Zettle now) or the local history to a CSV file."""
    settings = settings_from_args(args)
    path: Path = args.file
    if path.is_dir():
        raise CommandError(f"{path} is a directory; give a file name", ExitCode.USAGE)

    async def work() -> int:
        async with open_service(settings, online=args.what == "balances") as service:
            if args.what == "balances":
                return service.export_balances_csv(path)
            return service.export_history_csv(path)

    try:
        count = run_async(work())
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror}") from None
    say(f"Wrote {plural(count, 'row')} of {args.what} to {path}.")
    return ExitCode.OK
