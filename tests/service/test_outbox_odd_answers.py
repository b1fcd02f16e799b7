"""The outbox and the sync loop against a hostile server: the odd-answer proxy in front of a real
sandbox applies a movement (or not) and then garbles, empties or loses the answer. A 2xx is not
proof: every such outcome is settled by reading the stock, never by sending again blindly (the
sandbox deduplicates by externalUuid, but nothing here counts on it), and what reading cannot
settle is shown as needing attention. Refusals of the key go to needs-attention at once; Zettle's
``Retry-After`` is honoured; no single failure stops the sender or the poller."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import sys
import time
from collections import Counter
from types import SimpleNamespace

import pytest

from tests.odd_server import OddProxy, Reply, answer, forward_then
from tests.support.clients import running_service
from tests.support.sandbox import SandboxAdmin
from zinv_tui.service import (
    InventoryService,
    MovementIntent,
    OutboxStatus,
    PlaceKind,
    Reason,
    SyncState,
)
from zinv_tui.service.journal import EntryDraft, OutboxJournal

pytestmark = pytest.mark.timeout(60)

MOVE = "/organizations/self/inventory"
READ = "/organizations/self/inventory/products"


def through(proxy: OddProxy, info) -> SimpleNamespace:
    """What ``running_service`` needs to talk to the sandbox through the proxy."""
    return SimpleNamespace(url=proxy.url, api_key=info.api_key, client_id=info.client_id)


def applied_once_each(info, service: InventoryService) -> bool:
    """True when the ledger holds each of the service's movements exactly once."""
    entries = service.history(limit=None)
    journal = Counter(entry.sent_as for entry in entries)
    ours = set(journal)
    applied = Counter(
        m["externalUuid"] for m in SandboxAdmin(info).ledger() if m["externalUuid"] in ours
    )
    return applied == journal


def shown_is_truth(service: InventoryService, info, key) -> bool:
    return service.rows[key].shown_balance == SandboxAdmin(info).store_balances().get(key, 0)


def balance_body(value: str):
    """A PUT answer whose balances are all replaced by ``value`` (JSON text)."""

    def rewrite(body: bytes) -> bytes:
        return re.sub(rb'"balance": ?"?-?[0-9]+"?', b'"balance": ' + value.encode(), body)

    return rewrite


# -- item 2: a 2xx is not proof ------------------------------------------------------------------

ERROR_BODY = {"developerMessage": "Something went wrong", "errorType": "INTERNAL", "violations": []}


@pytest.mark.parametrize(
    "body",
    [ERROR_BODY, b"", b"{}", {"locationUuid": None, "variants": []}],
    ids=["error-body", "empty", "empty-object", "no-balances"],
)
@pytest.mark.parametrize("applied", [True, False], ids=["applied", "not-applied"])
async def test_a_2xx_that_proves_nothing_is_settled_by_reading(
    sandbox_factory, tmp_path, body, applied
) -> None:
    info = sandbox_factory(products=5)
    with OddProxy(info.url) as proxy:
        rule = forward_then(body=body) if applied else answer(200, body)
        async with running_service(through(proxy, info), tmp_path) as service:
            key = sorted(service.rows)[0]
            proxy.on("PUT", MOVE, rule, times=1)
            await service.record([MovementIntent(Reason.RESTOCK, key, quantity=3)])
            assert await service.flush(10)
            (entry,) = service.history()
            assert entry.status is OutboxStatus.ACKNOWLEDGED
            assert applied_once_each(info, service)  # never lost, never twice
            # Sent once if Zettle applied it; once more, after reading, if it did not.
            assert proxy.count("PUT", MOVE) == (1 if applied else 2)
            assert service.rows[key].pending == 0 and shown_is_truth(service, info, key)


# -- item 3: an applied movement whose answer can't be read --------------------------------------


@pytest.mark.parametrize("value", ["null", '"abc"', '"3.7"', "1e309", '"1e100000000"'])
async def test_an_unreadable_answer_to_an_applied_movement_is_settled_once(
    sandbox_factory, tmp_path, value
) -> None:
    info = sandbox_factory(products=5)
    with OddProxy(info.url) as proxy:
        async with running_service(through(proxy, info), tmp_path) as service:
            a, b = sorted(service.rows)[:2]
            proxy.on("PUT", MOVE, forward_then(body=balance_body(value)))
            started = time.monotonic()
            await service.record(
                [
                    MovementIntent(Reason.RESTOCK, a, quantity=4),
                    MovementIntent(Reason.DISCARD, b, quantity=1),
                ]
            )
            assert await service.flush(10)
            assert time.monotonic() - started < 5
            assert {e.status for e in service.history()} == {OutboxStatus.ACKNOWLEDGED}
            assert proxy.count("PUT", MOVE) == 1  # not replayed
            assert applied_once_each(info, service)
            # Counted once on screen: in Zettle's balance, no longer pending.
            for key in (a, b):
                assert service.rows[key].pending == 0 and shown_is_truth(service, info, key)


