"""Fixtures of the client's sandbox tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sandbox_clients import make_client

from zinv_tui.api import ZettleClient
from zinv_tui.sandbox.server import SandboxInfo


@pytest.fixture
async def clients() -> AsyncIterator[Callable[..., ZettleClient]]:
    """``clients(info, **options)``: clients closed at teardown."""
    made: list[ZettleClient] = []

    def build(info: SandboxInfo, **options: Any) -> ZettleClient:
        client = make_client(info, **options)
        made.append(client)
        return client

    yield build
    for client in made:
        await client.aclose()
