"""Base URLs of the four Zettle services the client talks to.

Only ``https`` is accepted, except for loopback hosts (``127.0.0.0/8``, ``::1``, ``localhost``)
where plain ``http`` is allowed so the local sandbox can be used. An API key or token must never
travel in clear text over a network.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict

ZETTLE_OAUTH_URL = "https://oauth.zettle.com"
ZETTLE_INVENTORY_URL = "https://inventory.izettle.com"
ZETTLE_PRODUCTS_URL = "https://products.izettle.com"
ZETTLE_PURCHASES_URL = "https://purchase.izettle.com"


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, ``127.0.0.0/8`` and ``::1`` (brackets allowed)."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_base_url(url: str) -> str:
    """Validate a base URL and return it without a trailing slash; ``ValueError`` otherwise."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {text!r} ({exc})") from None
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in ("https", "http") or not host:
        raise ValueError(f"expected an https:// URL with a host name, got {text!r}")
    if parts.username or parts.password:
        raise ValueError("the URL must not carry a user name or password")
    if parts.query or parts.fragment:
        raise ValueError(f"the base URL must not have a query or fragment: {text!r}")
    if scheme == "http" and not is_loopback_host(host):
        raise ValueError(
            f"plain http is only allowed for loopback addresses (localhost, 127.x, ::1), "
            f"got {text!r}; use https"
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/")
    return f"{scheme}://{netloc}{path}"


BaseUrl = Annotated[str, AfterValidator(check_base_url)]


class ApiEndpoints(BaseModel):
    """Where OAuth, Inventory, the Product Library and the Purchase API live (Zettle's hosts by
    default)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    oauth_url: BaseUrl = ZETTLE_OAUTH_URL
    inventory_url: BaseUrl = ZETTLE_INVENTORY_URL
    products_url: BaseUrl = ZETTLE_PRODUCTS_URL
    purchases_url: BaseUrl = ZETTLE_PURCHASES_URL

    @classmethod
    def single(cls, url: str) -> ApiEndpoints:
        """Every service on one base URL (the sandbox serves them all on one port)."""
        return cls(oauth_url=url, inventory_url=url, products_url=url, purchases_url=url)

    @property
    def is_loopback(self) -> bool:
        """True when every service is on this machine (the sandbox)."""
        return all(
            is_loopback_host(urlsplit(url).hostname or "")
            for url in (self.oauth_url, self.inventory_url, self.products_url, self.purchases_url)
        )
