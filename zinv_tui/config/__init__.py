"""Settings, profiles, paths and credentials.

Layers, lowest to highest: defaults < ``config.toml`` (user config dir) < ``.env`` < ``ZINV_…``
environment variables < command-line flags. A profile is one shop; its state lives under
``<state dir>/profiles/<name>/``. See :mod:`zinv_tui.config.sources` and
:mod:`zinv_tui.config.credentials`.

    settings = load_settings(profile="shop", flags={"poll_interval": 10})
    settings = settings_from_args(args)       # the same, from --profile and the setting flags
    key = resolve_api_key(settings)           # ApiKey(value: SecretStr, source: str)
    settings.endpoints()                      # zinv_tui.api.ApiEndpoints
    settings.state_dir                        # Path for InventoryService(state_dir=...)
"""

from zinv_tui.config.credentials import (
    ApiKey,
    delete_api_key,
    describe_key_source,
    resolve_api_key,
    store_api_key,
    stored_key_path,
)
from zinv_tui.config.errors import ConfigError, CredentialsError
from zinv_tui.config.flags import SETTING_FLAGS, profile_flags, settings_from_args
from zinv_tui.config.paths import AppPaths, resolve_paths
from zinv_tui.config.profile import DEMO_PROFILE, PROFILE_KEYS, ProfileSettings
from zinv_tui.config.resolve import DEFAULT_PROFILE_NAME, ResolvedSettings, load_settings

__all__ = [
    "DEFAULT_PROFILE_NAME",
    "DEMO_PROFILE",
    "PROFILE_KEYS",
    "SETTING_FLAGS",
    "ApiKey",
    "AppPaths",
    "ConfigError",
    "CredentialsError",
    "ProfileSettings",
    "ResolvedSettings",
    "delete_api_key",
    "describe_key_source",
    "load_settings",
    "profile_flags",
    "resolve_api_key",
    "resolve_paths",
    "settings_from_args",
    "store_api_key",
    "stored_key_path",
]
