"""Raw httpx helpers for the v3 tests: follow ``Link`` verbatim, read balances both ways."""

from __future__ import annotations

import re

import httpx

LINK = re.compile(r'^<(https?://[^<>;, ]+)>; rel="next"$')


def next_url(answer: httpx.Response) -> str | None:
    """The URL of ``Link: <url>; rel="next"``, exactly as given; None on the last page."""
    header = answer.headers.get("link")
    if header is None:
        return None
    match = LINK.match(header)
    assert match, f"not a single absolute next link: {header!r}"
    return match.group(1)


def read_all(client: httpx.Client, path: str, **params: object) -> tuple[list[dict], int]:
    """Every row of a v3 list, following ``Link`` to the end; and the number of pages."""
    answer = client.get(path, params=params)
    rows, pages = [], 1
    while True:
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert isinstance(page, list)
        rows.extend(page)
        url = next_url(answer)
        if url is None:
            return rows, pages
        answer = client.get(url)
        pages += 1


def v3_store_balances(client: httpx.Client) -> dict[str, int]:
    """Variant -> balance in the default STORE, read through v3 (zero rows left out)."""
    store = next(i for i in client.get("/v3/inventories").json() if i["defaultInventory"])
    rows, _ = read_all(client, f"/v3/stock/{store['inventoryUuid']}", limit=1000)
    return {row["variantUuid"]: row["balance"] for row in rows if row["balance"] != 0}


def v1_store_balances(client: httpx.Client) -> dict[str, int]:
    """Variant -> balance in STORE, read through v1 (non-zero balances, as strings there)."""
    body = client.get("/organizations/self/inventory").json()
    return {row["variantUuid"]: int(row["balance"]) for row in body["variants"]}
