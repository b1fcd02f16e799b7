"""The real executable: ``python -m zinv_tui`` in a child process (exit codes, output, no key)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]


def _run(args: list[str], env: dict[str, str], stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "zinv_tui", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture
def child_env(zinv_dirs) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ZINV_")}
    env.update(
        ZINV_CONFIG_DIR=str(zinv_dirs.config),
        ZINV_STATE_DIR=str(zinv_dirs.state),
        ZINV_DATA_DIR=str(zinv_dirs.data),
        ZINV_CACHE_DIR=str(zinv_dirs.cache),
        ZINV_ENV_FILE=str(zinv_dirs.env_file),
    )
    return env


def test_help_documents_the_exit_codes(child_env):
    result = _run(["--help"], child_env)
    assert result.returncode == 0
    for line in (
        "0  success",
        "2  usage or configuration error",
        "3  authentication error",
        "4  network error",
    ):
        assert line in result.stdout
    assert "move" in result.stdout and "import-counts" in result.stdout


def test_login_move_and_history_in_child_processes(sandbox_factory, child_env, zinv_dirs):
    info = sandbox_factory(products=10)
    login = _run(
        ["login", "--profile", "till", "--base-url", info.url, "--api-key-stdin"],
        child_env,
        stdin=info.api_key + "\n",
    )
    assert login.returncode == 0, login.stderr
    child_env["ZINV_PROFILE"] = "till"
    rows = json.loads(_run(["balances", "--format", "json"], child_env).stdout)
    sku = next(row["sku"] for row in rows if row["sku"])
    move = _run(["move", "--reason", "restock", "--sku", sku, "--qty", "4"], child_env)
    assert move.returncode == 0, move.stderr
    history = _run(["history", "--format", "csv"], child_env)
    assert history.returncode == 0 and "RESTOCK" in history.stdout
    assert (zinv_dirs.state / "profiles" / "till" / "outbox.sqlite").exists()
    for result in (login, move, history):
        assert info.api_key not in result.stdout + result.stderr


def test_config_error_exit_code_in_a_child_process(child_env, zinv_dirs):
    path = zinv_dirs.write_config("[profiles.shop]\npoll_interval = -3\n")
    result = _run(["config", "--profile", "shop"], child_env)
    assert result.returncode == 2
    assert (
        f"{path}: profiles.shop.poll_interval = -3: must be a number of seconds between 1 and 3600"
        in result.stderr
    )
