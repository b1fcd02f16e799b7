"""What every command shares: the profile flags, resolving settings, opening a client."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import SecretStr

from zinv_tui.commands.exit_codes import CommandError, ExitCode
from zinv_tui.commands.output import FORMATS
from zinv_tui.config import ResolvedSettings, resolve_api_key
from zinv_tui.config.flags import SETTING_FLAGS, profile_flags, settings_from_args

if TYPE_CHECKING:
    from zinv_tui.api import ZettleClient

T = TypeVar("T")

__all__ = [
    "SETTING_FLAGS",
    "add_format_argument",
    "add_profile_arguments",
    "limit_calls",
    "network_deadline",
    "open_client",
    "profile_flags",
    "run_async",
    "settings_from_args",
    "within",
]


def add_profile_arguments(parser: argparse.ArgumentParser) -> None:
    """``--profile`` and the setting flags. Their defaults are *suppressed*, so that a flag given
    before the command (``zinv-tui --profile shop balances``) and one given after both count."""
    group = parser.add_argument_group("profile and settings")
    group.add_argument(
        "--profile",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="shop profile to use (default: default_profile in config.toml, else 'default')",
    )
    for key, text in SETTING_FLAGS.items():
        group.add_argument(
            "--" + key.replace("_", "-"),
            dest=key,
            metavar=key.split("_")[-1].upper(),
            default=argparse.SUPPRESS,
            help=text,
        )


def add_format_argument(parser: argparse.ArgumentParser, default: str = "table") -> None:
    """``--format table|csv|json``."""
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=default,
        help=f"output format (default: {default})",
    )


def open_client(settings: ResolvedSettings, api_key: SecretStr | None = None) -> ZettleClient:
    """A :class:`ZettleClient` for the profile (key: the profile's, unless given)."""
    from zinv_tui.build import access_of
    from zinv_tui.build import open_client as open_shop_client

    key = api_key if api_key is not None else resolve_api_key(settings).value
    return open_shop_client(access_of(settings, key))


SAFETY_MARGIN = 0.5
"""Seconds past a command's time limit before :func:`within` cuts in: the calls stop in time
with their own reason (refused, timed out), this only catches what they don't."""

_LIMITS: contextvars.ContextVar[tuple[asyncio.Timeout, ...]] = contextvars.ContextVar(
    "zinv_command_limits", default=()
)
"""The time limits of the :func:`within` blocks the running code is in (outermost first)."""


def network_deadline(settings: ResolvedSettings) -> float:
    """Seconds a command may spend reaching Zettle, all attempts and waits between them
    together: the ``timeout`` setting (its sending wait, if any, comes on top). The client's own
    pacing under Zettle's rate limit is not counted (see :func:`limit_calls`)."""
    return settings.profile.timeout


class Limitable(Protocol):
    """What takes a time limit: a backend (:class:`~zinv_tui.service.StockBackend`) or a
    client (:class:`~zinv_tui.api.ZettleClient`)."""

    def set_deadline(
        self, seconds: float | None, extended: Callable[[float], object] | None = None
    ) -> None: ...


def limit_calls(backend: Limitable, seconds: float | None) -> None:
    """Bound the calls of a backend or client to ``seconds`` from now (None: lift it). When it
    moves its deadline on by its own pacing, every enclosing :func:`within` moves with it."""
    if seconds is None:
        backend.set_deadline(None)
        return
    limits = _LIMITS.get()

    def extended(added: float) -> None:
        for limit in limits:
            when = limit.when()
            if when is not None and not limit.expired():
                limit.reschedule(when + added)

    backend.set_deadline(seconds, extended)


@contextlib.asynccontextmanager
async def within(settings: ResolvedSettings, extra: float = 0.0) -> AsyncIterator[None]:
    """Bound the calls inside to :func:`network_deadline` (+ ``extra`` seconds, e.g. a sending
    wait, + :data:`SAFETY_MARGIN`); past it, a plain :class:`CommandError` with exit code 4."""
    seconds = network_deadline(settings) + extra
    try:
        async with asyncio.timeout(seconds + SAFETY_MARGIN) as scope:
            token = _LIMITS.set((*_LIMITS.get(), scope))
            try:
                yield
            finally:
                _LIMITS.reset(token)
    except TimeoutError:
        if not scope.expired():
            raise
        raise CommandError(
            f"Zettle did not finish answering within {seconds:g} s (the command's time limit, "
            f"from --timeout {settings.profile.timeout:g}) - check the connection, or raise "
            "--timeout",
            ExitCode.NETWORK,
        ) from None


def run_async(
    coroutine: Coroutine[Any, Any, T],
    settings: ResolvedSettings | None = None,
    *,
    extra: float = 0.0,
) -> T:
    """Run a command's coroutine to completion; with ``settings``, within the command's network
    deadline (+ ``extra`` seconds), see :func:`within`."""
    if settings is None:
        return asyncio.run(coroutine)

    async def bounded() -> T:
        async with within(settings, extra):
            return await coroutine

    return asyncio.run(bounded())
