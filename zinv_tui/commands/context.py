"""What every command shares: the profile flags, resolving settings, opening a client."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import SecretStr

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
    "open_client",
    "profile_flags",
    "run_async",
    "settings_from_args",
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
    from zinv_tui.service.connection import open_client as open_shop_client

    key = api_key if api_key is not None else resolve_api_key(settings).value
    profile = settings.profile
    return open_shop_client(
        key, settings.endpoints(), client_id=profile.client_id, timeout=profile.timeout
    )


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine to completion."""
    return asyncio.run(coroutine)
