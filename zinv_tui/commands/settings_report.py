"""``zinv-tui config``: a profile's resolved settings, secrets redacted, with their sources."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from zinv_tui.commands.context import settings_from_args
from zinv_tui.commands.exit_codes import ExitCode
from zinv_tui.commands.output import render_rows
from zinv_tui.config import PROFILE_KEYS, ResolvedSettings, describe_key_source
from zinv_tui.redaction import redact

COLUMNS = ("setting", "value", "source")


def settings_rows(settings: ResolvedSettings) -> list[dict[str, Any]]:
    """One row per setting: name, value (redacted), where it came from."""
    paths = settings.paths
    config_file = paths.config_file
    env_file = paths.env_file
    rows: list[dict[str, Any]] = [
        {
            "setting": "profile",
            "value": settings.profile_name,
            "source": settings.sources["profile"],
        },
        {
            "setting": "profiles",
            "value": ", ".join(settings.profile_names),
            "source": "config file, environment, stored keys",
        },
        {
            "setting": "config_file",
            "value": f"{config_file}{'' if config_file.exists() else ' (absent)'}",
            "source": paths.sources["config"],
        },
        {
            "setting": "env_file",
            "value": "(none)"
            if env_file is None
            else f"{env_file}{'' if env_file.exists() else ' (absent)'}",
            "source": paths.sources["env_file"],
        },
        {"setting": "api_key", "value": "***", "source": describe_key_source(settings)},
    ]
    effective = settings.profile.effective_urls()
    for key in PROFILE_KEYS:
        value = getattr(settings.profile, key)
        source = settings.sources[key]
        if key == "api_key_command" and value:
            value = redact(value)
        if key in effective and settings.profile.base_url:
            value, source = effective[key], f"base_url ({settings.sources['base_url']})"
        rows.append({"setting": key, "value": value, "source": source})
    rows.append(generation_row(settings))
    rows += [
        {
            "setting": "state_dir",
            "value": str(settings.state_dir),
            "source": paths.sources["state"],
        },
        {
            "setting": "cache_dir",
            "value": str(settings.cache_dir),
            "source": paths.sources["cache"],
        },
        {"setting": "data_dir", "value": str(paths.data_dir), "source": paths.sources["data"]},
        {
            "setting": "config_dir",
            "value": str(paths.config_dir),
            "source": paths.sources["config"],
        },
    ]
    return rows


def generation_row(settings: ResolvedSettings) -> dict[str, Any]:
    """Which Inventory API generation the profile speaks and why (no network: what ``auto``
    remembers, if anything)."""
    from zinv_tui.api.generations import GENERATION_FILE, Choice, remembered

    chosen = settings.profile.api_version
    source = settings.sources["api_version"]
    if chosen != "auto":
        value = Choice(chosen, "forced").describe(source)
    else:
        memory = settings.cache_dir / GENERATION_FILE
        choice = remembered(memory, settings.profile.effective_urls()["inventory_url"])
        value = (
            choice.describe()
            if choice is not None
            else "auto: not probed yet (probed on the next connection, then remembered)"
        )
        source = str(memory)
    return {"setting": "api_generation", "value": value, "source": source}


def cmd_config(args: argparse.Namespace) -> int:
    """Print the resolved settings of the profile."""
    settings = settings_from_args(args)
    rows = settings_rows(settings)
    if args.format == "table":
        for row in rows:
            if row["value"] is None:
                row["value"] = "(unset)"
    render_rows(rows, COLUMNS, args.format, sys.stdout)
    return ExitCode.OK
