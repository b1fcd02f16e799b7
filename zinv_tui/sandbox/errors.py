"""Zettle-shaped errors: ``{developerMessage, errorType, violations}`` bodies and the exception that
carries them out of a handler.

Every refusal of the sandbox goes through :class:`ApiError`, so bad input never surfaces as a 500.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError
from starlette.responses import Response

# errorType values (Zettle's where documented, otherwise the sandbox's own, see README).
VALIDATION_ERROR = "VALIDATION_ERROR"
ENTITY_NOT_FOUND = "ENTITY_NOT_FOUND"
PRODUCT_NOT_TRACKED = "PRODUCT_NOT_TRACKED"
UNAUTHORIZED = "UNAUTHORIZED"
ACCESS_TOKEN_EXPIRED = "ACCESS_TOKEN_EXPIRED"
FORBIDDEN = "FORBIDDEN"
TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
INVALID_CURSOR = "INVALID_CURSOR"

_CONSTRAINTS = {
    "missing": "MUST_NOT_BE_NULL",
    "none_required": "MUST_BE_NULL",
    "too_short": "INVALID_SIZE",
    "too_long": "INVALID_SIZE",
    "greater_than": "MUST_BE_GREATER_THAN",
    "less_than": "MUST_BE_LESS_THAN",
    "uuid_parsing": "MUST_MATCH_PATTERN",
    "uuid_type": "MUST_MATCH_PATTERN",
    "enum": "INVALID_RANGE",
}


def violation(
    property_name: str,
    message: str,
    *,
    constraint: str = "UNKNOWN",
    value: Any = None,
    expected: str | None = None,
) -> dict[str, Any]:
    """One entry of ``violations``."""
    item: dict[str, Any] = {
        "propertyName": property_name,
        "developerMessage": message,
        "constraintType": constraint,
    }
    if expected is not None:
        item["expected"] = expected
    if value is not None:
        item["value"] = _short(value)
    return item


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _location(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


class ApiError(Exception):
    """An HTTP error answer in Zettle's shape; raise it anywhere inside a handler."""

    def __init__(
        self,
        status: int,
        message: str,
        error_type: str,
        violations: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.violations = violations or []
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON body."""
        return {
            "developerMessage": self.message,
            "errorType": self.error_type,
            "violations": self.violations,
        }

    def response(self) -> Response:
        """The Starlette response."""
        return Response(
            json.dumps(self.body()),
            status_code=self.status,
            media_type="application/json",
            headers=self.headers,
        )

    @classmethod
    def bad_request(cls, message: str, violations: list[dict[str, Any]] | None = None) -> ApiError:
        """400 VALIDATION_ERROR."""
        return cls(400, message, VALIDATION_ERROR, violations)

    @classmethod
    def not_found(cls, message: str) -> ApiError:
        """404 ENTITY_NOT_FOUND."""
        return cls(404, message, ENTITY_NOT_FOUND)

    @classmethod
    def from_validation(cls, error: ValidationError, what: str) -> ApiError:
        """400 listing each pydantic complaint as a violation."""
        violations = [
            violation(
                _location(item["loc"]),
                item["msg"],
                constraint=_CONSTRAINTS.get(item["type"], "UNKNOWN"),
                value=None if item["type"] == "missing" else item.get("input"),
            )
            for item in error.errors(include_url=False, include_context=False)
        ]
        count = len(violations)
        noun = "problem" if count == 1 else "problems"
        return cls.bad_request(f"Invalid {what}: {count} {noun}, see violations", violations)


def error_response(status: int, message: str, error_type: str, **headers: str) -> Response:
    """A Zettle error answer without raising."""
    return ApiError(status, message, error_type, headers=headers).response()
