"""Reading the layers of settings with pydantic-settings, keeping where each value came from.

Layers, lowest to highest: defaults < ``config.toml`` < ``.env`` < environment (``ZINV_…``) < flags.
Each layer may set a key for every profile (top level: ``poll_interval = 10``,
``ZINV_POLL_INTERVAL``, ``--poll-interval``) or for one profile (``[profiles.shop] poll_interval =
10``, ``ZINV_PROFILES__SHOP__POLL_INTERVAL``); within a layer the profile's own value wins.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import SecretStr
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from zinv_tui.config.errors import ConfigError
from zinv_tui.config.paths import AppPaths, resolve_paths
from zinv_tui.config.profile import PROFILE_KEYS

ENV_PREFIX = "ZINV_"
SELECTION_KEYS = ("profile", "default_profile")
"""Keys that choose the profile; ``profile`` (env/flag) beats ``default_profile`` (the file)."""


class ZinvSettings(BaseSettings):
    """The raw, layered settings as pydantic-settings reads them (checked later, per profile).

    ``ZinvSettings()`` alone merges the layers the pydantic-settings way; :func:`read_layers` reads
    them one by one instead, so that ``zinv-tui config`` can say where each value came from.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        case_sensitive=False,
        extra="ignore",
    )

    profile: Any = None
    default_profile: Any = None
    api_key: SecretStr | None = None
    profiles: dict[str, dict[str, Any]] = {}
    api_key_env: Any = None
    api_key_command: Any = None
    api_key_command_timeout: Any = None
    client_id: Any = None
    base_url: Any = None
    oauth_url: Any = None
    inventory_url: Any = None
    products_url: Any = None
    purchases_url: Any = None
    poll_interval: Any = None
    timeout: Any = None
    user: Any = None
    api_version: Any = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Highest first: arguments (flags) > environment > ``.env`` > ``config.toml``."""
        paths = resolve_paths()
        sources = [init_settings, env_settings]
        if paths.env_file is not None:
            sources.append(DotEnvSettingsSource(settings_cls, env_file=paths.env_file))
        sources.append(TomlConfigSettingsSource(settings_cls, toml_file=paths.config_file))
        return tuple(sources)


assert set(PROFILE_KEYS) <= set(ZinvSettings.model_fields), "ZinvSettings lacks a profile key"


@dataclass
class Layer:
    """One source of settings: its kind, a label per key, the values it sets."""

    kind: str
    """``default``, ``config file``, ``.env``, ``env`` or ``flag``."""
    origin: str
    """The file path, or empty."""
    top: dict[str, Any] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)

    def where(self, key: str, profile: str | None = None) -> str:
        """How to name ``key`` (of ``profile``, when set there) in this layer, for messages."""
        if self.kind == "config file":
            dotted = f"profiles.{profile}.{key}" if profile else key
            return f"{self.origin}: {dotted}"
        variable = ENV_PREFIX + (f"PROFILES__{profile}__{key}" if profile else key).upper()
        if self.kind == ".env":
            return f"{self.origin}: {variable}"
        if self.kind == "env":
            return f"env {variable}"
        if self.kind == "flag":
            return "flag --" + key.replace("_", "-")
        return "default"


def _allowed_keys_text() -> str:
    return ", ".join(sorted(PROFILE_KEYS))


def _split(raw: Mapping[str, Any], layer: Layer, *, strict: bool) -> Layer:
    """Sort ``raw`` into top-level keys and profile sections; refuse unknown keys if ``strict``."""
    for key, value in raw.items():
        if key == "profiles":
            if not isinstance(value, Mapping):
                raise ConfigError(
                    f"{layer.where('profiles')}: must be a table of profiles ([profiles.NAME])"
                )
            for name, section in value.items():
                if not isinstance(section, Mapping):
                    raise ConfigError(
                        f"{layer.where('profiles')}.{name}: must be a table of settings "
                        f"([profiles.{name}])"
                    )
                for sub_key in section:
                    if sub_key not in PROFILE_KEYS:
                        raise ConfigError(
                            f"{layer.where(sub_key, str(name))}: unknown setting; "
                            f"allowed: {_allowed_keys_text()}"
                        )
                layer.profiles[str(name).lower()] = dict(section)
        elif key == "api_key":
            if layer.kind == "config file":
                raise ConfigError(
                    f"{layer.where('api_key')}: API keys do not belong in {layer.origin}; run "
                    "`zinv-tui login`, or set api_key_env or api_key_command"
                )
            layer.top[key] = value
        elif key in PROFILE_KEYS or key in SELECTION_KEYS:
            if layer.kind == "config file" and key == "profile":
                raise ConfigError(
                    f"{layer.where('profile')}: unknown setting; the file chooses a profile with "
                    "default_profile"
                )
            layer.top[key] = value
        elif strict:
            raise ConfigError(
                f"{layer.where(key)}: unknown setting; allowed: default_profile, "
                f"{_allowed_keys_text()} and [profiles.NAME] sections"
            )
    return layer


def read_file_layer(path: Path) -> Layer:
    """``config.toml`` (absent: an empty layer)."""
    layer = Layer("config file", str(path))
    if not path.is_file():
        return layer
    try:
        raw = TomlConfigSettingsSource(ZinvSettings, toml_file=path)()
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: {_not_utf8(error)}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML (tables or arrays nested too deeply)") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror})") from None
    return _split(raw, layer, strict=True)


def _not_utf8(error: UnicodeDecodeError) -> str:
    """Where a settings file stops being UTF-8 text, in words."""
    data = error.object
    line = bytes(data[: error.start]).count(b"\n") + 1
    return f"not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}); save it as UTF-8"


def read_dotenv_layer(path: Path | None) -> tuple[Layer, dict[str, str]]:
    """The ``.env`` file's ``ZINV_…`` settings, and all its variables (for ``api_key_env``)."""
    layer = Layer(".env", str(path) if path else ".env")
    if path is None or not path.is_file():
        return layer, {}
    try:
        variables = {k: v for k, v in dotenv_values(path).items() if v is not None}
        raw = DotEnvSettingsSource(ZinvSettings, env_file=path)()
    except SettingsError as error:
        raise ConfigError(f"{path}: {_settings_error_text(error)}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: {_not_utf8(error)}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror})") from None
    known = set(ZinvSettings.model_fields)
    for name in variables:
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or "__" in upper:
            continue
        key = upper[len(ENV_PREFIX) :].lower()
        if key not in known and key not in _PATH_VARIABLES:
            raise ConfigError(
                f"{path}: {name}: unknown setting; allowed: ZINV_ followed by one of "
                f"PROFILE, DEFAULT_PROFILE, API_KEY, {_allowed_keys_text().upper()}"
            )
    wanted = {k: v for k, v in raw.items() if k in known}
    return _split(wanted, layer, strict=False), variables


