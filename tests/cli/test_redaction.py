"""The API key and access tokens never show in output, logs, tracebacks, reprs or config dumps."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import sys

import pytest
from pydantic import SecretStr

from zinv_tui import redaction
from zinv_tui.config import load_settings, resolve_api_key, store_api_key

pytestmark = pytest.mark.timeout(60)

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.")


def _assert_clean(text: str, key: str) -> None:
    assert key not in text
    assert key[-20:] not in text  # no tail of it either
    assert not JWT.search(text), "something token-like leaked"


def test_every_command_output_and_log_is_free_of_key_and_tokens(
    sandbox, zinv_dirs, run_cli, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    key = sandbox.api_key
    monkeypatch.setattr(sys, "stdin", io.StringIO(key + "\n"))
    outputs = [run_cli("login", "--base-url", sandbox.url, "--api-key-stdin")]
    outputs.append(run_cli("config"))
    outputs.append(run_cli("config", "--format", "json"))
    outputs.append(run_cli("doctor"))
    zinv_dirs.write_config(
        f'[profiles.cmd]\nbase_url = "{sandbox.url}"\napi_key_command = "echo {key}"\n'
    )
    outputs.append(run_cli("config", "--profile", "cmd"))
    outputs.append(run_cli("doctor", "--profile", "cmd"))
    assert [result.code for result in outputs] == [0, 0, 0, 0, 0, 0]
    for result in outputs:
        _assert_clean(result.out + result.err, key)
    assert caplog.records, "expected the client's HTTP logs to be captured"
    _assert_clean(caplog.text, key)
    _assert_clean("\n".join(repr(record.__dict__) for record in caplog.records), key)


def test_reprs_and_dumps_hide_the_key(zinv_dirs):
    key = "repr-secret-0123456789"
    settings = load_settings()
    store_api_key(settings.paths, "default", SecretStr(key))
    api_key = resolve_api_key(settings)
    for text in (repr(api_key), str(api_key), repr(settings), repr(api_key.value)):
        assert key not in text


def test_log_records_are_redacted_at_creation(caplog):
    redaction.install()
    secret = "log-secret-abcdef123456"
    redaction.register_secret(secret)
    caplog.set_level(logging.INFO)
    logger = logging.getLogger("zinv_tui.test")
    logger.info("key is %s", secret)
    logger.info("bearer header: Authorization: Bearer abcdefghijklmnop")
    try:
        raise ValueError(f"failed with {secret}")
    except ValueError:
        logger.exception("request failed")
    assert secret not in caplog.text
    assert "abcdefghijklmnop" not in caplog.text
    assert "key is ***" in caplog.text and "Bearer ***" in caplog.text
    formatted = logging.Formatter().format(caplog.records[-1])
    assert "ValueError: failed with ***" in formatted


def test_an_unexpected_error_prints_a_redacted_traceback(zinv_dirs, run_cli, monkeypatch):
    secret = "traceback-secret-0123456789"
    redaction.register_secret(secret)

    def explode(args):
        raise RuntimeError(f"unexpected failure near {secret}")

    monkeypatch.setattr("zinv_tui.commands.settings_report.cmd_config", explode)
    result = run_cli("config")
    assert result.code == 1
    assert "Traceback" in result.err and "RuntimeError: unexpected failure near ***" in result.err
    assert secret not in result.err


def test_uncaught_exception_in_a_process_is_redacted():
    secret = "process-secret-0123456789"
    code = (
        "from zinv_tui import redaction\n"
        "redaction.install()\n"
        f"redaction.register_secret({secret!r})\n"
        f"raise RuntimeError('boom ' + {secret!r})\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert completed.returncode == 1
    assert "RuntimeError: boom ***" in completed.stderr
    assert secret not in completed.stderr


def test_redact_masks_registered_secrets_and_token_shapes():
    redaction.register_secret("short")  # too short to mask safely: ignored
    redaction.register_secret(SecretStr("registered-value-123"))
    text = redaction.redact(
        "a registered-value-123 b eyJhbGciOi.eyJzdWIiOi.sig c access_token=abcdefghijk short"
    )
    assert text == "a *** b *** c access_token=*** short"
