"""Local files and output on a bad day: each a plain message and the documented exit code, never a
traceback, and never data lost silently (issue 9 item 9, issue 8 item 13)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.service.test_journal import draft
from zinv_tui.sandbox.server import SandboxConfig, SandboxServer
from zinv_tui.service.journal import OutboxJournal
from zinv_tui.service.state_db import SIDE_FILES

pytestmark = pytest.mark.timeout(120)


def journal_path(zinv_dirs, profile: str = "default") -> Path:
    return zinv_dirs.state / "profiles" / profile / "outbox.sqlite"


def recorded_journal(zinv_dirs, count: int = 2) -> Path:
    path = journal_path(zinv_dirs)
    journal = OutboxJournal(path)
    journal.record([draft(f"v{i}") for i in range(count)], user="ana")
    journal.close()
    return path


def assert_plain(result, code: int, *words: str) -> None:
    assert result.code == code, (result.code, result.err)
    assert "Traceback" not in result.err and "Exception ignored" not in result.err
    for word in words:
        assert word in result.err, result.err


# -- the journal ---------------------------------------------------------------------------------


def test_an_emptied_journal_is_said_kept_and_only_then_replaced(zinv_dirs, run_cli):
    path = recorded_journal(zinv_dirs)
    assert "RESTOCK" in run_cli("history").out
    path.write_bytes(b"")  # truncated to 0 bytes

    first = run_cli("history")
    assert_plain(first, 1, "is damaged: it is empty (0 bytes)", "outbox.sqlite.damaged-")
    assert first.out == ""
    kept = list(path.parent.glob("outbox.sqlite.damaged-*"))
    assert len(kept) == 1 and kept[0].stat().st_size == 0
    again = run_cli("history")
    assert again.code == 0 and "No movements recorded" in again.out


def test_the_app_reports_a_damaged_journal_through_the_same_service_call(
    zinv_dirs, run_cli, monkeypatch
):
    path = recorded_journal(zinv_dirs)
    path.write_bytes(b"this is not a database, only text that replaced it" * 100)
    monkeypatch.setenv("ZINV_API_KEY", "not-used-the-journal-fails-first")
    monkeypatch.setenv("ZINV_BASE_URL", "http://127.0.0.1:9")

    result = run_cli()  # no command: the TUI's launcher builds the service, which refuses

    assert_plain(result, 1, "is damaged: it is not an SQLite database")
    assert len(list(path.parent.glob("outbox.sqlite.damaged-*"))) == 1


def test_a_journal_from_a_newer_release_is_refused_in_plain_words_and_kept(
    zinv_dirs, run_cli, monkeypatch
):
    path = recorded_journal(zinv_dirs)
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 99")  # what a later release would have written
    raw.close()
    before = path.read_bytes()
    result = run_cli("history")
    assert_plain(result, 1, "written by a newer version of zinv-tui", "Upgrade zinv-tui")
    monkeypatch.setenv("ZINV_API_KEY", "not-used-the-journal-fails-first")
    monkeypatch.setenv("ZINV_BASE_URL", "http://127.0.0.1:9")
    assert_plain(run_cli(), 1, "written by a newer version of zinv-tui")  # the TUI's launcher
    assert path.read_bytes() == before
    assert not list(path.parent.glob("outbox.sqlite.damaged-*"))


def test_history_reads_while_another_process_holds_the_write_lock(zinv_dirs, run_cli):
    path = recorded_journal(zinv_dirs)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE entries SET note = 'being changed'")
    try:
        started = time.monotonic()
        result = run_cli("history", "--format", "json")
        took = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.code == 0, result.err
    assert len(json.loads(result.out)) == 2
    assert took < 3.0, f"history waited {took:.1f} s for a lock it does not need"


def test_a_state_dir_that_is_a_file_is_a_plain_error(zinv_dirs, run_cli):
    zinv_dirs.state.parent.mkdir(parents=True, exist_ok=True)
    zinv_dirs.state.write_text("a file where the state folder should be")
    assert_plain(run_cli("history"), 1, str(zinv_dirs.state))


def test_an_unwritable_state_dir_is_a_plain_error(zinv_dirs, run_cli, monkeypatch):
    # /sys refuses new folders even to root (a chmod would not stop root, who runs CI here).
    target = Path("/sys/zinv-tui-test-state")
    if not _mkdir_refused(target):
        pytest.skip("needs a folder no one may write to")
    monkeypatch.setenv("ZINV_STATE_DIR", str(target))
    assert_plain(run_cli("history"), 1, str(target))


def _mkdir_refused(path: Path) -> bool:
    try:
        path.mkdir()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    path.rmdir()
    return False


def test_the_journal_is_created_private(zinv_dirs, run_cli):
    old = os.umask(0o022)
    try:
        assert run_cli("history").code == 0
    finally:
        os.umask(old)
    path = journal_path(zinv_dirs)
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    for side in SIDE_FILES:
        side_file = Path(f"{path}{side}")
        assert not side_file.exists() or oct(side_file.stat().st_mode & 0o777) == oct(0o600)


def test_movements_of_a_later_version_are_listed_not_fatal(zinv_dirs, run_cli):
    path = recorded_journal(zinv_dirs)
    raw = sqlite3.connect(path)
    raw.execute("UPDATE entries SET reason = 'TRANSFER', to_type = 'WAREHOUSE' WHERE id = 2")
    raw.commit()
    raw.close()
    result = run_cli("history", "--format", "json")
    assert result.code == 0, result.err
    assert [row["reason"] for row in json.loads(result.out)] == ["TRANSFER", "RESTOCK"]
    assert "TRANSFER" in run_cli("history").out


def test_a_location_type_zettle_adds_later_is_carried(tmp_path, use_sandbox, run_cli):
    config = SandboxConfig(products=5, db_path=tmp_path / "sandbox.sqlite")
    with SandboxServer(config):
        pass  # made the ledger file
    ledger = sqlite3.connect(tmp_path / "sandbox.sqlite")
    ledger.execute(
        "INSERT INTO locations VALUES ('8f4c07a2-3b4e-11ef-9a5e-0242ac120002', 'WAREHOUSE', "
        "'Back room', 'Added by a later Zettle', 0, 9)"
    )
    ledger.commit()
    ledger.close()
    with SandboxServer(config) as info:
        use_sandbox(info)
        locations = run_cli("locations", "--format", "json")
        balances = run_cli("balances", "--format", "json")
    assert locations.code == 0, locations.err
    assert sorted(row["type"] for row in json.loads(locations.out)) == [
        "BIN",
        "SOLD",
        "STORE",
        "SUPPLIER",
        "WAREHOUSE",
    ]
    assert balances.code == 0 and json.loads(balances.out), balances.err


# -- config.toml -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "words"),
    [
        pytest.param(
            b"poll_interval = [1, 2]\n",
            ["poll_interval = [1, 2]: must be a number of seconds between 1 and 3600"],
            id="list-for-a-number",
        ),
        pytest.param(
            b"[profiles.default]\ntimeout = { seconds = 3 }\n",
            ["profiles.default.timeout", "must be a number of seconds"],
            id="table-for-a-number",
        ),
        pytest.param(
            b'poll_interval = 5\nuser = "Jos\xe9"\n',
            ["not UTF-8 text (byte 0xe9 on line 2); save it as UTF-8"],
            id="latin-1",
        ),
        pytest.param(
            b"a = " + b"[" * 50_000 + b"]" * 50_000 + b"\n",
            ["not valid TOML (tables or arrays nested too deeply)"],
            id="deeply-nested",
        ),
    ],
)
def test_a_bad_config_file_is_exit_2_with_the_file_and_key(zinv_dirs, run_cli, content, words):
    zinv_dirs.config.mkdir(parents=True, exist_ok=True)
    zinv_dirs.config_file.write_bytes(content)
    for command in ("config", "history", "doctor"):
        result = run_cli(command)
        assert result.code == 2, (command, result.err, result.out)
        text = result.err + result.out
        assert "Traceback" not in text and str(zinv_dirs.config_file) in text
        for word in words:
            assert word in text, text


def test_a_dotenv_file_that_is_not_utf8_is_exit_2(zinv_dirs, run_cli):
    zinv_dirs.env_file.write_bytes(b"ZINV_USER=Jos\xe9\n")
    assert_plain(run_cli("config"), 2, str(zinv_dirs.env_file), "not UTF-8 text")


# -- the output ------------------------------------------------------------------------------------


def _child_env(zinv_dirs, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ZINV_")}
    env.update(
        ZINV_CONFIG_DIR=str(zinv_dirs.config),
        ZINV_STATE_DIR=str(zinv_dirs.state),
        ZINV_DATA_DIR=str(zinv_dirs.data),
        ZINV_CACHE_DIR=str(zinv_dirs.cache),
        ZINV_ENV_FILE=str(zinv_dirs.env_file),
        **extra,
    )
    return env


def _run_with_closed_output(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run the CLI with its stdout a pipe whose reader has already gone (``| head`` that quit)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        child = subprocess.run(
            [sys.executable, "-m", "zinv_tui", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    return child.returncode, child.stderr


@pytest.mark.slow
def test_balances_into_a_closed_pipe_exits_quietly(zinv_dirs, sandbox):
    env = _child_env(zinv_dirs, ZINV_API_KEY=sandbox.api_key, ZINV_BASE_URL=sandbox.url)
    code, err = _run_with_closed_output(["balances"], env)
    assert (code, err) == (141, "")


@pytest.mark.slow
def test_help_and_history_into_a_closed_pipe_exit_quietly(zinv_dirs):
    recorded_journal(zinv_dirs)
    assert _run_with_closed_output(["history"], _child_env(zinv_dirs)) == (141, "")
    code, err = _run_with_closed_output(["--help"], _child_env(zinv_dirs))
    assert code in (0, 141) and err == ""  # argparse drops help it cannot write


@pytest.mark.slow
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_to_a_full_device_is_a_plain_error(zinv_dirs):
    recorded_journal(zinv_dirs)
    with open("/dev/full", "w") as full:
        child = subprocess.run(
            [sys.executable, "-m", "zinv_tui", "history"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=_child_env(zinv_dirs),
            timeout=60,
            check=False,
        )
    assert child.returncode == 1
    assert child.stderr == "zinv-tui: error: cannot write the output: No space left on device\n"
