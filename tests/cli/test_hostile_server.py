"""Commands against a hostile server (the odd-answer proxy in front of a real sandbox): one time
limit per command from --timeout, retries that honour Zettle, the same exit code for the same
failure, plain messages (never a traceback), and ``move --no-wait`` recording while offline."""

from __future__ import annotations

import json
import time

import pytest

from tests.odd_server import OddProxy, Reply, answer, forward_then
from tests.support.sandbox import SandboxAdmin

pytestmark = pytest.mark.timeout(90)

MOVE = "/organizations/self/inventory"


@pytest.fixture
def shop(sandbox_factory):
    return sandbox_factory(products=8)


@pytest.fixture
def proxy(shop, monkeypatch):
    """The proxy in front of the shop's sandbox, as the profile's base URL."""
    with OddProxy(shop.url) as running:
        monkeypatch.setenv("ZINV_API_KEY", shop.api_key)
        monkeypatch.setenv("ZINV_BASE_URL", running.url)
        yield running


def pick(run_cli) -> dict:
    result = run_cli("balances", "--format", "json")
    assert result.code == 0, result.err
    return next(row for row in json.loads(result.out) if row["sku"])


def plain(err: str) -> bool:
    return "Traceback" not in err and err.startswith("zinv-tui: error: ")


# -- items 4 and 5: odd answers end in a plain message ---------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        forward_then(body=lambda body: body.replace(b'"balance":"', b'"balance":"1e100000000', 1)),
        forward_then(headers={"Content-Encoding": "gzip"}),  # and it is not gzip
        answer(200, b'{"x":' + b"[" * 100_000 + b"]" * 100_000 + b',"variants":[]}'),
    ],
    ids=["absurd-balance", "gzip-lie", "deeply-nested"],
)
def test_an_odd_answer_ends_a_command_at_once_with_a_plain_message(proxy, run_cli, rule) -> None:
    proxy.on("GET", MOVE, rule)
    started = time.monotonic()
    result = run_cli("balances")
    assert time.monotonic() - started < 2  # at once: an unreadable answer is not retried
    assert result.code == 1 and plain(result.err), result.err
    assert "can't" in result.err or "unreadable" in result.err
    assert proxy.count("GET", MOVE) == 1  # asking again would get the same bytes


# -- item 6: one time limit per command ----------------------------------------------------------


def test_a_trickling_answer_does_not_hold_a_command(proxy, run_cli) -> None:
    proxy.on("GET", MOVE, forward_then(trickle=0.2))  # the balances, 5 bytes a second
    started = time.monotonic()
    result = run_cli("balances", "--timeout", "1")
    elapsed = time.monotonic() - started
    assert result.code == 4 and plain(result.err), result.err
    assert "took longer than the time limit of 1 s" in result.err
    assert elapsed < 2  # the 1 s the user gave the whole command, plus a little


def test_a_failing_server_ends_a_command_within_its_timeout(proxy, run_cli) -> None:
    proxy.on("GET", MOVE, answer(503, {"developerMessage": "down"}))  # no Retry-After
    started = time.monotonic()
    result = run_cli("balances", "--timeout", "1")
    elapsed = time.monotonic() - started
    assert result.code != 0 and plain(result.err), result.err
    assert elapsed < 2  # retries with backoff, but none that would end after the 1 s


# -- item 7: retries honour the server -----------------------------------------------------------


def test_move_does_not_hammer_a_server_that_asks_to_wait(proxy, run_cli) -> None:
    row = pick(run_cli)
    proxy.on("PUT", MOVE, answer(429, {}, headers={"Retry-After": "999999"}))
    started = time.monotonic()
    result = run_cli("move", "--reason", "restock", "--sku", row["sku"], "--qty", "1")
    assert time.monotonic() - started < 10  # not the 30 s wait: Zettle said 999999 s
    assert result.code == 1, result.err
    assert "too many requests" in result.err
    assert proxy.count("PUT", MOVE) == 1
    pending = run_cli("outbox", "--retry", "--wait", "20", "--format", "json")
    assert pending.code == 1, pending.err
    assert [entry["status"] for entry in json.loads(pending.out)] == ["PENDING"]
    assert proxy.count("PUT", MOVE) == 2  # one more try for the new run, no more


