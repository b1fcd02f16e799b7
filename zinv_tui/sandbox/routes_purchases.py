"""Purchase API v2 routes (``/purchases/v2``, ``/purchase/v2/{id}``) and their admin surface.

Parameters, paging and errors follow ``zettle-purchases.md`` §13 (see :mod:`.purchases` for the
data). Admin (never faulted, no auth, like every ``/sandbox/*`` route):

- ``GET|POST /sandbox/purchases/settings``: :class:`~.purchases.PurchaseApiSettings`.
- ``POST /sandbox/purchases``: ring up a purchase now or in the past: ``{"lines": [{"variantUuid",
  "quantity"}], "timestamp"?, "created"?, "customAmount"?}``; its units move STORE -> SOLD now.
- ``POST /sandbox/purchases/refund``: ``{"purchaseUuid", "lines"?: {variantUuid: quantity},
  "returnToStock"?: false, "timestamp"?}``.
- ``GET /sandbox/purchases/summary``: how many purchases and refunds there are.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zinv_tui.sandbox.auth import authorize
from zinv_tui.sandbox.errors import UNAUTHORIZED, ApiError, violation
from zinv_tui.sandbox.purchase_wire import encode_json
from zinv_tui.sandbox.purchases import (
    MAX_LIMIT,
    VISIBLE_MS,
    NewPurchase,
    PurchaseApiSettings,
    SaleLine,
)
from zinv_tui.sandbox.request_parsing import read_json
from zinv_tui.sandbox.responses import json_response, raw_json
from zinv_tui.sandbox.state import SandboxState
from zinv_tui.sandbox.store import Movement
from zinv_tui.sandbox.tokens import READ_PURCHASE

_log = logging.getLogger(__name__)

INVALID_PARAMETER = "INVALID_PARAMETER"
NOT_FOUND = "NOT_FOUND"
_HASH_LENGTH = 13 + 22


def now_ms() -> int:
    """Now in epoch milliseconds."""
    return int(time.time() * 1000)


def _invalid(name: str, text: str, expected: str) -> ApiError:
    return ApiError(
        400,
        f"Invalid {name}: {text!r} ({expected})",
        INVALID_PARAMETER,
        [violation(name, expected, value=text)],
    )


def parse_date(name: str, text: str) -> int:
    """``YYYY-MM-DD``, ``YYYY-MM-DDTHH:mm[:ss[.SSS]]`` with optional ``Z``/``+00:00``/``+0000``
    (naive = UTC), as epoch ms; a 400 ``INVALID_PARAMETER`` otherwise."""
    value = text.strip().replace(" ", "+")
    if not 10 <= len(value) <= 35 or not value[:4].isdigit():
        raise _invalid(name, text, "expected YYYY-MM-DD or YYYY-MM-DDTHH:mm, UTC")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _invalid(name, text, "expected YYYY-MM-DD or YYYY-MM-DDTHH:mm, UTC") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def parse_hash(text: str) -> tuple[int, str]:
    """``lastPurchaseHash`` = 13-digit epoch ms + 22-character purchaseUUID."""
    value = text.strip()
    if len(value) != _HASH_LENGTH or not value[:13].isdigit():
        raise _invalid("lastPurchaseHash", text, "not a hash this API returned")
    return int(value[:13]), value[13:]


def purchase_hash(wire: dict[str, Any]) -> str:
    """The cursor naming one purchase: ``str(created_ms) + purchaseUUID``."""
    created = datetime.fromisoformat(wire["created"])
    return f"{int(created.timestamp() * 1000):013d}{wire['purchaseUUID']}"


def _authorize(request: Request, state: SandboxState) -> None:
    """A bearer token with ``READ:PURCHASE``; without the scope a 401, as §13.12 chooses."""
    try:
        authorize(request, state, READ_PURCHASE)
    except ApiError as error:
        if error.status != 403:
            raise
        challenge = f'Bearer error="insufficient_scope", scope="{READ_PURCHASE}"'
        raise ApiError(
            401,
            f"The access token lacks the scope {READ_PURCHASE}",
            UNAUTHORIZED,
            headers={"WWW-Authenticate": challenge},
        ) from None


def _next_link(request: Request, state: SandboxState, last_hash: str) -> str:
    """The request's own query, in its order, with ``lastPurchaseHash`` replaced or appended."""
    items = list(request.query_params.multi_items())
    replaced = False
    for index, (key, _) in enumerate(items):
        if key == "lastPurchaseHash":
            items[index] = (key, last_hash)
            replaced = True
    if not replaced:
        items.append(("lastPurchaseHash", last_hash))
    base = state.url or f"{request.url.scheme}://{request.url.netloc}"
    return f'<{base}/purchases/v2?{urlencode(items)}>; rel="next"'


