"""Base URL validation and API-key claims, without a server."""

from __future__ import annotations

import base64
import ipaddress
import json
import uuid

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from zinv_tui.api import ApiEndpoints, ApiKeyRejected
from zinv_tui.api.apikey import read_api_key_claims
from zinv_tui.api.endpoints import check_base_url


def test_defaults_are_zettles_hosts() -> None:
    endpoints = ApiEndpoints()
    assert endpoints.oauth_url == "https://oauth.zettle.com"
    assert endpoints.inventory_url == "https://inventory.izettle.com"
    assert endpoints.products_url == "https://products.izettle.com"
    assert not endpoints.is_loopback


def test_single_puts_every_service_on_one_base() -> None:
    endpoints = ApiEndpoints.single("http://127.0.0.1:8700/")
    assert endpoints.oauth_url == endpoints.inventory_url == endpoints.products_url
    assert endpoints.inventory_url == "http://127.0.0.1:8700"
    assert endpoints.is_loopback


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://inventory.izettle.com/", "https://inventory.izettle.com"),
        ("HTTPS://example.com:8443/base/", "https://example.com:8443/base"),
        ("http://localhost:8700", "http://localhost:8700"),
        ("http://LOCALHOST", "http://localhost"),
        ("http://127.0.0.1:1", "http://127.0.0.1:1"),
        ("http://127.255.0.9", "http://127.255.0.9"),
        ("http://[::1]:8700/x", "http://[::1]:8700/x"),
        ("https://[2001:db8::1]", "https://[2001:db8::1]"),
    ],
)
def test_accepted_urls(url: str, expected: str) -> None:
    assert check_base_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://inventory.izettle.com",
        "http://10.0.0.1",
        "http://192.168.1.2:8700",
        "http://127.0.0.1.example.com",
        "http://localhost.example.com",
        "http://[2001:db8::1]",
        "ftp://127.0.0.1",
        "inventory.izettle.com",
        "https://",
        "https://user:pass@inventory.izettle.com",
        "https://inventory.izettle.com/?x=1",
        "https://inventory.izettle.com/#frag",
        "https://host:99999",
    ],
)
def test_rejected_urls(url: str) -> None:
    with pytest.raises(ValidationError):
        ApiEndpoints(inventory_url=url)


@settings(deadline=None)  # no flaky deadlines on a busy CI machine
@given(st.ip_addresses(v=4))
def test_plain_http_only_for_loopback(address: ipaddress.IPv4Address) -> None:
    url = f"http://{address}:8700"
    if address in ipaddress.ip_network("127.0.0.0/8"):
        assert ApiEndpoints.single(url).is_loopback
    else:
        with pytest.raises(ValidationError):
            ApiEndpoints.single(url)
    assert ApiEndpoints.single(f"https://{address}").inventory_url == f"https://{address}"


def _b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_key(payload: dict | bytes) -> str:
    return f"{_b64({'alg': 'RS256', 'typ': 'JWT', 'kid': '0'})}.{_b64(payload)}.c2lnbmF0dXJl"


def test_claims_of_a_realistic_key() -> None:
    org, user, client = uuid.uuid1(), uuid.uuid1(), str(uuid.uuid4())
    key = make_key(
        {
            "iss": "iZettle",
            "aud": "API",
            "exp": 2534785731,
            "sub": str(user),
            "scope": ["WRITE:PRODUCT", "READ:PRODUCT", "READ:USERINFO"],
            "user": {"userType": "USER", "uuid": str(user), "orgUuid": str(org)},
            "type": "user-assertion",
            "client_id": client,
        }
    )
    claims = read_api_key_claims(key)
    assert claims.client_id == client
    assert claims.organization_uuid == org
    assert claims.user_uuid == user
    assert claims.scopes == ("WRITE:PRODUCT", "READ:PRODUCT", "READ:USERINFO")
    assert claims.expires_at is not None and claims.expires_at.year == 2050


def test_claims_tolerate_a_space_separated_scope_and_missing_fields() -> None:
    claims = read_api_key_claims(make_key({"scope": "READ:PRODUCT  WRITE:PRODUCT"}))
    assert claims.scopes == ("READ:PRODUCT", "WRITE:PRODUCT")
    assert claims.client_id is None and claims.organization_uuid is None
    odd = read_api_key_claims(make_key({"user": "x", "client_id": 5, "exp": "soon"}))
    assert odd.client_id is None and odd.expires_at is None


@pytest.mark.parametrize(
    "key",
    [
        "",
        "   ",
        "no-dots-at-all-but-secret-material",
        "a.b",
        "a..c",
        f"x.{_b64(b'not json at all')}.y",
        f"x.{_b64([1, 2])}.y",
        "x.%%%%.y",
    ],
)
def test_unreadable_keys_are_rejected_without_echoing_them(key: str) -> None:
    with pytest.raises(ApiKeyRejected) as caught:
        read_api_key_claims(key)
    error = caught.value
    text = f"{error} {error!r} {error.developer_message}"
    for part in (key.strip(), *key.split(".")):
        if len(part) >= 3:
            assert part not in text
    assert "my.zettle.com/apps/api-keys" in str(error)
    assert error.__cause__ is None


FIXED_KEY_ERROR_TEXT = (
    f"{ApiKeyRejected('This does not look like a Zettle API key')!r} - copy the whole key from "
    "my.zettle.com/apps/api-keys, or create a new one there; expected three parts separated by "
    "dots; its middle part is not base64-encoded JSON; its payload is not a JSON object; it is "
    "empty"
)
"""Everything a rejected key's error says whatever the key (it may echo none of the key)."""


@settings(deadline=None)  # no flaky deadlines on a busy CI machine
@given(st.text(alphabet=st.characters(codec="ascii"), min_size=8, max_size=60))
def test_any_garbage_key_gives_an_error_free_of_the_key(garbage: str) -> None:
    try:
        read_api_key_claims(garbage)
    except ApiKeyRejected as error:
        # Garbage that is a piece of the fixed sentence itself ("expected") proves nothing.
        assume(garbage.strip() not in FIXED_KEY_ERROR_TEXT)
        assert garbage.strip() not in f"{error}{error!r}"
