"""What a command asks Zettle, counted by the odd-answer proxy in front of a real sandbox: one
sign-in per command, and no read repeated that the same command made moments ago (the reads that
verify a movement's outcome are the outbox's own and are not counted away here)."""

from __future__ import annotations

import json

import pytest

from tests.odd_server import OddProxy

pytestmark = pytest.mark.timeout(60)

TOKEN = "/token"
LOCATIONS = "/organizations/self/locations"
INVENTORIES = "/v3/inventories"


@pytest.fixture
def through(monkeypatch):
    """``through(info, generation) -> OddProxy``: the default profile on a proxy in front of
    the sandbox ``info``, speaking ``generation`` (``auto`` on a fresh profile: nothing
    remembered)."""
    proxies: list[OddProxy] = []

    def start(info, generation: str) -> OddProxy:
        proxy = OddProxy(info.url).__enter__()
        proxies.append(proxy)
        monkeypatch.setenv("ZINV_API_KEY", info.api_key)
        monkeypatch.setenv("ZINV_BASE_URL", proxy.url)
        monkeypatch.setenv("ZINV_API_VERSION", generation)
        return proxy

    yield start
    for proxy in proxies:
        proxy.__exit__(None, None, None)


def some_sku(run_cli, info, zinv_dirs) -> str:
    """A SKU of the shop, read straight from the sandbox (not through the proxy), leaving the
    profile fresh (the remembered generation and the caches are removed)."""
    result = run_cli("balances", "--format", "json", "--base-url", info.url)
    assert result.code == 0, result.err
    for folder in (zinv_dirs.cache, zinv_dirs.state, zinv_dirs.data):
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    return next(row["sku"] for row in json.loads(result.out) if row["sku"])


@pytest.mark.parametrize("generation", ["v1", "v3", "auto"])
def test_a_move_signs_in_once(sandbox_factory, through, run_cli, zinv_dirs, generation) -> None:
    info = sandbox_factory(products=6)
    proxy = through(info, generation)
    sku = some_sku(run_cli, info, zinv_dirs)
    result = run_cli("move", "--reason", "restock", "--sku", sku, "--qty", "1")
    assert result.code == 0, result.err
    # the scope check reads the token the command already holds
    assert proxy.count("POST", TOKEN) == 1


@pytest.mark.parametrize(
    ("api", "read"), [("both", LOCATIONS), ("v1", LOCATIONS), ("v3", INVENTORIES)]
)
@pytest.mark.parametrize("command", ["balances", "low-stock"])
def test_a_fresh_auto_profile_reads_its_places_once(
    sandbox_factory, through, run_cli, api, read, command
) -> None:
    info = sandbox_factory(products=6, api=api)
    proxy = through(info, "auto")
    result = run_cli(command)
    assert result.code == 0, result.err
    # the probe's own read of the places serves the command
    assert proxy.count("GET", read) == 1
    assert proxy.count("GET", INVENTORIES if read == LOCATIONS else LOCATIONS) <= 1


def test_a_fresh_auto_move_makes_nine_requests(
    sandbox_factory, through, run_cli, zinv_dirs
) -> None:
    info = sandbox_factory(products=6)
    proxy = through(info, "auto")
    sku = some_sku(run_cli, info, zinv_dirs)
    result = run_cli("move", "--reason", "restock", "--sku", sku, "--qty", "1")
    assert result.code == 0, result.err
    seen = [f"{seen.method} {seen.path}" for seen in proxy.seen]
    # sign-in, both probes, catalogue, low-stock levels, balances, two reads before the send
    # (the balances it starts from), the send
    assert len(seen) == 9, seen


@pytest.mark.parametrize("generation", ["v1", "v3"])
@pytest.mark.parametrize("command", ["balances", "low-stock"])
def test_a_forced_generation_reads_its_places_once(
    sandbox_factory, through, run_cli, generation, command
) -> None:
    info = sandbox_factory(products=6, api=generation)
    proxy = through(info, generation)
    result = run_cli(command)
    assert result.code == 0, result.err
    assert proxy.count("GET", LOCATIONS if generation == "v1" else INVENTORIES) == 1
    assert proxy.count("POST", TOKEN) == 1