class _LineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    variant_uuid: str = Field(alias="variantUuid")
    quantity: int = Field(ge=1, le=1_000_000)


class _PurchaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    lines: list[_LineRequest] = Field(default_factory=list, max_length=500)
    timestamp: str | None = None
    created: str | None = None
    custom_amount: int | None = Field(None, alias="customAmount", ge=1, le=10**9)


class _RefundRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    purchase_uuid: str = Field(alias="purchaseUuid")
    lines: dict[str, int] | None = None
    return_to_stock: bool = Field(False, alias="returnToStock")
    timestamp: str | None = None


def _model(model: type[BaseModel], data: Any, what: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ApiError.from_validation(error, what) from None


def purchase_routes(state: SandboxState) -> list[Route]:
    """The Purchase API routes and ``/sandbox/purchases*``."""
    book = state.purchases
    assert book is not None

    async def list_purchases(request: Request) -> Response:
        _authorize(request, state)
        settings = book.settings
        if settings.fail_next:
            book.settings = settings.model_copy(update={"fail_next": settings.fail_next - 1})
            body = {
                "code": 500,
                "message": "There was an error processing your request. It has been logged "
                f"(ID {secrets.token_hex(8)})",
            }
            return json_response(body, 500)
        query = request.query_params
        now = now_ms()
        oldest = now - VISIBLE_MS
        start = parse_date("startDate", query["startDate"]) if "startDate" in query else oldest
        end = parse_date("endDate", query["endDate"]) if "endDate" in query else None
        limit: int | None = None
        if "limit" in query:
            text = query["limit"]
            try:
                limit = int(text.strip())
            except ValueError:
                raise _invalid("limit", text, f"a whole number 1-{MAX_LIMIT}") from None
            if not 1 <= limit <= MAX_LIMIT:
                if settings.limit_policy == "strict":
                    raise _invalid("limit", text, f"a whole number 1-{MAX_LIMIT}")
                limit = min(MAX_LIMIT, max(1, limit))
        else:
            _log.warning("client sent no limit: answering every purchase of the window")
        descending_text = query.get("descending", "false").strip().lower()
        if descending_text not in ("true", "false"):
            raise _invalid("descending", query["descending"], "true or false")
        cursor = parse_hash(query["lastPurchaseHash"]) if "lastPurchaseHash" in query else None
        start = max(start, oldest)
        purchases: list[dict[str, Any]] = []
        if end is None or start < end:
            purchases = await state.db.run(
                book.select,
                start_ms=start,
                end_ms=end,
                after=cursor,
                inclusive_cursor=settings.duplicate_boundary,
                descending=descending_text == "true",
                limit=limit,
            )
        if not purchases:
            empty: dict[str, Any] = {"purchases": [], "linkUrls": []}
            if settings.empty_hashes == "null":
                empty.update(firstPurchaseHash=None, lastPurchaseHash=None)
            return json_response(empty)
        last_hash = purchase_hash(purchases[-1])
        page = {
            "purchases": purchases,
            "firstPurchaseHash": purchase_hash(purchases[0]),
            "lastPurchaseHash": last_hash,
            "linkUrls": [_next_link(request, state, last_hash)],
        }
        return raw_json(encode_json(page))

    async def one_purchase(request: Request) -> Response:
        _authorize(request, state)
        found = await state.db.run(book.find, request.path_params["purchaseUuid"])
        if found is None:
            raise ApiError(404, "Purchase not found", NOT_FOUND)
        return json_response(found)

    async def get_settings(request: Request) -> Response:
        return json_response(book.settings.model_dump())

    async def set_settings(request: Request) -> Response:
        patch = await read_json(request)
        if not isinstance(patch, dict):
            raise ApiError.bad_request("Expected a JSON object of settings")
        book.settings = _model(
            PurchaseApiSettings, {**book.settings.model_dump(), **patch}, "purchase settings"
        )
        return json_response(book.settings.model_dump())

    def _moment(text: str | None, name: str, default: int) -> int:
        return default if text is None else parse_date(name, text)

    async def add_purchase(request: Request) -> Response:
        wanted: _PurchaseRequest = _model(_PurchaseRequest, await read_json(request), "purchase")
        now = now_ms()
        timestamp = _moment(wanted.timestamp, "timestamp", now)
        created = _moment(wanted.created, "created", timestamp)
        if not wanted.lines and wanted.custom_amount is None:
            raise ApiError.bad_request("A purchase needs lines or a customAmount")
        inventory = state.inventory
        store = inventory.store
        moves = []
        for index, line in enumerate(wanted.lines):
            variant = line.variant_uuid.lower()
            product = store.product_of_variant(variant)
            if product is None:
                raise ApiError.bad_request(
                    f"Unknown variant {line.variant_uuid}",
                    [violation(f"lines[{index}].variantUuid", "no such variant")],
                )
            moves.append(
                Movement(
                    product,
                    variant,
                    inventory.store_location.uuid,
                    inventory.location_of_type("SOLD").uuid,
                    line.quantity,
                )
            )
        purchase = NewPurchase(
            timestamp,
            [SaleLine(move.variant_uuid, move.change) for move in moves],
            created_ms=max(created, timestamp),
        )
        if wanted.custom_amount is not None:
            purchase.custom.append(("Custom amount", wanted.custom_amount, 25.0))

        def ring_up() -> dict[str, Any] | None:
            with store.transaction():
                if moves:
                    store.record(moves, source="pos")
                (made,) = book.write([purchase])
            return book.find(made)

        found = await state.db.run(ring_up)
        assert found is not None
        return json_response(found, 201)

    async def refund(request: Request) -> Response:
        wanted: _RefundRequest = _model(_RefundRequest, await read_json(request), "refund")
        lines = None
        if wanted.lines is not None:
            lines = {variant.lower(): quantity for variant, quantity in wanted.lines.items()}
        when = _moment(wanted.timestamp, "timestamp", now_ms())

        def book_refund() -> dict[str, Any] | None:
            with state.inventory.store.transaction():
                made = book.refund(
                    wanted.purchase_uuid.lower(),
                    lines,
                    when,
                    return_to_stock=wanted.return_to_stock,
                )
            return book.find(made)

        found = await state.db.run(book_refund)
        assert found is not None
        return json_response(found, 201)

    async def summary(request: Request) -> Response:
        total, refunds = await state.db.run(book.count)
        return json_response({"purchases": total, "refunds": refunds})

    return [
        Route("/purchases/v2", list_purchases, methods=["GET"]),
        Route("/purchases/v2/", list_purchases, methods=["GET"]),
        Route("/purchase/v2/{purchaseUuid}", one_purchase, methods=["GET"]),
        Route("/sandbox/purchases/settings", get_settings, methods=["GET"]),
        Route("/sandbox/purchases/settings", set_settings, methods=["POST"]),
        Route("/sandbox/purchases", add_purchase, methods=["POST"]),
        Route("/sandbox/purchases/refund", refund, methods=["POST"]),
        Route("/sandbox/purchases/summary", summary, methods=["GET"]),
    ]