async def test_what_reading_cannot_settle_needs_attention_and_is_not_resent(
    sandbox_factory, tmp_path
) -> None:
    """A sale (STORE to SOLD) applied, its answer unreadable, and a POS sale of the same variant
    meanwhile: STORE and SOLD both moved by other amounts, so nobody can tell from the balances."""
    info = sandbox_factory(products=5)
    with OddProxy(info.url) as proxy:
        async with running_service(through(proxy, info), tmp_path) as service:
            key = sorted(service.rows)[0]

            def applied_then_a_pos_sale(seen, sent):
                SandboxAdmin(info).sale(key[1], 1)
                return Reply(200, b'{"variants": [{"balance": "abc"}]}')

            proxy.on("PUT", MOVE, (applied_then_a_pos_sale, True))
            before = service.rows[key].balance
            await service.record([MovementIntent(Reason.SALE, key, quantity=2)])
            assert await service.flush(10)  # nothing left pending...
            (entry,) = service.history()
            assert entry.status is OutboxStatus.NEEDS_ATTENTION  # ...but the user is told
            assert entry.last_error.startswith("Unconfirmed")
            assert f"was {before} before sending and is {before - 3} now" in entry.last_error
            assert f"({before - 2} if it was applied)" in entry.last_error  # before, now, expected
            assert entry.unconfirmed
            assert service.status.attention_count == 1
            assert proxy.count("PUT", MOVE) == 1  # never resent silently
            await asyncio.sleep(0.2)
            assert proxy.count("PUT", MOVE) == 1
            await service.refresh()
            assert service.rows[key].pending == 0 and shown_is_truth(service, info, key)
            # The user finds it in Zettle and says so: done, not sent, and it can be undone.
            settled = await service.confirm_applied(entry.id)
            assert settled.status is OutboxStatus.ACKNOWLEDGED and not settled.unconfirmed
            assert settled.can_undo and service.status.attention_count == 0
            assert service.journal.unconfirmed_ids() == set()
            assert proxy.count("PUT", MOVE) == 1
            with pytest.raises(LookupError, match="not unconfirmed"):
                await service.confirm_applied(entry.id)


async def test_a_lost_answer_is_settled_by_reading_before_anything_is_resent(
    sandbox_factory, tmp_path
) -> None:
    """Lost answers (a dropped connection after the PUT was applied, or before it arrived; a 502
    either way): each is read before anything else is sent; an applied one is never sent again."""
    info = sandbox_factory(products=5)
    with OddProxy(info.url) as proxy:
        async with running_service(through(proxy, info), tmp_path) as service:
            key = sorted(service.rows)[0]
            for rule in (
                forward_then(drop=3),
                answer(200, {"locationUuid": None, "variants": []}, drop=3),
                forward_then(status=502),
                answer(502, b""),
            ):
                proxy.on("PUT", MOVE, rule, times=1)
                await service.record([MovementIntent(Reason.RESTOCK, key, quantity=1)])
                assert await service.flush(10)
            assert {e.status for e in service.history()} == {OutboxStatus.ACKNOWLEDGED}
            assert applied_once_each(info, service)
            assert proxy.count("PUT", MOVE) == 6  # the two never applied were sent again
            assert shown_is_truth(service, info, key)


# -- item 7: the key's refusals, and Retry-After -------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
async def test_a_permanent_refusal_needs_attention_at_once(sandbox_factory, tmp_path, status):
    info = sandbox_factory(products=5)
    with OddProxy(info.url) as proxy:
        async with running_service(through(proxy, info), tmp_path, max_batch=10) as service:
            keys = sorted(service.rows)[:3]
            proxy.on("PUT", MOVE, answer(status, {"errorType": "FORBIDDEN"}))
            tokens = proxy.count("POST", "/token")
            await service.record([MovementIntent(Reason.RESTOCK, k, quantity=1) for k in keys])
            await service.flush(5)
            assert {e.status for e in service.history()} == {OutboxStatus.NEEDS_ATTENTION}
            # One PUT (a 401 once more with a fresh token), never split or repeated.
            assert proxy.count("PUT", MOVE) == (2 if status == 401 else 1)
            assert proxy.count("POST", "/token") - tokens <= 1
            assert all(service.rows[k].pending == 0 for k in keys)
            assert service.status.attention_count == 3


