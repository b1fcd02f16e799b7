"""OAuth assertion grant: trade the merchant's API key for short-lived access tokens.

``POST {oauth}/token`` with ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``, the
``client_id`` (given, or read from the key) and ``assertion`` = the API key. There is no refresh
token: a new token is asserted again with the same key. Tokens are cached and renewed a little
before ``expires_in`` runs out (10 % of the lifetime, at most 5 minutes), and callers that find the
token stale at the same moment share one renewal.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
from pydantic import SecretStr, TypeAdapter

from zinv_tui.api.apikey import ApiKeyClaims, read_api_key_claims
from zinv_tui.api.errors import KEYS_PAGE, ApiKeyRejected
from zinv_tui.api.models import TokenResponse
from zinv_tui.api.responses import parse_body

ASSERTION_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
RENEWAL_SHARE = 0.10
RENEWAL_MAX_MARGIN = 300.0

PostForm = Callable[[str, dict[str, str]], Awaitable[httpx.Response]]
"""Sends a form POST and returns a 2xx answer, or raises the mapped :class:`ZettleError`."""

_TOKEN_RESPONSE = TypeAdapter(TokenResponse)


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """Who the API key speaks for; holds no secret."""

    organization_uuid: UUID | None
    client_id: str
    scopes: tuple[str, ...]
    expires_at: datetime
    """When the current access token runs out (UTC)."""


def renewal_margin(expires_in: float) -> float:
    """Seconds before expiry at which a token is renewed."""
    return min(expires_in * RENEWAL_SHARE, RENEWAL_MAX_MARGIN)


@dataclass(frozen=True, slots=True)
class _CachedToken:
    value: SecretStr
    renew_at: float
    """Monotonic time after which the token is renewed before use."""
    expires_at: datetime
    scope: str | None


class AssertionGrant:
    """Obtains, caches and renews access tokens for one API key."""

    def __init__(
        self,
        api_key: SecretStr,
        token_url: str,
        post_form: PostForm,
        *,
        client_id: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api_key = api_key
        self._token_url = token_url
        self._post_form = post_form
        self._explicit_client_id = client_id
        self._clock = clock
        self._claims: ApiKeyClaims | None = None
        self._current: _CachedToken | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"AssertionGrant(token_url={self._token_url!r})"

    @property
    def claims(self) -> ApiKeyClaims:
        """The key's claims; empty if the key is opaque but a client id was given explicitly."""
        if self._claims is None:
            try:
                self._claims = read_api_key_claims(self._api_key.get_secret_value())
            except ApiKeyRejected:
                if self._explicit_client_id is None:
                    raise
                self._claims = ApiKeyClaims()
        return self._claims

    @property
    def client_id(self) -> str:
        """The OAuth client id: the one given, else the key's ``client_id`` claim."""
        if self._explicit_client_id:
            return self._explicit_client_id
        client_id = self.claims.client_id
        if not client_id:
            raise ApiKeyRejected(
                "This API key does not name its client id - enter the client id shown with the "
                f"key, or create a new key at {KEYS_PAGE}"
            )
        return client_id

    @property
    def expires_at(self) -> datetime | None:
        """When the cached token runs out, if there is one."""
        return self._current.expires_at if self._current else None

    @property
    def granted_scope(self) -> str | None:
        """The ``scope`` the token endpoint reported, if it reported one."""
        return self._current.scope if self._current else None

    def secrets(self) -> tuple[str, ...]:
        """The strings that must never appear in messages (key and current token)."""
        values = [self._api_key.get_secret_value()]
        if self._current:
            values.append(self._current.value.get_secret_value())
        return tuple(value for value in values if value)

    async def token(self) -> str:
        """A valid access token: the cached one, or a new one if it is due for renewal."""
        current = self._current
        if current is not None and self._clock() < current.renew_at:
            return current.value.get_secret_value()
        async with self._lock:
            current = self._current
            if current is not None and self._clock() < current.renew_at:
                return current.value.get_secret_value()
            return await self._assert()

    async def renew(self, stale: str | None = None) -> str:
        """A new token. With ``stale`` (a token the server refused), renew only if no other
        caller has already replaced that token meanwhile; without it, always ask anew."""
        async with self._lock:
            current = self._current
            if (
                stale is not None
                and current is not None
                and current.value.get_secret_value() != stale
                and self._clock() < current.renew_at
            ):
                return current.value.get_secret_value()
            return await self._assert()

    def forget(self) -> None:
        """Drop the cached token (on close)."""
        self._current = None

    async def _assert(self) -> str:
        form = {
            "grant_type": ASSERTION_GRANT_TYPE,
            "client_id": self.client_id,
            "assertion": self._api_key.get_secret_value(),
        }
        started = self._clock()
        started_wall = datetime.now(UTC)
        response = await self._post_form(self._token_url, form)
        answer = parse_body(response.content, _TOKEN_RESPONSE, what="the sign-in (POST /token)")
        lifetime = float(answer.expires_in)
        self._current = _CachedToken(
            value=answer.access_token,
            renew_at=started + lifetime - renewal_margin(lifetime),
            expires_at=started_wall + timedelta(seconds=lifetime),
            scope=answer.scope,
        )
        return answer.access_token.get_secret_value()
