"""Reading request bodies and parameters into the shared pydantic models, as Zettle-shaped 400s."""

from __future__ import annotations

import json
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from zinv_tui.sandbox.errors import ApiError, violation

ModelT = TypeVar("ModelT", bound=BaseModel)
_MAX_BODY = 32 * 1024 * 1024


async def read_json(request: Request) -> Any:
    """The JSON body, or a 400 for an empty, oversized or malformed one."""
    raw = await request.body()
    if not raw.strip():
        raise ApiError.bad_request("Request body is missing; expected JSON")
    if len(raw) > _MAX_BODY:
        raise ApiError.bad_request("Request body is too large")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError.bad_request("Request body is not valid JSON") from None


def parse_model(model: type[ModelT], data: Any, what: str) -> ModelT:
    """Validate ``data`` as ``model``; every complaint becomes a violation of a 400."""
    if not isinstance(data, dict):
        raise ApiError.bad_request(
            f"Invalid {what}: expected a JSON object",
            [violation("body", "must be a JSON object", constraint="UNKNOWN")],
        )
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ApiError.from_validation(error, what) from None
    except (ValueError, TypeError, RecursionError) as error:  # defensive: never a 500
        raise ApiError.bad_request(f"Invalid {what}: {error}") from None


async def read_model(request: Request, model: type[ModelT], what: str) -> ModelT:
    """Read and validate the JSON body as ``model``."""
    return parse_model(model, await read_json(request), what)


def path_uuid(request: Request, name: str) -> str:
    """A UUID path parameter in canonical lower-case form, or a 400."""
    text = request.path_params[name]
    try:
        return str(UUID(text))
    except ValueError:
        raise ApiError.bad_request(
            f"{name} is not a UUID",
            [violation(name, "must be a UUID", constraint="MUST_MATCH_PATTERN", value=text)],
        ) from None
