"""Inventory endpoints: locations, tracking, movements, bulk, balance reads and the change feed."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zinv_tui.api.models import (
    BalancesForProductsRequest,
    BulkRequest,
    MovementRequest,
    StartTrackingRequest,
)
from zinv_tui.sandbox.auth import authorize_org
from zinv_tui.sandbox.errors import INVALID_CURSOR, ApiError, violation
from zinv_tui.sandbox.inventory import Location, ProductStep
from zinv_tui.sandbox.request_parsing import path_uuid, read_model
from zinv_tui.sandbox.responses import json_response, no_content, raw_json
from zinv_tui.sandbox.state import SandboxState
from zinv_tui.sandbox.store import Movement
from zinv_tui.sandbox.tokens import READ_PRODUCT, WRITE_PRODUCT
from zinv_tui.sandbox.v1_wire import (
    StatusBodies,
    bulk_reply,
    location_wire,
    move_reply,
    variants_answer,
)

Handler = Callable[[Request], Awaitable[Response]]

_CURSOR = re.compile(r"[+-]?[0-9]{1,19}")
"""A ``since`` cursor: ASCII digits only (``int()`` would take Arabic-Indic digits too)."""
_MAX_SINCE = 64


def routes_with_slash(path: str, handler: Handler, methods: list[str]) -> list[Route]:
    """The route with and without a trailing slash (clients use both)."""
    return [Route(path, handler, methods=methods), Route(path + "/", handler, methods=methods)]


def parse_since(text: str | None, state: SandboxState) -> int | None:
    """``since``: a ``latest`` cursor (ASCII digits) or an ISO-8601 date-time; ``None`` when
    absent. Reads the store: call it on the store's thread."""
    if text is None:
        return None
    text = text.strip()
    if len(text) > _MAX_SINCE:
        raise ApiError.bad_request(
            "since must be a 'latest' value or an ISO-8601 date-time",
            [violation("since", "too long", value=text)],
        )
    latest = state.inventory.store.latest
    cursor = int(text) if _CURSOR.fullmatch(text) else None
    if cursor is not None:
        if cursor < 0:
            raise ApiError.bad_request(
                "since must be a 'latest' value (0 or more) or an ISO-8601 date-time",
                [violation("since", "must not be negative", value=text)],
            )
        if cursor > latest:
            raise ApiError(
                400,
                f"since={cursor} is ahead of this inventory (latest is {latest}); "
                "fetch without since to start over",
                INVALID_CURSOR,
                [violation("since", "ahead of latest", value=text)],
            )
        return cursor
    try:
        moment = datetime.fromisoformat(text.replace(" ", "+"))
    except ValueError:
        raise ApiError.bad_request(
            "since must be a 'latest' value or an ISO-8601 date-time",
            [violation("since", "neither an integer nor a date-time", value=text)],
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return state.inventory.store.seq_at(stamp)


def accept_null_variant_changes(data: Any) -> Any:
    """``"variantChanges": null`` in a bulk product change means none, as Zettle evidently takes it
    (nopCommerce sends it for a product without stock when it starts tracking)."""
    if isinstance(data, dict) and isinstance(changes := data.get("productChanges"), list):
        for change in changes:
            if isinstance(change, dict):
                for key in ("variantChanges", "variant_changes"):
                    if key in change and change[key] is None:
                        del change[key]
    return data


def _movements(request: MovementRequest) -> tuple[list[Movement], list[str]]:
    moves = [
        Movement(
            str(change.product_uuid),
            str(change.variant_uuid),
            str(change.from_location_uuid),
            str(change.to_location_uuid),
            change.change,
        )
        for change in request.changes
    ]
    return moves, [f"changes[{index}]" for index in range(len(moves))]


def _steps(request: BulkRequest) -> list[ProductStep]:
    steps = []
    for p_index, product_change in enumerate(request.product_changes):
        product_uuid = str(product_change.product_uuid)
        where = f"productChanges[{p_index}]"
        status = product_change.tracking_status_change.value
        changes = product_change.variant_changes
        steps.append(
            ProductStep(
                product_uuid=product_uuid,
                where=where,
                tracking={"START_TRACKING": True, "STOP_TRACKING": False}.get(status),
                moves=[
                    Movement(
                        product_uuid,
                        str(change.variant_uuid),
                        str(change.from_location_uuid),
                        str(change.to_location_uuid),
                        change.change,
                    )
                    for change in changes
                ],
                wheres=[f"{where}.variantChanges[{index}]" for index in range(len(changes))],
                claims=[
                    str(change.product_uuid) if change.product_uuid is not None else None
                    for change in changes
                ],
            )
        )
    return steps


def _external(uuid: object) -> str | None:
    return str(uuid) if uuid else None


def inventory_routes(state: SandboxState) -> list[Route]:
    """Every inventory route of the v1/v2 surface."""
    inventory = state.inventory
    db = state.db
    statuses = StatusBodies(inventory)

    def location_from_path(request: Request) -> Location:
        uuid = path_uuid(request, "locationUuid")
        location = inventory.location(uuid)
        if location is None:
            raise ApiError.not_found(f"Location {uuid} not found")
        return location

    async def locations(request: Request) -> Response:
        authorize_org(request, state, READ_PRODUCT)
        return json_response([location_wire(location) for location in inventory.locations])

    def status_of(location: Location, since_text: str | None) -> bytes:
        return statuses.body(location, since=parse_since(since_text, state))

    async def store_balances(request: Request) -> Response:
        authorize_org(request, state, READ_PRODUCT)
        since = request.query_params.get("since")
        return raw_json(await db.run(status_of, inventory.store_location, since))

    async def start_tracking(request: Request) -> Response:
        authorize_org(request, state, WRITE_PRODUCT)
        body = await read_model(request, StartTrackingRequest, "start-tracking request")
        rows = await db.run(inventory.start_tracking, str(body.product_uuid))
        return json_response(variants_answer(inventory.store_location, rows))

    async def move(request: Request) -> Response:
        authorize_org(request, state, WRITE_PRODUCT)
        body = await read_model(request, MovementRequest, "movement request")
        moves, wheres = _movements(body)
        answer = await db.run(
            inventory.move,
            moves,
            wheres,
            reply_location=inventory.return_location(
                _external(body.return_balance_for_location_uuid)
            ),
            external=_external(body.external_uuid),
            reply=move_reply,
        )
        return raw_json(answer)

    async def bulk(request: Request) -> Response:
        authorize_org(request, state, WRITE_PRODUCT)
        body = await read_model(
            request, BulkRequest, "bulk request", prepare=accept_null_variant_changes
        )
        answer = await db.run(
            inventory.bulk,
            _steps(body),
            reply_location=inventory.return_location(
                _external(body.return_balance_for_location_uuid)
            ),
            external=_external(body.external_uuid),
            reply=bulk_reply,
        )
        return raw_json(answer)

    async def stop_tracking(request: Request) -> Response:
        authorize_org(request, state, WRITE_PRODUCT)
        await db.run(inventory.stop_tracking, path_uuid(request, "productUuid"))
        return no_content()

    async def balances_by_type(request: Request) -> Response:
        authorize_org(request, state, READ_PRODUCT)
        kind = (request.query_params.get("type") or "").strip().upper()
        if kind not in {"STORE", "SUPPLIER", "BIN", "SOLD"}:
            raise ApiError.bad_request(
                "type must be one of STORE, SUPPLIER, BIN, SOLD",
                [
                    violation(
                        "type",
                        "unknown location type",
                        constraint="INVALID_RANGE",
                        value=request.query_params.get("type", ""),
                    )
                ],
            )
        since = request.query_params.get("since")
        return raw_json(await db.run(status_of, inventory.location_of_type(kind), since))

    async def balances_by_location(request: Request) -> Response:
        authorize_org(request, state, READ_PRODUCT)
        location = location_from_path(request)
        return raw_json(await db.run(status_of, location, request.query_params.get("since")))

    async def product_balance(request: Request) -> Response:
        authorize_org(request, state, READ_PRODUCT)
        location = location_from_path(request)
        product = path_uuid(request, "productUuid")
        rows = await db.run(inventory.product_balances, location, product)
        return json_response(variants_answer(location, rows))

    async def balances_for_products(request: Request) -> Response:
        authorize_org(request, state, READ_PRODUCT)
        body = await read_model(request, BalancesForProductsRequest, "balances request")
        location = inventory.location_of_type(body.location_type.value)
        products = list(dict.fromkeys(str(uuid) for uuid in body.product_uuids))
        return raw_json(await db.run(statuses.body, location, products=products))

    org = "/organizations/{org}"
    return [
        *routes_with_slash(f"{org}/locations", locations, ["GET"]),
        *routes_with_slash("/inventory", store_balances, ["GET"]),
        *routes_with_slash(f"{org}/inventory", store_balances, ["GET"]),
        *routes_with_slash(f"{org}/inventory", start_tracking, ["POST"]),
        *routes_with_slash(f"{org}/inventory", move, ["PUT"]),
        *routes_with_slash(f"{org}/v2/inventory/bulk", bulk, ["POST"]),
        *routes_with_slash(f"{org}/inventory/products/{{productUuid}}", stop_tracking, ["DELETE"]),
        *routes_with_slash(f"{org}/inventory/products", balances_for_products, ["POST"]),
        *routes_with_slash(f"{org}/inventory/locations", balances_by_type, ["GET"]),
        *routes_with_slash(
            f"{org}/inventory/locations/{{locationUuid}}", balances_by_location, ["GET"]
        ),
        *routes_with_slash(
            f"{org}/inventory/locations/{{locationUuid}}/products/{{productUuid}}",
            product_balance,
            ["GET"],
        ),
    ]
