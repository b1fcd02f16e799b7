"""The served demo (``zinv-tui serve --demo`` in a child process, with a password) and headless
Chromium browsers on it.

Chromium comes from the OS (``apt-get install -y chromium chromium-driver``; ``.ci/run`` installs
it when missing). Without it these tests are skipped with the reason, except in CI, where they fail
unless ``.ci/run`` recorded why it could not install it (``ZINV_BROWSER_UNAVAILABLE``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.chromium import chromium_paths, start_chromium, stop_chromium
from tests.browser.served import ServedDemo, serve_demo

UNAVAILABLE = "ZINV_BROWSER_UNAVAILABLE"


def require_chromium() -> None:
    """Skip (say why) when Chromium cannot be had; in CI that is a failure unless .ci/run could
    not install it and said why."""
    if chromium_paths() is not None:
        return
    reason = os.environ.get(UNAVAILABLE, "").strip()
    if reason:
        pytest.skip(f"headless Chromium could not be installed: {reason}")
    install = "apt-get install -y chromium chromium-driver"
    if os.environ.get("CI"):
        pytest.fail(
            f"chromium and chromium-driver are missing in CI: .ci/run should run `{install}`"
        )
    pytest.skip(f"chromium and chromium-driver are not installed (`{install}`)")


@pytest.fixture(scope="session")
def served_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedDemo]:
    """``zinv-tui serve --demo`` with a password, on a free loopback port, no simulated sales."""
    require_chromium()
    with serve_demo(tmp_path_factory.mktemp("served-demo")) as demo:
        yield demo


@pytest.fixture
def browsers(tmp_path: Path) -> Iterator[Callable[[], Any]]:
    """``browsers()``: another headless Chromium at tablet size (downloads into tmp_path); all are
    closed at the end."""
    require_chromium()
    started: list[Any] = []

    def start() -> Any:
        downloads = tmp_path / f"downloads-{len(started) + 1}"
        downloads.mkdir()
        driver = start_chromium(downloads)
        driver.zinv_downloads = downloads
        started.append(driver)
        return driver

    yield start
    for driver in started:
        stop_chromium(driver)
