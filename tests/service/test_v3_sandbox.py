"""The service on Zettle's Inventory API v3, against a sandbox that answers only v3 (real loopback
HTTP; the odd proxy in front where an answer must be lost or an endpoint must be missing)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.odd_server import OddProxy, Reply, answer
from tests.support.clients import FAST_CLIENT
from tests.support.sandbox import SandboxAdmin
from zinv_tui.api import generations
from zinv_tui.api.client import ZettleClient
from zinv_tui.api.endpoints import ApiEndpoints
from zinv_tui.api.generations import AutoBackend
from zinv_tui.api.v3.backend import ZettleV3Backend
from zinv_tui.build import ShopAccess, open_inventory
from zinv_tui.service import InventoryService, MovementIntent, OutboxStatus, Reason

pytestmark = pytest.mark.timeout(60)

MOVE = "/v3/movements"


def v3_service(url: str, api_key: str, state_dir: Path, **options: Any) -> InventoryService:
    """A service speaking v3 (forced) to ``url``, with fast settings."""
    options.setdefault("poll_interval", 30.0)
    options.setdefault("retry_base", 0.05)
    options.setdefault("retry_max", 0.5)
    options.setdefault("max_backoff", 1.0)
    options.setdefault("user", "tester")
    return open_inventory(
        replace(ShopAccess.local(url, api_key), api_version="v3"),
        state_dir=state_dir,
        client_options={"backoff_base": 0.02, "backoff_cap": 0.2},
        **options,
    )


def backend_of(service: InventoryService) -> ZettleV3Backend:
    backend = service.backend
    assert isinstance(backend, ZettleV3Backend)
    return backend


def client_of(service: InventoryService) -> ZettleClient:
    return backend_of(service).client


def mine(info: Any, service: InventoryService) -> list[dict[str, Any]]:
    """The ledger's movements sent under the service's batch keys."""
    keys = {entry.sent_as for entry in service.history(limit=None)}
    return [
        move
        for move in SandboxAdmin(info).ledger()
        if (move.get("externalUuid") or move.get("identifier")) in keys
    ]


def shown_is_truth(service: InventoryService, info: Any) -> bool:
    truth = SandboxAdmin(info).store_balances()
    return all(row.shown_balance == truth.get(key, 0) for key, row in service.rows.items())


async def test_v3_loads_every_page_then_follows_the_updates_feed(sandbox_factory, tmp_path):
    info = sandbox_factory(api="v3", products=40)
    with OddProxy(info.url) as proxy:
        service = v3_service(proxy.url, info.api_key, tmp_path)
        client_of(service).v3.page_limit = 25
        await service.start(require_load=True)
        try:
            store = service.store
            assert store is not None
            truth = SandboxAdmin(info).store_balances()
            # Every page was read (the Link header followed to its end, never cut short).
            pages = proxy.count("GET", f"/v3/stock/{store.uuid}")
            assert pages == -(-len(truth) // 25) >= 3
            assert {key for key, balance in truth.items() if balance} <= set(service.rows)
            assert shown_is_truth(service, info)
            levelled = [row for row in service.rows.values() if row.low_stock_level is not None]
            assert levelled, "the levels came on the stock rows"
            # A sale at the till reaches the screen through the updates feed, not a full read.
            key = sorted(k for k, row in service.rows.items() if row.balance > 2)[0]
            before = service.rows[key].balance
            SandboxAdmin(info).sale(key[1], 2)
            diff = await service.refresh()
            assert diff is not None and not diff.full
            assert service.rows[key].balance == before - 2
            (feed,) = proxy.requests("GET", "/v3/stock/updates")[-1:]
            assert "ts=" in feed.target and store.uuid in feed.target
            assert proxy.count("GET", f"/v3/stock/{store.uuid}") == pages
        finally:
            await service.stop()


async def test_without_an_updates_feed_v3_reads_whole_snapshots_paced(sandbox_factory, tmp_path):
    info = sandbox_factory(api="v3", products=10)
    with OddProxy(info.url) as proxy:
        proxy.on("GET", "/v3/stock/updates", answer(404, {"errorType": "NOT_FOUND"}))
        service = v3_service(proxy.url, info.api_key, tmp_path, paced_full_every=7.0)
        await service.start(require_load=True)
        try:
            key = sorted(k for k, row in service.rows.items() if row.balance > 1)[0]
            SandboxAdmin(info).sale(key[1], 1)
            diff = await service.refresh()  # the feed says 404: gone, read everything
            assert diff is not None and diff.full
            assert backend_of(service).change_feed is None
            assert shown_is_truth(service, info)
            engine = service._engine
            assert engine is not None and engine.next_delay >= 7.0
            asked = proxy.count("GET", "/v3/stock/updates")
            # Writes first: a movement waiting to be sent goes before the next paced full read.
            store = service.store
            assert store is not None
            await service.record([MovementIntent(Reason.RESTOCK, key, quantity=2)])
            since = len(proxy.seen)
            await service.refresh()
            order = [seen.path for seen in proxy.seen[since:]]
            assert MOVE in order and f"/v3/stock/{store.uuid}" in order
            assert order.index(MOVE) < order.index(f"/v3/stock/{store.uuid}")
            assert proxy.count("GET", "/v3/stock/updates") == asked  # never asked again
            assert shown_is_truth(service, info)
        finally:
            await service.stop()


async def test_v3_movements_applied_refused_and_tracking(sandbox_factory, tmp_path):
    info = sandbox_factory(api="v3", products=12)
    service = v3_service(info.url, info.api_key, tmp_path)
    await service.start(require_load=True)
    try:
        a, b = sorted(service.rows)[:2]
        before = service.rows[a].balance
        (entry,) = await service.record([MovementIntent(Reason.RESTOCK, a, quantity=5)])
        assert await service.flush(10)
        assert service.journal.entry(entry.id).status is OutboxStatus.ACKNOWLEDGED
        assert (service.rows[a].balance, service.rows[a].pending) == (before + 5, 0)
        (sent,) = mine(info, service)
        assert sent["change"] == 5
        # Tracking switched off behind the app's back: Zettle refuses, in its own words.
        await client_of(service).v3.set_tracking([b[0]], on=False)
        status = await backend_of(service).tracking([a[0], b[0]])
        assert status == {a[0]: True, b[0]: False}
        (refused,) = await service.record([MovementIntent(Reason.RESTOCK, b, quantity=1)])
        assert await service.flush(10)
        entry = service.journal.entry(refused.id)
        assert entry.status is OutboxStatus.NEEDS_ATTENTION
        assert "not tracked" in (entry.last_error or "")
        assert len(mine(info, service)) == 1
        # And tracking on again through the service.
        await service.start_tracking([b[0]])
        assert (await backend_of(service).tracking([b[0]])) == {b[0]: True}
    finally:
        await service.stop()


@pytest.mark.parametrize("applied", [True, False], ids=["applied", "not-applied"])
async def test_a_v3_movement_whose_answer_is_lost_is_settled_by_reading(
    sandbox_factory, tmp_path, applied
):
    info = sandbox_factory(api="v3", products=6)
    with OddProxy(info.url) as proxy:
        service = v3_service(proxy.url, info.api_key, tmp_path)
        await service.start(require_load=True)
        try:
            key = sorted(service.rows)[0]
            # The connection drops before the answer's body: Zettle may or may not have acted.
            lost = Reply(200, b"0123456789", drop=0)
            if applied:
                proxy.on("POST", MOVE, ((lambda seen, sent: lost), True), times=1)
            else:
                proxy.on("POST", MOVE, ((lambda seen, sent: lost), False), times=1)
            (entry,) = await service.record([MovementIntent(Reason.RESTOCK, key, quantity=3)])
            assert await service.flush(10)
            assert service.journal.entry(entry.id).status is OutboxStatus.ACKNOWLEDGED
            assert len(mine(info, service)) == 1  # never twice, never lost
            # Sent again only when reading showed it was not applied.
            assert proxy.count("POST", MOVE) == (1 if applied else 2)
            assert service.rows[key].pending == 0 and shown_is_truth(service, info)
        finally:
            await service.stop()


async def test_v3_low_stock_levels_are_written_as_a_flat_list_and_read_from_the_rows(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(api="v3", products=8)
    service = v3_service(info.url, info.api_key, tmp_path)
    await service.start(require_load=True)
    try:
        # Variants that have had stock (v3 lists a row only once a variant's stock moved).
        keys = sorted(k for k, row in service.rows.items() if row.balance)[:3]
        await service.set_low_stock(keys, level=6, alert=True)
        await service.refresh(full=True)
        assert {
            (service.rows[k].low_stock_level, service.rows[k].low_stock_alert) for k in keys
        } == {(6, True)}
        store = service.store
        assert store is not None
        lines = await backend_of(service).low_stock(store)
        assert {(line.product_uuid, line.variant_uuid) for line in lines if line.level == 6} >= set(
            keys
        )
        await service.set_low_stock(keys[:1], level=None, alert=False)
        await service.refresh(full=True)
        assert service.rows[keys[0]].low_stock_level is None
    finally:
        await service.stop()


async def test_v3_has_several_store_inventories_each_a_place(sandbox_factory, tmp_path):
    info = sandbox_factory(api="v3", products=4)
    async with httpx.AsyncClient(timeout=10) as http:
        created = await http.post(
            f"{info.url}/v3/inventories",
            json={"name": "Back room"},
            headers={"Authorization": f"Bearer {token(info)}"},
        )
    assert created.status_code == 201
    service = v3_service(info.url, info.api_key, tmp_path)
    await service.start(require_load=True)
    try:
        stores = [p for p in await service.backend.places() if p.kind.value == "STORE"]
        assert len(stores) == 2
        default = [p for p in stores if p.default]
        assert len(default) == 1 and service.store == default[0]
        back_room = next(p for p in stores if not p.default)
        assert back_room.name == "Back room"
        assert await service.backend.place_balances(back_room) == {}
    finally:
        await service.stop()


def token(info: Any) -> str:
    """A bearer token of the sandbox's key (as the client signs in)."""
    answer_ = httpx.post(
        f"{info.url}/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "client_id": info.client_id,
            "assertion": info.api_key,
        },
        timeout=10,
    )
    answer_.raise_for_status()
    return str(answer_.json()["access_token"])


