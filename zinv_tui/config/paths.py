"""Where zinv-tui keeps its files: platformdirs, each overridable by an environment variable.

``ZINV_CONFIG_DIR``, ``ZINV_STATE_DIR``, ``ZINV_DATA_DIR`` and ``ZINV_CACHE_DIR`` replace the
platform directories (tests always set them, so they never touch a real home directory). These are
read from the process environment only: the ``.env`` file is found through them, so it cannot move
them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "zinv-tui"
CONFIG_FILE_NAME = "config.toml"
ENV_FILE_VARIABLE = "ZINV_ENV_FILE"
DIRECTORY_VARIABLES = {
    "config": "ZINV_CONFIG_DIR",
    "state": "ZINV_STATE_DIR",
    "data": "ZINV_DATA_DIR",
    "cache": "ZINV_CACHE_DIR",
}


@dataclass(frozen=True)
class AppPaths:
    """The four base directories, and where each came from (``default`` or the variable's name)."""

    config_dir: Path
    state_dir: Path
    data_dir: Path
    cache_dir: Path
    env_file: Path | None
    sources: Mapping[str, str]

    @property
    def config_file(self) -> Path:
        """``config.toml`` in the config directory."""
        return self.config_dir / CONFIG_FILE_NAME

    @property
    def credentials_dir(self) -> Path:
        """Directory of stored API keys (0700), one 0600 file per profile."""
        return self.config_dir / "credentials"

    def profile_state_dir(self, profile: str) -> Path:
        """A profile's outbox, history, counts and sync cursor."""
        return self.state_dir / "profiles" / profile

    def profile_cache_dir(self, profile: str) -> Path:
        """A profile's product catalogue cache."""
        return self.cache_dir / "profiles" / profile


def _platform_dirs() -> dict[str, Path]:
    return {
        "config": Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        "state": Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)),
        "data": Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        "cache": Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
    }


def resolve_paths(environ: Mapping[str, str] | None = None) -> AppPaths:
    """The directories for this process: overrides from ``environ`` (default ``os.environ``), else
    platformdirs. ``ZINV_ENV_FILE`` names the ``.env`` file (empty: none); default ``./.env``."""
    environ = os.environ if environ is None else environ
    defaults = _platform_dirs()
    chosen: dict[str, Path] = {}
    sources: dict[str, str] = {}
    for kind, variable in DIRECTORY_VARIABLES.items():
        override = environ.get(variable, "").strip()
        if override:
            chosen[kind] = Path(override).expanduser().absolute()
            sources[kind] = f"env {variable}"
        else:
            chosen[kind] = defaults[kind]
            sources[kind] = "default"
    env_file_text = environ.get(ENV_FILE_VARIABLE)
    if env_file_text is None:
        env_file: Path | None = Path.cwd() / ".env"
        sources["env_file"] = "default"
    else:
        env_file = Path(env_file_text).expanduser().absolute() if env_file_text.strip() else None
        sources["env_file"] = f"env {ENV_FILE_VARIABLE}"
    return AppPaths(
        config_dir=chosen["config"],
        state_dir=chosen["state"],
        data_dir=chosen["data"],
        cache_dir=chosen["cache"],
        env_file=env_file,
        sources=sources,
    )
