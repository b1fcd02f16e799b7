"""Fixtures of the client's sandbox tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests.support.clients import make_client
from zinv_tui.api import ZettleClient
from zinv_tui.sandbox.server import SandboxInfo


@pytest.fixture
async def clients() -> AsyncIterator[Callable[..., ZettleClient]]:
    """``clients(info, **options)``: clients closed at teardown (a 200/s limit unless told
    otherwise, so the limiter is on the path without slowing the tests)."""
    made: list[ZettleClient] = []

    def build(info: SandboxInfo, **options: Any) -> ZettleClient:
        client = make_client(info, **{"requests_per_second": 200.0, **options})
        made.append(client)
        return client

    yield build
    for client in made:
        await client.aclose()
