"""Shared fixtures: real sandbox servers on free loopback ports (never mocks); slow tests first."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.clients import GENERATIONS
from zinv_tui.sandbox.server import SandboxConfig, SandboxInfo, SandboxServer


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` run first, the longest (``slow(seconds=N)``, default 10) first: on
    the xdist workers a long test that starts last would finish alone, long after the others."""

    def expected_seconds(item: pytest.Item) -> float:
        marker = item.get_closest_marker("slow")
        return 0.0 if marker is None else float(marker.kwargs.get("seconds", 10))

    items.sort(key=expected_seconds, reverse=True)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxInfo]:
    """One sandbox for the whole session: 300 demo products, no faults. Do not change its state in
    ways other tests would notice (use ``sandbox_factory`` for that)."""
    with SandboxServer(SandboxConfig(products=300)) as info:
        yield info


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., SandboxInfo]]:
    """``sandbox_factory(**config_overrides) -> SandboxInfo``: a fresh sandbox per call (default 300
    products), stopped at teardown."""
    servers: list[SandboxServer] = []

    def start(**overrides: Any) -> SandboxInfo:
        server = SandboxServer(SandboxConfig(**overrides))
        servers.append(server)
        return server.start()

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture(params=GENERATIONS)
def generation(request: pytest.FixtureRequest) -> str:
    """Each Inventory API generation in turn (``"v1"``, ``"v3"``): a test that takes it starts its
    sandbox with ``api=generation`` (that generation only) and forces the service or CLI to it."""
    return str(request.param)
