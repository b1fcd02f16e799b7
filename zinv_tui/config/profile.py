"""The settings of one profile (one shop), validated, with what is allowed for each key."""

from __future__ import annotations

import getpass
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from zinv_tui.api.endpoints import (
    ZETTLE_INVENTORY_URL,
    ZETTLE_OAUTH_URL,
    ZETTLE_PRODUCTS_URL,
    ZETTLE_PURCHASES_URL,
    check_base_url,
)

PROFILE_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
DEMO_PROFILE = "demo"
"""Reserved: ``zinv-tui demo`` runs the sandbox in-process under this profile name."""

DEFAULT_OAUTH_URL = ZETTLE_OAUTH_URL
DEFAULT_INVENTORY_URL = ZETTLE_INVENTORY_URL
DEFAULT_PRODUCTS_URL = ZETTLE_PRODUCTS_URL
DEFAULT_PURCHASES_URL = ZETTLE_PURCHASES_URL
URL_KEYS = ("oauth_url", "inventory_url", "products_url", "purchases_url")

ALLOWED = {
    "api_key_env": "must be the name of an environment variable (letters, digits and _)",
    "api_key_command": "must be a command line that prints the API key",
    "api_key_command_timeout": "must be a number of seconds between 1 and 300",
    "client_id": "must be the client id shown with the API key (1 to 100 characters), or absent",
    "base_url": (
        "must be an https:// URL (http:// only for a loopback host such as 127.0.0.1 or localhost)"
    ),
    "oauth_url": (
        "must be an https:// URL (http:// only for a loopback host such as 127.0.0.1 or localhost)"
    ),
    "inventory_url": (
        "must be an https:// URL (http:// only for a loopback host such as 127.0.0.1 or localhost)"
    ),
    "products_url": (
        "must be an https:// URL (http:// only for a loopback host such as 127.0.0.1 or localhost)"
    ),
    "purchases_url": (
        "must be an https:// URL (http:// only for a loopback host such as 127.0.0.1 or localhost)"
    ),
    "poll_interval": "must be a number of seconds between 1 and 3600",
    "timeout": "must be a number of seconds between 1 and 300",
    "user": "must be a name of 1 to 64 characters (recorded with each movement)",
    "api_version": (
        "must be auto, v1 or v3 (the generation of Zettle's Inventory API to use; auto probes "
        "once and remembers)"
    ),
}
"""What each profile key accepts; the text of every validation error."""


def check_api_url(value: Any) -> str:
    """An API base URL as the client accepts it (https, or http to a loopback host)."""
    if not isinstance(value, str):
        raise ValueError("not a text")
    return check_base_url(value)


def _seconds(low: float, high: float) -> Any:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError("not a number")
        number = float(value)
        if not low <= number <= high:
            raise ValueError("out of range")
        return number

    return BeforeValidator(check)


def _text(max_length: int) -> Any:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip() or len(value.strip()) > max_length:
            raise ValueError("bad text")
        return value.strip()

    return BeforeValidator(check)


def _env_name(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value.strip()):
        raise ValueError("bad name")
    return value.strip()


def default_user() -> str:
    """The operating-system user name, recorded with movements unless ``user`` is set."""
    try:
        return getpass.getuser()[:64] or "zinv-tui"
    except Exception:  # no user database entry (containers)
        return "zinv-tui"


Url = Annotated[str, BeforeValidator(check_api_url)]


def _generation(value: Any) -> Any:
    """``V3``, `` v3 `` and ``v3`` alike (a flag or variable typed by hand)."""
    return value.strip().lower() if isinstance(value, str) else value


class ProfileSettings(BaseModel):
    """One shop: where its API key comes from, which hosts, how often to poll."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key_env: Annotated[str, BeforeValidator(_env_name)] | None = None
    api_key_command: Annotated[str, _text(4000)] | None = None
    api_key_command_timeout: Annotated[float, _seconds(1, 300)] = 30.0
    client_id: Annotated[str, _text(100)] | None = None
    base_url: Url | None = None
    oauth_url: Url = DEFAULT_OAUTH_URL
    inventory_url: Url = DEFAULT_INVENTORY_URL
    products_url: Url = DEFAULT_PRODUCTS_URL
    purchases_url: Url = DEFAULT_PURCHASES_URL
    poll_interval: Annotated[float, _seconds(1, 3600)] = 5.0
    timeout: Annotated[float, _seconds(1, 300)] = 15.0
    user: Annotated[str, _text(64)] = Field(default_factory=default_user)
    api_version: Annotated[Literal["auto", "v1", "v3"], BeforeValidator(_generation)] = "auto"
    """Which Zettle Inventory API the app speaks: ``v1`` or ``v3``, or ``auto`` (the one the
    server answers, probed once and remembered in the cache dir)."""

    def effective_urls(self) -> dict[str, str]:
        """The service base URLs, with ``base_url`` (the sandbox shortcut) standing for all."""
        if self.base_url:
            return dict.fromkeys(URL_KEYS, self.base_url)
        return {key: getattr(self, key) for key in URL_KEYS}


PROFILE_KEYS = tuple(ProfileSettings.model_fields)
"""Keys a profile accepts (``[profiles.NAME]``, top of config.toml, ``ZINV_KEY``, flags)."""


def check_profile_name(name: str) -> str:
    """A profile name usable as a directory name."""
    if not PROFILE_NAME_PATTERN.fullmatch(name):
        raise ValueError(
            "must be 1 to 40 lowercase letters, digits, - or _, starting with a letter or digit"
        )
    return name
