"""The local sales history: backfill, incremental reads, idempotent merges, refunds, stock marks."""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.sandbox.raw_http import authed_client
from tests.support.clients import make_client
from tests.support.sandbox import SandboxAdmin
from zinv_tui.service.reorder_db import ReorderDbError, open_reorder_db
from zinv_tui.service.sales_history import SalesHistory

pytestmark = pytest.mark.timeout(120)

LONDON = ZoneInfo("Europe/London")


def _all_purchases(info) -> list[dict]:
    """Every receipt, read with plain HTTP (the truth to compare the history with)."""
    with authed_client(info) as client:
        found, query = [], {"limit": 1000}
        while True:
            page = client.get("/purchases/v2", params=query).json()
            if not page["purchases"]:
                return found
            found += page["purchases"]
            query["lastPurchaseHash"] = page["lastPurchaseHash"]


def _expected_days(purchases: list[dict], zone) -> dict[tuple[str, int], list[float]]:
    """``(variant, day) -> [sold, refunded]`` worked out independently from the raw receipts."""
    day_of = {}
    expected: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for purchase in purchases:
        moment = datetime.fromisoformat(purchase["timestamp"]).astimezone(zone)
        day_of[purchase["purchaseUUID1"]] = moment.date().toordinal()
    for purchase in purchases:
        for row in purchase["products"]:
            if row["type"] != "PRODUCT":
                continue
            if purchase["refund"]:
                day = day_of[purchase["refundsPurchaseUUID1"]]
                expected[(row["variantUuid"], day)][1] += -float(row["quantity"])
            else:
                day = day_of[purchase["purchaseUUID1"]]
                expected[(row["variantUuid"], day)][0] += float(row["quantity"])
    return expected


def _stored_days(history_db: sqlite3.Connection) -> dict[tuple[str, int], list[float]]:
    return {
        (variant, day): [sold, refunded]
        for variant, day, sold, refunded in history_db.execute(
            "SELECT variant_uuid, day, sold, refunded FROM daily_sales"
        )
    }


def _purchase(info, lines, when: datetime | None = None, created: datetime | None = None) -> dict:
    body: dict = {"lines": [{"variantUuid": v, "quantity": q} for v, q in lines]}
    if when is not None:
        body["timestamp"] = when.astimezone(UTC).isoformat()
    if created is not None:
        body["created"] = created.astimezone(UTC).isoformat()
    answer = httpx.post(f"{info.url}/sandbox/purchases", json=body, timeout=10)
    answer.raise_for_status()
    return answer.json()


