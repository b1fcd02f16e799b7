"""API keys and access tokens of the sandbox's OAuth server.

An API key is a JWT-shaped string ``header.payload.signature`` (base64url) whose payload looks
like a Zettle user assertion: ``client_id``, ``user.orgUuid``, ``scope``, ``iss``, ``aud``,
``iat``, ``exp``.
Only keys the sandbox issued itself are accepted (compared as whole strings), so the signature is an
HMAC with a seed-derived secret and never checked cryptographically.

Access tokens are JWT-shaped too; they live in memory (:class:`TokenRegistry`) with an expiry
time and can be expired all at once by the admin endpoint.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

READ_PRODUCT = "READ:PRODUCT"
WRITE_PRODUCT = "WRITE:PRODUCT"
READ_PURCHASE = "READ:PURCHASE"
DEFAULT_SCOPES = (READ_PRODUCT, WRITE_PRODUCT, READ_PURCHASE)
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_KEY_EXPIRY = 2534785731  # year 2050, like Zettle's long-lived keys


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _jwt(header: dict[str, Any], payload: dict[str, Any], secret: bytes) -> str:
    signing_input = (
        _b64(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64(json.dumps(payload, separators=(",", ":")).encode())
    )
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + _b64(signature)


def decode_jwt_payload(token: str) -> dict[str, Any] | None:
    """The payload of a JWT-shaped string, or ``None`` when it is not one."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        return None
    try:
        payload = json.loads(_unb64(parts[1]))
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


@dataclass(frozen=True)
class ApiKey:
    """A merchant's API key as the sandbox issued it."""

    value: str = field(repr=False)
    client_id: str
    organization_uuid: str
    user_uuid: str
    scopes: tuple[str, ...]


def make_api_key(
    *,
    secret: bytes,
    client_id: str,
    organization_uuid: str,
    user_uuid: str,
    issued_at: int,
    scopes: tuple[str, ...] = DEFAULT_SCOPES,
) -> ApiKey:
    """Issue an API key whose payload mirrors Zettle's user assertions (see zettle-api.md §2.1)."""
    payload = {
        "iss": "iZettle",
        "aud": "API",
        "exp": _KEY_EXPIRY,
        "sub": user_uuid,
        "iat": issued_at,
        "renewed": False,
        "scope": list(scopes),
        "user": {
            "userType": "USER",
            "uuid": user_uuid,
            "orgUuid": organization_uuid,
            "userRole": "OWNER",
        },
        "type": "user-assertion",
        "client_id": client_id,
    }
    value = _jwt({"alg": "RS256", "typ": "JWT", "kid": "0"}, payload, secret)
    return ApiKey(value, client_id, organization_uuid, user_uuid, tuple(scopes))


@dataclass
class AccessToken:
    """An issued bearer token."""

    organization_uuid: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float


class TokenRegistry:
    """Known API keys and the access tokens issued for them."""

    def __init__(self, secret: bytes, ttl: int = 7200) -> None:
        self._secret = secret
        self.ttl = ttl
        self._keys: dict[str, ApiKey] = {}
        self._tokens: dict[str, AccessToken] = {}

    def add_key(self, key: ApiKey) -> None:
        """Accept ``key`` at the token endpoint."""
        self._keys[key.value] = key

    def key_for(self, assertion: str) -> ApiKey | None:
        """The issued key equal to ``assertion``, if any."""
        return self._keys.get(assertion)

    def issue(self, key: ApiKey) -> tuple[str, int]:
        """A new access token for ``key`` and its lifetime in seconds."""
        now = time.time()
        ttl = self.ttl
        payload = {
            "iss": "iZettle",
            "aud": "API",
            "sub": key.user_uuid,
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now + ttl),
            "jti": secrets.token_hex(8),
            "scope": list(key.scopes),
            "client_id": key.client_id,
            "organizationUuid": key.organization_uuid,
        }
        token = _jwt({"kid": "sandbox", "typ": "JWT", "alg": "RS256"}, payload, self._secret)
        self._tokens[token] = AccessToken(
            key.organization_uuid, key.client_id, key.scopes, now + ttl
        )
        return token, ttl

    def lookup(self, token: str) -> AccessToken | None:
        """The record of an issued token (expired or not), or ``None`` for an unknown one."""
        return self._tokens.get(token)

    def expire_all(self) -> int:
        """Make every issued token expired now; returns how many there were."""
        past = time.time() - 1
        for record in self._tokens.values():
            record.expires_at = min(record.expires_at, past)
        return len(self._tokens)
