"""The sandbox's ASGI application: every route on one Starlette app, behind fault injection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp

from zinv_tui.sandbox.errors import METHOD_NOT_ALLOWED, ApiError, error_response
from zinv_tui.sandbox.faults import BugInjector, FaultInjector
from zinv_tui.sandbox.routes_admin import admin_routes
from zinv_tui.sandbox.routes_oauth import oauth_routes
from zinv_tui.sandbox.routes_products import product_routes
from zinv_tui.sandbox.routes_purchases import purchase_routes
from zinv_tui.sandbox.routes_v1 import v1_routes
from zinv_tui.sandbox.routes_v3 import v3_routes
from zinv_tui.sandbox.state import SandboxState
from zinv_tui.sandbox.traffic import run_pos_sales

_log = logging.getLogger(__name__)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(404, f"No such endpoint: {request.url.path}", "NOT_FOUND")
    if exc.status_code == 405:
        return error_response(
            405, f"{request.method} is not allowed on {request.url.path}", METHOD_NOT_ALLOWED
        )
    return error_response(exc.status_code, str(exc.detail), "HTTP_ERROR")


async def _client_gone(request: Request, exc: Exception) -> Response:
    """The client hung up while sending its request: its business, not a sandbox bug."""
    _log.info("client went away while sending %s %s", request.method, request.url.path)
    return Response(status_code=400)


async def _unexpected(request: Request, exc: Exception) -> Response:
    _log.exception("sandbox bug while answering %s %s", request.method, request.url.path)
    return error_response(500, "Internal sandbox error", "INTERNAL_SERVER_ERROR")


def build_app(state: SandboxState) -> ASGIApp:
    """The Starlette app for ``state``, wrapped in the fault injector."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(run_pos_sales(state)) if state.sales_per_minute > 0 else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = Starlette(
        routes=[
            *oauth_routes(state),
            # A generation switched off answers as Zettle does for an unknown path: 404.
            *(v1_routes(state) if state.api in ("v1", "both") else []),
            *(v3_routes(state) if state.api in ("v3", "both") else []),
            *product_routes(state),
            *(purchase_routes(state) if state.purchases is not None else []),
            *admin_routes(state),
        ],
        middleware=[Middleware(BugInjector, controller=state.faults)],
        exception_handlers={
            ClientDisconnect: _client_gone,
            ApiError: _api_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    return FaultInjector(app, state.faults)
