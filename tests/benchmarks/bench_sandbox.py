"""Sandbox timings at demo size (300 products, the baseline) and at scale (20,000 products, about
50,000 variants): generation, SQLite load, and the main reads over real loopback HTTP.

Run: ``.venv/bin/python tests/benchmarks/bench_sandbox.py [--runs 5] [--products 20000]``.
Prints medians of several runs and the ratio against the baseline measured in the same run.
"full GET" follows a movement (the answer is rebuilt); "full GET again" has nothing new in between
(the sandbox serves its cached answer). The "v3" rows read the same ledger through v3: one page of
1,000 stock rows, every page (``Link`` followed, limit 1,000), an idle ``/v3/stock/updates`` poll
and a ``POST /v3/movements``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import httpx

from zinv_tui.sandbox.demo_data import generate_shop
from zinv_tui.sandbox.server import SandboxConfig, SandboxInfo, SandboxServer
from zinv_tui.sandbox.store import LedgerStore

GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
BASELINE = 300


def median_seconds(
    action: Callable[[], object], runs: int, setup: Callable[[], object] | None = None
) -> float:
    """Median wall time of ``runs`` calls (``setup`` runs untimed before each)."""
    times = []
    for _ in range(runs):
        if setup is not None:
            setup()
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def offline(products: int, runs: int) -> dict[str, float]:
    """Generation and SQLite load times, and the variant count."""
    shop = generate_shop(products, 1)

    def load() -> None:
        LedgerStore(None).load_shop(shop, products)

    return {
        "variants": float(sum(len(p.variants) for p in shop.products)),
        "generate s": median_seconds(lambda: generate_shop(products, 1), runs),
        "load s": median_seconds(load, runs),
    }


def online(info: SandboxInfo, runs: int) -> dict[str, float]:
    """HTTP timings against a running sandbox."""
    with httpx.Client(base_url=info.url, timeout=120) as client:
        token = client.post(
            "/token",
            data={"grant_type": GRANT, "client_id": info.client_id, "assertion": info.api_key},
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        full = client.get("/organizations/self/inventory")
        body = full.json()
        latest = body["latest"]
        row = body["variants"][0]
        locations = {
            loc["type"]: loc["uuid"] for loc in client.get("/organizations/self/locations").json()
        }
        move = {
            "changes": [
                {
                    "productUuid": row["productUuid"],
                    "variantUuid": row["variantUuid"],
                    "fromLocationUuid": locations["SUPPLIER"],
                    "toLocationUuid": locations["STORE"],
                    "change": 1,
                }
            ]
        }
        products = client.get("/organizations/self/products/v2")
        etag = products.headers["ETag"]
        idle = client.get(f"/organizations/self/inventory?since={latest}")
        v3_move = {
            "movements": [
                {
                    "productUuid": row["productUuid"],
                    "variantUuid": row["variantUuid"],
                    "from": locations["SUPPLIER"],
                    "to": locations["STORE"],
                    "change": 1,
                }
            ]
        }

        def v3_read_all() -> int:
            answer = client.get("/v3/stock", params={"limit": 1000})
            count = len(answer.content)
            while "link" in answer.headers:
                answer = client.get(answer.headers["link"][1:].partition(">")[0])
                count += len(answer.content)
            return count

        newest = max(r["updated"] for r in client.get("/v3/stock", params={"limit": 1000}).json())
        client.post("/v3/movements", json=v3_move)
        newest = max(
            r["updated"] for r in client.get("/v3/stock/updates", params={"ts": newest}).json()
        )
        idle_v3 = client.get("/v3/stock/updates", params={"ts": newest})
        return {
            "full GET bytes": float(len(full.content)),
            "full GET s": median_seconds(
                lambda: client.get("/organizations/self/inventory"),
                runs,
                setup=lambda: client.put("/organizations/self/inventory", json=move),
            ),
            "full GET again s": median_seconds(
                lambda: client.get("/organizations/self/inventory"), runs
            ),
            "variants in GET": float(len(body["variants"])),
            "idle since bytes": float(len(idle.content)),
            "idle since s": median_seconds(
                lambda: client.get("/organizations/self/inventory", params={"since": latest}), runs
            ),
            "PUT move s": median_seconds(
                lambda: client.put("/organizations/self/inventory", json=move), runs
            ),
            "products bytes": float(len(products.content)),
            "products GET s": median_seconds(
                lambda: client.get("/organizations/self/products/v2"), runs
            ),
            "products 304 s": median_seconds(
                lambda: client.get(
                    "/organizations/self/products/v2", headers={"If-None-Match": etag}
                ),
                runs,
            ),
            "v3 page s": median_seconds(
                lambda: client.get("/v3/stock", params={"limit": 1000}), runs
            ),
            "v3 all pages bytes": float(v3_read_all()),
            "v3 all pages s": median_seconds(v3_read_all, runs),
            "v3 idle upd bytes": float(len(idle_v3.content)),
            "v3 idle upd s": median_seconds(
                lambda: client.get("/v3/stock/updates", params={"ts": newest}), runs
            ),
            "v3 move s": median_seconds(lambda: client.post("/v3/movements", json=v3_move), runs),
        }


def measure(products: int, runs: int) -> dict[str, float]:
    """Every figure for one catalogue size."""
    figures = offline(products, runs)
    started = time.perf_counter()
    with SandboxServer(SandboxConfig(products=products)) as info:
        figures["server start s"] = time.perf_counter() - started
        figures.update(online(info, runs))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--products", type=int, default=20_000)
    args = parser.parse_args()
    baseline = measure(BASELINE, args.runs)
    scaled = measure(args.products, args.runs)
    print(f"median of {args.runs} runs; baseline = {BASELINE} products, same run")
    print(f"{'metric':<18} {BASELINE:>12} {args.products:>12} {'ratio':>8}")
    for key, base in baseline.items():
        value = scaled[key]
        ratio = value / base if base else float("nan")
        if key.endswith(" s"):
            print(f"{key:<18} {base * 1000:>10.1f}ms {value * 1000:>10.1f}ms {ratio:>8.1f}")
        else:
            print(f"{key:<18} {base:>12,.0f} {value:>12,.0f} {ratio:>8.1f}")


if __name__ == "__main__":
    main()
