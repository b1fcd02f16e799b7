"""Starting the app: `zinv-tui demo` (in-process sandbox, data kept) and `zinv-tui` with no key."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.support.sandbox import SandboxAdmin
from zinv_tui.cli import build_parser, main
from zinv_tui.ui.launch import demo_database_path, demo_session, run_app

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def zinv_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every zinv-tui directory under ``tmp_path`` (never the real home)."""
    for kind in ("CONFIG", "STATE", "DATA", "CACHE"):
        monkeypatch.setenv(f"ZINV_{kind}_DIR", str(tmp_path / kind.lower()))
    monkeypatch.setenv("ZINV_ENV_FILE", "")
    for name in ("ZINV_API_KEY", "ZINV_PROFILE", "ZINV_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


async def wait_for(pilot: Pilot, condition: Callable[[], bool], tries: int = 300) -> None:
    for _ in range(tries):
        if condition():
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not met")


def test_demo_command_line() -> None:
    args = build_parser().parse_args(["demo", "--products", "50", "--sales-per-minute", "0"])
    assert (args.products, args.seed, args.sales_per_minute) == (50, 1, 0.0)
    assert args.func.__name__ == "run_demo"
    assert build_parser().parse_args(["demo"]).sales_per_minute is None  # the demo default
    with pytest.raises(SystemExit):
        build_parser().parse_args(["demo", "--products", "-1"])


def test_demo_database_path() -> None:
    assert demo_database_path(Path("/d"), 300) == Path("/d/demo/sandbox-300.sqlite")
    assert demo_database_path(Path("/d"), 300, seed=7) == Path("/d/demo/sandbox-300-seed7.sqlite")


async def test_demo_shows_stock_marked_demo_and_keeps_movements(zinv_dirs: Path) -> None:
    database = zinv_dirs / "data" / "demo" / "sandbox-40.sqlite"
    with demo_session(products=40, sales_per_minute=0) as app:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.service_ready and app.screen.table.row_count > 0)
            lines = [strip.text for strip in app.screen._compositor.render_strips()]
            assert app.demo and lines[0].startswith(" DEMO ")
            assert "variants" in lines[1]
            table = app.screen.table
            key = next(k for k in table.shown_keys() if table.get_row(k).balance > 2)
            before = table.get_row(key).balance
            url = str(app.service.backend.client.endpoints.inventory_url)
            SandboxAdmin(url).sale(key[1], 2)
        assert database.exists()
        assert (zinv_dirs / "state" / "profiles" / "demo-40").is_dir()
    # A second start reuses the ledger: the sale is still there (once the local snapshot it
    # paints first is confirmed by the sandbox).
    with demo_session(products=40, sales_per_minute=0) as app:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.service_ready and app.screen.table.row_count > 0)
            await wait_for(pilot, lambda: app.service.loaded)
            await pilot.pause()
            assert app.screen.table.get_row(key).balance == before - 2


def test_no_api_key_explains_and_offers_the_demo(
    zinv_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_app(argparse.Namespace()) == 3
    err = capsys.readouterr().err
    assert "zinv-tui login" in err and "zinv-tui demo" in err
    assert main([]) == 3  # `zinv-tui` with no command goes the same way
