"""What a failed movement request means for the outbox: one rule for every API generation."""

from __future__ import annotations

from collections.abc import Callable

from zinv_tui.api.errors import ACCESS_REFUSALS, NotFound, RequestRejected, ZettleError
from zinv_tui.service.backend import NotApplied, Refused, SendOutcome, Unknown


def failed_send(
    error: ZettleError, blame: Callable[[ZettleError], frozenset[str] | None] | None = None
) -> SendOutcome:
    """The outcome of a movement request that raised ``error``: refused (the request's fault,
    ``blame`` naming the movements when the API says; or the key's fault), surely not applied
    (throttled, never reached), or unknown (it may have been applied: the service reads)."""
    if isinstance(error, RequestRejected | NotFound):
        return Refused(error.words(), error, blame(error) if blame else None)
    if isinstance(error, ACCESS_REFUSALS):
        return Refused(error.words(), error, access=True)
    if not error.outcome_unknown:
        return NotApplied(error)
    answered = error.status is not None and 200 <= error.status < 300
    return Unknown(error, answered=answered)
