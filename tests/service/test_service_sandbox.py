"""InventoryService end to end against a real sandbox over loopback HTTP."""

from __future__ import annotations

import asyncio
import csv
import io
import random
import time
from dataclasses import replace as dataclass_replace
from typing import Any

import httpx
import pytest

from tests.support.clients import (
    FAST_CLIENT,
    FAST_SERVICE,
    client_of,
    make_client,
    running_service,
    sandbox_service,
    track_elsewhere,
)
from tests.support.sandbox import SandboxAdmin, sent_key
from zinv_tui.api import generations
from zinv_tui.build import ShopAccess, open_inventory
from zinv_tui.sandbox.server import SandboxConfig, SandboxInfo, SandboxServer
from zinv_tui.service import (
    InventoryService,
    MovementIntent,
    MovementRejected,
    OutboxStatus,
    PlaceKind,
    Reason,
    RowDiff,
    ServiceNotReady,
    SyncState,
    UndoRefused,
)
from zinv_tui.service.journal import EntryDraft, OutboxJournal
from zinv_tui.service.movements import place_changes

pytestmark = pytest.mark.timeout(60)


def truth_for(service: InventoryService, info) -> dict:
    """What the sandbox holds for every row the service shows (zero when the ledger has nothing)."""
    server = SandboxAdmin(info).store_balances()
    return {key: server.get(key, 0) for key in service.rows}


async def test_initial_load_joins_catalogue_and_fills_zero_balances(
    sandbox_factory, tmp_path, generation
):
    info = sandbox_factory(api=generation, products=60, seed=3)
    async with running_service(info, tmp_path, generation=generation) as service:
        rows = service.rows
        assert rows and service.status.state is SyncState.LIVE
        assert {k: r.balance for k, r in rows.items()} == truth_for(service, info)
        assert all(r.known and r.product_name and r.tracked for r in rows.values())
        labelled = [r for r in rows.values() if r.variant_name]
        assert labelled, "variant labels (name or joined options) are shown"
        assert any(r.low_stock_level is not None or r.low_stock_alert for r in rows.values())
        untracked = service.untracked_products()
        assert untracked and not any(str(p.uuid) == k[0] for p in untracked for k in rows)
        assert set(service.locations) == set(PlaceKind)
        path = tmp_path / "balances.csv"
        assert service.export_balances_csv(path) == len(rows)
        assert len(list(csv.DictReader(path.open()))) == len(rows)
        stream = io.StringIO()
        assert service.export_balances_csv(stream) == len(rows)
        assert stream.getvalue() == path.read_bytes().decode("utf-8")


async def test_movements_reach_the_ledger_once_and_show_at_once(
    sandbox_factory, tmp_path, generation
):
    info = sandbox_factory(api=generation, products=30)
    async with running_service(info, tmp_path, generation=generation) as service:
        diffs: list[RowDiff] = []
        service.subscribe(diffs.append)
        a, b = sorted(service.rows)[:2]
        before_a, before_b = service.rows[a].balance, service.rows[b].balance
        entries = await service.record(
            [
                MovementIntent(Reason.RESTOCK, a, quantity=7, note="delivery 42"),
                MovementIntent(Reason.SALE, b, quantity=2),
                MovementIntent(Reason.SET_COUNT, a, count=before_a + 3),
            ]
        )
        # Optimistic: pending shows before Zettle answers.
        assert service.rows[a].pending in (7 - 4, 0)
        assert diffs and diffs[0].changed[0].new.pending != 0
        assert await service.flush(10)
        assert service.rows[a].balance == before_a + 3 and service.rows[a].pending == 0
        assert service.rows[b].balance == before_b - 2
        await service.refresh()
        assert {k: r.balance for k, r in service.rows.items()} == truth_for(service, info)
        history = service.history()
        assert [e.reason for e in history] == [Reason.SET_COUNT, Reason.SALE, Reason.RESTOCK]
        assert all(e.status is OutboxStatus.ACKNOWLEDGED and e.user == "tester" for e in history)
        assert history[0].from_type is PlaceKind.STORE and history[0].to_type is PlaceKind.BIN
        assert history[0].quantity == 4 and history[2].note == "delivery 42"
        assert all(e.sent_as is None for e in entries)  # not yet batched when recorded
        sent_as = {e.sent_as for e in history}
        assert None not in sent_as
        mine = [m for m in SandboxAdmin(info).ledger() if sent_key(m) in sent_as]
        assert sorted(m["change"] for m in mine) == [2, 4, 7]
        assert len({sent_key(m) for m in mine}) == 1  # one batch, one request


