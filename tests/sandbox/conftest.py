"""Fixtures of the sandbox's own tests: authenticated raw httpx clients and the demo shop."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.sandbox.raw_http import Shop, authed_client, read_shop
from zinv_tui.sandbox.server import SandboxInfo


@pytest.fixture
def api(sandbox: SandboxInfo) -> Iterator[httpx.Client]:
    """An authenticated client on the session sandbox (read-only use, please)."""
    with authed_client(sandbox) as client:
        yield client


@pytest.fixture(scope="session")
def session_shop(sandbox: SandboxInfo) -> Shop:
    """The session sandbox's shop."""
    with authed_client(sandbox) as client:
        return read_shop(client)
