"""Small response helpers shared by the route modules."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from zinv_tui.sandbox.catalogue import etag_of, if_none_match_hits


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A compact JSON response from Python data."""
    return raw_json(json.dumps(data, separators=(",", ":")), status, headers)


def raw_json(
    body: bytes | str, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response from an already encoded body."""
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def no_content() -> Response:
    """204, no body."""
    return Response(status_code=204)


def conditional(request: Request, body: bytes, etag: str | None = None) -> Response:
    """200 with an ``ETag`` header, or 304 when ``If-None-Match`` already has it."""
    tag = etag or etag_of(body)
    headers = {"ETag": f'"{tag}"'}
    if if_none_match_hits(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return raw_json(body, headers=headers)
