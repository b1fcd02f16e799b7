"""``zinv-tui serve --demo`` in a child process, with a password, in directories of its own: for
the browser tests and the README's screenshot (``python -m tests.browser.screenshot``)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.chromium import TerminalView
from zinv_tui.serve.password import store_password
from zinv_tui.ui.launch import demo_profile

PASSWORD = "stockroom-tablet-1"
DEMO_PRODUCTS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServedDemo:
    """A running ``zinv-tui serve --demo``: its page, its password, its sandbox and directories."""

    url: str
    sandbox_url: str
    password: str
    root: Path
    log: Path

    def ledger(self) -> list[dict[str, Any]]:
        """Every movement of the demo's one sandbox (``GET /sandbox/ledger``)."""
        return httpx.get(f"{self.sandbox_url}/sandbox/ledger", timeout=10).json()

    def locations(self) -> dict[str, str]:
        """Location type -> uuid."""
        info = httpx.get(f"{self.sandbox_url}/sandbox/info", timeout=10).json()
        return {location["type"]: location["uuid"] for location in info["locations"]}

    @property
    def state_dir(self) -> Path:
        """The demo shop's own profile (``demo-60``: one profile per shop size)."""
        return self.root / "state" / "profiles" / demo_profile(DEMO_PRODUCTS)


def wait_for_serve(process: subprocess.Popen[bytes], log: Path, port: int) -> str:
    """Wait until the server answers; returns its demo sandbox's URL (from its first lines)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"zinv-tui serve stopped ({process.returncode}):\n{log.read_text()}"
            )
        found = re.search(r"demo sandbox at (http://\S+)", log.read_text())
        if found:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                    return found.group(1)
            except httpx.HTTPError:
                pass
        time.sleep(0.1)
    raise AssertionError(f"zinv-tui serve did not answer in 60 s:\n{log.read_text()}")


@contextmanager
def serve_demo(root: Path) -> Iterator[ServedDemo]:
    """``zinv-tui serve --demo`` with :data:`PASSWORD` and no simulated sales, its files under
    ``root``; stopped at the end."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("ZINV_")}
    environment.pop("TEXTUAL_DRIVER", None)
    for kind in ("config", "state", "data", "cache"):
        environment[f"ZINV_{kind.upper()}_DIR"] = str(root / kind)
    environment["ZINV_ENV_FILE"] = ""
    store_password(root / "config", PASSWORD)
    port = free_port()
    log = root / "serve.log"
    command = [
        sys.executable,
        "-m",
        "zinv_tui",
        "serve",
        "--demo",
        "--port",
        str(port),
        "--products",
        str(DEMO_PRODUCTS),
        "--sales-per-minute",
        "0",
        "--history-days",
        "0",  # the demo's opening balances, as generate_shop() gives them
    ]
    with log.open("w") as output:
        process = subprocess.Popen(
            command, env=environment, stdout=output, stderr=subprocess.STDOUT, cwd=root
        )
    try:
        sandbox_url = wait_for_serve(process, log, port)
        yield ServedDemo(f"http://127.0.0.1:{port}", sandbox_url, PASSWORD, root, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def sign_in(driver: Any, demo: ServedDemo, who: str) -> TerminalView:
    """Open the served demo, give the password and say who is working; the app's screen."""
    driver.get(demo.url + "/")
    driver.find_element(By.ID, "password").send_keys(demo.password)
    driver.find_element(By.ID, "sign-in").click()
    view = TerminalView(driver)
    view.wait_for("Who is working", timeout=30)
    view.type(who, Keys.ENTER)
    view.wait_for(lambda text: f"│ {who}" in text and "live" in text, what=f"live, as {who}")
    return view
