"""Read the claims of a Zettle API key (a JWT) without checking its signature.

The key's payload names the OAuth ``client_id``, the organization (``user.orgUuid``) and the scopes
the merchant granted. Zettle checks the signature when the key is used; the client only reads the
payload so the user needs to paste nothing but the key. Errors never include the key or any part of
it.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from zinv_tui.api.errors import KEYS_PAGE, ApiKeyRejected

_NOT_A_KEY = (
    "This does not look like a Zettle API key ({why}) - copy the whole key from "
    f"{KEYS_PAGE}, or create a new one there"
)


@dataclass(frozen=True, slots=True)
class ApiKeyClaims:
    """What the API key says about itself (all optional: none of it is documented as required)."""

    client_id: str | None = None
    organization_uuid: UUID | None = None
    user_uuid: UUID | None = None
    scopes: tuple[str, ...] = ()
    expires_at: datetime | None = None


def decode_jwt_payload(token: str) -> dict[str, Any]:
    """The JSON payload (middle part) of a JWT; ``ValueError`` with a key-free reason otherwise."""
    parts = token.strip().split(".")
    if len(parts) != 3 or not parts[1]:
        raise ValueError("expected three parts separated by dots")
    segment = parts[1]
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValueError("its middle part is not base64-encoded JSON") from None
    if not isinstance(payload, dict):
        raise ValueError("its payload is not a JSON object")
    return payload


def _uuid_or_none(value: Any) -> UUID | None:
    if isinstance(value, str):
        try:
            return UUID(value)
        except ValueError:
            return None
    return None


def read_scopes(value: Any) -> tuple[str, ...]:
    """Scopes as a list (``["READ:PRODUCT", ...]``) or an OAuth space-separated string."""
    if isinstance(value, str):
        return tuple(part for part in value.split() if part)
    if isinstance(value, list | tuple):
        return tuple(str(part) for part in value if isinstance(part, str) and part)
    return ()


def claims_from_payload(payload: dict[str, Any]) -> ApiKeyClaims:
    """Pick the claims out of a decoded key (or access token) payload, tolerating odd shapes."""
    found = payload.get("user")
    user: dict[str, Any] = found if isinstance(found, dict) else {}
    client_id = payload.get("client_id")
    organization = user.get("orgUuid") or payload.get("orgUuid") or payload.get("organizationUuid")
    scopes = read_scopes(payload.get("scope", payload.get("scopes")))
    expires_at = None
    exp = payload.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        try:
            expires_at = datetime.fromtimestamp(exp, tz=UTC)
        except (OverflowError, OSError, ValueError):
            expires_at = None
    return ApiKeyClaims(
        client_id=client_id if isinstance(client_id, str) and client_id else None,
        organization_uuid=_uuid_or_none(organization),
        user_uuid=_uuid_or_none(user.get("uuid") or payload.get("sub")),
        scopes=scopes,
        expires_at=expires_at,
    )


def read_api_key_claims(api_key: str) -> ApiKeyClaims:
    """Claims of ``api_key``; :class:`ApiKeyRejected` (without the key) if it can't be read."""
    if not api_key or not api_key.strip():
        raise ApiKeyRejected(_NOT_A_KEY.format(why="it is empty"))
    try:
        payload = decode_jwt_payload(api_key)
    except ValueError as exc:
        raise ApiKeyRejected(_NOT_A_KEY.format(why=str(exc))) from None
    return claims_from_payload(payload)
