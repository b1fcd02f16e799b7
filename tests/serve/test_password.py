"""The serve password: a scrypt hash in the config dir (0600), never the password itself."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest

from zinv_tui.serve.password import (
    PASSWORD_FILE,
    PasswordError,
    PasswordHash,
    load_password,
    store_password,
)


def test_stored_as_a_slow_salted_hash_readable_only_by_its_owner(serve_dirs) -> None:
    config = serve_dirs["config"]
    assert load_password(config) is None
    path = store_password(config, "stockroom-7")
    assert path == config / PASSWORD_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "stockroom" not in text and text.startswith("scrypt$32768$8$1$")
    stored = load_password(config)
    assert stored is not None and stored.matches("stockroom-7")
    assert not stored.matches("stockroom-8") and not stored.matches("")
    again = store_password(config, "stockroom-7")  # a new salt each time
    assert again.read_text() != text and load_password(config).matches("stockroom-7")


@pytest.mark.parametrize("password", ["short", "", "tab\there-and-more"])
def test_weak_or_odd_passwords_are_refused(password: str) -> None:
    with pytest.raises(PasswordError):
        PasswordHash.new(password)


def test_a_damaged_file_is_said_to_be_damaged(serve_dirs) -> None:
    config = serve_dirs["config"]
    config.mkdir(parents=True)
    (config / PASSWORD_FILE).write_text("scrypt$1$2$3$zz$yy\n")
    with pytest.raises(PasswordError, match="damaged"):
        load_password(config)


def test_set_password_from_a_pipe_and_its_exit_codes(child_env, serve_dirs) -> None:
    def set_password(text: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "zinv_tui", "serve", "--set-password"],
            input=text,
            capture_output=True,
            text=True,
            env=child_env,
            timeout=60,
            check=False,
        )

    short = set_password("abc\n")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    assert load_password(serve_dirs["config"]) is None
    done = set_password("back-room-tablet\n")
    assert done.returncode == 0, done.stderr
    assert "back-room-tablet" not in done.stdout + done.stderr
    assert load_password(serve_dirs["config"]).matches("back-room-tablet")
