"""Fault paths against the sandbox's own fault injection: token expiry, 429, 5xx, dropped
connections, bad keys, missing scopes, and secrets kept out of everything the client shows."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
import traceback
import uuid
from collections import Counter

import pytest

from tests.support.clients import by_type
from tests.support.sandbox import SandboxAdmin
from zinv_tui.api import (
    ApiEndpoints,
    ApiKeyRejected,
    NetworkError,
    PermissionDenied,
    ServerError,
    ZettleClient,
    ZettleError,
)
from zinv_tui.api.models import LocationType, MovementRequest, StockChange

pytestmark = pytest.mark.timeout(90)


async def restock_request(client: ZettleClient, quantity: int, *, keyed: bool) -> MovementRequest:
    locations = by_type(await client.get_locations())
    balances = await client.get_store_balances()
    row = balances.variants[0]
    return MovementRequest(
        changes=[
            StockChange(
                product_uuid=row.product_uuid,
                variant_uuid=row.variant_uuid,
                from_location_uuid=locations[LocationType.SUPPLIER],
                to_location_uuid=locations[LocationType.STORE],
                change=quantity,
            )
        ],
        external_uuid=uuid.uuid1() if keyed else None,
    )


async def test_expired_tokens_are_renewed_transparently(sandbox_factory, clients) -> None:
    info = sandbox_factory(products=20)
    client = clients(info)
    await client.get_locations()
    assert SandboxAdmin(info).expire_tokens() >= 1
    assert len(await client.get_locations()) == 4
    assert client.stats.token_requests == 2
    assert client.stats.retries == 1  # the one repeat after the 401


async def test_short_lived_tokens_are_renewed_before_they_run_out(sandbox_factory, clients) -> None:
    info = sandbox_factory(products=20, token_ttl=1)
    client = clients(info)
    await client.get_locations()
    await asyncio.sleep(0.95)  # past the renewal margin (10 % of 1 s), not yet expired
    await client.get_locations()
    assert client.stats.token_requests == 2
    assert client.stats.retries == 0  # renewed ahead of time, never refused


async def test_concurrent_callers_share_one_renewal(sandbox_factory, clients) -> None:
    info = sandbox_factory(products=20)
    client = clients(info)
    await client.get_locations()
    SandboxAdmin(info).expire_tokens()
    results = await asyncio.gather(*(client.get_locations() for _ in range(12)))
    assert all(len(result) == 4 for result in results)
    assert client.stats.token_requests == 2


async def test_throttled_reads_recover(sandbox_factory, clients) -> None:
    info = sandbox_factory(products=20, throttle=True)
    client = clients(info, requests_per_second=None, max_retries=8)
    await client.get_locations()
    started = time.monotonic()
    results = await asyncio.gather(*(client.get_store_balances() for _ in range(10)))
    assert all(result.variants for result in results)
    assert client.stats.retries > 0  # the sandbox did say 429, and the client came back
    assert time.monotonic() - started >= 0.9  # Retry-After: 1 was honoured


async def test_a_short_run_of_requests_goes_at_once_and_unthrottled(
    sandbox_factory, clients
) -> None:
    info = sandbox_factory(products=20, throttle=True)  # Zettle's 4 a second, as modelled
    client = clients(info, requests_per_second=4.0)
    for _ in range(7):
        await client.get_locations()
    assert client.limiter is not None and client.limiter.waited == 0
    assert client.stats.retries == 0  # and the throttle let them all through


async def test_the_limiter_keeps_the_client_under_the_throttle(sandbox_factory, clients) -> None:
    info = sandbox_factory(products=20, throttle=True)
    client = clients(info, requests_per_second=4.0)
    started = time.monotonic()  # the limiter's own clock
    for _ in range(12):
        await client.get_locations()
    assert time.monotonic() - started >= (12 - 8) / 4.0  # a burst under 8, then under 4 a second
    # Network jitter may cost the odd 429, but not one per request as without a limiter.
    assert client.stats.retries <= 1


async def test_reads_survive_server_errors_and_dropped_connections(
    sandbox_factory, clients
) -> None:
    info = sandbox_factory(products=20, error_rate=0.3, drop_rate=0.3, fault_seed=11)
    client = clients(info, max_retries=10)
    for _ in range(8):
        assert len(await client.get_locations()) == 4
        assert (await client.get_store_balances()).variants
    assert client.stats.retries > 0


async def test_writes_are_never_repeated_blindly_and_errors_say_when_the_outcome_is_open(
    sandbox_factory, clients
) -> None:
    """Through 5xx and drops, a movement (keyed or not) is sent again only when Zettle provably
    did not act on it: the server is never trusted to deduplicate. An error without
    ``outcome_unknown`` means not applied; one with it may go either way; nothing is applied
    twice."""
    info = sandbox_factory(products=20)
    client = clients(info, max_retries=12)
    base = await restock_request(client, 1, keyed=True)
    line = base.changes[0]
    store = line.to_location_uuid
    ledger_before = len(SandboxAdmin(info).ledger())
    SandboxAdmin(info).faults(error_rate=0.25, drop_rate=0.35, drop_phase="both", seed=5)
    outcomes: dict[str, str] = {}
    for quantity in range(1, 25):
        request = base.model_copy(
            update={
                "changes": [line.model_copy(update={"change": quantity})],
                "external_uuid": uuid.uuid1(),
            }
        )
        try:
            answer = await client.move_stock(request)
        except ZettleError as error:
            outcomes[str(request.external_uuid)] = "open" if error.outcome_unknown else "not"
        else:
            assert answer.location_uuid == str(store)
            outcomes[str(request.external_uuid)] = "applied"
    SandboxAdmin(info).faults(error_rate=0.0, drop_rate=0.0)
    applied = Counter(row["externalUuid"] for row in SandboxAdmin(info).ledger()[ledger_before:])
    assert set(applied.values()) <= {1}  # never twice
    for key, outcome in outcomes.items():
        if outcome == "applied":
            assert applied[key] == 1
        elif outcome == "not":
            assert applied[key] == 0
    assert {"applied", "open"} <= set(outcomes.values())
    assert any(applied[k] for k, o in outcomes.items() if o == "open")  # dropped after commit


async def test_unkeyed_write_is_not_retried_after_a_server_error(sandbox_factory, clients) -> None:
    info = sandbox_factory(products=20)
    client = clients(info)
    request = await restock_request(client, 2, keyed=False)
    ledger_before = len(SandboxAdmin(info).ledger())
    SandboxAdmin(info).faults(error_rate=1.0)
    requests_before = client.stats.requests
    with pytest.raises(ServerError) as caught:
        await client.move_stock(request)
    assert caught.value.status == 503 and caught.value.retryable
    assert client.stats.requests - requests_before == 1
    assert len(SandboxAdmin(info).ledger()) == ledger_before


async def test_unkeyed_write_is_not_repeated_after_its_answer_was_lost(
    sandbox_factory, clients
) -> None:
    info = sandbox_factory(products=20)
    client = clients(info)
    request = await restock_request(client, 3, keyed=False)
    ledger_before = len(SandboxAdmin(info).ledger())
    SandboxAdmin(info).faults(drop_rate=1.0, drop_phase="after")
    requests_before = client.stats.requests
    with pytest.raises(NetworkError, match="connection was dropped"):
        await client.move_stock(request)
    SandboxAdmin(info).faults(drop_rate=0.0)
    assert client.stats.requests - requests_before == 1
    applied = SandboxAdmin(info).ledger()[ledger_before:]
    assert len(applied) == 1 and applied[0]["externalUuid"] is None  # applied once, never twice


def forged_key(real_key: str) -> str:
    """Same claims as the sandbox's key, different signature: Zettle would refuse it."""
    header, payload, _ = real_key.split(".")
    return f"{header}.{payload}.{base64.urlsafe_b64encode(b'forged').rstrip(b'=').decode()}"