EACH_REASON = [
    (Reason.RESTOCK, {"quantity": 4}, 4),
    (Reason.SALE, {"quantity": 2}, -2),
    (Reason.DISCARD, {"quantity": 1}, -1),
    (Reason.RETURN_TO_SUPPLIER, {"quantity": 3}, -3),
    (Reason.SET_COUNT, {"count": 0}, None),  # None: down to the count, all of it
    (Reason.MOVE, {"quantity": 2, "from_type": PlaceKind.STORE, "to_type": PlaceKind.BIN}, -2),
]
"""A movement of each reason a user records (UNDO has its own test), and its STORE change."""


async def test_a_movement_of_each_reason_lands_once_on_either_generation(
    sandbox_factory, tmp_path, generation
):
    info = sandbox_factory(api=generation, products=8, seed=21)
    async with running_service(info, tmp_path, generation=generation) as service:
        keys = sorted(k for k, row in service.rows.items() if row.balance >= 3)[: len(EACH_REASON)]
        assert len(keys) == len(EACH_REASON)
        before = {key: service.rows[key].balance for key in keys}
        expected = {
            key: -before[key] if change is None else change
            for key, (_, _, change) in zip(keys, EACH_REASON, strict=True)
        }
        entries = await service.record(
            [
                MovementIntent(reason, key, **extra)
                for key, (reason, extra, _) in zip(keys, EACH_REASON, strict=True)
            ]
        )
        assert await service.flush(10)
        await service.refresh(full=True)
        admin = SandboxAdmin(info)
        for key, entry in zip(keys, entries, strict=True):
            sent = service.journal.entry(entry.id)
            assert sent.status is OutboxStatus.ACKNOWLEDGED, sent.reason
            assert service.rows[key].balance == before[key] + expected[key], sent.reason
            (landed,) = admin.api_movements(key[1])
            assert landed["change"] == abs(expected[key]) and sent_key(landed) == sent.sent_as


async def test_invalid_intents_record_nothing(sandbox_factory, tmp_path):
    info = sandbox_factory(products=10)
    async with running_service(info, tmp_path) as service:
        key = next(iter(service.rows))
        with pytest.raises(MovementRejected) as refused:
            await service.record(
                [
                    MovementIntent(Reason.RESTOCK, key, quantity=1),
                    MovementIntent(Reason.SALE, key, quantity=0),
                ]
            )
        assert "above zero" in str(refused.value) and service.history() == []
        current = service.rows[key].shown_balance
        assert await service.record([MovementIntent(Reason.SET_COUNT, key, count=current)]) == []


