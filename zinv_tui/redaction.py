"""Keep API keys and access tokens out of text that leaves the process.

Belt and braces: secrets travel as :class:`pydantic.SecretStr`, and on top of that every secret the
app has read is registered here, so log records, tracebacks and command output can be scrubbed of
it. Text that merely looks like a JWT (``eyJ…``) or a bearer token is masked as well, which covers
access tokens the app never saw as a value.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from types import TracebackType

from pydantic import SecretStr

MASK = "***"
_MIN_SECRET_LENGTH = 6
_PATTERNS = (
    re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(
        r"(?i)((?:assertion|access_token|api_key)[\"']?\s*[=:]\s*[\"']?)[A-Za-z0-9._~+/-]{8,}"
    ),
)

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | SecretStr | None) -> None:
    """Remember a secret so that :func:`redact` masks it wherever it shows up."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not value:
        return
    value = value.strip()
    if len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(value)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every registered secret, every one of ``secrets`` (e.g. a client's own key
    and token) and every token-like string replaced by ``***``: the one redaction rule for logs,
    tracebacks, command output and error text."""
    if not text:
        return text
    with _lock:
        known = sorted({*_secrets, *(s for s in secrets if s)}, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    text = _PATTERNS[0].sub(MASK, text)
    for pattern in _PATTERNS[1:]:
        text = pattern.sub(lambda match: match.group(1) + MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message and traceback through :func:`redact`; for handlers that may
    see records not made by the logging factory (``logging.makeLogRecord``, other processes)."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
        return True


def scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact ``record``'s message and traceback text in place (safe to repeat)."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep the raw template
        message = str(record.msg)
    cleaned = redact(message)
    if cleaned != message:  # only records that held a secret lose their template and args
        record.msg = cleaned
        record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


_installed = False


def install() -> None:
    """Redact every log record at creation and every uncaught exception (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    previous_factory = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        return scrub_record(previous_factory(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    sys.excepthook = _redacting_excepthook(sys.excepthook)
    threading.excepthook = _redacting_thread_hook


def _redacting_thread_hook(hook_args: threading.ExceptHookArgs) -> None:
    if hook_args.exc_type is SystemExit or hook_args.exc_value is None:
        return
    name = hook_args.thread.name if hook_args.thread else "a thread"
    sys.stderr.write(f"Exception in {name}:\n{format_exception(hook_args.exc_value)}")


def _redacting_excepthook(
    previous: Callable[[type[BaseException], BaseException, TracebackType | None], object],
) -> Callable[[type[BaseException], BaseException, TracebackType | None], None]:
    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        sys.stderr.write(format_exception(error))

    hook.previous = previous  # type: ignore[attr-defined]
    return hook


def format_exception(error: BaseException) -> str:
    """The full traceback of ``error`` as text, redacted."""
    return redact("".join(traceback.format_exception(error)))
