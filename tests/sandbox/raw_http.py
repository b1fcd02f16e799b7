"""Raw httpx access to real sandbox servers for the sandbox's own tests (no client library)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from zinv_tui.api.client import tls_context  # the TLS context only: loaded once, not per client
from zinv_tui.sandbox.server import SandboxInfo

GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def fetch_token(client: httpx.Client, info: SandboxInfo, api_key: str | None = None) -> str:
    """An access token for ``info``'s key (or ``api_key``)."""
    answer = client.post(
        f"{info.url}/token",
        data={
            "grant_type": GRANT,
            "client_id": info.client_id,
            "assertion": api_key or info.api_key,
        },
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


@contextmanager
def authed_client(info: SandboxInfo, api_key: str | None = None) -> Iterator[httpx.Client]:
    """An httpx client on ``info.url`` carrying a fresh bearer token."""
    with httpx.Client(base_url=info.url, timeout=30, verify=tls_context()) as client:
        client.headers["Authorization"] = f"Bearer {fetch_token(client, info, api_key)}"
        yield client


@dataclass
class Shop:
    """What tests need to know about a running sandbox's demo shop."""

    locations: dict[str, str]
    products: list[dict]
    tracked: list[str]

    def variants(self, product_uuid: str) -> list[str]:
        """Variant UUIDs of a product."""
        product = next(p for p in self.products if p["uuid"] == product_uuid)
        return [variant["uuid"] for variant in product["variants"]]

    def untracked(self) -> list[str]:
        """Products of the catalogue that are not tracked."""
        tracked = set(self.tracked)
        return [p["uuid"] for p in self.products if p["uuid"] not in tracked]

    def multi_variant_tracked(self) -> str:
        """A tracked product with at least two variants."""
        return next(uuid for uuid in self.tracked if len(self.variants(uuid)) >= 2)


def read_shop(client: httpx.Client) -> Shop:
    """Locations, catalogue and tracked products, read over the API."""
    locations = {
        item["type"]: item["uuid"] for item in client.get("/organizations/self/locations").json()
    }
    products = client.get("/organizations/self/products/v2").json()
    tracked = client.get("/organizations/self/inventory").json()["trackedProducts"]
    return Shop(locations, products, tracked)
