"""Where the API key comes from, and how the stored key file is protected."""

from __future__ import annotations

import os
import stat
import sys
import time

import pytest
from pydantic import SecretStr

from zinv_tui.config import (
    CredentialsError,
    delete_api_key,
    load_settings,
    resolve_api_key,
    store_api_key,
    stored_key_path,
)
from zinv_tui.config.credentials import command_needs_shell

pytestmark = pytest.mark.timeout(30)

KEY = "test-key-0123456789-abcdef"


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_stored_key_is_0600_in_0700_dirs_even_with_a_permissive_umask(zinv_dirs):
    previous = os.umask(0)
    try:
        path = store_api_key(load_settings().paths, "default", SecretStr(KEY))
    finally:
        os.umask(previous)
    assert path == zinv_dirs.config / "credentials" / "default.key"
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert _mode(zinv_dirs.config) == 0o700
    assert path.read_text() == KEY + "\n"
    assert [p.name for p in path.parent.iterdir()] == ["default.key"]  # no temporary left


def test_storing_again_replaces_the_key_atomically(zinv_dirs):
    paths = load_settings().paths
    store_api_key(paths, "default", SecretStr(KEY))
    store_api_key(paths, "default", SecretStr("second-key-abcdefgh"))
    assert resolve_api_key(load_settings()).value.get_secret_value() == "second-key-abcdefgh"
    assert _mode(stored_key_path(paths, "default")) == 0o600


def test_stored_key_is_read_back_and_deleted(zinv_dirs):
    paths = load_settings().paths
    store_api_key(paths, "default", SecretStr(KEY))
    key = resolve_api_key(load_settings())
    assert key.value.get_secret_value() == KEY
    assert key.source.startswith("stored file ")
    assert KEY not in repr(key)
    assert delete_api_key(paths, "default") is True
    assert delete_api_key(paths, "default") is False
    with pytest.raises(CredentialsError, match="run `zinv-tui login --profile default`"):
        resolve_api_key(load_settings())


def test_a_key_file_others_can_read_is_refused(zinv_dirs):
    path = store_api_key(load_settings().paths, "default", SecretStr(KEY))
    path.chmod(0o644)
    with pytest.raises(CredentialsError, match=r"mode 0644\); run `chmod 600"):
        resolve_api_key(load_settings())


def test_key_from_named_env_var_then_from_dotenv(zinv_dirs, monkeypatch):
    zinv_dirs.write_config('[profiles.shop]\napi_key_env = "SHOP_KEY"\n')
    with pytest.raises(CredentialsError, match=r"environment variable SHOP_KEY .* not set"):
        resolve_api_key(load_settings(profile="shop"))
    zinv_dirs.env_file.write_text(f"SHOP_KEY={KEY}-dotenv\n")
    assert resolve_api_key(load_settings(profile="shop")).value.get_secret_value() == (
        KEY + "-dotenv"
    )
    monkeypatch.setenv("SHOP_KEY", KEY)
    key = resolve_api_key(load_settings(profile="shop"))
    assert key.value.get_secret_value() == KEY
    assert key.source == "environment variable SHOP_KEY"


def test_zinv_api_key_beats_the_stored_file(zinv_dirs, monkeypatch):
    store_api_key(load_settings().paths, "default", SecretStr("stored-key-abcdefgh"))
    monkeypatch.setenv("ZINV_API_KEY", KEY)
    key = resolve_api_key(load_settings())
    assert (key.value.get_secret_value(), key.source) == (KEY, "env ZINV_API_KEY")


def _python_command(code: str) -> str:
    return f'{sys.executable} -c "{code}"'


def test_key_from_a_command_without_shell(zinv_dirs):
    script = zinv_dirs.root / "print key.py"
    script.write_text(f"print('{KEY}')\nprint('second line ignored')\n")
    command = f"{sys.executable} '{script}'"
    assert not command_needs_shell(command)
    zinv_dirs.write_config(f'[profiles.shop]\napi_key_command = """{command}"""\n')
    key = resolve_api_key(load_settings(profile="shop"))
    assert (key.value.get_secret_value(), key.source) == (KEY, "api_key_command")


def test_key_from_a_command_with_shell_syntax(zinv_dirs):
    command = f"echo {KEY.upper()} | tr A-Z a-z"
    assert command_needs_shell(command)
    zinv_dirs.write_config(f'[profiles.shop]\napi_key_command = "{command}"\n')
    assert resolve_api_key(load_settings(profile="shop")).value.get_secret_value() == KEY


def test_command_failures_are_reported_without_output(zinv_dirs):
    zinv_dirs.write_config(
        "[profiles.fails]\n"
        f"api_key_command = '{_python_command('import sys; sys.exit(5)')}'\n"
        "[profiles.silent]\n"
        f"api_key_command = '{_python_command('pass')}'\n"
        "[profiles.slow]\n"
        f"api_key_command = '{_python_command('import time; time.sleep(10)')}'\n"
        "api_key_command_timeout = 1\n"
        "[profiles.missing]\n"
        'api_key_command = "/nonexistent/zinv-key-helper"\n'
    )
    with pytest.raises(CredentialsError, match="exit status 5"):
        resolve_api_key(load_settings(profile="fails"))
    with pytest.raises(CredentialsError, match="printed nothing"):
        resolve_api_key(load_settings(profile="silent"))
    started = time.monotonic()
    with pytest.raises(CredentialsError, match="did not finish within 1 s"):
        resolve_api_key(load_settings(profile="slow"))
    assert time.monotonic() - started < 5
    with pytest.raises(CredentialsError, match="could not start"):
        resolve_api_key(load_settings(profile="missing"))


def test_command_beats_env_var_which_beats_stored_file(zinv_dirs, monkeypatch):
    monkeypatch.setenv("SHOP_KEY", "from-env-abcdefgh")
    zinv_dirs.write_config(
        '[profiles.shop]\napi_key_env = "SHOP_KEY"\n'
        f"api_key_command = '{_python_command('print(123456789)')}'\n"
    )
    store_api_key(load_settings(profile="shop").paths, "shop", SecretStr("stored-abcdefgh"))
    assert resolve_api_key(load_settings(profile="shop")).value.get_secret_value() == "123456789"
    zinv_dirs.write_config('[profiles.shop]\napi_key_env = "SHOP_KEY"\n')
    assert resolve_api_key(load_settings(profile="shop")).source == "environment variable SHOP_KEY"
