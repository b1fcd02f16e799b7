"""``move`` and ``import-counts``: movements recorded through the service's outbox, as on screen.

Each movement is journaled first (durable), then sent; by default the command waits for Zettle to
acknowledge it (``--wait SECONDS``, default 30), retrying as the app's sender does (the same
backoff, Zettle's ``Retry-After`` honoured: a wait that would end after ``--wait`` is not sat out).
Exit 0 when all are acknowledged, 1 when one is refused (or unconfirmed) or still pending when the
wait ends, 4 when still pending because Zettle could not be reached (no connection, timeout) and
none was refused; pending movements stay in the outbox and are sent by the next ``zinv-tui`` run on
this profile, or ``zinv-tui outbox --retry``. ``--no-wait`` only records (exit 0): a script can
record many movements and send them with one ``outbox --retry``. While Zettle is unreachable,
``move --no-wait`` still records the movement, naming the variant from the catalogue kept on this
computer (a count, which needs the current balance, can't be); when nothing local names it, it
says so and exits 4 with nothing recorded.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from zinv_tui.api.errors import NetworkError
from zinv_tui.commands.arg_types import number_type
from zinv_tui.commands.context import network_deadline, run_async, settings_from_args
from zinv_tui.commands.count_file import read_count_file
from zinv_tui.commands.exit_codes import CommandError, ExitCode
from zinv_tui.commands.output import render_rows, say
from zinv_tui.commands.reason_names import RECORDABLE, location_type, names_of, reason_type
from zinv_tui.commands.session import open_service
from zinv_tui.redaction import redact
from zinv_tui.service import (
    MAX_QUANTITY,
    InventoryService,
    MovementIntent,
    MovementRejected,
    OutboxEntry,
    OutboxStatus,
    PlannedMovement,
    Reason,
    RowKey,
    ServiceNotReady,
    StockRow,
)
from zinv_tui.service.codes import CODE_COLUMNS, CodeIndex
from zinv_tui.service.wording import plural

DEFAULT_WAIT = 30.0
ENTRY_COLUMNS = (
    "id",
    "reason",
    "product",
    "variant",
    "sku",
    "quantity",
    "change",
    "balance_before",
    "balance_after",
    "status",
    "error",
)
PLAN_COLUMNS = (
    "line",
    "code",
    "product",
    "variant",
    "balance",
    "counted",
    "change",
    "problem",
)
COUNT_COLUMN = "counted"


QUANTITY_RANGE = f"a whole number from 1 to {MAX_QUANTITY:,} (0 only with --reason set)"
_quantity = number_type(
    int,
    lambda value: 0 <= value <= MAX_QUANTITY,
    f"is not {QUANTITY_RANGE}",
    f"{{value}} is not {QUANTITY_RANGE}",
)
_seconds = number_type(
    float,
    lambda value: 0 <= value <= 3600,
    "is not a number of seconds",
    "{text} must be between 0 and 3600 seconds",
)


def add_wait_arguments(parser: argparse.ArgumentParser) -> None:
    """``--wait SECONDS`` / ``--no-wait``."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--wait",
        type=_seconds,
        default=DEFAULT_WAIT,
        metavar="SECONDS",
        help=f"wait up to SECONDS for Zettle to acknowledge (default {DEFAULT_WAIT:g})",
    )
    group.add_argument(
        "--no-wait",
        dest="wait",
        action="store_const",
        const=None,
        help="only record in the outbox; a later run sends it (e.g. `zinv-tui outbox --retry`)",
    )