@pytest.mark.parametrize(("status", "puts"), [(401, 2), (403, 1)])
def test_move_refused_for_good_needs_attention_at_once(proxy, run_cli, status, puts) -> None:
    row = pick(run_cli)
    proxy.on("PUT", MOVE, answer(status, {"developerMessage": "no", "errorType": "FORBIDDEN"}))
    tokens = proxy.count("POST", "/token")
    result = run_cli(
        "move", "--reason", "sale", "--sku", row["sku"], "--qty", "1", "--format", "json"
    )
    assert result.code == 1, result.err
    assert [entry["status"] for entry in json.loads(result.out)] == ["NEEDS_ATTENTION"]
    assert proxy.count("PUT", MOVE) == puts
    # The command's sign-in, the scope check's fresh one, one renewal after the 401: no more.
    assert proxy.count("POST", "/token") - tokens <= 3


# -- item 8: the same failure, the same exit code; offline recording -----------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/token"),
        ("GET", "/organizations/self/locations"),
        ("GET", MOVE),
    ],
    ids=["token", "locations", "balances"],
)
def test_a_network_failure_exits_4_whichever_start_up_call_meets_it(
    proxy, run_cli, method, path
) -> None:
    proxy.on(method, path, answer(200, {"locationUuid": None}, drop=2))  # connection dropped
    result = run_cli("balances", "--timeout", "1")
    assert result.code == 4, result.err
    assert plain(result.err) and "Can't reach Zettle" in result.err


@pytest.mark.slow
def test_move_no_wait_records_while_zettle_is_unreachable(
    proxy, shop, run_cli, monkeypatch, refused_port
) -> None:
    row = pick(run_cli)  # the profile reached Zettle once: catalogue and locations are kept
    monkeypatch.setenv("ZINV_BASE_URL", f"http://127.0.0.1:{refused_port}")
    move = ("move", "--reason", "restock", "--sku", row["sku"], "--qty", "3", "--timeout", "1")
    result = run_cli(*move, "--no-wait", "--format", "json")
    assert result.code == 0, result.err
    [entry] = json.loads(result.out)
    assert entry["status"] == "PENDING" and entry["change"] == 3
    assert "recorded in the outbox" in result.err and "Can't reach Zettle" in result.err

    unknown = run_cli("move", "--reason", "sale", "--sku", "NO-SUCH-SKU", "--qty", "1",
                      "--no-wait", "--timeout", "1")  # fmt: skip
    assert unknown.code == 4 and plain(unknown.err), unknown.err
    assert "nothing was recorded" in unknown.err and "NO-SUCH-SKU" in unknown.err
    count = run_cli("move", "--reason", "set", "--sku", row["sku"], "--qty", "9", "--no-wait",
                    "--timeout", "1")  # fmt: skip
    assert count.code == 4 and "needs the current balance" in count.err, count.err
    waiting = run_cli(*move)  # waiting needs Zettle: exit 4, as before
    assert waiting.code == 4 and plain(waiting.err), waiting.err

    outbox = run_cli("outbox", "--format", "json")
    assert [e["status"] for e in json.loads(outbox.out)] == ["PENDING"]  # only the first
    monkeypatch.setenv("ZINV_BASE_URL", proxy.url)
    before = len(SandboxAdmin(shop).ledger())
    sent = run_cli("outbox", "--retry")
    assert sent.code == 0, sent.err
    moves = SandboxAdmin(shop).ledger()[before:]
    assert [(m["variantUuid"], m["change"]) for m in moves] == [(row["variant_uuid"], 3)]


