"""Every read of the client against the shared sandbox (real loopback HTTP, no state changed)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.clients import by_type, raw_store_balances
from zinv_tui.api import NotFound, PermissionDenied, RequestRejected
from zinv_tui.api.models import LocationType

pytestmark = pytest.mark.timeout(60)


async def test_token_info_names_the_organization_client_and_scopes(sandbox, clients) -> None:
    client = clients(sandbox)
    info = await client.fetch_token_info()
    assert str(info.organization_uuid) == sandbox.organization_uuid
    assert info.client_id == sandbox.client_id
    assert set(info.scopes) >= {"READ:PRODUCT", "WRITE:PRODUCT"}
    now = datetime.now(UTC)
    assert now + timedelta(seconds=7000) < info.expires_at <= now + timedelta(seconds=7201)
    assert client.stats.token_requests == 1
    shown = f"{info!r} {client!r} {client.stats!r}"
    assert sandbox.api_key not in shown


async def test_locations_are_the_four_system_locations(sandbox, clients) -> None:
    locations = await clients(sandbox).get_locations()
    assert sorted(location.type.value for location in locations) == [
        "BIN",
        "SOLD",
        "STORE",
        "SUPPLIER",
    ]
    assert [location.type for location in locations if location.default] == [LocationType.STORE]


async def test_store_balances_every_way_agree(sandbox, clients) -> None:
    client = clients(sandbox)
    locations = by_type(await client.get_locations())
    store = locations[LocationType.STORE]
    balances = await client.get_store_balances()
    assert balances.location_uuid == store
    assert balances.variants and balances.tracked_products
    assert isinstance(balances.latest, int)
    assert all(variant.balance != 0 for variant in balances.variants)  # documented: non-zero only
    tracked = set(balances.tracked_products)
    assert {variant.product_uuid for variant in balances.variants} <= tracked
    as_set = {(v.variant_uuid, v.balance) for v in balances.variants}
    by_location = await client.get_location_balances(store)
    by_kind = await client.get_balances_by_type(LocationType.STORE)
    by_kind_lower = await client.get_balances_by_type("store")
    for other in (by_location, by_kind, by_kind_lower):
        assert {(v.variant_uuid, v.balance) for v in other.variants} == as_set


async def test_raw_store_balances_are_the_documented_get_shape(sandbox, clients) -> None:
    client = clients(sandbox)
    parsed = await client.get_store_balances()
    raw = json.loads(await raw_store_balances(client))
    assert set(raw) >= {"locationUuid", "trackedProducts", "variants", "latest"}
    row = raw["variants"][0]
    assert set(row) >= {"locationUuid", "locationType", "productUuid", "variantUuid", "balance"}
    assert all(isinstance(item["balance"], str) for item in raw["variants"])  # GET: strings
    assert len(raw["variants"]) == len(parsed.variants)


async def test_since_latest_gives_an_empty_change_feed(sandbox, clients) -> None:
    client = clients(sandbox)
    full = await client.get_store_balances()
    quiet = await client.get_store_balances(since=full.latest)
    assert quiet.variants == []
    assert quiet.latest == full.latest


async def test_balances_for_products_filter_and_one_product(sandbox, clients) -> None:
    client = clients(sandbox)
    store = by_type(await client.get_locations())[LocationType.STORE]
    balances = await client.get_store_balances()
    wanted = sorted({v.product_uuid for v in balances.variants})[:2]
    subset = await client.get_balances_for_products(wanted)
    assert {v.product_uuid for v in subset.variants} == set(wanted)
    expected = {(v.variant_uuid, v.balance) for v in balances.variants if v.product_uuid in wanted}
    assert {(v.variant_uuid, v.balance) for v in subset.variants} == expected
    one = await client.get_product_balance(store, wanted[0])
    assert {v.product_uuid for v in one.variants} == {wanted[0]}
    assert all(v.location_uuid == store for v in one.variants)
    sold = await client.get_balances_for_products(wanted, location_type="SOLD")
    assert sold.location_uuid == by_type(await client.get_locations())[LocationType.SOLD]


async def test_products_with_etag(sandbox, clients) -> None:
    client = clients(sandbox)
    page = await client.get_products()
    assert page.products and len(page.products) == 300 and not page.not_modified
    assert page.etag
    assert all(product.variants for product in page.products)
    assert any(variant.name for product in page.products for variant in product.variants)
    again = await client.get_products(etag=page.etag)
    assert again.not_modified and again.products is None and again.etag == page.etag
    changed = await client.get_products(etag='"stale"')
    assert not changed.not_modified and changed.products


async def test_balances_refer_to_catalogue_products(sandbox, clients) -> None:
    client = clients(sandbox)
    page = await client.get_products()
    assert page.products is not None
    variants = {variant.uuid for product in page.products for variant in product.variants}
    balances = await client.get_store_balances()
    assert {v.variant_uuid for v in balances.variants} <= variants


async def test_low_stock_levels_read(sandbox, clients) -> None:
    client = clients(sandbox)
    store = by_type(await client.get_locations())[LocationType.STORE]
    levels = await client.get_low_stock_levels(store)
    assert levels.location_uuid == store
    assert levels.custom_low_stock_levels_for_products  # demo data sets some
    first = levels.custom_low_stock_levels_for_products[0]
    product = await client.get_product_low_stock_levels(store, first.product_uuid)
    assert product.product_uuid == first.product_uuid
    assert product.custom_low_stock_level_for_variants == first.custom_low_stock_level_for_variants


async def test_organization_by_uuid_and_someone_elses(sandbox, clients) -> None:
    own = clients(sandbox, organization=sandbox.organization_uuid)
    assert len(await own.get_locations()) == 4
    stranger = clients(sandbox, organization=str(uuid.uuid1()))
    with pytest.raises(PermissionDenied) as caught:
        await stranger.get_locations()
    assert "organization" in str(caught.value)
    with pytest.raises(ValueError):
        clients(sandbox, organization="not-an-org")


async def test_unknown_things_are_not_found_or_rejected(sandbox, clients) -> None:
    client = clients(sandbox)
    with pytest.raises((NotFound, RequestRejected)) as caught:
        await client.get_location_balances(uuid.uuid1())
    assert caught.value.status in (400, 404)
    assert caught.value.developer_message
    with pytest.raises(ValueError):
        await client.get_location_balances("../../sandbox/info")


async def test_a_pasted_key_with_spaces_and_newline_works(sandbox) -> None:
    from zinv_tui.api import ApiEndpoints, ZettleClient

    pasted = f"  {sandbox.api_key}\n"
    async with ZettleClient(pasted, endpoints=ApiEndpoints.single(sandbox.url)) as client:
        assert len(await client.get_locations()) == 4


async def test_stats_count_what_went_over_the_wire(sandbox, clients) -> None:
    client = clients(sandbox)
    await client.get_locations()
    before = client.stats.snapshot()
    body = await raw_store_balances(client)
    spent = client.stats - before
    assert (spent.requests, spent.retries, spent.token_requests) == (1, 0, 0)
    assert spent.bytes_received > len(body) > 0  # body plus status line and headers
    assert 200 < spent.bytes_sent < 2000  # request line, headers with the bearer token, no body


async def test_the_connection_pool_is_made_by_the_first_request_and_gone_after_close(
    sandbox, clients
) -> None:
    """A launch painting from its snapshot makes no pool (TLS context, CA bundle) before it
    paints: the client makes it on its first request; once closed, no request goes out."""
    client = clients(sandbox)
    assert client._pipeline._http_client is None
    await client.get_locations()
    assert client._pipeline._http_client is not None
    await client.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await client.get_locations()
