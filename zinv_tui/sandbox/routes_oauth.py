"""``POST /token``: the OAuth assertion grant (``urn:ietf:params:oauth:grant-type:jwt-bearer``).

Errors follow RFC 6749 §5.2 as Zettle sends them: HTTP 400 ``{"error", "error_description"}``.

What production integrations send is accepted, as Zettle evidently does: ``POST /token/``
(Shopware), and a partner application's ``client_id`` next to the merchant's API key (Shopware,
nopCommerce): the key decides the organization and the scopes; ``client_id`` must be there and be
a UUID (it is recorded in the token, as the client the change is attributed to).
"""

from __future__ import annotations

from urllib.parse import parse_qs
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zinv_tui.sandbox.errors import ApiError
from zinv_tui.sandbox.request_parsing import read_body
from zinv_tui.sandbox.responses import json_response
from zinv_tui.sandbox.state import SandboxState
from zinv_tui.sandbox.tokens import JWT_BEARER_GRANT


def _oauth_error(error: str, description: str) -> Response:
    return json_response(
        {"error": error, "error_description": description},
        status=400,
        headers={"Cache-Control": "no-store"},
    )


def _first(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name)
    return values[0] if values else ""


def oauth_routes(state: SandboxState) -> list[Route]:
    """The token endpoint."""

    async def token(request: Request) -> Response:
        try:
            raw = await read_body(request)
        except ApiError:
            return _oauth_error("invalid_request", "Request body is too large")
        try:
            form = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            return _oauth_error("invalid_request", "Body must be application/x-www-form-urlencoded")
        grant = _first(form, "grant_type")
        if not grant:
            return _oauth_error("invalid_request", "grant_type is required")
        if grant != JWT_BEARER_GRANT:
            return _oauth_error(
                "unsupported_grant_type", f"Only {JWT_BEARER_GRANT} is supported by the sandbox"
            )
        assertion = _first(form, "assertion").strip()
        client_id = _first(form, "client_id").strip()
        key = state.tokens.key_for(assertion) if assertion else None
        if key is None:
            return _oauth_error("invalid_grant", "Invalid assertion JWT")
        if not client_id:
            return _oauth_error("invalid_request", "client_id is required")
        try:
            client_id = str(UUID(client_id))
        except ValueError:
            return _oauth_error("invalid_client", "Invalid client_id")
        access_token, ttl = state.tokens.issue(key, client_id)
        return json_response(
            {"access_token": access_token, "expires_in": ttl, "token_type": "Bearer"},
            headers={"Cache-Control": "no-store"},
        )

    return [Route("/token", token, methods=["POST"]), Route("/token/", token, methods=["POST"])]
