"""The outbox under a hostile network: every intent reaches the ledger exactly once."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from tests.support.clients import running_service
from tests.support.sandbox import SandboxAdmin, sent_key
from zinv_tui.service import InventoryService, MovementIntent, OutboxStatus, Reason


def ledger_matches_journal(info, service: InventoryService) -> tuple[Counter, Counter]:
    """(what the journal says was sent, what the sandbox applied) as multisets of movements."""
    entries = service.history(limit=None)
    by_batch: dict[str, list] = {}
    for entry in entries:
        assert entry.status is OutboxStatus.ACKNOWLEDGED, entry
        by_batch.setdefault(entry.sent_as, []).append(entry)
    applied = [m for m in SandboxAdmin(info).ledger() if sent_key(m) in by_batch]
    for external, members in by_batch.items():
        rows = [m for m in applied if sent_key(m) == external]
        assert len(rows) == len(members), f"batch {external} applied {len(rows)}x{len(members)}"
    expected = Counter(
        (e.variant_uuid, e.from_location_uuid, e.to_location_uuid, e.quantity) for e in entries
    )
    got = Counter(
        (m["variantUuid"], m["fromLocationUuid"], m["toLocationUuid"], m["change"]) for m in applied
    )
    return expected, got


SPEED = 5.0
"""Zettle's time, scaled for the test: the client's limiter and the sandbox's throttle both allow
SPEED x 4 requests a second (their ratio, what the outbox meets, is the real one)."""


@pytest.mark.slow(seconds=60)
@pytest.mark.timeout(120)
async def test_500_movements_through_5xx_latency_throttling_and_drops(
    sandbox_factory, tmp_path, generation
):
    # On v3 the identifier is never deduplicated: every answer lost after commit is settled by
    # reading the products before any resend.
    info = sandbox_factory(api=generation, products=40, seed=11, fault_seed=3)
    rng = random.Random(5)
    async with running_service(
        info,
        tmp_path,
        generation=generation,
        max_batch=25,
        poll_interval=0.3 / SPEED,  # polls interleave with the sends as in real time
        client_options={"requests_per_second": 4.0 * SPEED, "max_retries": 0},  # outbox retries
    ) as service:
        keys = sorted(service.rows)[:12]
        SandboxAdmin(info).faults(
            error_rate=0.2,
            latency_ms=5,
            throttle=True,
            throttle_rate=4.0 * SPEED,
            drop_rate=0.05,
            drop_phase="both",
        )
        intents = []
        for i in range(100):  # a stream: 100 record calls of 5 movements, sent as they come
            batch = [
                MovementIntent(
                    rng.choice([Reason.RESTOCK, Reason.SALE, Reason.DISCARD]),
                    rng.choice(keys),
                    quantity=rng.randint(1, 9),
                    note=f"stream {i}",
                )
                for _ in range(5)
            ]
            intents.extend(batch)
            await service.record(batch)
            if i % 10 == 0:
                await asyncio.sleep(0.05)
        assert await service.flush(90), service.status
        SandboxAdmin(info).faults(error_rate=0.0, throttle=False, drop_rate=0.0, latency_ms=0)
        expected, got = ledger_matches_journal(info, service)
        assert sum(expected.values()) == 500 and got == expected
        assert service.status.pending_count == 0 and service.status.attention_count == 0
        await service.refresh(full=True)
        truth = SandboxAdmin(info).store_balances()
        assert {k: service.rows[k].shown_balance for k in keys} == {k: truth[k] for k in keys}
        retried = sum(1 for e in service.history() if e.attempts)
        assert retried, "the faults should have caused at least one re-send"


@pytest.mark.timeout(60)
async def test_token_expiring_mid_stream(sandbox_factory, tmp_path):
    info = sandbox_factory(products=20)
    async with running_service(info, tmp_path, max_batch=4) as service:
        keys = sorted(service.rows)[:5]
        for i in range(40):
            await service.record([MovementIntent(Reason.RESTOCK, keys[i % 5], quantity=1)])
            if i % 8 == 3:
                SandboxAdmin(info).expire_tokens()
                await service.flush(10)
        SandboxAdmin(info).faults(token_ttl=1)  # and tokens that only last a second from now on
        for i in range(10):
            await service.record([MovementIntent(Reason.SALE, keys[i % 5], quantity=1)])
            await asyncio.sleep(0.15)
        assert await service.flush(20)
        expected, got = ledger_matches_journal(info, service)
        assert sum(expected.values()) == 50 and got == expected
        assert service.status.attention_count == 0
