"""``zinv-tui doctor``: check config, state dir, key, hosts, token, scopes, sales history and
clock, with fixes."""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from zinv_tui.commands.account import KEYS_PAGE, REQUIRED_SCOPES
from zinv_tui.commands.context import open_client, run_async, settings_from_args
from zinv_tui.commands.exit_codes import ExitCode, exit_code_for
from zinv_tui.commands.output import say
from zinv_tui.config import (
    ConfigError,
    CredentialsError,
    ResolvedSettings,
    load_settings,
    resolve_api_key,
)
from zinv_tui.config.credentials import ApiKey, make_private_dir
from zinv_tui.redaction import redact
from zinv_tui.service.wording import plural

MAX_CLOCK_SKEW = 120.0
"""Seconds of difference from the server's clock above which the check fails."""


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    code: ExitCode = ExitCode.FAILED
    optional: bool = False
    """A feature the rest works without (``WARN``, not a failure)."""


def _check_other_profiles(settings: ResolvedSettings) -> list[Check]:
    checks = []
    for name in settings.profile_names:
        if name == settings.profile_name:
            continue
        try:
            load_settings(profile=name)
        except ConfigError as error:
            checks.append(
                Check(f"profile {name}", False, str(error), "correct the value", ExitCode.USAGE)
            )
    return checks


def _check_state_dir(settings: ResolvedSettings) -> Check:
    path = settings.state_dir
    try:
        existed = path.is_dir()
        if not existed:
            make_private_dir(path)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-", delete=True):
            pass
    except OSError as error:
        return Check(
            "state dir",
            False,
            f"{path}: {error.strerror}",
            f"make {path} writable, or set ZINV_STATE_DIR to a writable directory",
        )
    return Check("state dir", True, f"{path} ({'writable' if existed else 'created'})")


async def _probe(url: str, wait: float) -> tuple[float | None, str | None]:
    """Ask ``url`` anything; return the clock skew (server minus local, seconds) or an error."""
    async with httpx.AsyncClient(timeout=wait, follow_redirects=False) as http:
        before = time.time()
        try:
            response = await http.get(url + "/")
        except httpx.HTTPError as error:
            return None, type(error).__name__ + (f": {error}" if str(error) else "")
        after = time.time()
    date = response.headers.get("date")
    if not date:
        return None, None
    try:
        server = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return None, None
    if server.tzinfo is None:
        server = server.replace(tzinfo=UTC)
    local = datetime.fromtimestamp((before + after) / 2, UTC)
    return (server - local).total_seconds(), None


def _key_fix(settings: ResolvedSettings) -> str:
    profile = settings.profile
    if profile.api_key_command:
        return f"check api_key_command ({settings.sources['api_key_command']}) in a terminal"
    if profile.api_key_env:
        return (
            f"set {profile.api_key_env}, or remove api_key_env ({settings.sources['api_key_env']})"
        )
    return f"run `zinv-tui login --profile {settings.profile_name}`"


def _check_api_key(settings: ResolvedSettings) -> tuple[Check, ApiKey | None]:
    """Whether the profile has a key (no network needed); the key when it has."""
    try:
        key = resolve_api_key(settings)
    except CredentialsError as error:
        return Check("api key", False, str(error), _key_fix(settings), ExitCode.AUTH), None
    return Check("api key", True, f"from {key.source}"), key


async def _network_checks(settings: ResolvedSettings, api_key: ApiKey | None) -> list[Check]:
    """Hosts and clock; with a key, also the token, scopes and inventory."""
    checks: list[Check] = []
    skews: list[float] = []
    origins: dict[str, str] = {}
    for key, url in settings.profile.effective_urls().items():
        parts = urlsplit(url)
        origins.setdefault(
            f"{parts.scheme}://{parts.netloc}", "base_url" if settings.profile.base_url else key
        )
    for origin, key in origins.items():
        skew, error = await _probe(origin, settings.profile.timeout)
        if error:
            checks.append(
                Check(
                    f"reach {urlsplit(origin).netloc}",
                    False,
                    redact(error),
                    f"check the network or proxy, and {key} ({settings.sources.get(key)})",
                    ExitCode.NETWORK,
                )
            )
        else:
            checks.append(Check(f"reach {urlsplit(origin).netloc}", True, "answers"))
            if skew is not None:
                skews.append(skew)
    if api_key is not None and all(check.ok for check in checks):
        checks += await _token_checks(settings, api_key)
    if skews:
        skew = max(skews, key=abs)
        if abs(skew) > MAX_CLOCK_SKEW:
            checks.append(
                Check(
                    "clock",
                    False,
                    f"this computer's clock is {abs(skew):.0f} s "
                    f"{'behind' if skew > 0 else 'ahead of'} the server",
                    "set the clock automatically (e.g. `timedatectl set-ntp true`)",
                )
            )
        else:
            checks.append(Check("clock", True, f"within {abs(skew):.0f} s of the server"))
    return checks


