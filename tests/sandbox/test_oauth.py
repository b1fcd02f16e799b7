"""The token endpoint and bearer checks: invalid_grant, unsupported grants, 401s with
WWW-Authenticate, expiry (short TTL and the admin switch), 403 for scopes and other orgs."""

from __future__ import annotations

import base64
import json
import time
import uuid
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sandbox.raw_http import GRANT, authed_client, fetch_token
from zinv_tui.sandbox.server import SandboxInfo

pytestmark = pytest.mark.timeout(60)


def _token_request(info: SandboxInfo, **fields: str) -> httpx.Response:
    data = {"grant_type": GRANT, "client_id": info.client_id, "assertion": info.api_key, **fields}
    return httpx.post(f"{info.url}/token", data=data, timeout=10)


def _payload(jwt: str) -> dict:
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_token_answer_shape(sandbox: SandboxInfo) -> None:
    answer = _token_request(sandbox)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["expires_in"] == 7200
    assert body["token_type"] == "Bearer"
    assert _payload(body["access_token"])["organizationUuid"] == sandbox.organization_uuid


def test_api_key_looks_like_a_zettle_assertion(sandbox: SandboxInfo) -> None:
    payload = _payload(sandbox.api_key)
    assert payload["client_id"] == sandbox.client_id
    assert payload["user"]["orgUuid"] == sandbox.organization_uuid
    assert set(payload["scope"]) == {"READ:PRODUCT", "WRITE:PRODUCT", "READ:PURCHASE"}
    assert payload["iss"] == "iZettle"
    assert payload["aud"] == "API"
    assert payload["exp"] > time.time() + 10 * 365 * 86400


@pytest.mark.parametrize(
    "fields",
    [
        {"assertion": "not-a-jwt"},
        {"assertion": "eyJhbGciOiJub25lIn0.eyJjbGllbnRfaWQiOiJ4In0.c2ln"},
        {"assertion": ""},
    ],
    ids=["garbage", "foreign-jwt", "empty"],
)
def test_bad_assertions_get_invalid_grant(sandbox: SandboxInfo, fields: dict) -> None:
    answer = _token_request(sandbox, **fields)
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant", "error_description": "Invalid assertion JWT"}


def test_tampered_key_is_rejected(sandbox: SandboxInfo) -> None:
    header, payload, signature = sandbox.api_key.split(".")
    answer = _token_request(sandbox, assertion=f"{header}.{payload}.{signature[:-2]}AA")
    assert answer.json()["error"] == "invalid_grant"


def test_unsupported_grant_type(sandbox: SandboxInfo) -> None:
    answer = _token_request(sandbox, grant_type="password")
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"


def test_malformed_token_body_is_a_400(sandbox: SandboxInfo) -> None:
    answer = httpx.post(f"{sandbox.url}/token", content=b"\xff\xfe", timeout=10)
    assert answer.status_code == 400
    assert answer.json()["error"] in {"invalid_request", "invalid_grant"}


