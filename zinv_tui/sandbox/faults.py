"""Fault injection: added latency, 5xx answers, 429 throttling, dropped connections and simulated
sandbox bugs (an unexpected exception: 500, traceback in the sandbox's log).

:class:`FaultInjector` is pure ASGI middleware in front of the Zettle surface; it never touches
``/sandbox/*``. Its knobs live in a :class:`FaultController`, set from the CLI flags and changed at
run time through ``POST /sandbox/faults``. A seed makes the random choices repeatable.

Dropped connections: the sandbox sends the status line and headers with a ``Content-Length``,
a fragment of the body, then aborts, so a client sees a transport error
(``httpx.RemoteProtocolError``), never an answer. ``drop_phase`` says when: ``before`` (the
request is not applied), ``after`` (the request is fully applied and committed, only the answer is
lost: the case externalUuid idempotency exists for) or ``both`` (each drop picks one of the two at
random, half and half).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zinv_tui.sandbox.errors import SERVICE_UNAVAILABLE, TOO_MANY_REQUESTS

THROTTLE_RATE = 4.0
"""Zettle's documented soft limit: requests per second per token (the default ``throttle_rate``)."""

THROTTLE_BURST_SECONDS = 2.0
"""Requests the throttle lets through at once, in seconds of ``throttle_rate`` (8 at 4 a second):
Zettle's limit is an average over a short period, not a hard one (zettle-v3.md §1.4)."""


class FaultSettings(BaseModel):
    """The fault knobs, as ``GET|POST /sandbox/faults`` shows and takes them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: float = Field(default=0.0, ge=0, le=60_000)
    error_rate: float = Field(default=0.0, ge=0, le=1)
    bug_rate: float = Field(default=0.0, ge=0, le=1)
    drop_rate: float = Field(default=0.0, ge=0, le=1)
    drop_phase: Literal["both", "before", "after"] = "both"
    throttle: bool = False
    throttle_rate: float = Field(default=THROTTLE_RATE, gt=0, le=1000)
    """Requests per second per token the throttle allows (a test may scale Zettle's time)."""
    token_ttl: int = Field(default=7200, ge=1, le=10 * 365 * 86_400)
    seed: int | None = None
    page_cap: int | None = Field(default=None, ge=1, le=1000)
    """v3 pages hold at most this many rows, whatever ``limit`` asks (a server may answer fewer;
    a client must follow ``Link``): small pages surface paging bugs."""
    omit_zero_rows: bool = False
    """v3 stock reads leave out zero balances (the updates feed keeps them): zettle-v3.md C10."""
    untracked_read_error: bool = False
    """``GET /v3/stock/{inv}/products/{p}`` of an untracked product answers 400
    ``PRODUCT_NOT_TRACKED`` instead of ``[]`` (zettle-v3.md C9: both client paths)."""


class DroppedConnection(Exception):
    """Raised on purpose mid-response so the server aborts the connection."""


class SimulatedBug(RuntimeError):
    """Raised on purpose inside the app (``bug_rate``): a 500 and a logged traceback, exactly as
    an unexpected sandbox error would give."""


class FaultController:
    """The current settings, the seeded RNG and the throttle's token buckets."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self.settings = settings or FaultSettings()
        self.rng = random.Random(self.settings.seed)
        self._buckets: dict[str, tuple[float, float]] = {}

    def update(self, patch: Any) -> FaultSettings:
        """Merge ``patch`` (a dict of knobs) into the settings; ValueError when invalid."""
        if not isinstance(patch, dict):
            raise ValueError("expected a JSON object of fault settings")
        try:
            settings = FaultSettings.model_validate({**self.settings.model_dump(), **patch})
        except ValidationError as error:
            raise ValueError(str(error)) from None
        if "seed" in patch:
            self.rng = random.Random(settings.seed)
        if not settings.throttle or settings.throttle_rate != self.settings.throttle_rate:
            self._buckets.clear()
        self.settings = settings
        return settings

    def allow(self, key: str) -> bool:
        """Token bucket of ``throttle_rate`` per second, ``THROTTLE_BURST_SECONDS`` of it saved up
        at most, per key."""
        now = time.monotonic()
        rate = self.settings.throttle_rate
        burst = rate * THROTTLE_BURST_SECONDS
        tokens, stamp = self._buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - stamp) * rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1, now)
        return True


def _retry_after(throttle_rate: float) -> bytes:
    """``Retry-After`` of a 429: Zettle's 1 second, scaled like the bucket (``throttle_rate``
    10x Zettle's asks a tenth of a second)."""
    seconds = THROTTLE_RATE / throttle_rate
    if seconds == int(seconds):
        return str(int(seconds)).encode()
    return f"{seconds:.6f}".rstrip("0").encode()


async def _send_json(send: Send, status: int, body: dict[str, Any], headers: list) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


async def _abort(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"locationUuid":', "more_body": True})
    raise DroppedConnection("sandbox fault injection: connection dropped")


class FaultInjector:
    """ASGI middleware applying the controller's faults to every path outside ``/sandbox``."""

    def __init__(self, app: ASGIApp, controller: FaultController) -> None:
        self.app = app
        self.controller = controller

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path == "/sandbox" or path.startswith("/sandbox/"):
            await self.app(scope, receive, send)
            return
        controller = self.controller
        settings = controller.settings
        if settings.throttle:
            headers = dict(scope.get("headers", []))
            client = scope.get("client") or ("?", 0)
            key = headers.get(b"authorization", b"").decode("latin-1") or f"client:{client[0]}"
            if not controller.allow(key):
                await _send_json(
                    send,
                    429,
                    {
                        "developerMessage": "Too many requests: at most 4 per second",
                        "errorType": TOO_MANY_REQUESTS,
                        "violations": [],
                    },
                    [(b"retry-after", _retry_after(settings.throttle_rate))],
                )
                return
        if settings.latency_ms:
            await asyncio.sleep(settings.latency_ms / 1000)
        rng = controller.rng
        if settings.error_rate and rng.random() < settings.error_rate:
            await _send_json(
                send,
                503,
                {
                    "developerMessage": "Service temporarily unavailable (sandbox fault injection)",
                    "errorType": SERVICE_UNAVAILABLE,
                    "violations": [],
                },
                [],
            )
            return
        if settings.drop_rate and rng.random() < settings.drop_rate:
            phase = settings.drop_phase
            if phase == "both":
                phase = "before" if rng.random() < 0.5 else "after"
            if phase == "after":

                async def swallow(message: Message) -> None:
                    return None

                await self.app(scope, receive, swallow)
            await _abort(send)
            return
        await self.app(scope, receive, send)


class BugInjector:
    """ASGI middleware inside the Starlette app: ``bug_rate`` of the requests outside ``/sandbox``
    raise :class:`SimulatedBug` before reaching their handler."""

    def __init__(self, app: ASGIApp, controller: FaultController) -> None:
        self.app = app
        self.controller = controller

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rate = self.controller.settings.bug_rate
        path = scope.get("path", "")
        if (
            rate
            and scope["type"] == "http"
            and not (path == "/sandbox" or path.startswith("/sandbox/"))
            and self.controller.rng.random() < rate
        ):
            raise SimulatedBug(f"simulated sandbox bug (fault injection) on {path}")
        await self.app(scope, receive, send)


class _HideDroppedConnections(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


_FILTER = _HideDroppedConnections()


def quiet_dropped_connections() -> None:
    """Keep uvicorn from logging a traceback for each deliberate drop."""
    logger = logging.getLogger("uvicorn.error")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