async def test_auto_moves_to_v3_when_v1_starts_answering_410_mid_session(sandbox_factory, tmp_path):
    info = sandbox_factory(products=6)  # answers both generations
    memory = tmp_path / "cache" / "api_generation.json"
    with OddProxy(info.url) as proxy:
        access = replace(
            ShopAccess.local(proxy.url, info.api_key), api_version="auto", generation_file=memory
        )
        service = open_inventory(
            access,
            state_dir=tmp_path / "state",
            client_options={"backoff_base": 0.02, "backoff_cap": 0.2},
            poll_interval=30.0,
            retry_base=0.05,
            user="tester",
        )
        await service.start(require_load=True)
        try:
            backend = service.backend
            assert isinstance(backend, AutoBackend) and backend.choice is not None
            assert backend.choice.generation == "v1"  # both answer: v1 (documented feed)
            assert backend.choice.answered == ("v1", "v3")
            assert json.loads(memory.read_text())["generation"] == "v1"
            # Zettle retires v1: every v1 inventory path answers 410 from now on (the Product
            # Library is the same for both).
            gone = answer(410, {"developerMessage": "Gone", "errorType": "GONE"})
            v1_paths = ("/organizations/self/inventory*", "/organizations/self/locations*")
            for method in ("GET", "POST", "PUT", "DELETE"):
                for path in (*v1_paths, "/organizations/self/v2/inventory*", "/custom-low-stock*"):
                    proxy.on(method, path, gone)
            key = sorted(k for k, row in service.rows.items() if row.balance > 1)[0]
            SandboxAdmin(info).sale(key[1], 1)
            await service.refresh()  # the v1 feed says 410: probed again, v3 from now on
            assert backend.choice.generation == "v3" and backend.choice.how == "probed"
            assert backend.choice.answered == ("v3",)
            assert json.loads(memory.read_text())["generation"] == "v3"
            await service.refresh()
            assert shown_is_truth(service, info)
            (entry,) = await service.record([MovementIntent(Reason.RESTOCK, key, quantity=4)])
            assert await service.flush(10)
            assert service.journal.entry(entry.id).status is OutboxStatus.ACKNOWLEDGED
            assert proxy.count("POST", MOVE) == 1 and len(mine(info, service)) == 1
            assert shown_is_truth(service, info)
        finally:
            await service.stop()


