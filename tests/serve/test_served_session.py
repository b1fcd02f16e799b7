"""What a browser tab runs, driven through textual-serve's own ``AppService`` (the piece the server
uses for each websocket: pipes, no terminal), and ``zinv-tui serve``'s refusals."""

from __future__ import annotations

import argparse
import asyncio
import re
import shlex
import subprocess
import sys

import pytest
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from zinv_tui.commands.serve import profile_arguments

pytestmark = pytest.mark.timeout(90)

ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]")


class Tab:
    """One browser tab's app process, as textual-serve runs it; ``text`` is what it drew."""

    def __init__(self, command: list[str]) -> None:
        self.received = bytearray()
        self.closed = asyncio.Event()
        self.service = AppService(
            shlex.join(command),
            write_bytes=self._write_bytes,
            write_str=self._write_str,
            close=self._close,
            download_manager=DownloadManager(),
        )

    async def _write_bytes(self, data: bytes) -> None:
        self.received.extend(data)

    async def _write_str(self, text: str) -> None:
        return None

    async def _close(self) -> None:
        self.closed.set()

    @property
    def text(self) -> str:
        return ANSI.sub("", self.received.decode("utf-8", "replace"))

    async def shows(self, words: str, seconds: float = 30.0) -> bool:
        for _ in range(int(seconds / 0.1)):
            if words in self.text:
                return True
            if self.service._task is not None and self.service._task.done():
                return False
            await asyncio.sleep(0.1)
        return False


async def test_first_run_shows_in_the_browser_instead_of_exiting(child_env):
    """No API key in a served tab: the first-run screen (not exit 3 for want of a TTY), without
    "Try the demo" (a tab must not start a sandbox of its own), with the browser's keys."""
    tab = Tab([sys.executable, "-m", "zinv_tui"])
    await tab.service.start(100, 30)
    try:
        assert await tab.shows("Welcome to zinv-tui"), tab.text[-2000:]
        assert await tab.shows("Verify and save")
        assert "Try the demo" not in tab.text
        assert "f2" in tab.text  # the footer's Verify key in a browser
    finally:
        await tab.service.stop()
        process = tab.service._process
        if process is not None:  # textual-serve leaves its child to the loop: reap it here
            await asyncio.wait_for(process.wait(), 20)


@pytest.mark.slow
async def test_a_served_profile_tab_asks_who_is_working_and_takes_the_keyboard(
    sandbox, monkeypatch
):
    """``zinv-tui serve --profile ...`` runs ``zinv-tui`` with the profile's flags in each tab."""
    monkeypatch.setenv("ZINV_API_KEY", sandbox.api_key)
    monkeypatch.setenv("ZINV_BASE_URL", sandbox.url)
    arguments = profile_arguments(argparse.Namespace(poll_interval=3.0, user="till"))
    assert arguments == ["--poll-interval", "3.0", "--user", "till"]
    tab = Tab([sys.executable, "-m", "zinv_tui", *arguments])
    await tab.service.start(100, 30)
    try:
        assert await tab.shows("Who is working"), tab.text[-2000:]
        await tab.service.send_bytes(b"Ana\r")
        assert await tab.shows("│ Ana"), tab.text[-2000:]
    finally:
        await tab.service.stop()
        process = tab.service._process
        if process is not None:
            await asyncio.wait_for(process.wait(), 20)


def run_serve(child_env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zinv_tui", "serve", *args],
        capture_output=True,
        text=True,
        env=child_env,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_serving_beyond_this_computer_needs_a_password(child_env) -> None:
    refused = run_serve(child_env, "--host", "0.0.0.0", "--demo")
    assert refused.returncode == 2
    assert "needs a password" in refused.stderr and "--set-password" in refused.stderr
    both = run_serve(child_env, "--demo", "--profile", "shop")
    assert both.returncode == 2 and "--demo or --profile" in both.stderr
    bad_url = run_serve(child_env, "--demo", "--public-url", "ftp://x")
    assert bad_url.returncode == 2 and "--public-url" in bad_url.stderr
    proxied = run_serve(child_env, "--demo", "--public-url", "https://stock.example.com")
    assert proxied.returncode == 2 and "needs a password" in proxied.stderr