async def test_pos_sales_interleaved_with_own_movements_never_double_count(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(products=20, seed=5)
    rng = random.Random(7)
    async with running_service(info, tmp_path, max_batch=3) as service:
        keys = sorted(service.rows)[:4]
        for round_ in range(12):
            for _ in range(rng.randint(1, 3)):
                key = rng.choice(keys)
                await service.record(
                    [MovementIntent(Reason.RESTOCK, key, quantity=rng.randint(1, 5))]
                )
            SandboxAdmin(info).sale(rng.choice(keys)[1], rng.randint(1, 3))
            if round_ % 3 == 0:
                await service.refresh()  # a poll while movements are still pending
                truth = SandboxAdmin(info).store_balances()
                for key in keys:
                    row = service.rows[key]
                    unsent = sum(
                        e.store_change
                        for e in service.outbox_entries(OutboxStatus.PENDING)
                        if e.key == key
                    )
                    assert row.pending == unsent
                    assert row.balance == truth.get(key, 0)  # never includes the pending part
            else:
                await service.flush(10)
                SandboxAdmin(info).sale(rng.choice(keys)[1], 1)
                await service.refresh()
                assert {k: service.rows[k].shown_balance for k in keys} == {
                    k: v for k, v in truth_for(service, info).items() if k in keys
                }
        assert await service.flush(10)
        await service.refresh()
        assert {k: r.shown_balance for k, r in service.rows.items()} == truth_for(service, info)


async def test_refused_movement_needs_attention_then_retry_after_tracking(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(products=20)
    async with running_service(info, tmp_path) as service:
        keys = sorted(service.rows)
        bad = keys[0]
        good = next(k for k in keys if k[0] != bad[0])
        async with make_client(info) as other:  # someone stops tracking behind our back
            await other.stop_tracking(bad[0])
        balance = service.rows[bad].balance
        await service.record(
            [
                MovementIntent(Reason.SALE, good, quantity=1),
                MovementIntent(Reason.DISCARD, bad, quantity=2, note="broken"),
            ]
        )
        await service.flush(10)
        (stuck,) = service.outbox_entries()
        assert stuck.status is OutboxStatus.NEEDS_ATTENTION and stuck.key == bad
        assert "not tracked" in stuck.last_error.lower()
        assert service.status.attention_count == 1 and service.status.pending_count == 0
        assert service.rows[bad].pending == 0 and service.rows[bad].balance == balance
        assert service.history(status=OutboxStatus.ACKNOWLEDGED)[0].key == good
        await service.start_tracking([bad[0]])
        await service.retry(stuck.id)
        assert await service.flush(10)
        assert service.history()[0].status is OutboxStatus.ACKNOWLEDGED
        assert service.rows[bad].balance == balance - 2
        moves = [
            m
            for m in SandboxAdmin(info).ledger()
            if m["variantUuid"] == bad[1] and m["source"] == "api"
        ]
        assert [m["change"] for m in moves] == [2]


async def test_undo_posts_the_opposite_movement_once(sandbox_factory, tmp_path, generation):
    info = sandbox_factory(api=generation, products=10)
    async with running_service(info, tmp_path, generation=generation) as service:
        key = next(iter(service.rows))
        before = service.rows[key].balance
        (restock,) = await service.record([MovementIntent(Reason.RESTOCK, key, quantity=5)])
        with pytest.raises(UndoRefused, match="waiting"):
            service.journal_check_undo(restock.id)  # asked before trying, as the undo does
        with pytest.raises(UndoRefused, match="waiting"):
            await service.undo(restock.id)
        await service.flush(10)
        service.journal_check_undo(restock.id)  # acknowledged: can be undone
        (undo,) = await service.undo(restock.id)
        assert undo.reason is Reason.UNDO and undo.undo_of == restock.id
        assert (undo.from_type, undo.to_type) == (PlaceKind.STORE, PlaceKind.SUPPLIER)
        with pytest.raises(UndoRefused, match="already undone"):
            await service.undo(restock.id)
        await service.flush(10)
        with pytest.raises(UndoRefused, match="itself an undo"):
            await service.undo(undo.id)
        assert service.rows[key].balance == before
        assert service.journal.entry(restock.id).undone_by == undo.id
        path = tmp_path / "history.csv"
        assert service.export_history_csv(path, reason=Reason.UNDO) == 1
        assert [m["change"] for m in SandboxAdmin(info).api_movements(key[1])] == [5, 5]


async def test_low_stock_and_tracking_changes(sandbox_factory, tmp_path):
    info = sandbox_factory(products=20)
    async with running_service(info, tmp_path) as service:
        key = next(iter(service.rows))
        await service.set_low_stock([key], 9, True)
        assert (service.rows[key].low_stock_level, service.rows[key].low_stock_alert) == (9, True)
        async with make_client(info) as other:
            store = service.locations[PlaceKind.STORE].uuid
            levels = await other.get_product_low_stock_levels(store, key[0])
        assert any(
            str(v.variant_uuid) == key[1] and v.custom_low_stock_level == 9
            for v in levels.custom_low_stock_level_for_variants
        )
        await service.set_low_stock([key], None, False)
        assert service.rows[key].low_stock_level is None
        product = service.untracked_products()[0]
        await service.start_tracking([product.uuid])
        assert {(str(product.uuid), str(v.uuid)) for v in product.variants} <= set(service.rows)
        await service.stop_tracking([product.uuid])
        assert not any(k[0] == str(product.uuid) for k in service.rows)
        assert str(product.uuid) in {str(p.uuid) for p in service.untracked_products()}
        sold = await service.location_balances(PlaceKind.SOLD)
        assert isinstance(sold, dict)


async def test_feed_tracks_other_clients_and_pos_sales(sandbox_factory, tmp_path, generation):
    info = sandbox_factory(api=generation, products=20)
    async with running_service(info, tmp_path, generation=generation) as service:
        diffs: list[RowDiff] = []
        service.subscribe(diffs.append)
        key = sorted(service.rows)[3]
        balance = service.rows[key].balance
        SandboxAdmin(info).sale(key[1], 2)
        diff = await service.refresh()
        assert diff is not None and not diff.full
        (change,) = diff.changed
        assert (change.old_balance, change.new_balance) == (balance, balance - 2)
        assert await service.refresh() is not None and diffs[-1] is diff  # idle poll: no diff
        product = service.untracked_products()[0]
        # v3's stock updates feed carries stock rows only, not tracking changes (the backend does
        # not read ``/v3/products/updates``): there a product tracked elsewhere shows at the next
        # full read, which this test asks for.
        full = generation == "v3"
        await track_elsewhere(info, generation, str(product.uuid), on=True)
        diff = await service.refresh(full=full)
        assert {r.product_uuid for r in diff.added} == {str(product.uuid)}
        await track_elsewhere(info, generation, str(product.uuid), on=False)
        diff = await service.refresh(full=full)
        assert {r.product_uuid for r in diff.removed} == {str(product.uuid)}


async def test_status_goes_offline_and_comes_back(sandbox_factory, tmp_path):
    info = sandbox_factory(products=5)
    states = []
    async with running_service(info, tmp_path, client_options={"max_retries": 0}) as service:
        service.subscribe_status(states.append)
        key = next(iter(service.rows))
        SandboxAdmin(info).faults(error_rate=1.0)
        assert await service.refresh() is None
        assert service.status.state is SyncState.STALE and service.status.last_error
        await service.record([MovementIntent(Reason.RESTOCK, key, quantity=1)])
        assert not await service.flush(0.3)
        assert service.status.pending_count == 1 and service.status.sending_error
        SandboxAdmin(info).faults(error_rate=0.0)
        assert await service.flush(5)
        assert await service.refresh() is not None
        assert service.status.state is SyncState.LIVE and service.status.pending_count == 0
    assert any(s.state is SyncState.STALE for s in states)


async def test_unreachable_server_starts_offline_from_cached_locations(tmp_path, sandbox_factory):
    info = sandbox_factory(products=5)
    async with running_service(info, tmp_path) as service:
        key = next(iter(service.rows))
    gone = SandboxInfo(str(httpx.URL(info.url).copy_with(port=1)), info.api_key, "", "")
    service = sandbox_service(gone, tmp_path, {"max_retries": 0}, poll_interval=30)
    await service.start()
    try:
        assert service.status.state is SyncState.OFFLINE
        assert "reach" in (service.status.last_error or "").lower()
        assert set(service.locations) == set(PlaceKind)  # cached from the last run
        assert not service.rows
        with pytest.raises(ServiceNotReady, match="not loaded"):
            await service.record([MovementIntent(Reason.RESTOCK, key, quantity=1)])
    finally:
        await service.stop()


async def test_polls_never_overlap_and_back_off_on_errors(sandbox_factory, tmp_path):
    info = sandbox_factory(products=5, latency_ms=150)
    async with running_service(info, tmp_path, poll_interval=0.05, max_backoff=2.0) as service:
        before = client_of(service).stats.requests
        await asyncio.sleep(1.0)
        polls = client_of(service).stats.requests - before
        # Re-armed after each poll: at most one per (latency + interval), never a pile-up.
        assert 2 <= polls <= 1.0 / 0.2 + 1, polls
        SandboxAdmin(info).faults(latency_ms=0, error_rate=1.0)
        delays = []
        for _ in range(4):
            assert await service.refresh() is None
            delays.append(service.status.next_poll_in)
        assert delays[-1] > delays[0] * 3  # doubling, with jitter
        assert service.status.last_error and service.status.state is SyncState.STALE


async def test_catalogue_is_cached_with_its_etag(sandbox_factory, tmp_path):
    info = sandbox_factory(products=200)
    async with running_service(info, tmp_path) as service:
        first = client_of(service).stats.bytes_received
        names = {
            key: (row.product_name, row.variant_name, row.sku) for key, row in service.rows.items()
        }
        key = next(iter(service.rows))
        row = service.rows[key]
        assert service.find_rows(row.sku) == [row]
        assert row in service.find_rows(key[1])
    assert (tmp_path / "catalogue.msgpack").exists()
    async with running_service(info, tmp_path) as service:
        second = client_of(service).stats.bytes_received
        assert {
            k: (r.product_name, r.variant_name, r.sku) for k, r in service.rows.items()
        } == names
    # The Product Library answered 304 the second time: far fewer bytes for the same rows.
    assert second < first / 2, (first, second)


async def test_a_cursor_the_server_refuses_is_dropped_for_a_full_read_at_once(tmp_path):
    # An in-memory sandbox restarted on the same port: same shop and key (same seed), a fresh
    # ledger, so the service's cursor is ahead of `latest` and the feed answers INVALID_CURSOR.
    first = SandboxServer(SandboxConfig(products=20))
    info = first.start()
    port = int(info.url.rsplit(":", 1)[1])
    second: SandboxServer | None = None
    try:
        async with running_service(info, tmp_path) as service:
            engine = service._engine
            assert engine is not None
            key = sorted(service.rows)[0]
            before = service.rows[key].balance
            await service.record([MovementIntent(Reason.RESTOCK, key, quantity=3)])
            assert await service.flush(5)
            assert await service.refresh() is not None
            assert service.rows[key].balance == before + 3
            cursor = engine.cursor
            assert isinstance(cursor, int)

            await asyncio.to_thread(first.stop)
            second = SandboxServer(SandboxConfig(products=20, port=port))
            restarted = await asyncio.to_thread(second.start)
            assert restarted.api_key == info.api_key and restarted.url == info.url
            async with make_client(restarted) as probe:
                fresh = await probe.get_store_balances()
            assert isinstance(fresh.latest, int) and fresh.latest < cursor

            requests = client_of(service).stats.requests
            diff = await service.refresh()  # one poll: refused cursor, then a full read
            assert diff is not None and diff.full
            assert service.rows[key].balance == before  # the old ledger's restock is gone
            assert service.status.state is SyncState.LIVE and service.status.last_error is None
            assert engine.cursor == fresh.latest
            assert client_of(service).stats.requests - requests <= 4  # token renewal included
            diff = await service.refresh()
            assert diff is not None and not diff.full  # incremental again, from the new cursor
    finally:
        await asyncio.to_thread(first.stop)
        if second is not None:
            await asyncio.to_thread(second.stop)


async def test_sending_status_tells_unreachable_from_refusing_zettle(sandbox_factory, tmp_path):
    info = sandbox_factory(products=5)
    async with running_service(info, tmp_path, client_options={"max_retries": 0}) as service:
        key = next(iter(service.rows))
        before = len(SandboxAdmin(info).ledger())
        SandboxAdmin(info).faults(drop_rate=1.0, drop_phase="before")  # connections cut: no answer
        await service.record([MovementIntent(Reason.RESTOCK, key, quantity=1)])
        assert not await service.flush(0.3)
        status = service.status
        assert status.pending_count == 1 and status.sending_error and status.sending_unreachable
        SandboxAdmin(info).faults(drop_rate=0.0, error_rate=1.0)  # Zettle answers, with a 503
        assert not await service.flush(0.3)
        status = service.status
        assert status.sending_error and not status.sending_unreachable
        SandboxAdmin(info).faults(error_rate=0.0)
        assert await service.flush(5)
        status = service.status
        assert status.sending_error is None and not status.sending_unreachable
    assert [(m["variantUuid"], m["change"]) for m in SandboxAdmin(info).ledger()[before:]] == [
        (key[1], 1)
    ]


async def test_a_move_out_of_another_place_shows_its_balance_and_warns_below_zero(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(products=10)
    async with running_service(info, tmp_path) as service:
        key = next(iter(service.rows))
        zettle = await service.location_balances(PlaceKind.BIN)
        in_bin = await service.place_balances(PlaceKind.BIN)  # nothing waiting: Zettle's
        assert in_bin == zettle
        out_of_bin = MovementIntent(
            Reason.MOVE,
            key,
            quantity=in_bin.get(key, 0) + 2,
            from_type=PlaceKind.BIN,
            to_type=PlaceKind.STORE,
        )
        (plan,) = service.plan([out_of_bin], held={PlaceKind.BIN: in_bin})
        assert (plan.source_before, plan.source_after) == (in_bin.get(key, 0), -2)
        assert plan.warning is not None and "leaves -2 in BIN" in plan.warning
        (unknown,) = service.plan([out_of_bin])  # the BIN's balances not read: no warning
        assert unknown.warning is None and unknown.source_before is None
        from_supplier = MovementIntent(
            Reason.MOVE,
            key,
            quantity=1,
            from_type=PlaceKind.SUPPLIER,
            to_type=PlaceKind.BIN,
        )
        supplier = await service.place_balances(PlaceKind.SUPPLIER)
        (plan,) = service.plan([from_supplier], held={PlaceKind.SUPPLIER: supplier})
        assert plan.source_after is not None and plan.source_after < 0
        assert plan.warning is None  # SUPPLIER is below zero by design (minus all received)


def test_place_changes_count_what_waits_in_the_outbox(tmp_path):
    """A place's balance as this app leaves it: the waiting movements in and out of it."""
    journal = OutboxJournal(tmp_path / "outbox.sqlite")
    try:
        key = ("p1", "v1")
        common = dict(product_name="Mug", variant_name="", sku="M", barcode="", note="")
        uuid_of = {kind: kind.value.lower() for kind in PlaceKind}

        def locations(from_type: PlaceKind, to_type: PlaceKind) -> dict:
            return dict(
                from_type=from_type,
                to_type=to_type,
                from_location_uuid=uuid_of[from_type],
                to_location_uuid=uuid_of[to_type],
                balance_before=0,
            )

        journal.record(
            [
                EntryDraft(
                    Reason.DISCARD,
                    key,
                    **common,
                    **locations(PlaceKind.STORE, PlaceKind.BIN),
                    quantity=3,
                    store_change=-3,
                ),
                EntryDraft(
                    Reason.MOVE,
                    key,
                    **common,
                    **locations(PlaceKind.BIN, PlaceKind.SOLD),
                    quantity=1,
                    store_change=0,
                ),
            ],
            user="tester",
        )
        waiting = journal.entries(status=[OutboxStatus.PENDING])
        assert place_changes("bin", waiting) == {key: 2}
        assert place_changes("sold", waiting) == {key: 1}
        assert place_changes("supplier", waiting) == {}
    finally:
        journal.close()


async def test_low_stock_levels_are_read_while_the_catalogue_is(sandbox_factory, tmp_path):
    """Catalogue and low-stock levels: one wait, not two in a row (at 46,000 variants the
    catalogue alone takes a second to answer); the levels are still applied after it."""
    info = sandbox_factory(products=30)
    async with running_service(info, tmp_path, catalogue_every=0.0, poll_interval=3600) as service:
        levels = {key: row.low_stock_level for key, row in service.rows.items()}
        assert any(level is not None for level in levels.values())
        SandboxAdmin(info).faults(latency_ms=500)
        started = time.monotonic()
        assert await service.refresh() is not None
        took = time.monotonic() - started
        assert {key: row.low_stock_level for key, row in service.rows.items()} == levels
    # Catalogue and levels at once (0.5 s), then the change feed (0.5 s): 1.5 s one by one.
    assert 1.0 <= took < 1.4, took


class Recording:
    """A real backend whose ``places`` and ``catalogue`` calls are noted as they start and end."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.calls: list[tuple[str, str]] = []

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._backend, name)
        if name not in {"places", "catalogue"}:
            return value

        async def noted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(("start", name))
            try:
                return await value(*args, **kwargs)
            finally:
                self.calls.append(("end", name))

        return noted


async def test_a_first_launch_reads_the_catalogue_while_the_places(sandbox_factory, tmp_path):
    """With no catalogue cached, its read (a second at 46,000 variants) starts with the places'
    and the first poll takes it: asked once, and the rows are named."""
    info = sandbox_factory(products=30, latency_ms=100)
    service = sandbox_service(info, tmp_path)
    recording = Recording(service.backend)
    service.backend = recording
    try:
        await service.start(require_load=True)
        calls = recording.calls
        assert calls.index(("start", "catalogue")) < calls.index(("end", "places")), calls
        assert calls.count(("start", "catalogue")) == 1
        assert service.rows and all(row.known and row.product_name for row in service.rows.values())
    finally:
        await service.stop()
    again = sandbox_service(info, tmp_path)  # the catalogue is cached now: read in the poll
    recording = Recording(again.backend)
    again.backend = recording
    try:
        await again.start(require_load=True)
        calls = recording.calls
        assert calls.index(("end", "places")) < calls.index(("start", "catalogue")), calls
    finally:
        await again.stop()


async def test_calls_made_at_once_probe_the_generation_once(sandbox_factory, tmp_path, monkeypatch):
    """``api_version = auto`` on a first launch: the places and the catalogue are asked at once,
    and both wait for one probe."""
    info = sandbox_factory(products=10, latency_ms=50)
    probes: list[object] = []
    real_probe = generations.probe

    async def counted(client: Any) -> Any:
        probes.append(client)
        return await real_probe(client)

    monkeypatch.setattr(generations, "probe", counted)
    access = dataclass_replace(
        ShopAccess.local(info.url, info.api_key, info.client_id),
        api_version="auto",
        generation_file=tmp_path / "generation.json",
    )
    service = open_inventory(
        access, state_dir=tmp_path / "state", client_options=FAST_CLIENT, **FAST_SERVICE
    )
    try:
        await service.start(require_load=True)
        assert len(probes) == 1
        assert service.rows
    finally:
        await service.stop()


async def test_status_says_waiting_while_a_poll_runs_past_its_usual_time(
    sandbox_factory, tmp_path, generation
):
    """A poll Zettle keeps waiting past the patience makes the status ``waiting`` until it ends;
    a full read is given twice what the last one took (a big shop's reads are slow, not late)."""
    info = sandbox_factory(api=generation, products=5)
    async with running_service(
        info, tmp_path, generation=generation, answer_patience=0.2
    ) as service:
        states: list[SyncState] = []
        service.subscribe_status(lambda status: states.append(status.state))
        SandboxAdmin(info).faults(latency_ms=500)  # every answer takes 0.5 s
        assert await service.refresh() is not None  # the change feed: one slow answer
        assert states[-2:] == [SyncState.WAITING, SyncState.LIVE]
        states.clear()
        assert await service.refresh(full=True) is not None  # the last full read took ms: late
        assert SyncState.WAITING in states and states[-1] is SyncState.LIVE
        states.clear()
        assert await service.refresh(full=True) is not None  # as long as the last: on time
        assert SyncState.WAITING not in states and service.status.state is SyncState.LIVE
