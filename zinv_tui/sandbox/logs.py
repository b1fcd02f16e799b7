"""Where one sandbox's log records go: a file (the demo, whose terminal belongs to the TUI) or
stderr (``zinv-tui sandbox``), and nowhere else.

uvicorn is never allowed to configure logging itself (its default installs handlers bound to the
terminal). Each :class:`SandboxLog` puts one handler on the sandbox's loggers (uvicorn's error and
access logs, ``zinv_tui.sandbox``) that keeps only records made by that sandbox's own threads, so
several sandboxes in one process (tests) each log to their own place, and these loggers never pass
records on to the root logger (whose last-resort handler writes to the terminal).
"""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TextIO

LOGGERS = ("uvicorn.error", "uvicorn.access", "zinv_tui.sandbox")
"""Every logger a sandbox writes to (uvicorn's own, and this package's)."""

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"
LOG_MAX_BYTES = 2_000_000
"""A log file is rotated at this size (one previous file is kept)."""


class _OwnThreads(logging.Filter):
    """Records made by one sandbox's threads: its server thread and its store thread."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        name = record.threadName or ""
        return name == self.prefix or name.startswith((self.prefix + "-", self.prefix + "_"))


class _NoAccessLog(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.name != "uvicorn.access"


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes (not the one at start-up)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


class SandboxLog:
    """The log destination of one sandbox, for the threads whose names start with ``prefix``.

    With ``path``: INFO and above (access log included) to that file, rotated. Without: warnings
    and errors to stderr, as a command-line server does.
    """

    def __init__(self, prefix: str, path: str | Path | None = None) -> None:
        self.prefix = prefix
        self.path = Path(path) if path is not None else None
        handler: logging.Handler
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handler = RotatingFileHandler(
                self.path, maxBytes=LOG_MAX_BYTES, backupCount=1, encoding="utf-8"
            )
            handler.setLevel(logging.INFO)
        else:
            handler = _CurrentStderr()
            handler.setLevel(logging.WARNING)
            handler.addFilter(_NoAccessLog())
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler.addFilter(_OwnThreads(prefix))
        self.handler = handler

    def attach(self) -> None:
        """Start sending the sandbox's records to the destination."""
        for name in LOGGERS:
            logger = logging.getLogger(name)
            logger.propagate = False
            if logger.level == logging.NOTSET or logger.level > logging.INFO:
                logger.setLevel(logging.INFO)
            logger.addHandler(self.handler)

    def detach(self) -> None:
        """Stop logging there and close the file."""
        for name in LOGGERS:
            logging.getLogger(name).removeHandler(self.handler)
        self.handler.close()
