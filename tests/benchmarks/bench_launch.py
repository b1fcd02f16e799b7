"""Launch benchmark: the real ``zinv-tui`` in a pseudo-terminal, launch -> rows on screen.

Run: ``.venv/bin/python tests/benchmarks/bench_launch.py [--runs 5] [--variants 50000]``
``[--demo-products 20000] [--no-demo] [--quick]``.

What runs, as a user would have it:

- A sandbox in its own process (``python -m zinv_tui sandbox --port 0 --db FILE``), one per shop
  size: 300 products (the baseline) and about ``--variants`` variants (2.5 per product). Its
  ledger is made once, before any timing.
- A real profile pointing at it: ``config.toml`` (``default_profile``, ``base_url``,
  ``client_id``) in the config dir and the key in ``ZINV_API_KEY``; every directory is a temporary
  one (``ZINV_*_DIR``), so nothing of the user's is read or written.
- ``python -m zinv_tui`` (no command: the TUI on the default profile) forked in a pty at 80x24;
  its output is fed to a VT emulator (pyte) and the clock stops when the screen shows rows: the
  count label reads ``N variants`` with N above zero and a table line is drawn under the header.
- Bytecode as an installed package has it: ``pip install`` compiles the package, so the
  package is compiled once before any timing and the app may use (and write) ``__pycache__``
  even when ``PYTHONDONTWRITEBYTECODE`` is set here (without it every launch of the app and of
  the demo's sandbox compiles about 110 modules again: 0.2-0.3 s of CPU each).
- *first launch*: fresh state and cache dirs (no snapshot, no catalogue cache); *second launch*:
  the same dirs again, right after the first quit (``q``). Each run makes new dirs.
- Both sandboxes run side by side and the shops take turns, run by run (300 products, then the
  big shop, then 300 again...): a machine whose load drifts during the benchmark weighs on both
  alike, and the ratio is also given run by run (``paired``: the median of each run's ratio).
- CPU: the app's own user + system time (``/proc``) when the rows showed, next to the wall time,
  with its ratio to the 300-product launch: steadier than the wall time on shared cores. Each
  launch's line also says how many tasks were runnable on the machine as it started
  (``/proc/loadavg``): a busy machine shows there.
- RSS: the app's ``VmRSS`` once its status bar reads ``live`` (or 3 s after the rows, whichever is
  first), read from ``/proc``; the largest of the run is reported.
- ``zinv-tui demo --products N``: the demo's in-process sandbox, first launch once (it makes the
  demo shop, not judged) and then ``--runs`` second launches in the same dirs.

Prints medians with the ratio against the 300-product launch measured in the same run, and the
issue's targets (issue 12; judged on the wall times' medians, as a user waits). The machine's load
average is printed with them: the cores are shared.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pty
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyte

COLUMNS, LINES = 80, 24
VARIANTS_PER_PRODUCT = 2.5
"""The demo generator's average variants per product."""
TARGETS = {
    "second_ratio": 1.25,
    "first_big": 3.0,
    "demo_second": 2.0,
    "rss_mb": 150.0,
}
COUNT = re.compile(r"([1-9][\d,]*) variants")
TIMEOUT = 120.0


# ----------------------------------------------------------------------------------- the sandbox