def test_move_no_wait_on_a_profile_that_never_reached_zettle_records_nothing(
    run_cli, monkeypatch, refused_port, shop
) -> None:
    monkeypatch.setenv("ZINV_API_KEY", shop.api_key)
    monkeypatch.setenv("ZINV_BASE_URL", f"http://127.0.0.1:{refused_port}")
    result = run_cli("move", "--reason", "restock", "--sku", "ABC", "--qty", "1", "--no-wait",
                     "--timeout", "1")  # fmt: skip
    assert result.code == 4 and plain(result.err), result.err
    assert "nothing was recorded" in result.err
    outbox = run_cli("outbox", "--format", "json")
    assert json.loads(outbox.out) == []


def test_an_unconfirmed_movement_is_sent_again_only_when_named(proxy, shop, run_cli) -> None:
    row = pick(run_cli)

    def applied_then_a_pos_sale(seen, sent):
        SandboxAdmin(shop).sale(row["variant_uuid"], 1)
        return Reply(200, b'{"variants": [{"balance": "abc"}]}')

    proxy.on("PUT", MOVE, (applied_then_a_pos_sale, True), times=1)
    move = ("move", "--reason", "sale", "--sku", row["sku"], "--qty", "2", "--format", "json")
    result = run_cli(*move)
    assert result.code == 1, result.err
    [entry] = json.loads(result.out)
    assert entry["status"] == "UNCONFIRMED" and entry["error"].startswith("Unconfirmed")
    assert "unconfirmed" in result.err
    blanket = run_cli("outbox", "--retry", "--format", "json")
    assert blanket.code == 1 and f"#{entry['id']}" in blanket.err, blanket.err
    assert proxy.count("PUT", MOVE) == 1  # not sent again without the user naming it
    named = run_cli("outbox", "--retry", str(entry["id"]))
    assert named.code == 0, named.err
    assert proxy.count("PUT", MOVE) == 2


def test_an_unconfirmed_movement_found_in_zettle_is_recorded_as_applied(
    proxy, shop, run_cli
) -> None:
    """Issue 11 item 4: the user checked Zettle and found it there: ``outbox --applied ID``
    settles it without sending anything, and it counts as done (it can be undone)."""
    row = pick(run_cli)

    def applied_then_a_pos_sale(seen, sent):
        SandboxAdmin(shop).sale(row["variant_uuid"], 1)
        return Reply(200, b'{"variants": [{"balance": "abc"}]}')

    proxy.on("PUT", MOVE, (applied_then_a_pos_sale, True), times=1)
    move = ("move", "--reason", "sale", "--sku", row["sku"], "--qty", "2", "--format", "json")
    [entry] = json.loads(run_cli(*move).out)
    assert entry["status"] == "UNCONFIRMED"
    refused_only = run_cli("outbox", "--applied", "999999")
    assert refused_only.code != 0 and "999999" in refused_only.err
    settled = run_cli("outbox", "--applied", str(entry["id"]), "--format", "json")
    assert settled.code == 0, settled.err
    assert json.loads(settled.out) == []  # nothing left to settle
    assert proxy.count("PUT", MOVE) == 1  # never sent again
    history = json.loads(run_cli("history", "--format", "json").out)
    assert [h["status"] for h in history if h["id"] == entry["id"]] == ["ACKNOWLEDGED"]
    again = run_cli("outbox", "--applied", str(entry["id"]))
    assert again.code != 0 and "not unconfirmed" in again.err


def test_a_long_paced_read_is_not_cut_off_by_the_timeout(
    sandbox_factory, run_cli, monkeypatch
) -> None:
    """--timeout is for Zettle's answers: the client's own pacing under 4 requests a second (here
    v3 pages of one row, about 20 requests) moves the command's time limit on."""
    shop = sandbox_factory(products=8, api="v3")
    SandboxAdmin(shop).faults(page_cap=1)
    monkeypatch.setenv("ZINV_API_KEY", shop.api_key)
    monkeypatch.setenv("ZINV_BASE_URL", shop.url)
    started = time.monotonic()
    result = run_cli("balances", "--timeout", "1", "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)
    assert time.monotonic() - started > 1.5  # paced past the 1 s limit and its margin, not cut
