"""How answers map to errors, and that errors speak plainly and keep secrets out.

These build ``httpx.Response`` values directly: they test pure mapping functions, not a server.
"""

from __future__ import annotations

import json
import pickle

import httpx
import pytest

from zinv_tui.api import errors
from zinv_tui.api.models import Violation
from zinv_tui.api.pipeline import describe_transport_error, redact_error
from zinv_tui.api.responses import (
    error_from_response,
    says_token_expired,
    token_error_from_response,
)
from zinv_tui.redaction import MASK

SECRET = "eyJzZWNyZXQiOiJ0b2tlbiJ9.c2VjcmV0LXRva2VuLXBheWxvYWQ.c2ln"


def answer(
    status: int, body: object = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    content = (
        b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    )
    return httpx.Response(status, content=content, headers=headers or {})


def zettle_body(error_type: str | None, message: str, violations: list | None = None) -> dict:
    return {"developerMessage": message, "errorType": error_type, "violations": violations or []}


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (
            400,
            zettle_body("PRODUCT_NOT_TRACKED", "Product is not tracked"),
            errors.ProductNotTracked,
        ),
        (400, zettle_body("VALIDATION_ERROR", "bad"), errors.RequestRejected),
        (409, zettle_body(None, "conflict"), errors.RequestRejected),
        (422, None, errors.RequestRejected),
        (401, None, errors.TokenExpired),
        (403, zettle_body("FORBIDDEN", "no"), errors.PermissionDenied),
        (404, zettle_body("ENTITY_NOT_FOUND", "Location not found"), errors.NotFound),
        (429, None, errors.RateLimited),
        (500, b"<html>oops</html>", errors.ServerError),
        (503, zettle_body("SERVICE_UNAVAILABLE", "try later"), errors.ServerError),
        (301, None, errors.ZettleError),
        (418, None, errors.ZettleError),
    ],
)
def test_status_and_error_type_choose_the_error(status, body, kind) -> None:
    error = error_from_response(answer(status, body))
    assert type(error) is kind
    assert error.status == status
    assert isinstance(error, errors.ZettleError)
    assert str(error) and "Traceback" not in str(error)


def test_product_not_tracked_is_a_request_rejected() -> None:
    error = error_from_response(answer(400, zettle_body("PRODUCT_NOT_TRACKED", "x")))
    assert isinstance(error, errors.RequestRejected)
    assert "start tracking" in str(error)
    assert not error.retryable


def test_zettle_details_are_carried() -> None:
    violations = [
        {
            "propertyName": "changes[0].change",
            "developerMessage": "must be greater than 0",
            "constraintType": "MUST_BE_GREATER_THAN",
            "value": "-1",
        }
    ]
    error = error_from_response(answer(400, zettle_body("VALIDATION_ERROR", "", violations)))
    assert error.error_type == "VALIDATION_ERROR"
    assert error.violations[0].property_name == "changes[0].change"
    assert "changes[0].change: must be greater than 0" in str(error)


def test_permission_denied_names_the_missing_scope() -> None:
    generic = error_from_response(answer(403))
    assert str(generic) == (
        "This API key lacks the READ:PRODUCT/WRITE:PRODUCT scope - create a key with both "
        "scopes at my.zettle.com/apps/api-keys"
    )
    read_only = error_from_response(answer(403), key_scopes=("READ:PRODUCT",))
    assert "lacks the WRITE:PRODUCT scope" in str(read_only)
    both = error_from_response(answer(403), key_scopes=("READ:PRODUCT", "WRITE:PRODUCT"))
    assert "organization" in str(both)


def test_rate_limited_reads_retry_after() -> None:
    error = error_from_response(answer(429, None, {"Retry-After": "3"}))
    assert isinstance(error, errors.RateLimited)
    assert error.retry_after == 3.0
    assert error.retryable


