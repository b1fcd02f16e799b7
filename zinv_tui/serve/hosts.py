"""Which host names and addresses mean "this computer only"."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address, IPv6 with or without brackets) is this computer only."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_name(netloc: str) -> str:
    """``"127.0.0.1:8800"`` -> ``"127.0.0.1"``, ``"[::1]:8800"`` -> ``"::1"``."""
    return urlsplit(f"//{netloc}").hostname or ""
