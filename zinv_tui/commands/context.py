"""What every command shares: the profile flags, resolving settings, opening a client."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

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


DEADLINE_PER_TIMEOUT = 4
"""A command's calls to Zettle together may take this many times the ``timeout`` setting (one
request alone may already take that long: a body that trickles in byte by byte)."""


def network_deadline(settings: ResolvedSettings) -> float:
    """Seconds a command may spend reaching Zettle (its sending wait, if any, comes on top)."""
    return DEADLINE_PER_TIMEOUT * settings.profile.timeout


@contextlib.asynccontextmanager
async def within(settings: ResolvedSettings, extra: float = 0.0) -> AsyncIterator[None]:
    """Bound the calls inside to :func:`network_deadline` (+ ``extra`` seconds, e.g. a sending
    wait); past it, a plain :class:`CommandError` with exit code 4."""
    seconds = network_deadline(settings) + extra
    try:
        async with asyncio.timeout(seconds) as scope:
            yield
    except TimeoutError:
        if not scope.expired():
            raise
        raise CommandError(
            f"Zettle did not finish answering within {seconds:g} s (the command's limit, from "
            f"the {settings.profile.timeout:g} s timeout) - check the connection, or raise "
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
