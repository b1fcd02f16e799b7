"""API keys and access tokens of the sandbox's OAuth server.

An API key is a JWT-shaped string ``header.payload.signature`` (base64url) whose payload looks
like a Zettle user assertion: ``client_id``, ``user.orgUuid``, ``scope``, ``iss``, ``aud``,
``iat``, ``exp``.
Only keys the sandbox issued itself are accepted (compared as whole strings), so the signature is an
HMAC with a seed-derived secret and never checked cryptographically.

Access tokens are JWT-shaped too and carry everything the sandbox needs to check them (client,
organization, scopes, expiry) under an HMAC signature keyed by a secret drawn when the registry is
made: nothing is kept per token, so issuing tokens never grows the sandbox's memory, an expired
token is still recognised as expired, and a restarted sandbox refuses the old ones (like revoked
tokens). The admin endpoint expires every token issued so far by moving a generation counter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
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


@dataclass(frozen=True)
class AccessToken:
    """What an issued bearer token says (read back from the token itself)."""

    organization_uuid: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float


_MAX_TOKEN = 4096
"""Longer bearer strings are not tokens of ours (checked before any decoding)."""


class TokenRegistry:
    """Known API keys, and the issuing and checking of access tokens (kept nowhere)."""

    def __init__(self, ttl: int = 7200) -> None:
        self._token_secret = secrets.token_bytes(32)  # a new sandbox refuses old tokens
        self.ttl = ttl
        self._keys: dict[str, ApiKey] = {}
        self._generation = 0
        self._issued_in_generation = 0

    def add_key(self, key: ApiKey) -> None:
        """Accept ``key`` at the token endpoint."""
        self._keys[key.value] = key

    def key_for(self, assertion: str) -> ApiKey | None:
        """The issued key equal to ``assertion``, if any."""
        return self._keys.get(assertion)

    def issue(self, key: ApiKey, client_id: str | None = None) -> tuple[str, int]:
        """A new access token for ``key`` (requested by ``client_id``, default the key's) and its
        lifetime in seconds."""
        now = time.time()
        ttl = self.ttl
        payload = {
            "iss": "iZettle",
            "aud": "API",
            "sub": key.user_uuid,
            "iat": int(now),
            "nbf": int(now),
            "exp": round(now + ttl, 3),
            "jti": secrets.token_hex(8),
            "scope": list(key.scopes),
            "client_id": client_id or key.client_id,
            "organizationUuid": key.organization_uuid,
            "gen": self._generation,
        }
        token = _jwt({"kid": "sandbox", "typ": "JWT", "alg": "RS256"}, payload, self._token_secret)
        self._issued_in_generation += 1
        return token, ttl

    def lookup(self, token: str) -> AccessToken | None:
        """What a token of ours says (expired or not), or ``None`` for anything else."""
        if len(token) > _MAX_TOKEN or not token.isascii():
            return None
        signing_input, _, signature = token.rpartition(".")
        expected = _b64(
            hmac.new(self._token_secret, signing_input.encode("ascii"), hashlib.sha256).digest()
        )
        if not signing_input or not hmac.compare_digest(signature, expected):
            return None
        payload = decode_jwt_payload(token)
        if payload is None:
            return None
        expires_at = float(payload["exp"])
        if payload.get("gen") != self._generation:
            expires_at = min(expires_at, time.time() - 1)
        return AccessToken(
            str(payload["organizationUuid"]),
            str(payload["client_id"]),
            tuple(payload["scope"]),
            expires_at,
        )

    def expire_all(self) -> int:
        """Make every token issued so far expired now; returns how many were issued since the
        last time."""
        expired = self._issued_in_generation
        self._generation += 1
        self._issued_in_generation = 0
        return expired


def shop_key(db_path: str | Path) -> tuple[str, str] | None:
    """The API key and client id of the shop already in the ledger file ``db_path`` (read only,
    so a client can start while the sandbox itself still opens the file); None when there is no
    shop there yet, or the file can't be read."""
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            meta = dict(db.execute("SELECT key, value FROM meta"))
        finally:
            db.close()
        key = make_api_key(
            secret=bytes.fromhex(meta["key_secret"]),
            client_id=meta["client_id"],
            organization_uuid=meta["organization_uuid"],
            user_uuid=meta.get("user_uuid") or "",
            issued_at=int(meta.get("key_issued_at") or 0),
        )
    except (sqlite3.Error, KeyError, ValueError, TypeError):
        return None
    return key.value, key.client_id
