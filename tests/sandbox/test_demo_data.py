"""Demo data: deterministic per seed, believable (options, SKUs, valid EAN-13s, stock, low-stock
levels, most products tracked), reusable from a database file, and big enough."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.sandbox.raw_http import authed_client
from zinv_tui.sandbox.demo_data import MARKUP_PRODUCT_NAME, generate_shop
from zinv_tui.sandbox.ids import ean13, ean13_check_digit, is_valid_ean13
from zinv_tui.sandbox.server import SandboxConfig, SandboxServer
from zinv_tui.sandbox.store import LedgerStore

pytestmark = pytest.mark.timeout(120)


def test_ean13_check_digits() -> None:
    assert ean13("400638133393") == "4006381333931"  # a well-known real EAN
    assert ean13_check_digit("978030640615") == 7
    assert is_valid_ean13("9780306406157")
    assert not is_valid_ean13("9780306406158")
    assert not is_valid_ean13("978030640615")
    with pytest.raises(ValueError):
        ean13_check_digit("12345")


def test_same_seed_same_shop_different_seed_different_shop() -> None:
    first, second, other = generate_shop(120, 3), generate_shop(120, 3), generate_shop(120, 4)
    assert first == second
    assert first.organization_uuid != other.organization_uuid
    assert [p.name for p in first.products] != [p.name for p in other.products]
    assert generate_shop(5, 3).organization_uuid == first.organization_uuid


def test_shop_is_believable() -> None:
    shop = generate_shop(300, 1)
    products = shop.products
    variants = [v for p in products for v in p.variants]
    tracked = [p for p in products if p.tracked]
    assert 0.8 < len(tracked) / len(products) < 0.97
    assert len(variants) > 1.8 * len(products)
    assert len({p.name for p in products}) == len(products)
    assert MARKUP_PRODUCT_NAME in {p.name for p in products}
    assert {name for v in variants for name, _ in v.options} == {"Size", "Colour"}
    assert any(len(v.options) == 2 for v in variants)
    assert len({v.sku for v in variants}) == len(variants)
    barcodes = [v.barcode for v in variants if v.barcode]
    assert all(is_valid_ean13(code) for code in barcodes)
    assert len(set(barcodes)) == len(barcodes)
    stock = [v.opening_balance for p in tracked for v in p.variants]
    assert 0 in stock
    assert any(1 <= n <= 3 for n in stock)
    assert max(stock) > 40
    assert all(v.opening_balance == 0 for p in products if not p.tracked for v in p.variants)
    with_levels = [v for v in variants if v.low_stock_level is not None]
    assert len(with_levels) > 20
    assert any(v.low_stock_alert for v in with_levels)
    assert any(v.low_stock_alert and v.low_stock_level is None for v in variants)


def test_opening_balances_are_ledger_movements(sandbox_factory) -> None:
    info = sandbox_factory(products=25, seed=2)
    ledger = httpx.get(f"{info.url}/sandbox/ledger").json()
    shop = generate_shop(25, 2)
    stocked = {v.uuid: v.opening_balance for p in shop.products for v in p.variants}
    assert {row["variantUuid"]: row["change"] for row in ledger} == {
        uuid: n for uuid, n in stocked.items() if n
    }
    locations = {loc.type: loc.uuid for loc in shop.locations}
    assert all(row["fromLocationUuid"] == locations["SUPPLIER"] for row in ledger)
    assert all(row["toLocationUuid"] == locations["STORE"] for row in ledger)
    with authed_client(info) as client:
        balances = {
            v["variantUuid"]: v["balance"] for v in client.get("/inventory").json()["variants"]
        }
    assert balances == {uuid: str(n) for uuid, n in stocked.items() if n}
    seqs = httpx.get(f"{info.url}/sandbox/ledger", params={"since_seq": ledger[-3]["seq"]}).json()
    assert [row["seq"] for row in seqs] == [row["seq"] for row in ledger[-2:]]


def test_database_file_is_reused(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    with (
        SandboxServer(SandboxConfig(products=20, seed=8, db_path=db)) as info,
        authed_client(info) as client,
    ):
        first_key = info.api_key
        sale = httpx.post(f"{info.url}/sandbox/sales", json={"count": 1}).json()["sales"][0]
        after_sale = client.get("/inventory").json()
    # Reopening with other generator settings keeps the stored shop (no regeneration).
    with (
        SandboxServer(SandboxConfig(products=500, seed=99, db_path=db)) as info,
        authed_client(info) as client,
    ):
        assert info.api_key == first_key
        assert client.get("/inventory").json() == after_sale
        assert client.get("/organizations/self/products/v2/count").json()["productCount"] == 20
        ledger = httpx.get(f"{info.url}/sandbox/ledger").json()
    assert ledger[-1]["variantUuid"] == sale["variantUuid"]
    assert ledger[-1]["source"] == "pos"
    assert ledger[-1]["externalUuid"] is None


@pytest.mark.slow
def test_fifty_thousand_variants_generate_and_load_in_seconds() -> None:
    """Prints the times; tight figures belong to tests/benchmarks/bench_sandbox.py."""
    started = time.perf_counter()
    shop = generate_shop(20_000, 1)
    generated = time.perf_counter() - started
    store = LedgerStore(None)
    store.load_shop(shop, 20_000)
    loaded = time.perf_counter() - started - generated
    variants = sum(len(p.variants) for p in shop.products)
    print(
        f"\n20,000 products / {variants:,} variants: generated in {generated:.2f} s, "
        f"loaded in {loaded:.2f} s"
    )
    assert variants >= 50_000
    assert store.counts() == (20_000, variants)
    assert generated + loaded < 60  # generous: only catches a pathological slowdown


def test_same_seed_gives_the_same_key_across_servers(sandbox_factory) -> None:
    first = sandbox_factory(products=3, seed=12)
    second = sandbox_factory(products=3, seed=12)
    assert (first.api_key, first.client_id, first.organization_uuid) == (
        second.api_key,
        second.client_id,
        second.organization_uuid,
    )
