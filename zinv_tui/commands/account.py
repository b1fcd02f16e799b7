"""``zinv-tui login`` and ``zinv-tui logout``: verify and store, or forget, a profile's API key."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from zinv_tui.commands.context import (
    limit_calls,
    network_deadline,
    open_client,
    profile_flags,
    run_async,
    settings_from_args,
)
from zinv_tui.commands.exit_codes import CommandError, ExitCode
from zinv_tui.commands.output import say
from zinv_tui.config import (
    ResolvedSettings,
    delete_api_key,
    describe_key_source,
    resolve_api_key,
    store_api_key,
    stored_key_path,
)
from zinv_tui.config.credentials import make_private_dir
from zinv_tui.config.sources import read_file_layer
from zinv_tui.redaction import register_secret

if TYPE_CHECKING:
    from zinv_tui.api import TokenInfo

REQUIRED_SCOPES = ("READ:PRODUCT", "WRITE:PRODUCT")
KEYS_PAGE = "https://my.zettle.com/apps/api-keys?scopes=READ:PRODUCT%20WRITE:PRODUCT"


def add_login_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``login``."""
    parser.description = (
        "Verify an API key against Zettle and store it for a profile (file readable only by you).\n"
        "Setting flags given with it (--base-url, --timeout, ...) are saved for the profile in a\n"
        "new [profiles.NAME] section of config.toml, and login prints what it saved."
    )
    parser.add_argument(
        "--api-key-stdin",
        action="store_true",
        help="read the API key from standard input (for scripts) instead of asking",
    )


def _read_key(args: argparse.Namespace) -> SecretStr:
    if args.api_key_stdin:
        text = sys.stdin.readline().strip()
        if not text:
            raise CommandError("no API key on standard input", ExitCode.USAGE)
        return SecretStr(text)
    if not sys.stdin.isatty():
        raise CommandError(
            "no terminal to ask for the API key; pipe it in with --api-key-stdin", ExitCode.USAGE
        )
    say(f"Create a key with READ:PRODUCT and WRITE:PRODUCT at {KEYS_PAGE}")
    text = getpass.getpass("Zettle API key (input hidden): ").strip()
    if not text:
        raise CommandError("no API key entered", ExitCode.USAGE)
    return SecretStr(text)


async def verify_api_key(settings: ResolvedSettings, key: SecretStr) -> TokenInfo:
    """Ask the token endpoint whether ``key`` works; return who it speaks for."""
    async with open_client(settings, key) as client:
        limit_calls(client, network_deadline(settings))  # retries end in time, with their reason
        return await client.fetch_token_info()


def describe_token_info(info: TokenInfo) -> list[str]:
    """Lines naming the organization and scopes (no secret)."""
    scopes = " ".join(info.scopes) if info.scopes else "(none reported)"
    lines = [
        f"Organization: {info.organization_uuid or '(not reported)'}",
        f"Client id:    {info.client_id}",
        f"Scopes:       {scopes}",
    ]
    missing = [scope for scope in REQUIRED_SCOPES if info.scopes and scope not in info.scopes]
    if missing:
        lines.append(
            f"Warning: the key lacks {' and '.join(missing)}; stock changes will be refused. "
            f"Create a key with both scopes at {KEYS_PAGE}"
        )
    return lines


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def add_profile_section(settings: ResolvedSettings, args: argparse.Namespace) -> list[str]:
    """Save the setting flags given to ``login`` as a new ``[profiles.NAME]`` in config.toml; the
    ``key = value`` lines saved (none when no flag was given or the section exists already: a
    section is never rewritten)."""
    path = settings.paths.config_file
    flags = {key: value for key, value in profile_flags(args).items() if key != "profile"}
    if not flags or settings.profile_name in read_file_layer(path).profiles:
        return []
    saved = []
    for key, value in flags.items():
        number = key in ("poll_interval", "timeout")
        saved.append(f"{key} = {getattr(settings.profile, key) if number else _toml_string(value)}")
    lines = [f"[profiles.{settings.profile_name}]", *saved]
    make_private_dir(settings.paths.config_dir)
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    separator = (
        ""
        if not existing or existing.endswith("\n\n")
        else "\n"
        if existing.endswith("\n")
        else "\n\n"
    )
    text = existing + separator + "\n".join(lines) + "\n"
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return saved


def cmd_login(args: argparse.Namespace) -> int:
    """Verify an API key against the token endpoint, show who it is for, and store it (0600)."""
    settings = settings_from_args(args, allow_new_profile=True)
    configured = settings.profile.api_key_command or settings.profile.api_key_env
    if configured and not args.api_key_stdin:
        key = resolve_api_key(settings).value
        info = run_async(verify_api_key(settings, key), settings)
        source = describe_key_source(settings)
        say(f"Profile {settings.profile_name!r}: the key from {source} works.")
        say("\n".join(describe_token_info(info)))
        say("Nothing was stored: this profile reads its key from there.")
        return ExitCode.OK
    key = _read_key(args)
    register_secret(key)
    info = run_async(verify_api_key(settings, key), settings)
    say("\n".join(describe_token_info(info)))
    path: Path = store_api_key(settings.paths, settings.profile_name, key)
    say(f"Stored the key of profile {settings.profile_name!r} in {path} (readable only by you).")
    saved = add_profile_section(settings, args)
    if saved:
        say(
            f"Saved in {settings.paths.config_file}, section [profiles.{settings.profile_name}], "
            f"so that later commands on this profile use it: {'; '.join(saved)}"
        )
    elif any(key != "profile" for key in profile_flags(args)):
        say(
            f"Note: {settings.paths.config_file} already has [profiles.{settings.profile_name}]; "
            "the setting flags applied to this login only (edit the file to keep them)."
        )
    if configured or settings.env_api_key is not None:
        say(
            f"Note: this profile currently takes its key from {describe_key_source(settings)}, "
            "which comes before the stored file."
        )
    return ExitCode.OK


def cmd_logout(args: argparse.Namespace) -> int:
    """Delete the profile's stored API key."""
    settings = settings_from_args(args)
    path = stored_key_path(settings.paths, settings.profile_name)
    if delete_api_key(settings.paths, settings.profile_name):
        say(f"Deleted the stored key of profile {settings.profile_name!r} ({path}).")
    else:
        say(f"Profile {settings.profile_name!r} had no stored key ({path}).")
    if settings.profile.api_key_command or settings.profile.api_key_env or settings.env_api_key:
        say(f"It still gets a key from {describe_key_source(settings)}.")
    return ExitCode.OK
