"""Settings given on the command line: which flags there are, and the settings they resolve to."""

from __future__ import annotations

import argparse
from typing import Any

from zinv_tui.config.resolve import ResolvedSettings, load_settings

SETTING_FLAGS = {
    "base_url": "one base URL for OAuth, Inventory, Products and Purchases (the sandbox)",
    "client_id": "OAuth client id (default: read from the API key)",
    "poll_interval": "seconds between polls (1-3600)",
    "timeout": "seconds a command may wait for Zettle in all, retries included; the app: per "
    "request (1-300)",
    "user": "name recorded with each movement (default: the OS user)",
    "api_version": "Zettle Inventory API: auto (default: probe once, remember), v1 or v3",
}
"""Settings that can be given as flags; they beat every other source."""


def profile_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The setting flags actually given (and ``profile``, when given)."""
    given = {key: getattr(args, key) for key in SETTING_FLAGS if hasattr(args, key)}
    if getattr(args, "profile", None) is not None:
        given["profile"] = args.profile
    return given


def settings_from_args(
    args: argparse.Namespace, *, allow_new_profile: bool = False
) -> ResolvedSettings:
    """The resolved settings for the profile and flags on the command line."""
    return load_settings(flags=profile_flags(args), allow_new_profile=allow_new_profile)