async def test_bad_keys_are_rejected_in_plain_words(sandbox_factory) -> None:
    info = sandbox_factory(products=20)
    endpoints = {"endpoints": ApiEndpoints.single(info.url)}
    async with ZettleClient("not-a-key-at-all-0123", **endpoints) as unreadable:
        with pytest.raises(ApiKeyRejected, match="does not look like a Zettle API key"):
            await unreadable.get_locations()
        assert unreadable.stats.requests == 0
    forged = forged_key(info.api_key)
    async with ZettleClient(forged, **endpoints) as client:
        with pytest.raises(ApiKeyRejected) as caught:
            await client.fetch_token_info()
        assert str(caught.value) == (
            "API key rejected - create a new key at my.zettle.com/apps/api-keys"
        )
        assert caught.value.error_type == "invalid_grant"
        assert client.stats.token_requests == 1  # a refused key is not asked again
    # A partner application's client_id next to the merchant's key signs in, as Zettle evidently
    # lets Shopware and nopCommerce do (issue 8 item 15): the key decides the organization.
    async with ZettleClient(info.api_key, client_id=str(uuid.uuid1()), **endpoints) as partner:
        assert len(await partner.get_locations()) == 4


async def test_a_read_only_key_may_read_but_not_write(sandbox_factory) -> None:
    info = sandbox_factory(products=20)
    read_only = SandboxAdmin(info).new_key(["READ:PRODUCT"])
    async with ZettleClient(read_only, endpoints=ApiEndpoints.single(info.url)) as client:
        token = await client.fetch_token_info()
        assert token.scopes == ("READ:PRODUCT",)
        request = await restock_request(client, 1, keyed=True)
        with pytest.raises(PermissionDenied) as caught:
            await client.move_stock(request)
        assert str(caught.value) == (
            "This API key lacks the WRITE:PRODUCT scope - create a key with both READ:PRODUCT "
            "and WRITE:PRODUCT at my.zettle.com/apps/api-keys"
        )
        assert caught.value.status == 403


