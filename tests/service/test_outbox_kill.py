"""kill -9 in the middle of sending, then restart: every movement is applied exactly once."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from uuid import UUID

import pytest

from tests.odd_server import OddProxy, Reply
from tests.service.test_outbox_faults import ledger_matches_journal
from tests.support.clients import make_client, running_service
from tests.support.sandbox import SandboxAdmin, sent_key
from zinv_tui.api.models import MovementRequest, StockChange
from zinv_tui.api.v1.backend import ZettleV1Backend
from zinv_tui.service import OutboxStatus, Reason
from zinv_tui.service.backend import PlaceKind
from zinv_tui.service.journal import EntryDraft, OutboxJournal
from zinv_tui.service.outcome import dump_balances, places_to_read, read_balances

WORKER = Path(__file__).with_name("outbox_worker.py")


def start_worker(
    server, state_dir: Path, count: int, faults: dict, api_key: str, generation: str = "v1"
) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            str(WORKER),
            server.url,
            api_key,
            str(state_dir),
            str(count),
            json.dumps(faults),
            generation,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def wait_for_line(process: subprocess.Popen, wanted: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.strip() == wanted:
            return
    raise AssertionError(f"worker never said {wanted!r} (exit code {process.poll()})")


MOVEMENT_WRITES = {
    "v1": ("PUT", "/organizations/self/inventory"),
    "v3": ("POST", "/v3/movements"),
}
BALANCE_READS = {
    "v1": [("POST", "/organizations/self/inventory/products")],
    "v3": [("POST", "/v3/stock/*"), ("GET", "/v3/stock/*")],
}
"""Each generation's movement write and the per-product balance reads that check it. The proxy
matches a trailing ``*`` only: ``/v3/stock/*/products`` matched no request, so on v3 the POST read
of a batch's products went through and settled the batch before the kill under some timings."""


def lose_every_answer_once_a_movement_went_through(
    proxy: OddProxy, generation: str
) -> threading.Event:
    """From the first movement on, every movement's answer is lost after Zettle applied it, and
    every balance read too: the sender can neither see it acknowledged nor check it. The event is
    set once Zettle applied a movement (its batch journalled open and in doubt before it was
    sent, and never settled after)."""
    applied = threading.Event()

    def movement(seen, sent):
        applied.set()
        return Reply(sent.status, sent.body, drop=3)

    def read(seen, sent):
        return Reply(sent.status, b"", drop=0) if applied.is_set() else sent

    proxy.on(*MOVEMENT_WRITES[generation], (movement, True))
    for method, path in BALANCE_READS[generation]:
        proxy.on(method, path, (read, True))
    return applied


@pytest.mark.slow
@pytest.mark.timeout(90)
async def test_kill_9_while_sending_then_restart_applies_each_movement_once(
    sandbox_factory, tmp_path, generation
):
    # v3 never deduplicates its identifier: a batch applied before the kill is found by reading.
    info = sandbox_factory(api=generation, products=20, seed=2, fault_seed=9)
    rng = random.Random(4)
    # Slow answers and dropped connections (half of them after the movement was committed), so
    # kills land while batches are in flight or applied-but-unacknowledged.
    flaky = {"latency_ms": 40, "drop_rate": 0.3, "drop_phase": "after"}
    # Last round: a movement goes through, then every answer is lost (the proxy in front of the
    # sandbox), so the kill surely leaves a batch that Zettle applied but the journal never saw
    # acknowledged. (The sandbox's own drop_rate=1.0 would also lose the balance read the sender
    # takes before each movement, so no movement would ever be sent.)
    lost = None
    states = []
    applied_unacknowledged: set[str] = set()
    for faults in (flaky, flaky, lost):
        with OddProxy(info.url) as proxy:
            applied = None
            if faults is None:
                applied = lose_every_answer_once_a_movement_went_through(proxy, generation)
            worker = start_worker(proxy, tmp_path, 30, faults or {}, info.api_key, generation)
            try:
                wait_for_line(worker, "loaded")
                wait_for_line(worker, "recorded")
                if applied is None:  # a kill at a random moment
                    time.sleep(rng.uniform(0.1, 0.6))  # noqa: ASYNC251 - the worker runs meanwhile
                else:  # not before a movement went through (a loaded machine is slow to get there)
                    assert applied.wait(30), "no movement reached Zettle"
            finally:
                worker.send_signal(signal.SIGKILL)
                worker.wait(10)
        assert worker.returncode == -signal.SIGKILL
        SandboxAdmin(info).faults(latency_ms=0, drop_rate=0)
        journal = OutboxJournal(tmp_path / "outbox.sqlite")
        open_batches = journal.open_batches()
        states.append((journal.counts()[0], len(open_batches)))
        journal.close()
        in_ledger = {sent_key(m) for m in SandboxAdmin(info).ledger()}
        applied_unacknowledged |= {b.external_uuid for b in open_batches} & in_ledger
    assert all(open_batches for _, open_batches in states[-1:]), states
    assert applied_unacknowledged, "the last kill should leave an applied, unacknowledged batch"
    # Restart in this process, network healthy: whatever was pending goes out with its old uuid.
    async with running_service(info, tmp_path, generation=generation) as service:
        assert await service.flush(30)
        expected, got = ledger_matches_journal(info, service)
        assert sum(expected.values()) == 90 and got == expected
        assert all(e.status is OutboxStatus.ACKNOWLEDGED for e in service.history())
        await service.refresh(full=True)
        truth = SandboxAdmin(info).store_balances()
        assert {k: r.shown_balance for k, r in service.rows.items()} == {
            k: truth.get(k, 0) for k in service.rows
        }


async def test_batch_sent_before_a_crash_is_not_trusted_on_replay(sandbox_factory, tmp_path):
    """A batch Zettle applied just before the app died, then POS sales, then a restart: the
    replayed answer's balances are older than the restart's snapshot and must not overwrite it."""
    info = sandbox_factory(products=10)
    async with running_service(info, tmp_path) as service:
        key = next(iter(service.rows))
        store = service.locations[PlaceKind.STORE].uuid
        supplier = service.locations[PlaceKind.SUPPLIER].uuid
    journal = OutboxJournal(tmp_path / "outbox.sqlite")
    draft = EntryDraft(
        Reason.RESTOCK,
        key,
        "",
        "",
        "",
        "",
        PlaceKind.SUPPLIER,
        PlaceKind.STORE,
        supplier,
        store,
        5,
        5,
        None,
    )
    journal.record([draft], user="crashed")
    batch = journal.next_batch(10)
    async with make_client(info) as client:
        # What the sender does just before its PUT: read the balances it will change, count the
        # attempt with them.
        reference = await read_balances(
            ZettleV1Backend(client), batch.entries, places_to_read(batch.entries)
        )
        assert journal.begin_attempt(batch.id, dump_balances(reference)) == 0
        journal.close()
        # The crashed process's PUT reached Zettle; its answer never came back.
        await client.move_stock(
            MovementRequest(
                changes=[
                    StockChange(
                        product_uuid=UUID(key[0]),
                        variant_uuid=UUID(key[1]),
                        from_location_uuid=UUID(supplier),
                        to_location_uuid=UUID(store),
                        change=5,
                    )
                ],
                external_uuid=UUID(batch.external_uuid),
            )
        )
    SandboxAdmin(info).sale(key[1], 2)  # after the movement, before the restart
    async with running_service(info, tmp_path) as service:
        assert await service.flush(10)
        truth = SandboxAdmin(info).store_balances()[key]
        # No poll since the restart's snapshot: the settled row must already be right.
        assert (service.rows[key].balance, service.rows[key].pending) == (truth, 0)
        applied = [
            m for m in SandboxAdmin(info).ledger() if m["externalUuid"] == batch.external_uuid
        ]
        assert len(applied) == 1
        # Settled by reading, the sale notwithstanding (SUPPLIER moved by exactly -5).
        assert service.history()[0].status is OutboxStatus.ACKNOWLEDGED
