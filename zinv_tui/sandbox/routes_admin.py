"""The sandbox's own admin surface under ``/sandbox/`` (no auth: a loopback tool; never faulted).

- ``GET|POST /sandbox/faults``: fault knobs (POST merges the given keys).
- ``GET /sandbox/ledger[?since_seq=N&limit=M]``: every movement, oldest first.
- ``POST /sandbox/sales``: POS sales now: ``{"count": N}`` random, or
  ``{"variantUuid", "quantity"}``.
- ``POST /sandbox/tokens/expire``: expire every issued access token.
- ``GET /sandbox/info``: identity, counts, locations, cursor, faults.
- ``POST /sandbox/keys`` (extension): issue another API key of the organization with chosen scopes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zinv_tui.sandbox.errors import ApiError
from zinv_tui.sandbox.request_parsing import decode_json, read_body, read_json
from zinv_tui.sandbox.responses import json_response
from zinv_tui.sandbox.state import SandboxState
from zinv_tui.sandbox.tokens import DEFAULT_SCOPES, make_api_key
from zinv_tui.sandbox.v1_wire import location_wire


class _SaleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    count: int | None = Field(None, ge=1, le=10_000)
    variant_uuid: str | None = Field(None, alias="variantUuid")
    quantity: int = Field(1, ge=1, le=1_000_000)


class _KeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scopes: list[str] = Field(default_factory=lambda: list(DEFAULT_SCOPES))


def _int_param(request: Request, name: str, default: int | None) -> int | None:
    text = request.query_params.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ApiError.bad_request(f"{name} must be a whole number") from None
    if value < 0:
        raise ApiError.bad_request(f"{name} must be zero or more")
    return value


def admin_routes(state: SandboxState) -> list[Route]:
    """The ``/sandbox/*`` routes."""
    inventory = state.inventory
    store = inventory.store

    async def get_faults(request: Request) -> Response:
        return json_response(state.faults.settings.model_dump())

    async def set_faults(request: Request) -> Response:
        patch = await read_json(request)
        try:
            settings = state.faults.update(patch)
        except ValueError as error:
            raise ApiError.bad_request(f"Invalid fault settings: {error}") from None
        state.tokens.ttl = settings.token_ttl
        return json_response(settings.model_dump())

    async def ledger(request: Request) -> Response:
        since = _int_param(request, "since_seq", 0) or 0
        limit = _int_param(request, "limit", None)
        rows = await state.db.run(store.ledger, since, limit)
        return json_response(
            [
                {
                    "seq": seq,
                    "productUuid": product,
                    "variantUuid": variant,
                    "fromLocationUuid": source,
                    "toLocationUuid": target,
                    "change": change,
                    "externalUuid": external,
                    "source": origin,
                    "created": created,
                }
                for seq, product, variant, source, target, change, external, origin, created in rows
            ]
        )

    async def sales(request: Request) -> Response:
        raw = await read_body(request)
        data: Any = decode_json(raw) if raw.strip() else {"count": 1}
        try:
            sale = _SaleRequest.model_validate(data)
        except ValidationError as error:
            raise ApiError.bad_request(f"Invalid sales request: {error}") from None

        def sell() -> dict[str, Any]:
            if sale.variant_uuid is not None:
                made = [inventory.pos_sale(sale.variant_uuid.lower(), sale.quantity)]
            else:
                made = inventory.random_sales(sale.count or 1, state.sales_rng)
            return {"sales": made, "latest": store.latest}

        return json_response(await state.db.run(sell))

    async def expire_tokens(request: Request) -> Response:
        return json_response({"expired": state.tokens.expire_all()})

    async def info(request: Request) -> Response:
        products, variants = store.counts()
        latest = await state.db.run(lambda: store.latest)
        return json_response(
            {
                "url": state.url,
                "organization_uuid": state.organization_uuid,
                "client_id": state.api_key.client_id,
                "api_key": state.api_key.value,
                "products": products,
                "variants": variants,
                "latest": latest,
                "db_path": store.path,
                "sales_per_minute": state.sales_per_minute,
                "locations": [location_wire(location) for location in inventory.locations],
                "api": state.api,
                "idempotency": "keyed" if inventory.keyed else "none",
                "faults": state.faults.settings.model_dump(),
            }
        )

    async def new_key(request: Request) -> Response:
        raw = await read_body(request)
        data: Any = decode_json(raw) if raw.strip() else {}
        try:
            wanted = _KeyRequest.model_validate(data)
        except ValidationError as error:
            raise ApiError.bad_request(f"Invalid key request: {error}") from None
        base = state.api_key
        key = make_api_key(
            secret=state.key_secret,
            client_id=base.client_id,
            organization_uuid=base.organization_uuid,
            user_uuid=base.user_uuid,
            issued_at=len(wanted.scopes) + 1_700_000_000 + len(state.extra_keys),
            scopes=tuple(wanted.scopes),
        )
        state.extra_keys.append(key)
        state.tokens.add_key(key)
        return json_response({"api_key": key.value, "client_id": key.client_id})

    return [
        Route("/sandbox/faults", get_faults, methods=["GET"]),
        Route("/sandbox/faults", set_faults, methods=["POST"]),
        Route("/sandbox/ledger", ledger, methods=["GET"]),
        Route("/sandbox/sales", sales, methods=["POST"]),
        Route("/sandbox/tokens/expire", expire_tokens, methods=["POST"]),
        Route("/sandbox/info", info, methods=["GET"]),
        Route("/sandbox/keys", new_key, methods=["POST"]),
    ]