async def test_secrets_never_show(sandbox_factory, clients, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    info = sandbox_factory(products=20)
    client = clients(info, max_retries=1)
    token_info = await client.fetch_token_info()
    secrets = sorted({info.api_key, *client._grant.secrets()})
    assert len(secrets) == 2  # the API key and the live access token
    failures: list[ZettleError] = []
    SandboxAdmin(info).expire_tokens()
    SandboxAdmin(info).faults(error_rate=1.0)
    for call in (client.get_locations, client.get_store_balances):
        try:
            await call()
        except ZettleError as error:
            failures.append(error)
    SandboxAdmin(info).faults(error_rate=0.0, drop_rate=1.0, drop_phase="before")
    try:
        await client.get_locations()
    except ZettleError as error:
        failures.append(error)
    SandboxAdmin(info).faults(drop_rate=0.0)
    async with ZettleClient(forged_key(info.api_key), ApiEndpoints.single(info.url)) as forged:
        try:
            await forged.get_locations()
        except ZettleError as error:
            failures.append(error)
        secrets.append(forged_key(info.api_key))
    assert {type(error).__name__ for error in failures} >= {"ServerError", "NetworkError",
                                                           "ApiKeyRejected"}  # fmt: skip
    shown = [
        repr(client),
        repr(client._grant),
        repr(token_info),
        str(token_info),
        repr(client.stats),
        caplog.text,
    ]
    for error in failures:
        shown += [str(error), repr(error), repr(error.__dict__), *traceback.format_exception(error)]
    everything = "\n".join(shown)
    for secret in secrets:
        assert secret not in everything
        assert secret.split(".")[1] not in everything  # not even the JWT payload


async def test_a_slow_sandbox_times_out_plainly(sandbox_factory, clients) -> None:
    info = sandbox_factory(products=20)
    client = clients(info, timeout=0.2, max_retries=1)
    await client.get_locations()
    SandboxAdmin(info).faults(latency_ms=3000)
    started = time.monotonic()
    with pytest.raises(NetworkError) as caught:
        await client.get_locations()
    assert "no answer within 0.2 s" in str(caught.value)
    assert client.stats.retries == 1
    assert time.monotonic() - started < 2.5  # two answers of 3 s were not awaited


# -- a caller's whole time limit -----------------------------------------------------------------


async def test_a_time_limit_does_not_count_the_clients_own_pacing(sandbox_factory, clients) -> None:
    """A command's --timeout is for Zettle's answers, not for the client keeping under 4 a
    second: four requests paced 0.5 s apart all end, though the limit is 0.4 s."""
    info = sandbox_factory(products=5)
    client = clients(info, requests_per_second=2.0, burst=1)
    await client.get_locations()  # signed in; the bucket is empty from here on
    moved: list[float] = []
    client.set_deadline(0.4, moved.append)
    for _ in range(4):
        assert len(await client.get_locations()) == 4
    assert client.limiter is not None and client.limiter.paced >= 1.5
    assert sum(moved) == pytest.approx(client.limiter.paced)  # moved on by every pacing wait
    client.set_deadline(None)


async def test_a_time_limit_ends_retries_with_the_last_real_failure(
    sandbox_factory, clients
) -> None:
    info = sandbox_factory(products=5)
    client = clients(info, max_retries=20, backoff_base=0.3, backoff_cap=0.3)
    await client.get_locations()
    SandboxAdmin(info).faults(error_rate=1.0)
    client.set_deadline(1.0)
    started = time.monotonic()
    with pytest.raises(ServerError):
        await client.get_locations()
    assert time.monotonic() - started < 1.5  # not 20 retries 0-0.3 s apart (about 3 s)
