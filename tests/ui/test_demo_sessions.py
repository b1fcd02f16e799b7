"""`zinv-tui demo` across sessions (issue 8 items 1 and 2, walkthrough #1): a second demo after a
short first one works, shops of different sizes keep apart, and a sandbox failure during a demo
goes to the sandbox's log file, never to the terminal."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.support.sandbox import SandboxAdmin
from zinv_tui.service import MovementIntent, Reason
from zinv_tui.ui.launch import DEMO_LOG_FILE, demo_profile, demo_session, run_demo

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def zinv_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every zinv-tui directory under ``tmp_path`` (never the real home)."""
    for kind in ("CONFIG", "STATE", "DATA", "CACHE"):
        monkeypatch.setenv(f"ZINV_{kind}_DIR", str(tmp_path / kind.lower()))
    monkeypatch.setenv("ZINV_ENV_FILE", "")
    for name in ("ZINV_API_KEY", "ZINV_PROFILE", "ZINV_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


async def wait_for(pilot: Pilot, condition: Callable[[], bool], tries: int = 1500) -> None:
    for _ in range(tries):
        if condition():
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not met")


def _url(app: Any) -> str:
    return str(app.service.backend.client.endpoints.inventory_url)


def _ready(app: Any) -> Callable[[], bool]:
    # loaded: Zettle confirmed the rows (a second start paints its local snapshot first)
    return lambda: app.service_ready and len(app.service.rows) > 0 and app.service.loaded


async def _restock(app: Any, index: int) -> None:
    keys = sorted(app.service.rows)
    await app.service.record([MovementIntent(Reason.RESTOCK, keys[index], quantity=1)])


async def _api_rows(app: Any) -> list[dict]:
    return [row for row in SandboxAdmin(_url(app)).ledger() if row["source"] == "api"]


def test_demo_profiles() -> None:
    assert demo_profile(300) == "demo"
    assert demo_profile(20000) == "demo-20000"
    assert demo_profile(300, seed=7) == "demo-300-seed7"
    assert demo_profile(40, seed=2) == "demo-40-seed2"


async def test_a_second_demo_after_a_short_first_one_works(zinv_dirs: Path) -> None:
    """Walkthrough #1 Repro A: open the demo, quit as soon as the rows show (no sale, no
    movement), open it again and restock twice: both movements reach the sandbox."""
    with demo_session(products=40, sales_per_minute=0) as app:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, _ready(app))
    with demo_session(products=40, sales_per_minute=0) as app:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, _ready(app))
            for index in range(2):
                await _restock(app, index)
                assert await app.service.flush(wait=20), app.service.status
            assert app.service.journal.counts()[0] == 0
            assert len(await _api_rows(app)) == 2
    log = (zinv_dirs / "state" / "profiles" / "demo-40" / DEMO_LOG_FILE).read_text()
    assert "sandbox bug" not in log and "UNIQUE constraint" not in log


async def test_demo_shops_of_different_sizes_keep_apart(zinv_dirs: Path) -> None:
    """A movement left pending in the 40-product shop stays in that shop: the 50-product shop
    has its own outbox and never sends it; the next 40-product demo does."""
    profiles = zinv_dirs / "state" / "profiles"
    with demo_session(products=40, sales_per_minute=0) as app:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, _ready(app))
            SandboxAdmin(_url(app)).faults(error_rate=1.0)
            await _restock(app, 0)
            assert not await app.service.flush(wait=0.5)
            assert app.service.journal.counts()[0] == 1
    with demo_session(products=50, sales_per_minute=0) as app:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, _ready(app))
            await app.service.flush(wait=2)
            assert await _api_rows(app) == []  # nothing of the other shop was sent here
            assert app.service.journal.counts()[0] == 0
    with demo_session(products=40, sales_per_minute=0) as app:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, _ready(app))
            assert await app.service.flush(wait=20)
            assert len(await _api_rows(app)) == 1
    assert {path.name for path in profiles.iterdir()} == {"demo-40", "demo-50"}
    assert (zinv_dirs / "data" / "demo" / "sandbox-50.sqlite").exists()


async def test_a_sandbox_failure_during_the_demo_goes_to_its_log_not_the_terminal(
    zinv_dirs: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A sandbox bug (500 and a traceback) while the app polls: nothing on the process's stdout
    or stderr (the file descriptors, where uvicorn's own handlers used to write over the TUI),
    the traceback in the shop's sandbox.log."""
    log = zinv_dirs / "state" / "profiles" / "demo-40" / DEMO_LOG_FILE
    capfd.readouterr()
    with demo_session(products=40, sales_per_minute=0) as app:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, _ready(app))
            SandboxAdmin(_url(app)).faults(bug_rate=1.0)
            await _restock(app, 0)
            await wait_for(pilot, lambda: log.read_text().count("SimulatedBug") >= 2)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    text = log.read_text()
    assert "sandbox bug while answering" in text and "Traceback" in text
    assert '"GET /organizations/self/inventory' in text  # the access log is there too


def test_a_demo_that_cannot_open_its_database_says_so(
    zinv_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = zinv_dirs / "data" / "demo" / "sandbox-40.sqlite"
    database.parent.mkdir(parents=True)
    database.write_bytes(b"this is not a database" * 100)
    code = run_demo(argparse.Namespace(products=40, seed=1, sales_per_minute=0))
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("zinv-tui demo: the demo shop cannot start (")
    assert str(database) in err and "Traceback" not in err


async def test_two_demos_at_once_both_work(zinv_dirs: Path) -> None:
    """Walkthrough #1 Repro B: a second `zinv-tui demo` while the first runs (one sandbox file,
    one outbox), movements made in each in turn all reach the ledger once."""
    with (
        demo_session(products=40, sales_per_minute=0) as first,
        demo_session(products=40, sales_per_minute=0) as second,
    ):
        services = [first.service, second.service]
        for service in services:
            # Loaded, not painted from the local snapshot the first one may have written by
            # now (that start returns before the stock is read, and no app draws it here).
            await service.start(require_load=True)
        try:
            for index in range(4):
                app = (second, first)[index % 2]
                keys = sorted(app.service.rows)
                await app.service.record([MovementIntent(Reason.RESTOCK, keys[index], quantity=1)])
                assert await app.service.flush(wait=20), app.service.status
            assert [len(await _api_rows(app)) for app in (first, second)] == [4, 4]
        finally:
            for service in services:
                await service.stop()
    log = (zinv_dirs / "state" / "profiles" / "demo-40" / DEMO_LOG_FILE).read_text()
    assert "sandbox bug" not in log


async def test_a_second_demo_knows_its_key_before_the_sandbox_answers(zinv_dirs: Path) -> None:
    """The key of a shop made before is read from its ledger file (so the app can paint its local
    snapshot while the sandbox still opens the file), and it is the sandbox's own."""
    from zinv_tui.sandbox.tokens import shop_key

    database = zinv_dirs / "data" / "demo" / "sandbox-40.sqlite"
    assert shop_key(database) is None  # no shop yet: the demo waits for the sandbox
    with demo_session(products=40, sales_per_minute=0) as app:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, _ready(app))
            info = SandboxAdmin(_url(app)).info()
    assert shop_key(database) == (info["api_key"], info["client_id"])
    with demo_session(products=40, sales_per_minute=0) as app:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.service_ready and len(app.service.rows) > 0)
            assert app.service.status.snapshot_from is not None or app.service.loaded
            await wait_for(pilot, _ready(app))  # and it catches up once the sandbox answers
