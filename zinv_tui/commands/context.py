"""What every command shares: the profile flags, resolving settings, opening a client."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import SecretStr

from zinv_tui.commands.output import FORMATS
from zinv_tui.config import ResolvedSettings, load_settings, resolve_api_key

if TYPE_CHECKING:
    from zinv_tui.api import ZettleClient

T = TypeVar("T")

SETTING_FLAGS = {
    "base_url": "one base URL for OAuth, Inventory and Products (the sandbox)",
    "client_id": "OAuth client id (default: read from the API key)",
    "poll_interval": "seconds between polls (1-3600)",
    "timeout": "seconds to wait for Zettle per request (1-300)",
    "user": "name recorded with each movement (default: the OS user)",
}
"""Settings that can be given as flags; they beat every other source."""


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


def profile_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The setting flags actually given."""
    given = {key: getattr(args, key) for key in SETTING_FLAGS if hasattr(args, key)}
    if getattr(args, "profile", None) is not None:
        given["profile"] = args.profile
    return given


def settings_from_args(
    args: argparse.Namespace, *, allow_new_profile: bool = False
) -> ResolvedSettings:
    """The resolved settings for the profile and flags on the command line."""
    return load_settings(flags=profile_flags(args), allow_new_profile=allow_new_profile)


def open_client(settings: ResolvedSettings, api_key: SecretStr | None = None) -> ZettleClient:
    """A :class:`ZettleClient` for the profile (key: the profile's, unless given)."""
    from zinv_tui.api import ZettleClient

    key = api_key if api_key is not None else resolve_api_key(settings).value
    return ZettleClient(
        key,
        endpoints=settings.endpoints(),
        client_id=settings.profile.client_id,
        timeout=settings.profile.timeout,
    )


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine to completion."""
    return asyncio.run(coroutine)
