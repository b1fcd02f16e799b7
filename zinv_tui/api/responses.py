"""Turn Zettle's answers into models or into the client's errors.

Error bodies come in two dialects: the resource services' ``{developerMessage, errorType,
violations}`` and the token endpoint's RFC 6749 ``{error, error_description}``. Anything else (an
HTML page from a proxy, an empty body) is tolerated: the status code alone then decides the error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from zinv_tui.api.errors import (
    KEYS_PAGE,
    REQUIRED_SCOPES,
    ApiKeyRejected,
    MalformedResponse,
    NotFound,
    PermissionDenied,
    ProductNotTracked,
    RateLimited,
    RequestRejected,
    ServerError,
    TokenExpired,
    ZettleError,
    violations_summary,
)
from zinv_tui.api.models import ErrorBody, OAuthErrorBody
from zinv_tui.api.retry import parse_retry_after

T = TypeVar("T")

ACCESS_TOKEN_EXPIRED = "ACCESS_TOKEN_EXPIRED"
PRODUCT_NOT_TRACKED = "PRODUCT_NOT_TRACKED"
_MAX_DETAIL = 300


def _json_or_none(content: bytes) -> Any:
    if not content:
        return None
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None


def _short(text: str, limit: int = _MAX_DETAIL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_error_body(content: bytes) -> ErrorBody:
    """Zettle's error body if there is one; an empty :class:`ErrorBody` otherwise."""
    data = _json_or_none(content)
    if not isinstance(data, dict):
        return ErrorBody()
    try:
        body = ErrorBody.model_validate(data)
    except ValidationError:
        return ErrorBody(developer_message=str(data.get("developerMessage") or ""))
    if not body.developer_message and isinstance(data.get("error"), str):
        # Some services answer with the OAuth dialect even outside /token.
        text = data.get("error_description") or data["error"]
        body = body.model_copy(update={"developer_message": str(text)})
    return body


def says_token_expired(response: httpx.Response) -> bool:
    """True if a 401 says the access token expired (header or body, as Zettle documents both)."""
    header = response.headers.get("www-authenticate", "")
    if ACCESS_TOKEN_EXPIRED in header.upper() or "expired" in header.lower():
        return True
    body = read_error_body(response.content)
    return body.error_type == ACCESS_TOKEN_EXPIRED or ACCESS_TOKEN_EXPIRED in (
        body.developer_message or ""
    )


def _missing_scopes(key_scopes: Sequence[str] | None) -> list[str]:
    if not key_scopes:
        return []
    return [scope for scope in REQUIRED_SCOPES if scope not in key_scopes]


def error_from_response(
    response: httpx.Response, *, key_scopes: Sequence[str] | None = None
) -> ZettleError:
    """The error a non-2xx answer of an Inventory or Product Library call stands for."""
    status = response.status_code
    body = read_error_body(response.content)
    details: dict[str, Any] = {
        "status": status,
        "error_type": body.error_type,
        "developer_message": body.developer_message or None,
        "violations": body.violations,
    }
    detail = _short(body.developer_message or violations_summary(body.violations))
    if status == 401:
        return TokenExpired(**details)
    if status == 403:
        missing = _missing_scopes(key_scopes)
        if key_scopes and not missing:
            message = (
                "Zettle refused access to this organization - check the organization setting "
                '(use "self" for the key\'s own shop)'
            )
            return PermissionDenied(message, **details)
        if missing:
            message = (
                f"This API key lacks the {'/'.join(missing)} scope - create a key with both "
                f"READ:PRODUCT and WRITE:PRODUCT at {KEYS_PAGE}"
            )
            return PermissionDenied(message, **details)
        return PermissionDenied(**details)
    if status == 404:
        found = f"Zettle does not know this item ({detail}) - refresh and try again"
        return NotFound(found if detail else None, **details)
    if status in (429, 503):
        details["retry_after"] = parse_retry_after(response.headers.get("retry-after"))
    if status == 429:
        return RateLimited(**details)
    if body.error_type == PRODUCT_NOT_TRACKED and 400 <= status < 500:
        return ProductNotTracked(**details)
    if status in (400, 409, 422):
        refused = f"Zettle refused the request: {detail}" if detail else None
        return RequestRejected(refused, **details)
    if status >= 500:
        # The server failed while working on it, perhaps after applying it: a write's fate is open.
        message = f"Zettle had a problem answering (HTTP {status}) - try again in a minute"
        return ServerError(message, outcome_unknown=True, **details)
    if 300 <= status < 400:
        message = (
            f"Zettle answered with a redirect (HTTP {status}) the app does not follow - "
            "check the service addresses in the settings"
        )
        return ZettleError(message, **details)
    suffix = f": {detail}" if detail else ""
    return ZettleError(f"Zettle refused the request (HTTP {status}){suffix}", **details)


