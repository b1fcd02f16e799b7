"""``move`` / ``import-counts`` exit codes for movements still pending when the wait ends: 4 when
Zettle could not be reached, 1 when it answered with an error, 0 once acknowledged.

``deliver`` (what both commands end with) runs against a real service on a sandbox whose faults
are switched after the service has loaded, which a whole CLI run cannot do.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.support.clients import make_client, running_service
from tests.support.sandbox import SandboxAdmin
from zinv_tui.commands.exit_codes import ExitCode
from zinv_tui.commands.movements import deliver
from zinv_tui.service import InventoryService, MovementIntent, OutboxStatus, Reason, SyncStatus

pytestmark = pytest.mark.timeout(60)


async def sender_failed(service: InventoryService, *, unreachable: bool) -> None:
    """Until the sender's latest failure is of this kind (Zettle not reached, or it answered with
    an error): the outcome ``deliver`` reports on, awaited as an event rather than hoped to come
    within a fixed wait (a loaded machine may not try again within it)."""
    seen = asyncio.Event()

    def check(status: SyncStatus) -> None:
        if status.sending_error and status.sending_unreachable is unreachable:
            seen.set()

    unsubscribe = service.subscribe_status(check)
    try:
        check(service.status)
        await seen.wait()
    finally:
        unsubscribe()


async def test_pending_because_unreachable_exits_4_else_1(sandbox_factory, tmp_path) -> None:
    info = sandbox_factory(products=5)
    async with running_service(info, tmp_path, client_options={"max_retries": 0}) as service:
        key = next(iter(service.rows))
        before = len(SandboxAdmin(info).ledger())

        SandboxAdmin(info).faults(drop_rate=1.0, drop_phase="before")
        entries = await service.record([MovementIntent(Reason.RESTOCK, key, quantity=2)])
        await sender_failed(service, unreachable=True)
        settled, code = await deliver(service, entries, wait=0.3)
        assert [e.status for e in settled] == [OutboxStatus.PENDING]
        assert code is ExitCode.NETWORK

        SandboxAdmin(info).faults(drop_rate=0.0, error_rate=1.0)
        await sender_failed(service, unreachable=False)  # its next retry met the error
        settled, code = await deliver(service, entries, wait=0.3)
        assert [e.status for e in settled] == [OutboxStatus.PENDING]
        assert code is ExitCode.FAILED

        SandboxAdmin(info).faults(error_rate=0.0)
        settled, code = await deliver(service, entries, wait=5)
        assert [e.status for e in settled] == [OutboxStatus.ACKNOWLEDGED]
        assert code is ExitCode.OK
    assert [(m["variantUuid"], m["change"]) for m in SandboxAdmin(info).ledger()[before:]] == [
        (key[1], 2)
    ]


async def test_a_refusal_exits_1_even_when_another_is_pending_unreachable(
    sandbox_factory, tmp_path
) -> None:
    info = sandbox_factory(products=5)
    async with running_service(info, tmp_path, client_options={"max_retries": 0}) as service:
        first, second = sorted({key[0]: key for key in service.rows}.values())[:2]
        async with make_client(info) as other:
            await other.stop_tracking(first[0])  # Zettle refuses it now: PRODUCT_NOT_TRACKED
        refused = await service.record([MovementIntent(Reason.RESTOCK, first, quantity=1)])
        settled, code = await deliver(service, refused, wait=5)
        assert [e.status for e in settled] == [OutboxStatus.NEEDS_ATTENTION]
        assert code is ExitCode.FAILED

        SandboxAdmin(info).faults(drop_rate=1.0, drop_phase="before")
        waiting = await service.record([MovementIntent(Reason.RESTOCK, second, quantity=1)])
        await sender_failed(service, unreachable=True)
        settled, code = await deliver(service, [*refused, *waiting], wait=0.3)
        assert [e.status for e in settled] == [OutboxStatus.NEEDS_ATTENTION, OutboxStatus.PENDING]
        assert service.status.sending_unreachable
        assert code is ExitCode.FAILED
