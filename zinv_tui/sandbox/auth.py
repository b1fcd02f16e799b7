"""Bearer-token checks of the resource endpoints and the ``self``/organization path segment."""

from __future__ import annotations

import time
from uuid import UUID

from starlette.requests import Request

from zinv_tui.sandbox.errors import (
    ACCESS_TOKEN_EXPIRED,
    FORBIDDEN,
    UNAUTHORIZED,
    ApiError,
)
from zinv_tui.sandbox.state import SandboxState
from zinv_tui.sandbox.tokens import AccessToken


def _unauthorized(error: str, description: str, error_type: str, message: str) -> ApiError:
    challenge = f'Bearer error="{error}", error_description="{description}"'
    return ApiError(401, message, error_type, headers={"WWW-Authenticate": challenge})


def authorize(request: Request, state: SandboxState, scope: str) -> AccessToken:
    """The caller's token; 401 when missing, unknown or expired, 403 without ``scope``."""
    header = request.headers.get("authorization", "")
    kind, _, token = header.partition(" ")
    token = token.strip()
    if kind.lower() != "bearer" or not token:
        raise _unauthorized(
            "invalid_request",
            "Missing bearer token",
            UNAUTHORIZED,
            "Authorization: Bearer <access token> is required",
        )
    record = state.tokens.lookup(token)
    if record is None:
        raise _unauthorized(
            "invalid_token", "Invalid access token", UNAUTHORIZED, "The access token is not valid"
        )
    if record.expires_at <= time.time():
        raise _unauthorized(
            "invalid_request",
            "ACCESS_TOKEN_EXPIRED",
            ACCESS_TOKEN_EXPIRED,
            "The access token has expired",
        )
    if scope not in record.scopes:
        raise ApiError(403, f"The access token lacks the scope {scope}", FORBIDDEN)
    return record


def check_organization(request: Request, token: AccessToken) -> None:
    """Accept ``self`` or the token's organization UUID in ``{org}``; 403 for another org."""
    segment = request.path_params.get("org", "self")
    if segment.lower() == "self":
        return
    try:
        organization = str(UUID(segment))
    except ValueError:
        raise ApiError.bad_request(
            f"{segment!r} is neither 'self' nor an organization UUID"
        ) from None
    if organization != token.organization_uuid:
        raise ApiError(403, f"No access to organization {organization}", FORBIDDEN)


def authorize_org(request: Request, state: SandboxState, scope: str) -> AccessToken:
    """:func:`authorize`, then :func:`check_organization`."""
    token = authorize(request, state, scope)
    check_organization(request, token)
    return token