def token_error_from_response(response: httpx.Response) -> ZettleError:
    """The error a non-2xx answer of ``POST /token`` stands for."""
    status = response.status_code
    data = _json_or_none(response.content)
    oauth: OAuthErrorBody | None = None
    if isinstance(data, dict):
        try:
            oauth = OAuthErrorBody.model_validate(data)
        except ValidationError:
            oauth = None
    if oauth is None or status == 429 or status >= 500:
        error = error_from_response(response)
        if isinstance(error, TokenExpired | PermissionDenied):
            return ApiKeyRejected(status=status, developer_message=error.developer_message)
        return error
    details: dict[str, Any] = {
        "status": status,
        "error_type": oauth.error,
        "developer_message": oauth.error_description,
    }
    if oauth.error == "invalid_client":
        message = (
            "The client id does not belong to this API key - leave the client id out to read it "
            f"from the key, or create a new key at {KEYS_PAGE}"
        )
        return ApiKeyRejected(message, **details)
    if oauth.error in ("invalid_grant", "unauthorized_client", "access_denied", "invalid_scope"):
        return ApiKeyRejected(**details)
    suffix = f": {oauth.error_description}" if oauth.error_description else ""
    return ZettleError(f"Zettle's sign-in refused the request ({oauth.error}){suffix}", **details)


def _describe_validation(exc: ValidationError, limit: int = 3) -> str:
    parts = []
    for item in exc.errors()[:limit]:
        where = ".".join(str(part) for part in item.get("loc", ())) or "body"
        message = item.get("msg", "invalid")
        if item.get("type") == "json_invalid":
            parts.append("not valid JSON")
            continue
        value = item.get("input")
        shown = "" if isinstance(value, dict | list) else f", got {_short(repr(value), 60)}"
        parts.append(f"{where}: {message}{shown}")
    if exc.error_count() > limit:
        parts.append(f"and {exc.error_count() - limit} more")
    return "; ".join(parts)


def parse_body(
    content: bytes, adapter: TypeAdapter[T], *, what: str, status: int | None = None
) -> T:
    """Validate JSON ``content`` with ``adapter``, else raise :class:`MalformedResponse` (with
    ``status``, the answer's HTTP status, when given)."""
    if not content.strip():
        raise MalformedResponse(
            f"Zettle sent an empty answer to {what} - try again; if it keeps happening, report it",
            status=status,
        )
    try:
        return adapter.validate_json(content)
    except ValidationError as exc:
        raise MalformedResponse(
            f"Zettle sent an answer to {what} the app can't read ({_describe_validation(exc)}) - "
            "try again; if it keeps happening, report it",
            status=status,
        ) from None
    except (ValueError, RecursionError, OverflowError):  # bad JSON, too deep, too big
        raise MalformedResponse(
            f"Zettle sent an answer to {what} the app can't read (not valid JSON) - try again; "
            "if it keeps happening, report it",
            status=status,
        ) from None


def decode_body(
    content: bytes | bytearray,
    decode: Callable[[bytes | bytearray], T],
    *,
    what: str,
    status: int | None = None,
) -> T:
    """Decode ``content`` with one of the msgspec decoders of :mod:`zinv_tui.api.v1` (which raise
    ``ValueError`` saying what is wrong), else raise :class:`MalformedResponse` as
    :func:`parse_body` does."""
    if not content.strip():
        raise MalformedResponse(
            f"Zettle sent an empty answer to {what} - try again; if it keeps happening, report it",
            status=status,
        )
    try:
        return decode(content)
    except ValueError as error:
        raise MalformedResponse(
            f"Zettle sent an answer to {what} the app can't read ({_short(str(error), 200)}) - "
            "try again; if it keeps happening, report it",
            status=status,
        ) from None