async def test_v3_product_reads_that_overflow_a_page_are_split_never_cut(sandbox_factory, tmp_path):
    info = sandbox_factory(api="v3", products=10)
    with OddProxy(info.url) as proxy:
        service = v3_service(proxy.url, info.api_key, tmp_path)
        await service.start(require_load=True)
        try:
            store = service.store
            assert store is not None
            backend = backend_of(service)
            everything = await backend.place_balances(store)
            products = sorted({product for product, _ in everything})
            backend.api.page_limit = 3  # most products' rows no longer fit one page
            read = await backend.product_balances(store, products)
            assert read == everything
            posts = proxy.count("POST", f"/v3/stock/{store.uuid}/products")
            gets = proxy.count("GET", f"/v3/stock/{store.uuid}/products/*")
            assert posts > 1 and gets >= 1  # split in halves, down to single products
        finally:
            await service.stop()


@pytest.mark.parametrize(
    ("api", "read"), [("both", "/organizations/self/locations"), ("v3", "/v3/inventories")]
)
async def test_the_probes_places_serve_once_and_only_while_fresh(
    sandbox_factory, tmp_path, monkeypatch, api, read
) -> None:
    """A fresh ``auto``: the places the probe read are the first ``places()`` answer (not read
    again); any later call reads them anew, and so does the first one if the probe is old."""
    info = sandbox_factory(api=api, products=3)
    with OddProxy(info.url) as proxy:
        client = ZettleClient(info.api_key, endpoints=ApiEndpoints.single(proxy.url), **FAST_CLIENT)
        try:
            backend = AutoBackend(client, tmp_path / "generation.json")
            first = await backend.places()
            assert proxy.count("GET", read) == 1
            assert await backend.places() == first
            assert proxy.count("GET", read) == 2  # a later call reads afresh

            stale = AutoBackend(client)
            await stale.choose()
            assert proxy.count("GET", read) == 3
            monkeypatch.setattr(generations, "PROBED_FRESH", -1.0)  # any probe is old now
            assert await stale.places() == first
            assert proxy.count("GET", read) == 4  # the probe's answer was too old
        finally:
            await client.aclose()
