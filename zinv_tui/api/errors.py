"""The client's errors: one small hierarchy, each with a sentence a shop person can act on.

Every error carries what Zettle said (``status``, ``error_type``, ``developer_message``,
``violations``, ``retry_after``) for logs and developers, while ``str(error)`` is plain words for
the screen. ``outcome_unknown`` marks a write that may or may not have been applied: the request
may have reached Zettle but no readable answer came back (a dropped connection, a timeout, a 5xx,
a 2xx whose body can't be read); only reading the stock again can tell. No
error ever holds the API key or an access token: messages are built from fixed text plus what the
server sent, and the client scrubs its own secrets out of server text before it gets here.
"""

from __future__ import annotations

from collections.abc import Sequence

from zinv_tui.api.models import Violation

KEYS_PAGE = "my.zettle.com/apps/api-keys"
REQUIRED_SCOPES = ("READ:PRODUCT", "WRITE:PRODUCT")


class ZettleError(Exception):
    """Base of every error the client raises."""

    retryable: bool = False
    default_message = "Zettle refused the request"

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        error_type: str | None = None,
        developer_message: str | None = None,
        violations: Sequence[Violation] = (),
        retry_after: float | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        self.message = message or self.default_message
        self.status = status
        self.error_type = error_type
        self.developer_message = developer_message
        self.violations: tuple[Violation, ...] = tuple(violations)
        self.retry_after = retry_after
        """Seconds Zettle asked to wait (``Retry-After`` of a 429 or 503), when it said."""
        self.outcome_unknown = outcome_unknown
        """The request may have been applied although this error says otherwise (see above)."""
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def words(self) -> str:
        """The plain sentence, then Zettle's own words it does not already say, each once (what
        a refused movement shows)."""
        said = self.message
        given = [
            self.developer_message or "",
            *(v.developer_message or "" for v in self.violations),
        ]
        unsaid = [text for text in dict.fromkeys(" ".join(w.split()) for w in given) if text]
        # A long message may be quoted cut short ("…"): its beginning counts as said.
        unsaid = [text for text in unsaid if text[:80] not in said]
        return f"{said} ({'; '.join(unsaid)})" if unsaid else said

    def __repr__(self) -> str:
        parts = [repr(self.message)]
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.error_type:
            parts.append(f"error_type={self.error_type!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


class ApiKeyRejected(ZettleError):
    """The API key is malformed, revoked or unknown (OAuth ``invalid_grant`` and friends)."""

    default_message = f"API key rejected - create a new key at {KEYS_PAGE}"


class TokenExpired(ZettleError):
    """Zettle kept refusing the access token even after a fresh one was asked for."""

    retryable = True
    default_message = (
        "Zettle did not accept the session even after signing in again - try again; "
        f"if it keeps happening, create a new API key at {KEYS_PAGE}"
    )


class PermissionDenied(ZettleError):
    """403: the key lacks a scope the request needs."""

    default_message = (
        "This API key lacks the READ:PRODUCT/WRITE:PRODUCT scope - "
        f"create a key with both scopes at {KEYS_PAGE}"
    )


PURCHASE_KEYS_PAGE = (
    "https://my.zettle.com/apps/api-keys?scopes=READ:PRODUCT%20WRITE:PRODUCT%20READ:PURCHASE"
)


class PurchaseScopeMissing(PermissionDenied):
    """The API key can't read sales (no ``READ:PURCHASE``); stock keeps working without it."""

    default_message = (
        "This API key can't read sales: it lacks the READ:PURCHASE scope, which the reorder "
        f"suggestions need. Create a key with READ:PRODUCT, WRITE:PRODUCT and READ:PURCHASE at "
        f"{PURCHASE_KEYS_PAGE}, then run `zinv-tui login` again (stock, movements and counts "
        "work without it)"
    )


class NotFound(ZettleError):
    """404: the organization, location, product or variant does not exist (any more)."""

    default_message = (
        "Zettle does not know this item (it may have been deleted) - refresh and try again"
    )


class RequestRejected(ZettleError):
    """400, 409 or 422: Zettle understood the request and refused it; repeating won't help."""

    default_message = "Zettle refused the change - check the quantities and try again"


class ProductNotTracked(RequestRejected):
    """400 with ``PRODUCT_NOT_TRACKED``: stock moves need tracking switched on first."""

    default_message = (
        "This product's stock is not tracked in Zettle - start tracking it, then try again"
    )


class RateLimited(ZettleError):
    """429 after the client's own retries: Zettle wants fewer requests."""

    retryable = True
    default_message = "Zettle is busy with too many requests - wait a moment and try again"


class ServerError(ZettleError):
    """5xx after the client's own retries (or at once for writes that can't be repeated safely)."""

    retryable = True
    default_message = "Zettle had a problem answering - try again in a minute"


class NetworkError(ZettleError):
    """No answer at all: DNS, refused or dropped connection, timeout."""

    retryable = True
    default_message = "Can't reach Zettle - check the connection"


class MalformedResponse(ZettleError):
    """Zettle answered 2xx with something the client cannot read (bad JSON, wrong shape)."""

    retryable = True
    default_message = (
        "Zettle sent an answer the app can't read - try again; if it keeps happening, report it"
    )


class GenerationMissing(ZettleError):
    """The server does not answer the Inventory API generation asked for (404 or 410 on its
    cheapest read)."""

    default_message = (
        "Zettle does not answer this Inventory API generation - set api_version to auto "
        "(--api-version auto, ZINV_API_VERSION=auto) to use the one it answers"
    )


ACCESS_REFUSALS: tuple[type[ZettleError], ...] = (TokenExpired, PermissionDenied, ApiKeyRejected)
"""Refusals that are the key's fault, not a request's: repeating won't help until the user acts
(a 401 after a fresh token, a 403, a rejected key)."""


def violations_summary(violations: Sequence[Violation], limit: int = 3) -> str:
    """``"change: must be greater than 0; ..."`` for the first few violations."""
    parts: list[str] = []
    for violation in violations[:limit]:
        text = violation.developer_message or violation.constraint_type or "invalid"
        parts.append(f"{violation.property_name}: {text}" if violation.property_name else text)
    if len(violations) > limit:
        parts.append(f"and {len(violations) - limit} more")
    return "; ".join(parts)