@pytest.mark.parametrize(
    ("authorization", "error"),
    [
        (None, "invalid_request"),
        ("Bearer", "invalid_request"),
        ("Basic dXNlcjpwYXNz", "invalid_request"),
        ("Bearer not.a.token", "invalid_token"),
    ],
)
def test_missing_or_bad_bearer_is_401(
    sandbox: SandboxInfo, authorization: str | None, error: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    answer = httpx.get(f"{sandbox.url}/organizations/self/inventory", headers=headers, timeout=10)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith(f'Bearer error="{error}"')
    body = answer.json()
    assert body["errorType"] == "UNAUTHORIZED"
    assert set(body) == {"developerMessage", "errorType", "violations"}


def test_short_ttl_token_expires_with_documented_challenge(sandbox_factory) -> None:
    info = sandbox_factory(products=5, token_ttl=1)
    with httpx.Client(base_url=info.url, timeout=10) as client:
        answer = client.post(
            "/token",
            data={"grant_type": GRANT, "client_id": info.client_id, "assertion": info.api_key},
        )
        assert answer.json()["expires_in"] == 1
        headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        assert client.get("/organizations/self/locations", headers=headers).status_code == 200
        time.sleep(1.1)
        expired = client.get("/organizations/self/locations", headers=headers)
    assert expired.status_code == 401
    assert expired.headers["WWW-Authenticate"] == (
        'Bearer error="invalid_request", error_description="ACCESS_TOKEN_EXPIRED"'
    )
    assert expired.json()["errorType"] == "ACCESS_TOKEN_EXPIRED"


def test_admin_expire_switch_and_renewal(sandbox_factory) -> None:
    info = sandbox_factory(products=5)
    with authed_client(info) as client:
        assert client.get("/inventory").status_code == 200
        assert httpx.post(f"{info.url}/sandbox/tokens/expire").json()["expired"] >= 1
        expired = client.get("/inventory")
        assert expired.status_code == 401
        assert expired.json()["errorType"] == "ACCESS_TOKEN_EXPIRED"
        client.headers["Authorization"] = f"Bearer {fetch_token(client, info)}"
        assert client.get("/inventory").status_code == 200


def test_token_ttl_can_be_changed_at_run_time(sandbox_factory) -> None:
    info = sandbox_factory(products=5)
    httpx.post(f"{info.url}/sandbox/faults", json={"token_ttl": 30})
    assert _token_request(info).json()["expires_in"] == 30


def test_missing_scope_is_403(sandbox_factory) -> None:
    info = sandbox_factory(products=5)
    read_only = httpx.post(f"{info.url}/sandbox/keys", json={"scopes": ["READ:PRODUCT"]}).json()
    with authed_client(info, read_only["api_key"]) as client:
        assert client.get("/inventory").status_code == 200
        answer = client.post(
            "/organizations/self/inventory", json={"productUuid": str(uuid.uuid1())}
        )
    assert answer.status_code == 403
    assert answer.json()["errorType"] == "FORBIDDEN"


def test_organization_uuid_paths(api: httpx.Client, sandbox: SandboxInfo) -> None:
    own = api.get(f"/organizations/{sandbox.organization_uuid}/inventory")
    assert own.status_code == 200
    other = api.get(f"/organizations/{uuid.uuid1()}/inventory")
    assert other.status_code == 403
    assert other.json()["errorType"] == "FORBIDDEN"
    assert api.get("/organizations/not-an-org/inventory").status_code == 400


_form_text = st.text(max_size=40) | st.sampled_from([GRANT, "password", "", "a.b.c", "=&="])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fields=st.dictionaries(
        st.sampled_from(["grant_type", "client_id", "assertion", "x"]), _form_text
    )
)
def test_fuzzed_token_requests_never_get_a_500(api: httpx.Client, fields: dict) -> None:
    answer = api.post("/token", data=fields)
    assert answer.status_code == 400
    assert answer.json()["error"] in {
        "invalid_request",
        "invalid_grant",
        "invalid_client",
        "unsupported_grant_type",
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    since=st.text(max_size=30), kind=st.text(max_size=12), segment=st.text(min_size=1, max_size=40)
)
def test_fuzzed_query_and_path_parameters_never_get_a_500(
    api: httpx.Client, since: str, kind: str, segment: str
) -> None:
    for path, params in (
        ("/inventory", {"since": since}),
        ("/organizations/self/inventory/locations", {"type": kind, "since": since}),
        (f"/organizations/self/inventory/locations/{quote(segment, safe='')}", {}),
        (f"/organizations/{quote(segment, safe='')}/locations", {}),
        (f"/custom-low-stock/v2/locations/{quote(segment, safe='')}", {}),
        (f"/organizations/self/products/{quote(segment, safe='')}", {}),
    ):
        answer = api.get(path, params=params)
        assert answer.status_code < 500, (path, params, answer.text)
