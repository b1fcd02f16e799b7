"""Zettle's inventory API v3 (``/v3/...``, zettle-v3.md §3) on the same ledger as v1.

Everything is read from and written through the wire-agnostic core
(:class:`~zinv_tui.sandbox.inventory.Inventory`), so v1 and v3 always agree; this module only
reads v3's requests and shapes v3's answers: bare arrays, balances as integers, 204 on writes,
``Location`` on a created inventory, pages with ``Link`` (:mod:`zinv_tui.sandbox.paging`). OAuth
and the scopes are v1's. No organization in the path: the token says which. ``/v3/locations`` does
not exist (404), nor does ``/V3/...``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zinv_tui.sandbox.auth import authorize
from zinv_tui.sandbox.errors import PRODUCT_NOT_TRACKED, ApiError, violation
from zinv_tui.sandbox.inventory import Location
from zinv_tui.sandbox.paging import page_of
from zinv_tui.sandbox.request_parsing import (
    canonical_uuid,
    parse_list,
    path_uuid,
    read_json,
    read_model,
    uuid_list,
)
from zinv_tui.sandbox.responses import json_response, no_content, raw_json
from zinv_tui.sandbox.routes_inventory import routes_with_slash
from zinv_tui.sandbox.state import SandboxState
from zinv_tui.sandbox.store import Movement, StockRow
from zinv_tui.sandbox.tokens import READ_PRODUCT, WRITE_PRODUCT
from zinv_tui.sandbox.v3_models import (
    MAX_ITEMS,
    InventoryCreate,
    LowStockSetting,
    MovementsRequest,
    TrackingChange,
)
from zinv_tui.sandbox.v3_wire import inventory_wire, parse_ts, stock_rows_json

_AFTER_ALL = "~"
"""Sorts after any UUID: ``(ts, ~, ~)`` is past every row updated at ``ts``."""


def _row_key(row: StockRow) -> tuple[str, str]:
    return (row.location_uuid, row.variant_uuid)


def _update_key(row: StockRow) -> tuple[str, str, str]:
    return (row.updated, row.location_uuid, row.variant_uuid)


def v3_routes(state: SandboxState) -> list[Route]:
    """Every v3 route."""
    inventory = state.inventory
    store = inventory.store
    db = state.db
    book = state.cursors
    organization = state.organization_uuid

    async def inventory_from_path(request: Request) -> Location:
        uuid = path_uuid(request, "inventoryUuid")
        found = await db.run(inventory.inventory, uuid)
        if found is None:
            raise ApiError.not_found(f"Inventory {uuid} not found")
        return found

    async def inventories_in_query(request: Request, default: list[Location]) -> list[str]:
        """``inventoryUuid`` (or axios's ``inventoryUuid[]``), repeatable; else ``default``."""
        given = request.query_params.getlist("inventoryUuid") + request.query_params.getlist(
            "inventoryUuid[]"
        )
        if not given:
            return [loc.uuid for loc in default]
        found = []
        for text in given:
            try:
                uuid = canonical_uuid(text)
            except ValueError:
                raise ApiError.bad_request(
                    "inventoryUuid is not a UUID",
                    [violation("inventoryUuid", "must be a UUID", value=text)],
                ) from None
            if await db.run(inventory.inventory, uuid) is None:
                raise ApiError(
                    400,
                    f"Unknown inventory {uuid}",
                    "ENTITY_NOT_FOUND",
                    [violation("inventoryUuid", "no inventory with this UUID", value=uuid)],
                )
            found.append(uuid)
        return list(dict.fromkeys(found))

    def products_in_query(request: Request) -> list[str] | None:
        given = request.query_params.getlist("productUuid")
        if not given:
            return None
        try:
            return [canonical_uuid(text) for text in given]
        except ValueError:
            raise ApiError.bad_request(
                "productUuid is not a UUID",
                [violation("productUuid", "must be a UUID", value=given[0])],
            ) from None

    # -- inventories ---------------------------------------------------------------------------

    def fetch_inventories(query: Any, after: int, count: int) -> list[tuple[int, Location]]:
        listed = list(enumerate(inventory.reload_inventories()))
        return [item for item in listed if item[0] > after][:count]

    async def list_inventories(request: Request) -> Response:
        authorize(request, state, READ_PRODUCT)
        rows, headers = await page_of(
            request,
            book,
            first=lambda: (None, -1),
            fetch=fetch_inventories,
            key=lambda item: item[0],
            run=db.run,
            cap=state.faults.settings.page_cap,
        )
        return json_response([inventory_wire(loc) for _, loc in rows], headers=headers)

    async def one_inventory(request: Request) -> Response:
        authorize(request, state, READ_PRODUCT)
        return json_response(inventory_wire(await inventory_from_path(request)))

    async def create_inventory(request: Request) -> Response:
        authorize(request, state, WRITE_PRODUCT)
        body = await read_model(request, InventoryCreate, "inventory")
        created = await db.run(inventory.create_inventory, body.name, body.description)
        url = request.url
        where = f"{url.scheme}://{url.netloc}/v3/inventories/{created.uuid}"
        return json_response(inventory_wire(created), 201, {"Location": where})

    # -- stock -----------------------------------------------------------------------------------

    def fetch_stock(query: dict[str, Any], after: tuple[str, str] | None, count: int) -> list:
        locations: list[str] = query["inventories"]
        first = 0 if after is None else locations.index(after[0])
        rows: list[StockRow] = []
        for index in range(first, len(locations)):
            rows.extend(
                store.stock_rows(
                    locations[index],
                    after_variant=after[1] if after is not None and index == first else "",
                    limit=count - len(rows),
                    products=query["products"],
                    nonzero=query.get("nonzero", False),
                )
            )
            if len(rows) >= count:
                break
        return rows

    async def stock_page(request: Request, query: dict[str, Any]) -> Response:
        query["nonzero"] = state.faults.settings.omit_zero_rows
        rows, headers = await page_of(
            request,
            book,
            first=lambda: (query, None),
            fetch=fetch_stock,
            key=_row_key,
            run=db.run,
            cap=state.faults.settings.page_cap,
        )
        return raw_json(stock_rows_json(organization, rows), headers=headers)

    async def all_stock(request: Request) -> Response:
        authorize(request, state, READ_PRODUCT)
        query: dict[str, Any] = {}
        if "cursor" not in request.query_params:
            stores = await db.run(inventory.store_inventories)
            query = {
                "inventories": await inventories_in_query(request, stores),
                "products": products_in_query(request),
            }
        return await stock_page(request, query)

    async def inventory_stock(request: Request) -> Response:
        authorize(request, state, READ_PRODUCT)
        location = await inventory_from_path(request)
        return await stock_page(request, {"inventories": [location.uuid], "products": None})

    async def product_stock(request: Request) -> Response:
        authorize(request, state, READ_PRODUCT)
        location = await inventory_from_path(request)
        product = path_uuid(request, "productUuid")
        if not store.has_product(product):
            raise ApiError.not_found(f"Product {product} not found")
        if state.faults.settings.untracked_read_error and not await db.run(
            store.is_tracked, product
        ):
            raise ApiError(
                400,
                f"Product {product} is not tracked",
                PRODUCT_NOT_TRACKED,
                [violation("productUuid", "product not tracked", value=product)],
            )
        return await stock_page(request, {"inventories": [location.uuid], "products": [product]})

    async def products_stock(request: Request) -> Response:
        authorize(request, state, READ_PRODUCT)
        location = await inventory_from_path(request)
        products: list[str] = []
        if "cursor" not in request.query_params:
            data = await read_json(request)
            if isinstance(data, dict) and "productUuids" in data:  # the v1-style body, leniently
                data = data["productUuids"]
            products = uuid_list(data, "product UUIDs", MAX_ITEMS)
        return await stock_page(request, {"inventories": [location.uuid], "products": products})

    async def stock_updates(request: Request) -> Response:
        authorize(request, state, READ_PRODUCT)
        query: dict[str, Any] = {}
        start: tuple[str, str, str] = ("", "", "")
        if "cursor" not in request.query_params:
            ts = request.query_params.get("ts")
            stores = await db.run(inventory.store_inventories)
            query = {"inventories": await inventories_in_query(request, stores)}
            if ts is not None:
                start = (parse_ts(ts), _AFTER_ALL, _AFTER_ALL)
        rows, headers = await page_of(
            request,
            book,
            first=lambda: (query, start),
            fetch=lambda q, after, n: store.stock_updates(q["inventories"], after, n),
            key=_update_key,
            run=db.run,
            cap=state.faults.settings.page_cap,
        )
        return raw_json(stock_rows_json(organization, rows), headers=headers)

    # -- movements -------------------------------------------------------------------------------

    async def movements(request: Request) -> Response:
        authorize(request, state, WRITE_PRODUCT)
        body = await read_model(request, MovementsRequest, "movements")
        moves = [
            Movement(str(m.product_uuid), str(m.variant_uuid), str(m.from_), str(m.to), m.change)
            for m in body.movements
        ]
        identifier = str(body.identifier) if body.identifier else None
        await db.run(inventory.move_many, moves, identifier)
        return no_content()

    # -- tracking ----------------------------------------------------------------------------------

    async def set_tracking(request: Request) -> Response:
        authorize(request, state, WRITE_PRODUCT)
        items = parse_list(TrackingChange, await read_json(request), "tracking changes", MAX_ITEMS)
        changes = [(str(item.product_uuid), item.tracking == "enable") for item in items]
        await db.run(inventory.set_tracking_many, changes)
        return no_content()

    async def tracking_status(request: Request) -> Response:
        authorize(request, state, READ_PRODUCT)
        products = uuid_list(await read_json(request), "product UUIDs", MAX_ITEMS)
        flags = await db.run(store.tracking_of, products)
        return json_response(
            [{"productUuid": uuid, "enabled": flags.get(uuid, False)} for uuid in products]
        )

    async def tracked_products(request: Request) -> Response:
        authorize(request, state, READ_PRODUCT)
        rows, headers = await page_of(
            request,
            book,
            first=lambda: (None, ""),
            fetch=lambda q, after, n: store.tracked_page(after, n),
            key=lambda product: product,
            run=db.run,
            cap=state.faults.settings.page_cap,
        )
        return json_response(
            [{"productUuid": uuid, "enabled": True} for uuid in rows], headers=headers
        )

    async def tracking_updates(request: Request) -> Response:
        authorize(request, state, READ_PRODUCT)
        start = ("", "")
        ts = request.query_params.get("ts")
        if ts is not None and "cursor" not in request.query_params:
            start = (parse_ts(ts), _AFTER_ALL)
        rows, headers = await page_of(
            request,
            book,
            first=lambda: (None, start),
            fetch=lambda q, after, n: store.tracking_updates(after, n),
            key=lambda row: (row[2], row[0]),
            run=db.run,
            cap=state.faults.settings.page_cap,
        )
        return json_response(
            [{"productUuid": p, "enabled": on, "updated": at} for p, on, at in rows],
            headers=headers,
        )

    # -- low stock ---------------------------------------------------------------------------------

    async def custom_low_stock(request: Request) -> Response:
        authorize(request, state, WRITE_PRODUCT)
        items = parse_list(LowStockSetting, await read_json(request), "low-stock levels", MAX_ITEMS)
        settings = [
            (
                str(item.inventory_uuid),
                str(item.product_uuid),
                str(item.variant_uuid),
                item.low_stock_level,
                item.low_stock_alert,
            )
            for item in items
        ]
        await db.run(inventory.set_low_stock_many, settings)
        return no_content()

    return [
        *routes_with_slash("/v3/inventories", list_inventories, ["GET"]),
        *routes_with_slash("/v3/inventories", create_inventory, ["POST"]),
        *routes_with_slash("/v3/inventories/{inventoryUuid}", one_inventory, ["GET"]),
        *routes_with_slash("/v3/stock", all_stock, ["GET"]),
        # Before /v3/stock/{inventoryUuid}, which would take "updates" for a (bad) UUID.
        *routes_with_slash("/v3/stock/updates", stock_updates, ["GET"]),
        *routes_with_slash("/v3/stock/{inventoryUuid}", inventory_stock, ["GET"]),
        *routes_with_slash("/v3/stock/{inventoryUuid}/products", products_stock, ["POST"]),
        *routes_with_slash(
            "/v3/stock/{inventoryUuid}/products/{productUuid}", product_stock, ["GET"]
        ),
        *routes_with_slash("/v3/movements", movements, ["POST"]),
        *routes_with_slash("/v3/products", set_tracking, ["POST"]),
        *routes_with_slash("/v3/products", tracked_products, ["GET"]),
        *routes_with_slash("/v3/products/status", tracking_status, ["POST"]),
        *routes_with_slash("/v3/products/updates", tracking_updates, ["GET"]),
        *routes_with_slash("/v3/custom-low-stock", custom_low_stock, ["POST"]),
    ]
