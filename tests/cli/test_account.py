"""``login``, ``logout`` and ``doctor`` against a real sandbox."""

from __future__ import annotations

import io
import re
import socket
import stat
import sys
import time

import pytest

from zinv_tui.commands import doctor

pytestmark = pytest.mark.timeout(60)

BAD_KEY = "eyJhbGciOiJSUzI1NiJ9.eyJjbGllbnRfaWQiOiJ4In0.c2lnbmF0dXJlLW5vdC12YWxpZA"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str, *, tty: bool = False) -> None:
    monkeypatch.setattr(sys, "stdin", _Terminal(text) if tty else io.StringIO(text))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_login_from_stdin_verifies_shows_org_and_stores_0600(
    sandbox, zinv_dirs, run_cli, monkeypatch
):
    _stdin(monkeypatch, sandbox.api_key + "\n")
    result = run_cli("login", "--profile", "shop", "--base-url", sandbox.url, "--api-key-stdin")
    assert result.code == 0, result.err
    assert f"Organization: {sandbox.organization_uuid}" in result.out
    assert "READ:PRODUCT" in result.out and "WRITE:PRODUCT" in result.out
    assert sandbox.api_key not in result.out + result.err
    key_file = zinv_dirs.config / "credentials" / "shop.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == sandbox.api_key
    assert f'base_url = "{sandbox.url}"' in zinv_dirs.config_file.read_text()

    # The profile now works without flags, and doctor agrees.
    checked = run_cli("doctor", "--profile", "shop")
    assert checked.code == 0, checked.out + checked.err
    for name in (
        "config",
        "state dir",
        "reach",
        "api key",
        "token",
        "scopes",
        "inventory",
        "clock",
    ):
        assert f"OK    {name}" in checked.out
    assert (zinv_dirs.state / "profiles" / "shop").is_dir()

    out = run_cli("logout", "--profile", "shop")
    assert out.code == 0 and "Deleted the stored key" in out.out
    assert not key_file.exists()
    again = run_cli("doctor", "--profile", "shop")
    assert again.code == 3
    assert "FAIL  api key" in again.out and "fix: run `zinv-tui login --profile shop`" in again.out


def test_login_again_keeps_an_existing_profile_section(sandbox, zinv_dirs, run_cli, monkeypatch):
    path = zinv_dirs.write_config(f'[profiles.shop]\nbase_url = "{sandbox.url}"\nuser = "ann"\n')
    before = path.read_text()
    _stdin(monkeypatch, sandbox.api_key + "\n")
    result = run_cli("login", "--profile", "shop", "--timeout", "20", "--api-key-stdin")
    assert result.code == 0, result.err
    assert path.read_text() == before
    assert "applied to this login only" in result.out


def test_login_asks_with_hidden_input(sandbox, zinv_dirs, run_cli, monkeypatch):
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return sandbox.api_key

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    _stdin(monkeypatch, "", tty=True)
    result = run_cli("login", "--base-url", sandbox.url)
    assert result.code == 0, result.err
    assert prompts == ["Zettle API key (input hidden): "]
    assert (zinv_dirs.config / "credentials" / "default.key").exists()


def test_login_without_a_terminal_needs_api_key_stdin(zinv_dirs, run_cli, monkeypatch):
    _stdin(monkeypatch, "")
    result = run_cli("login", "--base-url", "http://127.0.0.1:9")
    assert result.code == 2
    assert "--api-key-stdin" in result.err


def test_login_with_a_rejected_key_exits_3_and_stores_nothing(
    sandbox, zinv_dirs, run_cli, monkeypatch
):
    _stdin(monkeypatch, BAD_KEY + "\n")
    result = run_cli("login", "--base-url", sandbox.url, "--api-key-stdin")
    assert result.code == 3
    assert "API key rejected" in result.err
    assert not (zinv_dirs.config / "credentials" / "default.key").exists()
    assert BAD_KEY not in result.out + result.err


def test_login_to_an_unreachable_host_exits_4(zinv_dirs, run_cli, monkeypatch, sandbox):
    _stdin(monkeypatch, sandbox.api_key + "\n")
    url = f"http://127.0.0.1:{_free_port()}"
    result = run_cli("login", "--base-url", url, "--timeout", "2", "--api-key-stdin")
    assert result.code == 4, result.err
    assert "reach" in result.err


def test_login_for_an_env_profile_verifies_that_key_and_stores_nothing(
    sandbox, zinv_dirs, run_cli, monkeypatch
):
    zinv_dirs.write_config(f'[profiles.ci]\napi_key_env = "CI_KEY"\nbase_url = "{sandbox.url}"\n')
    monkeypatch.setenv("CI_KEY", sandbox.api_key)
    result = run_cli("login", "--profile", "ci")
    assert result.code == 0, result.err
    assert "environment variable CI_KEY" in result.out and "Nothing was stored" in result.out
    assert not (zinv_dirs.config / "credentials").exists()


