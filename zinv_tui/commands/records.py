"""The local journal: ``history`` (every movement) and ``outbox`` (those not yet acknowledged)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from zinv_tui.commands.arg_types import positive_int
from zinv_tui.commands.context import network_deadline, run_async, settings_from_args
from zinv_tui.commands.exit_codes import CommandError, ExitCode
from zinv_tui.commands.movements import add_wait_arguments, deliver
from zinv_tui.commands.output import render_rows, say
from zinv_tui.commands.reason_names import names_of, reason_type
from zinv_tui.commands.session import open_service
from zinv_tui.service import OutboxEntry, OutboxStatus, Reason

HISTORY_COLUMNS = (
    "id",
    "created",
    "reason",
    "product",
    "variant",
    "sku",
    "quantity",
    "change",
    "balance_after",
    "status",
    "user",
    "note",
)
OUTBOX_COLUMNS = (
    "id",
    "created",
    "reason",
    "product",
    "variant",
    "sku",
    "change",
    "status",
    "attempts",
    "error",
)


def add_history_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``history``."""
    parser.add_argument("--filter", metavar="TEXT", help="only movements mentioning TEXT")
    parser.add_argument(
        "--reason",
        type=reason_type(Reason),
        metavar="REASON",
        help=f"only this reason: {', '.join(names_of(Reason))}",
    )
    parser.add_argument(
        "--limit", type=positive_int, default=100, help="newest N movements (default 100)"
    )


def add_outbox_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``outbox``."""
    parser.add_argument(
        "--retry",
        nargs="*",
        type=positive_int,
        metavar="ID",
        help="send pending movements now, and send again the refused ones named (all if none)",
    )
    parser.add_argument(
        "--applied",
        nargs="+",
        type=positive_int,
        metavar="ID",
        help="unconfirmed movements you found in Zettle: record them as applied (nothing is sent)",
    )
    parser.add_argument(
        "--dismiss",
        nargs="+",
        type=positive_int,
        metavar="ID",
        help="give up on refused movements (they stay in the history as CANCELLED)",
    )
    add_wait_arguments(parser)


def journal_record(entry: OutboxEntry) -> dict[str, Any]:
    """A journal entry as printed."""
    return {
        "id": entry.id,
        "created": entry.created.astimezone().isoformat(timespec="seconds"),
        "reason": entry.reason.value,
        "product": entry.product_name,
        "variant": entry.variant_name,
        "sku": entry.sku,
        "quantity": entry.quantity,
        "change": entry.store_change,
        "balance_after": entry.balance_after,
        "status": "UNCONFIRMED" if entry.unconfirmed else entry.status.value,
        "attempts": entry.attempts,
        "user": entry.user,
        "note": entry.note,
        "error": entry.last_error,
    }


def cmd_history(args: argparse.Namespace) -> int:
    """Print the local movement history, newest first (works offline)."""
    settings = settings_from_args(args)
    reason = args.reason

    async def work() -> list[OutboxEntry]:
        async with open_service(settings, online=False) as service:
            return service.history(text=args.filter, reason=reason, limit=args.limit)

    render_rows(
        [journal_record(entry) for entry in run_async(work())],
        HISTORY_COLUMNS,
        args.format,
        sys.stdout,
        empty_message=(
            "No movements match."
            if args.filter or args.reason
            else "No movements recorded on this profile yet."
        ),
    )
    return ExitCode.OK


def cmd_outbox(args: argparse.Namespace) -> int:
    """Show movements not yet acknowledged; ``--retry`` sends them, ``--dismiss`` gives up."""
    settings = settings_from_args(args)
    acting = args.retry is not None or args.dismiss or args.applied

    async def work() -> tuple[list[OutboxEntry], ExitCode]:
        async with open_service(settings, online=args.retry is not None) as service:
            for entry_id in args.applied or ():
                await _act(service.confirm_applied, entry_id)
            for entry_id in args.dismiss or ():
                await _act(service.dismiss, entry_id)
            code = ExitCode.OK
            if args.retry is not None:
                attention = service.outbox_entries(OutboxStatus.NEEDS_ATTENTION)
                unconfirmed = service.journal.unconfirmed_ids()
                chosen = args.retry or [e.id for e in attention if e.id not in unconfirmed]
                skipped = sorted(unconfirmed - set(chosen))
                if skipped:
                    print(
                        f"Not sent again: {', '.join(f'#{i}' for i in skipped)} may already be "
                        "in Zettle (unconfirmed) - check Zettle, then `--applied ID` if it is "
                        "there, `--retry ID` if it is missing, or `--dismiss ID`.",
                        file=sys.stderr,
                    )
                for entry_id in chosen:
                    await _act(service.retry, entry_id)
                pending = service.outbox_entries(OutboxStatus.PENDING)
                _, code = await deliver(service, pending, args.wait)
            left = service.outbox_entries()
            if acting and args.retry is not None and left and code is ExitCode.OK:
                code = ExitCode.FAILED
            return left, code

    bounded = settings if args.retry is not None else None
    extra = network_deadline(settings) + (args.wait or 0.0)
    left, code = run_async(work(), bounded, extra=extra)
    render_rows(
        [journal_record(entry) for entry in left],
        OUTBOX_COLUMNS,
        args.format,
        sys.stdout,
        empty_message="The outbox is empty: every movement was acknowledged by Zettle.",
    )
    if left and args.format == "table":
        say(
            "Pending ones are sent by the next run (or `zinv-tui outbox --retry`); refused ones "
            "need `--retry ID` (after fixing the cause) or `--dismiss ID`; unconfirmed ones "
            "`--applied ID` when Zettle has them.",
            err=True,
        )
    return code


async def _act(action: Any, entry_id: int) -> None:
    try:
        await action(entry_id)
    except (KeyError, LookupError, ValueError) as error:
        message = str(error).strip("'\"") or f"no outbox entry {entry_id}"
        raise CommandError(f"#{entry_id}: {message}") from None
