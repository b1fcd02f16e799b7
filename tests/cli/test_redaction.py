"""The API key and access tokens never show in output, logs, tracebacks, reprs or config dumps."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import sys
import threading

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


def test_stock_commands_and_state_files_are_free_of_the_key(
    sandbox_factory, zinv_dirs, run_cli, use_sandbox, caplog
):
    caplog.set_level(logging.DEBUG)
    info = sandbox_factory(products=10)
    use_sandbox(info)
    counts = zinv_dirs.root / "counts.csv"
    outputs = [run_cli("balances", "--format", "csv")]
    sku = next(line.split(",")[2] for line in outputs[0].out.splitlines()[1:] if line.split(",")[2])
    counts.write_text(f"sku,counted\n{sku},3\n")
    outputs += [
        run_cli("locations"),
        run_cli("low-stock"),
        run_cli("move", "--reason", "restock", "--sku", sku, "--qty", "2"),
        run_cli("import-counts", str(counts), "--dry-run"),
        run_cli("import-counts", str(counts)),
        run_cli("history", "--format", "json"),
        run_cli("outbox", "--retry"),
        run_cli("export", "history", str(zinv_dirs.root / "history.csv")),
        run_cli("doctor"),
        run_cli("config", "--format", "json"),
    ]
    assert [result.code for result in outputs] == [0] * len(outputs), [r.err for r in outputs]
    for result in outputs:
        _assert_clean(result.out + result.err, info.api_key)
    _assert_clean(caplog.text, info.api_key)
    written = [path for path in zinv_dirs.root.rglob("*") if path.is_file()]
    assert any(path.name == "outbox.sqlite" for path in written)
    for path in written:
        if path.suffix != ".key":
            _assert_clean(path.read_bytes().decode("utf-8", "replace"), info.api_key)


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


def test_uncaught_exception_in_a_thread_is_redacted(capsys, monkeypatch):
    # A fresh install() (pytest swaps thread hooks around each test).
    monkeypatch.setattr(redaction, "_installed", False)
    monkeypatch.setattr(threading, "excepthook", threading.__excepthook__)
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    factory = logging.getLogRecordFactory()
    try:
        redaction.install()
    finally:
        logging.setLogRecordFactory(factory)
    assert threading.excepthook is not threading.__excepthook__
    secret = "thread-secret-0123456789"
    redaction.register_secret(secret)

    def fail() -> None:
        raise RuntimeError(f"thread failed near {secret}")

    worker = threading.Thread(target=fail, name="worker-1")
    worker.start()
    worker.join()
    err = capsys.readouterr().err
    assert "Exception in worker-1" in err and "RuntimeError: thread failed near ***" in err
    assert secret not in err


def test_redacting_filter_scrubs_records_made_outside_the_factory():
    secret = "filter-secret-0123456789"
    redaction.register_secret(secret)
    record = logging.makeLogRecord({"msg": "sent %s", "args": (secret,), "levelno": 20})
    assert redaction.RedactingFilter().filter(record) is True
    assert record.getMessage() == "sent ***"
