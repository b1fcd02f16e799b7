"""kill -9 in the middle of sending, then restart: every movement is applied exactly once."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.service.conftest import ledger, running_service, server_store_balances, set_faults
from tests.service.test_outbox_faults import ledger_matches_journal
from zinv_tui.service import OutboxStatus
from zinv_tui.service.journal import OutboxJournal

WORKER = Path(__file__).with_name("outbox_worker.py")


def start_worker(info, state_dir: Path, count: int, faults: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            str(WORKER),
            info.url,
            info.api_key,
            str(state_dir),
            str(count),
            json.dumps(faults),
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


@pytest.mark.timeout(90)
async def test_kill_9_while_sending_then_restart_applies_each_movement_once(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(products=20, seed=2, fault_seed=9)
    rng = random.Random(4)
    # Slow answers and dropped connections (half of them after the movement was committed), so
    # kills land while batches are in flight or applied-but-unacknowledged.
    flaky = {"latency_ms": 40, "drop_rate": 0.3, "drop_phase": "after"}
    # Last round: every answer is lost after the movement was committed, so the kill surely leaves
    # a batch that Zettle applied but the journal never saw acknowledged.
    lost = {"drop_rate": 1.0, "drop_phase": "after"}
    states = []
    applied_unacknowledged: set[str] = set()
    for faults in (flaky, flaky, lost):
        worker = start_worker(info, tmp_path, 30, faults)
        try:
            wait_for_line(worker, "loaded")
            wait_for_line(worker, "recorded")
            time.sleep(rng.uniform(0.1, 0.6))  # noqa: ASYNC251 - the worker runs meanwhile
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
        assert worker.returncode == -signal.SIGKILL
        set_faults(info, latency_ms=0, drop_rate=0)
        journal = OutboxJournal(tmp_path / "outbox.sqlite")
        open_batches = journal.open_batches()
        states.append((journal.counts()[0], len(open_batches)))
        journal.close()
        in_ledger = {m["externalUuid"] for m in ledger(info)}
        applied_unacknowledged |= {b.external_uuid for b in open_batches} & in_ledger
    assert all(open_batches for _, open_batches in states[-1:]), states
    assert applied_unacknowledged, "the last kill should leave an applied, unacknowledged batch"
    # Restart in this process, network healthy: whatever was pending goes out with its old uuid.
    async with running_service(info, tmp_path) as service:
        assert await service.flush(30)
        expected, got = ledger_matches_journal(info, service)
        assert sum(expected.values()) == 90 and got == expected
        assert all(e.status is OutboxStatus.ACKNOWLEDGED for e in service.history())
        await service.refresh(full=True)
        truth = server_store_balances(info)
        assert {k: r.shown_balance for k, r in service.rows.items()} == {
            k: truth.get(k, 0) for k in service.rows
        }
