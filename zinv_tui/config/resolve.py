"""Resolve the layers into the settings of one profile, remembering the source of every value."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError

from zinv_tui.api.endpoints import ApiEndpoints
from zinv_tui.config.errors import ConfigError
from zinv_tui.config.paths import AppPaths, resolve_paths
from zinv_tui.config.profile import (
    ALLOWED,
    DEMO_PROFILE,
    PROFILE_KEYS,
    ProfileSettings,
    check_profile_name,
)
from zinv_tui.config.sources import Layer, read_layers
from zinv_tui.redaction import register_secret

DEFAULT_PROFILE_NAME = "default"


@dataclass(frozen=True)
class ResolvedSettings:
    """What a command needs to know about the chosen profile, and where each value came from."""

    paths: AppPaths
    profile_name: str
    profile: ProfileSettings
    sources: Mapping[str, str]
    """Per key: ``default``, ``<file>: key``, ``<.env>: ZINV_…``, ``env ZINV_…``, ``flag --…``."""
    profile_names: tuple[str, ...]
    """Profiles defined anywhere (config file, environment, stored keys), sorted."""
    env_api_key: SecretStr | None = None
    """``ZINV_API_KEY`` from the environment or ``.env``."""
    env_api_key_source: str | None = None
    dotenv_variables: Mapping[str, str] = field(default_factory=dict, repr=False)
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def state_dir(self) -> Path:
        """This profile's outbox, history, counts and sync cursor."""
        return self.paths.profile_state_dir(self.profile_name)

    @property
    def cache_dir(self) -> Path:
        """This profile's catalogue cache."""
        return self.paths.profile_cache_dir(self.profile_name)

    def endpoints(self) -> ApiEndpoints:
        """The profile's hosts for the client (``base_url`` stands for all of them)."""
        return ApiEndpoints(**self.profile.effective_urls())


def _known_profiles(layers: list[Layer], paths: AppPaths) -> set[str]:
    names = {DEFAULT_PROFILE_NAME}
    for layer in layers:
        names.update(layer.profiles)
    if paths.credentials_dir.is_dir():
        names.update(p.stem for p in paths.credentials_dir.glob("*.key"))
    return names


def _choose_profile(layers: list[Layer], requested: str | None) -> tuple[str, str]:
    """The profile's name and where the choice came from."""
    if requested is not None:
        return requested, "flag --profile"
    for key in ("profile", "default_profile"):
        for layer in reversed(layers):
            if key in layer.top and layer.top[key] not in (None, ""):
                return str(layer.top[key]), layer.where(key)
    return DEFAULT_PROFILE_NAME, "default"


def _format_value(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def load_settings(
    profile: str | None = None,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    allow_new_profile: bool = False,
) -> ResolvedSettings:
    """Resolve the settings of ``profile`` (default: ``profile``/``default_profile`` of the layers).

    ``flags`` are command-line values (only those given). ``allow_new_profile`` lets ``login`` name
    a profile that is not defined yet. Raises :class:`ConfigError` naming the source, key and what
    is allowed when a value is bad.
    """
    environ = dict(os.environ if environ is None else environ)
    flags = dict(flags or {})
    paths = resolve_paths(environ)
    layers, dotenv_variables = read_layers(paths, environ, flags)

    name, name_source = _choose_profile(layers, profile)
    try:
        check_profile_name(name)
    except ValueError as error:
        raise ConfigError(f"{name_source} = {_format_value(name)}: {error}") from None
    if name == DEMO_PROFILE:
        raise ConfigError(
            f'{name_source} = "demo": the demo profile is reserved for `zinv-tui demo`, '
            "which runs its own sandbox; choose another profile name"
        )
    for layer in layers:
        if DEMO_PROFILE in layer.profiles:
            raise ConfigError(
                f"{layer.where('profiles')}.demo: the demo profile is reserved for "
                "`zinv-tui demo`; rename this profile"
            )
    known = _known_profiles(layers, paths)
    if name not in known and not allow_new_profile:
        raise ConfigError(
            f'{name_source} = "{name}": no such profile; defined: {", ".join(sorted(known))}. '
            f"Run `zinv-tui login --profile {name}` or add [profiles.{name}] to {paths.config_file}"
        )

    values: dict[str, Any] = {}
    sources: dict[str, str] = {"profile": name_source}
    for key in PROFILE_KEYS:
        sources[key] = "default"
        for layer in layers:
            if key in layer.top and layer.top[key] is not None:
                values[key] = layer.top[key]
                sources[key] = layer.where(key)
            section = layer.profiles.get(name, {})
            if key in section and section[key] is not None:
                values[key] = section[key]
                sources[key] = layer.where(key, name)
    try:
        settings = ProfileSettings(**values)
    except ValidationError as error:
        first = error.errors()[0]
        key = str(first["loc"][0]) if first["loc"] else "?"
        raise ConfigError(
            f"{sources.get(key, key)} = {_format_value(values.get(key))}: "
            f"{ALLOWED.get(key, first['msg'])}"
        ) from None

    env_key: SecretStr | None = None
    env_key_source: str | None = None
    for layer in layers:
        value = layer.top.get("api_key")
        if value:
            secret = value if isinstance(value, SecretStr) else SecretStr(str(value))
            if secret.get_secret_value().strip():
                env_key, env_key_source = secret, layer.where("api_key")
    register_secret(env_key)

    return ResolvedSettings(
        paths=paths,
        profile_name=name,
        profile=settings,
        sources=sources,
        profile_names=tuple(sorted(known | {name})),
        env_api_key=env_key,
        env_api_key_source=env_key_source,
        dotenv_variables=dotenv_variables,
        environ=environ,
    )