def start_sandbox(products: int, workdir: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """``zinv-tui sandbox`` in its own process on a free port, its ledger in ``workdir``."""
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
            "--db",
            str(workdir / "sandbox.sqlite"),
            "--ready-file",
            str(ready),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the sandbox exited with {process.returncode}")
        with contextlib.suppress(OSError, ValueError):
            return process, json.loads(ready.read_text())
        time.sleep(0.1)
    process.kill()
    raise SystemExit("the sandbox did not start within 600 s")


def make_profile(home: Path, info: dict[str, str]) -> dict[str, str]:
    """A profile ``bench`` pointing at the sandbox, as a user would write it; the environment
    to launch the app in (every zinv directory under ``home``)."""
    config = home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(
        'default_profile = "bench"\n\n[profiles.bench]\n'
        f'base_url = "{info["url"]}"\nclient_id = "{info["client_id"]}"\n',
        encoding="utf-8",
    )
    env = app_env(home)
    env["ZINV_API_KEY"] = info["api_key"]
    return env


def app_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZINV_")}
    for kind in ("CONFIG", "STATE", "DATA", "CACHE"):
        env[f"ZINV_{kind}_DIR"] = str(home / kind.lower())
    env.update(TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(LINES), ZINV_ENV_FILE="")
    env.pop("NO_COLOR", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_package() -> None:
    """Bytecode of the package, as ``pip install`` leaves it (see the module's docstring)."""
    import compileall

    import zinv_tui

    compileall.compile_dir(Path(zinv_tui.__file__).parent, quiet=1)


# ----------------------------------------------------------------------------------- one launch


@dataclass
class Launch:
    seconds: float
    rss_mb: float
    rows: int
    cpu: float
    """CPU seconds (user + system) the app had used when the rows showed: steadier than the
    wall time on a shared machine."""
    screen: list[str] = field(default_factory=list)


def rss_of(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_of(pid: int) -> float:
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return float("nan")


def rows_on_screen(screen: pyte.Screen) -> int:
    """The count the balances show once rows are drawn (0: not yet)."""
    lines = screen.display
    for number, line in enumerate(lines):
        found = COUNT.search(line)
        if found and number + 2 < len(lines) and lines[number + 2].strip():
            return int(found.group(1).replace(",", ""))
    return 0


def launch(argv: list[str], env: dict[str, str], timeout: float = TIMEOUT) -> Launch:
    """Fork ``python -m zinv_tui ARGV`` in a pty; seconds until rows are on screen; then quit."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real program, as typed
        os.execvpe(sys.executable, [sys.executable, "-m", "zinv_tui", *argv], env)
    started = time.perf_counter()
    screen = pyte.Screen(COLUMNS, LINES)
    stream = pyte.ByteStream(screen)
    elapsed: float | None = None
    rows = 0
    rss = 0.0
    cpu = float("nan")
    try:
        deadline = started + timeout
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.02)
            if not ready:
                if elapsed is not None and time.perf_counter() - started - elapsed > 3:
                    break
                continue
            try:
                data = os.read(fd, 1 << 16)
            except OSError:
                break
            stream.feed(data)
            if elapsed is None:
                rows = rows_on_screen(screen)
                if rows:
                    elapsed = time.perf_counter() - started
                    cpu = cpu_of(pid)
            if elapsed is not None:
                rss = max(rss, rss_of(pid))
                if any("● live" in line for line in screen.display):
                    break
        rss = max(rss, rss_of(pid))
        shown = list(screen.display)
        _quit(pid, fd)
    finally:
        os.close(fd)
    if elapsed is None:
        raise RuntimeError("no rows on screen:\n" + "\n".join(shown))
    return Launch(elapsed, rss, rows, cpu, shown)


def _quit(pid: int, fd: int) -> None:
    with contextlib.suppress(OSError):
        os.write(fd, b"q")
    end = time.perf_counter() + 15
    while time.perf_counter() < end:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished:
            return
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            with contextlib.suppress(OSError):
                os.read(fd, 1 << 16)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


# ----------------------------------------------------------------------------------- the runs


def runnable() -> int:
    """Tasks runnable on the machine right now (``/proc/loadavg``), this benchmark included."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        return int(Path("/proc/loadavg").read_text().split()[3].split("/")[0])
    return -1


def measure_shops(sizes: list[int], runs: int, root: Path) -> list[dict[str, list[float]]]:
    """First and second launches of the TUI on a profile against a sandbox of each size in
    ``sizes``, the shops taking turns run by run (see the module's docstring)."""
    shops = []
    try:
        for products in sizes:
            workdir = root / f"shop-{products}"
            workdir.mkdir()
            print(f"starting a sandbox of {products:,} products ...", file=sys.stderr, flush=True)
            process, info = start_sandbox(products, workdir)
            shops.append((products, workdir, process, info))
        results: list[dict[str, list[float]]] = [
            {
                "first": [],
                "second": [],
                "first_cpu": [],
                "second_cpu": [],
                "rss_mb": [],
                "rows": [],
            }
            for _ in sizes
        ]
        for run in range(runs):
            for (products, workdir, _process, info), result in zip(shops, results, strict=True):
                env = make_profile(workdir / f"home-{run}", info)
                for name in ("first", "second"):
                    busy = runnable()
                    done = launch([], env)
                    result[name].append(done.seconds)
                    result[f"{name}_cpu"].append(done.cpu)
                    result["rss_mb"].append(done.rss_mb)
                    result["rows"].append(done.rows)
                    print(
                        f"  run {run + 1}: {products:>6,} products, {name:<6} launch: "
                        f"{done.seconds:6.3f} s (CPU {done.cpu:.2f} s), {done.rows:,} rows, "
                        f"RSS {done.rss_mb:.0f} MB, {busy} runnable",
                        file=sys.stderr,
                        flush=True,
                    )
        return results
    finally:
        for _products, _workdir, process, _info in shops:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)


def measure_demo(products: int, runs: int, root: Path) -> dict[str, list[float]]:
    """``zinv-tui demo --products N``: the first launch (makes the shop) once, then second ones."""
    home = root / f"demo-{products}"
    env = app_env(home)
    argv = ["demo", "--products", str(products)]
    print(f"first demo launch at {products:,} products ...", file=sys.stderr, flush=True)
    first = launch(argv, env, timeout=900)
    result: dict[str, list[float]] = {
        "first": [first.seconds],
        "second": [],
        "second_cpu": [],
        "rss_mb": [first.rss_mb],
    }
    for _ in range(runs):
        busy = runnable()
        done = launch(argv, env)
        result["second"].append(done.seconds)
        result["second_cpu"].append(done.cpu)
        result["rss_mb"].append(done.rss_mb)
        print(
            f"  demo {products:,}, second launch: {done.seconds:6.3f} s (CPU {done.cpu:.2f} s), "
            f"RSS {done.rss_mb:.0f} MB, {busy} runnable",
            file=sys.stderr,
            flush=True,
        )
    return result


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_table(
    small: dict[str, list[float]],
    big: dict[str, list[float]],
    demo: dict[str, list[float]] | None,
    args: argparse.Namespace,
    load: tuple[float, float],
) -> None:
    base_first, base_second = median(small["first"]), median(small["second"])
    print(
        f"\nLaunch -> rows on screen, 80x24 pty, medians of {args.runs} "
        f"(load average before {load[0]:.2f}, after {load[1]:.2f}, {os.cpu_count()} cores)\n"
    )
    header = (
        f"{'launch':<40}{'seconds':>8}{'x 300':>7}{'paired':>8}{'target':>8}  result"
        f"{'CPU s':>7}{'x 300':>7}"
    )
    print(header)
    print("-" * len(header))

    def line(
        label: str,
        values: list[float],
        base: list[float],
        cpu: list[float] | None = None,
        base_cpu: list[float] | None = None,
        target: str = "",
        ok: bool | None = None,
    ) -> None:
        value = median(values)
        verdict = "" if ok is None else ("PASS" if ok else "FAIL")
        paired = median([v / b for v, b in zip(values, base, strict=False)])
        used = f"{median(cpu):7.2f}" if cpu else ""
        cpu_ratio = f"{median(cpu) / median(base_cpu):6.2f}x" if cpu and base_cpu else ""
        print(
            f"{label:<40}{value:>8.3f}{value / median(base):>6.2f}x{paired:>7.2f}x{target:>8}"
            f"  {verdict:<6}{used}{cpu_ratio}"
        )

    rows = int(median(big["rows"]))
    small_first_cpu, small_second_cpu = small["first_cpu"], small["second_cpu"]
    line(
        "300 products, first launch",
        small["first"],
        small["first"],
        small_first_cpu,
        small_first_cpu,
    )
    line(
        "300 products, second launch",
        small["second"],
        small["second"],
        small_second_cpu,
        small_second_cpu,
    )
    big_first, big_second = median(big["first"]), median(big["second"])
    line(
        f"{rows:,} variants, first launch",
        big["first"],
        small["first"],
        big["first_cpu"],
        small_first_cpu,
        f"{TARGETS['first_big']:.2f}s",
        big_first <= TARGETS["first_big"],
    )
    line(
        f"{rows:,} variants, second launch",
        big["second"],
        small["second"],
        big["second_cpu"],
        small_second_cpu,
        f"{TARGETS['second_ratio']:.2f}x",
        big_second / base_second <= TARGETS["second_ratio"],
    )
    rss = [*small["rss_mb"], *big["rss_mb"]]
    if demo is not None:
        products = args.demo_products
        line(f"demo {products:,}, first launch (n=1)", demo["first"], [base_first])
        demo_second = median(demo["second"])
        line(
            f"demo {products:,}, second launch",
            demo["second"],
            small["second"],
            demo["second_cpu"],
            small_second_cpu,
            f"{TARGETS['demo_second']:.2f}s",
            demo_second <= TARGETS["demo_second"],
        )
        rss += demo["rss_mb"]
    most = max(rss)
    print(
        f"\nRSS of the app (largest, MB): 300 products {max(small['rss_mb']):.0f}, "
        f"{rows:,} variants {max(big['rss_mb']):.0f}"
        + (f", demo {max(demo['rss_mb']):.0f}" if demo else "")
        + f"; target {TARGETS['rss_mb']:.0f}: {'PASS' if most <= TARGETS['rss_mb'] else 'FAIL'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="launches of each kind (median)")
    parser.add_argument("--variants", type=int, default=50_000, help="the big shop's variants")
    parser.add_argument("--demo-products", type=int, default=20_000, help="the demo's size")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo launches")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 run, 2,000 variants")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.variants, args.demo_products = 1, 2_000, 500
    root = Path(tempfile.mkdtemp(prefix="bench-launch-"))
    compile_package()
    load_before = os.getloadavg()[0]
    try:
        big_products = max(1, round(args.variants / VARIANTS_PER_PRODUCT))
        small, big = measure_shops([300, big_products], args.runs, root)
        demo = None if args.no_demo else measure_demo(args.demo_products, args.runs, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print_table(small, big, demo, args, (load_before, os.getloadavg()[0]))
    if args.json is not None:
        args.json.write_text(json.dumps({"small": small, "big": big, "demo": demo}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