def add_move_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``move``."""
    parser.add_argument(
        "--reason",
        required=True,
        type=reason_type(RECORDABLE),
        metavar="REASON",
        help=f"why stock moves: {', '.join(names_of(RECORDABLE))}",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--sku", help="the variant's SKU")
    which.add_argument("--barcode", help="the variant's barcode")
    which.add_argument("--variant-uuid", help="the variant's UUID")
    parser.add_argument(
        "--qty",
        type=_quantity,
        required=True,
        help="units to move; with --reason set, the counted balance",
    )
    parser.add_argument(
        "--from",
        dest="from_type",
        type=location_type,
        metavar="LOCATION",
        help="with --reason move: where the units come from (store, supplier, bin, sold)",
    )
    parser.add_argument(
        "--to",
        dest="to_type",
        type=location_type,
        metavar="LOCATION",
        help="with --reason move: where the units go",
    )
    parser.add_argument("--note", default="", help="note kept in the local history")
    add_wait_arguments(parser)


def add_import_counts_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``import-counts``."""
    parser.add_argument(
        "file",
        metavar="FILE.csv",
        type=Path,
        help="CSV with a header: sku or barcode (or variant_uuid), and counted",
    )
    parser.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    parser.add_argument("--note", default="", help="note kept with each correction")
    add_wait_arguments(parser)


def find_row(known: Mapping[RowKey, StockRow], column: str, code: str) -> StockRow:
    """The one variant of ``known`` (e.g. ``service.rows``) with this SKU (any case), barcode or
    variant UUID."""
    return CodeIndex(known.values()).find(column, code)


async def require_write_scope(service: InventoryService) -> None:
    """Refuse (exit 3) before recording anything when the key lacks WRITE:PRODUCT."""
    if await service.write_access() is False:
        raise CommandError(
            "this API key lacks the WRITE:PRODUCT scope, so Zettle would refuse stock changes; "
            "create a key with READ:PRODUCT and WRITE:PRODUCT at my.zettle.com/apps/api-keys",
            ExitCode.AUTH,
        )


def entry_record(entry: OutboxEntry) -> dict[str, Any]:
    """A journaled movement as printed."""
    after = entry.balance_after
    if after is None and entry.balance_before is not None:
        after = entry.balance_before + entry.store_change
    return {
        "id": entry.id,
        "reason": entry.reason.value,
        "product": entry.product_name,
        "variant": entry.variant_name,
        "sku": entry.sku,
        "quantity": entry.quantity,
        "change": entry.store_change,
        "balance_before": entry.balance_before,
        "balance_after": after,
        "status": "UNCONFIRMED" if entry.unconfirmed else entry.status.value,
        "error": entry.last_error,
    }


async def deliver(
    service: InventoryService, entries: Sequence[OutboxEntry], wait: float | None
) -> tuple[list[OutboxEntry], ExitCode]:
    """Send now and wait up to ``wait`` seconds (``None``: don't, leave them in the outbox); the
    entries as they stand after."""
    if entries and wait is not None:
        await service.flush(wait)
    settled = service.journal.entries_by_id([entry.id for entry in entries])
    statuses = {entry.status for entry in settled}
    refused = OutboxStatus.NEEDS_ATTENTION in statuses
    unsent = OutboxStatus.PENDING in statuses and wait is not None
    if refused:
        return settled, ExitCode.FAILED
    if unsent:
        unreachable = service.status.sending_unreachable
        return settled, ExitCode.NETWORK if unreachable else ExitCode.FAILED
    return settled, ExitCode.OK


def _summary(entries: Sequence[OutboxEntry], wait: float | None, why: str | None = None) -> str:
    pending = sum(entry.status is OutboxStatus.PENDING for entry in entries)
    refused = sum(entry.status is OutboxStatus.NEEDS_ATTENTION for entry in entries)
    done = sum(entry.status is OutboxStatus.ACKNOWLEDGED for entry in entries)
    parts = [f"{done} acknowledged"]
    if refused:
        parts.append(f"{refused} refused or unconfirmed (see `zinv-tui outbox`)")
    if pending:
        when = "when the wait ended" if wait is not None else "for now"
        reason = f" ({why})" if why and wait is not None else ""
        parts.append(
            f"{pending} still pending {when}{reason}: kept in the outbox and sent by the next run "
            "(`zinv-tui outbox --retry`)"
        )
    return "; ".join(parts) + "."


