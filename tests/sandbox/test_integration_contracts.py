"""The exact requests production Zettle integrations send are accepted (issue 8 item 15), and the
sandbox stays strict where Zettle documents strictness.

Requests are rebuilt from the integrations' source:
- Shopware PayPal POS (``shopware/SwagPayPal``): ``src/Pos/Client/TokenClient.php`` (``token/``,
  its partner ``client_id``, ``X-iZettle-Application-Id``), ``src/Pos/Api/PosRequestUri.php``
  (resource paths with trailing slashes), ``src/Pos/Api/Inventory/BulkChanges*.php``.
- nopCommerce (``nopSolutions/nopCommerce``, ``src/Plugins/Nop.Plugin.Misc.Zettle``):
  ``Services/ZettleHttpClient.cs`` (partner ``client_id``, headers, a ``{}`` JSON body even on
  GETs), ``Domain/Api/Inventory/*.cs`` (paths), ``Services/ZettleService.cs``
  (``"variantChanges": null`` for a product without stock when tracking starts).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest

from tests.sandbox.raw_http import GRANT, Shop, authed_client, read_shop
from zinv_tui.sandbox.server import SandboxInfo

pytestmark = pytest.mark.timeout(60)

SHOPWARE_CLIENT_ID = "456dadab-3085-4fa3-bf2b-a2efd01c3593"
"""``SwagPayPal::POS_PARTNER_CLIENT_ID``: sent as ``client_id`` and X-iZettle-Application-Id."""
NOPCOMMERCE_CLIENT_ID = "f4954821-e7e4-4fca-854e-e36060b5748d"
"""``ZettleDefaults.PartnerHeader.Value``: the same for both."""

SHOPWARE_HEADERS = {"User-Agent": "GuzzleHttp/7", "X-iZettle-Application-Id": SHOPWARE_CLIENT_ID}
NOPCOMMERCE_HEADERS = {
    "User-Agent": "nopCommerce-4.70.0",
    "Accept": "application/json",
    "X-iZettle-Application-Id": NOPCOMMERCE_CLIENT_ID,
}
NOP_JSON = "application/json; charset=utf-8"


def _payload(jwt: str) -> dict:
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _shopware_token(info: SandboxInfo) -> httpx.Response:
    """``TokenClient::getToken``: Guzzle ``form_params`` to ``token/``."""
    form = {"grant_type": GRANT, "client_id": SHOPWARE_CLIENT_ID, "assertion": info.api_key}
    return httpx.post(
        f"{info.url}/token/",
        content=urlencode(form),
        headers={**SHOPWARE_HEADERS, "Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )


def _nopcommerce_token(info: SandboxInfo) -> httpx.Response:
    """``ZettleHttpClient.GetAccessTokenAsync``: ``FormUrlEncodedContent`` to ``token``."""
    form = {"assertion": info.api_key, "client_id": NOPCOMMERCE_CLIENT_ID, "grant_type": GRANT}
    return httpx.post(
        f"{info.url}/token",
        content=urlencode(form),
        headers={**NOPCOMMERCE_HEADERS, "Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )


@pytest.mark.parametrize(
    ("sign_in", "client_id"),
    [(_shopware_token, SHOPWARE_CLIENT_ID), (_nopcommerce_token, NOPCOMMERCE_CLIENT_ID)],
    ids=["shopware", "nopcommerce"],
)
def test_partner_sign_in_gets_the_keys_organization(
    sandbox: SandboxInfo, sign_in, client_id: str
) -> None:
    answer = sign_in(sandbox)
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    payload = _payload(token)
    assert payload["organizationUuid"] == sandbox.organization_uuid  # the key decides
    assert payload["client_id"] == client_id  # the partner the changes are attributed to
    assert set(payload["scope"]) == {"READ:PRODUCT", "WRITE:PRODUCT", "READ:PURCHASE"}  # the key's
    own = httpx.get(
        f"{sandbox.url}/organizations/{sandbox.organization_uuid}/locations",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert own.status_code == 200


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"client_id": ""}, "invalid_request"),
        ({"client_id": None}, "invalid_request"),
        ({"client_id": "shopware"}, "invalid_client"),
        ({"assertion": "eyJhbGciOiJub25lIn0.eyJjbGllbnRfaWQiOiJ4In0.c2ln"}, "invalid_grant"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
    ],
    ids=["empty-client-id", "no-client-id", "client-id-not-a-uuid", "foreign-key", "grant"],
)
def test_token_endpoint_stays_strict_where_zettle_is(
    sandbox: SandboxInfo, fields: dict, error: str
) -> None:
    form = {"grant_type": GRANT, "client_id": SHOPWARE_CLIENT_ID, "assertion": sandbox.api_key}
    form.update(fields)
    form = {k: v for k, v in form.items() if v is not None}
    for path in ("/token", "/token/"):
        answer = httpx.post(f"{sandbox.url}{path}", data=form, timeout=10)
        assert answer.status_code == 400
        assert answer.json()["error"] == error


@pytest.fixture
def shopware(sandbox_factory) -> Iterator[tuple[SandboxInfo, httpx.Client, Shop]]:
    info = sandbox_factory(products=30, seed=11)
    token = _shopware_token(info).json()["access_token"]
    headers = {**SHOPWARE_HEADERS, "Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=info.url, headers=headers, timeout=30) as client:
        with authed_client(info) as plain:
            shop = read_shop(plain)
        yield info, client, shop


def test_shopware_inventory_sync(shopware) -> None:
    """Locations, the STORE balance by UUID, a bulk start-tracking with stock, product reads:
    every path with the trailing slash Shopware puts on it."""
    _, client, shop = shopware
    locations = client.get("/organizations/self/locations/")
    assert locations.status_code == 200
    store = next(item["uuid"] for item in locations.json() if item["type"] == "STORE")
    status = client.get(f"/organizations/self/inventory/locations/{store}/")
    assert status.status_code == 200 and status.json()["locationUuid"] == store
    product = shop.untracked()[0]
    variant = shop.variants(product)[0]
    bulk = client.post(
        "/organizations/self/v2/inventory/bulk/",
        json={
            "returnBalanceForLocationUuid": store,
            "productChanges": [
                {
                    "productUuid": product,
                    "trackingStatusChange": "START_TRACKING",
                    "variantChanges": [
                        {
                            "productUuid": product,
                            "variantUuid": variant,
                            "fromLocationUuid": shop.locations["SUPPLIER"],
                            "toLocationUuid": store,
                            "change": 5,
                        }
                    ],
                }
            ],
        },
    )
    assert bulk.status_code == 200, bulk.text
    assert {"productUuid": product, "variantUuid": variant, "balance": 5} in bulk.json()["variants"]
    assert client.get("/organizations/self/products/v2/").status_code == 200
    count = client.get("/organizations/self/products/v2/count/")
    assert count.status_code == 200 and count.json()["productCount"] == len(shop.products)
    one = client.get(f"/organizations/self/products/{product}/")
    assert one.status_code == 200 and one.json()["uuid"] == product


@pytest.fixture
def nopcommerce(sandbox_factory) -> Iterator[tuple[SandboxInfo, httpx.Client, Shop]]:
    info = sandbox_factory(products=60, seed=12)
    token = _nopcommerce_token(info).json()["access_token"]
    headers = {**NOPCOMMERCE_HEADERS, "Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=info.url, headers=headers, timeout=30) as client:
        with authed_client(info) as plain:
            shop = read_shop(plain)
        yield info, client, shop


def test_nopcommerce_start_tracking_with_null_variant_changes(nopcommerce) -> None:
    """``ImportInventoryTrackingAsync``: GETs carry a ``{}`` JSON body; the bulk request has
    ``"variantChanges": null`` for a product without stock and a list for one with stock."""
    info, client, shop = nopcommerce
    json_body = {"content": b"{}", "headers": {"Content-Type": NOP_JSON}}
    balances = client.request(
        "GET", "/organizations/self/inventory/locations?type=store", **json_body
    )
    assert balances.status_code == 200, balances.text
    locations = client.request("GET", "/organizations/self/locations", **json_body).json()
    by_type = {item["type"].upper(): item["uuid"] for item in locations}
    empty, stocked = shop.untracked()[:2]
    variant = shop.variants(stocked)[0]
    external = str(uuid.uuid1())
    body = {
        "productChanges": [
            {
                "productUuid": empty,
                "trackingStatusChange": "START_TRACKING",
                "variantChanges": None,
            },
            {
                "productUuid": stocked,
                "trackingStatusChange": "START_TRACKING",
                "variantChanges": [
                    {
                        "fromLocationUuid": by_type["SUPPLIER"],
                        "toLocationUuid": by_type["STORE"],
                        "variantUuid": variant,
                        "change": 7,
                    }
                ],
            },
        ],
        "returnBalanceForLocationUuid": by_type["STORE"],
        "externalUuid": external,
    }
    answer = client.post(
        "/organizations/self/v2/inventory/bulk",
        content=json.dumps(body),
        headers={"Content-Type": NOP_JSON},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["variants"] == [
        {"productUuid": stocked, "variantUuid": variant, "balance": 7}
    ]
    tracked = client.request(
        "GET", "/organizations/self/inventory/locations?type=store", **json_body
    ).json()["trackedProducts"]
    assert {empty, stocked} <= set(tracked)
    ledger = httpx.get(f"{info.url}/sandbox/ledger").json()
    assert [row["externalUuid"] for row in ledger if row["source"] == "api"] == [external]


@pytest.mark.parametrize(
    "body",
    [
        {"productChanges": None},
        {"productChanges": [{"productUuid": "P", "variantChanges": "none"}]},
        {"productChanges": [{"productUuid": "P", "variantChanges": [None]}]},
    ],
    ids=["null-product-changes", "variant-changes-text", "null-variant-change"],
)
def test_bulk_stays_strict_about_everything_else(api: httpx.Client, session_shop, body) -> None:
    text = json.dumps(body).replace('"P"', json.dumps(session_shop.tracked[0]))
    answer = api.post(
        "/organizations/self/v2/inventory/bulk",
        content=text,
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["errorType"] == "VALIDATION_ERROR"


def test_put_changes_null_is_still_refused(api: httpx.Client) -> None:
    answer = api.put("/organizations/self/inventory", json={"changes": None})
    assert answer.status_code == 400
