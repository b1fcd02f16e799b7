"""Several STORE inventories (v3): create one, switch the shown store, transfer between stores,
counts and low-stock levels per store; on v1 there is one store and creating one is refused in
words. Against real sandboxes over loopback HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.service.test_v3_sandbox import mine, v3_service
from tests.support.sandbox import SandboxAdmin
from zinv_tui.service import InventoryService, MovementIntent, MovementRejected, Reason
from zinv_tui.service.backend import PlaceKind, StoresNotSupported
from zinv_tui.service.counts import CountError
from zinv_tui.service.rows import RowKey

pytestmark = pytest.mark.timeout(60)


def balances_at(info: Any, place: str) -> dict[RowKey, int]:
    """Balances at one place as the sandbox's ledger says (the truth)."""
    totals: dict[RowKey, int] = {}
    for move in SandboxAdmin(info).ledger():
        key = (move["productUuid"], move["variantUuid"])
        if move["toLocationUuid"] == place:
            totals[key] = totals.get(key, 0) + move["change"]
        if move["fromLocationUuid"] == place:
            totals[key] = totals.get(key, 0) - move["change"]
    return totals


def stocked(service: InventoryService, least: int = 3) -> RowKey:
    return sorted(key for key, row in service.rows.items() if row.balance >= least)[0]