def _refund(info, purchase_uuid: str, lines: dict[str, int]) -> dict:
    answer = httpx.post(
        f"{info.url}/sandbox/purchases/refund",
        json={"purchaseUuid": purchase_uuid, "lines": lines},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()


def _purchase_settings(info, **knobs) -> None:
    SandboxAdmin(info).purchase_settings(**knobs)


def _variants(info, count: int) -> list[str]:
    catalogue = SandboxAdmin(info).ledger()
    seen = []
    for move in catalogue:
        if move["variantUuid"] not in seen:
            seen.append(move["variantUuid"])
    return seen[:count]


@pytest.fixture
def history_for(tmp_path: Path):
    """``history_for(client, **options)``: a SalesHistory on a fresh reorder.sqlite."""
    made = []

    def build(client, path: Path | None = None, **options) -> SalesHistory:
        db = open_reorder_db(path or tmp_path / "reorder.sqlite")
        made.append(db)
        options.setdefault("zone", LONDON)
        zone = options.pop("zone")
        return SalesHistory(db, client.purchases if client else None, zone, **options)

    yield build
    for db in made:
        db.close()


async def test_the_backfill_holds_every_receipt_day_by_day(sandbox_factory, history_for) -> None:
    info = sandbox_factory(products=60, history_days=20)
    async with make_client(info) as client:
        history = history_for(client)
        result = await history.refresh()
    purchases = _all_purchases(info)
    assert result.new_receipts == len(purchases) and result.skipped == 0
    stored = _stored_days(history._db)
    expected = _expected_days(purchases, LONDON)
    assert stored.keys() == expected.keys()
    for key, (sold, refunded) in expected.items():
        assert stored[key] == pytest.approx([sold, refunded]), key
    trading = history.trading_days(0, 10**7)
    assert len(trading) == len(
        {
            datetime.fromisoformat(p["timestamp"]).astimezone(LONDON).date()
            for p in purchases
            if not p["refund"]
        }
    )


async def test_a_refresh_with_nothing_new_costs_at_most_two_requests(
    sandbox_factory, history_for
) -> None:
    info = sandbox_factory(products=60, history_days=20)
    async with make_client(info) as client:
        history = history_for(client)
        await history.refresh()
        before = client.stats.requests
        assert (await history.refresh()).new_receipts == 0
        assert client.stats.requests - before == 1  # one empty page
    async with make_client(info) as fresh:  # another run: a sign-in and one empty page
        again = history_for(fresh)
        assert (await again.refresh()).new_receipts == 0
        assert fresh.stats.requests <= 2


async def test_new_sales_are_added_once_however_often_they_are_read(
    sandbox_factory, history_for
) -> None:
    info = sandbox_factory(products=40, history_days=3)
    (variant,) = _variants(info, 1)
    async with make_client(info) as client:
        history = history_for(client)
        await history.refresh()
        before = _stored_days(history._db)
        made = _purchase(info, [(variant, 2)])
        assert (await history.refresh()).new_receipts == 1
        assert (await history.refresh()).new_receipts == 0
        page = await client.purchases.page(limit=1000)
        assert history.record_purchases(page.purchases) == 0  # a re-read changes nothing
    day = datetime.fromisoformat(made["timestamp"]).astimezone(LONDON).date().toordinal()
    after = _stored_days(history._db)
    assert after[(variant, day)][0] == before.get((variant, day), [0.0])[0] + 2


async def test_overlapping_pages_are_merged_without_double_counting(
    sandbox_factory, history_for
) -> None:
    info = sandbox_factory(products=200, history_days=12)
    _purchase_settings(info, duplicate_boundary=True)
    async with make_client(info) as client:
        history = history_for(client)
        result = await history.refresh()
    _purchase_settings(info, duplicate_boundary=False)
    purchases = _all_purchases(info)
    assert result.pages >= 2  # so some page started with the previous page's last receipt
    assert result.new_receipts == len(purchases)
    expected = _expected_days(purchases, LONDON)
    stored = _stored_days(history._db)
    assert sum(s for s, _ in stored.values()) == pytest.approx(sum(s for s, _ in expected.values()))


async def test_a_late_upload_behind_the_cursor_is_found_by_the_daily_recheck(
    sandbox_factory, history_for
) -> None:
    info = sandbox_factory(products=40, history_days=2)
    first, second = _variants(info, 2)
    now = datetime.now(UTC)
    _purchase(info, [(first, 1)], when=now)
    async with make_client(info) as client:
        history = history_for(client)
        await history.refresh()
        late = _purchase(info, [(second, 3)], when=now - timedelta(hours=5))  # behind the cursor
        assert (await history.refresh()).new_receipts == 0
        tomorrow = history_for(client, clock=lambda: time.time() + 86_400)
        result = await tomorrow.refresh()
    assert result.rechecked and result.new_receipts == 1
    day = datetime.fromisoformat(late["timestamp"]).astimezone(LONDON).date().toordinal()
    assert _stored_days(history._db)[(second, day)][0] >= 3


async def test_refunds_land_on_their_sales_day_or_stay_unmatched(
    sandbox_factory, history_for
) -> None:
    info = sandbox_factory(products=40)
    variant, other = _variants(info, 2)
    now = datetime.now(UTC)
    five_days_ago = now - timedelta(days=5)
    sale = _purchase(info, [(variant, 4)], when=five_days_ago)
    old = _purchase(info, [(other, 2)], when=now - timedelta(days=120))  # before the backfill
    async with make_client(info) as client:
        history = history_for(client, backfill_days=90)
        await history.refresh()
        _refund(info, sale["purchaseUUID1"], {variant: 1})
        _refund(info, old["purchaseUUID1"], {other: 1})
        assert (await history.refresh()).new_receipts == 2
    sale_day = five_days_ago.astimezone(LONDON).date().toordinal()
    today = now.astimezone(LONDON).date().toordinal()
    assert _stored_days(history._db)[(variant, sale_day)] == [4.0, 1.0]
    assert (other, today) not in _stored_days(history._db)
    assert history.unmatched_refunds(today, today) == {other: 1.0}


def test_a_day_is_out_only_if_every_observation_saw_it_out(history_for) -> None:
    clock = [datetime(2026, 5, 4, 9, tzinfo=UTC).timestamp()]
    history = history_for(None, clock=lambda: clock[0])
    today = history.today()
    history.observe_stock({"a": 0, "b": 5, "c": -2})
    history.observe_stock({"a": 3, "b": 0, "c": 0})  # a came back; b ran out after being seen in
    assert history.out_of_stock_marks(today, today) == {"c": {today}}
    assert history.observed_days(today, today) == [today]
    clock[0] += 86_400
    history.observe_stock({"a": 0, "b": 0, "c": 0})
    assert history.out_of_stock_marks(today, today + 1) == {
        "a": {today + 1},
        "b": {today + 1},
        "c": {today, today + 1},
    }


def test_a_changed_time_zone_rebuilds_the_history(tmp_path: Path, history_for) -> None:
    path = tmp_path / "zone.sqlite"
    history = history_for(None, path=path)
    history._db.execute("INSERT INTO shop_days VALUES (1, 1, 0)")
    history._set_meta("sales.anchor_start", "0")
    same = history_for(None, path=path)
    assert same.trading_days(0, 5) == [1]
    moved = history_for(None, path=path, zone=ZoneInfo("Asia/Tokyo"))
    assert moved.trading_days(0, 5) == [] and moved._meta("sales.anchor_start") is None


def test_the_file_is_private_versioned_and_refused_from_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "state" / "reorder.sqlite"
    db = open_reorder_db(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    db.close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    with pytest.raises(ReorderDbError, match="newer"):
        open_reorder_db(path)