def test_doctor_reports_an_unreachable_host_with_exit_4(zinv_dirs, run_cli, monkeypatch):
    monkeypatch.setenv("ZINV_API_KEY", BAD_KEY)
    result = run_cli("doctor", "--base-url", f"http://127.0.0.1:{_free_port()}", "--timeout", "2")
    assert result.code == 4
    assert "FAIL  reach 127.0.0.1" in result.out
    assert "fix: check the network or proxy, and base_url (flag --base-url)" in result.out


def test_doctor_reports_a_rejected_key_with_exit_3(sandbox, zinv_dirs, run_cli, monkeypatch):
    monkeypatch.setenv("ZINV_API_KEY", BAD_KEY)
    result = run_cli("doctor", "--base-url", sandbox.url)
    assert result.code == 3
    assert "FAIL  token: API key rejected" in result.out
    assert "fix: create a new key" in result.out


def test_doctor_reports_a_bad_config_with_exit_2(zinv_dirs, run_cli):
    path = zinv_dirs.write_config("timeout = 9999\n")
    result = run_cli("doctor")
    assert result.code == 2
    assert f"FAIL  config: {path}: timeout = 9999: must be a number of seconds" in result.out


def test_doctor_reports_a_bad_other_profile(sandbox, zinv_dirs, run_cli, monkeypatch):
    zinv_dirs.write_config(
        f'[profiles.good]\nbase_url = "{sandbox.url}"\n[profiles.bad]\npoll_interval = 0\n'
    )
    monkeypatch.setenv("ZINV_API_KEY", sandbox.api_key)
    result = run_cli("doctor", "--profile", "good")
    assert result.code == 2
    assert "FAIL  profile bad:" in result.out and "OK    token" in result.out


def test_doctor_reports_clock_skew(sandbox, zinv_dirs, run_cli, monkeypatch):
    class SkewedClock:
        @staticmethod
        def time() -> float:
            return time.time() - 600

    monkeypatch.setattr(doctor, "time", SkewedClock)
    monkeypatch.setenv("ZINV_API_KEY", sandbox.api_key)
    result = run_cli("doctor", "--base-url", sandbox.url)
    assert result.code == 1
    assert re.search(
        r"FAIL  clock: this computer's clock is (59[5-9]|60[0-5]) s behind", result.out
    )
    assert "timedatectl set-ntp true" in result.out


def test_doctor_reports_an_unwritable_state_dir(sandbox, zinv_dirs, run_cli, monkeypatch):
    zinv_dirs.state.write_text("a file, not a directory")
    monkeypatch.setenv("ZINV_API_KEY", sandbox.api_key)
    result = run_cli("doctor", "--base-url", sandbox.url)
    assert result.code == 1
    assert "FAIL  state dir" in result.out and "ZINV_STATE_DIR" in result.out


def test_doctor_fix_for_a_failing_key_command(sandbox, zinv_dirs, run_cli):
    path = zinv_dirs.write_config(
        f'[profiles.pm]\nbase_url = "{sandbox.url}"\napi_key_command = "false"\n'
    )
    result = run_cli("doctor", "--profile", "pm")
    assert result.code == 3
    assert "FAIL  api key: api_key_command failed with exit status 1" in result.out
    assert f"fix: check api_key_command ({path}: profiles.pm.api_key_command)" in result.out


@pytest.mark.parametrize("online", [False, True], ids=["offline", "online"])
def test_doctor_says_there_is_no_key_online_or_not(sandbox, zinv_dirs, run_cli, online):
    url = sandbox.url if online else f"http://127.0.0.1:{_free_port()}"
    result = run_cli("doctor", "--base-url", url, "--timeout", "2")
    assert result.code == 3, result.out  # the missing key is the first thing to fix
    assert "FAIL  api key: no API key for profile 'default'" in result.out
    assert "fix: run `zinv-tui login --profile default`" in result.out
    reach = "OK    reach 127.0.0.1" if online else "FAIL  reach 127.0.0.1"
    assert reach in result.out
    assert "token" not in result.out


def test_login_says_what_it_saves_in_config_toml(sandbox, zinv_dirs, run_cli, monkeypatch):
    _stdin(monkeypatch, sandbox.api_key + "\n")
    result = run_cli("login", "--api-key-stdin", "--base-url", sandbox.url, "--timeout", "20")
    assert result.code == 0, result.err
    assert (
        f"Saved in {zinv_dirs.config_file}, section [profiles.default], so that later commands on "
        f'this profile use it: base_url = "{sandbox.url}"; timeout = 20.0'
    ) in result.out
    assert f'base_url = "{sandbox.url}"' in zinv_dirs.config_file.read_text()