_PATH_VARIABLES = frozenset({"config_dir", "state_dir", "data_dir", "cache_dir", "env_file"})


class _EnvironSource(EnvSettingsSource):
    """The environment source, reading a given mapping instead of ``os.environ``."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._given_environ = environ
        super().__init__(ZinvSettings)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {key.lower(): value for key, value in self._given_environ.items()}


def read_env_layer(environ: Mapping[str, str]) -> Layer:
    """``ZINV_…`` environment variables."""
    source: PydanticBaseSettingsSource = _EnvironSource(environ)
    try:
        raw = source()
    except SettingsError as error:
        raise ConfigError(f"environment: {_settings_error_text(error)}") from None
    return _split(raw, Layer("env", ""), strict=False)


def _settings_error_text(error: SettingsError) -> str:
    if '"profiles"' in str(error):
        return "ZINV_PROFILES must be a JSON object of profiles (or use ZINV_PROFILES__NAME__KEY)"
    return str(error)


def flag_layer(flags: Mapping[str, Any]) -> Layer:
    """Settings given as command-line flags (only those actually given)."""
    return _split(
        {k: v for k, v in flags.items() if v is not None}, Layer("flag", ""), strict=False
    )


def read_layers(
    paths: AppPaths, environ: Mapping[str, str], flags: Mapping[str, Any]
) -> tuple[list[Layer], dict[str, str]]:
    """All layers, lowest first, and the ``.env`` file's variables."""
    dotenv, dotenv_variables = read_dotenv_layer(paths.env_file)
    layers = [
        Layer("default", ""),
        read_file_layer(paths.config_file),
        dotenv,
        read_env_layer(environ),
        flag_layer(flags),
    ]
    return layers, dotenv_variables
