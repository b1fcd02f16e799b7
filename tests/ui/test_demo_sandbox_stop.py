"""The demo's sandbox process is stopped gracefully when the app quits, even when it was paused."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from zinv_tui.ui.launch import sandbox_process

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="finds the child through /proc"
)


def _children() -> list[int]:
    pids: list[int] = []
    for task in Path("/proc/self/task").iterdir():
        pids += [int(pid) for pid in (task / "children").read_text().split()]
    return pids


def test_a_paused_demo_sandbox_still_closes_its_ledger_when_the_app_quits(tmp_path: Path) -> None:
    database, log = tmp_path / "demo.sqlite", tmp_path / "sandbox.log"
    with sandbox_process(database, log, 5, 1, 0.0, 0):
        pass  # the first run makes the shop
    before = set(_children())
    with sandbox_process(database, log, 5, 1, 0.0, 0) as shop:
        assert shop.started is not None and shop.started.wait(60)
        (pid,) = set(_children()) - before
        os.kill(pid, signal.SIGSTOP)  # as if the sandbox hung, or its process was paused
    # Stopped by SIGTERM and finished (its ledger closed), not killed after the grace period.
    assert f"Finished server process [{pid}]" in log.read_text()