async def test_a_refusal_says_zettles_words_once(sandbox_factory, tmp_path) -> None:
    """Walk: ``Zettle refused the request: Unknown product 2d18…068b (Unknown product 2d18…068b;
    no product with this UUID)``."""
    info = sandbox_factory(products=5)
    with OddProxy(info.url) as proxy:
        async with running_service(through(proxy, info), tmp_path) as service:
            key = sorted(service.rows)[0]
            refusal = {
                "developerMessage": f"Unknown product {key[0]}",
                "errorType": "ENTITY_NOT_FOUND",
                "violations": [
                    {"propertyName": "productUuid", "developerMessage": "no product with this UUID"}
                ],
            }
            proxy.on("PUT", MOVE, answer(400, refusal), times=1)
            await service.record([MovementIntent(Reason.RESTOCK, key, quantity=1)])
            await service.flush(5)
            (entry,) = service.history()
            assert entry.status is OutboxStatus.NEEDS_ATTENTION
            assert entry.last_error == (
                f"Zettle refused the request: Unknown product {key[0]} (no product with this UUID)"
            )


async def test_a_long_retry_after_is_not_waited_for_nor_hammered(sandbox_factory, tmp_path):
    info = sandbox_factory(products=5)
    with OddProxy(info.url) as proxy:
        async with running_service(through(proxy, info), tmp_path) as service:
            a, b = sorted(service.rows)[:2]
            proxy.on("PUT", MOVE, answer(429, {}, headers={"Retry-After": "999999"}))
            await service.record([MovementIntent(Reason.RESTOCK, a, quantity=1)])
            started = time.monotonic()
            assert not await service.flush(10)
            assert time.monotonic() - started < 2  # no point waiting: Zettle said 999999 s
            await service.record([MovementIntent(Reason.RESTOCK, b, quantity=1)])
            assert not await service.flush(10)  # new movements wait their turn too
            await asyncio.sleep(0.5)
            assert proxy.count("PUT", MOVE) == 1
            assert service.status.pending_count == 2
            assert "too many requests" in (service.status.sending_error or "")


async def test_a_short_retry_after_is_waited_for(sandbox_factory, tmp_path) -> None:
    info = sandbox_factory(products=5)
    with OddProxy(info.url) as proxy:
        async with running_service(
            through(proxy, info), tmp_path, client_options={"max_retries": 0}
        ) as service:
            key = sorted(service.rows)[0]
            proxy.on("PUT", MOVE, answer(429, {}, headers={"Retry-After": "0.4"}), times=2)
            await service.record([MovementIntent(Reason.RESTOCK, key, quantity=1)])
            started = time.monotonic()
            assert await service.flush(10)
            assert time.monotonic() - started >= 0.8
            assert proxy.count("PUT", MOVE) == 3
            assert applied_once_each(info, service)


# -- item 5: no single failure stops the sender or the poller -------------------------------------


async def test_the_sender_and_the_poller_outlive_undecodable_and_nested_answers(
    sandbox_factory, tmp_path
) -> None:
    info = sandbox_factory(products=5)
    gzip_lie = {"headers": {"Content-Encoding": "gzip"}}
    with OddProxy(info.url) as proxy:
        async with running_service(through(proxy, info), tmp_path, poll_interval=0.1) as service:
            key = sorted(service.rows)[0]
            proxy.on("PUT", MOVE, forward_then(**gzip_lie), times=1)
            proxy.on("GET", MOVE, forward_then(**gzip_lie), times=2)
            await service.record([MovementIntent(Reason.RESTOCK, key, quantity=2)])
            assert await service.flush(10)
            proxy.on("PUT", MOVE, forward_then(body=b"[" * 50_000), times=1)
            proxy.on("GET", MOVE, answer(200, b'{"variants":' + b"[" * 50_000), times=2)
            await service.record([MovementIntent(Reason.RESTOCK, key, quantity=3)])
            assert await service.flush(10)
            reads_before = proxy.count("GET", MOVE)
            proxy.on(
                "GET",
                MOVE,
                forward_then(body=lambda body: body.replace(b'"balance":"', b'"balance":"1e9999')),
                times=2,
            )
            for _ in range(200):  # until the poller has met both odd answers
                if proxy.count("GET", MOVE) >= reads_before + 2:
                    break
                await asyncio.sleep(0.05)
            assert proxy.count("GET", MOVE) >= reads_before + 2, "the odd answers were never read"
            assert service._task is not None and not service._task.done()
            assert {e.status for e in service.history()} == {OutboxStatus.ACKNOWLEDGED}
            assert applied_once_each(info, service)
            for _ in range(100):  # the poller came back after the odd answers
                if service.status.state is SyncState.LIVE and shown_is_truth(service, info, key):
                    break
                await asyncio.sleep(0.05)
            assert service.status.state is SyncState.LIVE and shown_is_truth(service, info, key)


# -- two processes on one journal -----------------------------------------------------------------