def cmd_move(args: argparse.Namespace) -> int:
    """Record one movement and (by default) wait for Zettle's acknowledgement."""
    settings = settings_from_args(args)
    reason = args.reason
    if reason is not Reason.SET_COUNT and args.qty == 0:
        raise CommandError(f"--qty 0 is not {QUANTITY_RANGE}", ExitCode.USAGE)
    places = (args.from_type, args.to_type)
    if None in places if reason is Reason.MOVE else places != (None, None):
        raise CommandError(
            "--reason move needs --from and --to (store, supplier, bin, sold); "
            "the other reasons take neither",
            ExitCode.USAGE,
        )
    column, code = next(
        (name, getattr(args, name)) for name in CODE_COLUMNS if getattr(args, name) is not None
    )

    def intent_for(row: StockRow) -> MovementIntent:
        if reason is Reason.SET_COUNT:
            return MovementIntent(reason, row.key, count=args.qty, note=args.note)
        if reason is Reason.MOVE:
            return MovementIntent(
                reason,
                row.key,
                quantity=args.qty,
                from_type=args.from_type,
                to_type=args.to_type,
                note=args.note,
            )
        return MovementIntent(reason, row.key, quantity=args.qty, note=args.note)

    async def online() -> tuple[list[OutboxEntry], ExitCode, list[str]]:
        async with open_service(settings) as service:
            try:
                row = find_row(service.rows, column, code)
            except LookupError as error:
                raise CommandError(str(error)) from None
            intent = intent_for(row)
            warnings = [plan.warning for plan in service.plan([intent]) if plan.warning]
            await require_write_scope(service)
            try:
                entries = await service.record([intent])
            except MovementRejected as error:
                raise CommandError("; ".join(error.problems)) from None
            if not entries:
                return [], ExitCode.OK, [f"{row.label}: already {args.qty}, nothing to record"]
            settled, exit_code = await deliver(service, entries, args.wait)
            if exit_code is not ExitCode.OK and service.status.sending_error:
                warnings.append(f"Zettle: {service.status.sending_error}")
            return settled, exit_code, warnings

    async def offline(unreachable: str) -> tuple[list[OutboxEntry], ExitCode, list[str]]:
        """Zettle can't be reached and only recording was asked for: journal it from what this
        computer knows, or say why not (exit 4, nothing recorded)."""

        def refuse(detail: str) -> CommandError:
            return CommandError(f"{unreachable}; {detail} - nothing was recorded", ExitCode.NETWORK)

        async with open_service(settings, online=False) as service:
            try:
                row = find_row(service.known_variants(), column, code)
            except LookupError as error:
                raise refuse(f"no copy of the catalogue kept here knows it ({error})") from None
            try:
                entries = service.record_offline([intent_for(row)])
            except ServiceNotReady as error:
                raise refuse(str(error).removesuffix(" - nothing was recorded")) from None
            except MovementRejected as error:
                raise refuse("; ".join(error.problems)) from None
            note = (
                f"{unreachable}: recorded in the outbox without checking the balance; the next "
                "run sends it (or `zinv-tui outbox --retry`)"
            )
            return entries, ExitCode.OK, [note]

    async def work() -> tuple[list[OutboxEntry], ExitCode, list[str]]:
        if args.wait is not None:
            return await online()
        try:
            return await online()
        except (NetworkError, CommandError) as error:
            if isinstance(error, CommandError) and error.code is not ExitCode.NETWORK:
                raise
            unreachable = redact(str(error)).rstrip(".")
        return await offline(unreachable)

    wait = args.wait or 0.0
    entries, exit_code, notes = run_async(work(), settings, extra=network_deadline(settings) + wait)
    for note in notes:
        say(note, err=True)
    if entries:
        render_rows([entry_record(e) for e in entries], ENTRY_COLUMNS, args.format, sys.stdout)
        say(_summary(entries, args.wait), err=True)
    return exit_code


