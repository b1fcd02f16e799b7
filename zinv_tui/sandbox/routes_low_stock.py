"""Low-stock levels: unversioned writes and deletes, ``v2`` reads (see zettle-api.md §7).

The pre-2022 unversioned reads (``GET /custom-low-stock/locations/{loc}[/products/{product}]``)
are served too, without ``lowStockAlert``.

Rules: the defaults (``lowStockLevel`` null, ``lowStockAlert`` false) are not stored, so writing
them deletes the record; writes use ``lowStockLevel``, reads answer ``customLowStockLevel`` as a
float (``5.0``). Deletes answer 204 (the docs say "202 - No Content"; 204 is No Content).
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zinv_tui.api.models import LowStockDeleteRequest, LowStockLevelsUpdate, LowStockLevelUpdate
from zinv_tui.sandbox.auth import authorize
from zinv_tui.sandbox.errors import ENTITY_NOT_FOUND, ApiError, violation
from zinv_tui.sandbox.inventory import Location
from zinv_tui.sandbox.request_parsing import path_uuid, read_model
from zinv_tui.sandbox.responses import conditional, no_content
from zinv_tui.sandbox.routes_inventory import routes_with_slash
from zinv_tui.sandbox.state import SandboxState
from zinv_tui.sandbox.tokens import READ_PRODUCT, WRITE_PRODUCT


def _variants_wire(rows: list[tuple[str, str, int | None, bool]], request: Request) -> list[dict]:
    """Read shape of levels; the pre-2022 unversioned read path knows no alert flag."""
    if not request.url.path.startswith("/custom-low-stock/v2/"):
        return [
            {"variantUuid": variant, "customLowStockLevel": float(level)}
            for _, variant, level, _ in rows
            if level is not None
        ]
    return [
        {
            "variantUuid": variant,
            "customLowStockLevel": float(level) if level is not None else None,
            "lowStockAlert": alert,
        }
        for _, variant, level, alert in rows
    ]


def low_stock_routes(state: SandboxState) -> list[Route]:
    """Every low-stock route."""
    inventory = state.inventory
    store = inventory.store
    db = state.db

    def location_from_path(request: Request) -> Location:
        uuid = path_uuid(request, "locationUuid")
        location = inventory.location(uuid)
        if location is None:
            raise ApiError.not_found(f"Location {uuid} not found")
        return location

    def check_pair(where: str, product_uuid: str, variant_uuid: str) -> None:
        if not store.has_product(product_uuid):
            raise ApiError(
                400,
                f"Unknown product {product_uuid}",
                ENTITY_NOT_FOUND,
                [violation(f"{where}productUuid", "no product with this UUID", value=product_uuid)],
            )
        if store.product_of_variant(variant_uuid) != product_uuid:
            raise ApiError(
                400,
                f"Variant {variant_uuid} is not a variant of product {product_uuid}",
                ENTITY_NOT_FOUND,
                [
                    violation(
                        f"{where}variantUuid", "no such variant of the product", value=variant_uuid
                    )
                ],
            )

    def apply(location: Location, updates: list[LowStockLevelUpdate], prefix: str) -> None:
        for index, update in enumerate(updates):
            where = f"{prefix}[{index}]." if prefix else ""
            check_pair(where, str(update.product_uuid), str(update.variant_uuid))
        with store.transaction():
            for update in updates:
                store.set_low_stock(
                    location.uuid,
                    str(update.product_uuid),
                    str(update.variant_uuid),
                    update.low_stock_level,
                    update.low_stock_alert,
                )

    def delete(location: Location, variants: list[str]) -> None:
        with store.transaction():
            for variant in variants:
                store.delete_low_stock(location.uuid, variant)

    async def set_one(request: Request) -> Response:
        authorize(request, state, WRITE_PRODUCT)
        location = location_from_path(request)
        update = await read_model(request, LowStockLevelUpdate, "low-stock level")
        await db.run(apply, location, [update], "")
        return no_content()

    async def set_many(request: Request) -> Response:
        authorize(request, state, WRITE_PRODUCT)
        location = location_from_path(request)
        body = await read_model(request, LowStockLevelsUpdate, "low-stock levels")
        await db.run(apply, location, list(body.requests), "requests")
        return no_content()

    async def read_location(request: Request) -> Response:
        authorize(request, state, READ_PRODUCT)
        location = location_from_path(request)
        grouped: dict[str, list] = {}
        for row in await db.run(store.low_stock, location.uuid):
            grouped.setdefault(row[0], []).append(row)
        products = []
        for product, rows in grouped.items():
            variants = _variants_wire(rows, request)
            if variants:
                products.append(
                    {"productUuid": product, "customLowStockLevelForVariants": variants}
                )
        body = {
            "organizationUuid": state.organization_uuid,
            "locationUuid": location.uuid,
            "customLowStockLevelsForProducts": products,
        }
        return conditional(request, json.dumps(body, separators=(",", ":")).encode())

    async def read_product(request: Request) -> Response:
        authorize(request, state, READ_PRODUCT)
        location = location_from_path(request)
        product = path_uuid(request, "productUuid")
        if not store.has_product(product):
            raise ApiError.not_found(f"Product {product} not found")
        rows = await db.run(store.low_stock, location.uuid, product)
        body = {
            "productUuid": product,
            "customLowStockLevelForVariants": _variants_wire(rows, request),
        }
        return conditional(request, json.dumps(body, separators=(",", ":")).encode())

    async def delete_one(request: Request) -> Response:
        authorize(request, state, WRITE_PRODUCT)
        location = location_from_path(request)
        product = path_uuid(request, "productUuid")
        variant = path_uuid(request, "variantUuid")
        if store.product_of_variant(variant) != product:
            raise ApiError.not_found(f"Variant {variant} of product {product} not found")
        await db.run(delete, location, [variant])
        return no_content()

    async def delete_many(request: Request) -> Response:
        authorize(request, state, WRITE_PRODUCT)
        location = location_from_path(request)
        body = await read_model(request, LowStockDeleteRequest, "low-stock delete request")
        for index, ref in enumerate(body.requests):
            check_pair(f"requests[{index}].", str(ref.product_uuid), str(ref.variant_uuid))
        await db.run(delete, location, [str(ref.variant_uuid) for ref in body.requests])
        return no_content()

    base = "/custom-low-stock/locations/{locationUuid}"
    v2 = "/custom-low-stock/v2/locations/{locationUuid}"
    return [
        *routes_with_slash(base, set_one, ["PUT"]),
        *routes_with_slash(base, set_many, ["POST"]),
        *routes_with_slash(f"{base}/delete", delete_many, ["POST"]),
        *routes_with_slash(
            f"{base}/products/{{productUuid}}/variants/{{variantUuid}}", delete_one, ["DELETE"]
        ),
        *routes_with_slash(v2, read_location, ["GET"]),
        *routes_with_slash(f"{v2}/products/{{productUuid}}", read_product, ["GET"]),
        # The pre-February-2022 reads (no lowStockAlert), still used by older integrations.
        *routes_with_slash(base, read_location, ["GET"]),
        *routes_with_slash(f"{base}/products/{{productUuid}}", read_product, ["GET"]),
    ]