async def test_a_batch_in_flight_is_not_sent_by_another_sender_meanwhile(
    sandbox_factory, tmp_path
) -> None:
    """The TUI and a CLI command share a journal: while one sends a batch (its answer is slow to
    come), the other does not send it too (nothing here relies on Zettle deduplicating)."""
    info = sandbox_factory(products=5)
    with OddProxy(info.url) as proxy:
        async with (
            running_service(through(proxy, info), tmp_path) as first,
            running_service(through(proxy, info), tmp_path) as second,
        ):
            key = sorted(first.rows)[0]
            proxy.on("PUT", MOVE, forward_then(trickle=0.01), times=1)
            await first.record([MovementIntent(Reason.RESTOCK, key, quantity=2)])
            for _ in range(200):
                if proxy.count("PUT", MOVE):
                    break
                await asyncio.sleep(0.01)
            assert not await second.flush(0.5)  # the batch is the first's to send
            assert proxy.count("PUT", MOVE) == 1
            assert await first.flush(10)
            assert await second.flush(5)
            assert proxy.count("PUT", MOVE) == 1
            assert applied_once_each(info, first)


@pytest.mark.parametrize("holder", ["dead-process", "same-pid-earlier-run"])
async def test_a_lease_left_by_a_killed_sender_does_not_hold_the_batch(
    sandbox_factory, tmp_path, holder
) -> None:
    info = sandbox_factory(products=5)
    async with running_service(info, tmp_path) as service:
        key = sorted(service.rows)[0]
    journal = OutboxJournal(tmp_path / "outbox.sqlite")
    draft = EntryDraft(
        Reason.RESTOCK, key, "", "", "", "", PlaceKind.SUPPLIER, PlaceKind.STORE,
        str(service.locations[PlaceKind.SUPPLIER].uuid),
        str(service.locations[PlaceKind.STORE].uuid), 2, 2, None,
    )  # fmt: skip
    journal.record([draft], user="killed")
    batch = journal.next_batch(10)
    if holder == "dead-process":
        ended = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
        await ended.wait()
        pid = ended.pid
    else:  # a container restarted: the new process has the killed one's pid
        pid = os.getpid()
    assert journal.claim(batch.id, f"{pid}:killed", 1800)
    journal.close()
    async with running_service(info, tmp_path) as service:
        assert await service.flush(5)
        assert applied_once_each(info, service)


# -- a server that does not deduplicate ------------------------------------------------------------


def without_external_uuid(body: bytes) -> bytes:
    data = json.loads(body)
    data.pop("externalUuid", None)
    return json.dumps(data).encode()


@pytest.mark.timeout(90)
async def test_nothing_is_lost_or_doubled_when_the_server_does_not_deduplicate(
    sandbox_factory, tmp_path
) -> None:
    """The proxy strips every externalUuid, so a movement sent twice is applied twice; answers
    are lost after or before the movement was applied, cut off, 5xx, or 2xx that prove nothing.
    The ledger must still hold each journaled movement exactly once."""
    info = sandbox_factory(products=8)
    rng = random.Random(7)
    faults = [
        forward_then(drop=3),  # applied, answer lost
        answer(200, {"locationUuid": None}, drop=3),  # not applied, connection lost
        forward_then(status=502),  # applied, 502
        answer(503, b""),  # not applied
        forward_then(body=b""),  # applied, empty 2xx
        answer(200, ERROR_BODY),  # not applied, 2xx error body
        forward_then(body=balance_body('"abc"')),  # applied, unreadable balance
    ]
    with OddProxy(info.url) as proxy:
        proxy.rewrite_requests("PUT", MOVE, without_external_uuid)
        async with running_service(through(proxy, info), tmp_path, max_batch=4) as service:
            keys = sorted(service.rows)[:4]
            before = len(SandboxAdmin(info).ledger())
            for round_ in range(12):
                if round_ % 2 == 0:
                    proxy.on("PUT", MOVE, rng.choice(faults), times=1)
                intents = [
                    MovementIntent(
                        rng.choice([Reason.RESTOCK, Reason.DISCARD, Reason.RETURN_TO_SUPPLIER]),
                        rng.choice(keys),
                        quantity=rng.randint(1, 5),
                    )
                    for _ in range(rng.randint(1, 3))
                ]
                await service.record(intents)
                assert await service.flush(10)
            entries = service.history(limit=None)
            assert {e.status for e in entries} == {OutboxStatus.ACKNOWLEDGED}
            journal = Counter(
                (e.variant_uuid, e.from_location_uuid, e.to_location_uuid, e.quantity)
                for e in entries
            )
            applied = Counter(
                (m["variantUuid"], m["fromLocationUuid"], m["toLocationUuid"], m["change"])
                for m in SandboxAdmin(info).ledger()[before:]
            )
            assert applied == journal
            await service.refresh(full=True)
            assert all(shown_is_truth(service, info, key) for key in keys)