def read_counts(path: Path) -> tuple[str, list[tuple[int, str, str]]]:
    """The code column's name and ``(line, code, counted text)`` per data line."""
    try:
        with io.StringIO(read_count_file(path), newline="") as handle:
            sample = handle.read(4096)
            handle.seek(0)
            try:
                dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            reader = csv.reader(handle, dialect)
            header = next(reader, None)
            if header is None:
                raise CommandError(f"{path} is empty", ExitCode.USAGE)
            names = [name.strip().lower().replace(" ", "_") for name in header]
            code_column = next((name for name in CODE_COLUMNS if name in names), None)
            if code_column is None or COUNT_COLUMN not in names:
                raise CommandError(
                    f"{path}: the header must name a sku, barcode or variant_uuid column and a "
                    f"counted column (found: {', '.join(header)})",
                    ExitCode.USAGE,
                )
            code_index, count_index = names.index(code_column), names.index(COUNT_COLUMN)
            lines = []
            for record in reader:
                if not any(cell.strip() for cell in record):
                    continue
                cells = record + [""] * (len(names) - len(record))
                lines.append((reader.line_num, cells[code_index], cells[count_index]))
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}", ExitCode.USAGE) from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise CommandError(f"{path} is not a readable CSV file ({error})", ExitCode.USAGE) from None
    return code_column, lines


def plan_counts(
    service: InventoryService, column: str, lines: list[tuple[int, str, str]], note: str
) -> tuple[list[dict[str, Any]], list[MovementIntent]]:
    """One plan line per CSV line (with any problem), and the SET_COUNT intents of the good ones."""
    records: list[dict[str, Any]] = []
    intents: list[MovementIntent] = []
    seen: dict[tuple[str, str], int] = {}
    index = CodeIndex(service.rows.values())
    for line, code, counted_text in lines:
        record: dict[str, Any] = {"line": line, "code": code.strip(), "counted": counted_text}
        records.append(record)
        try:
            row = index.find(column, code)
        except LookupError as error:
            record["problem"] = str(error)
            continue
        record.update(product=row.product_name, variant=row.variant_name, balance=row.shown_balance)
        try:
            counted = int(counted_text.strip())
            if not 0 <= counted <= MAX_QUANTITY:
                raise ValueError
        except ValueError:
            record["problem"] = f"counted {counted_text!r} is not a whole number from 0"
            continue
        record["counted"] = counted
        if row.key in seen:
            record["problem"] = f"counted twice (also on line {seen[row.key]})"
            continue
        seen[row.key] = line
        intent = MovementIntent(Reason.SET_COUNT, row.key, count=counted, note=note)
        plan: PlannedMovement = service.plan([intent])[0]
        if plan.error:
            record["problem"] = plan.error
            continue
        record["change"] = plan.store_change
        intents.append(intent)
    return records, intents


def cmd_import_counts(args: argparse.Namespace) -> int:
    """Turn a CSV of counted balances into SET_COUNT movements (``--dry-run``: only the plan)."""
    settings = settings_from_args(args)
    column, lines = read_counts(args.file)
    note = args.note or f"count imported from {args.file.name}"

    async def work() -> tuple[list[dict[str, Any]], list[OutboxEntry], ExitCode]:
        async with open_service(settings) as service:
            records, intents = plan_counts(service, column, lines, note)
            if args.dry_run or any(record.get("problem") for record in records):
                return records, [], ExitCode.OK
            await require_write_scope(service)
            try:
                entries = await service.record(intents)
            except MovementRejected as error:
                raise CommandError("; ".join(error.problems)) from None
            settled, exit_code = await deliver(service, entries, args.wait)
            return records, settled, exit_code

    wait = network_deadline(settings) + (args.wait or 0.0)
    records, entries, exit_code = run_async(work(), settings, extra=wait)
    problems = [record for record in records if record.get("problem")]
    if args.dry_run or problems:
        render_rows(records, PLAN_COLUMNS, args.format, sys.stdout, empty_message="No lines.")
        changes = sum(1 for record in records if record.get("change"))
        if problems:
            say(
                f"{plural(len(problems), 'line')} {'has' if len(problems) == 1 else 'have'} "
                "problems; nothing was recorded. Fix the file and run again.",
                err=True,
            )
            return ExitCode.FAILED
        say(f"Dry run: {plural(changes, 'correction')} would be recorded.", err=True)
        return ExitCode.OK
    unchanged = len(records) - len(entries)
    render_rows([entry_record(e) for e in entries], ENTRY_COLUMNS, args.format, sys.stdout)
    say(
        f"{plural(len(entries), 'correction')} recorded, {plural(unchanged, 'line')} already "
        "matched. " + _summary(entries, args.wait),
        err=True,
    )
    return exit_code
