"""Shared fixtures: real sandbox servers on free loopback ports (never mocks); slow tests first."""

from __future__ import annotations

import compileall
import contextlib
import dataclasses
import fcntl
import gc
import hashlib
import importlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import zinv_tui
from tests.support.clients import GENERATIONS
from zinv_tui.sandbox.demo_data import generate_shop
from zinv_tui.sandbox.history import load_shop_with_history
from zinv_tui.sandbox.server import SandboxConfig, SandboxInfo, SandboxServer
from zinv_tui.sandbox.store import LedgerStore


def pytest_configure(config: pytest.Config) -> None:
    """The controller compiles the package and rewrites the test modules before the xdist workers
    start, so they read one cache instead of each making it (nothing to do when it is up to
    date). On a fresh clone each of 6 workers spent about 5 s of CPU rewriting the test modules
    (collection 8.2 s instead of 3.3), all at once on the machine's 2 cores."""
    if hasattr(config, "workerinput"):
        return
    compileall.compile_dir(Path(zinv_tui.__file__).parent, quiet=1)
    if (config.getoption("numprocesses", None) or 0) > 1:
        _rewrite_test_modules(config.invocation_params.dir, config.args)


def _rewrite_test_modules(start: Path, args: list[str]) -> None:
    """Import the test modules of the run (those under ``args``, the paths asked for) here, once:
    pytest's assertion rewriting (installed before this runs) writes each rewritten module to
    ``__pycache__``, where the workers find it."""
    root = Path(__file__).parent
    paths: set[Path] = set()
    for arg in args:
        asked = (start / arg.split("::")[0]).resolve()
        if asked.is_dir():
            paths.update(asked.rglob("test_*.py"))
        elif asked.name.startswith("test_") and asked.suffix == ".py":
            paths.add(asked)
    for path in sorted(paths):
        if not path.is_relative_to(root):
            continue
        name = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        with contextlib.suppress(Exception, pytest.skip.Exception):
            importlib.import_module(name)  # if it fails, the worker collecting it says why


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` run first, the longest (``slow(seconds=N)``, default 10) first: on
    the xdist workers a long test that starts last would finish alone, long after the others."""

    def expected_seconds(item: pytest.Item) -> float:
        marker = item.get_closest_marker("slow")
        return 0.0 if marker is None else float(marker.kwargs.get("seconds", 10))

    items.sort(key=expected_seconds, reverse=True)


COLLECTOR_THRESHOLDS = (10_000, 20, 20)
"""Young collections every 10,000 allocations instead of 700 (and older ones rarer) in a test
worker. Measured on tests/ui/test_movement_screen.py (18 Pilot tests, one worker): the cyclic
collector took 8.8 s of 30 s of CPU with the defaults (3,036 young, 276 middle and 26 full passes
over a heap holding the sandbox, Textual and every test module), about 4 s with fewer passes."""


def pytest_collection_finish(session: pytest.Session) -> None:
    """Rarer collector passes in the test workers (not frozen: the app's own tuning, tested in
    fresh interpreters and by tests/ui/test_balances_app.py, must find the collector as any host
    process leaves it)."""
    gc.set_threshold(*COLLECTOR_THRESHOLDS)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxInfo]:
    """One sandbox for the whole session: 300 demo products, no faults. Do not change its state in
    ways other tests would notice (use ``sandbox_factory`` for that)."""
    with SandboxServer(SandboxConfig(products=300)) as info:
        yield info


_SHOP_FIELDS = ("products", "seed", "history_days", "history_per_day", "history_end")
"""What a generated shop depends on (the rest of a :class:`SandboxConfig` is how it is served)."""


@pytest.fixture(scope="session")
def shop_templates(tmp_path_factory: pytest.TempPathFactory) -> Callable[[SandboxConfig], Path]:
    """``template(config) -> Path``: a ledger file holding the shop ``config`` generates, made
    once per run and reused: a sandbox opened on a copy of it serves the same shop as one that
    generated it, without generating it again (a 300-product shop with 60 days of sales takes
    ~0.7-2 s of CPU to generate). The xdist workers share the files (:func:`_shared_template`)."""
    made: dict[tuple[Any, ...], Path] = {}

    def template(config: SandboxConfig) -> Path:
        key = tuple(getattr(config, name) for name in _SHOP_FIELDS)
        path = made.get(key)
        if path is None:
            path = made[key] = _shared_template(tmp_path_factory, key, config)
        return path

    return template


def _shared_template(
    factory: pytest.TempPathFactory, key: tuple[Any, ...], config: SandboxConfig
) -> Path:
    """The template of shop ``key`` in a folder every worker of this run sees (the parent of the
    workers' own temporary folders): the first worker to need it makes it while holding a lock on
    it, the others wait for it and read it (each of 6 workers made each shop before)."""
    root = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    folder = root / "shop-templates"
    folder.mkdir(exist_ok=True)
    name = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
    path = folder / f"{name}.sqlite"
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            making = factory.mktemp("shop-template") / "ledger.sqlite"
            store = LedgerStore(making)
            load_shop_with_history(store, generate_shop(config.products, config.seed), config)
            store.close()
            ready = folder / f"{name}.partial"
            _copy_ledger(making, ready)
            os.replace(ready, path)  # whole or absent, whatever happens to this worker
    return path


def _copy_ledger(template: Path, target: Path) -> None:
    """A consistent copy of a ledger file (SQLite's backup: the WAL included)."""
    with sqlite3.connect(template) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    source.close()
    copy.close()


@pytest.fixture
def sandbox_factory(
    shop_templates: Callable[[SandboxConfig], Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., SandboxInfo]]:
    """``sandbox_factory(**config_overrides) -> SandboxInfo``: a fresh sandbox per call (default 300
    products), stopped at teardown. A shop with a pinned sales history (``history_days`` and
    ``history_end``; the generation is then deterministic) starts from a copy of a generated
    template (:func:`shop_templates`) in a file instead of being generated in memory again."""
    servers: list[SandboxServer] = []

    def start(**overrides: Any) -> SandboxInfo:
        config = SandboxConfig(**overrides)
        if config.db_path is None and config.history_days > 0 and config.history_end is not None:
            ledger = tmp_path_factory.mktemp("shop") / "ledger.sqlite"
            _copy_ledger(shop_templates(config), ledger)
            config = dataclasses.replace(config, db_path=ledger)
        server = SandboxServer(config)
        servers.append(server)
        return server.start()

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture(params=GENERATIONS)
def generation(request: pytest.FixtureRequest) -> str:
    """Each Inventory API generation in turn (``"v1"``, ``"v3"``): a test that takes it starts its
    sandbox with ``api=generation`` (that generation only) and forces the service or CLI to it."""
    return str(request.param)
