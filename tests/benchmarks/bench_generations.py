"""Benchmark of the service on Inventory API v1 against v3, at 50k variants, from one sandbox.

Run: ``.venv/bin/python tests/benchmarks/bench_generations.py [--variants 50000]
[--generation v1,v3] [--runs 3] [--repeat 5]``

The sandbox runs as its own process (``zinv-tui sandbox --api both``: one ledger, so both
generations read the same shop) and its CPU never counts. Each run is a fresh service process (a
worker: this script with ``--worker``), forced to one generation, with the client's limiter ON
(Zettle's 4 requests/second budget) and no catalogue cache. It measures:

- first paint: service start until its rows are loaded (what the balances screen waits for; the
  TUI itself adds its first render on top), with the requests and bytes it took;
- an idle refresh (nothing changed; the change feed answers): requests and bytes on the wire,
  measured once :data:`~zinv_tui.api.v3.backend.FEED_OVERLAP` has passed since the last change (v3
  reads the feed from a little before its last answer, so a change is read again for that long:
  that cost is its own line, a refresh at once after the 100-row change);
- a 100-row diff: a second client moves 100 distinct variants (v1, one PUT), then one refresh:
  requests, bytes, and the time to compute the diff and deliver it to a subscriber;
- the full read (``refresh(full=True)``, the fallback when there is no feed): requests and wall
  time, against the floor the budget alone imposes (requests / 4 per second) measured alongside.

Every figure is the median over runs of each run's median. The table gives each generation and
v3's ratio to v1 (the baseline, measured in the same run). Targets (issue 11 item 7): an idle
refresh at most 1 request and 2 KB when the updates feed answers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

VARIANTS_PER_PRODUCT = 2.5  # the demo generator's average
BUDGET = 4.0  # Zettle's requests per second
TARGETS = {"idle_requests": 1, "idle_bytes": 2048}


# -- the worker: one service process on one generation ---------------------------------------


async def _worker(url: str, api_key: str, state_dir: str, generation: str, repeat: int) -> dict:
    from dataclasses import replace
    from uuid import UUID

    from zinv_tui.api import ApiEndpoints, ZettleClient
    from zinv_tui.api.models import LocationType, MovementRequest, StockChange
    from zinv_tui.api.v3.backend import FEED_OVERLAP
    from zinv_tui.build import ShopAccess, open_inventory
    from zinv_tui.service import RowDiff

    result: dict[str, Any] = {}
    async with ZettleClient(
        api_key, endpoints=ApiEndpoints.single(url), requests_per_second=None
    ) as other:
        places = {place.type: place.uuid for place in await other.get_locations()}
        service = open_inventory(
            replace(ShopAccess.local(url, api_key), api_version=generation, rate_limited=True),
            state_dir=Path(state_dir),
            client_options={"requests_per_second": BUDGET},
            poll_interval=3600,
            full_refresh_every=1e9,
            catalogue_every=1e9,
        )
        client: ZettleClient = service.backend.client  # type: ignore[attr-defined]
        delivered: list[int] = []

        def on_diff(diff: RowDiff) -> None:  # what a UI does first: look at every changed row
            delivered.append(sum(1 for _ in diff.changed) + len(diff.added) + len(diff.removed))

        service.subscribe(on_diff)

        def measure() -> tuple[int, int]:
            stats = client.stats
            return stats.requests, stats.bytes_sent + stats.bytes_received

        requests, wire = measure()
        started = time.perf_counter()
        await service.start(require_load=True)
        result["paint_s"] = time.perf_counter() - started
        after = measure()
        result["paint_requests"], result["paint_bytes"] = after[0] - requests, after[1] - wire
        result["rows"] = len(service.rows)
        engine = service._engine
        assert engine is not None

        await asyncio.sleep(FEED_OVERLAP.total_seconds() + 0.5)  # the shop at rest
        idle_requests, idle_bytes = [], []
        for _ in range(repeat):
            requests, wire = measure()
            diff = await service.refresh()
            after = measure()
            idle_requests.append(after[0] - requests)
            idle_bytes.append(after[1] - wire)
            assert diff is not None and not diff.full
        result["idle_requests"] = statistics.median(idle_requests)
        result["idle_bytes"] = statistics.median(idle_bytes)

        store, supplier = places[LocationType.STORE], places[LocationType.SUPPLIER]
        keys = sorted(service.rows)[:100]
        diff_requests, diff_bytes, diff_ms = [], [], []
        for round_ in range(repeat):
            source, target = (supplier, store) if round_ % 2 == 0 else (store, supplier)
            await other.move_stock(
                MovementRequest(
                    changes=[
                        StockChange(
                            product_uuid=UUID(p),
                            variant_uuid=UUID(v),
                            from_location_uuid=source,
                            to_location_uuid=target,
                            change=1,
                        )
                        for p, v in keys
                    ]
                )
            )
            requests, wire = measure()
            diff = await service.refresh()
            after = measure()
            assert diff is not None and len(diff.changed) == 100, diff and len(diff.changed)
            timing = engine.last_timing
            assert timing is not None and delivered[-1] == 100
            diff_requests.append(after[0] - requests)
            diff_bytes.append(after[1] - wire)
            diff_ms.append((timing.decode_apply + timing.deliver) * 1000)
        result["diff_requests"] = statistics.median(diff_requests)
        result["diff_bytes"] = statistics.median(diff_bytes)
        result["diff_ms"] = statistics.median(diff_ms)
        requests, wire = measure()
        diff = await service.refresh()  # at once: v3 reads the last change again (the overlap)
        after = measure()
        assert diff is not None and not diff
        result["again_requests"], result["again_bytes"] = after[0] - requests, after[1] - wire

        full_requests, full_s = [], []
        for _ in range(max(1, repeat // 2)):
            requests, _wire = measure()
            started = time.perf_counter()
            diff = await service.refresh(full=True)
            full_s.append(time.perf_counter() - started)
            full_requests.append(measure()[0] - requests)
            assert diff is not None and diff.full
        result["full_requests"] = statistics.median(full_requests)
        result["full_s"] = statistics.median(full_s)
        result["full_floor_s"] = max(0.0, (result["full_requests"] - 1) / BUDGET)
        await service.stop()
    return result


# -- the orchestrator ------------------------------------------------------------------------


def _start_sandbox(products: int, workdir: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    ready = workdir / "ready.json"
    command = [sys.executable, "-m", "zinv_tui", "sandbox", "--port", "0", "--api", "both"]
    command += ["--products", str(products), "--ready-file", str(ready)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the sandbox exited with {process.returncode}")
        try:
            return process, json.loads(ready.read_text())
        except (OSError, ValueError):
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the sandbox did not start within 300 s")


def _run_worker(info: dict[str, str], state_dir: Path, generation: str, repeat: int) -> dict:
    argv = [sys.executable, __file__, "--worker", info["url"], info["api_key"], str(state_dir)]
    output = subprocess.run(
        [*argv, generation, str(repeat)], capture_output=True, text=True, check=False
    )
    if output.returncode != 0:
        raise SystemExit(f"worker failed:\n{output.stderr}")
    return json.loads(output.stdout.strip().splitlines()[-1])


FIELDS = (
    ("rows", "rows in view (tracked variants)", "{:,.0f}", ""),
    ("paint_s", "first paint: start to rows loaded (s)", "{:.2f}", ""),
    ("paint_requests", "first paint: requests", "{:,.0f}", ""),
    ("paint_bytes", "first paint: bytes on the wire", "{:,.0f}", ""),
    ("idle_requests", "idle refresh: requests", "{:.0f}", "<= 1"),
    ("idle_bytes", "idle refresh: bytes on the wire", "{:,.0f}", "<= 2 KB"),
    ("diff_requests", "100 rows changed: requests", "{:.0f}", ""),
    ("diff_bytes", "100 rows changed: bytes on the wire", "{:,.0f}", ""),
    ("diff_ms", "100-row diff compute + deliver (ms)", "{:.2f}", ""),
    ("again_requests", "refresh at once after it: requests", "{:.0f}", ""),
    ("again_bytes", "refresh at once after it: bytes", "{:,.0f}", ""),
    ("full_requests", "full read: requests", "{:.0f}", ""),
    ("full_s", "full read: wall time, limiter on (s)", "{:.2f}", ""),
    ("full_floor_s", "  the budget's floor: (requests-1)/4 (s)", "{:.2f}", ""),
)


def _print_table(variants: int, results: dict[str, dict]) -> bool:
    generations = list(results)
    header = [f"{g} ({variants:,})" for g in generations]
    ratio = "v1" in results and "v3" in results
    if ratio:
        header.append("v3 / v1")
    lines = []
    for field, label, pattern, target in FIELDS:
        values = [pattern.format(results[g][field]) for g in generations]
        if ratio:
            base = results["v1"][field]
            values.append(f"{results['v3'][field] / base:.2f}x" if base else "-")
        lines.append((label, values, target))
    width = max(len(label) for label, _, _ in lines)
    columns = [max(len(h), *(len(v[i]) for _, v, _ in lines)) for i, h in enumerate(header)]
    head = "  ".join(h.rjust(c) for h, c in zip(header, columns, strict=True))
    print(" " * width + "  " + head + "  target")
    for label, values, target in lines:
        cells = "  ".join(v.rjust(c) for v, c in zip(values, columns, strict=True))
        print(f"{label.ljust(width)}  {cells}  {target}")
    passed = True
    print(f"\nTargets at {variants:,} variants (medians):")
    for generation in generations:
        for field, limit in TARGETS.items():
            value = results[generation][field]
            verdict = "pass" if value <= limit else "FAIL"
            passed &= verdict == "pass"
            print(f"  {verdict:4}  {generation} {field}: {value:,.0f} (limit {limit:,})")
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=50_000)
    parser.add_argument("--generation", default="v1,v3", help="v1, v3 or v1,v3")
    parser.add_argument("--runs", type=int, default=3, help="fresh service processes each")
    parser.add_argument("--repeat", type=int, default=5, help="measurements per run")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    generations = [g.strip() for g in args.generation.split(",") if g.strip()]
    if not generations or set(generations) - {"v1", "v3"}:
        parser.error("--generation: v1, v3 or v1,v3")
    products = max(1, round(args.variants / VARIANTS_PER_PRODUCT))
    workdir = Path(tempfile.mkdtemp(prefix="bench-generations-"))
    print(f"starting a sandbox of {products:,} products ...", file=sys.stderr, flush=True)
    sandbox, info = _start_sandbox(products, workdir)
    results: dict[str, dict] = {}
    try:
        runs: dict[str, list[dict]] = {g: [] for g in generations}
        for run in range(args.runs):  # interleaved, so a busy moment hits both alike
            for generation in generations:
                print(f"run {run + 1}: {generation} ...", file=sys.stderr, flush=True)
                state = workdir / f"state-{generation}-{run}"
                runs[generation].append(_run_worker(info, state, generation, args.repeat))
        for generation, measured in runs.items():
            results[generation] = {
                field: statistics.median(run[field] for run in measured) for field, *_ in FIELDS
            }
    finally:
        sandbox.terminate()
        sandbox.wait(30)
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    passed = _print_table(args.variants, results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0 if passed else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        url, api_key, state_dir, generation, repeat = sys.argv[2:7]
        result = asyncio.run(_worker(url, api_key, state_dir, generation, int(repeat)))
        print(json.dumps(result))
    else:
        sys.exit(main())