async def _token_checks(settings: ResolvedSettings, api_key: ApiKey) -> list[Check]:
    """The key against the token endpoint, its scopes, and one read of the inventory."""
    from zinv_tui.api import ZettleError

    checks: list[Check] = []
    try:
        async with open_client(settings, api_key.value) as client:
            info = await client.fetch_token_info()
            checks.append(
                Check(
                    "token",
                    True,
                    f"organization {info.organization_uuid or '(not reported)'}, "
                    f"token valid until {info.expires_at:%Y-%m-%d %H:%M} UTC",
                )
            )
            missing = [scope for scope in REQUIRED_SCOPES if scope not in info.scopes]
            if missing:
                checks.append(
                    Check(
                        "scopes",
                        False,
                        f"missing {', '.join(missing)} (has: {' '.join(info.scopes) or 'none'})",
                        f"create a key with READ:PRODUCT and WRITE:PRODUCT at {KEYS_PAGE}, "
                        f"then `zinv-tui login --profile {settings.profile_name}`",
                        ExitCode.AUTH,
                    )
                )
            else:
                checks.append(Check("scopes", True, " ".join(REQUIRED_SCOPES)))
            checks += await _generation_checks(settings, api_key)
            checks.append(await _sales_check(client, info.scopes, settings))
    except ZettleError as error:
        code = exit_code_for(error)
        fix = {
            ExitCode.AUTH: f"create a new key at {KEYS_PAGE}, then `zinv-tui login "
            f"--profile {settings.profile_name}`",
            ExitCode.NETWORK: "check the network, proxy and base URLs",
        }.get(code, "try again later; if it persists, report it")
        name = "token" if not any(check.name == "token" for check in checks) else "inventory"
        checks.append(Check(name, False, redact(str(error)), fix, code))
    return checks


async def _generation_checks(settings: ResolvedSettings, api_key: ApiKey) -> list[Check]:
    """Which Inventory API generation is in use and why, and the places it reads."""
    from zinv_tui.api import ZettleError
    from zinv_tui.build import access_of, generation_in_use

    source = settings.sources["api_version"]
    try:
        choice, places = await generation_in_use(access_of(settings, api_key.value))
    except ZettleError as error:
        code = exit_code_for(error)
        fix = (
            "set api_version to auto (--api-version auto, ZINV_API_VERSION=auto)"
            if settings.profile.api_version != "auto" and code is ExitCode.FAILED
            else "check inventory_url (or base_url), then try again"
        )
        return [Check("api generation", False, redact(str(error)), fix, code)]
    kinds: dict[str, int] = {}
    for place in places:
        kinds[place.kind.value] = kinds.get(place.kind.value, 0) + 1
    shown = ", ".join(f"{count} {kind}" if count > 1 else kind for kind, count in kinds.items())
    return [
        Check("api generation", True, f"Inventory API {choice.describe(source)}"),
        Check("inventory", True, f"{plural(len(places), 'place')} readable ({shown})"),
    ]


async def _sales_check(client: Any, scopes: Sequence[str], settings: ResolvedSettings) -> Check:
    """``READ:PURCHASE`` (the sales history behind ``zinv-tui reorder``): optional."""
    from zinv_tui.api import READ_PURCHASE, ZettleError
    from zinv_tui.api.errors import PURCHASE_KEYS_PAGE

    fix = (
        f"for reorder suggestions, create a key with READ:PRODUCT, WRITE:PRODUCT and "
        f"READ:PURCHASE at {PURCHASE_KEYS_PAGE}, then `zinv-tui login --profile "
        f"{settings.profile_name}` (stock, movements and counts work without it)"
    )
    if scopes and READ_PURCHASE not in scopes:
        return Check("sales history", False, "no READ:PURCHASE scope", fix, optional=True)
    try:
        await client.purchases.page(start=datetime.now(UTC) - timedelta(days=1), limit=1)
    except ZettleError as error:
        return Check("sales history", False, redact(str(error)), fix, optional=True)
    return Check("sales history", True, "purchases readable (READ:PURCHASE)")


def _print(check: Check) -> None:
    status = "OK  " if check.ok else "WARN" if check.optional else "FAIL"
    say(f"{status}  {check.name}: {check.detail}")
    if not check.ok and check.fix:
        say(f"      fix: {check.fix}")


def cmd_doctor(args: argparse.Namespace) -> int:
    """Run every check; exit with the code of the first failure (0 if none)."""
    try:
        settings = settings_from_args(args)
    except ConfigError as error:
        _print(Check("config", False, str(error), "correct the value named above", ExitCode.USAGE))
        return ExitCode.USAGE
    where = settings.paths.config_file if settings.paths.config_file.exists() else "defaults"
    checks = [Check("config", True, f"profile {settings.profile_name!r} ({where})")]
    checks += _check_other_profiles(settings)
    checks.append(_check_state_dir(settings))
    key_check, key = _check_api_key(settings)
    checks.append(key_check)
    for check in checks:
        _print(check)
    network = run_async(_network_checks(settings, key))
    for check in network:
        _print(check)
    failures = [check for check in checks + network if not check.ok and not check.optional]
    if failures:
        say(f"{plural(len(failures), 'check')} failed.", err=True)
        return failures[0].code
    say("All checks passed.")
    return ExitCode.OK
