"""Stock counts end to end against a real sandbox: scans, drift, commit through the outbox."""

from __future__ import annotations

import csv
import io
import sqlite3

import httpx
import pytest

from tests.support.clients import running_service
from tests.support.sandbox import SandboxAdmin
from zinv_tui.sandbox.server import SandboxInfo
from zinv_tui.service import (
    CountBook,
    CountError,
    CountScope,
    CountStatus,
    DriftNotConfirmed,
    InventoryService,
    OutboxStatus,
    Reason,
    UnknownCode,
    count_book,
)

pytestmark = pytest.mark.timeout(60)


def location_uuid(info: SandboxInfo, kind: str) -> str:
    locations = httpx.get(f"{info.url}/sandbox/info", timeout=10).json()["locations"]
    return next(loc["uuid"] for loc in locations if loc["type"] == kind)


def api_moves(info: SandboxInfo, variant: str) -> list[dict]:
    return SandboxAdmin(info).api_movements(variant)


def stocked(service: InventoryService, minimum: int = 5, count: int = 3) -> list:
    rows = sorted(
        (r for r in service.rows.values() if r.shown_balance >= minimum and r.barcode),
        key=lambda r: r.sku,
    )
    assert len(rows) >= count
    return rows[:count]


async def test_sale_between_counting_and_commit_posts_the_counted_difference(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(products=30, seed=3)
    async with running_service(info, tmp_path) as service:
        book = CountBook(service)
        row = stocked(service)[0]
        balance = row.shown_balance
        session = book.start(scope=CountScope.ADHOC)
        assert session.name.startswith("Count ") and session.name.endswith("ad-hoc")
        for _ in range(3):
            book.scan(session.id, row.barcode)
        line = book.set_count(session.id, row.key, balance - 2)  # two missing on the shelf
        assert line.counted == balance - 2 and line.expected == balance

        SandboxAdmin(info).sale(row.variant_uuid, 1)  # sold while the count is under review
        await service.refresh()
        item = next(i for i in book.review(session.id) if i.key == row.key)
        assert (item.live, item.drift, item.variance) == (balance - 1, -1, -2)

        with pytest.raises(DriftNotConfirmed) as refused:
            await book.commit(session.id)
        assert [i.key for i in refused.value.lines] == [row.key]
        assert book.session(session.id).status is CountStatus.OPEN
        assert not api_moves(info, row.variant_uuid)

        result = await book.commit(session.id, confirm_drift=True)
        assert (result.plan.decreases, result.plan.increases) == (1, 0)
        assert await service.flush(10)
        moves = api_moves(info, row.variant_uuid)
        assert len(moves) == 1 and moves[0]["change"] == 2  # counted - expected, not - live
        assert moves[0]["fromLocationUuid"] == location_uuid(info, "STORE")
        assert moves[0]["toLocationUuid"] == location_uuid(info, "BIN")
        # The sale is kept: today's balance is the count minus what was sold since.
        assert SandboxAdmin(info).store_balances()[row.key] == balance - 2 - 1
        assert book.session(session.id).status is CountStatus.COMMITTED
        entry = service.history(reason=Reason.SET_COUNT)[0]
        assert entry.note == f"count correction: {session.name} (count #{session.id})"
        assert entry.status is OutboxStatus.ACKNOWLEDGED
        assert book.corrections(session.id) == [service.journal.entry(entry.id)]
        with pytest.raises(CountError):
            book.scan(session.id, row.barcode)  # a committed count takes no more scans
        with pytest.raises(CountError):
            await book.commit(session.id, confirm_drift=True)  # and is never posted twice
        book.close()


async def test_pause_and_resume_in_a_new_service(sandbox_factory, tmp_path):
    info = sandbox_factory(products=30, seed=3)
    async with running_service(info, tmp_path) as service:
        book = CountBook(service)
        first, second, _ = stocked(service)
        session = book.start("Back room", blind=True)
        book.scan(session.id, first.barcode)
        book.scan(session.id, first.sku)  # SKU works as well as the barcode
        book.add(session.id, second.key, 12)
        wrong = book.scan(session.id, second.barcode)
        assert wrong.counted == 13
        scans = book.last_scans(session.id)
        assert [s.amount for s in scans] == [1, 12, 1, 1]
        assert book.remove_scan(session.id, scans[0].id).counted == 12
        book.close()  # the SSH session drops here

    async with running_service(info, tmp_path) as service:
        book = CountBook(service)
        [resumed] = book.sessions(CountStatus.OPEN)
        assert (resumed.id, resumed.name, resumed.blind) == (session.id, "Back room", True)
        counted = {line.key: line.counted for line in book.lines(session.id)}
        assert counted == {first.key: 2, second.key: 12}
        book.scan(session.id, first.barcode)
        result = await book.commit(session.id)
        assert await service.flush(10)
        assert result.plan.movements == 2
        balances = SandboxAdmin(info).store_balances()
        assert balances[first.key] == 3 and balances[second.key] == 12
        book.close()


async def test_full_count_leaves_uncounted_alone_unless_asked_to_zero(sandbox_factory, tmp_path):
    info = sandbox_factory(products=12, seed=9)
    async with running_service(info, tmp_path) as service:
        book = CountBook(service)
        counted_row = stocked(service, minimum=2, count=1)[0]
        session = book.start(scope=CountScope.FULL)
        assert session.scope_lines == len(service.rows)
        book.set_count(session.id, counted_row.key, counted_row.shown_balance)  # matches
        uncounted = book.uncounted(session.id)
        assert len(uncounted) == len(service.rows) - 1
        assert all(item.line.counted is None for item in uncounted)  # "—", never 0

        plan = book.plan_commit(session.id)
        assert plan.movements == 0 and plan.unchanged == 1
        assert plan.untouched == len(uncounted)
        nonzero = [item for item in uncounted if item.live]
        zeroing = book.plan_commit(session.id, zero_uncounted=True)
        assert zeroing.zeroed == len(nonzero) and zeroing.untouched == 0
        assert "uncounted set to 0" in zeroing.summary()

        before = SandboxAdmin(info).store_balances()
        await book.commit(session.id)  # default: nothing posted for uncounted
        assert await service.flush(10)
        assert SandboxAdmin(info).store_balances() == before

        again = book.start(scope=CountScope.FULL)
        await book.commit(again.id, zero_uncounted=True)
        assert await service.flush(10)
        after = SandboxAdmin(info).store_balances()
        assert all(after.get(key, 0) == 0 for key in service.rows)
        book.close()


async def test_filtered_unknown_and_blind_rules(sandbox_factory, tmp_path):
    info = sandbox_factory(products=30, seed=3)
    async with running_service(info, tmp_path) as service:
        book = CountBook(service)
        row = stocked(service, count=1)[0]
        word = row.product_name.split()[0]
        session = book.start(scope="filtered", scope_filter=word, blind=True)
        assert session.blind and word in session.name
        assert 1 <= session.scope_lines < len(service.rows)
        with pytest.raises(UnknownCode):
            book.scan(session.id, "0000000000000")
        book.scan(session.id, "\x00" + row.barcode + "\r")  # scanner garbage is stripped
        book.scan(session.id, row.barcode * 2)  # a scan that arrived twice before its Enter
        assert book.unknown_codes(session.id) == [("0000000000000", 1)]
        # Blind only hides the numbers on screen: the expected balance is still recorded.
        assert book.line(session.id, row.key).expected == row.shown_balance
        with pytest.raises(CountError):
            book.start(scope="filtered", scope_filter="no-such-product-anywhere")
        with pytest.raises(CountError):
            book.add(session.id, row.key, 0)
        book.remove_line(session.id, row.key)
        line = book.line(session.id, row.key)  # in scope: stays, uncounted again
        assert line.counted is None and line.expected is None
        book.abandon(session.id)
        assert book.sessions(CountStatus.ABANDONED)[0].id == session.id
        book.close()


async def test_report_csv_and_crash_between_journal_and_close(sandbox_factory, tmp_path):
    info = sandbox_factory(products=30, seed=3)
    async with running_service(info, tmp_path) as service:
        book = CountBook(service)
        row = stocked(service, count=1)[0]
        session = book.start("=evil name")
        book.add(session.id, row.key, row.shown_balance + 4)
        report = tmp_path / "count.csv"
        assert book.export_csv(session.id, report) == 1
        [line] = list(csv.DictReader(report.open(encoding="utf-8")))
        assert line["count_name"] == "'=evil name"
        assert (line["expected_at_count"], line["variance"]) == (str(row.shown_balance), "4")
        stream = io.StringIO()  # the report as a browser download
        assert book.export_csv(session.id, stream) == 1
        assert stream.getvalue() == report.read_bytes().decode("utf-8")

        # A crash after the corrections were journaled, before the count was closed:
        plan = book.plan_commit(session.id)
        book._store.set_status(session.id, "committing", ["open"])
        await service.record(plan.intents)
        result = await book.commit(session.id)
        assert result.session.status is CountStatus.COMMITTED and len(result.entries) == 1
        assert await service.flush(10)
        [move] = api_moves(info, row.variant_uuid)  # not posted twice
        assert move["change"] == 4 and move["fromLocationUuid"] == location_uuid(info, "SUPPLIER")
        assert move["toLocationUuid"] == location_uuid(info, "STORE")
        book.close()


async def test_two_counters_on_one_count_add_up(sandbox_factory, tmp_path):
    """Two processes (here two books on the same file) scanning the same count: scans add up."""
    info = sandbox_factory(products=20, seed=3)
    async with running_service(info, tmp_path) as service:
        row = stocked(service, count=1)[0]
        ana, ben = CountBook(service), CountBook(service)
        session = ana.start("Shared")
        ana.scan(session.id, row.barcode)
        ben.scan(session.id, row.barcode)
        ben.add(session.id, row.key, 5)
        assert ana.line(session.id, row.key).counted == 7
        assert len(ana.last_scans(session.id)) == 3
        ana.close()
        ben.close()


async def test_the_service_s_count_book_closes_on_stop(sandbox, tmp_path):
    """``count_book(service)`` shares the service's life: ``stop()`` closes its connection."""
    async with running_service(sandbox, tmp_path) as service:
        book = count_book(service)
        assert count_book(service) is book
        session = book.start("Before the stop")
        assert [s.id for s in book.sessions()] == [session.id]
    with pytest.raises(sqlite3.ProgrammingError):
        book.sessions()
    with pytest.raises(sqlite3.ProgrammingError):  # asked for later: closed at once, none leaks
        count_book(service).sessions()


async def test_outside_scope_committed_review_and_unknown_codes_in_the_report(
    sandbox_factory, tmp_path
):
    info = sandbox_factory(products=30, seed=3)
    async with running_service(info, tmp_path) as service:
        book = CountBook(service)
        inside = stocked(service, count=1)[0]
        word = inside.product_name
        other = next(r for r in service.rows.values() if word not in r.product_name)
        session = book.start(scope="filtered", scope_filter=word)
        assert not book.outside_scope(session.id, inside.key)
        assert book.outside_scope(session.id, other.key)  # not on the shelf: the UI asks
        adhoc = book.start("anything goes")
        assert not book.outside_scope(adhoc.id, other.key)

        book.set_count(session.id, inside.key, inside.shown_balance + 3)
        with pytest.raises(UnknownCode):
            book.scan(session.id, "1234567890123")
        with pytest.raises(UnknownCode):
            book.scan(session.id, "1234567890123")
        await book.commit(session.id)
        assert await service.flush(10)
        await service.refresh()
        [item] = [item for item in book.review(session.id) if item.line.is_counted]
        assert item.live == inside.shown_balance + 3  # the correction is in the live balance
        assert item.drift is None and not item.has_drift  # ...and is not shown as drift

        report = tmp_path / "count.csv"
        assert book.export_csv(session.id, report) == session.scope_lines + 1
        rows = list(csv.DictReader(report.open(encoding="utf-8")))
        unknown = [row for row in rows if row["counted_yes_no"] == "unknown code"]
        assert [(row["barcode"], row["counted"]) for row in unknown] == [("1234567890123", "2")]
        book.close()
