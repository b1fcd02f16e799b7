"""``zinv-tui sandbox`` as a real process: ready file, the whole surface on the port, clean stop on
SIGTERM and SIGINT (exit 0)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.sandbox.raw_http import GRANT

pytestmark = [pytest.mark.timeout(90), pytest.mark.skipif(os.name != "posix", reason="signals")]


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 45) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return json.loads(path.read_text())
        if process.poll() is not None:
            raise AssertionError(f"sandbox exited early: {process.communicate()}")
        time.sleep(0.05)
    raise AssertionError("no ready file")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_sandbox_command_ready_file_and_clean_stop(tmp_path: Path, stop_signal: int) -> None:
    ready = tmp_path / "sub" / "f.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zinv_tui",
            "sandbox",
            "--port",
            "0",
            "--ready-file",
            str(ready),
            "--products",
            "25",
            "--db",
            str(tmp_path / "demo.sqlite"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        info = _wait_for(ready, process)
        assert set(info) == {"url", "api_key", "client_id", "organization_uuid"}
        assert info["url"].startswith("http://127.0.0.1:")
        assert not info["url"].endswith(":0")
        assert [p.name for p in ready.parent.iterdir()] == ["f.json"]  # written atomically
        token = httpx.post(
            f"{info['url']}/token",
            data={
                "grant_type": GRANT,
                "client_id": info["client_id"],
                "assertion": info["api_key"],
            },
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for path in (
            "/inventory",
            "/organizations/self/locations",
            "/organizations/self/products/v2",
        ):
            assert httpx.get(info["url"] + path, headers=headers).status_code == 200
    finally:
        process.send_signal(stop_signal)
        try:
            out, err = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, err
    assert info["url"] in out
    assert "inventory API v1 and v3; v1 externalUuid keyed" in out
    assert info["api_key"] not in out + err
    assert "Traceback" not in err


def test_fault_flags_reach_the_config() -> None:
    from zinv_tui.cli import build_parser
    from zinv_tui.sandbox.server import config_from_args

    args = build_parser().parse_args(
        [
            "sandbox",
            "--port",
            "0",
            "--products",
            "7",
            "--seed",
            "3",
            "--db",
            "x.sqlite",
            "--sales-per-minute",
            "2.5",
            "--latency-ms",
            "5",
            "--error-rate",
            "0.1",
            "--drop-rate",
            "0.2",
            "--drop-phase",
            "after",
            "--fault-seed",
            "9",
            "--throttle",
            "--token-ttl",
            "60",
        ]
    )
    config = config_from_args(args)
    assert (config.port, config.products, config.seed, config.db_path) == (0, 7, 3, "x.sqlite")
    assert (config.sales_per_minute, config.latency_ms, config.error_rate) == (2.5, 5.0, 0.1)
    assert (config.drop_rate, config.drop_phase, config.fault_seed) == (0.2, "after", 9)
    assert config.throttle is True
    assert config.token_ttl == 60
    assert config.host == "127.0.0.1"


def test_unusable_database_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.sqlite"
    bad.write_text("not a database, just notes " * 10)
    done = subprocess.run(
        [sys.executable, "-m", "zinv_tui", "sandbox", "--port", "0", "--db", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "cannot use the database" in done.stderr
    assert "Traceback" not in done.stderr
