"""Benchmark of the service layer against the sandbox at 1k, 10k and 50k variants.

Run: ``.venv/bin/python tests/benchmarks/bench_service.py [--sizes 1000,10000,50000] [--runs 3]``

The sandbox runs as its own process (``zinv-tui sandbox --port 0 --ready-file``) so its CPU never
counts. Each run is a fresh service process (a worker: this script with ``--worker``) that:

- loads from scratch (no catalogue cache): wall time, then RSS;
- polls with nothing changed (incremental feed): client CPU time (``time.process_time``) and bytes
  on the wire (``client.stats``, request + answer) per poll;
- polls after a second client moved 100 distinct variants in one PUT: CPU, bytes, and the time to
  compute the diff (decode + apply) and deliver it to a subscriber;
- refreshes the full snapshot (the fallback path): CPU time, against a bare ``json.loads`` of the
  same payload measured in the same process right after (the baseline);
- reports peak RSS (VmHWM) taken *before* the baseline runs, and the RSS after imports alone.

A last worker per size starts warm (catalogue cached with its ETag, so the Product Library answers
304). Every figure is the median of the repeats of every run. Targets (issue 3, at 50k variants):
diff <= 5 ms, idle poll <= 5 ms CPU and <= 2 KB, full refresh <= 1.5x json.loads, RSS <= 80 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

VARIANTS_PER_PRODUCT = 2.5  # the demo generator's average
TARGETS = {
    "diff_ms": 5.0,
    "idle_cpu_ms": 5.0,
    "idle_bytes": 2048,
    "full_ratio": 1.5,
    "rss_mb": 80.0,
}


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return float("nan")


# -- the worker: one service process ---------------------------------------------------------


async def _worker(url: str, api_key: str, state_dir: str, repeat: int) -> dict[str, Any]:
    rss_imports_before = _status_mb("VmRSS")
    from uuid import UUID

    from zinv_tui.tuning import tune_process

    tune_process()  # as the program does at its entry point

    from zinv_tui.api import ApiEndpoints, ZettleClient
    from zinv_tui.api.models import MovementRequest, StockChange
    from zinv_tui.api.pipeline import BytesSink
    from zinv_tui.build import ShopAccess, open_inventory
    from zinv_tui.service import PlaceKind, RowDiff

    rss_imports = _status_mb("VmRSS")
    endpoints = ApiEndpoints.single(url)
    result: dict[str, Any] = {"rss_imports_mb": rss_imports, "rss_python_mb": rss_imports_before}
    async with ZettleClient(api_key, endpoints=endpoints) as other:
        service = open_inventory(
            ShopAccess(SecretStr(api_key), endpoints),
            state_dir=Path(state_dir),
            poll_interval=3600,
            full_refresh_every=1e9,
            catalogue_every=1e9,
        )
        client: ZettleClient = service.backend.client  # type: ignore[attr-defined]
        delivered: list[int] = []

        def on_diff(diff: RowDiff) -> None:  # what a UI does first: look at every changed row
            delivered.append(sum(1 for _ in diff.changed) + len(diff.added) + len(diff.removed))

        service.subscribe(on_diff)
        started = time.perf_counter()
        await service.start(require_load=True)
        result["load_s"] = time.perf_counter() - started
        result["rows"] = len(service.rows)
        gc.collect()
        result["rss_loaded_mb"] = _status_mb("VmRSS")

        def wire() -> int:
            return client.stats.bytes_sent + client.stats.bytes_received

        engine = service._engine
        assert engine is not None
        idle_cpu, idle_bytes = [], []
        for _ in range(repeat):
            before_bytes, before_cpu = wire(), time.process_time()
            diff = await service.refresh()
            idle_cpu.append(time.process_time() - before_cpu)
            idle_bytes.append(wire() - before_bytes)
            assert diff is not None and not diff, "an idle poll changes nothing"
        result["idle_cpu_ms"] = statistics.median(idle_cpu) * 1000
        result["idle_bytes"] = statistics.median(idle_bytes)

        store = UUID(service.locations[PlaceKind.STORE].uuid)
        supplier = UUID(service.locations[PlaceKind.SUPPLIER].uuid)
        keys = sorted(service.rows)[:100]
        changed_cpu, changed_bytes, diff_ms = [], [], []
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
            before_bytes, before_cpu = wire(), time.process_time()
            diff = await service.refresh()
            changed_cpu.append(time.process_time() - before_cpu)
            changed_bytes.append(wire() - before_bytes)
            assert diff is not None and len(diff.changed) == 100, diff and len(diff)
            timing = engine.last_timing
            assert timing is not None and delivered[-1] == 100
            diff_ms.append((timing.decode_apply + timing.deliver) * 1000)
        result["changed_cpu_ms"] = statistics.median(changed_cpu) * 1000
        result["changed_bytes"] = statistics.median(changed_bytes)
        result["diff_ms"] = statistics.median(diff_ms)

        full_cpu = []
        for _ in range(repeat):
            before_cpu = time.process_time()
            diff = await service.refresh(full=True)
            full_cpu.append(time.process_time() - before_cpu)
            assert diff is not None and diff.full
        result["full_cpu_ms"] = statistics.median(full_cpu) * 1000
        gc.collect()
        result["rss_steady_mb"] = _status_mb("VmRSS")
        result["rss_peak_mb"] = _status_mb("VmHWM")  # before the baseline below allocates

        payload = (await client.get_store_balances_into(BytesSink)).getvalue()
        result["payload_bytes"] = len(payload)
        loads = []
        for _ in range(repeat):
            before_cpu = time.process_time()
            json.loads(payload)
            loads.append(time.process_time() - before_cpu)
        result["json_loads_ms"] = statistics.median(loads) * 1000
        await service.stop()
    return result


# -- the orchestrator ------------------------------------------------------------------------


def _start_sandbox(products: int, workdir: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    ready = workdir / "ready.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zinv_tui",
            "sandbox",
            "--port",
            "0",
            "--products",
            str(products),
            "--ready-file",
            str(ready),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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


def _run_worker(info: dict[str, str], state_dir: Path, repeat: int) -> dict[str, Any]:
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            info["url"],
            info["api_key"],
            str(state_dir),
            str(repeat),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if output.returncode != 0:
        raise SystemExit(f"worker failed:\n{output.stderr}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def _median(runs: list[dict[str, Any]], field: str) -> float:
    return statistics.median(run[field] for run in runs)


def _measure_size(variants: int, runs: int, repeat: int) -> dict[str, Any]:
    products = max(1, round(variants / VARIANTS_PER_PRODUCT))
    workdir = Path(tempfile.mkdtemp(prefix="bench-service-"))
    sandbox, info = _start_sandbox(products, workdir)
    try:
        cold = []
        for run in range(runs):
            state = workdir / f"state-{run}"
            cold.append(_run_worker(info, state, repeat))
        warm = _run_worker(info, workdir / f"state-{runs - 1}", repeat)  # catalogue cached
    finally:
        sandbox.terminate()
        sandbox.wait(30)
        shutil.rmtree(workdir, ignore_errors=True)
    fields = [
        "rows",
        "load_s",
        "idle_cpu_ms",
        "idle_bytes",
        "changed_cpu_ms",
        "changed_bytes",
        "diff_ms",
        "full_cpu_ms",
        "json_loads_ms",
        "payload_bytes",
        "rss_python_mb",
        "rss_imports_mb",
        "rss_loaded_mb",
        "rss_steady_mb",
        "rss_peak_mb",
    ]
    summary = {field: _median(cold, field) for field in fields}
    summary["variants_target"] = variants
    summary["products"] = products
    summary["full_ratio"] = summary["full_cpu_ms"] / summary["json_loads_ms"]
    summary["warm_load_s"] = warm["load_s"]
    summary["warm_rss_peak_mb"] = warm["rss_peak_mb"]
    summary["warm_rss_steady_mb"] = warm["rss_steady_mb"]
    summary["warm_full_ratio"] = warm["full_cpu_ms"] / warm["json_loads_ms"]
    return summary


def _verdict(value: float, limit: float) -> str:
    return "pass" if value <= limit else "FAIL"


def _print_table(results: list[dict[str, Any]]) -> bool:
    header = [f"{r['variants_target']:,} variants" for r in results]
    lines: list[tuple[str, list[str], str]] = []

    def row(label: str, values: list[str], target: str = "") -> None:
        lines.append((label, values, target))

    def fmt(field: str, pattern: str) -> list[str]:
        return [pattern.format(r[field]) for r in results]

    row("rows in view (tracked variants)", fmt("rows", "{:,.0f}"))
    row("products in sandbox", fmt("products", "{:,}"))
    row("balance payload (full)", [f"{r['payload_bytes'] / 1e6:.2f} MB" for r in results])
    row("initial load, cold (s)", fmt("load_s", "{:.2f}"))
    row("initial load, catalogue cached (s)", fmt("warm_load_s", "{:.2f}"))
    row("idle poll: client CPU (ms)", fmt("idle_cpu_ms", "{:.2f}"), "<= 5 ms")
    row("idle poll: bytes on the wire", fmt("idle_bytes", "{:,.0f}"), "<= 2 KB")
    row("100 rows changed: client CPU (ms)", fmt("changed_cpu_ms", "{:.2f}"))
    row("100 rows changed: bytes on the wire", fmt("changed_bytes", "{:,.0f}"))
    row("100-row diff compute + deliver (ms)", fmt("diff_ms", "{:.2f}"), "<= 5 ms")
    row("full snapshot refresh: CPU (ms)", fmt("full_cpu_ms", "{:.1f}"))
    row("baseline json.loads of it (ms)", fmt("json_loads_ms", "{:.1f}"))
    row("full refresh / json.loads", fmt("full_ratio", "{:.2f}x"), "<= 1.5x")
    row("RSS: bare interpreter (MB)", fmt("rss_python_mb", "{:.1f}"))
    row("RSS: after imports (MB)", fmt("rss_imports_mb", "{:.1f}"))
    row("RSS: steady, cold start (MB)", fmt("rss_steady_mb", "{:.1f}"), "<= 80 MB")
    row("RSS: peak (VmHWM), cold start (MB)", fmt("rss_peak_mb", "{:.1f}"))
    row(
        "RSS: service's data (steady - imports)",
        [f"{r['rss_steady_mb'] - r['rss_imports_mb']:.1f}" for r in results],
    )
    row("RSS: steady, catalogue cached (MB)", fmt("warm_rss_steady_mb", "{:.1f}"))
    row("RSS: peak, catalogue cached (MB)", fmt("warm_rss_peak_mb", "{:.1f}"))

    width = max(len(label) for label, _, _ in lines)
    columns = [max(len(h), *(len(v[i]) for _, v, _ in lines)) for i, h in enumerate(header)]
    print(
        " " * width
        + "  "
        + "  ".join(h.rjust(c) for h, c in zip(header, columns, strict=True))
        + "  target"
    )
    for label, values, target in lines:
        cells = "  ".join(v.rjust(c) for v, c in zip(values, columns, strict=True))
        print(f"{label.ljust(width)}  {cells}  {target}")

    largest = max(results, key=lambda r: r["variants_target"])
    checks = [
        ("100-row diff compute + deliver", largest["diff_ms"], TARGETS["diff_ms"], "ms"),
        ("idle poll client CPU", largest["idle_cpu_ms"], TARGETS["idle_cpu_ms"], "ms"),
        ("idle poll bytes on the wire", largest["idle_bytes"], TARGETS["idle_bytes"], "B"),
        ("full refresh vs json.loads", largest["full_ratio"], TARGETS["full_ratio"], "x"),
        ("service RSS, steady", largest["rss_steady_mb"], TARGETS["rss_mb"], "MB"),
        ("service RSS, peak (cold)", largest["rss_peak_mb"], TARGETS["rss_mb"], "MB"),
        ("service RSS, peak (cached)", largest["warm_rss_peak_mb"], TARGETS["rss_mb"], "MB"),
    ]
    print(f"\nTargets at {largest['variants_target']:,} variants (medians):")
    passed = True
    for label, value, limit, unit in checks:
        verdict = _verdict(value, limit)
        passed &= verdict == "pass"
        print(f"  {verdict:4}  {label}: {value:,.2f} {unit} (limit {limit:,} {unit})")
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="variant counts")
    parser.add_argument("--runs", type=int, default=3, help="fresh service processes per size")
    parser.add_argument("--repeat", type=int, default=7, help="measurements per run")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"measuring {size:,} variants ...", file=sys.stderr, flush=True)
        results.append(_measure_size(size, args.runs, args.repeat))
    print()
    passed = _print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0 if passed else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        url, api_key, state_dir, repeat = sys.argv[2:6]
        print(json.dumps(asyncio.run(_worker(url, api_key, state_dir, int(repeat)))))
    else:
        sys.exit(main())
