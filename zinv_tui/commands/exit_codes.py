"""Exit codes of every command, and which error maps to which."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a script can rely on."""

    OK = 0
    FAILED = 1
    """The operation failed (Zettle refused it, a movement is still pending, a check failed)."""
    USAGE = 2
    """Bad arguments or a bad setting."""
    AUTH = 3
    """No API key, or Zettle rejected it or lacks a scope."""
    NETWORK = 4
    """Zettle (or the sandbox) could not be reached (also: a movement pending because of it)."""
    OUTPUT_CLOSED = 141
    """The reader of the output went away (``zinv-tui balances | head``): 128 + SIGPIPE, as for
    other command-line tools; nothing is printed about it."""


EPILOG = """\
exit codes:
  0  success
  1  the operation failed (refused by Zettle, still pending, a doctor check failed,
     a local file could not be read or written, the output could not be written)
  2  usage or configuration error (bad flag, bad value in config.toml / .env / ZINV_*)
  3  authentication error (no API key, key rejected, missing scope)
  4  network error (Zettle or the configured base URL unreachable; also a movement
     still pending because of it)
  141  the reader closed the output early (e.g. `| head`), as for other tools
"""


class CommandError(Exception):
    """A failure a command reports in one sentence, with its exit code."""

    def __init__(self, message: str, code: ExitCode = ExitCode.FAILED) -> None:
        super().__init__(message)
        self.code = code


def exit_code_for(error: BaseException) -> ExitCode:
    """The exit code of an error raised by the layers."""
    from zinv_tui.api.errors import (
        ApiKeyRejected,
        NetworkError,
        PermissionDenied,
        TokenExpired,
    )
    from zinv_tui.config.errors import ConfigError, CredentialsError

    if isinstance(error, CommandError):
        return error.code
    if isinstance(error, ConfigError):
        return ExitCode.USAGE
    if isinstance(error, CredentialsError | ApiKeyRejected | PermissionDenied | TokenExpired):
        return ExitCode.AUTH
    if isinstance(error, NetworkError):
        return ExitCode.NETWORK
    return ExitCode.FAILED