async def test_a_second_store_is_created_switched_to_and_stocked_by_a_transfer_sent_once(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(api="v3", products=6)
    service = v3_service(info.url, info.api_key, tmp_path)
    await service.start(require_load=True)
    try:
        main = service.store
        assert main is not None and service.stores == [main]
        back = await service.create_store("  Back   room ")
        assert back.name == "Back room" and back.kind is PlaceKind.STORE and not back.default
        assert service.stores == [main, back]  # the default first
        assert service.store == main  # creating does not switch
        with pytest.raises(ValueError, match="already"):
            await service.create_store("back room")

        key = stocked(service)
        before = service.rows[key].balance
        plans = service.plan(
            [MovementIntent(Reason.TRANSFER, key, quantity=2, to_store=back.uuid)],
            destination=await service.store_balances(back.uuid),
        )
        (plan,) = plans
        assert plan.error is None
        assert (plan.balance_before, plan.balance_after) == (before, before - 2)
        assert (plan.target_before, plan.target_after) == (0, 2)
        (entry,) = await service.record([plan.intent])
        assert (entry.from_location_uuid, entry.to_location_uuid) == (main.uuid, back.uuid)
        assert service.rows[key].shown_balance == before - 2
        assert await service.flush(wait=10)

        assert balances_at(info, main.uuid)[key] == before - 2
        assert balances_at(info, back.uuid)[key] == 2
        sent = mine(info, service)
        assert len(sent) == 1 and sent[0]["change"] == 2  # sent once

        other = sorted(k for k in service.rows if k != key)[0]
        await service.set_low_stock([other], level=9, alert=True)  # main's, not the back room's
        diff = await service.switch_store(back.uuid)
        assert diff is not None
        assert service.store == back and service.status.place_uuid == back.uuid
        assert service.rows[key].shown_balance == 2
        assert all(row.shown_balance == 0 for k, row in service.rows.items() if k != key)
        assert service.rows[other].low_stock_level is None

        # A transfer back, and the low-stock level goes on the shown store only.
        await service.set_low_stock([key], level=4, alert=True)
        await service.record([MovementIntent(Reason.TRANSFER, key, quantity=1, to_store=main.uuid)])
        assert await service.flush(wait=10)
        assert balances_at(info, back.uuid)[key] == 1
        assert balances_at(info, main.uuid)[key] == before - 1
        await service.refresh(full=True)
        assert service.rows[key].low_stock_level == 4

        await service.switch_store(main.uuid)
        assert service.rows[key].shown_balance == before - 1
        assert service.rows[key].low_stock_level != 4
    finally:
        await service.stop()


async def test_a_transfer_is_refused_to_the_same_or_an_unknown_store_and_warns_below_zero(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(api="v3", products=4)
    service = v3_service(info.url, info.api_key, tmp_path)
    await service.start(require_load=True)
    try:
        main = service.store
        assert main is not None
        back = await service.create_store("Back room")
        key = stocked(service)
        balance = service.rows[key].balance
        same, unknown, none, big = service.plan(
            [
                MovementIntent(Reason.TRANSFER, key, quantity=1, to_store=main.uuid),
                MovementIntent(Reason.TRANSFER, key, quantity=1, to_store="0" * 36),
                MovementIntent(Reason.TRANSFER, key, quantity=1),
                MovementIntent(Reason.TRANSFER, key, quantity=balance + 1, to_store=back.uuid),
            ]
        )
        assert same.error and "another store" in same.error
        assert unknown.error and "unknown" in unknown.error
        assert none.error and "store it goes to" in none.error
        assert big.error is None and big.warning and "below zero" in big.warning
        with pytest.raises(MovementRejected):
            await service.record([same.intent])
        assert mine(info, service) == []

        # A transfer undone goes back between the same two stores, even from the other one.
        (sent,) = await service.record(
            [MovementIntent(Reason.TRANSFER, key, quantity=2, to_store=back.uuid)]
        )
        assert await service.flush(wait=10)
        await service.switch_store(back.uuid)
        (undo,) = await service.undo(sent.id)
        assert (undo.from_location_uuid, undo.to_location_uuid) == (back.uuid, main.uuid)
        assert service.rows[key].shown_balance == 0
        assert await service.flush(wait=10)
        assert balances_at(info, back.uuid).get(key, 0) == 0
        assert balances_at(info, main.uuid)[key] == balance
    finally:
        await service.stop()


async def test_a_count_commits_only_against_the_store_it_was_started_in(sandbox_factory, tmp_path):
    info = sandbox_factory(api="v3", products=4)
    service = v3_service(info.url, info.api_key, tmp_path)
    await service.start(require_load=True)
    try:
        main = service.store
        assert main is not None
        back = await service.create_store("Back room")
        key = stocked(service)
        count = MovementIntent(Reason.SET_COUNT, key, count=1, store=main.uuid)
        await service.switch_store(back.uuid)
        with pytest.raises(MovementRejected, match="switch to that store"):
            await service.record([count])
        await service.switch_store(main.uuid)
        (entry,) = await service.record([count])
        assert entry.from_location_uuid == main.uuid
        assert await service.flush(wait=10)
        assert balances_at(info, main.uuid)[key] == 1
    finally:
        await service.stop()


async def test_a_count_book_session_commits_in_its_own_store_and_names_it_elsewhere(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(api="v3", products=4)
    service = v3_service(info.url, info.api_key, tmp_path)
    await service.start(require_load=True)
    try:
        main = service.store
        assert main is not None
        back = await service.create_store("Back room")
        key = stocked(service)
        book = service.counts
        session = book.start("Shelf A")
        assert session.place_uuid == main.uuid
        book.set_count(session.id, key, 1)
        await service.switch_store(back.uuid)
        with pytest.raises(CountError, match="Main store, not of the store shown"):
            await book.commit(session.id)
        await service.switch_store(main.uuid)
        result = await book.commit(session.id)
        assert [entry.from_location_uuid for entry in result.entries] == [main.uuid]
        assert await service.flush(wait=10)
        assert balances_at(info, main.uuid)[key] == 1
        assert balances_at(info, back.uuid).get(key, 0) == 0
    finally:
        await service.stop()


async def test_v1_has_one_store_and_refuses_to_create_another_in_words(sandbox_factory, tmp_path):
    from zinv_tui.build import ShopAccess, open_inventory

    info = sandbox_factory(api="v1", products=4)
    service = open_inventory(
        ShopAccess.local(info.url, info.api_key), state_dir=tmp_path, poll_interval=30.0
    )
    await service.start(require_load=True)
    try:
        assert len(service.stores) == 1 and service.stores[0] == service.store
        with pytest.raises(StoresNotSupported) as refused:
            await service.create_store("Back room")
        assert "Only Zettle's current API (v3) has several stores" in str(refused.value)
        assert "nothing was created" in str(refused.value)
        assert len(service.stores) == 1
    finally:
        await service.stop()
