"""The sandbox starts, answers over loopback HTTP and stops."""

from __future__ import annotations

import httpx
import pytest

from zinv_tui.sandbox.server import SandboxInfo

pytestmark = pytest.mark.timeout(60)


def test_session_sandbox_serves_token_and_locations(sandbox: SandboxInfo) -> None:
    with httpx.Client(base_url=sandbox.url, timeout=10) as client:
        token = client.post(
            "/token",
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "client_id": sandbox.client_id,
                "assertion": sandbox.api_key,
            },
        )
        assert token.status_code == 200
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        locations = client.get("/organizations/self/locations", headers=headers)
    assert locations.status_code == 200
    assert sorted(item["type"] for item in locations.json()) == ["BIN", "SOLD", "STORE", "SUPPLIER"]


def test_info_repr_hides_the_api_key(sandbox: SandboxInfo) -> None:
    assert sandbox.api_key not in repr(sandbox)


def test_factory_gives_a_fresh_server_each_time(sandbox_factory) -> None:
    first = sandbox_factory(products=5)
    second = sandbox_factory(products=5, seed=2)
    assert first.url != second.url
    assert first.organization_uuid != second.organization_uuid
    with httpx.Client(timeout=10) as client:
        assert client.get(f"{second.url}/sandbox/info").json()["products"] == 5
