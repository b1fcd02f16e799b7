"""Product Library reads: ``/organizations/{org}/products[/v2[/count]]`` and one product, with
ETag and ``If-None-Match`` -> 304."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zinv_tui.sandbox.auth import authorize_org
from zinv_tui.sandbox.errors import ApiError
from zinv_tui.sandbox.request_parsing import path_uuid
from zinv_tui.sandbox.responses import conditional, json_response
from zinv_tui.sandbox.routes_inventory import routes_with_slash
from zinv_tui.sandbox.state import SandboxState
from zinv_tui.sandbox.tokens import READ_PRODUCT


def product_routes(state: SandboxState) -> list[Route]:
    """The product read routes."""
    catalogue = state.catalogue
    db = state.db

    async def all_products(request: Request) -> Response:
        authorize_org(request, state, READ_PRODUCT)
        body, etag = await db.run(catalogue.list_body)
        return conditional(request, body, etag)

    async def count(request: Request) -> Response:
        authorize_org(request, state, READ_PRODUCT)
        return json_response({"productCount": await db.run(catalogue.count)})

    async def one_product(request: Request) -> Response:
        authorize_org(request, state, READ_PRODUCT)
        uuid = path_uuid(request, "productUuid")
        found = await db.run(catalogue.product_body, uuid)
        if found is None:
            raise ApiError.not_found(f"Product {uuid} not found")
        body, etag = found
        return conditional(request, body, etag)

    org = "/organizations/{org}"
    return [
        *routes_with_slash(f"{org}/products/v2", all_products, ["GET"]),
        *routes_with_slash(f"{org}/products/v2/count", count, ["GET"]),
        *routes_with_slash(f"{org}/products", all_products, ["GET"]),
        *routes_with_slash(f"{org}/products/{{productUuid}}", one_product, ["GET"]),
    ]