def test_token_expiry_is_recognised_in_header_or_body() -> None:
    header = {
        "WWW-Authenticate": 'Bearer error="invalid_token", error_description="ACCESS_TOKEN_EXPIRED"'
    }
    assert says_token_expired(answer(401, None, header))
    assert says_token_expired(answer(401, zettle_body("ACCESS_TOKEN_EXPIRED", "expired")))
    assert not says_token_expired(answer(401, None, {"WWW-Authenticate": "Bearer"}))


@pytest.mark.parametrize(
    ("status", "body", "kind", "fragment"),
    [
        (400, {"error": "invalid_grant", "error_description": "Invalid assertion JWT"},
         errors.ApiKeyRejected, "API key rejected - create a new key at my.zettle.com/apps"),
        (400, {"error": "invalid_client", "error_description": "Invalid client_id"},
         errors.ApiKeyRejected, "client id"),
        (401, {"error": "unauthorized_client"}, errors.ApiKeyRejected, "API key rejected"),
        (400, {"error": "unsupported_grant_type"}, errors.ZettleError, "unsupported_grant_type"),
        (401, None, errors.ApiKeyRejected, "API key rejected"),
        (503, None, errors.ServerError, "HTTP 503"),
        (429, None, errors.RateLimited, "too many requests"),
    ],
)  # fmt: skip
def test_token_endpoint_errors(status, body, kind, fragment) -> None:
    error = token_error_from_response(answer(status, body))
    assert type(error) is kind
    assert fragment in str(error)


def test_redaction_scrubs_every_field() -> None:
    error = errors.RequestRejected(
        f"Zettle refused the request: token {SECRET} is odd",
        status=400,
        developer_message=f"Bearer {SECRET}",
        violations=[Violation(property_name="authorization", value=SECRET)],
    )
    scrubbed = redact_error(error, (SECRET, "the-api-key"))
    everything = (
        f"{scrubbed} {scrubbed!r} {scrubbed.args} {scrubbed.developer_message} "
        + " ".join(repr(v) for v in scrubbed.violations)
    )
    assert SECRET not in everything
    assert MASK in str(scrubbed)


def test_errors_survive_pickling_with_their_details() -> None:
    error = errors.RateLimited(status=429, error_type="TOO_MANY_REQUESTS", retry_after=2.0)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is errors.RateLimited
    assert (copy.status, copy.error_type, copy.retry_after, str(copy)) == (
        429,
        "TOO_MANY_REQUESTS",
        2.0,
        str(error),
    )


def test_network_failures_read_plainly() -> None:
    request = httpx.Request("GET", "https://inventory.izettle.com/x")
    refused = describe_transport_error(
        _refused(request),
        "inventory.izettle.com",
        15,
    )
    assert refused == (
        "Can't reach Zettle (inventory.izettle.com: connection refused) - check the connection"
    )
    slow = describe_transport_error(httpx.ReadTimeout("", request=request), "h", 15.0)
    assert "no answer within 15 s" in slow
    dropped = describe_transport_error(
        httpx.RemoteProtocolError("Server disconnected", request=request), "h", 1
    )
    assert "connection was dropped" in dropped


def _refused(request: httpx.Request) -> httpx.ConnectError:
    try:
        try:
            raise ConnectionRefusedError(111, "Connect call failed")
        except ConnectionRefusedError as cause:
            raise httpx.ConnectError("All connection attempts failed", request=request) from cause
    except httpx.ConnectError as error:
        return error


def test_errors_are_scrubbed_by_the_same_rule_as_logs_and_output() -> None:
    """One redaction rule: a token the client never held (a JWT echoed by a proxy) and a secret
    registered elsewhere in the app are masked in error text as in logs."""
    from zinv_tui.redaction import redact, register_secret

    stranger = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzb21lb25lLWVsc2UifQ.c2lnbmF0dXJlLWJ5dGVz"
    register_secret("a-stored-api-key-registered-elsewhere")
    text = f"proxy says {stranger} for a-stored-api-key-registered-elsewhere"
    error = errors.RequestRejected(text, developer_message=text)
    scrubbed = redact_error(error, ())
    assert str(scrubbed) == redact(text) == f"proxy says {MASK} for {MASK}"
    assert scrubbed.developer_message == redact(text)
